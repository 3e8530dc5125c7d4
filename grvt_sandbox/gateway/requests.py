"""Typed reads of request bodies; anything malformed becomes GRVT error 1003 (or the field's own code)."""
from decimal import Decimal
from typing import Any, Callable, List, Optional, Tuple

from grvt_sandbox import enums
from grvt_sandbox.engine.exchange import Exchange
from grvt_sandbox.engine.validation import OrderRequest
from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.history import HistoryLog, page_limit
from grvt_sandbox.instruments import Instrument
from grvt_sandbox.numbers import PRICE_DECIMALS, parse_decimal, to_scaled
from grvt_sandbox.signing.eip712 import OrderSigningFields

UINT64_MAX = 2 ** 64 - 1
UINT32_MAX = 2 ** 32 - 1
EMPTY_ORDER_IDS = (None, "", "0x00", "0x0", "0")


def require_dict(value: Any, what: str = "body") -> dict:
    if not isinstance(value, dict):
        raise GrvtApiError(1003, f"{what} must be a JSON object")
    return value


def optional_bool(body: dict, key: str) -> bool:
    value = body.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise GrvtApiError(1003, f"{key} must be a boolean")
    return value


def optional_uint(body: dict, key: str, code: int = 1003, maximum: int = UINT64_MAX) -> Optional[int]:
    """A non-negative integer given as a JSON number or a decimal string; None when absent/empty."""
    value = body.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise GrvtApiError(code, f"{key} must be an integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isdecimal():
        number = int(value)
    else:
        raise GrvtApiError(code, f"{key} must be an integer")
    if number < 0 or number > maximum:
        raise GrvtApiError(code, f"{key} out of range")
    return number


def optional_time(body: dict, key: str) -> Optional[int]:
    value = body.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise GrvtApiError(1003, f"{key} must be a timestamp")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdecimal():
        return int(value)
    raise GrvtApiError(1003, f"{key} must be a timestamp")


def optional_str(body: dict, key: str) -> Optional[str]:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise GrvtApiError(1003, f"{key} must be a string")
    return value


def sub_account_id_of(body: dict) -> str:
    value = body.get("sub_account_id")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= UINT64_MAX:
        return str(value)
    if isinstance(value, str) and value.isdecimal() and int(value) <= UINT64_MAX:
        return str(int(value))
    raise GrvtApiError(3020 if value not in (None, "") else 1003, "sub_account_id must be a uint64")


def client_order_id_of(value: Any) -> str:
    if value is None or value == "":
        raise GrvtApiError(2011)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isdecimal():
        number = int(value)
    else:
        raise GrvtApiError(1003, "client_order_id must be a uint64")
    if number > UINT64_MAX:
        raise GrvtApiError(1003, "client_order_id must be a uint64")
    return str(number)


def order_reference(body: dict) -> Tuple[Optional[str], Optional[str]]:
    """(order_id, client_order_id) naming one order, "0x00" counting as no order id; error 3021 when neither."""
    order_id = optional_str(body, "order_id")
    value = body.get("client_order_id")
    client_order_id = None if value is None or value == "" else client_order_id_of(value)
    if order_id in ("0x00", "0x0"):
        order_id = None
    if not order_id and not client_order_id:
        raise GrvtApiError(3021)
    return order_id, client_order_id


def history_page(log: HistoryLog, body: dict, encode: Callable[[Any], dict],
                 accept: Optional[Callable[[Any], bool]] = None) -> dict:
    """One page of a history route, read with the body's limit, cursor, start_time and end_time."""
    limit = page_limit(body.get("limit"))
    items, cursor = log.page(limit, optional_str(body, "cursor"), optional_time(body, "start_time"),
                             optional_time(body, "end_time"), accept)
    return {"result": [encode(item) for item in items], "next": cursor}


def string_list(body: dict, key: str) -> Optional[List[str]]:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise GrvtApiError(1003, f"{key} must be a list of strings")
    return value or None


def instrument_filter(body: dict) -> Callable[[Instrument], bool]:
    """kind/base/quote filters (arrays) as a predicate on instruments."""
    kinds, bases, quotes = string_list(body, "kind"), string_list(body, "base"), string_list(body, "quote")

    def accept(instrument: Instrument) -> bool:
        return ((kinds is None or "PERPETUAL" in kinds) and (bases is None or instrument.base in bases)
                and (quotes is None or instrument.quote in quotes))
    return accept


def _address_int(value: Any) -> int:
    if value in (None, "", "0x00", "0x0", "0x"):
        return 0
    if not isinstance(value, str) or not value.startswith("0x"):
        raise GrvtApiError(1003, "builder must be an address")
    try:
        return int(value, 16)
    except ValueError:
        raise GrvtApiError(1003, "builder must be an address")


def parse_order(order: Any, exchange: Exchange) -> Tuple[OrderRequest, OrderSigningFields, dict]:
    """An `Order` object of create_order / bulk_orders -> engine request, the struct that was signed and its
    signature."""
    order = require_dict(order, "order")
    if order.get("order_id") not in EMPTY_ORDER_IDS:
        raise GrvtApiError(2010)
    state = order.get("state")
    if state:
        raise GrvtApiError(2050)
    sub_account_id = sub_account_id_of(order)
    legs = order.get("legs")
    if not isinstance(legs, list):
        raise GrvtApiError(1003, "legs must be a list")
    if not legs:
        raise GrvtApiError(2040)
    if len(legs) > 1:
        raise GrvtApiError(2042)
    leg = require_dict(legs[0], "leg")
    instrument = exchange.instruments.get(leg.get("instrument"))
    if instrument is None:
        raise GrvtApiError(2061)
    if not instrument.is_active:
        raise GrvtApiError(2060)
    size = parse_decimal(leg.get("size"))
    if size is None:
        raise GrvtApiError(1003, "size must be a decimal string")
    if size <= 0:
        raise GrvtApiError(2062)
    raw_price = leg.get("limit_price")
    price: Optional[Decimal] = None
    if raw_price not in (None, ""):
        price = parse_decimal(raw_price)
        if price is None:
            raise GrvtApiError(1003, "limit_price must be a decimal string")
    is_buy = leg.get("is_buying_asset")
    if not isinstance(is_buy, bool):
        raise GrvtApiError(1003, "is_buying_asset must be a boolean")
    is_market = optional_bool(order, "is_market")
    time_in_force = order.get("time_in_force")
    if not isinstance(time_in_force, str) or time_in_force not in enums.TIME_IN_FORCE_VALUES:
        raise GrvtApiError(1003, "time_in_force is invalid")
    post_only = optional_bool(order, "post_only")
    reduce_only = optional_bool(order, "reduce_only")
    metadata = require_dict(order.get("metadata") if order.get("metadata") is not None else {}, "metadata")
    client_order_id = client_order_id_of(metadata.get("client_order_id"))
    trigger = metadata.get("trigger")
    if isinstance(trigger, dict) and trigger.get("trigger_type") not in (None, "", "UNSPECIFIED"):
        raise GrvtApiError(2112, "trigger orders are not supported by the sandbox")
    broker = metadata.get("broker")
    broker = broker if isinstance(broker, str) else "UNSPECIFIED"
    if trigger is not None and not isinstance(trigger, dict):
        raise GrvtApiError(1003, "metadata.trigger must be an object")
    signature = require_dict(order.get("signature"), "signature")
    expiration = optional_time(signature, "expiration")
    if expiration is None:
        raise GrvtApiError(1003, "signature.expiration is required")
    nonce = optional_uint(signature, "nonce", maximum=UINT32_MAX)
    if nonce is None:
        raise GrvtApiError(1003, "signature.nonce is required")
    contract_size = to_scaled(size, instrument.base_decimals)
    limit_price = to_scaled(price, PRICE_DECIMALS) if price is not None else 0
    if contract_size > UINT64_MAX or limit_price > UINT64_MAX or limit_price < 0:
        raise GrvtApiError(1003, "size or price out of range")
    builder = _address_int(order.get("builder"))
    builder_fee = 0
    if builder:
        fee = parse_decimal(order.get("builder_fee") or "0")
        if fee is None or fee < 0:
            raise GrvtApiError(1003, "builder_fee must be a decimal string")
        builder_fee = int(fee * 10_000)
    fields = OrderSigningFields(
        sub_account_id=int(sub_account_id), is_market=is_market,
        time_in_force=enums.TIME_IN_FORCE_VALUES[time_in_force], post_only=post_only, reduce_only=reduce_only,
        legs=((instrument.asset_id, contract_size, limit_price, is_buy),), nonce=nonce, expiration=expiration,
        builder=builder, builder_fee=builder_fee)
    request = OrderRequest(
        sub_account_id=sub_account_id, instrument=instrument.name, is_buy=is_buy, size=size,
        price=price if price else None, is_market=is_market, time_in_force=time_in_force, post_only=post_only,
        reduce_only=reduce_only, client_order_id=client_order_id, expiration=expiration, signature=signature,
        broker=broker)
    return request, fields, signature
