"""Order entry behind one small interface.

``GrvtPerpetualOrderTransport`` is what the derivative talks to: create, cancel, bulk (v2/bulk_orders, for
requotes), cancel-all and the cancel-on-disconnect heartbeat. The request bodies are built by
``GrvtOrderEntryRequests`` and are identical for REST and for WebSocket JSON-RPC (whose ``params`` are the REST
body), so a JSON-RPC transport -- with REST fallback and client-order-id dedupe -- can implement the same interface
and reuse the builders and response parsers without touching the derivative.
"""
import asyncio
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Sequence, Tuple

from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_web_utils as web_utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import (
    GrvtInstrument,
    GrvtMessageError,
    GrvtOrder,
    ack_of,
    result_object,
    to_bool,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_signer import GrvtPerpetualOrderSigner
from hummingbot.core.api_throttler.async_throttler_base import AsyncThrottlerBase
from hummingbot.core.data_type.common import OrderType
from hummingbot.logger import HummingbotLogger

# (path_url, body) -> decoded JSON body; raises GrvtPerpetualAPIError for GRVT error envelopes.
RestPoster = Callable[[str, Dict[str, Any]], Awaitable[Any]]


def decimal_string(value: Decimal) -> str:
    """Plain decimal notation without exponent or trailing zeros ("1E-7" -> "0.0000001", "90000.0" -> "90000")."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


class GrvtSignedOrderFactory:
    """
    Turns a Hummingbot order into a signed GRVT order object: LIMIT = GOOD_TILL_TIME, LIMIT_MAKER = GOOD_TILL_TIME +
    post_only, MARKET = IMMEDIATE_OR_CANCEL + is_market with limit price "0" (signed as 0), reduce_only for closes.
    The signature expiration is the order's lifetime on GRVT; it defaults to minutes, not days, so a quote left
    behind by a crashed bot dies on its own.
    """

    def __init__(
        self,
        signer: GrvtPerpetualOrderSigner,
        sub_account_id: str,
        expiry_seconds: float,
        clock_ns: Callable[[], int] = web_utils.now_ns,
    ):
        if expiry_seconds <= 0:
            raise ValueError(f"Order signature lifetime must be positive, got {expiry_seconds}.")
        self._signer = signer
        self._sub_account_id = str(sub_account_id)
        self._expiry_seconds = float(expiry_seconds)
        self._clock_ns = clock_ns

    @property
    def expiry_seconds(self) -> float:
        return self._expiry_seconds

    def build(
        self,
        client_order_id: str,
        instrument: GrvtInstrument,
        is_buy: bool,
        amount: Decimal,
        order_type: OrderType,
        price: Optional[Decimal],
        reduce_only: bool,
        expiry_seconds: Optional[float] = None,
    ) -> Dict[str, Any]:
        is_market = order_type is OrderType.MARKET
        if order_type not in (OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.MARKET):
            raise ValueError(f"GRVT does not support {order_type} orders.")
        if not is_market and (price is None or not price.is_finite() or price <= 0):
            raise ValueError(f"A {order_type.name} order needs a positive price, got {price}.")
        time_in_force = (CONSTANTS.TIME_IN_FORCE_IMMEDIATE_OR_CANCEL if is_market
                         else CONSTANTS.TIME_IN_FORCE_GOOD_TILL_TIME)
        post_only = order_type is OrderType.LIMIT_MAKER
        size_text = decimal_string(amount)
        price_text = "0" if is_market else decimal_string(price)
        expiration = web_utils.expiration_ns(
            expiry_seconds if expiry_seconds is not None else self._expiry_seconds, now_nanoseconds=self._clock_ns())
        signature = self._signer.sign_order(
            sub_account_id=self._sub_account_id,
            is_market=is_market,
            time_in_force=time_in_force,
            post_only=post_only,
            reduce_only=reduce_only,
            instrument_hash=instrument.instrument_hash,
            size=size_text,
            price=price_text,
            is_buy=is_buy,
            base_decimals=instrument.base_decimals,
            nonce=self._signer.new_nonce(),
            expiration_ns=expiration,
        )
        return {
            "sub_account_id": self._sub_account_id,
            "is_market": is_market,
            "time_in_force": time_in_force,
            "post_only": post_only,
            "reduce_only": reduce_only,
            "legs": [{
                "instrument": instrument.instrument,
                "size": size_text,
                "limit_price": price_text,
                "is_buying_asset": is_buy,
            }],
            "signature": signature,
            "metadata": {"client_order_id": str(client_order_id)},
        }


@dataclass(slots=True)
class GrvtBulkOrdersResult:
    orders: Tuple[GrvtOrder, ...]
    cancel_acks: Tuple[bool, ...]


class GrvtOrderEntryRequests:
    """Builds the request bodies of the order-entry routes for one sub-account."""

    def __init__(self, sub_account_id: str):
        self._sub_account_id = str(sub_account_id)

    @property
    def sub_account_id(self) -> str:
        return self._sub_account_id

    @staticmethod
    def create_order(order: Mapping[str, Any]) -> Dict[str, Any]:
        return {"order": dict(order)}

    def cancel_order(
        self,
        client_order_id: Optional[str] = None,
        order_id: Optional[str] = None,
        time_to_live_ms: Optional[int] = None,
    ) -> Dict[str, Any]:
        if (client_order_id is None) == (order_id is None):
            # GRVT rejects both (2233) and neither (3021); fail before spending a request.
            raise ValueError("Cancel needs exactly one of client_order_id or order_id.")
        body: Dict[str, Any] = {"sub_account_id": self._sub_account_id}
        if order_id is not None:
            body["order_id"] = str(order_id)
        else:
            body["client_order_id"] = str(client_order_id)
            if time_to_live_ms is not None:
                body["time_to_live_ms"] = str(min(int(time_to_live_ms), CONSTANTS.CANCEL_TIME_TO_LIVE_MAX_MS))
        return body

    def bulk_orders(
        self,
        orders: Sequence[Mapping[str, Any]],
        cancel_client_order_ids: Sequence[str] = (),
        cancel_order_ids: Sequence[str] = (),
        time_to_live_ms: Optional[int] = None,
    ) -> Dict[str, Any]:
        if cancel_client_order_ids and cancel_order_ids:
            raise ValueError("Bulk orders take either client order ids or order ids to cancel, not both.")
        if len(orders) > CONSTANTS.MAX_BULK_ORDERS or max(
                len(cancel_client_order_ids), len(cancel_order_ids)) > CONSTANTS.MAX_BULK_ORDERS:
            raise ValueError(f"Bulk orders accept at most {CONSTANTS.MAX_BULK_ORDERS} orders and ids per request.")
        instruments = {leg["instrument"] for order in orders for leg in order.get("legs", ())}
        if len(instruments) > 1:
            raise ValueError("Bulk-created orders must all be for the same instrument.")
        body: Dict[str, Any] = {"sub_account_id": self._sub_account_id, "orders": [dict(order) for order in orders]}
        # Field names as GRVT's API spec spells them (ApiBulkOrdersRequest).
        if cancel_order_ids:
            body["order_i_ds"] = [str(order_id) for order_id in cancel_order_ids]
        if cancel_client_order_ids:
            body["client_order_i_ds"] = [str(client_id) for client_id in cancel_client_order_ids]
        if time_to_live_ms is not None:
            body["time_to_live_ms"] = str(min(int(time_to_live_ms), CONSTANTS.CANCEL_TIME_TO_LIVE_MAX_MS))
        return body

    def cancel_all_orders(
        self,
        kind: Optional[Sequence[str]] = (CONSTANTS.PERPETUAL_KIND,),
        base: Optional[Sequence[str]] = None,
        quote: Optional[Sequence[str]] = None,
    ) -> Dict[str, Any]:
        body: Dict[str, Any] = {"sub_account_id": self._sub_account_id}
        if kind:
            body["kind"] = list(kind)
        if base:
            body["base"] = list(base)
        if quote:
            body["quote"] = list(quote)
        return body

    def cancel_on_disconnect(self, countdown_ms: int) -> Dict[str, Any]:
        countdown_ms = int(countdown_ms)
        if countdown_ms != 0 and not (
                CONSTANTS.CANCEL_ON_DISCONNECT_MIN_MS <= countdown_ms <= CONSTANTS.CANCEL_ON_DISCONNECT_MAX_MS):
            raise ValueError(
                f"Cancel-on-disconnect countdown must be 0 (off) or between {CONSTANTS.CANCEL_ON_DISCONNECT_MIN_MS} "
                f"and {CONSTANTS.CANCEL_ON_DISCONNECT_MAX_MS} ms, got {countdown_ms}.")
        return {"sub_account_id": self._sub_account_id, "countdown_time": str(countdown_ms)}


def parse_create_order_response(response: Any) -> GrvtOrder:
    return GrvtOrder.from_json(result_object(response, "create order response"))


def parse_bulk_orders_response(response: Any) -> GrvtBulkOrdersResult:
    if isinstance(response, Mapping) and isinstance(response.get("result"), Mapping):
        response = response["result"]  # tolerate the usual envelope, the spec answers without it
    if not isinstance(response, Mapping):
        raise GrvtMessageError("GRVT bulk orders response must be a JSON object")
    orders = response.get("orders")
    acks = response.get("cancel_acks")
    orders = [] if orders is None else orders
    acks = [] if acks is None else acks
    if not isinstance(orders, list) or not isinstance(acks, list):
        raise GrvtMessageError("GRVT bulk orders response 'orders' and 'cancel_acks' must be lists")
    return GrvtBulkOrdersResult(
        orders=tuple(GrvtOrder.from_json(order) for order in orders),
        cancel_acks=tuple(
            to_bool(ack.get("ack", False) if isinstance(ack, Mapping) else ack, "bulk cancel ack", "ack")
            for ack in acks),
    )


class GrvtPerpetualOrderTransport(ABC):
    """
    Order entry for one sub-account. Calls raise GrvtPerpetualAPIError when GRVT refuses and GrvtMessageError when
    the answer cannot be read; an ack (True) means "accepted", the outcome always arrives on the private streams.
    """

    def __init__(self, requests: GrvtOrderEntryRequests):
        self._requests = requests

    @property
    def requests(self) -> GrvtOrderEntryRequests:
        return self._requests

    async def start(self):
        """Opens whatever connection the transport needs (nothing for REST)."""

    async def stop(self):
        """Releases the transport's connections (nothing for REST)."""

    @abstractmethod
    async def create_order(self, order: Mapping[str, Any]) -> GrvtOrder:
        """Submits a signed order; the answer carries order_id "0x00" and status PENDING on GRVT."""

    @abstractmethod
    async def cancel_order(
        self,
        client_order_id: Optional[str] = None,
        order_id: Optional[str] = None,
        time_to_live_ms: Optional[int] = None,
    ) -> bool:
        """Asks GRVT to cancel one order; True = request acknowledged (the cancel itself is asynchronous)."""

    @abstractmethod
    async def bulk_orders(
        self,
        orders: Sequence[Mapping[str, Any]],
        cancel_client_order_ids: Sequence[str] = (),
        cancel_order_ids: Sequence[str] = (),
        time_to_live_ms: Optional[int] = None,
    ) -> GrvtBulkOrdersResult:
        """Cancels and/or creates up to 100 orders of one instrument in one request (requotes)."""

    @abstractmethod
    async def cancel_all_orders(
        self,
        kind: Optional[Sequence[str]] = (CONSTANTS.PERPETUAL_KIND,),
        base: Optional[Sequence[str]] = None,
        quote: Optional[Sequence[str]] = None,
    ) -> bool:
        """Cancels every open order matching the filters in one request."""

    @abstractmethod
    async def cancel_on_disconnect(self, countdown_ms: int) -> bool:
        """Arms (or with 0 disarms) GRVT's dead-man switch: all orders are cancelled when the countdown lapses."""


class GrvtPerpetualRestOrderTransport(GrvtPerpetualOrderTransport):
    def __init__(
        self,
        requests: GrvtOrderEntryRequests,
        post: RestPoster,
        throttler: Optional[AsyncThrottlerBase] = None,
    ):
        super().__init__(requests)
        self._post = post
        self._throttler = throttler

    async def create_order(self, order: Mapping[str, Any]) -> GrvtOrder:
        response = await self._post(CONSTANTS.CREATE_ORDER_PATH_URL, self._requests.create_order(order))
        return parse_create_order_response(response)

    async def cancel_order(
        self,
        client_order_id: Optional[str] = None,
        order_id: Optional[str] = None,
        time_to_live_ms: Optional[int] = None,
    ) -> bool:
        body = self._requests.cancel_order(
            client_order_id=client_order_id, order_id=order_id, time_to_live_ms=time_to_live_ms)
        response = await self._post(CONSTANTS.CANCEL_ORDER_PATH_URL, body)
        return ack_of(response, "cancel order response")

    async def bulk_orders(
        self,
        orders: Sequence[Mapping[str, Any]],
        cancel_client_order_ids: Sequence[str] = (),
        cancel_order_ids: Sequence[str] = (),
        time_to_live_ms: Optional[int] = None,
    ) -> GrvtBulkOrdersResult:
        body = self._requests.bulk_orders(
            orders=orders,
            cancel_client_order_ids=cancel_client_order_ids,
            cancel_order_ids=cancel_order_ids,
            time_to_live_ms=time_to_live_ms)
        if self._throttler is not None:
            # GRVT charges each created order as a create_order call; the post itself takes the bulk bucket.
            for _ in orders:
                async with self._throttler.execute_task(limit_id=CONSTANTS.CREATE_ORDER_PATH_URL):
                    pass
        response = await self._post(CONSTANTS.BULK_ORDERS_PATH_URL, body)
        return parse_bulk_orders_response(response)

    async def cancel_all_orders(
        self,
        kind: Optional[Sequence[str]] = (CONSTANTS.PERPETUAL_KIND,),
        base: Optional[Sequence[str]] = None,
        quote: Optional[Sequence[str]] = None,
    ) -> bool:
        body = self._requests.cancel_all_orders(kind=kind, base=base, quote=quote)
        response = await self._post(CONSTANTS.CANCEL_ALL_ORDERS_PATH_URL, body)
        return ack_of(response, "cancel all orders response")

    async def cancel_on_disconnect(self, countdown_ms: int) -> bool:
        response = await self._post(
            CONSTANTS.CANCEL_ON_DISCONNECT_PATH_URL, self._requests.cancel_on_disconnect(countdown_ms))
        return ack_of(response, "cancel on disconnect response")


class GrvtCancelOnDisconnectHeartbeat:
    """
    Keeps GRVT's cancel-on-disconnect countdown armed by re-sending it every `interval_seconds`. If this process
    dies or loses the network, the countdown lapses and GRVT cancels every open order of the sub-account.
    Stopping the heartbeat leaves the last countdown running on purpose (that is the dead-man switch); call
    `disarm` to switch it off explicitly.
    """

    _logger: Optional[HummingbotLogger] = None

    def __init__(
        self,
        transport: GrvtPerpetualOrderTransport,
        countdown_ms: int,
        interval_seconds: Optional[float] = None,
    ):
        if not (CONSTANTS.CANCEL_ON_DISCONNECT_MIN_MS <= int(countdown_ms) <= CONSTANTS.CANCEL_ON_DISCONNECT_MAX_MS):
            raise ValueError(
                f"Cancel-on-disconnect countdown must be between {CONSTANTS.CANCEL_ON_DISCONNECT_MIN_MS} and "
                f"{CONSTANTS.CANCEL_ON_DISCONNECT_MAX_MS} ms, got {countdown_ms}.")
        self._transport = transport
        self._countdown_ms = int(countdown_ms)
        # Three beats per countdown: one lost request never lets the switch fire.
        self._interval = interval_seconds if interval_seconds is not None else self._countdown_ms / 3000.0
        self._task: Optional[asyncio.Task] = None
        self._consecutive_failures = 0
        self.beats_acknowledged = 0

    @classmethod
    def logger(cls) -> HummingbotLogger:
        if cls._logger is None:
            cls._logger = logging.getLogger(HummingbotLogger.logger_name_for_class(cls))
        return cls._logger

    @property
    def countdown_ms(self) -> int:
        return self._countdown_ms

    @property
    def interval_seconds(self) -> float:
        return self._interval

    @property
    def is_running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self):
        if not self.is_running:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self):
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def disarm(self):
        await self.stop()
        await self._transport.cancel_on_disconnect(0)

    async def beat(self) -> bool:
        acknowledged = await self._transport.cancel_on_disconnect(self._countdown_ms)
        if acknowledged:
            self.beats_acknowledged += 1
        return acknowledged

    async def _run(self):
        while True:
            try:
                await self.beat()
                self._consecutive_failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exception:
                self._consecutive_failures += 1
                self.logger().warning(
                    f"Cancel-on-disconnect heartbeat failed ({self._consecutive_failures} in a row): {exception}. "
                    f"GRVT cancels all open orders if no heartbeat arrives within {self._countdown_ms} ms.")
            await asyncio.sleep(self._interval)
