"""What a scenario child needs: the connector under test (ours or upstream, whichever `hummingbot` resolves to)
pointed at the sandbox and running on a Hummingbot clock, a probe timing its orders, and the bench routes."""
import asyncio
import os
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Dict, Iterable, List, Optional, Set, Tuple, cast

import aiohttp

from bench.markets import INSTRUMENT, REFERENCE_PRICE, TRADING_PAIR

if TYPE_CHECKING:  # Hummingbot loads in functions: the orchestrator imports this module, memory's baseline precedes it
    from hummingbot.connector.perpetual_derivative_py_base import PerpetualDerivativePyBase
    from hummingbot.core.data_type.in_flight_order import OrderUpdate

TESTNET_DOMAIN = "grvt_perpetual_testnet"
ENV_SANDBOX_URL = "BENCH_SANDBOX_URL"
ENV_SIDE = "BENCH_SIDE"
ENV_API_KEY = "BENCH_GRVT_API_KEY"
ENV_SUB_ACCOUNT_ID = "BENCH_GRVT_SUB_ACCOUNT_ID"
ENV_PRIVATE_KEY = "BENCH_GRVT_PRIVATE_KEY"
THROTTLE_LIFT = 1000  # both connectors' client-side rate limits allow this many times their rate


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("VmRSS not found in /proc/self/status")


@dataclass
class ChildContext:
    side: str
    sandbox_url: str
    params: Dict[str, float] = field(default_factory=dict)
    _session: Optional[aiohttp.ClientSession] = None

    @classmethod
    def from_environment(cls, params: Dict[str, float]) -> "ChildContext":
        return cls(side=os.environ[ENV_SIDE], sandbox_url=os.environ[ENV_SANDBOX_URL], params=params)

    @property
    def sub_account_id(self) -> str:
        return os.environ[ENV_SUB_ACCOUNT_ID]

    async def bench_call(self, method: str, path: str, body: Optional[dict] = None, **query: str) -> dict:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.request(method, self.sandbox_url + path, json=body, params=query or None,
                                         headers={"X-Sandbox-Admin": "1"},  # the sandbox admin routes' guard
                                         timeout=aiohttp.ClientTimeout(total=60)) as response:
            return await response.json(content_type=None)

    async def clear_orders(self, instrument: Optional[str] = None) -> int:
        """Cancels the demo account's orders inside the sandbox, bypassing the connector (clean-up only)."""
        result = await self.bench_call("POST", f"/bench/orders/{self.sub_account_id}/clear", {"instrument": instrument})
        return int(result.get("cancelled", 0))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def point_connector_at_sandbox(ctx: ChildContext) -> None:
    """Ours reads GRVT_PERPETUAL_TESTNET_BASE_URL (set by the orchestrator); upstream hard-codes its URLs, so its
    URL table is patched in this process only."""
    if ctx.side != "upstream":
        return
    from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as constants
    ws_url = "ws" + ctx.sandbox_url[len("http"):] + "/ws/full"
    # upstream's table: mypy resolves `hummingbot` to this repository's connector, whose URLs come from the environment
    constants.DOMAIN_TO_BASE_URLS[constants.TESTNET_DOMAIN].update(  # type: ignore[attr-defined]
        edge=ctx.sandbox_url, trade=ctx.sandbox_url, market=ctx.sandbox_url, trade_ws=ws_url, market_ws=ws_url)


def connector_module_file() -> str:
    from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_derivative
    return os.path.realpath(grvt_perpetual_derivative.__file__)


def new_connector(trading_pairs: List[str], trading_required: bool = True) -> "PerpetualDerivativePyBase":
    from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_derivative import GrvtPerpetualDerivative
    connector = GrvtPerpetualDerivative(
        grvt_perpetual_api_key=os.environ[ENV_API_KEY],
        grvt_perpetual_private_key=os.environ[ENV_PRIVATE_KEY],
        grvt_perpetual_trading_account_id=os.environ[ENV_SUB_ACCOUNT_ID],
        trading_pairs=list(trading_pairs),
        trading_required=trading_required,
        domain=TESTNET_DOMAIN,
    )
    lift_client_throttle(connector)
    return connector


def lift_client_throttle(connector: "PerpetualDerivativePyBase") -> None:
    """Both connectors throttle requests client-side with different tables; the bench measures their code paths,
    so every limit allows 1000x its rate. The windows shrink rather than the limits grow: Hummingbot's throttler
    scans every request logged within a window, and a 60 s window holding thousands of requests would make each
    request cost milliseconds, an artefact of the lift that no real user sees."""
    for rate_limit in connector._throttler._rate_limits:
        rate_limit.time_interval = rate_limit.time_interval / THROTTLE_LIFT


class RunningConnector:
    """A connector driven by a real-time Hummingbot clock, as the client runs it."""

    def __init__(self, connector: "PerpetualDerivativePyBase"):
        from hummingbot.core.clock import Clock
        from hummingbot.core.clock_mode import ClockMode
        self.connector = connector
        self._clock = Clock(ClockMode.REALTIME, tick_size=1.0)
        self._clock.add_iterator(connector)
        self._task: Optional[asyncio.Task] = None

    async def __aenter__(self) -> "RunningConnector":
        self._clock.__enter__()
        self._task = asyncio.ensure_future(self._clock.run())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._clock.__exit__(None, None, None)
        await self.connector.stop_network()


