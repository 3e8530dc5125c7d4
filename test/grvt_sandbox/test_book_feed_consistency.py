"""A client that applies v1.book.d snapshot + deltas by sequence number ends with exactly the engine's book,
while random orders, cancels and trades churn it; a v1.mini.d subscriber, however late it joins, with its values."""
import asyncio
import json
import random
from decimal import Decimal

import pytest

from grvt_sandbox.clock import Clock
from grvt_sandbox.config import SandboxConfig
from grvt_sandbox.engine import Exchange
from grvt_sandbox.gateway import encoding
from grvt_sandbox.gateway.streams import StreamHub
from test.grvt_sandbox.sandbox_helpers import BTC

D = Decimal


def apply(levels: dict, updates: list) -> None:
    for level in updates:
        if D(level["size"]) == 0:
            levels.pop(level["price"], None)
        else:
            levels[level["price"]] = (level["size"], level["num_orders"])


@pytest.mark.asyncio
async def test_snapshot_plus_deltas_rebuild_the_book(sandbox, client):
    exchange = sandbox.exchange
    for account in ("1", "2", "3"):
        exchange.add_account(account, check_margin=False, record_history=False, max_open_orders=10_000)
    rng = random.Random(11)

    def churn(count: int) -> None:
        for _ in range(count):
            account = rng.choice("123")
            action = rng.random()
            if action < 0.6:
                price = D(90000 + rng.randint(-40, 40))
                exchange.submit_internal_order(account, BTC, rng.random() < 0.5, D(rng.randint(1, 20)) / 100, price)
            elif action < 0.9:
                orders = exchange.open_orders(account, BTC)
                if orders:
                    exchange.cancel_internal(account, order_id=rng.choice(orders).order_id)
            else:
                exchange.submit_internal_order(account, BTC, rng.random() < 0.5, D(rng.randint(1, 30)) / 100, None)

    churn(200)
    ws = await client.ws(authenticated=False)
    response = await ws.subscribe("v1.book.d", [f"{BTC}@50"])
    expected_next = int(response["result"]["first_sequence_number"][0])
    snapshot = await ws.feed("v1.book.d")
    assert snapshot["sequence_number"] == "0"
    bids, asks = {}, {}
    apply(bids, snapshot["feed"]["bids"])
    apply(asks, snapshot["feed"]["asks"])
    for _ in range(6):
        churn(150)
        await asyncio.sleep(0.06)

    def as_decimals(levels: dict) -> dict:
        return {D(price): (D(size), count) for price, (size, count) in levels.items()}

    snapshot = exchange.book_snapshot(BTC, depth=None)
    final_bids = {price: (size, count) for price, size, count in snapshot.bids}
    final_asks = {price: (size, count) for price, size, count in snapshot.asks}
    while (as_decimals(bids), as_decimals(asks)) != (final_bids, final_asks):
        delta = await ws.feed("v1.book.d", timeout=10.0)
        assert int(delta["sequence_number"]) == expected_next
        assert int(delta["prev_sequence_number"]) == expected_next - 1
        expected_next += 1
        apply(bids, delta["feed"]["bids"])
        apply(asks, delta["feed"]["asks"])
    assert expected_next > 2
    assert bids and asks and max(as_decimals(bids)) < min(as_decimals(asks))
    await ws.close()


class FeedRecorder:
    """A subscriber of a hub feed without a socket: keeps every message it is sent."""

    def __init__(self):
        self.messages = []

    def send_text(self, text: str) -> None:
        self.messages.append(json.loads(text))


def test_a_late_subscriber_of_a_delta_ticker_ends_with_the_current_values():
    exchange = Exchange(SandboxConfig(accounts=[]), Clock())
    exchange.add_account("1", check_margin=False)
    hub = StreamHub(exchange)
    feed = hub.feed_for(hub.parse("v1.mini.d", f"{BTC}@500", None))
    first, late = FeedRecorder(), FeedRecorder()
    views = {first: {}, late: {}}
    for payload in hub.subscribe(first, feed):
        views[first].update(json.loads(payload)["feed"])
    bid = exchange.submit_internal_order("1", BTC, True, D("1"), D("89000"))  # not published yet
    for payload in hub.subscribe(late, feed):
        views[late].update(json.loads(payload)["feed"])
    exchange.cancel_internal("1", order_id=bid.order_id)  # the bid is gone again before the next publish
    feed.on_timer(hub, exchange.now_ns())
    current = encoding.mini_ticker_json(exchange, BTC, exchange.now_ns())
    for recorder, view in views.items():
        for message in recorder.messages:
            view.update(message["feed"])
        assert {key: view[key] for key in current if key != "event_time"} == {
            key: value for key, value in current.items() if key != "event_time"}


