"""Conversions between the float world of the price process and the tick / lot grid of an instrument."""
import math
from decimal import Decimal
from typing import Optional

from grvt_sandbox.market.venue import InstrumentRules


def price_from_ticks(ticks: int, rules: InstrumentRules) -> Decimal:
    return ticks * rules.tick_size


def ticks_below(price: float, rules: InstrumentRules) -> int:
    return math.floor(price / float(rules.tick_size) + 1e-9)


def ticks_above(price: float, rules: InstrumentRules) -> int:
    return math.ceil(price / float(rules.tick_size) - 1e-9)


def lots_for(size: float, price: float, rules: InstrumentRules, max_size: Optional[Decimal] = None) -> Decimal:
    """`size` rounded down to the size grid and capped at `max_size`, then raised to the minimum size and to the
    minimum notional at `price` (the minimums win over the cap)."""
    min_size = float(rules.min_size)
    lots = math.floor(size / min_size + 1e-9)
    if max_size is not None:
        lots = min(lots, int(max_size / rules.min_size))
    lots = max(lots, 1)
    if rules.min_notional > 0 and price > 0:
        lots = max(lots, math.ceil(float(rules.min_notional) / (price * min_size) - 1e-9))
    return lots * rules.min_size


def index_price_decimal(price: float) -> Decimal:
    """Index prices are not on the tick grid; GRVT publishes them with nine decimals at most."""
    value = Decimal(f"{price:.9f}").normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value
