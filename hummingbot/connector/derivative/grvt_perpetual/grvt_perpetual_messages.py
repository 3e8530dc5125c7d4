"""Typed parsing of GRVT trading payloads (full encoding).

GRVT sends decimals as strings and most integers as strings, but some endpoints emit JSON numbers for the same
fields; every converter here accepts both. Optional fields may be absent. A payload that lacks a required field or
carries a value that cannot be converted raises ``GrvtMessageError`` naming the message kind and the field, so a
caller can log it and move on without losing the rest of the stream.
"""
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, List, Mapping, Optional, Tuple

_ZERO = Decimal("0")
_NS_PER_SECOND = 1e9
_EMPTY_ORDER_IDS = frozenset({"", "0x", "0x0", "0x00", "0"})

TERMINAL_ORDER_STATUSES = frozenset({"FILLED", "REJECTED", "CANCELLED"})


class GrvtMessageError(ValueError):
    """A GRVT payload could not be parsed (missing field, wrong type, not an object)."""


def _mapping(data: Any, kind: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise GrvtMessageError(f"GRVT {kind} must be a JSON object, got {type(data).__name__}")
    return data


def _required(data: Mapping[str, Any], key: str, kind: str) -> Any:
    value = data.get(key)
    if value is None:
        raise GrvtMessageError(f"GRVT {kind} is missing the field '{key}'")
    return value


def to_decimal(value: Any, kind: str, field: str) -> Decimal:
    if type(value) is str:
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            return number
    elif isinstance(value, bool):
        pass
    elif isinstance(value, (int, Decimal)):
        return Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
        if number.is_finite():
            return number
    raise GrvtMessageError(f"GRVT {kind} field '{field}' is not a number: {value!r}")


def to_int(value: Any, kind: str, field: str) -> int:
    if type(value) is int:
        return value
    if type(value) is str:
        try:
            return int(value)
        except ValueError:
            pass
    elif isinstance(value, float) and value.is_integer():
        return int(value)
    raise GrvtMessageError(f"GRVT {kind} field '{field}' is not an integer: {value!r}")


def to_bool(value: Any, kind: str, field: str) -> bool:
    if type(value) is bool:
        return value
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0", ""):
            return False
    elif isinstance(value, int):
        return value != 0
    raise GrvtMessageError(f"GRVT {kind} field '{field}' is not a boolean: {value!r}")


def _str_field(data: Mapping[str, Any], key: str, kind: str) -> str:
    return str(_required(data, key, kind))


def _int_field(data: Mapping[str, Any], key: str, kind: str) -> int:
    return to_int(_required(data, key, kind), kind, key)


def _decimal_field(data: Mapping[str, Any], key: str, kind: str) -> Decimal:
    return to_decimal(_required(data, key, kind), kind, key)


def _optional_decimal(data: Mapping[str, Any], key: str, kind: str, default: Optional[Decimal] = None):
    value = data.get(key)
    if value is None or value == "":
        return default
    return to_decimal(value, kind, key)


def _optional_int(data: Mapping[str, Any], key: str, kind: str, default: Optional[int] = None):
    value = data.get(key)
    if value is None or value == "":
        return default
    return to_int(value, kind, key)


def _optional_bool(data: Mapping[str, Any], key: str, kind: str, default: bool = False) -> bool:
    value = data.get(key)
    if value is None:
        return default
    return to_bool(value, kind, key)


def _optional_str(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = data.get(key)
    return default if value is None else str(value)


def _first_leg_decimal(data: Mapping[str, Any], key: str, kind: str) -> Decimal:
    # State arrays are aligned with the order legs; order-book orders have exactly one leg.
    values = data.get(key)
    if values is None:
        return _ZERO
    if isinstance(values, (list, tuple)):
        if len(values) == 0:
            return _ZERO
        return to_decimal(values[0], kind, key)
    return to_decimal(values, kind, key)


def ns_to_seconds(nanoseconds: int) -> float:
    return nanoseconds / _NS_PER_SECOND


def is_real_order_id(order_id: Optional[str]) -> bool:
    """GRVT answers a create with order_id "0x00"; only the streams and order queries carry the real id."""
    return order_id is not None and order_id.lower() not in _EMPTY_ORDER_IDS


@dataclass(slots=True)
class GrvtOrderState:
    status: str
    reject_reason: str
    book_size: Decimal
    traded_size: Decimal
    avg_fill_price: Decimal
    update_time_ns: int

    KIND = "order state"

    @classmethod
    def from_json(cls, data: Any) -> "GrvtOrderState":
        data = _mapping(data, cls.KIND)
        return cls(
            status=_str_field(data, "status", cls.KIND),
            reject_reason=_optional_str(data, "reject_reason", "UNSPECIFIED"),
            book_size=_first_leg_decimal(data, "book_size", cls.KIND),
            traded_size=_first_leg_decimal(data, "traded_size", cls.KIND),
            avg_fill_price=_first_leg_decimal(data, "avg_fill_price", cls.KIND),
            update_time_ns=_optional_int(data, "update_time", cls.KIND, 0),
        )

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_ORDER_STATUSES

    @property
    def update_timestamp(self) -> float:
        return ns_to_seconds(self.update_time_ns)


@dataclass(slots=True)
class GrvtOrder:
    order_id: str
    client_order_id: str
    sub_account_id: str
    instrument: str
    size: Decimal
    limit_price: Decimal
    is_buying_asset: bool
    is_market: bool
    time_in_force: str
    post_only: bool
    reduce_only: bool
    create_time_ns: int
    state: Optional[GrvtOrderState]

    KIND = "order"

    @classmethod
    def from_json(cls, data: Any) -> "GrvtOrder":
        data = _mapping(data, cls.KIND)
        legs = _required(data, "legs", cls.KIND)
        if not isinstance(legs, list) or len(legs) == 0:
            raise GrvtMessageError(f"GRVT {cls.KIND} must carry at least one leg")
        leg = _mapping(legs[0], "order leg")
        metadata = data.get("metadata") or {}
        metadata = _mapping(metadata, "order metadata")
        state = data.get("state")
        return cls(
            order_id=_optional_str(data, "order_id", "0x00"),
            client_order_id=_optional_str(metadata, "client_order_id"),
            sub_account_id=_optional_str(data, "sub_account_id"),
            instrument=_str_field(leg, "instrument", "order leg"),
            size=_decimal_field(leg, "size", "order leg"),
            limit_price=_optional_decimal(leg, "limit_price", "order leg", _ZERO),
            is_buying_asset=_optional_bool(leg, "is_buying_asset", "order leg"),
            is_market=_optional_bool(data, "is_market", cls.KIND),
            time_in_force=_optional_str(data, "time_in_force", "GOOD_TILL_TIME"),
            post_only=_optional_bool(data, "post_only", cls.KIND),
            reduce_only=_optional_bool(data, "reduce_only", cls.KIND),
            create_time_ns=_optional_int(metadata, "create_time", "order metadata", 0),
            state=None if state is None else GrvtOrderState.from_json(state),
        )

    @property
    def has_exchange_id(self) -> bool:
        return is_real_order_id(self.order_id)


@dataclass(slots=True)
class GrvtOrderStateFeed:
    """The v1.state payload: a lighter order update carrying both ids and the state."""
    order_id: str
    client_order_id: str
    state: GrvtOrderState

    KIND = "order state feed"

    @classmethod
    def from_json(cls, data: Any) -> "GrvtOrderStateFeed":
        data = _mapping(data, cls.KIND)
        return cls(
            order_id=_optional_str(data, "order_id", "0x00"),
            client_order_id=_optional_str(data, "client_order_id"),
            state=GrvtOrderState.from_json(_required(data, "order_state", cls.KIND)),
        )


@dataclass(slots=True)
class GrvtFill:
    event_time_ns: int
    sub_account_id: str
    instrument: str
    is_buyer: bool
    is_taker: bool
    size: Decimal
    price: Decimal
    fee: Decimal
    fee_rate: Decimal
    fee_currency: str
    realized_pnl: Decimal
    trade_id: str
    order_id: str
    client_order_id: str
    is_liquidation: bool

    KIND = "fill"

    @classmethod
    def from_json(cls, data: Any) -> "GrvtFill":
        data = _mapping(data, cls.KIND)
        return cls(
            event_time_ns=_int_field(data, "event_time", cls.KIND),
            sub_account_id=_optional_str(data, "sub_account_id"),
            instrument=_str_field(data, "instrument", cls.KIND),
            is_buyer=_optional_bool(data, "is_buyer", cls.KIND),
            is_taker=_optional_bool(data, "is_taker", cls.KIND, True),
            size=_decimal_field(data, "size", cls.KIND),
            price=_decimal_field(data, "price", cls.KIND),
            fee=_optional_decimal(data, "fee", cls.KIND, _ZERO),
            fee_rate=_optional_decimal(data, "fee_rate", cls.KIND, _ZERO),
            fee_currency=_optional_str(data, "fee_currency"),
            realized_pnl=_optional_decimal(data, "realized_pnl", cls.KIND, _ZERO),
            trade_id=_str_field(data, "trade_id", cls.KIND),
            order_id=_optional_str(data, "order_id", "0x00"),
            client_order_id=_optional_str(data, "client_order_id"),
            is_liquidation=_optional_bool(data, "is_liquidation", cls.KIND),
        )

    @property
    def timestamp(self) -> float:
        return ns_to_seconds(self.event_time_ns)


@dataclass(slots=True)
class GrvtPosition:
    event_time_ns: int
    instrument: str
    size: Decimal
    entry_price: Decimal
    mark_price: Decimal
    unrealized_pnl: Decimal
    realized_pnl: Decimal
    leverage: Optional[Decimal]
    margin_type: str

    KIND = "position"

    @classmethod
    def from_json(cls, data: Any) -> "GrvtPosition":
        data = _mapping(data, cls.KIND)
        return cls(
            event_time_ns=_optional_int(data, "event_time", cls.KIND, 0),
            instrument=_str_field(data, "instrument", cls.KIND),
            size=_decimal_field(data, "size", cls.KIND),
            entry_price=_optional_decimal(data, "entry_price", cls.KIND, _ZERO),
            mark_price=_optional_decimal(data, "mark_price", cls.KIND, _ZERO),
            unrealized_pnl=_optional_decimal(data, "unrealized_pnl", cls.KIND, _ZERO),
            realized_pnl=_optional_decimal(data, "realized_pnl", cls.KIND, _ZERO),
            leverage=_optional_decimal(data, "leverage", cls.KIND),
            margin_type=_optional_str(data, "margin_type", "CROSS").upper(),
        )


@dataclass(slots=True)
class GrvtSpotBalance:
    currency: str
    balance: Decimal
    index_price: Optional[Decimal]
    available_to_transfer: Optional[Decimal]

    KIND = "spot balance"

    @classmethod
    def from_json(cls, data: Any) -> "GrvtSpotBalance":
        data = _mapping(data, cls.KIND)
        return cls(
            currency=_str_field(data, "currency", cls.KIND),
            balance=_decimal_field(data, "balance", cls.KIND),
            index_price=_optional_decimal(data, "index_price", cls.KIND),
            available_to_transfer=_optional_decimal(data, "available_to_transfer", cls.KIND),
        )


@dataclass(slots=True)
class GrvtSubAccount:
    event_time_ns: int
    sub_account_id: str
    settle_currency: str
    total_equity: Decimal
    available_balance: Decimal
    unrealized_pnl: Decimal
    spot_balances: Tuple[GrvtSpotBalance, ...]
    positions: Tuple[GrvtPosition, ...]

    KIND = "account summary"

    @classmethod
    def from_json(cls, data: Any) -> "GrvtSubAccount":
        data = _mapping(data, cls.KIND)
        balances = data.get("spot_balances") or []
        positions = data.get("positions") or []
        if not isinstance(balances, list) or not isinstance(positions, list):
            raise GrvtMessageError(f"GRVT {cls.KIND} spot_balances and positions must be lists")
        return cls(
            event_time_ns=_optional_int(data, "event_time", cls.KIND, 0),
            sub_account_id=_optional_str(data, "sub_account_id"),
            settle_currency=_optional_str(data, "settle_currency", "USDT"),
            total_equity=_optional_decimal(data, "total_equity", cls.KIND, _ZERO),
            available_balance=_decimal_field(data, "available_balance", cls.KIND),
            unrealized_pnl=_optional_decimal(data, "unrealized_pnl", cls.KIND, _ZERO),
            spot_balances=tuple(GrvtSpotBalance.from_json(item) for item in balances),
            positions=tuple(GrvtPosition.from_json(item) for item in positions),
        )


@dataclass(slots=True)
class GrvtFundingPayment:
    event_time_ns: int
    instrument: str
    currency: str
    amount: Decimal
    tx_id: str

    KIND = "funding payment"

    @classmethod
    def from_json(cls, data: Any) -> "GrvtFundingPayment":
        data = _mapping(data, cls.KIND)
        return cls(
            event_time_ns=_int_field(data, "event_time", cls.KIND),
            instrument=_str_field(data, "instrument", cls.KIND),
            currency=_optional_str(data, "currency", "USDT"),
            amount=_decimal_field(data, "amount", cls.KIND),
            tx_id=_optional_str(data, "tx_id"),
        )

    @property
    def timestamp(self) -> float:
        return ns_to_seconds(self.event_time_ns)


@dataclass(slots=True)
class GrvtInstrument:
    instrument: str
    instrument_hash: str
    base: str
    quote: str
    kind: str
    settlement_period: str
    base_decimals: int
    quote_decimals: int
    tick_size: Decimal
    min_size: Decimal
    min_notional: Optional[Decimal]
    max_position_size: Optional[Decimal]
    funding_interval_hours: Optional[int]

    KIND = "instrument"

    @classmethod
    def from_json(cls, data: Any) -> "GrvtInstrument":
        data = _mapping(data, cls.KIND)
        return cls(
            instrument=_str_field(data, "instrument", cls.KIND),
            instrument_hash=_optional_str(data, "instrument_hash"),
            base=_str_field(data, "base", cls.KIND),
            quote=_str_field(data, "quote", cls.KIND),
            kind=_optional_str(data, "kind"),
            settlement_period=_optional_str(data, "settlement_period"),
            base_decimals=_optional_int(data, "base_decimals", cls.KIND, 9),
            quote_decimals=_optional_int(data, "quote_decimals", cls.KIND, 6),
            tick_size=_decimal_field(data, "tick_size", cls.KIND),
            min_size=_decimal_field(data, "min_size", cls.KIND),
            min_notional=_optional_decimal(data, "min_notional", cls.KIND),
            max_position_size=_optional_decimal(data, "max_position_size", cls.KIND),
            funding_interval_hours=_optional_int(data, "funding_interval_hours", cls.KIND),
        )

    @property
    def is_perpetual(self) -> bool:
        return self.kind == "PERPETUAL"


@dataclass(slots=True)
class GrvtCancelStatus:
    """The v1.cancel payload: notices about cancel-by-client-id TTLs (EXPIRED / DROPPED_DUPLICATE)."""
    sub_account_id: str
    client_order_id: str
    order_id: str
    reason: str
    cancel_status: str
    update_time_ns: int

    KIND = "cancel status"

    @classmethod
    def from_json(cls, data: Any) -> "GrvtCancelStatus":
        data = _mapping(data, cls.KIND)
        return cls(
            sub_account_id=_optional_str(data, "sub_account_id"),
            client_order_id=_optional_str(data, "client_order_id"),
            order_id=_optional_str(data, "order_id", "0x00"),
            reason=_optional_str(data, "reason", "UNSPECIFIED"),
            cancel_status=_str_field(data, "cancel_status", cls.KIND),
            update_time_ns=_optional_int(data, "update_time", cls.KIND, 0),
        )


@dataclass(slots=True)
class GrvtInitialLeverage:
    instrument: str
    leverage: Decimal
    min_leverage: Optional[Decimal]
    max_leverage: Optional[Decimal]
    margin_type: str

    KIND = "initial leverage"

    @classmethod
    def from_json(cls, data: Any) -> "GrvtInitialLeverage":
        data = _mapping(data, cls.KIND)
        return cls(
            instrument=_str_field(data, "instrument", cls.KIND),
            leverage=_decimal_field(data, "leverage", cls.KIND),
            min_leverage=_optional_decimal(data, "min_leverage", cls.KIND),
            max_leverage=_optional_decimal(data, "max_leverage", cls.KIND),
            margin_type=_optional_str(data, "margin_type", "CROSS").upper(),
        )


@dataclass(slots=True)
class GrvtStreamMessage:
    """A feed message envelope; ``feed`` stays a raw mapping until the stream-specific parser reads it."""
    stream: str
    selector: str
    sequence_number: int
    prev_sequence_number: int
    feed: Mapping[str, Any]

    KIND = "stream message"

    @classmethod
    def from_json(cls, data: Any) -> "GrvtStreamMessage":
        data = _mapping(data, cls.KIND)
        return cls(
            stream=_str_field(data, "stream", cls.KIND),
            selector=_optional_str(data, "selector"),
            sequence_number=_optional_int(data, "sequence_number", cls.KIND, 0),
            prev_sequence_number=_optional_int(data, "prev_sequence_number", cls.KIND, 0),
            feed=_mapping(_required(data, "feed", cls.KIND), "stream feed"),
        )


@dataclass(slots=True)
class GrvtPage:
    """One page of a cursor-paginated history endpoint."""
    items: List[Any]
    next_cursor: str

    KIND = "paginated response"

    @classmethod
    def from_json(cls, data: Any) -> "GrvtPage":
        data = _mapping(data, cls.KIND)
        return cls(items=result_list(data, cls.KIND), next_cursor=_optional_str(data, "next"))


def result_list(response: Any, kind: str, key: str = "result") -> List[Any]:
    response = _mapping(response, kind)
    items = response.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise GrvtMessageError(f"GRVT {kind} '{key}' must be a list")
    return items


def result_object(response: Any, kind: str) -> Mapping[str, Any]:
    response = _mapping(response, kind)
    return _mapping(_required(response, "result", kind), kind)


def ack_of(response: Any, kind: str) -> bool:
    """Reads ``{"result": {"ack": true}}`` (the docs also show the string "true")."""
    result = result_object(response, kind)
    return to_bool(result.get("ack", False), kind, "ack")
