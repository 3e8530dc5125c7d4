"""Quote prices and sizes for the GRVT market maker: pure functions, no connector.

Conventions: spreads and skews in percent of the reference price (1 = 1 %, as in Hummingbot's V1 strategies),
amounts in base asset, inventory as a signed position. ``inventory_ratio`` turns the position into ``q`` in
[-1, 1]: positive when longer than the target, and every skew below moves quotes to bring ``q`` back to 0.
"""
import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Callable, List, Optional, Tuple, TypeVar

from hummingbot.core.data_type.common import TradeType

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class QuoteLevel:
    side: TradeType
    level: int
    price: Decimal
    amount: Decimal

    @property
    def key(self) -> Tuple[TradeType, int]:
        return self.side, self.level


def clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


def inventory_ratio(position: Decimal, target: Decimal, scale: Decimal) -> Decimal:
    """``q``: the position's distance from the target in units of ``scale``, clamped to [-1, 1]."""
    if scale <= 0:
        return ZERO
    return clamp((position - target) / scale, -ONE, ONE)


def bounded_price_skew(q: Decimal, reference_price: Decimal, max_skew_pct: Decimal) -> Decimal:
    """Shift applied to both quotes: long (q > 0) lowers them, short raises them, never by more than the bound."""
    return -q * reference_price * max_skew_pct / HUNDRED


def size_skew_ratios(q: Decimal) -> Tuple[Decimal, Decimal]:
    """(bid, ask) size multipliers in [0, 2], as pure_market_making's inventory skew: long buys less, sells more."""
    return clamp(ONE - q, ZERO, ONE * 2), clamp(ONE + q, ZERO, ONE * 2)


def volatility_scaled_spread(base_spread_pct: Decimal, volatility_pct: Optional[Decimal], multiplier: Decimal,
                             floor_pct: Decimal, cap_pct: Decimal) -> Decimal:
    """The configured spread, widened to ``multiplier`` x volatility when that is larger, within [floor, cap].

    Without a volatility estimate yet, the configured spread (within the same bounds) applies."""
    spread = base_spread_pct
    if volatility_pct is not None:
        spread = max(spread, multiplier * volatility_pct)
    spread = max(spread, floor_pct)
    if cap_pct > 0:
        spread = min(spread, cap_pct)
    return spread


def pmm_levels(reference_price: Decimal, bid_spread_pct: Decimal, ask_spread_pct: Decimal, order_amount: Decimal,
               order_levels: int, level_spread_pct: Decimal, level_amount: Decimal) -> List[QuoteLevel]:
    """pure_market_making's ladder: level i sits ``spread + i * level_spread`` percent away and adds
    ``i * level_amount`` to the order amount (a negative level amount shrinks outer levels; those at or below 0
    are dropped)."""
    quotes = []
    for level in range(order_levels):
        amount = order_amount + level_amount * level
        if amount <= 0:
            continue
        bid_distance = (bid_spread_pct + level_spread_pct * level) / HUNDRED
        ask_distance = (ask_spread_pct + level_spread_pct * level) / HUNDRED
        quotes.append(QuoteLevel(TradeType.BUY, level, reference_price * (ONE - bid_distance), amount))
        quotes.append(QuoteLevel(TradeType.SELL, level, reference_price * (ONE + ask_distance), amount))
    return quotes


# ---------------------------------------------------------------------------------------------------------------------
# Avellaneda-Stoikov, with avellaneda_market_making's units: sigma is the standard deviation of the mid price
# (price units), gamma the risk factor, kappa the order book liquidity (1 / price units), q the inventory ratio and
# tau the share of the execution timeframe left (1 for an infinite timeframe).
# ---------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AvellanedaQuote:
    reservation_price: Decimal
    optimal_spread: Decimal
    bid: Decimal
    ask: Decimal


def reservation_price(mid: Decimal, q: Decimal, gamma: Decimal, sigma: Decimal, tau: Decimal) -> Decimal:
    return mid - q * gamma * sigma * tau


