"""What the GRVT controllers do alike: no executor actions of their own, settings reloads that reach the kill switch,
the periodic status line in the log, and funding payments counted in the PnL."""
from decimal import Decimal
from typing import Any, List

from hummingbot.strategy_v2.controllers.controller_base import ControllerConfigBase
from hummingbot.strategy_v2.models.executor_actions import ExecutorAction


class GrvtControllerMixin:
    """For a ControllerBase subclass with `config`, `kill_switch`, `pnl`, `_last_status_log` and `to_format_status`."""

    async def update_processed_data(self):
        pass

    def determine_executor_actions(self) -> List[ExecutorAction]:
        return []  # orders and executors are driven from control_task

    def update_config(self, new_config: ControllerConfigBase):
        super().update_config(new_config)
        self.kill_switch.update_settings(self.config)

    def _log_status_if_due(self, now: float):
        interval = self.config.status_log_interval
        if interval > 0 and now - self._last_status_log >= interval:
            self._last_status_log = now
            self.logger().info("\n".join(self.to_format_status()))

    def _on_funding(self, event: Any):
        if event.trading_pair == self.config.trading_pair and self.pnl is not None:
            self.pnl.on_funding(Decimal(event.amount))
