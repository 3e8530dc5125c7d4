"""Hummingbot order book messages built from decoded GRVT market data, and the order book that reads them."""
import time
from typing import List

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_market_data_messages import (
    BookLevel,
    BookLevels,
    Trade,
)
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.data_type.order_book import OrderBook
from hummingbot.core.data_type.order_book_message import OrderBookMessage, OrderBookMessageType

_BUY = float(TradeType.BUY.value)
_SELL = float(TradeType.SELL.value)


class GrvtBookMessage(OrderBookMessage):
    """Its rows are the decoded ``BookLevel``s, stamped with the update id: they read as ``OrderBookRow``s, while the
    base class would rebuild every row with two float() calls on each read."""

    @property
    def update_id(self) -> int:
        return self.content["update_id"]

    @property
    def bids(self) -> List[BookLevel]:
        return self.content["bids"]

    @property
    def asks(self) -> List[BookLevel]:
        return self.content["asks"]


def book_message(message_type: OrderBookMessageType, levels: BookLevels, trading_pair: str,
                 update_id: int) -> GrvtBookMessage:
    bids, asks = levels.bids, levels.asks
    for level in bids:
        level.update_id = update_id
    for level in asks:
        level.update_id = update_id
    event_time = levels.event_time
    return GrvtBookMessage(
        message_type,
        {"trading_pair": trading_pair, "update_id": update_id, "bids": bids, "asks": asks},
        event_time / CONSTANTS.NANOS_PER_SECOND if event_time else time.time(),
    )


def trade_message(trade: Trade, trading_pair: str) -> OrderBookMessage:
    return OrderBookMessage(OrderBookMessageType.TRADE, {
        "trading_pair": trading_pair,
        "trade_type": _BUY if trade.is_taker_buyer else _SELL,
        "trade_id": trade.trade_id,
        "update_id": trade.event_time,
        "price": trade.price,
        "amount": trade.size,
    }, timestamp=trade.event_time / CONSTANTS.NANOS_PER_SECOND)


class GrvtPerpetualOrderBook(OrderBook):

    def restore_from_snapshot_and_diffs(self, snapshot: OrderBookMessage, diffs: List[OrderBookMessage]) -> None:
        """
        Applies the snapshot, then replays only the diffs issued after it (a larger id). The tracker replays its last
        32 diffs on a snapshot, chosen by ``bisect`` on ``OrderBookMessage`` ordering, which places a snapshot before
        every message: the base class would re-apply older diffs and resurrect levels the snapshot removed.
        """
        snapshot_uid = snapshot.update_id
        self.apply_snapshot(snapshot.bids, snapshot.asks, snapshot_uid)
        for diff in diffs:
            if diff.update_id > snapshot_uid:
                self.apply_diffs(diff.bids, diff.asks, diff.update_id)
