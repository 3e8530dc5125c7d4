"""Private GRVT streams of one sub-account (orders, fills, positions, cancels) on the trades socket.

Sequence numbers are checked per (stream, selector): a jump means messages were lost, so a ``RESYNC_EVENT`` marker is
queued and the connector reconciles through REST. The same marker follows every reconnect, because whatever happened
while the socket was down was not streamed.
"""
import asyncio
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_web_utils as web_utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_auth import (
    GrvtAuthError,
    GrvtPerpetualAuth,
    GrvtSession,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import GrvtPerpetualAPIError, excerpt
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_health import Backoff
from hummingbot.core.data_type.user_stream_tracker_data_source import UserStreamTrackerDataSource
from hummingbot.core.web_assistant.connections.data_types import WSJSONRequest
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory
from hummingbot.core.web_assistant.ws_assistant import WSAssistant

RESYNC_EVENT = "grvt_perpetual.resync"  # internal marker: private events may have been missed
# request id -> stream, on every socket (keyed by whatever id an answer carries)
_SUBSCRIPTION_IDS: Dict[Any, str] = dict(enumerate(CONSTANTS.WS_PRIVATE_STREAMS, start=1))


def resync_event(reason: str) -> Dict[str, Any]:
    return {"stream": RESYNC_EVENT, "feed": {"reason": reason}}


class GrvtPerpetualUserStreamDataSource(UserStreamTrackerDataSource):

    def __init__(
        self,
        auth: GrvtPerpetualAuth,
        api_factory: WebAssistantsFactory,
        domain: str = CONSTANTS.DEFAULT_DOMAIN,
        on_reconnect: Optional[Callable[[], None]] = None,
    ):
        super().__init__()
        self._on_reconnect = on_reconnect
        self._backoff = Backoff(initial=0.5, maximum=30.0)
        self._auth = auth
        self._api_factory = api_factory
        self._domain = domain
        self._last_sequence: Dict[Tuple[str, str], int] = {}
        self._connections = 0
        self._socket_session: Optional[GrvtSession] = None

    async def _connected_websocket_assistant(self) -> WSAssistant:
        try:
            self._socket_session = await self._auth.ensure_session()  # a 1000 on this socket drops this one only
        except GrvtAuthError as error:  # e.g. a refused API key: one line each retry, not a traceback
            raise ConnectionError(f"no GRVT session for the private socket: {error}") from None
        ws = await self._api_factory.get_ws_assistant()
        async with asyncio.timeout(CONSTANTS.WS_CONNECT_TIMEOUT_SECONDS):  # a silent peer must not hold the reconnect
            await ws.connect(ws_url=web_utils.private_ws_url(self._domain), ws_headers=self._socket_session.headers,
                             ping_timeout=CONSTANTS.WS_HEARTBEAT_INTERVAL_SECONDS)
        return ws

    async def _subscribe_channels(self, websocket_assistant: WSAssistant) -> None:
        self._last_sequence.clear()
        selector = self._auth.trading_account_id  # a private stream's updates of every instrument
        for request_id, stream in _SUBSCRIPTION_IDS.items():
            await websocket_assistant.send(WSJSONRequest(payload=web_utils.json_rpc_request(
                CONSTANTS.WS_RPC_SUBSCRIBE, {"stream": stream, "selectors": [selector]}, request_id)))
        self._connections += 1
        self.logger().info(f"Subscribed to GRVT private streams {', '.join(CONSTANTS.WS_PRIVATE_STREAMS)}.")

    async def _process_websocket_messages(self, websocket_assistant: WSAssistant, queue: asyncio.Queue) -> None:
        if self._connections > 1:
            if self._on_reconnect is not None:
                self._on_reconnect()
            queue.put_nowait(resync_event("reconnected"))
        await super()._process_websocket_messages(websocket_assistant=websocket_assistant, queue=queue)

    async def _on_user_stream_interruption(self, websocket_assistant: Optional[WSAssistant]) -> None:
        await super()._on_user_stream_interruption(websocket_assistant=websocket_assistant)
        if websocket_assistant is not None and websocket_assistant.last_recv_time > 0:
            self._backoff.reset()  # the socket worked: reconnect soon
        delay = self._backoff.next_delay()
        self.logger().info(f"GRVT private socket closed; reconnecting in {delay:.1f} s.")
        await self._sleep(delay)

    async def _process_event_message(self, event_message: Any, queue: asyncio.Queue) -> None:
        if not isinstance(event_message, Mapping):
            self.logger().debug(f"Ignoring non-JSON message on the GRVT private socket: {excerpt(str(event_message))}")
            return
        if "feed" in event_message and "stream" in event_message:
            self._forward_feed(event_message, queue)
        elif event_message.get("error") is not None or event_message.get("code"):
            self._handle_error(event_message)
        elif "result" in event_message and event_message.get("id") in _SUBSCRIPTION_IDS:
            self.logger().debug(
                f"GRVT private stream {_SUBSCRIPTION_IDS[event_message['id']]} subscribed: {event_message['result']}")

    def _forward_feed(self, message: Mapping[str, Any], queue: asyncio.Queue) -> None:
        key = (str(message["stream"]), str(message.get("selector", "")))
        try:
            sequence = int(message.get("sequence_number") or 0)
        except (TypeError, ValueError):
            sequence = 0  # unreadable: forwarded unchecked, like a snapshot's 0
        if sequence > 0:
            last = self._last_sequence.get(key)
            if last is not None:
                if sequence <= last:
                    self.logger().debug(f"Dropping duplicate {key[0]} message {sequence} (last {last}).")
                    return
                if sequence > last + 1:
                    self.logger().warning(
                        f"GRVT {key[0]} skipped sequence numbers {last + 1}..{sequence - 1}; reconciling via REST.")
                    queue.put_nowait(resync_event(f"{key[0]} sequence gap"))
            self._last_sequence[key] = sequence
        queue.put_nowait(message)

    def _handle_error(self, message: Mapping[str, Any]) -> None:
        error = message.get("error")
        if not isinstance(error, Mapping):
            error = message
        api_error = GrvtPerpetualAPIError.from_error_object(error)
        detail = f"{api_error.code}: {error.get('message', '')}" if api_error.code is not None else excerpt(str(error))
        if api_error.is_session_expired:
            self._auth.invalidate_session(self._socket_session)
            raise ConnectionError(f"GRVT private socket session rejected ({detail}); reconnecting.")
        stream = _SUBSCRIPTION_IDS.get(message.get("id"))
        where = f" subscribing {stream}" if stream else ""
        self.logger().error(f"GRVT private socket error{where}: {detail}")
