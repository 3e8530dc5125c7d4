"""Conversions between GRVT decimal strings and the scaled integers the engine matches with.

Prices are integers in units of 1e-9 (GRVT's PRICE_SCALE, also what gets signed); sizes are integers in units of
10^-base_decimals. Conversions truncate like the signer does.
"""
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

PRICE_DECIMALS = 9
PRICE_SCALE = 10 ** PRICE_DECIMALS
ZERO = Decimal(0)
_POW10 = [10 ** i for i in range(40)]


def parse_decimal(value: Any) -> Optional[Decimal]:
    """A finite Decimal from a JSON string/number, or None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, TypeError, ValueError):
        return None
    return result if result.is_finite() else None


def to_scaled(value: Decimal, decimals: int) -> int:
    """Truncates toward zero, as int(Decimal(x) * 10**decimals) does in GRVT's signer."""
    return int(value.scaleb(decimals))


def format_scaled(value: int, decimals: int) -> str:
    """'90000.0', '0.001', '-1.5' from a scaled integer; always at least one decimal like GRVT."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(-value if value < 0 else value, _POW10[decimals])
    if frac == 0:
        return f"{sign}{whole}.0"
    return f"{sign}{whole}.{frac:0{decimals}d}".rstrip("0")


def format_price(value: int) -> str:
    return format_scaled(value, PRICE_DECIMALS)


def format_decimal(value: Decimal, places: int = 9) -> str:
    """A Decimal rounded (half-even) to `places` decimals, trailing zeros dropped, at least one decimal."""
    if not value:
        return "0.0"
    text = f"{round(value, places):f}"
    if "." in text:
        text = text.rstrip("0")
        if text.endswith("."):
            text += "0"
    else:
        text += ".0"
    return "0.0" if text in ("-0.0", "0.0") else text


def scaled_to_decimal(value: int, decimals: int) -> Decimal:
    return Decimal(value).scaleb(-decimals)
