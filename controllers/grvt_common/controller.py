"""What the GRVT controllers do alike: no executor actions of their own, settings reloads that reach the kill switch,
the periodic status line in the log, funding payments counted in the PnL, and the orders a crashed earlier run left."""
from decimal import Decimal
from typing import TYPE_CHECKING, Any, List, Optional, Union

from controllers.grvt_common.kill_switch import KillSwitch
from controllers.grvt_common.pnl import PnlTracker
from controllers.grvt_common.trading import OrderGateway
from hummingbot.strategy_v2.controllers.controller_base import ControllerBase, ControllerConfigBase
from hummingbot.strategy_v2.models.executor_actions import ExecutorAction

if TYPE_CHECKING:
    from controllers.generic.grvt_grid import GrvtGridConfig
    from controllers.market_making.grvt_market_maker import GrvtMarketMakerConfig

    _ControllerBase = ControllerBase  # typed as the ControllerBase it is mixed into: it calls its methods and super()
else:
    _ControllerBase = object


class GrvtControllerMixin(_ControllerBase):
    """For a ControllerBase subclass that sets `config`, `kill_switch`, `_created_at` and `_last_status_log` when
    created, and `_gateway` and `_pnl` on its first tick with a ready connector."""
    config: Union["GrvtMarketMakerConfig", "GrvtGridConfig"]
    kill_switch: KillSwitch
    _gateway: Optional[OrderGateway]
    _pnl: Optional[PnlTracker]
    _created_at: float
    _last_status_log: float

    @property
    def gateway(self) -> OrderGateway:
        if self._gateway is None:
            raise RuntimeError(f"{type(self).__name__} has no order gateway before it starts")
        return self._gateway

    @property
    def pnl(self) -> PnlTracker:
        if self._pnl is None:
            raise RuntimeError(f"{type(self).__name__} has no PnL tracker before it starts")
        return self._pnl

    async def update_processed_data(self) -> None:
        pass

    def determine_executor_actions(self) -> List[ExecutorAction]:
        return []  # orders and executors are driven from control_task

    def update_config(self, new_config: ControllerConfigBase) -> None:
        super().update_config(new_config)
        self.kill_switch.update_settings(self.config)

    def _log_status_if_due(self, now: float) -> None:
        interval = self.config.status_log_interval
        if interval > 0 and now - self._last_status_log >= interval:
            self._last_status_log = now
            self.logger().info("\n".join(self.to_format_status()))

    def _on_funding(self, event: Any) -> None:
        if event.trading_pair == self.config.trading_pair and self._pnl is not None:
            self._pnl.on_funding(Decimal(event.amount))

    def _cancel_orders_of_an_earlier_run(self, connector: Any) -> None:
        """The pair's orders Hummingbot restored from an earlier run (one that crashed leaves them resting): nothing in
        this run manages them, and they would rest next to its own orders. Orders placed after the controller was
        created (another controller's) stay."""
        order_ids = [order.client_order_id for order in connector.in_flight_orders.values()
                     if order.trading_pair == self.config.trading_pair and not order.is_done
                     and order.creation_timestamp < self._created_at]
        if order_ids:
            self.logger().warning(f"Cancelling {len(order_ids)} {self.config.trading_pair} orders left open by an "
                                  f"earlier run.")
            self.gateway.cancel(order_ids)
