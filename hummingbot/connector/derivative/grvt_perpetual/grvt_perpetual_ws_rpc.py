"""JSON-RPC 2.0 over GRVT's authenticated trades socket, for order entry: a socket of its own (no stream
subscriptions on it, so order replies never queue behind feed traffic), kept open by a supervisor task. A call fails
with GrvtRpcNotSent (it never left), GrvtRpcOutcomeUnknown (it left, no reply in time) or GrvtPerpetualAPIError.
"""
import asyncio
import itertools
from typing import Any, Callable, Dict, Mapping, Optional, Type, TypeVar

import aiohttp
import msgspec

from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_web_utils as web_utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_auth import GrvtPerpetualAuth, GrvtSession
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import (
    GrvtPerpetualAPIError,
    GrvtRpcNotSent,
    GrvtRpcOutcomeUnknown,
    excerpt,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_health import Backoff, ClassLogger
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import (
    NO_RESULT,
    GrvtMessageError,
    decode_reply,
)

T = TypeVar("T")


class _RpcReply(msgspec.Struct):
    id: Optional[int] = None
    result: msgspec.Raw = NO_RESULT
    error: Optional[Dict[str, Any]] = None


_encoder = msgspec.json.Encoder()
_reply_decoder: msgspec.json.Decoder[_RpcReply] = msgspec.json.Decoder(_RpcReply)


class GrvtWsRpcClient(ClassLogger):
    def __init__(
        self,
        url: Callable[[], str],
        auth: GrvtPerpetualAuth,
        on_reconnect: Optional[Callable[[], None]] = None,
    ):
        self._url = url
        self._auth = auth
        self._socket_session: Optional[GrvtSession] = None  # a session error on this socket drops this one only
        self._on_reconnect = on_reconnect
        self._session: Optional[aiohttp.ClientSession] = None
        self._ws: Optional[aiohttp.ClientWebSocketResponse] = None
        self._pending: Dict[int, asyncio.Future] = {}
        self._ids = itertools.count(1)
        self._supervisor: Optional[asyncio.Task] = None
        self._backoff = Backoff(initial=0.25, maximum=15.0)
        self.connections = 0

    @property
    def is_connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    def start(self) -> None:
        if self._supervisor is None or self._supervisor.done():
            self._supervisor = asyncio.ensure_future(self._supervise())

    async def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
            self._supervisor = None
        await self._close_socket()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, params: Mapping[str, Any], reply_type: Type[T], timeout: float,
                   on_sent: Optional[Callable[[], None]] = None) -> T:
        ws = self._ws
        if ws is None or ws.closed:
            raise GrvtRpcNotSent(f"GRVT order socket is not connected ({method} not sent)")
        request_id = next(self._ids) & 0xFFFFFFFF
        future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            try:
                await ws.send_str(_encoder.encode(web_utils.json_rpc_request(method, params, request_id)).decode())
            except (ConnectionError, RuntimeError, aiohttp.ClientError) as error:
                raise GrvtRpcNotSent(f"GRVT order socket failed sending {method}: {error}") from None
            if on_sent is not None:
                on_sent()
            try:
                async with asyncio.timeout(timeout):
                    reply: _RpcReply = await future
            except TimeoutError:
                raise GrvtRpcOutcomeUnknown(f"no reply to {method} within {timeout:.1f} s") from None
        finally:
            self._pending.pop(request_id, None)
        if reply.error is not None:
            api_error = GrvtPerpetualAPIError.from_error_object(reply.error, path=method)
            if api_error.is_session_expired:  # _dispatch dropped the session; the next socket logs in again
                await self._close_socket()
            raise api_error
        try:
            return decode_reply(reply.result, reply_type)
        except GrvtMessageError as error:
            raise GrvtPerpetualAPIError(code=None, message=f"unreadable reply ({error})", path=method) from None

    # Connection supervision
    async def _supervise(self) -> None:
        while True:
            try:
                ws = await self._connect()
                self._backoff.reset()
                await self._read_until_closed(ws)
            except Exception as error:
                self.logger().warning(f"GRVT order socket failed: {error}")
            finally:
                await self._close_socket()
            delay = self._backoff.next_delay()
            self.logger().info(f"GRVT order socket reconnecting in {delay:.1f} s; orders go over REST meanwhile.")
            await asyncio.sleep(delay)

    async def _connect(self) -> aiohttp.ClientWebSocketResponse:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        self._socket_session = await self._auth.ensure_session()
        async with asyncio.timeout(CONSTANTS.WS_CONNECT_TIMEOUT_SECONDS):  # a peer that never answers must not hold it
            self._ws = ws = await self._session.ws_connect(
                self._url(), headers=self._socket_session.headers, heartbeat=CONSTANTS.WS_HEARTBEAT_INTERVAL_SECONDS,
                timeout=aiohttp.ClientWSTimeout(ws_close=CONSTANTS.WS_CONNECT_TIMEOUT_SECONDS), max_msg_size=0)
        self.connections += 1
        if self.connections > 1 and self._on_reconnect is not None:
            self._on_reconnect()
        self.logger().info("GRVT order socket connected.")
        return ws

    async def _read_until_closed(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                self._dispatch(message.data)
            elif message.type == aiohttp.WSMsgType.ERROR:
                raise ConnectionError(f"socket error {ws.exception()}")

    def _dispatch(self, data: Any) -> None:
        try:
            reply = _reply_decoder.decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError):
            self.logger().debug(f"Ignoring an unreadable message on the GRVT order socket: {excerpt(str(data))}")
            return
        if reply.error is not None and GrvtPerpetualAPIError.from_error_object(reply.error).is_session_expired:
            self._auth.invalidate_session(self._socket_session)  # a reply's or an unsolicited one's (no id)
        future = self._pending.get(reply.id) if reply.id is not None else None
        if future is not None and not future.done():
            future.set_result(reply)

    async def _close_socket(self) -> None:
        ws, self._ws = self._ws, None
        for future in list(self._pending.values()):
            if not future.done():
                future.set_exception(GrvtRpcOutcomeUnknown("GRVT order socket closed before the reply"))
        if ws is not None and not ws.closed:
            await ws.close()