def optimal_spread(gamma: Decimal, sigma: Decimal, tau: Decimal, kappa: Decimal) -> Decimal:
    return gamma * sigma * tau + 2 * (ONE + gamma / kappa).ln() / gamma


def avellaneda_quote(mid: Decimal, q: Decimal, gamma: Decimal, sigma: Decimal, kappa: Decimal, tau: Decimal,
                     min_spread_pct: Decimal = ZERO, max_skew_pct: Decimal = ZERO,
                     min_half_spread_pct: Decimal = ZERO, max_half_spread_pct: Decimal = ZERO) -> AvellanedaQuote:
    """Bid and ask around the reservation price.

    ``min_spread_pct`` keeps the bid at least half of it below the mid and the ask half of it above (as
    avellaneda_market_making's min_spread); ``max_skew_pct`` bounds how far the reservation price may move from the
    mid; the half-spread bounds (percent of the mid) come from the volatility-scaled spread, 0 = unbounded."""
    reservation = reservation_price(mid, q, gamma, sigma, tau)
    if max_skew_pct > 0:
        bound = mid * max_skew_pct / HUNDRED
        reservation = clamp(reservation, mid - bound, mid + bound)
    spread = optimal_spread(gamma, sigma, tau, kappa)
    half_spread = spread / 2
    if min_half_spread_pct > 0:
        half_spread = max(half_spread, mid * min_half_spread_pct / HUNDRED)
    if max_half_spread_pct > 0:
        half_spread = min(half_spread, mid * max_half_spread_pct / HUNDRED)
    min_distance = mid * min_spread_pct / HUNDRED / 2
    bid = min(reservation - half_spread, mid - min_distance)
    ask = max(reservation + half_spread, mid + min_distance)
    return AvellanedaQuote(reservation, half_spread * 2, bid, ask)


def shaped_amounts(order_amount: Decimal, q: Decimal, eta: Decimal) -> Tuple[Decimal, Decimal]:
    """(buy, sell) amounts: the side that would move the inventory further from its target shrinks by
    ``exp(-eta * |q|)`` (avellaneda_market_making's order_amount_shape_factor)."""
    if eta <= 0 or q == 0:
        return order_amount, order_amount
    shrink = Decimal(str(math.exp(-float(eta) * abs(float(q)))))
    if q > 0:
        return order_amount * shrink, order_amount
    return order_amount, order_amount * shrink


def avellaneda_levels(quote: AvellanedaQuote, buy_amount: Decimal, sell_amount: Decimal, order_levels: int,
                      level_distances_pct: Decimal) -> List[QuoteLevel]:
    """Level i sits ``i * level_distances`` percent of the optimal spread beyond the first bid or ask."""
    step = quote.optimal_spread * level_distances_pct / HUNDRED
    quotes = []
    for level in range(max(order_levels, 1)):
        if buy_amount > 0:
            quotes.append(QuoteLevel(TradeType.BUY, level, quote.bid - step * level, buy_amount))
        if sell_amount > 0:
            quotes.append(QuoteLevel(TradeType.SELL, level, quote.ask + step * level, sell_amount))
    return quotes


def apply_price_band(quotes: List[QuoteLevel], reference_price: Decimal, price_ceiling: Decimal,
                     price_floor: Decimal) -> List[QuoteLevel]:
    """pure_market_making's band: above the ceiling only sells, below the floor only buys (-1 or 0 = off)."""
    if price_ceiling > 0 and reference_price > price_ceiling:
        quotes = [quote for quote in quotes if quote.side is TradeType.SELL]
    if price_floor > 0 and reference_price < price_floor:
        quotes = [quote for quote in quotes if quote.side is TradeType.BUY]
    return quotes


def shift_quotes(quotes: List[QuoteLevel], shift: Decimal) -> List[QuoteLevel]:
    return [QuoteLevel(quote.side, quote.level, quote.price + shift, quote.amount) for quote in quotes]


def scale_sizes(quotes: List[QuoteLevel], bid_ratio: Decimal, ask_ratio: Decimal) -> List[QuoteLevel]:
    return [QuoteLevel(quote.side, quote.level, quote.price,
                       quote.amount * (bid_ratio if quote.side is TradeType.BUY else ask_ratio)) for quote in quotes]


