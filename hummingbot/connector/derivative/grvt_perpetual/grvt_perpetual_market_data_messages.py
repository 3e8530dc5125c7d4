"""
Wire types of the GRVT public market data (full encoding), decoded with msgspec; only the fields the connector reads
are declared. Book levels and trades are floats (Hummingbot's order book stores doubles), ticker figures Decimals.
"""
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Type, TypeVar, Union, get_args

import msgspec

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import GrvtMessageError

T = TypeVar("T")


class BookLevel(msgspec.Struct, gc=False):
    price: float
    amount: float = msgspec.field(name="size")  # the new absolute size; 0 removes the level in a delta
    update_id: int = 0  # not on the wire: stamped by book_message (grvt_perpetual_order_book)


class BookLevels(msgspec.Struct):
    """``OrderbookLevels``: the feed of v1.book.d and the result of REST ``book``."""
    instrument: str = ""
    bids: List[BookLevel] = []
    asks: List[BookLevel] = []
    event_time: int = 0  # unix ns


class Trade(msgspec.Struct, gc=False):
    event_time: int  # unix ns
    instrument: str
    is_taker_buyer: bool
    size: float
    price: float
    trade_id: str


class Ticker(msgspec.Struct, gc=False):
    """v1.ticker.s feed and REST ``ticker`` / ``mini`` results."""
    instrument: str = ""
    mark_price: Optional[Decimal] = None
    index_price: Optional[Decimal] = None
    last_price: Optional[Decimal] = None
    funding_rate: Optional[Decimal] = None
    funding_rate_8h_curr: Optional[Decimal] = None  # deprecated by GRVT in favour of funding_rate
    next_funding_time: Optional[int] = None  # unix ns


class StreamFrame(msgspec.Struct, tag_field="stream", kw_only=True):
    sequence_number: int = 0  # 0 for a snapshot
    prev_sequence_number: int = -1  # -1: absent


class BookDeltaFrame(StreamFrame, tag=CONSTANTS.WS_BOOK_DELTA_STREAM, kw_only=True):
    feed: BookLevels


class TradeFrame(StreamFrame, tag=CONSTANTS.WS_TRADE_STREAM, kw_only=True):
    feed: Trade


class TickerSnapshotFrame(StreamFrame, tag=CONSTANTS.WS_TICKER_SNAPSHOT_STREAM, kw_only=True):
    feed: Ticker


Frame = Union[BookDeltaFrame, TradeFrame, TickerSnapshotFrame]
STREAM_FRAME_TYPES = {frame_type.__struct_config__.tag: frame_type for frame_type in get_args(Frame)}


class RpcError(msgspec.Struct, gc=False):
    code: int = 0
    message: str = ""


class SubscribeResult(msgspec.Struct):
    """Result of ``subscribe`` / ``unsubscribe``; ``num_snapshots`` and ``first_sequence_number`` are aligned with
    ``subs``."""
    subs: List[str] = []
    num_snapshots: List[int] = []
    first_sequence_number: List[int] = []


class RpcResponse(msgspec.Struct):
    """A JSON-RPC answer, or GRVT's legacy error envelope ``{"code", "message", "status"}`` (top-level fields)."""
    id: Optional[int] = None
    result: Optional[SubscribeResult] = None
    error: Optional[RpcError] = None
    code: Optional[int] = None
    message: str = ""

    @property
    def rpc_error(self) -> Optional[RpcError]:
        if self.error is None and self.code is not None and self.result is None:
            return RpcError(self.code, self.message)
        return self.error


# A frame's text or bytes straight to a typed frame (the union is tagged by "stream"), no dict between; lax mode reads
# GRVT's strings as numbers ("12", "87807.7"). msgspec.ValidationError / DecodeError for anything else.
decode_frame: Callable[[Union[str, bytes]], StreamFrame] = msgspec.json.Decoder(Frame, strict=False).decode


def _without_nulls(data: Any) -> Any:
    return {key: value for key, value in data.items() if value != ""} if isinstance(data, dict) else data


def from_builtins(data: Any, message_type: Type[T], what: str) -> T:
    """A decoded JSON object (a REST result) as ``message_type``, "" (GRVT's null) taken as absent; else
    GrvtMessageError. Frames only come here when ``decode_frame`` rejects them, so the extra pass is rare."""
    try:
        return msgspec.convert(_without_nulls(data), message_type, strict=False)
    except msgspec.ValidationError as error:
        raise GrvtMessageError(f"GRVT {what} is malformed: {error}") from None


def frame_from_builtins(data: Dict[str, Any]) -> StreamFrame:
    """A stream frame from a decoded JSON object, its feed's "" fields taken as absent too."""
    frame = dict(data, feed=_without_nulls(data.get("feed")))
    return from_builtins(frame, Frame, f"{data.get('stream')} frame")  # type: ignore[arg-type]  # a Union, not a type
