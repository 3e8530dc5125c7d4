"""Hummingbot's kill switch, tripped, shuts the bot down completely: the outstanding orders are cancelled."""
import asyncio
from decimal import Decimal
from types import SimpleNamespace

from grvt_tools.kill_switch import let_the_kill_switch_finish_its_shutdown
from hummingbot.client.config.client_config_map import ClientConfigMap
from hummingbot.core.trading_core import TradingCore
from hummingbot.core.utils.kill_switch import ActiveKillSwitch


async def test_a_tripped_kill_switch_cancels_the_outstanding_orders(monkeypatch):
    monkeypatch.setattr(ActiveKillSwitch, "stop", ActiveKillSwitch.stop)  # restored after the test
    let_the_kill_switch_finish_its_shutdown()
    core = TradingCore(ClientConfigMap())
    cancel_all_calls = []

    async def cancel_all(timeout_seconds):
        cancel_all_calls.append(timeout_seconds)
        return []

    async def losing():
        return Decimal("-0.5")

    core.connector_manager.connectors["grvt_perpetual"] = SimpleNamespace(
        limit_orders=[object()], cancel_all=cancel_all, stop=lambda clock: None)
    core.strategy, core._strategy_running = object(), True
    core.clock = SimpleNamespace(remove_iterator=lambda iterator: None)
    core.calculate_profitability = losing
    core.kill_switch = kill_switch = ActiveKillSwitch(Decimal("-10"), core)
    await kill_switch.start_loop()
    await asyncio.wait_for(kill_switch._check_profitability_task, timeout=30)
    assert cancel_all_calls == [TradingCore.KILL_TIMEOUT]
    assert core.connector_manager.connectors == {} and core.strategy is None


async def test_stopping_the_kill_switch_from_elsewhere_still_cancels_its_task(monkeypatch):
    monkeypatch.setattr(ActiveKillSwitch, "stop", ActiveKillSwitch.stop)
    let_the_kill_switch_finish_its_shutdown()
    let_the_kill_switch_finish_its_shutdown()  # applied once however often it is called
    kill_switch = ActiveKillSwitch(Decimal("-10"), SimpleNamespace(calculate_profitability=asyncio.Event().wait))
    await kill_switch.start_loop()
    task = kill_switch._check_profitability_task
    await asyncio.sleep(0)  # the task runs: waiting for its profitability
    kill_switch.stop()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
