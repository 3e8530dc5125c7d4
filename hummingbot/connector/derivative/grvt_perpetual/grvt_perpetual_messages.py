"""GRVT trading messages the connector reads (full encoding) as msgspec types. Only the fields something reads are
declared: msgspec skips the others, so a field is added when code starts reading it.
"""
import enum
import typing
from decimal import Decimal
from typing import Annotated, Any, Dict, Generic, List, Optional, Self, Tuple, Type, TypeGuard, TypeVar, Union

import msgspec

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_web_utils as web_utils
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_constants import PERPETUAL_KIND

T = TypeVar("T")
_ZERO = Decimal("0")
_EMPTY_ORDER_IDS = frozenset({"", "0x", "0x0", "0x00", "0"})


class GrvtMessageError(ValueError):
    """A GRVT payload could not be decoded (not JSON, missing field, wrong type)."""


class _TolerantEnum(str, enum.Enum):
    """A GRVT enum; a name this connector does not know decodes to UNKNOWN instead of failing the message."""

    @classmethod
    def _missing_(cls, value: object) -> Self:
        return cls.UNKNOWN  # type: ignore[attr-defined]


class GrvtOrderStatus(_TolerantEnum):
    PENDING = "PENDING"
    OPEN = "OPEN"
    FILLED = "FILLED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"


class GrvtTimeInForce(_TolerantEnum):
    GOOD_TILL_TIME = "GOOD_TILL_TIME"
    ALL_OR_NONE = "ALL_OR_NONE"
    IMMEDIATE_OR_CANCEL = "IMMEDIATE_OR_CANCEL"
    FILL_OR_KILL = "FILL_OR_KILL"
    RETAIL_PRICE_IMPROVEMENT = "RETAIL_PRICE_IMPROVEMENT"
    UNKNOWN = "UNKNOWN"


class GrvtRejectReason(_TolerantEnum):
    """The reasons users meet most; GRVT has ~50 (the wire carries the name, kept in `reject_reason`)."""
    UNSPECIFIED = "UNSPECIFIED"
    CLIENT_CANCEL = "CLIENT_CANCEL"
    CLIENT_BULK_CANCEL = "CLIENT_BULK_CANCEL"
    CLIENT_SESSION_END = "CLIENT_SESSION_END"
    EXPIRED = "EXPIRED"
    FAIL_POST_ONLY = "FAIL_POST_ONLY"
    FAIL_REDUCE_ONLY = "FAIL_REDUCE_ONLY"
    IOC_CANCEL = "IOC_CANCEL"
    FOK_CANCEL = "FOK_CANCEL"
    SELF_TRADE_PROTECTION = "SELF_TRADE_PROTECTION"
    OVERLAPPING_CLIENT_ORDER_ID = "OVERLAPPING_CLIENT_ORDER_ID"
    CLIENT_CANCEL_ON_DISCONNECT_TRIGGERED = "CLIENT_CANCEL_ON_DISCONNECT_TRIGGERED"
    CLIENT_REPLACE = "CLIENT_REPLACE"
    UNKNOWN = "UNKNOWN"


class GrvtCancelStatusKind(_TolerantEnum):
    EXPIRED = "EXPIRED"
    DROPPED_DUPLICATE = "DROPPED_DUPLICATE"
    UNKNOWN = "UNKNOWN"


def is_real_order_id(order_id: Optional[str]) -> TypeGuard[str]:
    """GRVT answers a create with order_id "0x00"; only the streams and order queries carry the real id."""
    return order_id is not None and order_id.lower() not in _EMPTY_ORDER_IDS


class GrvtOrderState(msgspec.Struct, kw_only=True):
    status: GrvtOrderStatus
    reject_reason: str = "UNSPECIFIED"
    traded_size: List[Decimal] = []  # aligned with the order legs; order-book orders have one
    update_time: int = 0

    @property
    def reason(self) -> GrvtRejectReason:
        return GrvtRejectReason(self.reject_reason)

    @property
    def traded(self) -> Decimal:
        return self.traded_size[0] if self.traded_size else _ZERO

    @property
    def update_timestamp(self) -> float:
        return web_utils.ns_to_seconds(self.update_time)


