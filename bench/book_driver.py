"""Moves one instrument's book inside the sandbox process, as fast as it can or at a slow pace.

Every step places or cancels post-only orders of a sandbox-owned account (through the engine, so the sandbox's true
book is always right) and then makes the sandbox publish the v1.book.d delta at once instead of on its next timer
tick, so subscribers see one delta message per step. The last step of a flood puts a marker bid on top of the book:
a client knows it has applied every delta when its book shows the marker.
"""
import asyncio
import random
import time
from decimal import Decimal
from typing import Dict, List, Optional

from grvt_sandbox.server import SandboxServer

BAND_TICKS = 200  # flood orders rest between 10 and 10 + BAND_TICKS ticks away from the reference price
YIELD_EVERY = 50  # messages produced between two turns of the event loop
TARGET_RESTING = 120  # above this many resting flood orders, steps cancel as often as they place


class BookDriver:
    def __init__(self, server: SandboxServer, sub_account_id: str, instrument: str, seed: int = 11):
        self._server = server
        self._exchange = server.exchange
        self._sub_account_id = sub_account_id
        self._instrument = self._exchange.instrument(instrument)
        self._rng = random.Random(seed)
        self._resting: List[str] = []
        self._marker_order_id: Optional[str] = None
        self._marker_index = 0
        self._reference = self._exchange.mark_price(self._instrument)
        self._unit = self._smallest_size()

    def _smallest_size(self) -> Decimal:
        """Smallest size meeting the minimum notional at the lowest price the driver uses."""
        instrument = self._instrument
        lowest_price = self._reference - (10 + BAND_TICKS) * instrument.tick_size
        steps = (instrument.min_notional * Decimal("1.01") / lowest_price / instrument.min_size).to_integral_value(
            rounding="ROUND_CEILING")
        return instrument.min_size * max(1, int(steps))

    @property
    def tick(self) -> Decimal:
        return self._instrument.tick_size

    def marker_price(self) -> Decimal:
        return self._reference - 5 * self.tick

    def _place(self, is_bid: bool, price: Decimal, size: Decimal) -> str:
        order = self._exchange.submit_internal_order(self._sub_account_id, self._instrument.name, is_bid, size, price,
                                                     post_only=True)
        return order.order_id

    def _random_change(self) -> None:
        if self._resting and (len(self._resting) > TARGET_RESTING or self._rng.random() < 0.4):
            order_id = self._resting.pop(self._rng.randrange(len(self._resting)))
            self._exchange.cancel_internal(self._sub_account_id, order_id=order_id)
            return
        is_bid = self._rng.random() < 0.5
        offset = (10 + self._rng.randrange(BAND_TICKS)) * self.tick
        price = self._reference - offset if is_bid else self._reference + offset
        size = self._unit * self._rng.randint(1, 20)
        self._resting.append(self._place(is_bid, price, size))

    def seed(self, levels_per_side: int) -> None:
        """A resting book to start from: `levels_per_side` levels on each side, spread over the band."""
        spacing = max(1, BAND_TICKS // max(1, levels_per_side))
        for level in range(levels_per_side):
            offset = (10 + level * spacing) * self.tick
            for is_bid in (True, False):
                price = self._reference - offset if is_bid else self._reference + offset
                self._resting.append(self._place(is_bid, price, self._unit * (1 + level % 5)))

    def publish_now(self) -> None:
        """Publishes pending book.d changes of this instrument immediately (sequence numbers stay consecutive)."""
        hub = self._server.hub
        now = self._exchange.now_ns()
        for feed in hub._book_deltas.get(self._instrument.name, ()):
            if feed.subscribers and feed.dirty:
                feed.next_due_ns = 0
                feed.on_timer(hub, now)

    def clear_marker(self) -> None:
        if self._marker_order_id is not None:
            self._exchange.cancel_internal(self._sub_account_id, order_id=self._marker_order_id)
            self._marker_order_id = None

    async def flood(self, messages: int, changes_per_message: int) -> Dict[str, object]:
        """`messages` delta messages of `changes_per_message` level changes each, the last one adding the marker.
        They are produced with the subscribers' feeds held back (the sandbox's stall fault) and then released in
        one go, so the figure is the socket and the client, not this producer."""
        self.clear_marker()
        feeds = [feed for feed in self._server.hub._book_deltas.get(self._instrument.name, ()) if feed.subscribers]
        for feed in feeds:
            feed.stalled_until_ns = 1 << 62
        started = time.monotonic()
        for index in range(messages - 1):
            for _ in range(changes_per_message):
                self._random_change()
            self.publish_now()
            if index % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # keeps the sandbox responsive while producing
        self._marker_order_id = self._place(True, self.marker_price(), self._marker_size())
        self.publish_now()
        produced = time.monotonic()
        now = self._exchange.now_ns()
        for feed in feeds:
            feed.stalled_until_ns = 1
            feed.release_if_due(now)
        return {"producer_s": produced - started, "released_at": time.monotonic(), "messages": messages,
                "feeds": len(feeds)}

    def _marker_size(self) -> Decimal:
        return self._unit * (1000 + self._marker_index)

    def next_marker(self) -> Dict[str, str]:
        """Price and size of the marker the next flood ends with (a size no earlier flood used)."""
        self._marker_index += 1
        return {"price": str(self.marker_price()), "size": str(self._marker_size())}

    async def drift(self, changes: int, interval_s: float) -> None:
        """Slow changes (a live market while a client reconnects)."""
        for _ in range(changes):
            self._random_change()
            self.publish_now()
            await asyncio.sleep(interval_s)

    def has_book_subscribers(self) -> bool:
        return any(feed.subscribers for feed in self._server.hub._book_deltas.get(self._instrument.name, ()))
