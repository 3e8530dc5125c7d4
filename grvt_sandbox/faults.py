"""Fault injection, scriptable from tests (`server.faults`), admin routes (/sandbox/faults/...) and the CLI."""
import logging
from dataclasses import dataclass
from typing import Dict, Optional

from grvt_sandbox import enums

logger = logging.getLogger(__name__)

REST_FAULT_KINDS = ("empty", "status", "delay")


@dataclass
class RestFault:
    """How a REST route misbehaves: answer `{}` ("empty"), an error status ("status"), or answer late
    ("delay", then normally). `remaining` None = until cleared."""
    kind: str
    status: int = 503
    delay_s: float = 0.0
    remaining: Optional[int] = None


class FaultInjector:
    def __init__(self, server):
        self._server = server
        self.rest_faults: Dict[str, RestFault] = {}

    # ------------------------------------------------------------------ REST
    def fail_rest(self, route: str, kind: str = "status", status: int = 503, delay_s: float = 1.0,
                  count: Optional[int] = None) -> None:
        """`route` is the last path part ("create_order", "book", "bulk_orders", "login") or "*" for all."""
        if kind not in REST_FAULT_KINDS:
            raise ValueError(f"kind must be one of {REST_FAULT_KINDS}")
        self.rest_faults[route] = RestFault(kind, int(status), float(delay_s), count)

    def clear_rest(self, route: Optional[str] = None) -> None:
        if route is None:
            self.rest_faults.clear()
        else:
            self.rest_faults.pop(route, None)

    def take_rest_fault(self, route: str) -> Optional[RestFault]:
        fault = self.rest_faults.get(route) or self.rest_faults.get("*")
        if fault is None:
            return None
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                for key, value in list(self.rest_faults.items()):
                    if value is fault:
                        del self.rest_faults[key]
        return fault

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
        self._server.trading.forced_rejects.clear()
        for feed in self._server.hub.feeds.values():
            feed.pending_gap = 0
            if feed.stalled_until_ns:
                feed.stalled_until_ns = 1  # released on the next timer tick
