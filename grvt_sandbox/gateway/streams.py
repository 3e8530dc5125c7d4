"""Feeds: one per (stream, selector), shared by every socket subscribed to it, each with its own sequence numbers.
The hub routes engine events to feeds and drives the rate-based publishers from the server's timer."""
import json
from collections import defaultdict
from typing import TYPE_CHECKING, Dict, List, Optional, Set, Tuple

from grvt_sandbox.accounts.account import Position
from grvt_sandbox.engine.exchange import Exchange
from grvt_sandbox.engine.order import Order
from grvt_sandbox.engine.records import Fill, Trade
from grvt_sandbox.enums import CANDLE_INTERVALS_NS
from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.gateway import encoding
from grvt_sandbox.gateway.selectors import (
    PRIVATE_STREAMS,
    PUBLIC_STREAMS,
    FeedSpec,
    parse_private_selector,
    parse_public_selector,
)
from grvt_sandbox.numbers import format_price, format_scaled

if TYPE_CHECKING:  # the websocket module imports this one
    from grvt_sandbox.gateway.websocket import Connection

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
NS_PER_MS = 1_000_000
CANDLE_PUBLISH_INTERVAL_MS = 250
RAW_DELTA_INTERVAL_MS = 20  # rate 0 ("raw") publishes at this timer granularity


class Feed:
    """Sequence numbers are gateway-local per (stream, selector): snapshots carry 0, each published message
    the next number with prev_sequence_number = number - 1."""

    def __init__(self, spec: FeedSpec):
        self.spec = spec
        self.stream = spec.stream
        self.selector = spec.selector
        self.sequence_number = 0
        self.subscribers: Set = set()
        self.stalled_until_ns = 0
        self.stalled: List[Tuple[int, str]] = []  # (sequence number, message) held back by a stall
        self.joined_during_stall: Dict[object, int] = {}  # subscriber -> the sequence number it joined after
        self.pending_gap = 0
        self.next_due_ns = 0

    def envelope(self, payload: dict, sequence_number: int, previous: int) -> str:
        return _dumps({"stream": self.stream, "selector": self.selector, "sequence_number": str(sequence_number),
                       "feed": payload, "prev_sequence_number": str(previous)})

    def publish(self, payload: dict, now_ns: int = 0) -> None:
        if self.pending_gap:  # fault injection: numbers that were "lost" on the way
            self.sequence_number += self.pending_gap
            self.pending_gap = 0
        self.sequence_number += 1
        text = self.envelope(payload, self.sequence_number, self.sequence_number - 1)
        if self.stalled_until_ns:
            self.stalled.append((self.sequence_number, text))
            return
        for subscriber in tuple(self.subscribers):
            subscriber.send_text(text)

    def snapshot(self, payload: dict) -> str:
        return self.envelope(payload, 0, 0)

    def release_if_due(self, now_ns: int) -> None:
        if self.stalled_until_ns and now_ns >= self.stalled_until_ns:
            self.stalled_until_ns = 0
            held, self.stalled = self.stalled, []
            joined, self.joined_during_stall = self.joined_during_stall, {}
            for sequence_number, text in held:
                for subscriber in tuple(self.subscribers):
                    if joined.get(subscriber, -1) < sequence_number:  # a later subscriber has it in its snapshot
                        subscriber.send_text(text)

    def snapshots(self, hub: "StreamHub") -> List[dict]:
        """Payloads a new subscriber receives first (sequence number 0)."""
        return []

    def on_timer(self, hub: "StreamHub", now_ns: int) -> None:
        pass


class BookDeltaFeed(Feed):
    def __init__(self, spec: FeedSpec):
        super().__init__(spec)
        self.dirty: Set[Tuple[bool, int]] = set()

    def snapshots(self, hub: "StreamHub") -> List[dict]:
        book = encoding.book_json(hub.exchange.books[self.spec.public_instrument], None, hub.exchange.now_ns())
        size = hub.exchange.config.book_snapshot_levels_per_payload
        bids, asks = book["bids"], book["asks"]
        if size <= 0 or max(len(bids), len(asks)) <= size:
            return [book]
        return [dict(book, bids=bids[start:start + size], asks=asks[start:start + size])
                for start in range(0, max(len(bids), len(asks)), size)]

    def on_timer(self, hub: "StreamHub", now_ns: int) -> None:
        if now_ns < self.next_due_ns:
            return
        self.next_due_ns = now_ns + self.spec.rate_ms * NS_PER_MS
        if not self.dirty:
            return
        dirty, self.dirty = self.dirty, set()
        book = hub.exchange.books[self.spec.public_instrument]
        decimals = book.instrument.base_decimals
        bids: List[dict] = []
        asks: List[dict] = []
        for is_bid, price in sorted(dirty, key=lambda key: -key[1] if key[0] else key[1]):
            size, count = book.side(is_bid).level_state(price)
            (bids if is_bid else asks).append(
                {"price": format_price(price), "size": format_scaled(size, decimals), "num_orders": count})
        self.publish({"event_time": str(now_ns), "instrument": self.spec.instrument, "bids": bids, "asks": asks})


