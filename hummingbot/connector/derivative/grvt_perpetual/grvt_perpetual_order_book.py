"""
Hummingbot order book messages built from GRVT market data (full encoding).

Update ids come from ``GrvtPerpetualBookSequencer``: ``epoch << 40`` for a snapshot, +1 per delta on top of it,
where the epoch grows with every snapshot of the pair. Ids therefore only grow, even though GRVT restarts its
sequence numbers with every subscription, and a snapshot taken after a resync or a reconnect outranks every diff
that came before it. A REST snapshot (it carries no sequence number) takes the id of the stream's current snapshot, so
the tracker still accepts every stream payload of that epoch.

Rows are ``[price, amount, update_id]`` with float price and amount: Hummingbot's C++ book stores doubles, so parsing
the wire strings straight to float skips a Decimal round trip on every level.

Book messages are ``GrvtBookMessage``s, whose rows are ``BookRow``s: lists, as message content rows are everywhere
in Hummingbot, that also read as ``OrderBookRow`` (``.price``, ``.amount``, ``.update_id``), which is all the book
reads from a row. The tracker reads ``update_id`` about six times and ``bids``/``asks`` once per message; the base
message class recomputes the id on every read and rebuilds every row with two float() calls, while here the rows
are handed over as they are: no conversion and no second set of row objects per delta.
"""
import time
from functools import partial
from operator import itemgetter
from typing import Any, Dict, List, Mapping, Sequence

from hummingbot.core.data_type.common import TradeType
from hummingbot.core.data_type.order_book import OrderBook
from hummingbot.core.data_type.order_book_message import OrderBookMessage, OrderBookMessageType

_NS_TO_SECONDS = 1e-9
_BUY = float(TradeType.BUY.value)
_SELL = float(TradeType.SELL.value)
_TRUE_STRINGS = frozenset({"true", "True", "TRUE", "1"})
_SNAPSHOT = OrderBookMessageType.SNAPSHOT
_DIFF = OrderBookMessageType.DIFF


class BookRow(list):
    """``[price, amount, update_id]``, also readable by attribute like Hummingbot's ``OrderBookRow``."""

    __slots__ = ()

    price = property(itemgetter(0))
    amount = property(itemgetter(1))
    update_id = property(itemgetter(2))


class GrvtBookMessage(OrderBookMessage):
    """A SNAPSHOT or DIFF whose content rows are ``BookRow``s (see the module doc)."""

    @property
    def update_id(self) -> int:
        return self.content["update_id"]

    @property
    def bids(self) -> List[BookRow]:
        return self.content["bids"]

    @property
    def asks(self) -> List[BookRow]:
        return self.content["asks"]


_new_book_message = partial(tuple.__new__, GrvtBookMessage)  # skips the Python-level namedtuple constructors


def levels_to_rows(levels: Sequence[Mapping[str, Any]], update_id: int) -> List[BookRow]:
    """GRVT levels ``[{"price", "size", "num_orders"}]`` to Hummingbot rows; size "0" deletes a level in a diff."""
    return [BookRow((float(level["price"]), float(level["size"]), update_id)) for level in levels]


def event_time_seconds(payload: Mapping[str, Any]) -> float:
    """``event_time`` (unix ns) in seconds; the local clock when a payload has none."""
    event_time = payload.get("event_time")
    return int(event_time) * _NS_TO_SECONDS if event_time else time.time()


def book_message(
    message_type: OrderBookMessageType,
    levels: Mapping[str, Any],
    trading_pair: str,
    update_id: int,
) -> GrvtBookMessage:
    """A SNAPSHOT or DIFF message of ``levels`` (a ``v1.book.d`` feed or a REST ``OrderbookLevels`` result)."""
    return _new_book_message((
        message_type,
        {
            "trading_pair": trading_pair,
            "update_id": update_id,
            "bids": levels_to_rows(levels.get("bids") or (), update_id),
            "asks": levels_to_rows(levels.get("asks") or (), update_id),
        },
        event_time_seconds(levels),
    ))


class GrvtPerpetualOrderBook(OrderBook):

    @classmethod
    def snapshot_message_from_exchange(
        cls,
        levels: Mapping[str, Any],
        trading_pair: str,
        update_id: int,
    ) -> GrvtBookMessage:
        """A full book: a REST ``OrderbookLevels`` result or the feed of a ``v1.book.d`` snapshot payload."""
        return book_message(_SNAPSHOT, levels, trading_pair, update_id)

    @classmethod
    def diff_message_from_exchange(
        cls,
        levels: Mapping[str, Any],
        trading_pair: str,
        update_id: int,
    ) -> GrvtBookMessage:
        """The feed of a ``v1.book.d`` delta payload: changed levels with their new absolute size."""
        return book_message(_DIFF, levels, trading_pair, update_id)

    @classmethod
    def trade_message_from_exchange(cls, trade: Mapping[str, Any], trading_pair: str) -> OrderBookMessage:
        """A public ``Trade``; the side is the taker's (``is_taker_buyer``)."""
        is_taker_buyer = trade["is_taker_buyer"]
        if type(is_taker_buyer) is not bool:
            is_taker_buyer = str(is_taker_buyer) in _TRUE_STRINGS
        event_time_ns = int(trade["event_time"])
        content: Dict[str, Any] = {
            "trading_pair": trading_pair,
            "trade_type": _BUY if is_taker_buyer else _SELL,
            "trade_id": str(trade["trade_id"]),
            "update_id": event_time_ns,
            "price": float(trade["price"]),
            "amount": float(trade["size"]),
        }
        return OrderBookMessage(OrderBookMessageType.TRADE, content, timestamp=event_time_ns * _NS_TO_SECONDS)

    def restore_from_snapshot_and_diffs(self, snapshot: OrderBookMessage, diffs: List[OrderBookMessage]):
        """
        Applies the snapshot, then replays only the diffs issued after it.

        The tracker keeps the last 32 diffs and replays them when a snapshot arrives, choosing them with
        ``bisect`` on ``OrderBookMessage`` ordering, which places a snapshot before every message; the base class
        would therefore re-apply diffs older than the snapshot and resurrect levels the snapshot removed. With
        monotonic update ids, "after the snapshot" is simply a larger id.
        """
        snapshot_uid = snapshot.update_id
        self.apply_snapshot(snapshot.bids, snapshot.asks, snapshot_uid)
        for diff in diffs:
            if diff.update_id > snapshot_uid:
                self.apply_diffs(diff.bids, diff.asks, diff.update_id)