def keep_passive(quotes: List[QuoteLevel], best_bid: Optional[Decimal], best_ask: Optional[Decimal],
                 tick: Decimal) -> List[QuoteLevel]:
    """Post-only quotes may not cross: a bid at or above the best ask moves one tick below it, and vice versa."""
    passive = []
    for quote in quotes:
        price = quote.price
        if quote.side is TradeType.BUY and best_ask is not None and price >= best_ask:
            price = best_ask - tick
        elif quote.side is TradeType.SELL and best_bid is not None and price <= best_bid:
            price = best_bid + tick
        if price > 0:
            passive.append(QuoteLevel(quote.side, quote.level, price, quote.amount))
    return passive


def round_to_tick(price: Decimal, tick: Decimal, side: TradeType) -> Decimal:
    """Bids round down and asks up, so rounding never makes a quote more aggressive."""
    if tick <= 0:
        return price
    units = price / tick
    units = units.to_integral_value(rounding="ROUND_FLOOR" if side is TradeType.BUY else "ROUND_CEILING")
    return units * tick


def exceeds_tolerance(current_price: Decimal, target_price: Decimal, tolerance_pct: Decimal) -> bool:
    """pure_market_making's refresh tolerance: keep an order whose price is within ``tolerance`` percent."""
    if current_price <= 0:
        return True
    return abs(target_price - current_price) / current_price > tolerance_pct / HUNDRED


# ---------------------------------------------------------------------------------------------------------------------
# Execution timeframe (avellaneda_market_making's): the share of the window left, or None outside it.
# ---------------------------------------------------------------------------------------------------------------------
TIMEFRAMES = ("infinite", "from_date_to_date", "daily_between_times")
_Bound = TypeVar("_Bound", datetime, time)


def time_left_fraction(timeframe: str, now: datetime, start: Optional[str] = None,
                       end: Optional[str] = None) -> Optional[Decimal]:
    """1 for an infinite timeframe; within a window, the share of it still to come; None outside the window.

    ``from_date_to_date`` takes "YYYY-MM-DD HH:MM:SS" bounds, ``daily_between_times`` "HH:MM:SS" bounds (a window
    whose end is before its start runs over midnight). Times are local, as in avellaneda_market_making."""
    if timeframe == "infinite":
        return ONE
    if timeframe == "from_date_to_date":
        start_dt = _window_bound(timeframe, "start_time", start, datetime.fromisoformat)
        end_dt = _window_bound(timeframe, "end_time", end, datetime.fromisoformat)
        if end_dt <= start_dt:
            raise ValueError(f"the window's end {end} must be after its start {start}")
        if not start_dt <= now <= end_dt:
            return None
        return Decimal(str((end_dt - now).total_seconds() / (end_dt - start_dt).total_seconds()))
    if timeframe == "daily_between_times":
        start_t = _window_bound(timeframe, "start_time", start, time.fromisoformat)
        end_t = _window_bound(timeframe, "end_time", end, time.fromisoformat)
        day_start = datetime.combine(now.date(), start_t)
        day_end = datetime.combine(now.date(), end_t)
        if end_t <= start_t:  # over midnight
            if now.time() >= start_t:
                day_end += timedelta(days=1)
            else:
                day_start -= timedelta(days=1)
        if not day_start <= now <= day_end:
            return None
        return Decimal(str((day_end - now).total_seconds() / (day_end - day_start).total_seconds()))
    raise ValueError(f"execution timeframe must be one of {', '.join(TIMEFRAMES)}, got {timeframe!r}")


def _window_bound(timeframe: str, field: str, value: Optional[str], parse: Callable[[str], _Bound]) -> _Bound:
    """A window bound parsed for ``timeframe``; a ValueError names the config field."""
    if value is None:
        raise ValueError(f"{field} is not set: the {timeframe} timeframe needs it")
    dated = timeframe == "from_date_to_date"
    try:
        return parse(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{field} {value!r} is not a {'YYYY-MM-DD ' if dated else ''}HH:MM:SS time ({error})")
