"""Order-path metrics for strategies and the status display, which read `connector.order_metrics.summary()`."""
import math
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, Iterable, Optional

from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_health import is_rate_limited


@dataclass
class GrvtOrderLatency:
    """perf_counter() times: buy/sell called, request sent (after the rate limiter), answered, first streamed live."""
    submitted: Optional[float] = None
    sent: Optional[float] = None
    acknowledged: Optional[float] = None
    opened: Optional[float] = None
    transport: str = ""


def percentiles(samples: Iterable[float]) -> Dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {"count": 0}

    def at(share: float) -> float:  # nearest rank: the smallest sample with `share` of them at or below it
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]
    return {"count": len(ordered), "p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": ordered[-1]}


class GrvtOrderMetrics:
    MAX_ORDERS = 10_000
    MAX_SAMPLES = 2_000
    STAGES = ("submit_to_send_ms", "send_to_ack_ms", "ack_to_open_ms")

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._orders: "OrderedDict[str, GrvtOrderLatency]" = OrderedDict()
        self._samples: Dict[str, Deque[float]] = {stage: deque(maxlen=self.MAX_SAMPLES) for stage in self.STAGES}
        self.reconnects = 0
        self.errors = 0  # requests that failed for good
        self.retries = 0
        self.rate_limited = 0
        self.circuit_open: Callable[[], bool] = lambda: False  # the order lifecycle reads its circuit breaker

    def count_failure(self, error: BaseException) -> None:
        self.errors += 1
        self.rate_limited += is_rate_limited(error)

    def count_retry(self, error: BaseException) -> None:
        self.retries += 1
        self.rate_limited += is_rate_limited(error)

    def latency(self, client_order_id: str) -> Optional[GrvtOrderLatency]:
        return self._orders.get(client_order_id)

    def submitted(self, client_order_id: str) -> None:
        self._orders[client_order_id] = GrvtOrderLatency(submitted=self._clock())
        if len(self._orders) > self.MAX_ORDERS:
            self._orders.popitem(last=False)

    def sent(self, client_order_id: str, transport: str) -> None:
        record = self._orders.get(client_order_id)
        if record is not None and record.sent is None:
            record.sent = self._clock()
            record.transport = transport
            self._sample("submit_to_send_ms", record.submitted, record.sent)

    def acknowledged(self, client_order_id: str) -> None:
        record = self._orders.get(client_order_id)
        if record is not None and record.acknowledged is None and record.sent is not None:
            record.acknowledged = self._clock()
            self._sample("send_to_ack_ms", record.sent, record.acknowledged)

    def opened(self, client_order_id: str) -> None:
        record = self._orders.get(client_order_id)
        if record is not None and record.opened is None:
            record.opened = self._clock()
            self._sample("ack_to_open_ms", record.acknowledged, record.opened)

    def _sample(self, stage: str, start: Optional[float], end: float) -> None:
        if start is not None:
            self._samples[stage].append((end - start) * 1e3)

    def summary(self) -> Dict[str, Any]:
        summary: Dict[str, Any] = {stage: percentiles(self._samples[stage]) for stage in self.STAGES}
        summary.update(reconnects=self.reconnects, errors=self.errors, retries=self.retries,
                       rate_limited=self.rate_limited, circuit_open=self.circuit_open())
        return summary
