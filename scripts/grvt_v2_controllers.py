"""Runs Strategy V2 controllers from controller configs: the GRVT market maker and grid, or any other controller.

The script config (conf/scripts/) lists controller configs from conf/controllers/:

    script_file_name: grvt_v2_controllers.py
    controllers_config:
      - grvt_market_maker_pmm.yml

It sets each perpetual controller's position mode and leverage on its connector, runs the controllers and their
executors, and reloads the controller configs every 10 seconds (fields marked updatable apply while running).
``max_global_drawdown_quote`` stops everything when the controllers' PnL falls that far below its best;
``max_controller_drawdown_quote`` does the same for one controller. A stop cancels the orders; the executors of a
controller with ``keeps_position_on_stop`` (the GRVT grid) keep their position, which Hummingbot's shutdown would
otherwise close with a market order. Hummingbot's dashboard and API deploy
controllers with a script config of this shape (``candles_config`` and ``markets`` are accepted and merged).

Run it headless with ``bin/hummingbot_grvt.py --headless --v2 grvt_market_maker.yml`` or, in the CLI,
``start --v2 grvt_market_maker.yml``.
"""
import os
from decimal import Decimal
from typing import Any, Dict, List, Optional, Set

from pydantic import Field, field_validator

from hummingbot.connector.connector_base import ConnectorBase
from hummingbot.core.data_type.common import MarketDict, PositionMode
from hummingbot.data_feed.candles_feed.data_types import CandlesConfig
from hummingbot.strategy.strategy_v2_base import StrategyV2Base, StrategyV2ConfigBase
from hummingbot.strategy_v2.models.executor_actions import CreateExecutorAction, StopExecutorAction


class GrvtV2ControllersConfig(StrategyV2ConfigBase):
    script_file_name: str = os.path.basename(__file__)
    candles_config: List[CandlesConfig] = Field(default=[])
    markets: Dict[str, Set[str]] = Field(default={})
    max_global_drawdown_quote: Optional[float] = Field(
        default=None, json_schema_extra={
            "prompt": "Stop everything when the total PnL falls this far below its best, in quote (empty = off): "})
    max_controller_drawdown_quote: Optional[float] = Field(
        default=None, json_schema_extra={
            "prompt": "Stop a controller when its PnL falls this far below its best, in quote (empty = off): "})

    @field_validator("candles_config", mode="before")
    @classmethod
    def parse_candles(cls, value: Any) -> Any:
        if isinstance(value, str):
            return StrategyV2ConfigBase.parse_candles_config_str(value)
        return value or []

    @field_validator("markets", mode="before")
    @classmethod
    def parse_markets(cls, value: Any) -> Any:
        if isinstance(value, str):
            return StrategyV2ConfigBase.parse_markets_str(value)
        return value or {}

    def update_markets(self, markets: MarketDict) -> MarketDict:
        for connector_name, trading_pairs in self.markets.items():
            for trading_pair in trading_pairs:
                # Hummingbot's MarketDict (GroupedSetDict[str, Set[str]]) types the pairs add_or_update takes as sets
                markets = markets.add_or_update(connector_name, trading_pair)  # type: ignore[arg-type]
        return markets


