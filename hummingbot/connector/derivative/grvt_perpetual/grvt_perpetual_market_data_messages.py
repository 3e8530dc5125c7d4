"""
Wire types of GRVT's public market data (full encoding), decoded straight from socket frames with msgspec.

Every public stream frame is ``{"stream", "selector", "sequence_number", "feed", "prev_sequence_number"}``; the
frame types below are a union tagged by ``stream``, so one ``decode_frame`` call turns a frame's text into a typed
frame without an intermediate dict. GRVT sends integers and decimals as strings; the decoders run in msgspec's lax
mode, which reads "12" as 12 and "87807.7" as a float or a Decimal as declared. Book levels and trades are floats
(Hummingbot's order book stores doubles); ticker figures are Decimals. GRVT's deltas may send "" for null: a frame
or REST result that does not decode as it is decodes again with its "" fields taken as absent
(``frame_from_builtins``, ``from_builtins``), which only costs time when it happens.

Book levels read as Hummingbot's ``OrderBookRow`` (``price``, ``amount``, ``update_id``; also iterable), so a
decoded feed's level lists are handed to the order book as they are. ``update_id`` is not on the wire: the data
source stamps the Hummingbot update id of the message on its levels.

A frame that cannot be decoded raises ``MalformedMarketDataError`` naming the field (``$.feed.bids[0].price``).
"""
from decimal import Decimal
from typing import Any, Dict, Iterator, List, Optional, Type, TypeVar, Union

import msgspec

T = TypeVar("T")


class MalformedMarketDataError(ValueError):
    """A GRVT market-data payload lacks a field or carries a value that cannot be converted."""


# ------------------------------------------------------------------------------------------------------------------
# Feeds
# ------------------------------------------------------------------------------------------------------------------
class BookLevel(msgspec.Struct, gc=False):
    price: float
    amount: float = msgspec.field(name="size")  # the new absolute size; 0 removes the level in a delta
    num_orders: int = 0
    update_id: int = 0

    def __iter__(self) -> Iterator[float]:
        return iter((self.price, self.amount, self.update_id))


class BookLevels(msgspec.Struct):
    """``OrderbookLevels``: the feed of v1.book.s / v1.book.d and the result of REST ``book``."""
    instrument: str = ""
    bids: List[BookLevel] = []
    asks: List[BookLevel] = []
    event_time: int = 0  # unix ns


class Trade(msgspec.Struct, gc=False):
    event_time: int
    instrument: str
    is_taker_buyer: bool
    size: float
    price: float
    trade_id: str
    mark_price: Optional[Decimal] = None
    index_price: Optional[Decimal] = None
    interest_rate: Optional[Decimal] = None
    forward_price: Optional[Decimal] = None
    venue: str = ""
    is_rpi: bool = False


class MiniTicker(msgspec.Struct, gc=False):
    """v1.mini.s / v1.mini.d feed and REST ``mini``; a delta carries only the fields that changed."""
    event_time: Optional[int] = None
    instrument: str = ""
    mark_price: Optional[Decimal] = None
    index_price: Optional[Decimal] = None
    last_price: Optional[Decimal] = None
    last_size: Optional[Decimal] = None
    mid_price: Optional[Decimal] = None
    best_bid_price: Optional[Decimal] = None
    best_bid_size: Optional[Decimal] = None
    best_ask_price: Optional[Decimal] = None
    best_ask_size: Optional[Decimal] = None


class Ticker(MiniTicker, gc=False):
    """v1.ticker.s / v1.ticker.d feed and REST ``ticker``. Funding rates are in percent."""
    funding_rate_8h_curr: Optional[Decimal] = None  # deprecated by GRVT in favour of funding_rate
    funding_rate_8h_avg: Optional[Decimal] = None
    interest_rate: Optional[Decimal] = None
    forward_price: Optional[Decimal] = None
    buy_volume_24h_b: Optional[Decimal] = None
    sell_volume_24h_b: Optional[Decimal] = None
    buy_volume_24h_q: Optional[Decimal] = None
    sell_volume_24h_q: Optional[Decimal] = None
    high_price: Optional[Decimal] = None
    low_price: Optional[Decimal] = None
    open_price: Optional[Decimal] = None
    open_interest: Optional[Decimal] = None
    long_short_ratio: Optional[Decimal] = None
    funding_rate: Optional[Decimal] = None
    next_funding_time: Optional[int] = None  # unix ns
    funding_interval_hours: Optional[int] = None


