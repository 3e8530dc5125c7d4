"""Per-account token buckets per route, answering GRVT's rate-limit error 1006 (HTTP 429) when one runs dry.

Off unless `SandboxConfig.rate_limits` names routes. GRVT publishes no numbers; DEFAULT_RATE_LIMITS follows the
request weights ccxt attributes to GRVT's help centre (requests per second, unverified). A bucket holds one
second's worth of requests (at least one) and refills continuously on the exchange clock. `v2/bulk_orders` costs
one create_order token per order and one cancel_order token when it cancels anything, as GRVT documents; a batch
larger than the bucket passes when the bucket is full and leaves it in debt.
"""
from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Tuple

from grvt_sandbox.clock import Clock
from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.faults import RATE_LIMIT_CODE, route_key

NS_PER_S = 1_000_000_000
DEFAULT_RATE_LIMITS: Dict[str, float] = {
    "create_order": 20.0, "cancel_order": 20.0, "cancel_all_orders": 2.0, "cancel_on_disconnect": 1.0,
    "order": 5.0, "open_orders": 5.0, "order_history": 5.0, "fill_history": 5.0, "positions": 5.0,
    "account_summary": 2.5, "funding_payment_history": 2.5, "get_all_initial_leverage": 2.5,
    "set_initial_leverage": 2.5, "get_sub_accounts": 2.5,
    "instrument": 25.0, "all_instruments": 25.0, "instruments": 25.0, "mini": 25.0, "ticker": 25.0,
    "currency": 8.0, "book": 8.0, "trade": 8.0, "trade_history": 8.0, "kline": 8.0, "funding": 8.0,
}


@dataclass
class TokenBucket:
    per_second: float
    tokens: float
    updated_ns: int

    @property
    def capacity(self) -> float:
        return max(1.0, self.per_second)

    def refill(self, now_ns: int) -> None:
        elapsed = max(0, now_ns - self.updated_ns)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.per_second / NS_PER_S)
        self.updated_ns = now_ns


class RateLimiter:
    def __init__(self, clock: Clock, limits: Optional[Mapping[str, float]] = None):
        self._clock = clock
        self.limits: Dict[str, float] = {route_key(route): float(rate) for route, rate in (limits or {}).items()}
        for route, rate in self.limits.items():
            if rate <= 0:
                raise ValueError(f"rate limit of {route} must be positive")
        self._buckets: Dict[Tuple[str, str], TokenBucket] = {}

    @property
    def enabled(self) -> bool:
        return bool(self.limits)

    def costs(self, method: str, params: dict) -> Dict[str, int]:
        route = route_key(method)
        if route != "bulk_orders":
            return {route: 1}
        costs: Dict[str, int] = {}
        orders = params.get("orders") if isinstance(params, dict) else None
        if isinstance(orders, list) and orders:
            costs["create_order"] = len(orders)
        if any(isinstance(params, dict) and params.get(key) for key in
               ("order_i_ds", "client_order_i_ds")):
            costs["cancel_order"] = 1
        return costs

    def charge(self, account: str, method: str, params: dict) -> None:
        """Takes the request's tokens from `account`'s buckets, or raises error 1006 and takes none."""
        now = self._clock.now_ns()
        buckets = []
        for route, cost in self.costs(method, params).items():
            rate = self.limits.get(route)
            if rate is None:
                continue
            bucket = self._buckets.get((account, route))
            if bucket is None:
                bucket = self._buckets[(account, route)] = TokenBucket(rate, max(1.0, rate), now)
            bucket.refill(now)
            if bucket.tokens < min(cost, bucket.capacity):  # a batch larger than the bucket needs it full
                raise GrvtApiError(RATE_LIMIT_CODE, f"{route}: {rate:g} requests per second")
            buckets.append((bucket, cost))
        for bucket, cost in buckets:
            bucket.tokens -= cost
