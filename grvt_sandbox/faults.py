"""Fault injection, scriptable from tests (`server.faults`), admin routes (/sandbox/faults/...) and the CLI.

Request faults change how one route (REST `/full/v1/<route>`) or JSON-RPC method (`v1/<route>` on a socket)
answers; `kind` says whether the request is executed and what its client sees:

| kind           | executed                  | the client sees                                             |
|----------------|---------------------------|-------------------------------------------------------------|
| empty          | no                        | `{}` (JSON-RPC: `"result": {}`)                              |
| status         | no                        | an error: HTTP `status` with GRVT's envelope / JSON-RPC error |
| delay          | after `delay_s`           | the normal answer, after `delay_s`                          |
| late           | at once                   | the normal answer, after `delay_s`                          |
| lost           | at once                   | nothing (REST: held until the client gives up)              |
| executed_empty | at once                   | `{}` / an empty result                                      |
| executed_error | at once                   | an error, as for `status`                                   |
| deferred       | after `delay_s`           | nothing (REST: held until the client gives up)              |
| deferred_empty | after `delay_s`           | `{}` / an empty result at once                              |
| drop_before    | no                        | JSON-RPC only: the socket closes instead of an answer       |
| drop_after     | at once                   | JSON-RPC only: the socket closes instead of an answer       |
"""
import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable, Dict, Optional, Set, Tuple

from grvt_sandbox import enums
from grvt_sandbox.errors import ERRORS, GrvtApiError

if TYPE_CHECKING:  # the server module imports this one
    from grvt_sandbox.server import SandboxServer

logger = logging.getLogger(__name__)

REST_FAULT_KINDS = ("empty", "status", "delay", "late", "lost", "executed_empty", "executed_error", "deferred",
                    "deferred_empty")
RPC_FAULT_KINDS = REST_FAULT_KINDS + ("drop_before", "drop_after")
TRANSPORTS = ("rest", "rpc", "any")
NOT_EXECUTED = frozenset(("empty", "status", "drop_before"))
EXECUTED_LATER = frozenset(("delay", "deferred", "deferred_empty"))
STATUS_CODES = {500: 1002, 503: 1009, 429: 1006, 401: 1000, 403: 1001, 404: 1004, 400: 1003}
RATE_LIMIT_CODE = 1006


def route_key(route: str) -> str:
    """"create_order", "v1/create_order" and "/full/v1/create_order" all name the route "create_order"."""
    return route.rstrip("/").rsplit("/", 1)[-1] or "*"


@dataclass
class RequestFault:
    """How one route misbehaves; `remaining` None = until cleared. `status`/`code` are the error answered by the
    "status" and "executed_error" kinds (either one implies the other through GRVT's error table)."""
    kind: str
    status: int = 503
    delay_s: float = 1.0
    remaining: Optional[int] = None
    code: int = 1009

    @property
    def executes(self) -> bool:
        return self.kind not in NOT_EXECUTED

    @property
    def executes_later(self) -> bool:
        return self.kind in EXECUTED_LATER

    def error(self) -> GrvtApiError:
        return GrvtApiError(self.code, "injected fault")

    def envelope(self) -> dict:
        return {"code": self.code, "message": self.error().message, "status": self.status}


def make_fault(kind: str, kinds: Tuple[str, ...], status: Optional[int], code: Optional[int], delay_s: float,
               count: Optional[int]) -> RequestFault:
    if kind not in kinds:
        raise ValueError(f"kind must be one of {kinds}")
    if count is not None and int(count) <= 0:
        raise ValueError("count must be positive (or absent: until cleared)")
    if float(delay_s) < 0:
        raise ValueError("delay_s must not be negative")
    if code is None:
        status = 503 if status is None else int(status)
        code = STATUS_CODES.get(status, 1005)
    else:
        code = int(code)
        status = int(status) if status is not None else ERRORS.get(code, (400, ""))[0]
    return RequestFault(kind, status, float(delay_s), None if count is None else int(count), code)