class Candle(msgspec.Struct, gc=False):
    open_time: int
    close_time: int
    open: Decimal
    close: Decimal
    high: Decimal
    low: Decimal
    volume_b: Decimal
    volume_q: Decimal
    trades: int
    instrument: str


# ------------------------------------------------------------------------------------------------------------------
# Frames
# ------------------------------------------------------------------------------------------------------------------
class StreamFrame(msgspec.Struct, tag_field="stream", kw_only=True):
    selector: str = ""
    sequence_number: int = 0  # 0 for a snapshot
    prev_sequence_number: int = -1  # -1: absent


class BookDeltaFrame(StreamFrame, tag="v1.book.d", kw_only=True):
    feed: BookLevels


class BookSnapshotFrame(StreamFrame, tag="v1.book.s", kw_only=True):
    feed: BookLevels


class TradeFrame(StreamFrame, tag="v1.trade", kw_only=True):
    feed: Trade


class TickerSnapshotFrame(StreamFrame, tag="v1.ticker.s", kw_only=True):
    feed: Ticker


class TickerDeltaFrame(StreamFrame, tag="v1.ticker.d", kw_only=True):
    feed: Ticker


class MiniTickerSnapshotFrame(StreamFrame, tag="v1.mini.s", kw_only=True):
    feed: MiniTicker


class MiniTickerDeltaFrame(StreamFrame, tag="v1.mini.d", kw_only=True):
    feed: MiniTicker


class CandleFrame(StreamFrame, tag="v1.candle", kw_only=True):
    feed: Candle


FRAME_TYPES = (BookDeltaFrame, BookSnapshotFrame, TradeFrame, TickerSnapshotFrame, TickerDeltaFrame,
               MiniTickerSnapshotFrame, MiniTickerDeltaFrame, CandleFrame)
STREAM_FRAME_TYPES = {frame_type.__struct_config__.tag: frame_type for frame_type in FRAME_TYPES}


# ------------------------------------------------------------------------------------------------------------------
# JSON-RPC answers
# ------------------------------------------------------------------------------------------------------------------
class RpcError(msgspec.Struct, gc=False):
    code: int = 0
    message: str = ""
    status: int = 0


class SubscribeResult(msgspec.Struct):
    """Result of ``subscribe`` / ``unsubscribe``; the lists are aligned with ``subs``."""
    stream: str = ""
    subs: List[str] = []
    unsubs: List[str] = []
    num_snapshots: List[int] = []
    first_sequence_number: List[int] = []
    latest_sequence_number: List[int] = []


class RpcResponse(msgspec.Struct):
    """A JSON-RPC answer, or GRVT's legacy error envelope ``{"code", "message", "status"}`` (top-level fields)."""
    jsonrpc: str = ""
    id: Optional[int] = None
    method: str = ""
    result: Optional[SubscribeResult] = None
    error: Optional[RpcError] = None
    code: Optional[int] = None
    message: str = ""
    status: int = 0

    @property
    def rpc_error(self) -> Optional[RpcError]:
        if self.error is None and self.code is not None and self.result is None:
            return RpcError(self.code, self.message, self.status)
        return self.error


Frame = Union[FRAME_TYPES]  # type: ignore[valid-type]
# decode_frame(text or bytes) -> one of FRAME_TYPES; msgspec.ValidationError / DecodeError for anything else
decode_frame = msgspec.json.Decoder(Frame, strict=False).decode
decode_json = msgspec.json.Decoder().decode  # any JSON value, for frames that are not stream frames


def _without_nulls(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: value for key, value in data.items() if value != ""}
    return data


def from_builtins(data: Any, message_type: Type[T], what: str) -> T:
    """A decoded JSON object (e.g. a REST result) as ``message_type``, "" fields taken as absent;
    MalformedMarketDataError naming the field otherwise."""
    try:
        return msgspec.convert(_without_nulls(data), message_type, strict=False)
    except msgspec.ValidationError as error:
        raise MalformedMarketDataError(f"GRVT {what} is malformed: {error}") from None


def frame_from_builtins(data: Dict[str, Any]) -> StreamFrame:
    """A stream frame from a decoded JSON object whose feed fields may be "" for null; msgspec.ValidationError
    (naming the field) when it still does not fit its stream's type."""
    return msgspec.convert(dict(data, feed=_without_nulls(data.get("feed"))), Frame, strict=False)
