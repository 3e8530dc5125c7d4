"""What a GRVT order may be, and signed GRVT orders (the transports send them, see grvt_perpetual_order_transport)."""
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_web_utils as web_utils
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import GrvtInstrument, GrvtTimeInForce
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_signer import GrvtPerpetualOrderSigner
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.core.data_type.common import OrderType, PositionAction


class GrvtOrderArgumentError(ValueError):
    """buy/sell arguments that cannot make a GRVT order; the order fails before anything is sent."""


def checked_order_arguments(rules: Mapping[str, TradingRule], trading_pair: str, amount: Any, order_type: OrderType,
                            price: Any, position_action: Any,
                            supported_order_types: Sequence[OrderType]) -> Tuple[Decimal, Decimal]:
    """(amount, price) as Decimals when they can make a GRVT order; GrvtOrderArgumentError says why not."""
    rule = rules.get(trading_pair)
    if rule is None:
        raise GrvtOrderArgumentError(f"{trading_pair} is not a GRVT perpetual this connector trades "
                                     f"(known: {', '.join(sorted(rules)) or 'none yet'}).")
    if order_type not in supported_order_types:
        raise GrvtOrderArgumentError(f"GRVT does not support {order_type} orders.")
    if position_action not in (PositionAction.OPEN, PositionAction.CLOSE):
        raise GrvtOrderArgumentError(f"A GRVT order needs position_action OPEN or CLOSE, got {position_action}.")
    amount = _finite_decimal(amount, "amount")
    if amount <= 0:
        raise GrvtOrderArgumentError(f"The order amount must be positive, got {amount}.")
    if amount > rule.max_order_size:
        raise GrvtOrderArgumentError(f"The order amount {amount} exceeds GRVT's maximum {rule.max_order_size} "
                                     f"for {trading_pair}.")
    if order_type is OrderType.MARKET and (price is None or (isinstance(price, (Decimal, float)) and price != price)):
        return amount, Decimal("NaN")
    price = _finite_decimal(price, "price")
    if price <= 0:
        raise GrvtOrderArgumentError(f"The order price must be positive, got {price}.")
    return amount, price


def _finite_decimal(value: Any, name: str) -> Decimal:
    try:  # a bool is no number: Decimal("True") is invalid
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise GrvtOrderArgumentError(f"The order {name} must be a number, got {value!r}.") from None
    if not number.is_finite():
        raise GrvtOrderArgumentError(f"The order {name} must be a finite number, got {value!r}.")
    return number


def decimal_string(value: Decimal) -> str:
    """Plain decimal notation without exponent or trailing zeros ("1E-7" -> "0.0000001", "90000.0" -> "90000")."""
    return format(value.normalize(), "f")


class GrvtSignedOrderFactory:
    """Signed GRVT order objects. The signature expiration is the order's lifetime on GRVT; it defaults to minutes,
    not days, so a quote left behind by a crashed bot dies on its own."""

    def __init__(self, signer: GrvtPerpetualOrderSigner, sub_account_id: str, expiry_seconds: float):
        self._signer = signer
        self._sub_account_id = str(sub_account_id)
        self.expiry_seconds = float(expiry_seconds)  # web_utils.expiration_ns refuses a lifetime that is not positive

    def build(
        self,
        client_order_id: str,
        instrument: GrvtInstrument,
        is_buy: bool,
        amount: Decimal,
        order_type: OrderType,
        price: Optional[Decimal],
        reduce_only: bool,
        expiry_seconds: Optional[float] = None,
    ) -> Dict[str, Any]:
        is_market = order_type is OrderType.MARKET  # else LIMIT or LIMIT_MAKER: checked_order_arguments ran first
        if not is_market and (price is None or not price.is_finite() or price <= 0):
            raise ValueError(f"A {order_type.name} order needs a positive price, got {price}.")
        time_in_force = GrvtTimeInForce.IMMEDIATE_OR_CANCEL if is_market else GrvtTimeInForce.GOOD_TILL_TIME
        post_only = order_type is OrderType.LIMIT_MAKER
        size_text = decimal_string(amount)
        price_text = "0" if is_market or price is None else decimal_string(price)
        expiration = web_utils.expiration_ns(expiry_seconds if expiry_seconds is not None else self.expiry_seconds)
        flags = dict(sub_account_id=self._sub_account_id, is_market=is_market, time_in_force=time_in_force,
                     post_only=post_only, reduce_only=reduce_only)  # signed, and sent as they are
        signature = self._signer.sign_order(
            **flags, instrument_hash=instrument.instrument_hash, size=size_text, price=price_text, is_buy=is_buy,
            base_decimals=instrument.base_decimals, nonce=self._signer.new_nonce(), expiration_ns=expiration)
        return {
            **flags,
            "legs": [{
                "instrument": instrument.instrument,
                "size": size_text,
                "limit_price": price_text,
                "is_buying_asset": is_buy,
            }],
            "signature": signature,
            "metadata": {"client_order_id": str(client_order_id)},
        }