class FaultInjector:
    def __init__(self, server: "SandboxServer"):
        self._server = server
        self.rest_faults: Dict[str, RequestFault] = {}
        self.rpc_faults: Dict[str, RequestFault] = {}
        self._released = asyncio.Event()  # set when the server stops: held answers give up
        self._later: Set[asyncio.TimerHandle] = set()
        self._running: Set[asyncio.Task] = set()

    # ------------------------------------------------------------------ REST and JSON-RPC requests
    def fail_rest(self, route: str, kind: str = "status", status: Optional[int] = None, delay_s: float = 1.0,
                  count: Optional[int] = None, code: Optional[int] = None) -> None:
        """`route` is the last path part ("create_order", "book", "bulk_orders", "login") or "*" for all.
        See the module's table for `kind`; `count` None = until cleared."""
        self.rest_faults[route_key(route)] = make_fault(kind, REST_FAULT_KINDS, status, code, delay_s, count)

    def fail_rpc(self, method: str, kind: str = "status", status: Optional[int] = None, delay_s: float = 1.0,
                 count: Optional[int] = None, code: Optional[int] = None) -> None:
        """The same for JSON-RPC calls on sockets (`v1/create_order`, `v2/bulk_orders`, ... or "*"; subscribe and
        unsubscribe are not affected), plus the kinds drop_before / drop_after."""
        self.rpc_faults[route_key(method)] = make_fault(kind, RPC_FAULT_KINDS, status, code, delay_s, count)

    def rate_limit(self, route: str = "*", count: Optional[int] = 1, transport: str = "any") -> None:
        """The next `count` requests of `route` (REST, JSON-RPC or either: one shared count) answer GRVT's rate
        limit error 1006 (HTTP 429) without being executed."""
        if transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {TRANSPORTS}")
        fault = make_fault("status", REST_FAULT_KINDS, None, RATE_LIMIT_CODE, 0.0, count)
        if transport in ("rest", "any"):
            self.rest_faults[route_key(route)] = fault
        if transport in ("rpc", "any"):
            self.rpc_faults[route_key(route)] = fault

    def clear_rest(self, route: Optional[str] = None) -> None:
        if route is None:
            self.rest_faults.clear()
        else:
            self.rest_faults.pop(route_key(route), None)

    def clear_rpc(self, method: Optional[str] = None) -> None:
        if method is None:
            self.rpc_faults.clear()
        else:
            self.rpc_faults.pop(route_key(method), None)

    def take_rest_fault(self, route: str) -> Optional[RequestFault]:
        return self._take(self.rest_faults, route_key(route))

    def take_rpc_fault(self, method: str) -> Optional[RequestFault]:
        return self._take(self.rpc_faults, route_key(method))

    def _take(self, faults: Dict[str, RequestFault], route: str) -> Optional[RequestFault]:
        fault = faults.get(route) or faults.get("*")
        if fault is None:
            return None
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                for table in (self.rest_faults, self.rpc_faults):
                    for key, value in list(table.items()):
                        if value is fault:
                            del table[key]
        return fault

    async def hold(self, client_gone: Callable[[], bool], seconds: Optional[float] = None) -> None:
        """Waits `seconds` (None: without end) or until the client is gone or the server stops."""
        loop = asyncio.get_running_loop()
        deadline = None if seconds is None else loop.time() + seconds
        while not client_gone() and not self._released.is_set():
            remaining = 0.05 if deadline is None else min(0.05, deadline - loop.time())
            if remaining <= 0:
                return
            try:
                await asyncio.wait_for(self._released.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def run_later(self, delay_s: float, execute: Callable[[], Awaitable[object]]) -> None:
        """Executes a request `delay_s` from now, whatever became of its client (deferred kinds)."""
        loop = asyncio.get_running_loop()

        def start() -> None:
            self._later.discard(handle)
            task = asyncio.ensure_future(self._run_detached(execute))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        handle = loop.call_later(delay_s, start)
        self._later.add(handle)

    @staticmethod
    async def _run_detached(execute: Callable[[], Awaitable[object]]) -> None:
        try:
            await execute()
        except GrvtApiError as error:
            logger.info("fault: a deferred request failed: %s", error)
        except Exception:
            logger.exception("fault: a deferred request failed")

    def release_held(self) -> None:
        """The server stops: held answers give up, deferred requests are dropped."""
        self._released.set()
        for handle in self._later:
            handle.cancel()
        self._later.clear()
        for task in self._running:
            task.cancel()

    def reset_hold(self) -> None:
        """The server starts (on its own loop): held answers wait again."""
        self._released = asyncio.Event()

    # ------------------------------------------------------------------ WebSocket
    def drop_sockets(self, private_only: bool = False, abort: bool = False) -> int:
        """Closes every WebSocket (or only authenticated ones); `abort` cuts TCP without a close frame."""
        count = self._server.ws_gateway.drop_all(private_only=private_only, abort=abort)
        logger.info("fault: dropped %d sockets", count)
        return count

    def stall_stream(self, stream: str, seconds: float, selector: Optional[str] = None) -> int:
        """Holds back the messages of matching feeds for `seconds`, then delivers them late, in order."""
        until = self._server.exchange.now_ns() + int(seconds * 1e9)
        feeds = self._server.hub.matching_feeds(stream, selector)
        for feed in feeds:
            feed.stalled_until_ns = until
        return len(feeds)

    def inject_sequence_gap(self, stream: str = "v1.book.d", selector: Optional[str] = None, skip: int = 1) -> int:
        """The next message of each matching feed skips `skip` sequence numbers."""
        feeds = self._server.hub.matching_feeds(stream, selector)
        for feed in feeds:
            feed.pending_gap += skip
        return len(feeds)

    def restart_gateway(self) -> int:
        """Drops every socket and resets all feeds, so sequence numbers start again."""
        count = self.drop_sockets()
        self._server.hub.reset()
        return count

    def restart_exchange(self, keep_internal_orders: bool = False) -> int:
        """An exchange restart that loses its memory: every socket drops, feeds start again, every session ends
        (clients must log in again), and every open order vanishes without a stream update or a history entry
        (REST queries find none). Balances, positions and histories survive. `keep_internal_orders` spares the
        sandbox-owned accounts' orders (the synthetic market's quotes). Returns the number of orders lost."""
        self.restart_gateway()
        self._server.sessions.expire()
        self._server.trading.replay_guard.forget()
        lost = self._server.exchange.forget_orders(keep_internal=keep_internal_orders)
        logger.info("fault: exchange restarted, %d open orders lost", lost)
        return lost

    # ------------------------------------------------------------------ sessions and orders
    def expire_sessions(self, api_key: Optional[str] = None) -> int:
        return self._server.sessions.expire(api_key)

    def reject_next_orders(self, count: int = 1, code: Optional[int] = None,
                           reason: str = enums.SYSTEM_FAILOVER) -> None:
        """The next `count` API orders fail: with error `code` at once, or (no code) accepted and then
        REJECTED with `reason` on the streams."""
        self._server.trading.forced_rejects.add(count, code, reason)

    def clear(self) -> None:
        self.clear_rest()
        self.clear_rpc()
        self._server.trading.forced_rejects.clear()
        for feed in self._server.hub.feeds.values():
            feed.pending_gap = 0
            if feed.stalled_until_ns:
                feed.stalled_until_ns = 1  # released on the next timer tick
