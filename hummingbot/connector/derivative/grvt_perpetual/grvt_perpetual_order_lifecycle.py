"""Keeps every order GRVT holds tracked and every tracked order resolved, whatever the network does: the derivative
hands order entry and every order report (create answers, streams, REST queries) to ``GrvtOrderLifecycle``, which
decides what each means for the tracked order.
"""
import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Set, Tuple, TypeVar

from cachetools import TTLCache

from hummingbot.connector.client_order_tracker import ClientOrderTracker
from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_account_client import GrvtPerpetualAccountClient
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_auth import GrvtAuthError
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import (
    GrvtOrderRejectedError,
    GrvtPerpetualAPIError,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_health import (
    CircuitBreaker,
    is_outcome_unknown,
    is_transient,
    retry_query,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import (
    GrvtCancelStatus,
    GrvtCancelStatusKind,
    GrvtFill,
    GrvtOrderRecord,
    GrvtOrderState,
    GrvtOrderStatus,
    is_real_order_id,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_metrics import GrvtOrderMetrics
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_state_machine import (
    FINAL_STATES,
    LIVE_STATES,
    GrvtOrderStateMachine,
    adopt_exchange_order_id,
    hummingbot_order_state,
    tracked_order_update,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_transport import GrvtPerpetualOrderTransport
from hummingbot.core.data_type.cancellation_result import CancellationResult
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate, TradeUpdate
from hummingbot.core.utils.async_utils import safe_ensure_future
from hummingbot.logger import HummingbotLogger

MAX_BULK = CONSTANTS.MAX_BULK_ORDERS
T = TypeVar("T")


class GrvtCircuitOpenError(IOError):
    """New orders are paused because GRVT keeps failing."""


@dataclass
class GrvtOrderPathSettings:
    cancel_time_to_live_ms: int = 5_000  # GRVT's maximum: a create arriving up to 5 s after its cancel is dropped
    uncertain_order_window_seconds: float = 30.0  # how long an unknown create outcome is looked up
    uncertain_order_first_check_seconds: float = 0.5
    cancel_confirm_seconds: float = 3.0  # a cancel acked but not confirmed by then is checked
    cancel_recheck_max_seconds: float = 30.0
    cancel_attempts: int = 5  # transient failures of one cancel request before giving up on it
    failed_order_memory_seconds: float = 3600.0  # re-track window for orders failed as "never reached GRVT"
    cancel_all_confirmation_share: float = 0.5  # of cancel_all's timeout spent waiting for stream confirmations


class GrvtClientOrderTracker(ClientOrderTracker):
    """Hummingbot's tracker with lookups by client id in constant time: its own merges every active and recently
    finished order into a new dict on each update, which costs a millisecond per stream message once a market maker
    has cycled a few hundred orders."""

    def fetch_order(self, client_order_id: Optional[str] = None,
                    exchange_order_id: Optional[str] = None) -> Optional[InFlightOrder]:
        order = (self.fetch_tracked_order(client_order_id) or self.fetch_cached_order(client_order_id)
                 if client_order_id is not None else None)
        if order is None and exchange_order_id is not None:
            order = super().fetch_order(exchange_order_id=exchange_order_id)
        return order

    def process_order_update(self, order_update: Optional[OrderUpdate]) -> Optional[asyncio.Future]:
        # None from the status poll, whose answers the lifecycle applies as it does every other report
        return super().process_order_update(order_update) if order_update is not None else None


class _Lookup(NamedTuple):
    order: Optional[GrvtOrderRecord]
    not_found: bool  # GRVT answered that it does not know the order (a failed query leaves this False)


class GrvtOrderLifecycle:
    def __init__(
        self,
        tracker: GrvtClientOrderTracker,
        transport: GrvtPerpetualOrderTransport,
        account: GrvtPerpetualAccountClient,
        metrics: GrvtOrderMetrics,
        now: Callable[[], float],
        trade_update: Callable[[GrvtFill, InFlightOrder], TradeUpdate],
        traded_filter: Callable[[], Awaitable[Tuple[Set[str], List[str], List[str]]]],
        logger: Callable[[], HummingbotLogger],
    ):
        self._tracker = tracker
        self.logger = logger  # the connector's: order events belong in its log
        self.transport = transport
        self._account = account
        self._states = GrvtOrderStateMachine()
        self._metrics = metrics
        self._now = now
        self._trade_update = trade_update
        self._traded_filter = traded_filter
        self.settings = GrvtOrderPathSettings()
        self.circuit = CircuitBreaker()
        metrics.circuit_open = lambda: self.circuit.is_open
        self._creating: Set[str] = set()
        self._uncertain: Dict[str, asyncio.Task] = {}
        self._cancel_requests: Dict[str, asyncio.Future] = {}
        self._cancel_watch: Dict[str, asyncio.Task] = {}
        self._failed_creates: TTLCache = TTLCache(maxsize=1000, ttl=self.settings.failed_order_memory_seconds)
        self._pending_bulk: Dict[str, Tuple[list, list]] = {}  # trading pair -> creates, cancels of this tick
        self._tasks: Set[asyncio.Task] = set()  # see spawn()

    def is_managed(self, client_order_id: str) -> bool:
        """True while the order's create is in flight or the lifecycle resolves it (the status poll leaves it)."""
        return (client_order_id in self._creating or client_order_id in self._uncertain
                or client_order_id in self._cancel_watch)

    @contextlib.contextmanager
    def creating(self, *client_order_ids: str) -> Iterator[None]:
        """Marks create requests in flight: their answer, not a status poll, decides the orders' states."""
        self._creating.update(client_order_ids)
        try:
            yield
        finally:
            self._creating.difference_update(client_order_ids)

    async def stop(self) -> None:
        tasks = [*self._uncertain.values(), *self._cancel_requests.values(), *self._cancel_watch.values(), *self._tasks]
        pending = set(tasks)
        while pending:  # cancelled again while it runs: asyncio.wait_for can swallow a cancel on Python 3.11
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=1.0)
        await asyncio.gather(*tasks, return_exceptions=True)  # retrieved: a task that failed as it stopped is no news
        self._uncertain.clear()
        self._cancel_requests.clear()
        self._cancel_watch.clear()
        self.circuit.abandon_probe()
        # a batch whose send task the stop cancelled before it ran never left; kept, it would hold back every later one
        stranded, self._pending_bulk = self._pending_bulk, {}
        for order, _ in (create for creates, _ in stranded.values() for create in creates):
            self.fail(order, ConnectionError("the connector stopped before sending the order"))

    def spawn(self, coroutine: Awaitable) -> asyncio.Task:
        """Runs `coroutine` as a task that stop() cancels and waits for."""
        task = safe_ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # Updates
    def issue(self, order: InFlightOrder, new_state: OrderState, exchange_order_id: Optional[str] = None,
              misc_updates: Optional[dict] = None) -> None:
        """Applies a state the lifecycle decided on (not a GRVT report), unless the order already moved past it."""
        current = self.state_of(order)
        if current in FINAL_STATES or current is new_state:
            return
        self._states.record_issued(order.client_order_id, new_state)
        self._tracker.process_order_update(
            tracked_order_update(order, new_state, self._now(), exchange_order_id, misc_updates))

    def fail(self, order: InFlightOrder, error: BaseException) -> None:
        self.issue(order, OrderState.FAILED,
                   misc_updates={"error_message": str(error), "error_type": error.__class__.__name__})

    def state_of(self, order: InFlightOrder) -> OrderState:
        return self._states.state_of(order)

    # Creates
    def on_create_acknowledged(self, order: InFlightOrder, exchange_order_id: Optional[str]) -> None:
        self._metrics.acknowledged(order.client_order_id)
        self.circuit.record_success()
        if self.state_of(order) is OrderState.PENDING_CREATE:
            self.issue(order, OrderState.OPEN, exchange_order_id)
        else:
            adopt_exchange_order_id(order, exchange_order_id)

    def on_create_failed(self, order: InFlightOrder, error: BaseException, for_circuit: bool = True) -> bool:
        """True when GRVT may have executed the order (the lifecycle resolves it by client id), False when it certainly
        failed (the caller fails it). `for_circuit` False: its request counted for the circuit breaker already."""
        outcome_unknown = is_outcome_unknown(error)
        if outcome_unknown or is_transient(error) or isinstance(error, GrvtAuthError):  # load, limits, no session
            self._metrics.count_failure(error)
            if for_circuit:
                self.circuit.record_failure(str(error))  # a trip pauses creates only, cancels still go out
        elif not isinstance(error, GrvtCircuitOpenError):
            self.circuit.record_success()  # GRVT refused the order itself: it works (a half-open probe is settled)
        if outcome_unknown:
            self.logger().warning(
                f"The outcome of order {order.client_order_id} ({order.trade_type.name} {order.amount} "
                f"{order.trading_pair} @ {order.price}) is unknown ({error}); looking it up on GRVT.")
            if order.client_order_id not in self._uncertain:
                self._uncertain[order.client_order_id] = asyncio.ensure_future(self._resolve_uncertain(order))
        return outcome_unknown

    def check_order_entry(self) -> None:
        if not self.circuit.allow_request():
            raise GrvtCircuitOpenError(
                f"New GRVT orders are paused for {self.circuit.seconds_until_retry:.0f} s: the exchange keeps failing "
                f"({self.circuit.last_failure}).")

    async def _resolve_uncertain(self, order: InFlightOrder) -> None:
        client_order_id = order.client_order_id
        deadline = time.monotonic() + self.settings.uncertain_order_window_seconds
        delay = self.settings.uncertain_order_first_check_seconds
        try:
            while True:
                await asyncio.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                if not self._is_resolved(order):
                    await self._check(order)
                if self._is_resolved(order):
                    return
                if time.monotonic() >= deadline:
                    await self._conclude_never_received(order)
                    return
                delay = min(max(delay * 2, 0.25), 8.0)
        finally:
            self._uncertain.pop(client_order_id, None)

    def _is_resolved(self, order: InFlightOrder) -> bool:
        """Known to GRVT: a stream or an answer moved it past PENDING_CREATE (a cancel request alone does not)."""
        state = self.state_of(order)
        return state in FINAL_STATES or state in LIVE_STATES or (
            state is OrderState.PENDING_CANCEL and is_real_order_id(order.exchange_order_id))

    async def _conclude_never_received(self, order: InFlightOrder) -> None:
        # A time-to-live cancel is the last guard: a create that would still arrive now is dropped by GRVT.
        acknowledged = await self._send_cancel(order.client_order_id, attempts=1)
        if self._is_resolved(order):  # it showed up meanwhile: a known order, cancelled if the guard was acknowledged
            if acknowledged:
                self._on_cancel_acknowledged(order, reason="guard cancel")
            return
        self.logger().warning(
            f"GRVT never showed order {order.client_order_id} within "
            f"{self.settings.uncertain_order_window_seconds:.0f} s: it is failed. Should it appear later, it is "
            f"tracked again and cancelled.")
        self._failed_creates[order.client_order_id] = order
        self.fail(order, ConnectionError("GRVT never received the order (its create outcome was unknown)"))

    async def _check(self, order: InFlightOrder) -> _Lookup:
        """Looks the order up (by GRVT id once known) and applies what GRVT holds."""
        try:
            found = await self._account.order(order.client_order_id, attempts=1, order_id=order.exchange_order_id)
        except Exception as error:
            not_found = isinstance(error, GrvtPerpetualAPIError) and error.is_not_found
            if not not_found:
                self._metrics.count_failure(error)
                self.logger().debug(f"Status of order {order.client_order_id} unknown for now: {error}")
            return _Lookup(None, not_found)
        self.on_order_report(order.client_order_id, found.order_id, found.state)
        return _Lookup(found, False)

    # Reports from GRVT (streams, answers, queries)
    def tracked_order(self, client_order_id: str, exchange_order_id: Optional[str] = None) -> Optional[InFlightOrder]:
        """Active, recently finished or lost order by client id, else by exchange id."""
        exchange_order_id = exchange_order_id if is_real_order_id(exchange_order_id) else None
        return (self._tracker.fetch_order(client_order_id, exchange_order_id)
                or self._tracker.fetch_lost_order(client_order_id, exchange_order_id))

    def on_order_report(self, client_order_id: str, exchange_order_id: str, state: Optional[GrvtOrderState]) -> None:
        if state is None:
            return
        new_state = hummingbot_order_state(state)
        if new_state in LIVE_STATES or new_state is OrderState.FILLED:
            self._retrack_if_failed(client_order_id, new_state)
        order = self.tracked_order(client_order_id, exchange_order_id)
        if order is None:
            return
        if new_state in LIVE_STATES:
            self._metrics.opened(order.client_order_id)
            if self.state_of(order) is OrderState.PENDING_CANCEL:
                self._watch_cancel(order, delay=0.0, reason="reported live while being cancelled")
        if order.client_order_id in self._tracker.lost_orders:
            # a lost order stays lost (its fills applied, cancels repeated) until GRVT reports it final
            adopt_exchange_order_id(order, exchange_order_id)
            if new_state in FINAL_STATES:
                self._tracker.process_order_update(
                    tracked_order_update(order, new_state, state.update_timestamp or self._now()))
            return
        update = self._states.order_update(order, state, exchange_order_id, self._now())
        if update is not None:
            self._tracker.process_order_update(update)

    def on_fill(self, fill: GrvtFill) -> None:
        self._retrack_if_failed(fill.client_order_id, OrderState.PARTIALLY_FILLED)
        order = self.tracked_order(fill.client_order_id, fill.order_id)
        if order is not None:
            self._tracker.process_trade_update(self._trade_update(fill, order))

    def on_cancel_notice(self, notice: GrvtCancelStatus) -> None:
        order = self.tracked_order(notice.client_order_id, notice.order_id)
        if order is None or self.state_of(order) in FINAL_STATES:
            return
        if notice.cancel_status is GrvtCancelStatusKind.EXPIRED:
            # the cancel's time-to-live lapsed without finding the order: check what GRVT holds now
            self._watch_cancel(order, delay=0.0, reason="its cancel expired without finding it")

    def _retrack_if_failed(self, client_order_id: str, new_state: OrderState) -> None:
        """Tracks an order failed as never received again once GRVT shows it; a live one is cancelled (the strategy
        was told it failed)."""
        order = self._failed_creates.pop(client_order_id, None)
        if order is None:
            return
        self.logger().warning(
            f"GRVT executed order {client_order_id} after it was reported failed: tracking it again and "
            f"{'cancelling it' if new_state is not OrderState.FILLED else 'recording its fills'}.")
        self._states.record_issued(client_order_id, OrderState.PENDING_CREATE)
        order.current_state = OrderState.PENDING_CREATE
        self._tracker.start_tracking_order(order)
        if new_state is not OrderState.FILLED:
            self._watch_cancel(order, delay=0.0, reason="it was reported failed before", cancel_first=True)

    # Bulk requests: the creates and cancels of one tick
    def queue_bulk(self, trading_pair: str, create: Optional[Tuple[InFlightOrder, Dict[str, Any]]] = None,
                   cancel: Optional[InFlightOrder] = None) -> None:
        """Collects the creates and cancels of one event-loop tick; they leave in one bulk request per pair."""
        if not self._pending_bulk:
            asyncio.get_running_loop().call_soon(lambda: self.spawn(self._send_pending_bulk()))
        creates, cancels = self._pending_bulk.setdefault(trading_pair, ([], []))
        if create is not None:
            creates.append(create)
        if cancel is not None:
            cancels.append(cancel)

    async def _send_pending_bulk(self) -> None:
        pending, self._pending_bulk = self._pending_bulk, {}
        await asyncio.gather(*(self.bulk(creates, cancels) for creates, cancels in pending.values()))

    async def bulk(self, creates: Sequence[Tuple[InFlightOrder, Dict[str, Any]]] = (),
                   cancels: Sequence[InFlightOrder] = ()) -> None:
        """One instrument's cancels and creates, up to MAX_BULK of each per request (GRVT cancels before it creates)."""
        cancels = [order for order in cancels if self._claim_cancel(order)]
        for start in range(0, max(len(creates), len(cancels)), MAX_BULK):
            await self._bulk_request(creates[start:start + MAX_BULK], cancels[start:start + MAX_BULK])

    def _claim_cancel(self, order: InFlightOrder) -> bool:
        """Registers a cancel request for the order unless one is in flight or acknowledged already."""
        if self.state_of(order) in FINAL_STATES or order.client_order_id in self._cancel_requests:
            return False
        if self.state_of(order) is OrderState.PENDING_CANCEL and order.client_order_id in self._cancel_watch:
            return False
        self._cancel_requests[order.client_order_id] = asyncio.get_running_loop().create_future()
        return True

    async def _bulk_request(self, creates: Sequence[Tuple[InFlightOrder, Dict[str, Any]]],
                            cancels: Sequence[InFlightOrder]) -> None:
        orders = [order for order, _ in creates]
        transport = self.transport
        reply, failure = None, None

        def sent() -> None:
            for order in orders:
                self._metrics.sent(order.client_order_id, transport.active_name)

        try:
            if orders:
                self.check_order_entry()
            with self.creating(*(order.client_order_id for order in orders)):
                reply = await transport.bulk_orders(
                    orders=[body for _, body in creates],
                    cancel_client_order_ids=[order.client_order_id for order in cancels],
                    time_to_live_ms=self.settings.cancel_time_to_live_ms if cancels else None,
                    on_sent=sent)
        except Exception as error:
            failure = error
        acks: List[Optional[bool]] = [ack.ack for ack in reply.cancel_acks] if reply is not None else []
        if len(acks) != len(cancels):  # no answer or an unlisted one (`{}`): unknown, each is cancelled alone
            acks = [all(acks) if acks else None] * len(cancels)
        for order, acknowledged in zip(cancels, acks):
            future = self._cancel_requests.pop(order.client_order_id, None)
            result = await self._request_cancel(order) if acknowledged is None else \
                self._on_cancel_acknowledged(order) if acknowledged else False
            if future is not None and not future.done():
                future.set_result(result)
        # An order the answer does not list (all of them when the request failed) fails with the request's error,
        # or as an unknown outcome; one failed request is one failure for the circuit breaker, however many orders.
        answers = {answer.client_order_id: answer for answer in reply.orders} if reply is not None else {}
        unanswered = [order for order in orders if order.client_order_id not in answers]
        failure = failure or GrvtPerpetualAPIError(code=None, message="bulk answer does not list the order",
                                                   path="bulk_orders")
        for order in orders:
            answer = answers.get(order.client_order_id)
            if answer is None:
                if not self.on_create_failed(order, failure, for_circuit=order is unanswered[0]):
                    self.fail(order, failure)
            elif answer.state is not None and answer.state.status is GrvtOrderStatus.REJECTED:
                rejection = GrvtOrderRejectedError(answer.state.reject_reason)
                self.on_create_failed(order, rejection)  # as a single create refused by GRVT: settles a probe
                self.fail(order, rejection)
            else:
                self.on_create_acknowledged(order, answer.order_id)

    # Cancels
    async def cancel(self, order: InFlightOrder) -> bool:
        """True once GRVT acknowledged a cancel (the order stays PENDING_CANCEL until the stream confirms) or the
        order is already done."""
        client_order_id = order.client_order_id
        if client_order_id in self._tracker.lost_orders:
            # failed locally, maybe alive on GRVT: cancel it without touching its state
            return await self._send_cancel(client_order_id)
        if self.state_of(order) in FINAL_STATES:
            return True
        request = self._cancel_requests.get(client_order_id)
        if request is None:
            if self.state_of(order) is OrderState.PENDING_CANCEL and client_order_id in self._cancel_watch:
                return True  # acknowledged before, confirmation pending
            request = asyncio.ensure_future(self._request_cancel(order))
            self._cancel_requests[client_order_id] = request
            request.add_done_callback(lambda _: self._cancel_requests.pop(client_order_id, None))
        return await asyncio.shield(request)

    async def _request_cancel(self, order: InFlightOrder) -> bool:
        if await self._send_cancel(order.client_order_id):
            return self._on_cancel_acknowledged(order)
        return self.state_of(order) in FINAL_STATES

    def _on_cancel_acknowledged(self, order: InFlightOrder, reason: str = "unconfirmed cancel") -> bool:
        if self.state_of(order) not in FINAL_STATES:
            self.issue(order, OrderState.PENDING_CANCEL)
            self._watch_cancel(order, delay=self.settings.cancel_confirm_seconds, reason=reason)
        return True

    async def _send_cancel(self, client_order_id: str, attempts: Optional[int] = None) -> bool:
        """A cancel by client id with the time-to-live, retried while it fails transiently; True once acknowledged."""
        try:
            return await retry_query(
                lambda: self.transport.cancel_order(
                    client_order_id=client_order_id, time_to_live_ms=self.settings.cancel_time_to_live_ms),
                f"cancel of order {client_order_id}", attempts or self.settings.cancel_attempts,
                on_retry=self._metrics.count_retry)
        except Exception as error:
            self._metrics.count_failure(error)
            if isinstance(error, GrvtPerpetualAPIError) and error.is_not_found:
                self.logger().warning(f"Failed to cancel order {client_order_id} (not found on GRVT).")
                await self._tracker.process_order_not_found(client_order_id)
            else:
                self.logger().error(f"Failed to cancel order {client_order_id}: {error}")
            return False

    def _watch_cancel(self, order: InFlightOrder, delay: float, reason: str, cancel_first: bool = False) -> None:
        """Checks (and re-cancels) an order until GRVT reports it final; one watcher per order."""
        client_order_id = order.client_order_id
        watcher = self._cancel_watch.get(client_order_id)
        if watcher is asyncio.current_task():
            return  # the watcher itself reported it: it acts on it
        if watcher is not None and not watcher.done():
            if delay > 0.0:
                return
            watcher.cancel()  # new evidence: check now
        self._cancel_watch[client_order_id] = asyncio.ensure_future(
            self._watch(order, delay, reason, cancel_first))

    async def _watch(self, order: InFlightOrder, delay: float, reason: str, cancel_first: bool) -> None:
        client_order_id = order.client_order_id
        not_found = 0
        try:
            if cancel_first:
                await self._recancel(order, reason)
            while self.state_of(order) not in FINAL_STATES:
                await asyncio.sleep(delay)
                if self.state_of(order) in FINAL_STATES:
                    return
                lookup = await self._check(order)
                if lookup.order is not None:
                    not_found = 0
                    if hummingbot_order_state(lookup.order.state) in LIVE_STATES:
                        await self._recancel(order, reason)
                elif lookup.not_found and client_order_id not in self._uncertain:
                    not_found += 1
                    if not_found >= 2:
                        # acknowledged by GRVT, dropped by its cancel's time-to-live or lost with a restart
                        self.logger().info(f"GRVT does not know order {client_order_id} being cancelled: "
                                           f"it is cancelled.")
                        self.issue(order, OrderState.CANCELED)
                        return
                reason = "unconfirmed cancel"
                delay = min(max(delay * 2, self.settings.cancel_confirm_seconds),
                            self.settings.cancel_recheck_max_seconds)
        finally:
            if self._cancel_watch.get(client_order_id) is asyncio.current_task():
                del self._cancel_watch[client_order_id]

    async def _recancel(self, order: InFlightOrder, reason: str) -> None:
        self.logger().info(f"Cancelling order {order.client_order_id} again: {reason}.")
        if await self._send_cancel(order.client_order_id):
            self.issue(order, OrderState.PENDING_CANCEL)

    # Reconciliation
    async def reconcile(self, cancel_untracked: bool) -> None:
        open_orders = await self._account.open_orders()
        listed = {exchange_order.client_order_id for exchange_order in open_orders}
        for exchange_order in open_orders:
            self.on_order_report(exchange_order.client_order_id, exchange_order.order_id, exchange_order.state)
        for order in list(self._tracker.active_orders.values()):
            if order.client_order_id in listed or self.is_managed(order.client_order_id):
                continue
            state = self.state_of(order)
            # ended while nobody listened, or lost with an exchange restart: find out
            if state is OrderState.PENDING_CANCEL:
                self._watch_cancel(order, delay=0.0, reason="missing from GRVT's open orders")
            elif state in LIVE_STATES:
                self.spawn(self._verify(order))
        traded, _, _ = await self._traded_filter()
        untracked = [exchange_order for exchange_order in open_orders if exchange_order.instrument in traded
                     and self.tracked_order(exchange_order.client_order_id, exchange_order.order_id) is None]
        for exchange_order in untracked:
            self.logger().warning(
                f"GRVT holds an open order this bot does not track: {exchange_order.order_id} (client id "
                f"{exchange_order.client_order_id}) {'BUY' if exchange_order.leg.is_buying_asset else 'SELL'} "
                f"{exchange_order.leg.size} {exchange_order.instrument} @ {exchange_order.leg.limit_price}.")
        if cancel_untracked:
            for exchange_order in untracked:
                await self._cancel_by_order_id(exchange_order.order_id, "untracked GRVT order")

    async def _cancel_by_order_id(self, order_id: str, what: str) -> bool:
        try:
            return await self.transport.cancel_order_by_id(order_id)
        except Exception as error:
            self.logger().warning(f"Could not cancel {what} {order_id}: {error}")
            return False

    async def _verify(self, order: InFlightOrder) -> None:
        if (await self._check(order)).not_found:
            self.logger().warning(f"GRVT no longer knows order {order.client_order_id}: it is cancelled.")
            self.issue(order, OrderState.CANCELED)

    # Cancel all
    async def cancel_all(self, timeout_seconds: float) -> List[CancellationResult]:
        deadline = time.monotonic() + timeout_seconds
        orders = [order for order in self._tracker.active_orders.values()
                  if self.state_of(order) not in FINAL_STATES]
        if await self._within(deadline, self._cancel_all_on_exchange(orders),
                              "GRVT cancel_all_orders failed ({error}); cancelling orders one by one."):
            await self._wait_until_final(orders, deadline,
                                         self.settings.cancel_all_confirmation_share * timeout_seconds)
        remaining = [order for order in orders if self.state_of(order) not in FINAL_STATES]
        results = await self._within(deadline, asyncio.gather(
            *(self.cancel(order) for order in remaining), return_exceptions=True))
        acknowledged = {order.client_order_id for order, result in zip(remaining, results or ()) if result is True}
        await self._within(deadline, self._sweep_open_orders())
        unconfirmed = [order for order in orders if self.state_of(order) not in FINAL_STATES]
        if unconfirmed:
            self.logger().error(f"GRVT did not confirm the cancel of {len(unconfirmed)} orders; they may still rest: "
                                + ", ".join(f"{order.client_order_id} ({order.trade_type.name} {order.amount} "
                                            f"{order.trading_pair} @ {order.price})" for order in unconfirmed))
        # a create still unanswered may reach GRVT after its time-to-live cancel expired: not known to be cancelled
        unanswered = self._creating.union(self._uncertain)
        return [CancellationResult(order.client_order_id, self.state_of(order) in FINAL_STATES or (
            order.client_order_id in acknowledged and order.client_order_id not in unanswered)) for order in orders]

    async def _cancel_all_on_exchange(self, orders: Sequence[InFlightOrder]) -> bool:
        _, bases, quotes = await self._traded_filter()
        if not await self.transport.cancel_all_orders(base=bases or None, quote=quotes or None):
            raise GrvtPerpetualAPIError(code=None, message="cancel_all_orders not acknowledged")
        # creates still on their way: a time-to-live cancel drops them when they arrive
        await asyncio.gather(*(self._send_cancel(order.client_order_id, attempts=1) for order in orders
                               if self.state_of(order) is OrderState.PENDING_CREATE))
        for order in orders:
            self._on_cancel_acknowledged(order, reason="cancel-all")
        return True

    async def _sweep_open_orders(self) -> None:
        """Cancels whatever of the traded pairs GRVT still lists as open (tracking lost, late creates)."""
        traded, _, _ = await self._traded_filter()
        for exchange_order in await self._account.open_orders():
            if exchange_order.instrument in traded and exchange_order.has_exchange_id:
                await self._cancel_by_order_id(exchange_order.order_id, "GRVT order")

    async def _wait_until_final(self, orders: Sequence[InFlightOrder], deadline: float, budget: float) -> None:
        until = min(deadline, time.monotonic() + budget)
        while any(self.state_of(order) not in FINAL_STATES for order in orders) and time.monotonic() < until:
            await asyncio.sleep(0.02)

    async def _within(self, deadline: float, awaitable: Awaitable[T],
                      failure: str = "GRVT cancel-all step did not finish: {error!r}") -> Optional[T]:
        """The awaitable's result, or None (`failure` logged) when it fails or the deadline passes."""
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                return await awaitable
        except Exception as error:
            self.logger().warning(failure.format(error=error))
            return None
