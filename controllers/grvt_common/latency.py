"""Order latency as the controller sees it, with the connector's own stages where it reports them.

- tick to quote: from the moment the bot saw the order book update that moved a quote to the moment the new order
  left the bot (the connector's ``sent`` time when it keeps ``order_metrics``, else the hand-over to the connector);
- quote to ack: from there to the exchange's acknowledgement (the connector's ``acknowledged`` time, else the
  order-created event).

All times are ``time.perf_counter()`` seconds, the clock of the connector's ``order_metrics``.
"""
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, Optional

from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_metrics import percentiles

MAX_SAMPLES = 2000
MAX_PENDING = 5000


def format_percentiles(name: str, stats: Dict[str, Any]) -> str:
    if not stats or not stats.get("count"):
        return f"{name} -"
    return (f"{name} p50 {stats['p50']:.2f} p90 {stats['p90']:.2f} p99 {stats['p99']:.2f} "
            f"max {stats['max']:.2f} (n={stats['count']})")


@dataclass
class _Pending:
    book_seen: Optional[float]
    handed_over: float


class LatencyTracker:
    def __init__(self, clock: Callable[[], float] = time.perf_counter):
        self._clock = clock
        self._pending: Dict[str, _Pending] = {}
        self.tick_to_quote_ms: Deque[float] = deque(maxlen=MAX_SAMPLES)
        self.quote_to_ack_ms: Deque[float] = deque(maxlen=MAX_SAMPLES)

    def now(self) -> float:
        return self._clock()

    def submitted(self, client_order_id: str, book_seen: Optional[float], handed_over: float) -> None:
        """An order handed to the connector; ``book_seen`` when a book update made the bot send it."""
        if len(self._pending) >= MAX_PENDING:
            self._pending.pop(next(iter(self._pending)))
        self._pending[client_order_id] = _Pending(book_seen, handed_over)

    def acknowledged(self, client_order_id: str, metrics: Any = None) -> None:
        """The exchange accepted the order: takes both samples, from the connector's timestamps when it has them."""
        pending = self._pending.pop(client_order_id, None)
        if pending is None:
            return
        record = metrics.latency(client_order_id) if metrics is not None and hasattr(metrics, "latency") else None
        sent = getattr(record, "sent", None) or pending.handed_over
        acknowledged = getattr(record, "acknowledged", None) or self._clock()
        if pending.book_seen is not None:
            self.tick_to_quote_ms.append(max(0.0, sent - pending.book_seen) * 1e3)
        self.quote_to_ack_ms.append(max(0.0, acknowledged - sent) * 1e3)

    def forget(self, client_order_id: str) -> None:
        self._pending.pop(client_order_id, None)

    def summary(self) -> Dict[str, Dict[str, float]]:
        return {"tick_to_quote_ms": percentiles(self.tick_to_quote_ms),
                "quote_to_ack_ms": percentiles(self.quote_to_ack_ms)}
