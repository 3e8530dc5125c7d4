"""Where a GRVT grid's levels go, which Hummingbot GridExecutor carries them, and when one may (re-)enter.

The grid has ``levels`` prices evenly spaced from ``start_price`` to ``end_price`` (both included). Hummingbot's
``GridExecutor`` runs one side over a range that contains the price: a BUY grid rests bids at its levels below the
price, buys the levels above it at once, and takes profit one step higher with reduce-only sells; it ends when the
price rises above its range (taking profit) or falls to its limit price (stop-out). A SELL grid is the mirror image.
The modes map onto such executors ("legs"):

- long: one BUY leg over the whole range: the grid holds a long that grows as the price falls;
- short: one SELL leg over the whole range;
- neutral: a BUY leg from ``start_price`` to a middle level M and a SELL leg from M to ``end_price``, M being a level
  next to the price at start. Only the leg on the price's side of M runs: below M the grid holds a long that grows as
  the price falls, above M a short that grows as it rises, flat at M. On GRVT's one-way positions the take-profit
  orders are reduce-only, so two legs holding opposite positions at once would block each other: one leg at a time.

A leg starts (or starts again, "re-entry", after its executor ended) only while the price is inside it by half a
step on the side it exits from, so it does not end at once; outside the whole range widened by the configured margin
the controller stops everything.
"""
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import List, Optional

from hummingbot.core.data_type.common import TradeType

HALF = Decimal("0.5")
# GridExecutor sizes a level at least this much above the minimum notional (room for the price to move).
EXECUTOR_NOTIONAL_MARGIN = Decimal("1.05")
MODES = ("neutral", "long", "short")


@dataclass(frozen=True)
class GridLeg:
    name: str  # "long" or "short"
    side: TradeType
    levels: List[Decimal]

    @property
    def start_price(self) -> Decimal:
        return self.levels[0]

    @property
    def end_price(self) -> Decimal:
        return self.levels[-1]

    @property
    def step(self) -> Decimal:
        return (self.end_price - self.start_price) / (len(self.levels) - 1)

    @property
    def take_profit(self) -> Decimal:
        """One step as a fraction of the leg's lowest level (GridExecutor's take profit is one fraction for all)."""
        return self.step / self.start_price

    @property
    def min_spread_between_orders(self) -> Decimal:
        """A fraction that makes GridExecutor lay out exactly ``len(levels)`` levels over the leg's range: it lays
        out int(range / min_spread) of them, evenly from start to end."""
        grid_range = (self.end_price - self.start_price) / self.start_price
        return grid_range / (Decimal(len(self.levels)) + HALF)

    def can_enter(self, price: Decimal) -> bool:
        """The price is inside the leg, by at least half a step on the side where its executor would end."""
        margin = self.step * HALF
        if self.side is TradeType.BUY:
            return self.start_price <= price <= self.end_price - margin
        return self.start_price + margin <= price <= self.end_price

    def levels_to_fill_at_once(self, price: Decimal) -> int:
        """Levels a new executor takes at the touch because the price is already past them."""
        if self.side is TradeType.BUY:
            return sum(1 for level in self.levels if level >= price)
        return sum(1 for level in self.levels if level <= price)


def grid_levels(start_price: Decimal, end_price: Decimal, levels: int) -> List[Decimal]:
    if levels < 2:
        raise ValueError("a grid needs at least 2 levels")
    if not 0 < start_price < end_price:
        raise ValueError(f"need 0 < start_price < end_price, got {start_price} and {end_price}")
    step = (end_price - start_price) / (levels - 1)
    return [start_price + step * i for i in range(levels)]


def neutral_split(prices: List[Decimal], price: Decimal) -> int:
    """Index of the middle level M: the level below the price when the price is at least half a step above it,
    else the level above, so the leg on the price's side can start at once. Each leg keeps at least 2 levels."""
    step = prices[1] - prices[0]
    below = sum(1 for level in prices if level <= price) - 1  # index of the highest level at or below the price
    if below < 0:
        index = 0
    elif below >= len(prices) - 1:
        index = len(prices) - 1
    else:
        index = below if price - prices[below] >= step * HALF else below + 1
    return min(max(index, 1), len(prices) - 2)


def grid_legs(mode: str, start_price: Decimal, end_price: Decimal, levels: int, price: Decimal) -> List[GridLeg]:
    """The legs of a grid laid out when the price is ``price``."""
    prices = grid_levels(start_price, end_price, levels)
    if mode == "long":
        return [GridLeg("long", TradeType.BUY, prices)]
    if mode == "short":
        return [GridLeg("short", TradeType.SELL, prices)]
    if mode != "neutral":
        raise ValueError(f"grid mode must be one of {', '.join(MODES)}, got {mode!r}")
    if levels < 3:
        raise ValueError("a neutral grid needs at least 3 levels")
    middle = neutral_split(prices, price)
    return [GridLeg("long", TradeType.BUY, prices[:middle + 1]), GridLeg("short", TradeType.SELL, prices[middle:])]


def leg_to_enter(legs: List[GridLeg], price: Decimal, position: Decimal) -> Optional[GridLeg]:
    """The leg a grid with no running executor may start now. A leg never starts against a position of the opposite
    sign (its reduce-only take-profits could not close anything)."""
    for leg in legs:
        if not leg.can_enter(price):
            continue
        if (leg.side is TradeType.BUY and position < 0) or (leg.side is TradeType.SELL and position > 0):
            continue
        return leg
    return None


def min_amount_quote_per_level(price: Decimal, min_order_size: Decimal, lot: Decimal, min_notional: Decimal) -> Decimal:
    """The smallest quote amount a level may carry at ``price`` for GridExecutor to lay out every level of a leg: one
    order of whole lots, at least the minimum order size and the minimum notional with GridExecutor's margin. Below
    it GridExecutor lays out fewer, wider levels than the leg's (not the grid's prices, take-profits not one level)."""
    base = max(min_order_size, min_notional * EXECUTOR_NOTIONAL_MARGIN / price)
    if lot > 0:
        base = (base / lot).to_integral_value(rounding=ROUND_CEILING) * lot
    return base * price


def outside_range(price: Decimal, start_price: Decimal, end_price: Decimal, margin_pct: Decimal) -> Optional[str]:
    """Why the price is out of the range widened by ``margin_pct`` percent, or None while it is inside."""
    low = start_price * (1 - margin_pct / 100)
    high = end_price * (1 + margin_pct / 100)
    if price < low:
        return f"price {price} left the grid range: below {low:.8g} ({start_price} - {margin_pct} %)"
    if price > high:
        return f"price {price} left the grid range: above {high:.8g} ({end_price} + {margin_pct} %)"
    return None
