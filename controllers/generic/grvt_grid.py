"""GRVT grid: Hummingbot's GridExecutor over a price range, neutral, long or short, on one-way positions.

``levels`` prices evenly spaced from ``start_price`` to ``end_price`` carry ``total_amount_quote`` (split evenly);
every filled level takes profit one level away with a reduce-only order. ``grid_mode``:

- long: one BUY grid over the range (it holds a long that grows as the price falls);
- short: one SELL grid over the range;
- neutral: a BUY grid below a middle level and a SELL grid above it, one at a time (on GRVT's one-way positions the
  reduce-only take-profits of opposite positions would block each other): flat at the middle, long below, short
  above.

A GridExecutor ends when the price leaves its range; the controller starts it again once the price is back inside by
half a level (re-entry). When the price leaves the whole range by ``range_exit_margin_pct`` the grid stops: its orders
are cancelled and its position closed. The kill switch (drawdown, position, stale book, order error rate) stops it
the same way, closing the position only with ``kill_switch_flatten``. A stop of the strategy cancels the grid's
orders and keeps its position (``keeps_position_on_stop``, read by scripts/grvt_v2_controllers.py). See
controllers/grvt_common/grid_layout.py.
"""
import asyncio
import logging
import time
from decimal import ROUND_CEILING, Decimal
from functools import partial
from typing import Any, Dict, List, Optional, Self, Tuple

from pydantic import model_validator

from controllers.grvt_common.controller import GrvtControllerMixin
from controllers.grvt_common.grid_layout import (
    MODES,
    GridLeg,
    grid_legs,
    leg_to_enter,
    min_amount_quote_per_level,
    outside_range,
)
from controllers.grvt_common.kill_switch import KillSwitch, KillSwitchSettings, KillSwitchTrip
from controllers.grvt_common.pnl import PnlTracker
from controllers.grvt_common.settings import MarketSettings, config_field, one_of
from controllers.grvt_common.status import latency_lines, pnl_line, position_line
from controllers.grvt_common.trading import ConnectorEvents, OrderGateway, fee_in_quote
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.order_candidate import PerpetualOrderCandidate
from hummingbot.core.event.events import MarketEvent
from hummingbot.data_feed.market_data_provider import MarketDataProvider
from hummingbot.strategy_v2.controllers.controller_base import ControllerBase, ControllerConfigBase
from hummingbot.strategy_v2.executors.grid_executor.data_types import GridExecutorConfig
from hummingbot.strategy_v2.executors.position_executor.data_types import TripleBarrierConfig
from hummingbot.strategy_v2.models.executor_actions import CreateExecutorAction, ExecutorAction, StopExecutorAction
from hummingbot.strategy_v2.models.executors import CloseType

ZERO = Decimal(0)
CENT = Decimal("0.01")
FLATTEN_RETRY_SECONDS = 3.0


# Grid settings shape the executor when it starts: fixed while it runs unless a field says otherwise.
_field = partial(config_field, updatable=False)


class GrvtGridConfig(MarketSettings, KillSwitchSettings, ControllerConfigBase):
    controller_type: str = "generic"
    controller_name: str = "grvt_grid"
    grid_mode: str = _field("neutral", "Grid mode (neutral, long or short): ", on_new=True)
    start_price: Decimal = _field(Decimal("85000"), "Lowest grid price: ", on_new=True, gt=0)
    end_price: Decimal = _field(Decimal("95000"), "Highest grid price: ", on_new=True, gt=0)
    levels: int = _field(10, "Number of grid levels (prices from start to end, both included): ", on_new=True, ge=2)
    # not updatable: a running GridExecutor keeps the limit price (stop-out) it was started with
    range_exit_margin_pct: Decimal = _field(Decimal("1"), "Stop when the price leaves the range by this %: ",
                                            on_new=True, ge=0, lt=100)
    max_open_orders: int = _field(5, "Open orders per grid executor at most: ", ge=1)
    max_orders_per_batch: Optional[int] = _field(None, "New orders per executor step at most "
                                                       "(empty = max_open_orders): ", ge=0)
    order_frequency: int = _field(0, "Seconds between an executor's order batches: ", ge=0)
    activation_bounds: Optional[Decimal] = _field(None, "Only place levels within this fraction of the price: ",
                                                  gt=0)
    post_only: bool = _field(True, "Post-only (maker) grid orders? (True/False): ")
    safe_extra_spread: Decimal = _field(Decimal("0.0001"), "Distance from the touch for levels the price passed, "
                                                           "a fraction of the price (0.0001 = 1 bp): ", ge=0, lt=1)
    status_log_interval: float = _field(0.0, "Seconds between status lines in the log (0 = only at stop): ",
                                        updatable=True, ge=0)

    validate_mode = one_of("grid_mode", MODES)

    @model_validator(mode="after")
    def validate_range(self) -> Self:
        if self.total_amount_quote <= 0:
            raise ValueError(f"total_amount_quote must be above 0, got {self.total_amount_quote}")
        if self.start_price >= self.end_price:
            raise ValueError(f"start_price {self.start_price} must be below end_price {self.end_price}")
        if self.grid_mode == "neutral" and self.levels < 3:
            raise ValueError("a neutral grid needs at least 3 levels")
        return self

    @property
    def amount_quote_per_level(self) -> Decimal:
        return self.total_amount_quote / self.levels