class BookSnapshotFeed(Feed):
    def snapshots(self, hub: "StreamHub") -> List[dict]:
        return [encoding.book_json(hub.exchange.books[self.spec.public_instrument], self.spec.depth,
                                   hub.exchange.now_ns())]

    def on_timer(self, hub: "StreamHub", now_ns: int) -> None:
        if now_ns < self.next_due_ns:
            return
        self.next_due_ns = now_ns + self.spec.rate_ms * NS_PER_MS
        self.publish(encoding.book_json(hub.exchange.books[self.spec.public_instrument], self.spec.depth, now_ns))


class TickerFeed(Feed):
    """v1.mini.s/d and v1.ticker.s/d: `.s` publishes the whole object every period, `.d` only changed fields."""

    def __init__(self, spec: FeedSpec):
        super().__init__(spec)
        self.full = spec.stream.startswith("v1.ticker")
        self.delta = spec.stream.endswith(".d")
        self.last: Dict[str, object] = {}

    def _build(self, hub: "StreamHub", now_ns: int) -> dict:
        build = encoding.ticker_json if self.full else encoding.mini_ticker_json
        return build(hub.exchange, self.spec.public_instrument, now_ns)

    def snapshots(self, hub: "StreamHub") -> List[dict]:
        payload = self._build(hub, hub.exchange.now_ns())
        if self.delta:  # earlier subscribers catch up first: the next delta must suit every subscriber's view
            self._publish_changes(payload)
        return [payload]

    def on_timer(self, hub: "StreamHub", now_ns: int) -> None:
        if now_ns < self.next_due_ns:
            return
        self.next_due_ns = now_ns + (self.spec.rate_ms or RAW_DELTA_INTERVAL_MS) * NS_PER_MS
        payload = self._build(hub, now_ns)
        if self.delta:
            self._publish_changes(payload)
        else:
            self.publish(payload)

    def _publish_changes(self, payload: Dict[str, object]) -> None:
        changed = {key: value for key, value in payload.items()
                   if key not in ("event_time", "instrument") and self.last.get(key) != value}
        self.last = payload
        if changed and self.subscribers:
            changed["event_time"] = payload["event_time"]
            changed["instrument"] = payload["instrument"]
            self.publish(changed)


class TradeFeed(Feed):
    """v1.trade: the selector's limit (WSTradeFeedSelectorV1 "the limit to query for") is how many of the latest
    trades a new subscriber receives as snapshots, oldest first; every later trade is published as it happens."""

    def snapshots(self, hub: "StreamHub") -> List[dict]:
        trades = hub.exchange.markets[self.spec.public_instrument].trades.latest(self.spec.limit)
        return [encoding.trade_json(trade) for trade in reversed(trades)]


class CandleFeed(Feed):
    def __init__(self, spec: FeedSpec):
        super().__init__(spec)
        self.width = CANDLE_INTERVALS_NS[spec.interval]
        self.last_published: Optional[dict] = None

    def _candles(self, hub: "StreamHub", count: int) -> List[dict]:
        instrument = self.spec.public_instrument
        series = hub.exchange.markets[instrument].candles[self.spec.candle_type]
        candles, _ = series.aggregate(self.spec.interval, None, None, count, None)
        return [encoding.candle_json(candle, self.width, instrument) for candle in candles]

    def snapshots(self, hub: "StreamHub") -> List[dict]:
        candles = self._candles(hub, 5)
        self._publish_changes(candles[:2])  # earlier subscribers catch up first, as in TickerFeed
        return list(reversed(candles))

    def on_timer(self, hub: "StreamHub", now_ns: int) -> None:
        if now_ns < self.next_due_ns:
            return
        self.next_due_ns = now_ns + CANDLE_PUBLISH_INTERVAL_MS * NS_PER_MS
        self._publish_changes(self._candles(hub, 2))

    def _publish_changes(self, latest: List[dict]) -> None:
        """Publishes the newest candles (newest first) that changed since the last publish, oldest first: a
        candle's last update before the next one opens is part of its history too."""
        for candle in reversed(latest):
            last = self.last_published
            if last is not None and (int(candle["open_time"]) < int(last["open_time"]) or candle == last):
                continue
            self.last_published = candle
            if self.subscribers:
                self.publish(candle)


