"""Typed REST queries about one GRVT sub-account: orders, fills, positions, balances, leverage, funding payments.

Every query is read-only, so a transient failure (5xx, timeout, rate limit, an empty or unreadable answer) is asked
again with backoff before it is reported; a reply without its `result` is an error, never "no data", so state is
replaced only by a valid answer.
"""
import asyncio
import time
from decimal import Decimal
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple, Type, TypeVar

import msgspec

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_health import Backoff, ClassLogger, retry_query
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import (
    GrvtFill,
    GrvtFundingPayment,
    GrvtFundingRate,
    GrvtInitialLeverage,
    GrvtInstrument,
    GrvtLeverageList,
    GrvtMessageError,
    GrvtOrder,
    GrvtOrderRecord,
    GrvtPage,
    GrvtPosition,
    GrvtResult,
    GrvtSubAccount,
    GrvtSuccess,
    is_real_order_id,
    load,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_web_utils import seconds_to_ns

T = TypeVar("T")


class GrvtPerpetualAccountClient(ClassLogger):
    MAX_HISTORY_PAGES = 20
    QUERY_ATTEMPTS = 4

    def __init__(self, sub_account_id: str, post: Callable[..., Awaitable[Any]],  # GrvtRestClient.request
                 on_retry: Optional[Callable[[BaseException], None]] = None):
        self._sub_account_id = str(sub_account_id)
        self._post = post
        self._on_retry = on_retry

    def body(self, **fields: Any) -> Dict[str, Any]:
        """A request body of this sub-account; fields given as None are left out."""
        return {"sub_account_id": self._sub_account_id, **{key: val for key, val in fields.items() if val is not None}}

    async def order(self, client_order_id: str, attempts: Optional[int] = None,
                    order_id: Optional[str] = None) -> GrvtOrderRecord:
        """The order, looked up by its GRVT id once known (a client id is only unique among active orders), else by
        client id; GrvtPerpetualAPIError 1004 when GRVT does not know it."""
        reference = {"order_id": order_id} if is_real_order_id(order_id) else {"client_order_id": client_order_id}
        reply = await self._query(CONSTANTS.ORDER_PATH_URL, self.body(**reference), GrvtResult[GrvtOrderRecord],
                                  attempts=attempts)
        return reply.result

    async def open_orders(self) -> List[GrvtOrder]:
        reply = await self._query(CONSTANTS.OPEN_ORDERS_PATH_URL, self.body(kind=[CONSTANTS.PERPETUAL_KIND]),
                                  GrvtResult[List[msgspec.Raw]])
        return self._items(reply.result, GrvtOrder)

    async def fills(self, instrument: GrvtInstrument, start_ns: int) -> List[GrvtFill]:
        """Fills of the instrument at or after `start_ns` (0 = as far back as the page limit allows)."""
        body = self.body(
            kind=[CONSTANTS.PERPETUAL_KIND], base=[instrument.base], quote=[instrument.quote],
            start_time=str(start_ns) if start_ns > 0 else None, limit=CONSTANTS.HISTORY_PAGE_LIMIT)
        fills = await self._history(
            CONSTANTS.FILL_HISTORY_PATH_URL, body, GrvtFill,
            reached_start=lambda page: any(fill.event_time < start_ns for fill in page))
        return [fill for fill in fills if fill.instrument == instrument.instrument and fill.event_time >= start_ns]

    async def account_summary(self) -> GrvtSubAccount:
        reply = await self._query(CONSTANTS.ACCOUNT_SUMMARY_PATH_URL, self.body(), GrvtResult[GrvtSubAccount])
        return reply.result

    async def positions(self) -> Tuple[List[GrvtPosition], bool]:
        """The readable positions, and whether that is all of them (a position not readable may still be open)."""
        reply = await self._query(CONSTANTS.POSITIONS_PATH_URL, self.body(kind=[CONSTANTS.PERPETUAL_KIND]),
                                  GrvtResult[List[msgspec.Raw]])
        positions = self._items(reply.result, GrvtPosition)
        return positions, len(positions) == len(reply.result)

    async def initial_leverages(self) -> List[GrvtInitialLeverage]:
        reply = await self._query(CONSTANTS.GET_ALL_INITIAL_LEVERAGE_PATH_URL, self.body(), GrvtLeverageList)
        return self._items(reply.results, GrvtInitialLeverage)

    async def set_initial_leverage(self, instrument: str, leverage: int) -> bool:
        reply = await self._post(
            CONSTANTS.SET_INITIAL_LEVERAGE_PATH_URL, self.body(instrument=instrument, leverage=str(leverage)),
            GrvtSuccess)
        return reply.success

    async def funding_payments(
        self, instrument: str, after_ns: int = 0, latest_only: bool = False
    ) -> List[GrvtFundingPayment]:
        """Payments strictly after `after_ns`, oldest first; with `latest_only` just the newest one."""
        body = self.body(
            instrument=instrument, start_time=str(after_ns + 1) if after_ns > 0 else None,
            limit=1 if latest_only else CONSTANTS.HISTORY_PAGE_LIMIT)
        payments = await self._history(
            CONSTANTS.FUNDING_PAYMENT_HISTORY_PATH_URL, body, GrvtFundingPayment,
            reached_start=lambda page: latest_only or any(payment.event_time <= after_ns for payment in page))
        selected = sorted(
            (payment for payment in payments if payment.instrument == instrument and payment.event_time > after_ns),
            key=lambda payment: payment.event_time)
        return selected[-1:] if latest_only else selected

    async def funding_rate_at(self, instrument: str, time_ns: int) -> Optional[Decimal]:
        """The funding rate (a fraction) of the last settlement at or before `time_ns`."""
        reply = await self._query(
            CONSTANTS.FUNDING_RATE_PATH_URL, {"instrument": instrument, "end_time": str(time_ns), "limit": 1},
            GrvtResult[List[GrvtFundingRate]], public=True)
        return reply.result[0].funding_rate * CONSTANTS.FUNDING_RATE_PERCENT_SCALE if reply.result else None

    async def instruments(self, limit: int = 1000, attempts: Optional[int] = None) -> List[msgspec.Raw]:
        """The active perpetuals, left undecoded: the connector logs and skips an unreadable one."""
        body = {"kind": [CONSTANTS.PERPETUAL_KIND], "is_active": True, "limit": limit}
        reply = await self._query(CONSTANTS.INSTRUMENTS_PATH_URL, body, GrvtResult[List[msgspec.Raw]], public=True,
                                  attempts=attempts)
        return reply.result

    async def _query(self, path_url: str, body: Dict[str, Any], reply_type: Type[T], public: bool = False,
                     attempts: Optional[int] = None) -> T:
        return await retry_query(lambda: self._post(path_url, body, reply_type, is_auth_required=not public), path_url,
                                 attempts=attempts or self.QUERY_ATTEMPTS, on_retry=self._on_retry)

    async def _history(self, path_url: str, body: Dict[str, Any], item_type: Type[T],
                       reached_start: Callable[[List[T]], bool]) -> List[T]:
        """Pages come newest first: followed until one reaches the start, the last page or MAX_HISTORY_PAGES."""
        items: List[T] = []
        cursor = None
        for _ in range(self.MAX_HISTORY_PAGES):
            page = await self._query(path_url, dict(body, cursor=cursor) if cursor else body, GrvtPage[msgspec.Raw])
            page_items = self._items(page.result, item_type)
            items.extend(page_items)
            if reached_start(page_items) or not page.next or not page.result:
                return items
            cursor = page.next
        self.logger().warning(f"GRVT {path_url} history truncated after {self.MAX_HISTORY_PAGES} pages.")
        return items

    def _items(self, raw_items: List[msgspec.Raw], item_type: Type[T]) -> List[T]:
        items = []
        for raw in raw_items:
            try:
                items.append(load(raw, item_type))
            except GrvtMessageError as error:
                self.logger().warning(f"Skipping an unreadable GRVT record: {error}")
        return items


class GrvtFundingPayments(ClassLogger):
    """
    The account's funding payments as Hummingbot reports them: (timestamp, rate as a fraction, amount with
    Hummingbot's sign: negative = paid). The sign of GRVT's `amount` is a setting (the spec: positive = paid).
    """

    def __init__(self, account: GrvtPerpetualAccountClient, paid_is_positive: bool, funding_info: Callable[[str], Any]):
        self._account = account
        self.sign = Decimal(-1) if paid_is_positive else Decimal(1)  # GRVT's amount to Hummingbot's
        self._funding_info = funding_info
        self._cumulative: Dict[str, Decimal] = {}

    def settled(self, trading_pair: str, cumulative_funding: Decimal) -> bool:
        """True when a position's cumulative funding moved since it was last seen: a settlement touched it."""
        previous = self._cumulative.get(trading_pair)
        self._cumulative[trading_pair] = cumulative_funding
        return previous is not None and previous != cumulative_funding

    async def payments(self, trading_pair: str, instrument: str,
                       after_seconds: Optional[float]) -> List[Tuple[float, Decimal, Decimal]]:
        """Every payment after `after_seconds`, oldest first; with None just the latest one."""
        payments = await self._account.funding_payments(
            instrument, after_ns=seconds_to_ns(after_seconds or 0), latest_only=after_seconds is None)
        return [(payment.timestamp, await self._rate_of(trading_pair, payment), payment.amount * self.sign)
                for payment in payments]

    async def _rate_of(self, trading_pair: str, payment: GrvtFundingPayment) -> Decimal:
        """The rate of the settlement a payment belongs to; the streamed funding info when GRVT cannot tell."""
        try:
            rate = await self._account.funding_rate_at(payment.instrument, payment.event_time)
            if rate is not None:
                return rate
        except Exception as exception:
            self.logger().debug(f"GRVT funding rate lookup failed: {exception}")
        funding_info = self._funding_info(trading_pair)
        return funding_info.rate if funding_info is not None else Decimal("NaN")


class CoalescingRefresh:
    """
    Runs `refresh` at most once per `min_interval` seconds however often it is requested: requests made while a run
    is pending or in progress collapse into one more run, and a run that fails runs again after a growing delay.
    """

    def __init__(self, refresh: Callable[[], Awaitable[Any]], min_interval: float, logger: Callable,
                 spawn: Callable[[Awaitable], asyncio.Future] = asyncio.ensure_future):
        self._refresh = refresh
        self._spawn = spawn
        self._min_interval = min_interval
        self._logger = logger
        self._requested = False
        self._last_run = float("-inf")
        self._task: Optional[asyncio.Future] = None
        self._retry = Backoff(initial=1.0, maximum=60.0)

    def request(self) -> None:
        self._requested = True
        if self._task is None or self._task.done():
            self._task = self._spawn(self._run())

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._requested = False

    async def _run(self) -> None:
        while self._requested:
            wait = self._last_run + self._min_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._requested = False
            self._last_run = time.monotonic()
            try:
                await self._refresh()
                self._retry.reset()
            except Exception as exception:
                delay = self._retry.next_delay()
                self._logger().warning(f"GRVT account refresh failed ({exception}); trying again in {delay:.1f} s.")
                self._requested = True
                await asyncio.sleep(delay)
