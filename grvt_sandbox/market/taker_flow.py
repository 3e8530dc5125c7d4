"""Poisson taker flow with an informed share.

Each step draws a Poisson number of taker arrivals. An informed taker knows where the mid will be a few steps
ahead and trades towards it with an IOC limit at that future mid, so it only takes quotes it will be right
about: passive orders on the wrong side of the next move get picked off. An uninformed taker picks a side at
random and sends an aggressive IOC a bounded distance through the mid. Now and then a taker is a sweep, several
times the usual size, that walks a few levels into the book.
"""
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import List, Optional

from grvt_sandbox.market.config import TakerFlowConfig
from grvt_sandbox.market.price_process import poisson_sample
from grvt_sandbox.market.sizing import lots_for, price_from_ticks, ticks_above, ticks_below
from grvt_sandbox.market.venue import InstrumentRules


@dataclass(frozen=True, slots=True)
class TakerIntent:
    is_buy: bool
    size: Decimal
    limit_price: Decimal
    informed: bool


@dataclass(slots=True)
class TakerDraw:
    """The arrivals of one step. `informed_skipped` counts informed arrivals that found nothing worth taking."""
    intents: List[TakerIntent]
    arrivals: int
    informed_skipped: int


class TakerFlow:
    def __init__(self, config: TakerFlowConfig, rules: InstrumentRules, step_seconds: float, rng: random.Random):
        self._config = config
        self._rules = rules
        self._rng = rng
        self._mean_arrivals_per_step = config.arrivals_per_second * step_seconds
        self._log_median_size = math.log(float(config.median_size))
        self._log_median_sweep_size = self._log_median_size + math.log(config.sweep_size_multiple)

    @property
    def config(self) -> TakerFlowConfig:
        return self._config

    @property
    def informed_horizon_steps(self) -> int:
        return self._config.informed_horizon_steps

    def draw(self,
             mid: float,
             future_mid: float,
             best_bid: Optional[Decimal],
             best_ask: Optional[Decimal],
             noise_move: float = 0.0) -> TakerDraw:
        """`noise_move` is this step's microstructure-noise move of the mid in standard deviations: uninformed
        flow leans to its side (a dip comes with sellers), as far as `noise_flow_coupling` says."""
        rng = self._rng
        buy_probability = self._uninformed_buy_probability(noise_move)
        arrivals = poisson_sample(rng, self._mean_arrivals_per_step * self._activity(noise_move))
        intents: List[TakerIntent] = []
        skipped = 0
        for _ in range(arrivals):
            informed = rng.random() < self._config.informed_share
            side_draw = rng.random()
            size = lots_for(rng.lognormvariate(self._size_location(), self._config.size_dispersion), mid,
                            self._rules, self._config.max_size)
            intent = (self._informed_intent(mid, future_mid, size, best_bid, best_ask) if informed
                      else self._uninformed_intent(mid, side_draw < buy_probability, size))
            if intent is None:
                skipped += 1
            else:
                intents.append(intent)
        return TakerDraw(intents=intents, arrivals=arrivals, informed_skipped=skipped)

    def _activity(self, noise_move: float) -> float:
        """Arrival-rate multiplier (mean 1 over a standard normal `noise_move`): big moves come with more trading."""
        coupling = self._config.noise_volume_coupling
        if coupling == 0:
            return 1.0
        return (1.0 + coupling * noise_move * noise_move) / (1.0 + coupling)

    def _uninformed_buy_probability(self, noise_move: float) -> float:
        coupling = self._config.noise_flow_coupling
        if coupling == 0 or noise_move == 0:
            return 0.5
        return 0.5 * (1.0 + math.erf(coupling * noise_move / math.sqrt(2.0)))

    def _size_location(self) -> float:
        """Log of the median size of this arrival: most are ordinary takers, a few are sweeps."""
        if self._config.sweep_share > 0 and self._rng.random() < self._config.sweep_share:
            return self._log_median_sweep_size
        return self._log_median_size

    def _informed_intent(self,
                         mid: float,
                         future_mid: float,
                         size: Decimal,
                         best_bid: Optional[Decimal],
                         best_ask: Optional[Decimal]) -> Optional[TakerIntent]:
        if future_mid > mid:
            limit = price_from_ticks(ticks_below(future_mid, self._rules), self._rules)
            if best_ask is None or best_ask > limit:
                return None
            return TakerIntent(is_buy=True, size=size, limit_price=limit, informed=True)
        if future_mid < mid:
            limit = price_from_ticks(ticks_above(future_mid, self._rules), self._rules)
            if best_bid is None or best_bid < limit:
                return None
            return TakerIntent(is_buy=False, size=size, limit_price=limit, informed=True)
        return None

    def _uninformed_intent(self, mid: float, is_buy: bool, size: Decimal) -> TakerIntent:
        slippage = self._config.max_slippage_bps / 10_000.0
        if is_buy:
            limit_ticks = ticks_below(mid * (1.0 + slippage), self._rules)
        else:
            limit_ticks = max(1, ticks_above(mid * (1.0 - slippage), self._rules))
        return TakerIntent(is_buy=is_buy, size=size, limit_price=price_from_ticks(limit_ticks, self._rules),
                           informed=False)