class GrvtGrid(GrvtControllerMixin, ControllerBase):
    _logger = None
    keeps_position_on_stop = True  # a stop cancels the orders; only a trip or the range exit closes the position

    @classmethod
    def logger(cls) -> logging.Logger:
        if cls._logger is None:
            cls._logger = logging.getLogger(__name__)
        return cls._logger

    def __init__(self, config: GrvtGridConfig, market_data_provider: MarketDataProvider, actions_queue: asyncio.Queue,
                 update_interval: float = 1.0):
        super().__init__(config, market_data_provider, actions_queue, update_interval)
        self.config: GrvtGridConfig = config
        self.base, self.quote = config.trading_pair.split("-")
        self.kill_switch = KillSwitch(config)
        self.legs: List[GridLeg] = []
        self._gateway: Optional[OrderGateway] = None
        self._pnl: Optional[PnlTracker] = None
        self._events = ConnectorEvents()
        self._running: Dict[str, str] = {}  # leg name -> id of its executor while it runs
        self._leg_runs: Dict[str, int] = {}
        self._endings: List[str] = []
        self._halt: Optional[KillSwitchTrip] = None
        self._entry_refusal: Optional[str] = None  # why no leg may start (levels below the exchange minimum)
        self._stop_sent = False
        self._flatten_order_id: Optional[str] = None
        self._flatten_sent_at = 0.0
        self._unclosable_position: Optional[Decimal] = None
        self._book_uid: Optional[Tuple[int, int]] = None
        self._book_changed_at: Optional[float] = None
        self.mid: Optional[Decimal] = None
        self.equity: Optional[Decimal] = None
        self._last_status_log = self._created_at = time.time()
        self._stopped = False

    # ------------------------------------------------------------------------------------------------ controller API
    async def control_task(self) -> None:
        connector = self.market_data_provider.connectors.get(self.config.connector_name)
        if self._stopped or connector is None:
            return
        mid = self._observe_book(connector) if connector.ready else None
        if mid is None:
            await self._check_while_unavailable(time.time())
            return
        now = time.time()
        if self._gateway is None:
            self._start(connector, mid)
        self._forget_finished_executors(now)
        position = self.gateway.position()
        self.equity = self.pnl.equity(mid)
        if self.equity is not None:
            self.kill_switch.start(self.equity)
        if self._halt is None:
            seconds_stale = now - self._book_changed_at if self._book_changed_at is not None else None
            trip = self.kill_switch.check(self.equity, position, seconds_stale)
            if trip is None and self.config.manual_kill_switch:
                trip = KillSwitchTrip("manual", "manual kill switch set in the config", now)
            if trip is None:
                reason = outside_range(mid, self.config.start_price, self.config.end_price,
                                       self.config.range_exit_margin_pct)
                if reason is not None:
                    trip = KillSwitchTrip("range", reason, now)
            if trip is not None:
                self._trip(trip)
        if self._halt is not None:
            await self._wind_down(self._halt, now, position)
        else:
            await self._enter_if_idle(position, mid)
        self._log_status_if_due(now)

    async def _check_while_unavailable(self, now: float) -> None:
        """A connector that is not ready (a lost stream, say) means no book: the stale book trigger still counts."""
        gateway = self._gateway
        if gateway is None:
            return
        if self._halt is None and self._book_changed_at is not None:
            trip = self.kill_switch.check(self.equity, gateway.position(), now - self._book_changed_at)
            if trip is not None:
                self._trip(trip)
        if self._halt is not None:
            await self._wind_down(self._halt, now, gateway.position())

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self.logger().info("\n".join(["GRVT grid stopped; final status:"] + self.to_format_status()))
            self._events.stop()
        super().stop()

    # ------------------------------------------------------------------------------------------------ start
    def _observe_book(self, connector: Any) -> Optional[Decimal]:
        """The mid of the pair's order book, None when the book is not usable."""
        try:  # Hummingbot's order book raises for an empty side: no usable book, as when it is missing
            book = connector.get_order_book(self.config.trading_pair)
            bid, ask = book.get_price(False), book.get_price(True)
        except Exception:
            return None
        if not (bid == bid and ask == ask) or bid <= 0 or ask <= 0:
            return None
        uid = (book.snapshot_uid, book.last_diff_uid)
        if uid != self._book_uid:
            self._book_uid = uid
            self._book_changed_at = time.time()
        self.mid = (Decimal(str(bid)) + Decimal(str(ask))) / 2
        return self.mid

    def _start(self, connector: Any, mid: Decimal) -> None:
        self._gateway = OrderGateway(connector, self.config.trading_pair, post_only=self.config.post_only)
        self._pnl = PnlTracker(self.gateway.position(), mid, start_equity=self.gateway.equity(mid))
        self.legs = grid_legs(self.config.grid_mode, self.config.start_price, self.config.end_price,
                              self.config.levels, mid)
        self._cancel_orders_of_an_earlier_run(connector)
        self._events.on_market(connector, {
            MarketEvent.OrderFilled: self._on_fill,
            MarketEvent.BuyOrderCreated: self._on_created,
            MarketEvent.SellOrderCreated: self._on_created,
            MarketEvent.OrderFailure: self._on_failure,
            MarketEvent.FundingPaymentCompleted: self._on_funding,
        })
        legs = "; ".join(f"{leg.name} {leg.side.name} {len(leg.levels)} levels {leg.start_price:.8g}-"
                         f"{leg.end_price:.8g}" for leg in self.legs)
        self.logger().info(f"GRVT grid ({self.config.grid_mode}) on {self.config.connector_name} "
                           f"{self.config.trading_pair} at {self.mid}: {legs}; {self.kill_switch.describe()}")

    # ------------------------------------------------------------------------------------------------ executors
    def _forget_finished_executors(self, now: float) -> None:
        infos = {info.id: info for info in self.executors_info}
        for leg_name, executor_id in list(self._running.items()):
            info = infos.get(executor_id)
            if info is not None and info.is_done:
                del self._running[leg_name]
                close_type = info.close_type.name if info.close_type else "unknown"
                self._endings.append(f"{leg_name}: {close_type}")
                self.logger().info(f"Grid {leg_name} executor ended ({close_type}) at {self.mid}.")
                if info.close_type is CloseType.STOP_LOSS and self._halt is None:  # it reached its limit price
                    self._trip(KillSwitchTrip("range", f"the {leg_name} executor reached its stop-out price: the price "
                                              f"left the grid range by range_exit_margin_pct", now))

    async def _enter_if_idle(self, position: Decimal, mid: Decimal) -> None:
        if self._running:
            return
        leg = leg_to_enter(self.legs, mid, position)
        if leg is None:
            return
        executor_config = self._executor_config(leg)
        refusal = self._level_amount_refusal(executor_config, mid) or self._margin_refusal(executor_config, mid)
        if refusal is not None:
            if refusal != self._entry_refusal:
                self.logger().error(f"Grid {leg.name} does not start: {refusal}.")
            self._entry_refusal = refusal
            return
        self._entry_refusal = None
        self._running[leg.name] = executor_config.id
        self._leg_runs[leg.name] = self._leg_runs.get(leg.name, 0) + 1
        verb = "starts" if self._leg_runs[leg.name] == 1 else "re-enters"
        self.logger().info(f"Grid {leg.name} {verb} at {mid}: {leg.side.name} {len(leg.levels)} levels "
                           f"{leg.start_price:.8g}-{leg.end_price:.8g}, "
                           f"{leg.levels_to_fill_at_once(mid)} at the touch.")
        await self.send_actions([CreateExecutorAction(controller_id=self.config.id, executor_config=executor_config)])

    def _level_amount_refusal(self, executor_config: GridExecutorConfig, mid: Decimal) -> Optional[str]:
        """Why the levels are too small for the trading rule at the mid, or None. GridExecutor would merge them into
        fewer, wider levels on its own, at prices that are not the grid's."""
        rule = getattr(self.gateway.connector, "trading_rules", {}).get(self.config.trading_pair)
        if rule is None:
            return None
        lot = rule.min_base_amount_increment or rule.min_order_size
        min_notional = max(executor_config.min_order_amount_quote, rule.min_notional_size)
        needed = min_amount_quote_per_level(mid, rule.min_order_size, lot, min_notional)
        needed = needed.quantize(CENT, rounding=ROUND_CEILING) if needed > CENT else needed
        per_level = self.config.amount_quote_per_level
        if per_level >= needed:
            return None
        return (f"total_amount_quote {self.config.total_amount_quote} over {self.config.levels} levels is "
                f"{per_level:.8g} {self.quote} a level, below the {needed} {self.quote} a level needs at "
                f"{mid:.8g} (lot {lot} {self.base}, minimum notional {rule.min_notional_size} {self.quote}); "
                f"raise total_amount_quote to {needed * self.config.levels} or use fewer levels")

    def _margin_refusal(self, executor_config: GridExecutorConfig, mid: Decimal) -> Optional[str]:
        """Why the account cannot margin the leg, by the check GridExecutor makes when it starts, or None: an executor
        failing it ends at once (INSUFFICIENT_BALANCE) and the leg would start again on the next tick."""
        notional = executor_config.total_amount_quote
        leverage = Decimal(self.config.leverage)
        candidate = PerpetualOrderCandidate(trading_pair=self.config.trading_pair, is_maker=True,
                                            order_type=executor_config.triple_barrier_config.open_order_type,
                                            order_side=executor_config.side, amount=notional / mid,
                                            price=mid, leverage=leverage)
        if self.gateway.connector.budget_checker.adjust_candidates([candidate])[0].amount > 0:
            return None
        available = self.gateway.connector.get_available_balance(self.quote)
        return (f"the leg's {notional:.8g} {self.quote} at leverage {self.config.leverage} needs "
                f"{notional / leverage:.8g} {self.quote} of margin plus fees, more than the {available:.8g} "
                f"{self.quote} available; lower total_amount_quote or raise leverage")

    def _executor_config(self, leg: GridLeg) -> GridExecutorConfig:
        config = self.config
        order_type = OrderType.LIMIT_MAKER if config.post_only else OrderType.LIMIT
        margin = config.range_exit_margin_pct / 100
        limit_price = config.start_price * (1 - margin) if leg.side is TradeType.BUY \
            else config.end_price * (1 + margin)
        if margin == 0:
            # GridExecutor's stop-out must lie beyond the range: at its edge the controller's range check stops it.
            limit_price = ZERO
        return GridExecutorConfig(
            timestamp=time.time(),
            connector_name=config.connector_name,
            trading_pair=config.trading_pair,
            side=leg.side,
            start_price=leg.start_price,
            end_price=leg.end_price,
            limit_price=limit_price,
            total_amount_quote=config.amount_quote_per_level * len(leg.levels),
            min_spread_between_orders=leg.min_spread_between_orders,
            max_open_orders=config.max_open_orders,
            # GridExecutor checks max_open_orders only before a batch: cap the batch so the first one respects it.
            max_orders_per_batch=config.max_orders_per_batch or config.max_open_orders,
            order_frequency=config.order_frequency,
            activation_bounds=config.activation_bounds,
            safe_extra_spread=config.safe_extra_spread,
            triple_barrier_config=TripleBarrierConfig(take_profit=leg.take_profit, open_order_type=order_type,
                                                      take_profit_order_type=order_type),
            leverage=config.leverage,
            keep_position=False,
        )

    # ------------------------------------------------------------------------------------------------ stopping
    def _trip(self, trip: KillSwitchTrip) -> None:
        self._halt = trip
        closing = self._closes_position(trip)
        kind = "Grid stopped" if trip.trigger == "range" else f"Kill switch tripped on {self.config.trading_pair}"
        self.logger().error(f"{kind}: {trip.reason}. Cancelling every order"
                            f"{', closing the position' if closing else ''}; the grid does not re-enter.")

    def _closes_position(self, trip: KillSwitchTrip) -> bool:
        """The range exit closes the position; a kill switch trip only with kill_switch_flatten; the manual kill switch
        never: it only stops the grid, as in the market maker."""
        if trip.trigger == "range":
            return True
        return self.config.kill_switch_flatten and trip.trigger != "manual"

    async def _wind_down(self, trip: KillSwitchTrip, now: float, position: Decimal) -> None:
        closing = self._closes_position(trip)
        if not self._stop_sent:
            self._stop_sent = True
            actions: List[ExecutorAction] = [
                StopExecutorAction(controller_id=self.config.id, executor_id=executor_id, keep_position=not closing)
                for executor_id in self._running.values()]
            if actions:
                await self.send_actions(actions)
        if self._running:
            return  # the executors cancel their orders (and close their positions) first
        leftovers = self.gateway.open_order_ids()
        if leftovers:
            self.gateway.cancel([order_id for order_id in leftovers if order_id != self._flatten_order_id])
            return
        if not closing or position == 0:
            return
        if self._flatten_order_id is not None and now - self._flatten_sent_at < FLATTEN_RETRY_SECONDS:
            return
        self._flatten_order_id = self.gateway.close_position(position)
        self._flatten_sent_at = now
        if self._flatten_order_id is not None:
            self.logger().info(f"Grid: closing the remaining position {position} with a reduce-only market order.")
        elif self._unclosable_position != position:
            self._unclosable_position = position
            self.logger().warning(f"Grid: the remaining position {position} is below the pair's minimum order size "
                                  f"or notional, so no order can close it: close it on GRVT by hand.")

    # ------------------------------------------------------------------------------------------------ events
    def _is_ours(self, order_id: str, trading_pair: Optional[str] = None) -> bool:
        if trading_pair is not None:
            return trading_pair == self.config.trading_pair
        tracker = getattr(self.gateway.connector, "_order_tracker", None)
        order = tracker.fetch_order(client_order_id=order_id) if tracker is not None else None
        return order is None or order.trading_pair == self.config.trading_pair

    def _on_fill(self, event: Any) -> None:
        if event.trading_pair == self.config.trading_pair and self._pnl is not None:
            self._pnl.on_fill(event.trade_type, Decimal(event.price), Decimal(event.amount),
                              fee_in_quote(event, self.config.trading_pair), self.mid)

    def _on_created(self, event: Any) -> None:
        if self._is_ours(event.order_id, event.trading_pair):
            self.kill_switch.record_order_outcome(False)

    def _on_failure(self, event: Any) -> None:
        if self._is_ours(event.order_id):
            self.kill_switch.record_order_outcome(True)

    # ------------------------------------------------------------------------------------------------ status
    def to_format_status(self) -> List[str]:
        config = self.config
        if self._halt is not None:
            state = f"STOPPED: {self._halt.reason}"
        elif self._running:
            state = "running " + ", ".join(self._running)
        elif self._entry_refusal is not None:
            state = f"NOT STARTING: {self._entry_refusal}"
        else:
            state = "waiting for the price to enter a leg"
        lines = [f"GRVT grid [{config.grid_mode}] {config.trading_pair} on {config.connector_name} "
                 f"{config.start_price}-{config.end_price}, {config.levels} levels: {state}"]
        if self.mid is None:
            return lines + ["  waiting for the order book"]
        lines.append(f"  mid {self.mid}; legs: " + "; ".join(
            f"{leg.name} {leg.side.name} {leg.start_price:.8g}-{leg.end_price:.8g} ({len(leg.levels)} levels, "
            f"runs {self._leg_runs.get(leg.name, 0)})" for leg in self.legs))
        infos = {info.id: info for info in self.executors_info}
        for leg_name, executor_id in self._running.items():
            info = infos.get(executor_id)
            if info is not None:
                states = info.custom_info.get("levels_by_state", {})
                counts = ", ".join(f"{state} {count}" for state, count in states.items() if count)
                lines.append(f"  {leg_name} executor: {counts}")
        if self._endings:
            lines.append("  executor endings: " + ", ".join(self._endings[-6:]))
        if self._gateway is not None:
            lines.append("  " + position_line(self.gateway.position(), self.base, None, self.equity,
                                              self.kill_switch, self.quote))
            lines.append("  " + pnl_line(self.pnl.breakdown(self.mid), self.quote))
            lines.extend("  " + line for line in latency_lines(None, self.gateway.connector))
        lines.append("  " + self.kill_switch.describe())
        return lines

    def get_custom_info(self) -> dict:
        pnl = self._pnl.breakdown(self.mid) if self._pnl is not None else None
        return {
            "halted": self._halt.reason if self._halt else None,
            "running_legs": list(self._running),
            # The executors' PnL is in Hummingbot's performance report already.
            "pnl_total": None,
            "fees_net": float(pnl.fees_net) if pnl else 0.0,
        }
