"""Background liquidity: a ladder of resting orders around the mid on one sandbox account.

The levels sit on a fixed grid (multiples of `level_spacing_ticks`), so when the mid moves only the levels that
leave or enter the ladder are cancelled or placed; the others keep their queue position. Levels that takers
filled are placed again at the next refresh.

The background makers only provide liquidity: their orders are post-only and a level that would cross someone
else's quote is left out until the book lets it in. Picking off stale quotes is left to the takers, so the
adverse selection a market maker meets comes from the taker flow and its informed share, not from a built-in
sniper that always wins the race against the index update.
"""
import math
import random
from dataclasses import dataclass
from typing import Dict, List, Tuple

from grvt_sandbox.market.config import LiquidityConfig
from grvt_sandbox.market.sizing import lots_for, price_from_ticks, ticks_above, ticks_below
from grvt_sandbox.market.venue import InstrumentRules, MarketVenue, TimeInForce, VenueOrder

LevelKey = Tuple[bool, int]  # (is_buy, price in ticks)


@dataclass(frozen=True, slots=True)
class LadderChange:
    placed: int
    cancelled: int
    replenished: int


class LiquidityLadder:
    def __init__(self,
                 venue: MarketVenue,
                 account_id: str,
                 instrument: str,
                 config: LiquidityConfig,
                 rules: InstrumentRules,
                 rng: random.Random):
        self._venue = venue
        self._account_id = account_id
        self._instrument = instrument
        self._config = config
        self._rules = rules
        self._rng = rng
        self._resting: Dict[LevelKey, str] = {}

    @property
    def config(self) -> LiquidityConfig:
        return self._config

    @property
    def resting_levels(self) -> Dict[LevelKey, str]:
        return dict(self._resting)

    def desired_levels(self, mid: float) -> Tuple[List[int], List[int]]:
        """Bid and ask prices in ticks, innermost first."""
        config = self._config
        spacing = config.level_spacing_ticks
        mid_ticks = mid / float(self._rules.tick_size)
        best_bid = math.floor((mid_ticks - config.first_level_ticks) / spacing + 1e-9) * spacing
        best_ask = math.ceil((mid_ticks + config.first_level_ticks) / spacing - 1e-9) * spacing
        bids = [best_bid - level * spacing for level in range(config.levels_per_side)]
        asks = [best_ask + level * spacing for level in range(config.levels_per_side)]
        return [tick for tick in bids if tick > 0], asks

    def refresh(self, mid: float) -> LadderChange:
        replenished = self._forget_filled_levels()
        bids, asks = self.desired_levels(mid)
        wanted: Dict[LevelKey, int] = {}
        for depth, tick in enumerate(bids):
            wanted[(True, tick)] = depth
        for depth, tick in enumerate(asks):
            wanted[(False, tick)] = depth

        cancelled = 0
        for key in [key for key in self._resting if key not in wanted]:
            self._venue.cancel(self._account_id, self._instrument, self._resting.pop(key))
            cancelled += 1

        placed = 0
        best_bid, best_ask = self._venue.best_bid_ask(self._instrument)
        lowest_crossing_bid = ticks_above(float(best_ask), self._rules) if best_ask is not None else None
        highest_crossing_ask = ticks_below(float(best_bid), self._rules) if best_bid is not None else None
        # innermost first on both sides, so a thin moment never leaves the touch empty longer than needed
        for key, depth in sorted(wanted.items(), key=lambda item: item[1]):
            if key in self._resting:
                continue
            is_buy, tick = key
            if is_buy and lowest_crossing_bid is not None and tick >= lowest_crossing_bid:
                continue
            if not is_buy and highest_crossing_ask is not None and tick <= highest_crossing_ask:
                continue
            order_id = self._venue.submit(self._level_order(key, depth, mid))
            if order_id is not None:
                self._resting[key] = order_id
                placed += 1
        return LadderChange(placed=placed, cancelled=cancelled, replenished=replenished)

    def withdraw(self) -> None:
        self._venue.cancel_all(self._account_id, self._instrument)
        self._resting.clear()

    def _forget_filled_levels(self) -> int:
        if not self._resting:
            return 0
        open_ids = set(self._venue.open_order_ids(self._account_id, self._instrument))
        gone = [key for key, order_id in self._resting.items() if order_id not in open_ids]
        for key in gone:
            del self._resting[key]
        return len(gone)

    def _level_order(self, key: LevelKey, depth: int, mid: float) -> VenueOrder:
        is_buy, tick = key
        config = self._config
        jitter = 1.0 + config.size_jitter * (2.0 * self._rng.random() - 1.0)
        size = float(config.level_size) * (1.0 + config.size_growth_per_level * depth) * jitter
        return VenueOrder(
            account_id=self._account_id,
            instrument=self._instrument,
            is_buy=is_buy,
            price=price_from_ticks(tick, self._rules),
            size=lots_for(size, mid, self._rules),
            time_in_force=TimeInForce.GOOD_TILL_TIME,
            post_only=True,
        )