async def wait_until(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(interval)


async def wait_for_markets(connector: "PerpetualDerivativePyBase", trading_pairs: Iterable[str],
                           timeout: float = 30.0) -> None:
    """Every order book initialised and, when trading, the trading rules known."""
    pairs = list(trading_pairs)
    if connector.is_trading_required:
        await wait_until(lambda: all(pair in connector._trading_rules for pair in pairs), timeout, "trading rules")
    await wait_until(lambda: connector.order_book_tracker.ready and all(
        pair in connector.order_books for pair in pairs), timeout, "order books")


def stream_order_status(message: object) -> Tuple[Optional[str], Optional[str]]:
    """(client order id, GRVT status) of a v1.order or v1.state stream message, else (None, None)."""
    if not isinstance(message, dict):
        return None, None
    feed = message.get("feed")
    if not isinstance(feed, dict):
        return None, None
    stream = message.get("stream")
    if stream == "v1.order":
        state, order_id = feed.get("state"), (feed.get("metadata") or {}).get("client_order_id")
    elif stream == "v1.state":
        state, order_id = feed.get("order_state"), feed.get("client_order_id")
    else:
        return None, None
    status = state.get("status") if isinstance(state, dict) else None
    return (str(order_id) if order_id is not None else None), status


class OrderProbe:
    """Timestamps (time.monotonic) per client order id: REST acknowledgement of the create, OPEN applied from the
    private stream, and done (cancelled, filled or failed). Wraps the connector instance, not its class."""

    def __init__(self, connector: "PerpetualDerivativePyBase"):
        from hummingbot.core.data_type.in_flight_order import OrderState
        self.acked: Dict[str, float] = {}
        self.stream_open: Dict[str, float] = {}
        self.done: Dict[str, float] = {}
        self.failed: Dict[str, str] = {}
        self._placing: Set[str] = set()  # orders whose create request is not answered yet
        self._changed = asyncio.Event()
        self._connector = connector
        self._final = (OrderState.CANCELED, OrderState.FILLED, OrderState.FAILED)
        self._open = OrderState.OPEN
        self._wrap_place_order()
        self._wrap_order_updates()
        self._wrap_user_stream()

    def _wrap_place_order(self) -> None:
        place_order = self._connector._place_order

        async def timed_place_order(*args: Any, **kwargs: Any) -> Tuple[str, float]:
            order_id = kwargs.get("order_id", args[0] if args else None)
            self._placing.add(order_id)
            try:
                result = await place_order(*args, **kwargs)
            except Exception as exception:
                self.failed[order_id] = f"{type(exception).__name__}: {exception}"[:200]
                self._changed.set()
                raise
            finally:
                self._placing.discard(order_id)
            self.acked.setdefault(order_id, time.monotonic())
            self._changed.set()
            return result

        self._connector._place_order = timed_place_order  # type: ignore[method-assign]  # wraps its method

    def _wrap_order_updates(self) -> None:
        tracker = self._connector._order_tracker
        process_order_update = tracker.process_order_update

        def timed_process_order_update(order_update: "OrderUpdate") -> Optional[asyncio.Future]:
            order_id = cast(str, order_update.client_order_id)  # the updates of tracked orders name them
            if order_update.new_state in self._final:
                self.done.setdefault(order_id, time.monotonic())
                self._changed.set()
            elif order_update.new_state is self._open and order_id not in self._placing:
                # a batch create is acknowledged without _place_order; an OPEN from the private stream processed
                # while _place_order still awaits the answer is not the answer
                self.acked.setdefault(order_id, time.monotonic())
                self._changed.set()
            return process_order_update(order_update)

        tracker.process_order_update = timed_process_order_update  # type: ignore[method-assign]  # wraps its method

    def _wrap_user_stream(self) -> None:
        """OPEN is timed when the connector has processed the stream message reporting it: the moment its user
        stream listener asks for the next message."""
        iterate_user_events = self._connector._iter_user_event_queue

        async def timed_user_events() -> AsyncIterator[Dict[str, Any]]:
            async for message in iterate_user_events():
                yield message
                order_id, status = stream_order_status(message)
                if status == "OPEN" and order_id is not None:
                    self.stream_open.setdefault(order_id, time.monotonic())
                    self._changed.set()

        self._connector._iter_user_event_queue = timed_user_events  # type: ignore[method-assign]  # wraps its method

    async def wait(self, order_ids: Iterable[str], stages: Iterable[Dict[str, float]], timeout: float = 10.0) -> None:
        order_ids, stages = list(order_ids), list(stages)
        deadline = time.monotonic() + timeout
        while True:
            failures = [self.failed[order_id] for order_id in order_ids if order_id in self.failed]
            if failures:
                raise RuntimeError(f"order failed: {failures[0]}")
            if all(order_id in stage for stage in stages for order_id in order_ids):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                missing = sum(1 for stage in stages for order_id in order_ids if order_id not in stage)
                raise TimeoutError(f"{missing} order events missing after {timeout:.0f} s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass


def resting_buy_price(connector: "PerpetualDerivativePyBase", trading_pair: str, index: int) -> Decimal:
    """A distinct price (one tick per index, up to 2000) about 20 % under the mark: rests and never trades."""
    tick = connector._trading_rules[trading_pair].min_price_increment
    return (REFERENCE_PRICE * Decimal("0.8") - tick * (index % 2000)).quantize(tick)


def resting_size(connector: "PerpetualDerivativePyBase", trading_pair: str) -> Decimal:
    """The smallest size clearing the minimum notional (at least 100 USDT) at the lowest resting price."""
    rule = connector._trading_rules[trading_pair]
    lowest_price = REFERENCE_PRICE * Decimal("0.75")
    steps = max(rule.min_notional_size, Decimal("100")) * Decimal("1.1") / lowest_price / rule.min_order_size
    return rule.min_order_size * max(1, int(steps.to_integral_value(rounding="ROUND_CEILING")))


def place_buy(connector: "PerpetualDerivativePyBase", trading_pair: str, index: int, post_only: bool = True) -> str:
    from hummingbot.core.data_type.common import OrderType, PositionAction
    return connector.buy(trading_pair, resting_size(connector, trading_pair),
                         OrderType.LIMIT_MAKER if post_only else OrderType.LIMIT,
                         resting_buy_price(connector, trading_pair, index), position_action=PositionAction.OPEN)


def has_bulk_orders(connector: "PerpetualDerivativePyBase") -> bool:
    """True when the connector implements batch creates and cancels itself (Hummingbot's default loops over single
    calls, without the position action a perpetual needs)."""
    from hummingbot.connector.connector_base import ConnectorBase
    return type(connector).batch_order_create is not ConnectorBase.batch_order_create


def requote(connector: "PerpetualDerivativePyBase", trading_pair: str, resting: List[str], first_index: int,
            count: int) -> List[str]:
    """What a strategy's tick does: cancel the resting quotes and place `count` new ones, through the connector's
    batch calls where it has them (one request each way), else one call per order."""
    from hummingbot.core.data_type.common import PositionAction
    from hummingbot.core.data_type.limit_order import LimitOrder
    if not has_bulk_orders(connector):
        for order_id in resting:
            connector.cancel(trading_pair, order_id)
        return [place_buy(connector, trading_pair, first_index + i, post_only=False) for i in range(count)]
    base, quote = trading_pair.split("-")
    tracked = [connector.in_flight_orders[order_id] for order_id in resting if order_id in connector.in_flight_orders]
    connector.batch_order_cancel([order.to_limit_order() for order in tracked])
    size = resting_size(connector, trading_pair)
    created = connector.batch_order_create([
        LimitOrder(client_order_id="", trading_pair=trading_pair, is_buy=True, base_currency=base,
                   quote_currency=quote, price=resting_buy_price(connector, trading_pair, first_index + i),
                   quantity=size, position=PositionAction.OPEN) for i in range(count)])
    return [order.client_order_id for order in created]


async def warm_up(ctx: ChildContext, connector: "PerpetualDerivativePyBase", probe: OrderProbe,
                  timeout: float = 30.0) -> None:
    """Markets ready, then one order through ack and stream OPEN (proves the private stream is live), removed."""
    await wait_for_markets(connector, [TRADING_PAIR], timeout)
    order_socket = getattr(connector, "order_transport", None)
    if order_socket is not None and hasattr(order_socket, "client"):  # orders go over the trades socket once it is up
        await wait_until(lambda: order_socket.client.is_connected, timeout, "the order socket")
    await ctx.clear_orders(INSTRUMENT)
    deadline = time.monotonic() + timeout
    while True:
        order_id = place_buy(connector, TRADING_PAIR, 1999)
        try:
            await probe.wait([order_id], [probe.acked, probe.stream_open], timeout=3.0)
            break
        except TimeoutError:
            if time.monotonic() > deadline:
                raise TimeoutError("the private stream never reported an order OPEN")
            await ctx.clear_orders(INSTRUMENT)
    await clear_and_wait(ctx, probe, [order_id])


@asynccontextmanager
async def warmed_up_trading(ctx: ChildContext) -> AsyncIterator[Tuple["PerpetualDerivativePyBase", OrderProbe]]:
    """(connector, probe): a connector trading TRADING_PAIR, running on a clock and warmed up (see warm_up), with a
    probe timing its orders; the connector stops on exit."""
    connector = new_connector([TRADING_PAIR])
    probe = OrderProbe(connector)
    async with RunningConnector(connector):
        await warm_up(ctx, connector, probe)
        yield connector, probe


async def clear_and_wait(ctx: ChildContext, probe: OrderProbe, order_ids: List[str], timeout: float = 30.0) -> None:
    """Out-of-band cancel of every demo order in the sandbox; returns when the connector has seen them done."""
    await ctx.clear_orders(INSTRUMENT)
    await probe.wait(order_ids, [probe.done], timeout)
    await asyncio.sleep(0.2)  # lets follow-up work (balance refreshes ...) finish before the next measurement
