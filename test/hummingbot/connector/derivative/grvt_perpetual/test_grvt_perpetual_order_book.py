import unittest
from unittest.mock import patch

from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_market_data_messages import (
    BookLevel,
    BookLevels,
    Trade,
    from_builtins,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_book import (
    GrvtBookMessage,
    GrvtPerpetualOrderBook,
    book_message,
    trade_message,
)
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.data_type.order_book import OrderBook
from hummingbot.core.data_type.order_book_message import OrderBookMessage, OrderBookMessageType

PAIR = "BTC-USDT"
EPOCH = 1 << 40


def level(price: str, size: str, num_orders: int = 1):
    return {"price": price, "size": size, "num_orders": num_orders}


def book(bids, asks, event_time="1767292408400000000") -> BookLevels:
    return levels({"event_time": event_time, "instrument": "BTC_USDT_Perp", "bids": bids, "asks": asks})


def levels(data) -> BookLevels:
    return from_builtins(data, BookLevels, "book")


def trade(data) -> Trade:
    return from_builtins(data, Trade, "trade")


def rows(levels_list):
    return [[row.price, row.amount, row.update_id] for row in levels_list]


def snapshot(levels_: BookLevels, update_id: int) -> GrvtBookMessage:
    return book_message(OrderBookMessageType.SNAPSHOT, levels_, PAIR, update_id)


def diff(levels_: BookLevels, update_id: int) -> GrvtBookMessage:
    return book_message(OrderBookMessageType.DIFF, levels_, PAIR, update_id)


def prices(entries):
    return [entry.price for entry in entries]


class GrvtPerpetualOrderBookTests(unittest.TestCase):

    def test_snapshot_message_rows_are_floats_with_update_id(self):
        message = snapshot(
            book([level("88107.3", "5.322", 11), level("88107.2", "0.5")], [level("88107.4", "5.273", 37)]), EPOCH)

        self.assertEqual(OrderBookMessageType.SNAPSHOT, message.type)
        self.assertEqual(PAIR, message.trading_pair)
        self.assertEqual(EPOCH, message.update_id)
        self.assertEqual([[88107.3, 5.322, EPOCH], [88107.2, 0.5, EPOCH]], rows(message.content["bids"]))
        self.assertEqual([[88107.4, 5.273, EPOCH]], rows(message.content["asks"]))
        self.assertAlmostEqual(1767292408.4, message.timestamp, places=6)
        self.assertEqual(88107.3, message.bids[0].price)
        self.assertEqual(EPOCH, message.bids[0].update_id)

    def test_diff_message_keeps_zero_sizes_as_deletions(self):
        message = diff(book([level("100.0", "0")], []), EPOCH + 5)

        self.assertEqual(OrderBookMessageType.DIFF, message.type)
        self.assertEqual(EPOCH + 5, message.update_id)
        self.assertEqual([[100.0, 0.0, EPOCH + 5]], rows(message.content["bids"]))
        self.assertEqual([], message.content["asks"])

    def test_missing_sides_are_empty(self):
        message = diff(levels({"event_time": "1", "instrument": "BTC_USDT_Perp"}), 7)

        self.assertEqual([], message.content["bids"])
        self.assertEqual([], message.content["asks"])

    @patch("hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_book.time.time", return_value=123.5)
    def test_book_without_event_time_uses_local_clock(self, _):
        message = snapshot(levels({"bids": [], "asks": []}), 0)

        self.assertEqual(123.5, message.timestamp)

    def test_trade_message_taker_buyer_is_buy(self):
        data = {"event_time": "1767292408400000000", "instrument": "BTC_USDT_Perp", "is_taker_buyer": True,
                "size": "0.016", "price": "87807.7", "trade_id": "64796657-1", "venue": "ORDERBOOK"}

        message = trade_message(trade(data), PAIR)

        self.assertEqual(OrderBookMessageType.TRADE, message.type)
        self.assertEqual(float(TradeType.BUY.value), message.content["trade_type"])
        self.assertEqual("64796657-1", message.trade_id)
        self.assertEqual(87807.7, message.content["price"])
        self.assertEqual(0.016, message.content["amount"])
        self.assertEqual(PAIR, message.trading_pair)
        self.assertAlmostEqual(1767292408.4, message.timestamp, places=6)

    def test_trade_message_taker_seller_is_sell(self):
        for is_taker_buyer in (False, "false", 0):
            data = {"event_time": "1", "instrument": "X", "is_taker_buyer": is_taker_buyer, "size": "1",
                    "price": "2", "trade_id": "55"}

            message = trade_message(trade(data), PAIR)

            self.assertEqual(float(TradeType.SELL.value), message.content["trade_type"], is_taker_buyer)
            self.assertEqual("55", message.trade_id)

    def test_trade_message_string_true_is_buy(self):
        data = {"event_time": "1", "instrument": "X", "is_taker_buyer": "true", "size": "1", "price": "2",
                "trade_id": "1-1"}

        message = trade_message(trade(data), PAIR)

        self.assertEqual(float(TradeType.BUY.value), message.content["trade_type"])

    def test_diffs_apply_to_book_and_zero_size_removes_level(self):
        order_book = GrvtPerpetualOrderBook()
        full = snapshot(book([level("100", "1"), level("99", "2")], [level("101", "1")]), EPOCH)
        order_book.apply_snapshot(full.bids, full.asks, full.update_id)
        changes = diff(book([level("99", "0"), level("98", "4")], [level("101", "3")]), EPOCH + 1)

        order_book.apply_diffs(changes.bids, changes.asks, changes.update_id)

        self.assertEqual([100.0, 98.0], prices(order_book.bid_entries()))
        self.assertEqual([3.0], [entry.amount for entry in order_book.ask_entries()])

    def test_restore_replays_only_diffs_issued_after_the_snapshot(self):
        order_book = GrvtPerpetualOrderBook()
        old_diff = diff(book([level("98", "3")], []), EPOCH + 1)
        new_snapshot = snapshot(book([level("100", "1")], [level("101", "1")]), 2 * EPOCH)
        newer_diff = diff(book([], [level("102", "2")]), 2 * EPOCH + 1)

        order_book.restore_from_snapshot_and_diffs(new_snapshot, [old_diff, newer_diff])

        self.assertEqual([100.0], prices(order_book.bid_entries()))
        self.assertEqual([101.0, 102.0], prices(order_book.ask_entries()))
        self.assertEqual(2 * EPOCH, order_book.snapshot_uid)

    def test_plain_order_book_would_resurrect_levels_the_snapshot_removed(self):
        # Why the override exists: Hummingbot's OrderBook replays every remembered diff after a snapshot.
        order_book = OrderBook()
        old_diff = diff(book([level("98", "3")], []), EPOCH + 1)
        new_snapshot = snapshot(book([level("100", "1")], [level("101", "1")]), 2 * EPOCH)

        order_book.restore_from_snapshot_and_diffs(new_snapshot, [old_diff])

        self.assertIn(98.0, prices(order_book.bid_entries()))

    def test_book_messages_read_like_hummingbot_messages_of_the_same_content(self):
        for build in (snapshot, diff):
            message = build(book([level("100.5", "1.25"), level("99", "0")], [level("101", "2")]), EPOCH + 3)
            plain = OrderBookMessage(message.type, message.content, message.timestamp)

            self.assertIsInstance(message, GrvtBookMessage)
            self.assertEqual(plain.update_id, message.update_id)
            self.assertEqual(plain.trading_pair, message.trading_pair)
            self.assertEqual(plain, message)

    def test_book_rows_read_like_order_book_rows(self):
        row = book([level("88107.3", "5.322")], [])
        row = snapshot(row, EPOCH).bids[0]

        self.assertIsInstance(row, BookLevel)
        self.assertEqual((88107.3, 5.322, EPOCH), (row.price, row.amount, row.update_id))

    def test_trade_messages_keep_hummingbot_semantics(self):
        message = trade_message(trade(
            {"event_time": "1", "instrument": "X", "size": "1", "price": "2", "trade_id": "1-1",
             "is_taker_buyer": True}), PAIR)

        self.assertNotIsInstance(message, GrvtBookMessage)
        self.assertEqual(-1, message.update_id)
