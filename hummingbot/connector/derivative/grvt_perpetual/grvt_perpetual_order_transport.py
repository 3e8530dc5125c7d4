"""Order entry over REST, or as JSON-RPC over the trades socket (whose `params` are the REST body) with REST as its
failover: each transport implements one `call(route, body, reply type)`, the order-entry operations are built on it.
"""
import asyncio
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Sequence, Type, TypeVar

from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_web_utils as web_utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import GrvtPerpetualAPIError, GrvtRpcNotSent
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_health import ClassLogger
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import (
    GrvtAck,
    GrvtBulkOrdersReply,
    GrvtOrder,
    GrvtResult,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_ws_rpc import GrvtWsRpcClient
from hummingbot.core.api_throttler.async_throttler_base import AsyncThrottlerBase

T = TypeVar("T")
OnSent = Optional[Callable[[], None]]
# (route, body, reply type, on_sent) -> decoded reply; raises GrvtPerpetualAPIError for errors and unreadable answers
RestCall = Callable[[str, Dict[str, Any], Type[T], OnSent], Awaitable[T]]


class GrvtPerpetualOrderTransport(ClassLogger):
    """Order entry for one sub-account over REST; an ack means "accepted", the outcome comes on the private streams."""

    def __init__(self, sub_account_id: str, rest_call: RestCall, throttler: AsyncThrottlerBase):
        self.sub_account_id = str(sub_account_id)
        self._rest_call = rest_call
        self._throttler = throttler
        self.cancel_time_to_live_refused = False  # GRVT refused it once: cancels go without (its default applies)

    @property
    def active_name(self) -> str:
        """The way the next request takes ("rest" or "websocket"); it labels latency metrics."""
        return "rest"

    def start(self) -> None:
        """Opens whatever connection the transport keeps (nothing for REST)."""

    async def stop(self) -> None:
        """Releases the transport's connections (nothing for REST)."""

    async def call(self, route: str, body: Dict[str, Any], reply_type: Type[T], on_sent: OnSent = None) -> T:
        """Sends one order-entry request (`route` is the REST path) and decodes the reply."""
        return await self._rest_call(route, body, reply_type, on_sent)

    async def _ack(self, route: str, **fields: Any) -> bool:
        body = {"sub_account_id": self.sub_account_id, **fields}
        return (await self.call(route, body, GrvtResult[GrvtAck])).result.ack

    def _time_to_live(self, time_to_live_ms: Optional[int]) -> Dict[str, str]:
        if time_to_live_ms is None or self.cancel_time_to_live_refused:
            return {}
        return {"time_to_live_ms": str(min(int(time_to_live_ms), CONSTANTS.CANCEL_TIME_TO_LIVE_MAX_MS))}

    async def create_order(self, order: Mapping[str, Any], on_sent: OnSent = None) -> GrvtOrder:
        reply = await self.call(CONSTANTS.CREATE_ORDER_PATH_URL, {"order": dict(order)}, GrvtResult[GrvtOrder], on_sent)
        return reply.result

    async def cancel_order_by_id(self, order_id: str) -> bool:
        return await self._ack(CONSTANTS.CANCEL_ORDER_PATH_URL, order_id=str(order_id))

    async def cancel_order(self, client_order_id: str, time_to_live_ms: Optional[int] = None) -> bool:
        time_to_live = self._time_to_live(time_to_live_ms)
        try:
            return await self._ack(CONSTANTS.CANCEL_ORDER_PATH_URL, client_order_id=str(client_order_id),
                                   **time_to_live)
        except GrvtPerpetualAPIError as error:
            if not time_to_live or error.code not in CONSTANTS.CANCEL_TIME_TO_LIVE_REFUSED_CODES:
                raise
            self.logger().warning(f"{error}; GRVT cancels are sent without a time-to-live from now on.")
            self.cancel_time_to_live_refused = True
            return await self.cancel_order(client_order_id=client_order_id)

    async def bulk_orders(self, orders: Sequence[Mapping[str, Any]], cancel_client_order_ids: Sequence[str] = (),
                          time_to_live_ms: Optional[int] = None, on_sent: OnSent = None) -> GrvtBulkOrdersReply:
        """Cancels (by client id) and/or creates up to 100 orders of one instrument (the lifecycle sees to both)."""
        body = {"sub_account_id": self.sub_account_id, "orders": [dict(order) for order in orders],
                **self._time_to_live(time_to_live_ms)}
        if cancel_client_order_ids:  # the field name as GRVT's API spec spells it (ApiBulkOrdersRequest)
            body["client_order_i_ds"] = [str(client_id) for client_id in cancel_client_order_ids]
        # GRVT charges each created order as a create_order call; the request itself takes the bulk bucket.
        for _ in orders:
            async with self._throttler.execute_task(limit_id=CONSTANTS.CREATE_ORDER_PATH_URL):
                pass
        return await self.call(CONSTANTS.BULK_ORDERS_PATH_URL, body, GrvtBulkOrdersReply, on_sent)

    async def cancel_all_orders(self, base: Optional[Sequence[str]] = None,
                                quote: Optional[Sequence[str]] = None) -> bool:
        filters = {"base": base, "quote": quote}
        return await self._ack(CONSTANTS.CANCEL_ALL_ORDERS_PATH_URL, kind=[CONSTANTS.PERPETUAL_KIND],
                               **{name: list(values) for name, values in filters.items() if values})

    async def cancel_on_disconnect(self, countdown_ms: int) -> bool:
        """Arms (or with 0 disarms) GRVT's dead-man switch: all orders are cancelled when the countdown lapses."""
        return await self._ack(CONSTANTS.CANCEL_ON_DISCONNECT_PATH_URL, countdown_time=str(int(countdown_ms)))


class GrvtPerpetualWsOrderTransport(GrvtPerpetualOrderTransport):
    """Orders over the trades socket while it is up, over REST while it is down. Only a request that never left is
    sent again over REST: one that left without an answer has an unknown outcome (GrvtRpcOutcomeUnknown)."""

    def __init__(self, sub_account_id: str, rest_call: RestCall, client: GrvtWsRpcClient,
                 throttler: AsyncThrottlerBase, timeout: float = 10.0):
        super().__init__(sub_account_id, rest_call, throttler)
        self.client = client
        self.timeout = timeout

    @property
    def active_name(self) -> str:
        return "websocket" if self.client.is_connected else "rest"

    def start(self) -> None:
        self.client.start()

    async def stop(self) -> None:
        await self.client.stop()

    async def call(self, route: str, body: Dict[str, Any], reply_type: Type[T], on_sent: OnSent = None) -> T:
        if self.client.is_connected:
            try:
                async with self._throttler.execute_task(limit_id=route):
                    return await self.client.call(
                        web_utils.ws_rpc_method(route), body, reply_type, self.timeout, on_sent)
            except GrvtRpcNotSent as error:
                self.logger().debug(f"{error}; sending it over REST.")
            except GrvtPerpetualAPIError as error:
                if not error.is_session_expired:
                    raise
                # refused unread (the socket's session expired); REST logs in again while the socket reconnects
                self.logger().info(f"GRVT order socket session expired; sending {route} over REST.")
        return await super().call(route, body, reply_type, on_sent)


class GrvtCancelOnDisconnectHeartbeat(ClassLogger):
    """Re-arms GRVT's cancel-on-disconnect countdown every third of it. Stopping leaves the last countdown running on
    purpose: it is the dead-man switch should this process die or lose the network."""

    def __init__(self, transport: GrvtPerpetualOrderTransport, countdown_ms: int):
        self._transport = transport
        self.countdown_ms = countdown_ms  # in GRVT's range: grvt_perpetual_utils.cancel_on_disconnect_ms_option
        self.interval_seconds = (countdown_ms // 1000) / 3.0  # GRVT counts down whole seconds
        self._task: Optional[asyncio.Task] = None
        self._consecutive_failures = 0

    @property
    def is_running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.is_running:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._transport.cancel_on_disconnect(self.countdown_ms)
                self._consecutive_failures = 0
            except Exception as exception:
                self._consecutive_failures += 1
                self.logger().warning(
                    f"Cancel-on-disconnect heartbeat failed ({self._consecutive_failures} in a row): {exception}. "
                    f"GRVT cancels all open orders if no heartbeat arrives within {self.countdown_ms} ms.")
            await asyncio.sleep(self.interval_seconds)