class GrvtOrderLeg(msgspec.Struct, kw_only=True):
    instrument: str
    size: Decimal
    limit_price: Optional[Decimal] = _ZERO  # GRVT: "null/0" for a market order; null reads as 0
    is_buying_asset: bool = False

    def __post_init__(self) -> None:
        if self.limit_price is None:
            self.limit_price = _ZERO


class GrvtOrderMetadata(msgspec.Struct, kw_only=True):
    client_order_id: str = ""


class GrvtOrder(msgspec.Struct, kw_only=True):
    order_id: str = "0x00"
    time_in_force: GrvtTimeInForce = GrvtTimeInForce.GOOD_TILL_TIME
    legs: Annotated[List[GrvtOrderLeg], msgspec.Meta(min_length=1)]
    metadata: GrvtOrderMetadata = msgspec.field(default_factory=GrvtOrderMetadata)
    state: Optional[GrvtOrderState] = None

    @property
    def client_order_id(self) -> str:
        return self.metadata.client_order_id

    @property
    def leg(self) -> GrvtOrderLeg:
        return self.legs[0]

    @property
    def instrument(self) -> str:
        return self.leg.instrument

    @property
    def has_exchange_id(self) -> bool:
        return is_real_order_id(self.order_id)


class GrvtOrderRecord(GrvtOrder, kw_only=True):
    """An order as GRVT's order query answers it: with its state (a create's answer may lack it)."""
    state: GrvtOrderState


class GrvtOrderStateFeed(msgspec.Struct, kw_only=True):
    """The v1.state payload: both ids and the state."""
    order_id: str = "0x00"
    client_order_id: str = ""
    order_state: GrvtOrderState


class GrvtFill(msgspec.Struct, kw_only=True):
    event_time: int
    instrument: str
    is_taker: bool = True
    size: Decimal
    price: Decimal
    fee: Decimal = _ZERO  # quote units, negative = rebate
    fee_currency: str = ""
    trade_id: str
    order_id: str = "0x00"
    client_order_id: str = ""

    @property
    def timestamp(self) -> float:
        return web_utils.ns_to_seconds(self.event_time)


class GrvtPosition(msgspec.Struct, kw_only=True):
    instrument: str
    size: Decimal  # negative = short
    entry_price: Decimal
    unrealized_pnl: Decimal
    leverage: Optional[Decimal] = None
    cumulative_realized_funding_payment: Decimal = _ZERO  # positive = paid


class GrvtSpotBalance(msgspec.Struct, kw_only=True):
    currency: str
    balance: Decimal
    available_to_transfer: Optional[Decimal] = None


class GrvtSubAccount(msgspec.Struct, kw_only=True):
    settle_currency: str = "USDT"
    available_balance: Decimal
    spot_balances: List[GrvtSpotBalance]  # positions come from their own route and stream

    def balances(self) -> Tuple[Dict[str, Decimal], Dict[str, Decimal]]:
        """Total and available amount per currency; the settlement currency's available amount is the account's."""
        totals = {balance.currency: balance.balance for balance in self.spot_balances}
        available = {balance.currency: balance.balance if balance.available_to_transfer is None
                     else balance.available_to_transfer for balance in self.spot_balances}
        if self.settle_currency in totals:
            available[self.settle_currency] = self.available_balance
        return totals, available


class GrvtFundingPayment(msgspec.Struct, kw_only=True):
    event_time: int
    instrument: str
    amount: Decimal  # the spec: positive = paid (a setting of the connector, the live sign is unverified)

    @property
    def timestamp(self) -> float:
        return web_utils.ns_to_seconds(self.event_time)


class GrvtFundingRate(msgspec.Struct, kw_only=True):
    funding_rate: Decimal  # percent


