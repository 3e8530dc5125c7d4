"""GRVT market maker: post-only quotes on a perpetual, priced like Hummingbot's pure_market_making (``pmm``) or
avellaneda_market_making (``avellaneda``), with the signed position as the inventory.

Both modes: an optional volatility-scaled spread (rolling standard deviation or ATR of the mid, with a floor and a
cap), a bounded inventory skew (long lowers both quotes), a quoting limit on the position, and quotes replaced only
when their price moved beyond ``order_refresh_tolerance_pct`` (after ``order_refresh_time``) or they outlived
``max_order_age``: the cancels and the new orders of a requote go out as one batch each where the connector supports
it. A kill switch (drawdown, position, stale book, order error rate) cancels everything, optionally closes the
position with reduce-only orders, and stops quoting. The status shows the quotes, the position, the PnL split into
spread capture, inventory, fees and rebates, and funding, and latency percentiles from the book update that moved a
quote to the order leaving the bot, and on to the exchange's acknowledgement.

The controller places and cancels its own orders on the connector (no executors), so a requote is one batch and its
latency is measured end to end. Run it with ``scripts/grvt_v2_controllers.py`` (see conf/scripts/).
"""
import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, List, Optional, Self, Tuple

from pydantic import model_validator

from controllers.grvt_common import pricing
from controllers.grvt_common.controller import GrvtControllerMixin
from controllers.grvt_common.kill_switch import KillSwitch, KillSwitchSettings, KillSwitchTrip
from controllers.grvt_common.latency import LatencyTracker
from controllers.grvt_common.market_signals import MidSampler, TradingIntensityEstimator
from controllers.grvt_common.pnl import PnlTracker
from controllers.grvt_common.settings import MarketSettings, config_field as _field, one_of
from controllers.grvt_common.status import latency_lines, pnl_line, position_line
from controllers.grvt_common.trading import ConnectorEvents, OrderGateway, OrderRequest, fee_in_quote
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.order_candidate import PerpetualOrderCandidate
from hummingbot.core.event.events import MarketEvent
from hummingbot.core.utils.async_utils import safe_ensure_future
from hummingbot.data_feed.market_data_provider import MarketDataProvider
from hummingbot.strategy_v2.controllers.controller_base import ControllerBase, ControllerConfigBase

ZERO = Decimal(0)
PRICING_MODES = ("pmm", "avellaneda")
VOLATILITY_METHODS = ("stdev", "atr")
FLATTEN_RETRY_SECONDS = 3.0
CANCEL_RETRY_SECONDS = 3.0
POSITION_SETTLE_SECONDS = 3.0
VANISHED_QUOTE_SECONDS = 10.0
STOP_CANCEL_DEADLINE_SECONDS = 60.0


