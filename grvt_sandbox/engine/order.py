"""The engine's order: GRVT order fields plus its live state, sizes and prices as scaled integers."""
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from grvt_sandbox.enums import PENDING, TERMINAL_STATUSES, UNSPECIFIED
from grvt_sandbox.instruments import Instrument
from grvt_sandbox.numbers import PRICE_DECIMALS, scaled_to_decimal

if TYPE_CHECKING:  # the book module imports this one
    from grvt_sandbox.engine.book import PriceLevel


class Order:
    """One single-leg orderbook order. `size`/`remaining`/`traded` are in 10^-base_decimals units, `price` in 1e-9."""

    __slots__ = (
        "order_id", "sub_account_id", "instrument", "is_buy", "is_market", "time_in_force", "post_only",
        "reduce_only", "size", "price", "remaining", "traded", "traded_notional", "status", "reject_reason",
        "client_order_id", "create_time", "update_time", "expiration", "signature", "broker", "builder",
        "builder_fee", "level", "is_internal", "cancel_requested", "leg_size_text", "leg_price_text", "signer",
    )

    def __init__(
        self,
        order_id: str,
        sub_account_id: str,
        instrument: Instrument,
        is_buy: bool,
        size: int,
        price: int,
        time_in_force: str,
        client_order_id: str,
        create_time: int,
        expiration: int,
        is_market: bool = False,
        post_only: bool = False,
        reduce_only: bool = False,
        signature: Optional[dict] = None,
        is_internal: bool = False,
    ):
        self.order_id = order_id
        self.sub_account_id = sub_account_id
        self.instrument = instrument
        self.is_buy = is_buy
        self.is_market = is_market
        self.time_in_force = time_in_force
        self.post_only = post_only
        self.reduce_only = reduce_only
        self.size = size
        self.price = price
        self.remaining = size
        self.traded = 0
        self.traded_notional = 0  # sum of price_int * size_int over fills
        self.status = PENDING
        self.reject_reason = UNSPECIFIED
        self.client_order_id = client_order_id
        self.create_time = create_time
        self.update_time = create_time
        self.expiration = expiration
        self.signature = signature
        self.signer = signature.get("signer", "") if signature else ""
        self.broker = "UNSPECIFIED"
        self.builder = "0x00"
        self.builder_fee = "0.0"
        self.level: Optional["PriceLevel"] = None  # while resting
        self.is_internal = is_internal
        self.cancel_requested: Optional[str] = None  # the reject reason of a cancel that arrived while PENDING
        self.leg_size_text: Optional[str] = None  # the client's own strings, echoed back when present
        self.leg_price_text: Optional[str] = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def instrument_name(self) -> str:
        return self.instrument.name

    @property
    def size_decimal(self) -> Decimal:
        return scaled_to_decimal(self.size, self.instrument.base_decimals)

    @property
    def remaining_decimal(self) -> Decimal:
        return scaled_to_decimal(self.remaining, self.instrument.base_decimals)

    @property
    def traded_decimal(self) -> Decimal:
        return scaled_to_decimal(self.traded, self.instrument.base_decimals)

    @property
    def price_decimal(self) -> Optional[Decimal]:
        return None if self.is_market else scaled_to_decimal(self.price, PRICE_DECIMALS)

    def avg_fill_price_int(self) -> int:
        return self.traded_notional // self.traded if self.traded else 0

    def __repr__(self) -> str:
        side = "buy" if self.is_buy else "sell"
        return (f"Order({self.order_id} {self.sub_account_id} {self.instrument.name} {side} {self.size_decimal}"
                f"@{self.price_decimal} {self.status} traded={self.traded_decimal})")
