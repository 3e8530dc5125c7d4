"""Order rules checked synchronously at entry (GRVT answers these with an error envelope)."""
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from grvt_sandbox import enums
from grvt_sandbox.accounts.account import SubAccount
from grvt_sandbox.engine.order import Order
from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.instruments import Instrument
from grvt_sandbox.numbers import PRICE_DECIMALS, to_scaled

if TYPE_CHECKING:  # the exchange module imports this one
    from grvt_sandbox.engine.exchange import Exchange


@dataclass
class OrderRequest:
    """A parsed single-leg order, before it becomes an engine Order."""
    sub_account_id: str
    instrument: str
    is_buy: bool
    size: Decimal
    price: Optional[Decimal]
    is_market: bool
    time_in_force: str
    post_only: bool
    reduce_only: bool
    client_order_id: str
    expiration: int
    signature: Optional[dict]
    size_text: Optional[str] = None
    price_text: Optional[str] = None
    broker: str = "UNSPECIFIED"


def validate_order(exchange: "Exchange", account: SubAccount, instrument: Instrument, request: OrderRequest,
                   now: int) -> Order:
    if request.time_in_force not in enums.ORDERBOOK_TIME_IN_FORCE:
        raise GrvtApiError(2030)
    if request.post_only and request.time_in_force != enums.GOOD_TILL_TIME:
        raise GrvtApiError(2032)
    if request.is_market:
        if request.price is not None and request.price != 0:
            raise GrvtApiError(2020)
        price = 0
        reference_price = exchange.mark_price(instrument)
    else:
        if request.price is None or request.price == 0:
            raise GrvtApiError(2021)
        if request.price < 0 or request.price % instrument.tick_size:
            raise GrvtApiError(2064)
        price = to_scaled(request.price, PRICE_DECIMALS)
        reference_price = request.price
    size = request.size
    if size < instrument.min_size:
        raise GrvtApiError(2062)
    if size % instrument.min_size:
        raise GrvtApiError(2065)
    if not request.client_order_id or request.client_order_id == "0":
        raise GrvtApiError(2011)
    if request.client_order_id in account.active_client_ids:
        raise GrvtApiError(2012)
    if len(account.open_orders) >= account.max_open_orders:
        raise GrvtApiError(2090)
    position_size = account.position_size(instrument.name)
    if request.reduce_only:
        if position_size == 0:
            raise GrvtApiError(2400)
        if (position_size > 0) == request.is_buy:
            raise GrvtApiError(2401)
        if size > abs(position_size):
            raise GrvtApiError(2402)
        if size * reference_price < instrument.min_notional and size != abs(position_size):
            raise GrvtApiError(2067)
    elif size * reference_price < instrument.min_notional:
        raise GrvtApiError(2066)
    if account.check_margin and abs(position_size + (size if request.is_buy else -size)) > \
            instrument.max_position_size:
        raise GrvtApiError(2081)
    order = Order(
        order_id=exchange.new_order_id(), sub_account_id=account.sub_account_id, instrument=instrument,
        is_buy=request.is_buy, size=to_scaled(size, instrument.base_decimals), price=price,
        time_in_force=request.time_in_force, client_order_id=request.client_order_id, create_time=now,
        expiration=request.expiration, is_market=request.is_market, post_only=request.post_only,
        reduce_only=request.reduce_only, signature=request.signature)
    order.leg_size_text = request.size_text
    order.leg_price_text = request.price_text
    order.broker = request.broker
    if not request.reduce_only and not exchange.has_margin_for(account, order):
        raise GrvtApiError(2080)
    return order