class GrvtInstrument(msgspec.Struct, kw_only=True):
    instrument: str
    instrument_hash: str = ""
    base: str
    quote: str
    kind: str = ""
    settlement_period: str = ""
    base_decimals: int = 9
    tick_size: Decimal
    min_size: Decimal
    min_notional: Optional[Decimal] = None
    max_position_size: Optional[Decimal] = None
    funding_interval_hours: Optional[int] = None

    @property
    def is_perpetual(self) -> bool:
        return self.kind == PERPETUAL_KIND


class GrvtCancelStatus(msgspec.Struct, kw_only=True):
    """The v1.cancel payload: notices about cancel-by-client-id time-to-live windows."""
    client_order_id: str = ""
    order_id: str = "0x00"
    reason: str = "UNSPECIFIED"
    cancel_status: GrvtCancelStatusKind


class GrvtInitialLeverage(msgspec.Struct, kw_only=True):
    instrument: str
    leverage: Decimal


class GrvtAck(msgspec.Struct, kw_only=True):
    ack: bool


class GrvtResult(msgspec.Struct, Generic[T], kw_only=True):
    """`{"result": T}`, the envelope of every GRVT reply but the paginated and the leverage ones; `{}` is an error."""
    result: T


class GrvtPage(msgspec.Struct, Generic[T], kw_only=True):
    result: List[T]
    next: str = ""


class GrvtLeverageList(msgspec.Struct, kw_only=True):
    results: List[msgspec.Raw]  # read one by one: an unreadable entry never hides the others


class GrvtSuccess(msgspec.Struct, kw_only=True):
    success: bool


class GrvtBulkOrdersReply(msgspec.Struct, kw_only=True):
    orders: List[GrvtOrder] = []
    cancel_acks: List[GrvtAck] = []


class GrvtStreamEnvelope(msgspec.Struct, kw_only=True):
    """A private feed message; the feed is read by the stream's own type."""
    stream: str
    feed: Any


def load(data: Any, message_type: Type[T]) -> T:
    """JSON text or bytes, or an already parsed payload, as `message_type`; errors name the message and field path."""
    # non-strict: GRVT sends decimals and 64-bit integers as strings, some endpoints as JSON numbers
    try:
        if isinstance(data, (bytes, str, msgspec.Raw)):
            return msgspec.json.decode(data, type=message_type, strict=False)
        return msgspec.convert(data, type=message_type, strict=False)
    except msgspec.DecodeError as error:  # msgspec.ValidationError is a DecodeError
        name = getattr(message_type, "__name__", str(message_type))
        raise GrvtMessageError(f"GRVT {name} could not be read: {error}") from None


NO_RESULT = msgspec.Raw(b"null")


class _Wrapped(msgspec.Struct):
    result: msgspec.Raw = NO_RESULT


def decode_reply(data: Union[bytes, str, msgspec.Raw], reply_type: Type[T]) -> T:
    """
    Decodes a REST body or a JSON-RPC `result` into `reply_type`. JSON-RPC replies carry the REST body, sometimes
    wrapped once more in `result` and sometimes not (GRVT's live shape is unverified): both decode the same.
    """
    fields = getattr(typing.get_origin(reply_type) or reply_type, "__struct_fields__", None)
    if fields is None:
        return load(data, reply_type)  # plain JSON (Any): as it came
    if "result" not in fields:
        wrapped = load(data, _Wrapped).result
        return load(wrapped if wrapped != NO_RESULT else data, reply_type)
    try:
        return load(data, reply_type)
    except GrvtMessageError as error:
        try:
            inner: Union[bytes, msgspec.Raw] = load(data, _Wrapped).result
            if inner == NO_RESULT:
                inner = b'{"result":' + (data.encode() if isinstance(data, str) else bytes(data)) + b"}"
            return load(inner, reply_type)
        except GrvtMessageError:
            raise error from None