class PositionFeed(Feed):
    def snapshots(self, hub: "StreamHub") -> List[dict]:
        account = hub.exchange.accounts.get(self.spec.sub_account_id)
        if account is None:
            return []
        now = hub.exchange.now_ns()
        equity = hub.exchange.margin(account).total_equity
        return [encoding.position_json(position, hub.exchange, now, equity)
                for position in account.positions.values()
                if position.size and (self.spec.instrument is None or position.instrument.name == self.spec.instrument)]


class OpenOrdersFeed(Feed):
    """v1.order / v1.state: the open orders are the snapshot of a new subscriber."""

    def snapshots(self, hub: "StreamHub") -> List[dict]:
        account = hub.exchange.accounts.get(self.spec.sub_account_id)
        if account is None:
            return []
        build = encoding.order_json if self.stream == "v1.order" else encoding.order_state_feed_json
        return [build(order) for order in sorted(account.open_orders.values(), key=lambda o: o.create_time)
                if self.spec.instrument is None or order.instrument.name == self.spec.instrument]


FEED_CLASSES = {
    "v1.book.d": BookDeltaFeed, "v1.book.s": BookSnapshotFeed, "v1.mini.s": TickerFeed, "v1.mini.d": TickerFeed,
    "v1.ticker.s": TickerFeed, "v1.ticker.d": TickerFeed, "v1.trade": TradeFeed, "v1.candle": CandleFeed,
    "v1.position": PositionFeed, "v1.order": OpenOrdersFeed, "v1.state": OpenOrdersFeed,
}
PERIODIC_STREAMS = frozenset(("v1.book.d", "v1.book.s", "v1.mini.s", "v1.mini.d", "v1.ticker.s", "v1.ticker.d",
                              "v1.candle"))