class GrvtMarketMakerConfig(MarketSettings, KillSwitchSettings, ControllerConfigBase):
    controller_type: str = "market_making"
    controller_name: str = "grvt_market_maker"
    pricing_mode: str = _field("pmm", "Pricing mode (pmm or avellaneda): ", on_new=True, updatable=False)
    order_amount: Decimal = _field(Decimal("0.001"), "Order amount in base asset: ", on_new=True, gt=0)
    order_levels: int = _field(1, "Orders on each side: ", on_new=True, ge=1)
    order_level_amount: Decimal = _field(ZERO, "Amount added to each further level, in base asset: ")
    order_level_spread: Decimal = _field(Decimal("1"), "pmm: spread added per further level, in % (1 = 1 %): ", ge=0)
    bid_spread: Decimal = _field(Decimal("0.05"), "pmm: bid spread from the mid, in % (1 = 1 %): ", on_new=True, ge=0)
    ask_spread: Decimal = _field(Decimal("0.05"), "pmm: ask spread from the mid, in % (1 = 1 %): ", on_new=True, ge=0)
    minimum_spread: Decimal = _field(Decimal("-100"), "pmm: cancel orders closer to the mid than this, in %: ")
    order_refresh_time: float = _field(30.0, "Seconds before an order may be replaced: ", on_new=True, gt=0)
    order_refresh_tolerance_pct: Decimal = _field(ZERO, "Keep orders whose price moved less than this, in %: ",
                                                  ge=-10, le=10)
    max_order_age: float = _field(1800.0, "Replace orders older than this many seconds: ", gt=0)
    filled_order_delay: float = _field(60.0, "Seconds to wait after a fill before placing new orders: ", ge=0)
    price_ceiling: Decimal = _field(Decimal("-1"), "pmm: above this price only sell (-1 = off): ")
    price_floor: Decimal = _field(Decimal("-1"), "pmm: below this price only buy (-1 = off): ")
    inventory_skew_enabled: bool = _field(False, "pmm: skew the quotes toward the target position? (True/False): ")
    target_position: Decimal = _field(ZERO, "Target position in base asset, signed (0 = flat): ")
    inventory_range_multiplier: Decimal = _field(
        Decimal("1"), "pmm: tolerated distance from the target, in multiples of one side's total order size: ", gt=0)
    max_price_skew_pct: Decimal = _field(
        Decimal("0.05"), "Bound on how far the skew moves both quotes, in % of the mid (0 = pmm: no price skew, "
        "avellaneda: unbounded): ", ge=0)
    max_position: Decimal = _field(ZERO, "Largest absolute position the quotes may build, in base asset "
                                   "(0 = 10 order amounts): ", on_new=True, ge=0)
    # avellaneda
    risk_factor: Decimal = _field(Decimal("1"), "avellaneda: risk factor (gamma): ", gt=0)
    order_amount_shape_factor: Decimal = _field(ZERO, "avellaneda: order amount shape factor (eta), 0-1: ", ge=0,
                                                le=1)
    min_spread: Decimal = _field(ZERO, "avellaneda: minimum spread, in % of the mid: ", ge=0)
    volatility_buffer_size: int = _field(200, "avellaneda: mid samples (one a second) for the volatility: ",
                                         updatable=False, ge=2, le=10_000)
    trading_intensity_buffer_size: int = _field(200, "avellaneda: seconds of trades for the trading intensity: ",
                                                updatable=False, ge=1, le=10_000)
    level_distances: Decimal = _field(ZERO, "avellaneda: distance between levels, in % of the optimal spread: ", ge=0)
    execution_timeframe: str = _field("infinite", "avellaneda: infinite, from_date_to_date or daily_between_times: ")
    start_time: Optional[str] = _field(None, "avellaneda: window start (HH:MM:SS, or YYYY-MM-DD HH:MM:SS): ")
    end_time: Optional[str] = _field(None, "avellaneda: window end (HH:MM:SS, or YYYY-MM-DD HH:MM:SS): ")
    # volatility-scaled spread
    volatility_spread_enabled: bool = _field(False, "Widen the spread with the volatility? (True/False): ")
    volatility_method: str = _field("stdev", "Volatility measure (stdev or atr): ")
    volatility_window: int = _field(60, "Mid samples (stdev) or bars (atr) the volatility looks at: ",
                                    updatable=False, ge=2)
    volatility_bar_samples: int = _field(10, "atr: mid samples per bar: ", updatable=False, ge=1)
    volatility_multiplier: Decimal = _field(Decimal("2"), "Spread = multiplier x volatility, at least: ", ge=0)
    volatility_spread_floor_pct: Decimal = _field(ZERO, "Volatility-scaled spread floor, in %: ", ge=0)
    volatility_spread_cap_pct: Decimal = _field(Decimal("1"), "Volatility-scaled spread cap, in % (0 = none): ", ge=0)
    # execution
    post_only: bool = _field(True, "Post-only (maker) quotes? (True/False): ")
    book_poll_interval: float = _field(0.1, "Seconds between looks at the order book: ", updatable=False, gt=0)
    sample_interval: float = _field(1.0, "Seconds between mid samples (volatility, trading intensity): ",
                                    updatable=False, gt=0)
    status_log_interval: float = _field(0.0, "Seconds between status lines in the log (0 = only at stop): ", ge=0)

    validate_pricing_mode = one_of("pricing_mode", PRICING_MODES)
    validate_volatility_method = one_of("volatility_method", VOLATILITY_METHODS)
    validate_timeframe = one_of("execution_timeframe", pricing.TIMEFRAMES)

    @model_validator(mode="after")
    def validate_window(self) -> Self:
        if self.execution_timeframe != "infinite":
            if not self.start_time or not self.end_time:
                raise ValueError(f"execution_timeframe {self.execution_timeframe} needs start_time and end_time")
            pricing.time_left_fraction(self.execution_timeframe, datetime.now(), self.start_time, self.end_time)
        return self

    @model_validator(mode="after")
    def validate_bounds(self) -> Self:
        if 0 < self.price_ceiling < self.price_floor:  # between them neither side would be quoted
            raise ValueError(f"price_floor {self.price_floor} must be below price_ceiling {self.price_ceiling}")
        if 0 < self.volatility_spread_cap_pct < self.volatility_spread_floor_pct:  # the cap would win
            raise ValueError(f"volatility_spread_floor_pct {self.volatility_spread_floor_pct} must not be above "
                             f"volatility_spread_cap_pct {self.volatility_spread_cap_pct}")
        if self.pricing_mode == "pmm" and self.volatility_spread_enabled and self.volatility_spread_cap_pct > 0:
            for side in ("bid_spread", "ask_spread"):  # the cap would quote tighter than configured
                if getattr(self, side) > self.volatility_spread_cap_pct:
                    raise ValueError(f"{side} {getattr(self, side)} is above volatility_spread_cap_pct "
                                     f"{self.volatility_spread_cap_pct}, which would quote it at the cap; raise the "
                                     f"cap (0 = none)")
        if abs(self.target_position) > self.position_limit:  # the skew would push against the limit for good
            raise ValueError(f"target_position {self.target_position} must be within the quoting limit "
                             f"{self.position_limit} (max_position, 0 = 10 order amounts)")
        return self

    @property
    def position_limit(self) -> Decimal:
        return self.max_position if self.max_position > 0 else self.order_amount * 10

    @property
    def one_side_order_size(self) -> Decimal:
        return sum((self.order_amount + self.order_level_amount * level for level in range(self.order_levels)), ZERO)


