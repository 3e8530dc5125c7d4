"""A price-time priority order book: price levels keyed by scaled integer price, FIFO inside a level."""
from bisect import bisect_left, insort
from collections import OrderedDict
from typing import Callable, Dict, Iterator, List, Optional, Tuple

from grvt_sandbox.engine.order import Order
from grvt_sandbox.instruments import Instrument

LevelChangeListener = Callable[[bool, int], None]  # (is_bid, price) after a level's size changed


class PriceLevel:
    __slots__ = ("price", "orders", "total", "count")

    def __init__(self, price: int):
        self.price = price
        self.orders: "OrderedDict[str, Order]" = OrderedDict()
        self.total = 0
        self.count = 0


class BookSide:
    """One side. `_keys` is sorted ascending with the best level last (bids: price, asks: -price), so the best
    level is O(1) and inserting a new level is a bisect plus a short memmove."""

    __slots__ = ("is_bid", "levels", "_keys")

    def __init__(self, is_bid: bool):
        self.is_bid = is_bid
        self.levels: Dict[int, PriceLevel] = {}
        self._keys: List[int] = []

    def _key(self, price: int) -> int:
        return price if self.is_bid else -price

    def best(self) -> Optional[PriceLevel]:
        return self.levels[self._key(self._keys[-1])] if self._keys else None

    def best_price(self) -> Optional[int]:
        if not self._keys:
            return None
        key = self._keys[-1]
        return key if self.is_bid else -key

    def add(self, order: Order) -> PriceLevel:
        level = self.levels.get(order.price)
        if level is None:
            level = PriceLevel(order.price)
            self.levels[order.price] = level
            insort(self._keys, self._key(order.price))
        level.orders[order.order_id] = order
        level.total += order.remaining
        level.count += 1
        order.level = level
        return level

    def remove(self, order: Order) -> None:
        level = order.level
        if level is None:
            return
        del level.orders[order.order_id]
        level.total -= order.remaining
        level.count -= 1
        order.level = None
        if level.count == 0:
            self._drop_level(level)

    def _drop_level(self, level: PriceLevel) -> None:
        del self.levels[level.price]
        key = self._key(level.price)
        index = len(self._keys) - 1
        if self._keys[index] != key:  # not the best level: locate it
            index = bisect_left(self._keys, key)
        del self._keys[index]

    def reduce(self, order: Order, quantity: int) -> None:
        """Order traded `quantity` while resting; removes it from the book when nothing remains."""
        level = order.level
        if level is None:
            raise ValueError(f"{order!r} is not resting in the book")
        order.remaining -= quantity
        level.total -= quantity
        if order.remaining == 0:
            del level.orders[order.order_id]
            level.count -= 1
            order.level = None
            if level.count == 0:
                self._drop_level(level)

    def iter_levels(self) -> Iterator[PriceLevel]:
        """Best first."""
        levels, keys = self.levels, self._keys
        sign = 1 if self.is_bid else -1
        for index in range(len(keys) - 1, -1, -1):
            yield levels[sign * keys[index]]

    def top(self, depth: Optional[int] = None) -> List[Tuple[int, int, int]]:
        result: List[Tuple[int, int, int]] = []
        for level in self.iter_levels():
            if depth is not None and len(result) >= depth:
                break
            result.append((level.price, level.total, level.count))
        return result

    def level_state(self, price: int) -> Tuple[int, int]:
        level = self.levels.get(price)
        return (level.total, level.count) if level is not None else (0, 0)

    def __len__(self) -> int:
        return len(self._keys)


class OrderBook:
    """Both sides of one instrument; every level change is reported to the listeners (book.d deltas, market)."""

    __slots__ = ("instrument", "bids", "asks", "level_listeners")

    def __init__(self, instrument: Instrument):
        self.instrument = instrument
        self.bids = BookSide(True)
        self.asks = BookSide(False)
        self.level_listeners: List[LevelChangeListener] = []

    def side(self, is_bid: bool) -> BookSide:
        return self.bids if is_bid else self.asks

    def notify(self, is_bid: bool, price: int) -> None:
        for listener in self.level_listeners:
            listener(is_bid, price)

    def best_bid(self) -> Optional[int]:
        return self.bids.best_price()

    def best_ask(self) -> Optional[int]:
        return self.asks.best_price()