class StreamHub:
    def __init__(self, exchange: Exchange):
        self.exchange = exchange
        self.feeds: Dict[Tuple[str, str], Feed] = {}
        self._periodic: List[Feed] = []
        self._book_deltas: Dict[str, List[BookDeltaFeed]] = defaultdict(list)
        self._trades: Dict[str, List[Feed]] = defaultdict(list)
        self._private_accounts: Dict[str, int] = defaultdict(int)  # sub account -> number of private feeds
        events = exchange.events
        events.order.add(self._on_order)
        events.fill.add(self._on_fill)
        events.position.add(self._on_position)
        events.trade.add(self._on_trade)
        events.book.add(self._on_book_level)
        events.cancel_status.add(self._on_cancel_status)

    # ------------------------------------------------------------------ subscriptions
    def parse(self, stream: str, selector: str, session_sub_accounts: Optional[frozenset]) -> FeedSpec:
        if stream in PUBLIC_STREAMS:
            return parse_public_selector(stream, selector, self.exchange.instruments)
        if stream in PRIVATE_STREAMS:
            if session_sub_accounts is None:
                raise GrvtApiError(1000)
            spec = parse_private_selector(stream, selector, self.exchange.instruments)
            if spec.sub_account_id not in session_sub_accounts:
                raise GrvtApiError(1001)
            return spec
        raise GrvtApiError(1003, f"unknown stream {stream!r}")

    def feed_for(self, spec: FeedSpec) -> Feed:
        key = (spec.stream, spec.selector)
        feed = self.feeds.get(key)
        if feed is None:
            feed = FEED_CLASSES.get(spec.stream, Feed)(spec)
            self.feeds[key] = feed
            if spec.stream in PERIODIC_STREAMS:
                self._periodic.append(feed)
            if isinstance(feed, BookDeltaFeed):
                self._book_deltas[spec.public_instrument].append(feed)
            elif spec.stream == "v1.trade":
                self._trades[spec.public_instrument].append(feed)
            elif spec.sub_account_id is not None:
                self._private_accounts[spec.sub_account_id] += 1
        return feed

    def subscribe(self, connection: "Connection", feed: Feed) -> List[str]:
        """Adds the connection; returns the snapshot messages it must receive after the subscribe answer."""
        snapshots = [feed.snapshot(payload) for payload in feed.snapshots(self)]
        feed.subscribers.add(connection)
        if feed.stalled_until_ns:
            feed.joined_during_stall[connection] = feed.sequence_number
        return snapshots

    def unsubscribe(self, connection: "Connection", feed: Feed) -> None:
        feed.subscribers.discard(connection)
        if not feed.subscribers and isinstance(feed, BookDeltaFeed):
            feed.dirty.clear()

    def reset(self) -> None:
        """Gateway restart: every feed (and its sequence numbers) starts again from scratch."""
        self.feeds.clear()
        self._periodic.clear()
        self._book_deltas.clear()
        self._trades.clear()
        self._private_accounts.clear()

    def matching_feeds(self, stream: Optional[str], selector: Optional[str]) -> List[Feed]:
        return [feed for (feed_stream, feed_selector), feed in self.feeds.items()
                if (stream is None or feed_stream == stream) and (selector is None or feed_selector == selector)]

    # ------------------------------------------------------------------ timer
    def on_timer(self, now_ns: int) -> None:
        for feed in self._periodic:
            if feed.subscribers:
                feed.on_timer(self, now_ns)
        for feed in self.feeds.values():
            if feed.stalled_until_ns:
                feed.release_if_due(now_ns)

    # ------------------------------------------------------------------ engine events
    def _private_feeds(self, stream: str, sub_account_id: str, instrument: str) -> List[Feed]:
        feeds = []
        for selector in (sub_account_id, f"{sub_account_id}-{instrument}"):
            feed = self.feeds.get((stream, selector))
            if feed is not None and feed.subscribers:
                feeds.append(feed)
        return feeds

    def _on_order(self, order: Order) -> None:
        if order.sub_account_id not in self._private_accounts:
            return
        feeds = self._private_feeds("v1.order", order.sub_account_id, order.instrument.name)
        if feeds:
            payload = encoding.order_json(order)
            for feed in feeds:
                feed.publish(payload)
        feeds = self._private_feeds("v1.state", order.sub_account_id, order.instrument.name)
        if feeds:
            payload = encoding.order_state_feed_json(order)
            for feed in feeds:
                feed.publish(payload)

    def _on_fill(self, fill: Fill) -> None:
        if fill.sub_account_id not in self._private_accounts:
            return
        feeds = self._private_feeds("v1.fill", fill.sub_account_id, fill.instrument.name)
        if feeds:
            payload = encoding.fill_json(fill)
            for feed in feeds:
                feed.publish(payload)

    def _on_position(self, position: Position) -> None:
        if position.sub_account_id not in self._private_accounts:
            return
        feeds = self._private_feeds("v1.position", position.sub_account_id, position.instrument.name)
        if feeds:
            account = self.exchange.accounts[position.sub_account_id]
            payload = encoding.position_json(position, self.exchange, self.exchange.now_ns(),
                                             self.exchange.margin(account).total_equity)
            for feed in feeds:
                feed.publish(payload)

    def _on_cancel_status(self, sub_account_id: str, client_order_id: str, order_id: str, reason: str,
                          cancel_status: str) -> None:
        feed = self.feeds.get(("v1.cancel", sub_account_id))
        if feed is not None and feed.subscribers:
            feed.publish({"sub_account_id": sub_account_id, "client_order_id": client_order_id,
                          "order_id": order_id, "reason": reason, "update_time": str(self.exchange.now_ns()),
                          "cancel_status": cancel_status})

    def _on_trade(self, trade: Trade) -> None:
        feeds = self._trades.get(trade.instrument.name)
        if feeds:
            payload = None
            for feed in feeds:
                if feed.subscribers:
                    payload = payload or encoding.trade_json(trade)
                    feed.publish(payload)

    def _on_book_level(self, instrument: str, is_bid: bool, price: int) -> None:
        feeds = self._book_deltas.get(instrument)
        if feeds:
            for feed in feeds:
                if feed.subscribers:
                    feed.dirty.add((is_bid, price))