@dataclass
class LiveQuote:
    client_order_id: str
    side: TradeType
    level: int
    price: Decimal
    amount: Decimal
    created_at: float
    filled: Decimal = ZERO
    acknowledged: bool = False
    cancel_requested_at: Optional[float] = None

    @property
    def key(self) -> Tuple[TradeType, int]:
        return self.side, self.level

    @property
    def remaining(self) -> Decimal:
        return max(ZERO, self.amount - self.filled)


class GrvtMarketMaker(GrvtControllerMixin, ControllerBase):
    _logger = None

    @classmethod
    def logger(cls) -> logging.Logger:
        if cls._logger is None:
            cls._logger = logging.getLogger(__name__)
        return cls._logger

    def __init__(self, config: GrvtMarketMakerConfig, market_data_provider: MarketDataProvider,
                 actions_queue: asyncio.Queue):
        super().__init__(config, market_data_provider, actions_queue, update_interval=config.book_poll_interval)
        self.config: GrvtMarketMakerConfig = config
        self.base, self.quote = config.trading_pair.split("-")
        self.kill_switch = KillSwitch(config)
        self.latency = LatencyTracker()
        self.mid_sampler = MidSampler(config.sample_interval,
                                      max(config.volatility_buffer_size,
                                          config.volatility_window * config.volatility_bar_samples) + 2)
        self.intensity = TradingIntensityEstimator(config.trading_intensity_buffer_size, config.sample_interval)
        self._pnl: Optional[PnlTracker] = None
        self.quotes: Dict[str, LiveQuote] = {}
        self._gateway: Optional[OrderGateway] = None
        self._events = ConnectorEvents()
        self._subscribed_book = None
        self._started = False
        self._halt: Optional[KillSwitchTrip] = None
        self._flatten_order_id: Optional[str] = None
        self._flatten_sent_at = 0.0
        self._unclosable_position: Optional[Decimal] = None
        self._last_cancel_sweep = 0.0
        self._position = ZERO
        self._last_fill_time = 0.0
        self._failed_at: Dict[Tuple[TradeType, int], float] = {}  # when a quote of this side and level last failed
        self._raised_order_amount: Optional[Decimal] = None  # the configured order_amount reported below the minimum
        self._book_uid: Optional[Tuple[int, int]] = None
        self._book_moved_now = False
        self._book_seen_at: Optional[float] = None  # perf_counter when the current book state was first seen
        self._book_changed_at: Optional[float] = None  # wall clock of the same moment
        self.mid: Optional[Decimal] = None
        self.best_bid: Optional[Decimal] = None
        self.best_ask: Optional[Decimal] = None
        self.equity: Optional[Decimal] = None
        self._last_proposal_note = ""
        self._last_status_log = self._created_at = time.time()
        self._stopped = False
        self.orders_submitted = 0

    # ------------------------------------------------------------------------------------------------ controller API
    async def control_task(self) -> None:
        connector = self.market_data_provider.connectors.get(self.config.connector_name)
        if self._stopped or connector is None:
            return
        if not connector.ready or not self._observe_book(connector):
            self._check_while_unavailable(time.time())
            return
        now = time.time()
        if not self._started:
            self._start(connector)
        self._settle_position(now)
        self._forget_vanished_quotes(now)
        self._retry_stale_cancels(now)
        self.equity = self.pnl.equity(self.mid)
        if self.equity is not None:
            self.kill_switch.start(self.equity)
        if self._halt is None:
            seconds_stale = now - self._book_changed_at if self._book_changed_at is not None else None
            trip = self.kill_switch.check(self.equity, self._risk_position(), seconds_stale)
            if trip is None and self.config.manual_kill_switch:
                trip = KillSwitchTrip("manual", "manual kill switch set in the config", now)
            if trip is not None:
                self._trip(trip)
        if self._halt is not None:
            self._wind_down(self._halt, now)
        else:
            self._quote(now)
        self._log_status_if_due(now)

    def _check_while_unavailable(self, now: float) -> None:
        """A connector that is not ready (a lost stream, say) means no book: the stale book trigger still counts, and
        lost cancels are still sent again."""
        if not self._started:
            return
        self._retry_stale_cancels(now)
        if self._halt is None and self._book_changed_at is not None:
            trip = self.kill_switch.check(self.equity, self._risk_position(), now - self._book_changed_at)
            if trip is not None:
                self._trip(trip)
        if self._halt is not None:
            self._wind_down(self._halt, now)

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._cancel_quotes(list(self.quotes.values()), time.time())
            self.logger().info("\n".join(["GRVT market maker stopped; final status:"] + self.to_format_status()))
            self._events.stop()
            if self.quotes:
                safe_ensure_future(self._cancel_until_gone(list(self.quotes.values())))
        super().stop()

    async def _cancel_until_gone(self, quotes: List[LiveQuote]) -> None:
        """The stop's cancels may be lost, and no control task retries them any more (the strategy may run on, as
        after a controller's drawdown stop): cancels again what the connector still tracks as live until it does not,
        or names what may still rest when the deadline passes."""
        deadline = asyncio.get_running_loop().time() + STOP_CANCEL_DEADLINE_SECONDS
        while True:
            await asyncio.sleep(CANCEL_RETRY_SECONDS)
            live = set(self.gateway.open_order_ids())
            quotes = [quote for quote in quotes if quote.client_order_id in live]
            if not quotes:
                return
            if asyncio.get_running_loop().time() >= deadline:
                resting = "; ".join(f"{quote.side.name} {quote.remaining} @ {quote.price} ({quote.client_order_id})"
                                    for quote in quotes)
                self.logger().error(
                    f"GRVT market maker stopped, but {self.config.connector_name} has not confirmed the cancel of "
                    f"{len(quotes)} {self.config.trading_pair} quotes after {STOP_CANCEL_DEADLINE_SECONDS:.0f} s; they "
                    f"may still rest: {resting}")
                return
            self.gateway.cancel([quote.client_order_id for quote in quotes])

    # ------------------------------------------------------------------------------------------------ market data
    def _observe_book(self, connector: Any) -> bool:
        try:  # Hummingbot's order book raises for an empty side: no usable book, as when it is missing
            book = connector.get_order_book(self.config.trading_pair)
            bid, ask = book.get_price(False), book.get_price(True)
        except Exception:
            return False
        if not (bid == bid and ask == ask) or bid <= 0 or ask <= 0:
            return False
        uid = (book.snapshot_uid, book.last_diff_uid)
        self._book_moved_now = uid != self._book_uid
        if self._book_moved_now:
            self._book_uid = uid
            self._book_seen_at = time.perf_counter()
            self._book_changed_at = time.time()
        self.best_bid, self.best_ask = Decimal(str(bid)), Decimal(str(ask))
        self.mid = (self.best_bid + self.best_ask) / 2
        self.mid_sampler.add(time.time(), float(self.mid))
        self.intensity.roll(time.time())
        if book is not self._subscribed_book:
            self._subscribed_book = book
            self._events.on_trades(book, self._on_public_trade)
        return True

    def _on_public_trade(self, event: Any) -> None:
        if getattr(event, "trading_pair", self.config.trading_pair) != self.config.trading_pair:
            return
        mid = float(self.mid) if self.mid is not None else None
        self.intensity.add_trade(time.time(), float(event.price), float(event.amount), mid)

    # ------------------------------------------------------------------------------------------------ start
    def _start(self, connector: Any) -> None:
        self._started = True
        self._gateway = OrderGateway(connector, self.config.trading_pair, post_only=self.config.post_only)
        self._position = self.gateway.position()
        self._pnl = PnlTracker(self._position, self.mid, start_equity=self.gateway.equity(self.mid))
        self._cancel_orders_of_an_earlier_run(connector)
        self._events.on_market(connector, {
            MarketEvent.BuyOrderCreated: self._on_order_created,
            MarketEvent.SellOrderCreated: self._on_order_created,
            MarketEvent.OrderFilled: self._on_order_filled,
            MarketEvent.OrderCancelled: self._on_order_done,
            MarketEvent.BuyOrderCompleted: self._on_order_done,
            MarketEvent.SellOrderCompleted: self._on_order_done,
            MarketEvent.OrderExpired: self._on_order_done,
            MarketEvent.OrderFailure: self._on_order_failed,
            MarketEvent.FundingPaymentCompleted: self._on_funding,
        })
        batch = "one batch per requote" if self.gateway.batch_create else "one request per order"
        self.logger().info(f"GRVT market maker ({self.config.pricing_mode}) on {self.config.connector_name} "
                           f"{self.config.trading_pair}: position {self._position}, {batch}; "
                           f"{self.kill_switch.describe()}")

    # ------------------------------------------------------------------------------------------------ position
    def _settle_position(self, now: float) -> None:
        """Adopts the exchange's position once no fill of ours is in flight (it lags the fill events)."""
        if now - self._last_fill_time < POSITION_SETTLE_SECONDS:
            return
        exchange_position = self.gateway.position()
        if exchange_position != self._position:
            self.logger().debug(f"position {self._position} -> {exchange_position} (exchange)")
            self._position = exchange_position

    def _forget_vanished_quotes(self, now: float) -> None:
        """Drops quotes the connector no longer tracks although no event said so (a cancel of an order that was
        already gone): they would otherwise count against the position limit for ever."""
        tracked = self.gateway.connector.in_flight_orders
        for order_id, quote in list(self.quotes.items()):
            if order_id not in tracked and now - quote.created_at > VANISHED_QUOTE_SECONDS:
                self.quotes.pop(order_id, None)
                self.latency.forget(order_id)

    def _risk_position(self) -> Decimal:
        exchange_position = self.gateway.position()
        return exchange_position if abs(exchange_position) > abs(self._position) else self._position

    def _exposure(self, side: TradeType) -> Decimal:
        """What our live orders on a side could still add to the position (pending cancels included)."""
        return sum((quote.remaining for quote in self.quotes.values() if quote.side is side), ZERO)

    # ------------------------------------------------------------------------------------------------ pricing
    def _proposal(self, now: float) -> Optional[List[pricing.QuoteLevel]]:
        config = self.config
        mid = self.mid
        if mid is None:
            return None
        volatility_pct = self._volatility_pct()
        if config.pricing_mode == "pmm":
            bid_spread, ask_spread = config.bid_spread, config.ask_spread
            if config.volatility_spread_enabled:
                bid_spread = self._scaled(bid_spread, volatility_pct)
                ask_spread = self._scaled(ask_spread, volatility_pct)
            quotes = pricing.pmm_levels(mid, bid_spread, ask_spread, config.order_amount, config.order_levels,
                                        config.order_level_spread, config.order_level_amount)
            if config.inventory_skew_enabled:
                q = pricing.inventory_ratio(self._position, config.target_position,
                                            config.one_side_order_size * config.inventory_range_multiplier)
                quotes = pricing.scale_sizes(quotes, *pricing.size_skew_ratios(q))
                quotes = pricing.shift_quotes(quotes, pricing.bounded_price_skew(q, mid, config.max_price_skew_pct))
            self._last_proposal_note = (f"spreads bid {bid_spread:.4f} % ask {ask_spread:.4f} %"
                                        + (f" (volatility {volatility_pct:.4f} %)" if volatility_pct else ""))
        else:
            tau = pricing.time_left_fraction(config.execution_timeframe, datetime.now(), config.start_time,
                                             config.end_time)
            if tau is None:
                self._last_proposal_note = "outside the execution timeframe: not quoting"
                return []
            volatility = self.mid_sampler.price_volatility(config.volatility_buffer_size)  # None: too few samples
            if volatility is None or not self.mid_sampler.has(config.volatility_buffer_size) \
                    or not self.intensity.ready or (intensity := self.intensity.estimate()) is None:
                self._last_proposal_note = (
                    f"warming up: {len(self.mid_sampler)}/{config.volatility_buffer_size} mid samples, "
                    f"{self.intensity.observed_intervals}/{config.trading_intensity_buffer_size} s of trades")
                return None
            sigma = Decimal(str(volatility))
            kappa = Decimal(str(intensity.kappa))
            q = pricing.inventory_ratio(self._position, config.target_position, config.position_limit)
            min_half = max_half = ZERO
            if config.volatility_spread_enabled:
                min_half = self._scaled(ZERO, volatility_pct)
                max_half = config.volatility_spread_cap_pct
            quote = pricing.avellaneda_quote(mid, q, config.risk_factor, sigma, kappa, tau, config.min_spread,
                                             config.max_price_skew_pct, min_half, max_half)
            buy_amount, sell_amount = pricing.shaped_amounts(config.order_amount, q,
                                                             config.order_amount_shape_factor)
            quotes = pricing.avellaneda_levels(quote, buy_amount, sell_amount, config.order_levels,
                                               config.level_distances)
            self._last_proposal_note = (f"reservation {quote.reservation_price:.4f} spread {quote.optimal_spread:.4f} "
                                        f"(q {q:+.3f}, sigma {sigma:.4f}, kappa {kappa:.4f}, tau {tau:.3f})")
        quotes = pricing.apply_price_band(quotes, mid, config.price_ceiling, config.price_floor)
        tick = self._tick()
        if config.post_only:
            quotes = pricing.keep_passive(quotes, self.best_bid, self.best_ask, tick)
        quotes = [pricing.QuoteLevel(quote.side, quote.level, pricing.round_to_tick(quote.price, tick, quote.side),
                                     quote.amount) for quote in quotes]
        return [quote for quote in quotes if quote.price > 0]  # a ladder or skew reaching 100 % below the mid

    def _scaled(self, spread_pct: Decimal, volatility_pct: Optional[Decimal]) -> Decimal:
        config = self.config
        return pricing.volatility_scaled_spread(spread_pct, volatility_pct, config.volatility_multiplier,
                                                config.volatility_spread_floor_pct, config.volatility_spread_cap_pct)

    def _volatility_pct(self) -> Optional[Decimal]:
        config = self.config
        if config.volatility_method == "atr":
            value = self.mid_sampler.atr(config.volatility_window, config.volatility_bar_samples)
        else:
            value = self.mid_sampler.return_volatility(config.volatility_window)
        return Decimal(str(value * 100)) if value is not None else None

    def _tick(self) -> Decimal:
        rule = self.gateway.connector.trading_rules.get(self.config.trading_pair)
        return Decimal(str(rule.min_price_increment)) if rule is not None else ZERO

    # ------------------------------------------------------------------------------------------------ quoting
    def _quote(self, now: float) -> None:
        proposal = self._proposal(now)
        if proposal is None:
            return
        config = self.config
        # A target inside the minimum spread would be cancelled by the next tick's check and placed again at once:
        # it is not placed at all.
        targets = {quote.key: quote for quote in proposal if not self._inside_minimum_spread(quote.price)}
        to_cancel: List[LiveQuote] = []
        covered = set()
        replaced = set()
        for quote in [q for q in self.quotes.values() if q.cancel_requested_at is None]:
            target = targets.get(quote.key)
            age = now - quote.created_at
            if target is None or quote.key in covered:
                to_cancel.append(quote)
            elif age >= config.max_order_age:
                to_cancel.append(quote)
                replaced.add(quote.key)
            elif age >= config.order_refresh_time and pricing.exceeds_tolerance(
                    quote.price, target.price, config.order_refresh_tolerance_pct):
                to_cancel.append(quote)
                replaced.add(quote.key)
            elif self._inside_minimum_spread(quote.price):
                to_cancel.append(quote)
            else:
                covered.add(quote.key)
        self._cancel_quotes(to_cancel, now)
        if now < self._last_fill_time + config.filled_order_delay:
            return
        # A refused quote waits the refresh time, as pure_market_making's next creation does, instead of going out
        # again on every tick.
        wanted = [target for key, target in targets.items() if key not in covered
                  and now - self._failed_at.get(key, float("-inf")) >= config.order_refresh_time]
        requests = self._within_limits(wanted)
        if not requests:
            return
        # A requote this book update caused: its latency counts from when the bot saw the update.
        book_seen = self._book_seen_at if self._book_moved_now and replaced else None
        self._send(requests, book_seen, now)

    def _inside_minimum_spread(self, price: Decimal) -> bool:
        """pure_market_making's minimum_spread: an order closer to the mid than this (in %) is not kept."""
        minimum = self.config.minimum_spread
        mid = self.mid
        return minimum > -100 and mid is not None and abs(price - mid) / mid * 100 < minimum

    def _within_limits(self, wanted: List[pricing.QuoteLevel]) -> List[Tuple[pricing.QuoteLevel, Decimal]]:
        """Cuts each side so that, were every live and new order on it filled, |position| stays within the limit,
        then lets the connector's budget checker trim what the margin cannot carry. An order the skew shrank below
        the exchange's minimum goes out at the minimum instead (a side disappears only when its size reaches 0)."""
        connector = self.gateway.connector
        pair = self.config.trading_pair
        limit = self.config.position_limit
        room = {TradeType.BUY: limit - self._position - self._exposure(TradeType.BUY),
                TradeType.SELL: limit + self._position - self._exposure(TradeType.SELL)}
        sized = []
        for quote in sorted(wanted, key=lambda q: q.level):
            minimum = self._minimum_amount(quote.price)
            amount = connector.quantize_order_amount(pair, min(quote.amount, room[quote.side]))
            if amount < minimum and quote.amount > 0 and room[quote.side] >= minimum:
                amount = minimum
                self._report_order_amount_below(minimum)
            if amount <= 0 or amount < minimum:
                continue
            room[quote.side] -= amount
            sized.append((quote, amount))
        if not sized:
            return []
        candidates = [PerpetualOrderCandidate(
            trading_pair=pair, is_maker=True, order_type=OrderType.LIMIT_MAKER,
            order_side=quote.side, amount=amount, price=quote.price, leverage=Decimal(self.config.leverage))
            for quote, amount in sized]
        try:
            candidates = connector.budget_checker.adjust_candidates(candidates, all_or_none=False)
        except Exception as exception:
            self.logger().debug(f"budget check skipped: {exception}")
            return sized
        return [(quote, amount) for (quote, amount), candidate in zip(sized, candidates) if candidate.amount >= amount]

    def _report_order_amount_below(self, minimum: Decimal) -> None:
        """Tells once per configured order_amount that it is below the exchange's minimum (quotes go out larger)."""
        configured = self.config.order_amount
        if configured < minimum and configured != self._raised_order_amount:
            self._raised_order_amount = configured
            self.logger().warning(
                f"order_amount {configured} is below GRVT's minimum order size for {self.config.trading_pair} "
                f"({minimum} at the current price, minimum size or notional): quotes go out at {minimum} instead.")

    def _minimum_amount(self, price: Decimal) -> Decimal:
        """The smallest amount the exchange takes at ``price``: its minimum size and minimum notional, in lots."""
        rule = self.gateway.connector.trading_rules.get(self.config.trading_pair)
        if rule is None or price <= 0:
            return ZERO
        lot = Decimal(str(rule.min_base_amount_increment)) or Decimal(str(rule.min_order_size))
        minimum = Decimal(str(rule.min_order_size))
        notional = Decimal(str(rule.min_notional_size))
        if notional > 0 and lot > 0:
            minimum = max(minimum, (notional / price / lot).to_integral_value(rounding="ROUND_CEILING") * lot)
        return minimum

    def _send(self, requests: List[Tuple[pricing.QuoteLevel, Decimal]], book_seen: Optional[float], now: float) -> None:
        handed_over = time.perf_counter()
        try:
            order_ids = self.gateway.create([OrderRequest(quote.side, quote.price, amount)
                                             for quote, amount in requests])
        except Exception as exception:
            self.logger().error(f"Could not place quotes: {exception}", exc_info=True)
            self.kill_switch.record_order_outcome(True)
            return
        self.orders_submitted += len(order_ids)
        for (quote, amount), order_id in zip(requests, order_ids):
            self.quotes[order_id] = LiveQuote(order_id, quote.side, quote.level, quote.price, amount, now)
            self.latency.submitted(order_id, book_seen, handed_over)

    def _cancel_quotes(self, quotes: List[LiveQuote], now: float) -> None:
        quotes = [quote for quote in quotes if quote.cancel_requested_at is None]
        if not quotes or self._gateway is None:
            return
        for quote in quotes:
            quote.cancel_requested_at = now
        try:
            self.gateway.cancel([quote.client_order_id for quote in quotes])
        except Exception as exception:
            self.logger().warning(f"Could not cancel quotes: {exception}")

    # ------------------------------------------------------------------------------------------------ kill switch
    def _trip(self, trip: KillSwitchTrip) -> None:
        self._halt = trip
        action = "cancelling every order, closing the position with reduce-only orders" \
            if self.config.kill_switch_flatten else "cancelling every order"
        self.logger().error(f"Kill switch tripped on {self.config.trading_pair}: {trip.reason}. {action}; "
                            f"quoting stopped.")
        self._cancel_quotes(list(self.quotes.values()), time.time())
        self.gateway.cancel([order_id for order_id in self.gateway.open_order_ids() if order_id not in self.quotes])

    def _retry_stale_cancels(self, now: float) -> None:
        """Cancels again the quotes still live a while after their cancel: a lost cancel would otherwise leave the
        order resting, and counting against the position limit, until the strategy stops."""
        if now - self._last_cancel_sweep < CANCEL_RETRY_SECONDS:
            return
        self._last_cancel_sweep = now
        stale = [quote for quote in self.quotes.values() if quote.cancel_requested_at is not None
                 and now - quote.cancel_requested_at >= CANCEL_RETRY_SECONDS]
        for quote in stale:
            quote.cancel_requested_at = None
        self._cancel_quotes(stale, now)

    def _wind_down(self, trip: KillSwitchTrip, now: float) -> None:
        """After a trip: keep cancelling what is left (see _retry_stale_cancels), and close the position when asked
        to."""
        if not self.config.kill_switch_flatten or trip.trigger == "manual" or self.quotes:
            return
        if self._flatten_order_id is not None and now - self._flatten_sent_at < FLATTEN_RETRY_SECONDS:
            return
        position = self.gateway.position()
        if position == 0:
            return
        self._flatten_order_id = self.gateway.close_position(position)
        self._flatten_sent_at = now
        if self._flatten_order_id is not None:
            self.logger().info(f"Kill switch: closing position {position} with a reduce-only market order.")
        elif self._unclosable_position != position:
            self._unclosable_position = position
            self.logger().warning(f"Kill switch: position {position} is below the pair's minimum order size or "
                                  f"notional, so no order can close it: close it on GRVT by hand.")

    # ------------------------------------------------------------------------------------------------ events
    def _on_order_created(self, event: Any) -> None:
        quote = self.quotes.get(event.order_id)
        if quote is None:
            return
        quote.acknowledged = True
        self.latency.acknowledged(event.order_id, getattr(self.gateway.connector, "order_metrics", None))
        self.kill_switch.record_order_outcome(False)

    def _on_order_filled(self, event: Any) -> None:
        quote = self.quotes.get(event.order_id)
        is_flatten = event.order_id == self._flatten_order_id
        if quote is None and not is_flatten:
            return
        amount = Decimal(event.amount)
        self._position += amount if event.trade_type is TradeType.BUY else -amount
        self._last_fill_time = time.time()
        self.pnl.on_fill(event.trade_type, Decimal(event.price), amount,
                         fee_in_quote(event, self.config.trading_pair), self.mid)
        if quote is not None:
            quote.filled += amount
            if quote.remaining <= 0:
                self.quotes.pop(event.order_id, None)

    def _on_order_done(self, event: Any) -> None:
        self.quotes.pop(event.order_id, None)
        self.latency.forget(event.order_id)

    def _on_order_failed(self, event: Any) -> None:
        if event.order_id == self._flatten_order_id:
            self.logger().warning(f"Kill switch: the closing order failed ({event.error_message}); retrying.")
            return
        quote = self.quotes.pop(event.order_id, None)
        if quote is None:
            return
        self.latency.forget(event.order_id)
        self._failed_at[quote.key] = time.time()
        self.kill_switch.record_order_outcome(True)
        self.logger().warning(f"Quote {quote.side.name} L{quote.level} {quote.amount} @ {quote.price} failed: "
                              f"{event.error_message or event.error_type}")

    # ------------------------------------------------------------------------------------------------ status
    def to_format_status(self) -> List[str]:
        config = self.config
        state = f"HALTED by the kill switch: {self._halt.reason}" if self._halt else "quoting"
        lines = [f"GRVT market maker [{config.pricing_mode}] {config.trading_pair} on {config.connector_name}: {state}"]
        if self.mid is None:
            return lines + ["  waiting for the order book"]
        lines.append(f"  mid {self.mid} (bid {self.best_bid} / ask {self.best_ask}); {self._last_proposal_note}")
        live = sorted(self.quotes.values(), key=lambda q: (q.side.name, q.level))
        if live:
            now = time.time()
            lines.append("  quotes: " + "; ".join(
                f"{q.side.name} L{q.level} {q.remaining} @ {q.price} ({now - q.created_at:.0f} s"
                f"{', cancelling' if q.cancel_requested_at else ''})" for q in live))
        else:
            lines.append("  quotes: none")
        lines.append("  " + position_line(self._position, self.base, config.position_limit, self.equity,
                                          self.kill_switch, self.quote))
        if self._pnl is not None:
            lines.append("  " + pnl_line(self._pnl.breakdown(self.mid), self.quote))
        connector = self._gateway.connector if self._gateway is not None else None
        lines.extend("  " + line for line in latency_lines(self.latency, connector))
        lines.append(f"  orders sent {self.orders_submitted} "
                     f"({'batched' if self._gateway is not None and self._gateway.batch_create else 'one by one'})")
        lines.append("  " + self.kill_switch.describe())
        return lines

    def get_custom_info(self) -> dict:
        pnl = self._pnl.breakdown(self.mid) if self._pnl is not None else None
        return {
            "halted": self._halt.reason if self._halt else None,
            "position": float(self._position),
            "quotes": len(self.quotes),
            "pnl_total": float(pnl.total) if pnl else 0.0,
            "latency": self.latency.summary(),
        }
