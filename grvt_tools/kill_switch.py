"""Hummingbot's kill switch (``kill_switch_mode: kill_switch_enabled`` in conf_client.yml) stops the bot by running
``TradingCore.shutdown`` in its own profitability task. The shutdown's ``stop_strategy`` stops the kill switch, which
cancels that very task: the shutdown ends right there, before it cancels the outstanding orders, removes the
connectors and stops the clock. The orders of a V1 strategy stayed resting and the connectors kept running.

``let_the_kill_switch_finish_its_shutdown`` (applied by bin/hummingbot_grvt.py) makes the kill switch leave its task
running when the shutdown it runs stops it; the task ends on its own once the shutdown returns.
"""
import asyncio
from typing import Optional


def _current_task() -> Optional[asyncio.Task]:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running event loop
        return None


def let_the_kill_switch_finish_its_shutdown() -> None:
    from hummingbot.core.utils.kill_switch import ActiveKillSwitch

    stop = ActiveKillSwitch.stop
    if stop.__module__ == __name__:  # applied already
        return

    def stop_unless_shutting_down(self: ActiveKillSwitch) -> None:
        if self._check_profitability_task is not None and self._check_profitability_task is _current_task():
            self._started = False
            return
        stop(self)

    ActiveKillSwitch.stop = stop_unless_shutting_down  # type: ignore[method-assign]  # patches Hummingbot's class