class GrvtV2Controllers(StrategyV2Base):
    def __init__(self, connectors: Dict[str, ConnectorBase], config: GrvtV2ControllersConfig) -> None:
        super().__init__(connectors, config)
        self.config: GrvtV2ControllersConfig = config
        self._peak_pnl: Dict[str, Decimal] = {}
        self._peak_global_pnl: Optional[Decimal] = None
        self._drawdown_stopped: Set[str] = set()

    def apply_initial_setting(self) -> None:
        """Position mode and leverage of every perpetual market a controller trades, once at start."""
        for controller in self.controllers.values():
            config = controller.config
            connector_name = getattr(config, "connector_name", None)
            if connector_name is None or not self.is_perpetual(connector_name) or connector_name not in self.connectors:
                continue
            position_mode = getattr(config, "position_mode", None)
            if isinstance(position_mode, PositionMode):
                self.set_position_mode(connector_name, position_mode)
            trading_pair = getattr(config, "trading_pair", None)
            leverage = getattr(config, "leverage", None)
            if trading_pair and leverage:
                self.set_leverage(connector_name, trading_pair, leverage)

    async def on_stop(self) -> None:
        # No await before Hummingbot's shutdown: no controller tick can start an executor in between.
        for controller_id in list(self.controllers):
            self._stop_executors_holding_positions(controller_id)
        await super().on_stop()

    def _stop_executors_holding_positions(self, controller_id: str) -> None:
        """Hummingbot's shutdown early-stops every running executor with keep_position False (its position closed
        by a market order): a controller that keeps its position on stop has its executors stopped holding it."""
        if not getattr(self.controllers[controller_id], "keeps_position_on_stop", False):
            return
        for executor in self.executor_orchestrator.active_executors.get(controller_id, []):
            if executor.is_active:
                executor.early_stop(keep_position=True)

    def on_tick(self) -> None:
        super().on_tick()
        if not self._is_stop_triggered:
            self._check_drawdowns()

    def create_actions_proposal(self) -> List[CreateExecutorAction]:
        return []

    def stop_actions_proposal(self) -> List[StopExecutorAction]:
        return []

    # ------------------------------------------------------------------------------------------------ drawdowns
    def controller_pnl(self, controller_id: str) -> Decimal:
        """A controller's PnL: its executors' (Hummingbot's performance report) plus what it reports itself."""
        pnl = Decimal(0)
        report = self.get_performance_report(controller_id)
        if report is not None and getattr(report, "global_pnl_quote", None) is not None:
            pnl += Decimal(str(report.global_pnl_quote))
        controller = self.controllers[controller_id]
        own = controller.get_custom_info().get("pnl_total") if hasattr(controller, "get_custom_info") else None
        if own is not None:
            pnl += Decimal(str(own))
        return pnl

    def _check_drawdowns(self) -> None:
        limit = self.config.max_controller_drawdown_quote
        total = Decimal(0)
        for controller_id in list(self.controllers):
            pnl = self.controller_pnl(controller_id)
            total += pnl
            peak = max(self._peak_pnl.get(controller_id, pnl), pnl)
            self._peak_pnl[controller_id] = peak
            if limit is not None and controller_id not in self._drawdown_stopped and peak - pnl > Decimal(str(limit)):
                self._drawdown_stopped.add(controller_id)
                self.logger().error(f"Controller {controller_id}: PnL {pnl:.4f} is more than {limit} below its best "
                                    f"{peak:.4f}; stopping it.")
                self._stop_controller(controller_id)
        global_limit = self.config.max_global_drawdown_quote
        self._peak_global_pnl = total if self._peak_global_pnl is None else max(self._peak_global_pnl, total)
        if global_limit is not None and self._peak_global_pnl - total > Decimal(str(global_limit)):
            self.logger().error(f"Total PnL {total:.4f} is more than {global_limit} below its best "
                                f"{self._peak_global_pnl:.4f}; stopping the strategy.")
            self._is_stop_triggered = True
            for controller_id in list(self.controllers):
                self._stop_controller(controller_id)
            from hummingbot.client.hummingbot_application import HummingbotApplication
            HummingbotApplication.main_application().stop()

    def _stop_controller(self, controller_id: str) -> None:
        controller = self.controllers[controller_id]
        controller.stop()
        keep_position = bool(getattr(controller, "keeps_position_on_stop", False))
        actions = [StopExecutorAction(controller_id=controller_id, executor_id=executor.id, keep_position=keep_position)
                   for executor in self.get_executors_by_controller(controller_id) if executor.is_active]
        if actions:
            self.executor_orchestrator.execute_actions(actions)
