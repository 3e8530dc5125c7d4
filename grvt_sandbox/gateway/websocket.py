"""WebSocket gateway (/ws/full, /ws): JSON-RPC 2.0 subscribe/unsubscribe, every REST route as a JSON-RPC method,
and GRVT's legacy `{"request_id","stream","feed","method"}` subscribe. Each socket has its own bounded send queue
and writer task, so a slow reader only ever hurts itself (it is disconnected when its queue overflows)."""
import asyncio
import json
import logging
from collections import deque
from typing import TYPE_CHECKING, Deque, Dict, List, Optional, Tuple

from aiohttp import WSMsgType, web

from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.faults import RequestFault
from grvt_sandbox.gateway.sessions import Session
from grvt_sandbox.gateway.streams import Feed, StreamHub

if TYPE_CHECKING:  # the server module imports this one
    from grvt_sandbox.server import SandboxServer

logger = logging.getLogger(__name__)
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
SLOW_CONSUMER_CLOSE_CODE = 1008
JSON_RPC_VERSION = "2.0"


class Connection:
    def __init__(self, ws: web.WebSocketResponse, session: Optional[Session], queue_size: int,
                 transport: Optional[asyncio.Transport] = None, remote: Optional[str] = None):
        self.ws = ws
        self.transport = transport
        self.remote = remote
        self.session = session
        self.queue_size = queue_size
        self.queue: Deque[str] = deque()
        self.wakeup = asyncio.Event()
        self.closed = False
        self.feeds: Dict[str, Dict[str, Feed]] = {}  # stream -> primary selector -> feed
        self.writer_task: Optional[asyncio.Task] = None

    def send_text(self, text: str) -> None:
        if self.closed:
            return
        if len(self.queue) >= self.queue_size:
            logger.warning("closing a WebSocket client that fell %d messages behind", len(self.queue))
            self.close(SLOW_CONSUMER_CLOSE_CODE, b"slow consumer")
            return
        self.queue.append(text)
        self.wakeup.set()

    def send_json(self, message: dict) -> None:
        self.send_text(_dumps(message))

    async def run_writer(self) -> None:
        try:
            while not self.closed:
                await self.wakeup.wait()
                self.wakeup.clear()
                while self.queue and not self.closed:
                    await self.ws.send_str(self.queue.popleft())
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            pass
        except Exception:  # a broken transport must not take the gateway down
            logger.debug("WebSocket writer stopped", exc_info=True)

    def close(self, code: int = 1000, message: bytes = b"", abort: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        self.queue.clear()
        self.wakeup.set()
        if abort and self.transport is not None:
            self.transport.abort()
            return
        asyncio.ensure_future(self._close(code, message))

    async def _close(self, code: int, message: bytes) -> None:
        try:
            await asyncio.wait_for(self.ws.close(code=code, message=message), timeout=2.0)
        except Exception:
            if self.transport is not None:
                self.transport.abort()


class WebSocketGateway:
    def __init__(self, server: "SandboxServer"):
        self.server = server
        self.connections: List[Connection] = []

    @property
    def hub(self) -> StreamHub:
        return self.server.hub

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=4 * 1024 * 1024)
        await ws.prepare(request)
        # like REST, a private socket needs the session cookie and the account id header it was issued with;
        # without either the socket is public (private subscribes and trading calls answer 1000)
        account_id = request.headers.get("X-Grvt-Account-Id")
        session = self.server.sessions.lookup(request.cookies.get("gravity"), account_id) if account_id else None
        connection = Connection(ws, session, self.server.config.ws_send_queue_size, request.transport,
                                request.remote)
        connection.writer_task = asyncio.ensure_future(connection.run_writer())
        self.connections.append(connection)
        try:
            async for message in ws:
                if connection.closed:
                    break
                if message.type == WSMsgType.TEXT:
                    await self.on_text(connection, message.data)
                elif message.type == WSMsgType.BINARY:
                    connection.send_json(self._rpc_error(None, None, GrvtApiError(1003, "binary frame")))
                elif message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._forget(connection)
        return ws

    def _forget(self, connection: Connection) -> None:
        connection.closed = True
        connection.wakeup.set()
        for feeds in connection.feeds.values():
            for feed in feeds.values():
                self.hub.unsubscribe(connection, feed)
        connection.feeds.clear()
        if connection in self.connections:
            self.connections.remove(connection)

    def drop_all(self, private_only: bool = False, abort: bool = False) -> int:
        doomed = [c for c in self.connections if not private_only or c.session is not None]
        for connection in doomed:
            self.drop(connection, abort)
        return len(doomed)

    def drop(self, connection: Connection, abort: bool = False) -> None:
        for feeds in connection.feeds.values():
            for feed in feeds.values():
                self.hub.unsubscribe(connection, feed)
        connection.feeds.clear()
        connection.close(1001, b"sandbox dropped the connection", abort=abort)

    # ------------------------------------------------------------------ messages
    async def on_text(self, connection: Connection, text: str) -> None:
        if text.strip().lower() == "ping":  # browser clients' keep-alive; GRVT answers it as malformed
            connection.send_json(self._rpc_error(None, None, GrvtApiError(1003)))
            return
        try:
            message = json.loads(text)
        except ValueError:
            connection.send_json(self._rpc_error(None, None, GrvtApiError(1003, "invalid JSON")))
            return
        if not isinstance(message, dict):
            connection.send_json(self._rpc_error(None, None, GrvtApiError(1003, "not an object")))
            return
        if "feed" in message and "stream" in message and "jsonrpc" not in message:
            self._legacy(connection, message)
            return
        request_id = message.get("id")
        method = message.get("method")
        try:
            if message.get("jsonrpc") != JSON_RPC_VERSION:  # JSONRPCRequest declares it; GRVT's clients all send it
                raise GrvtApiError(1003, 'jsonrpc must be "2.0"')
            if not isinstance(method, str):
                raise GrvtApiError(1003, "method is required")
            params = message.get("params")
            params = {} if params is None else params
            if not isinstance(params, dict):
                raise GrvtApiError(1003, "params must be an object")
            if method == "subscribe":
                result, snapshots = self.subscribe(connection, params)
            elif method == "unsubscribe":
                result, snapshots = self.unsubscribe(connection, params), []
            else:
                faults = self.server.faults
                fault = faults.take_rpc_fault(method) if faults.rpc_faults else None
                if fault is not None:
                    await self._call_with_fault(connection, request_id, method, params, fault)
                    return
                result, snapshots = await self._call(connection, method, params), []
        except GrvtApiError as error:
            connection.send_json(self._rpc_error(request_id, method, error))
            return
        except Exception:
            logger.exception("WebSocket request failed: %s", method)
            connection.send_json(self._rpc_error(request_id, method, GrvtApiError(1002)))
            return
        connection.send_json(self._rpc_result(request_id, method, result))
        for snapshot in snapshots:
            connection.send_text(snapshot)

    async def _call(self, connection: Connection, method: str, params: dict) -> dict:
        return await self.server.call_route(method, params, connection.session, client=connection.remote)

    async def _reply_to_call(self, connection: Connection, request_id: object, method: str, params: dict) -> dict:
        """Executes a JSON-RPC call and returns its reply message (result or error)."""
        try:
            return self._rpc_result(request_id, method, await self._call(connection, method, params))
        except GrvtApiError as error:
            return self._rpc_error(request_id, method, error)

    async def _call_with_fault(self, connection: Connection, request_id: object, method: str, params: dict,
                               fault: RequestFault) -> None:
        """A JSON-RPC call bent by a fault (see grvt_sandbox.faults); never holds up the socket's other traffic."""
        faults = self.server.faults
        if fault.kind == "drop_before":
            self.drop(connection)
            return
        if not fault.executes:
            connection.send_json(self._fault_reply(request_id, method, fault))
            return

        async def reply_later() -> None:
            connection.send_json(await self._reply_to_call(connection, request_id, method, params))

        if fault.kind == "delay":
            faults.run_later(fault.delay_s, reply_later)
            return
        if fault.executes_later:
            faults.run_later(fault.delay_s, lambda: self._call(connection, method, params))
            if fault.kind == "deferred_empty":
                connection.send_json(self._rpc_result(request_id, method, {}))
            return
        reply = await self._reply_to_call(connection, request_id, method, params)
        if fault.kind == "late":
            async def send_late() -> None:
                connection.send_json(reply)
            faults.run_later(fault.delay_s, send_late)
        elif fault.kind in ("executed_empty", "executed_error"):
            connection.send_json(self._fault_reply(request_id, method, fault))
        elif fault.kind == "drop_after":
            self.drop(connection)

    def _fault_reply(self, request_id: object, method: str, fault: RequestFault) -> dict:
        if fault.kind in ("empty", "executed_empty"):
            return self._rpc_result(request_id, method, {})
        return self._rpc_error(request_id, method, fault.error())

    @staticmethod
    def _rpc_result(request_id: object, method: str, result: object) -> dict:
        response = {"jsonrpc": JSON_RPC_VERSION, "result": result, "method": method}
        if request_id is not None:
            response["id"] = request_id
        return response

    @staticmethod
    def _rpc_error(request_id: object, method: object, error: GrvtApiError) -> dict:
        response: Dict[str, object] = {"jsonrpc": JSON_RPC_VERSION, "error": error.to_rpc_error()}
        if request_id is not None:
            response["id"] = request_id
        if method is not None:
            response["method"] = method
        return response

    def _session_sub_accounts(self, connection: Connection) -> Optional[frozenset]:
        session = connection.session
        if session is None or not self.server.sessions.is_valid(session):
            return None
        return session.sub_account_ids

    def subscribe(self, connection: Connection, params: dict) -> Tuple[dict, List[str]]:
        stream = params.get("stream")
        selectors = params.get("selectors")
        if not isinstance(stream, str) or not isinstance(selectors, list) or not selectors:
            raise GrvtApiError(1003, "stream and selectors are required")
        sub_accounts = self._session_sub_accounts(connection)
        specs = [self.hub.parse(stream, selector, sub_accounts) for selector in selectors]
        subscribed = connection.feeds.setdefault(stream, {})
        subs, unsubs, num_snapshots, first, latest, snapshots = [], [], [], [], [], []
        for spec in specs:
            previous = subscribed.get(spec.primary)
            if previous is not None and previous.selector != spec.selector:
                self.hub.unsubscribe(connection, previous)
                unsubs.append(previous.selector)
            feed = self.hub.feed_for(spec)
            subscribed[spec.primary] = feed
            feed_snapshots = self.hub.subscribe(connection, feed)
            subs.append(spec.selector)
            num_snapshots.append(len(feed_snapshots))
            first.append(str(feed.sequence_number + 1))
            latest.append(str(feed.sequence_number))
            snapshots.extend(feed_snapshots)
        return {"stream": stream, "subs": subs, "unsubs": unsubs, "num_snapshots": num_snapshots,
                "first_sequence_number": first, "latest_sequence_number": latest}, snapshots

    def unsubscribe(self, connection: Connection, params: dict) -> dict:
        stream = params.get("stream")
        selectors = params.get("selectors")
        if not isinstance(stream, str) or not isinstance(selectors, list):
            raise GrvtApiError(1003, "stream and selectors are required")
        subscribed = connection.feeds.get(stream, {})
        unsubs = []
        for selector in selectors:
            for primary, feed in list(subscribed.items()):
                if feed.selector == selector:
                    self.hub.unsubscribe(connection, feed)
                    del subscribed[primary]
                    unsubs.append(selector)
        return {"stream": stream, "unsubs": unsubs}

    def _legacy(self, connection: Connection, message: dict) -> None:
        request_id = message.get("request_id")
        method = message.get("method", "subscribe")
        params = {"stream": message.get("stream"), "selectors": message.get("feed")}
        snapshots: List[str]
        try:
            if method == "unsubscribe":
                result, snapshots = self.unsubscribe(connection, params), []
            elif method == "subscribe":
                result, snapshots = self.subscribe(connection, params)
            else:
                raise GrvtApiError(1003, "unknown method")
        except GrvtApiError as error:
            connection.send_json(error.to_envelope() if request_id is None else
                                 dict(error.to_envelope(), request_id=request_id))
            return
        if request_id is not None:  # WSSubscribeResponseV1Legacy: returned only when the request carried one
            result["request_id"] = request_id
        connection.send_json(result)
        for snapshot in snapshots:
            connection.send_text(snapshot)