def test_a_late_subscriber_of_a_candle_stream_ends_with_the_current_candle():
    clock = Clock()
    clock.advance(61 - clock.now_ns() % 60_000_000_000 / 1e9)  # one second into a minute: a single candle
    exchange = Exchange(SandboxConfig(accounts=[]), clock)
    hub = StreamHub(exchange)
    feed = hub.feed_for(hub.parse("v1.candle", f"{BTC}@CI_1_M-MARK", None))
    first, late = FeedRecorder(), FeedRecorder()
    views = {first: {}, late: {}}
    exchange.set_index_price(BTC, D("90100"))
    exchange.set_index_price(BTC, D("90000"))
    for payload in hub.subscribe(first, feed):
        views[first][json.loads(payload)["feed"]["open_time"]] = json.loads(payload)["feed"]
    feed.on_timer(hub, exchange.now_ns())
    exchange.set_index_price(BTC, D("90050"))  # not published yet
    for payload in hub.subscribe(late, feed):
        views[late][json.loads(payload)["feed"]["open_time"]] = json.loads(payload)["feed"]
    exchange.set_index_price(BTC, D("90000"))  # back where it was last published
    feed.on_timer(hub, exchange.now_ns() + 1_000_000_000)
    current = encoding.candle_json(exchange.markets[BTC].candles["MARK"].minutes[-1], 60_000_000_000, BTC)
    for recorder, view in views.items():
        for message in recorder.messages:
            view[message["feed"]["open_time"]] = message["feed"]
        assert view[current["open_time"]] == current


def test_a_candle_stream_sends_the_last_update_of_a_candle_before_the_next_candle():
    clock = Clock()
    clock.advance(61 - clock.now_ns() % 60_000_000_000 / 1e9)  # one second into a minute
    exchange = Exchange(SandboxConfig(accounts=[]), clock)
    hub = StreamHub(exchange)
    feed = hub.feed_for(hub.parse("v1.candle", f"{BTC}@CI_1_M-MARK", None))
    subscriber, view = FeedRecorder(), {}
    exchange.set_index_price(BTC, D("90000"))
    for payload in hub.subscribe(subscriber, feed):
        view[json.loads(payload)["feed"]["open_time"]] = json.loads(payload)["feed"]
    feed.on_timer(hub, exchange.now_ns())
    exchange.set_index_price(BTC, D("90100"))  # the minute's last move, not published before the minute ends
    clock.advance(60)
    exchange.set_index_price(BTC, D("90200"))
    feed.on_timer(hub, exchange.now_ns())
    for message in subscriber.messages:
        view[message["feed"]["open_time"]] = message["feed"]
    minutes = exchange.markets[BTC].candles["MARK"].minutes
    assert len(minutes) == 2
    for candle in minutes:
        assert view[str(candle.open_time)] == encoding.candle_json(candle, 60_000_000_000, BTC)


def test_a_stalled_feed_delivers_held_messages_only_to_subscribers_that_were_there_before_them():
    exchange = Exchange(SandboxConfig(accounts=[]), Clock())
    exchange.add_account("1", check_margin=False)
    hub = StreamHub(exchange)
    feed = hub.feed_for(hub.parse("v1.book.d", f"{BTC}@50", None))
    first, late = FeedRecorder(), FeedRecorder()
    hub.subscribe(first, feed)
    feed.stalled_until_ns = exchange.now_ns() + 1_000_000_000  # what faults.stall_stream sets
    exchange.submit_internal_order("1", BTC, True, D("1"), D("89000"))
    feed.on_timer(hub, exchange.now_ns())  # held back
    hub.subscribe(late, feed)  # its snapshot has the bid; its first sequence number is the next one
    late_first_sequence_number = feed.sequence_number + 1
    feed.release_if_due(exchange.now_ns() + 2_000_000_000)
    assert [message["sequence_number"] for message in first.messages] == ["1"]
    assert all(int(message["sequence_number"]) >= late_first_sequence_number for message in late.messages)
