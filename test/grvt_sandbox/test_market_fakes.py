"""An in-memory venue for the synthetic market's unit tests: price-time matching of limit orders, no margin.

It rejects prices or sizes off the instrument grid loudly, so the tests also check the market's rounding.
"""
import asyncio
import itertools
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Dict, List, Optional, Tuple

from grvt_sandbox.market.venue import InstrumentRules, TimeInForce, VenueOrder


async def wait_for_steps(simulator, names, more_than: int, timeout: float = 20.0) -> None:
    """Waits until every named instrument of a started simulator made more than `more_than` steps (a loaded
    machine paces them slower than their step_seconds)."""
    deadline = time.monotonic() + timeout
    while any(simulator.stats(name).steps <= more_than for name in names):
        if time.monotonic() > deadline:
            raise AssertionError({name: simulator.stats(name).steps for name in names})
        await asyncio.sleep(0.01)


@dataclass
class RestingOrder:
    order_id: str
    order: VenueOrder
    remaining: Decimal
    sequence: int


@dataclass(frozen=True)
class FakeTrade:
    instrument: str
    price: Decimal
    size: Decimal
    taker_account_id: str
    maker_account_id: str
    taker_is_buy: bool
    maker_order_id: str
    step_time_ns: int


class FakeVenue:
    def __init__(self, rules: Optional[Dict[str, InstrumentRules]] = None):
        self.rules = rules or {}
        self.index_prices: Dict[str, List[Decimal]] = {}
        self.submitted: List[VenueOrder] = []
        self.cancelled: List[str] = []
        self.trades: List[FakeTrade] = []
        self.reject_accounts = set()
        self.reference_prices: Dict[str, Decimal] = {}
        self.clock_ns = 1_700_000_000_000_000_000
        self._open: Dict[str, RestingOrder] = {}
        self._ids = itertools.count(1)

    def now_ns(self) -> int:
        return self.clock_ns

    def instrument_names(self) -> List[str]:
        return list(self.rules)

    def reference_price(self, instrument: str) -> Optional[Decimal]:
        return self.reference_prices.get(instrument)

    def instrument_rules(self, instrument: str) -> Optional[InstrumentRules]:
        return self.rules.get(instrument)

    def set_index_price(self, instrument: str, price: Decimal) -> None:
        self.index_prices.setdefault(instrument, []).append(price)

    def best_bid_ask(self, instrument: str) -> Tuple[Optional[Decimal], Optional[Decimal]]:
        bids = [o.order.price for o in self._open.values() if o.order.instrument == instrument and o.order.is_buy]
        asks = [o.order.price for o in self._open.values() if o.order.instrument == instrument and not o.order.is_buy]
        return (max(bids) if bids else None), (min(asks) if asks else None)

    def submit(self, order: VenueOrder) -> Optional[str]:
        rules = self.rules.get(order.instrument)
        if rules is not None:
            assert order.price % rules.tick_size == 0, f"price off the tick grid: {order}"
            assert order.size % rules.min_size == 0 and order.size >= rules.min_size, f"size off the grid: {order}"
        self.submitted.append(order)
        if order.account_id in self.reject_accounts:
            return None
        if order.post_only and self._crosses(order):
            return None
        order_id = f"0x{next(self._ids):x}"
        remaining = self._match(order_id, order)
        if remaining > 0 and order.time_in_force is TimeInForce.GOOD_TILL_TIME:
            self._open[order_id] = RestingOrder(order_id, order, remaining, next(self._ids))
        return order_id

    def cancel(self, account_id: str, instrument: str, order_id: str) -> None:
        resting = self._open.get(order_id)
        if resting is not None and resting.order.account_id == account_id:
            del self._open[order_id]
            self.cancelled.append(order_id)

    def cancel_all(self, account_id: str, instrument: str) -> None:
        for order_id in [i for i, o in self._open.items()
                         if o.order.account_id == account_id and o.order.instrument == instrument]:
            self.cancel(account_id, instrument, order_id)

    def open_order_ids(self, account_id: str, instrument: str) -> List[str]:
        return [i for i, o in self._open.items()
                if o.order.account_id == account_id and o.order.instrument == instrument]

    def open_orders(self, account_id: str, instrument: str) -> List[RestingOrder]:
        return [o for o in self._open.values()
                if o.order.account_id == account_id and o.order.instrument == instrument]

    def remove(self, order_id: str) -> None:
        """Makes an order disappear as if a taker had filled it."""
        del self._open[order_id]

    def _crosses(self, order: VenueOrder) -> bool:
        best_bid, best_ask = self.best_bid_ask(order.instrument)
        if order.is_buy:
            return best_ask is not None and order.price >= best_ask
        return best_bid is not None and order.price <= best_bid

    def _match(self, order_id: str, order: VenueOrder) -> Decimal:
        remaining = order.size
        candidates = sorted(
            (o for o in self._open.values()
             if o.order.instrument == order.instrument and o.order.is_buy != order.is_buy
             and (o.order.price <= order.price if order.is_buy else o.order.price >= order.price)),
            key=lambda o: ((o.order.price if order.is_buy else -o.order.price), o.sequence))
        for maker in candidates:
            if remaining <= 0:
                break
            size = min(remaining, maker.remaining)
            remaining -= size
            maker.remaining -= size
            self.trades.append(FakeTrade(order.instrument, maker.order.price, size, order.account_id,
                                         maker.order.account_id, order.is_buy, maker.order_id, self.clock_ns))
            if maker.remaining == 0:
                del self._open[maker.order_id]
        return remaining
