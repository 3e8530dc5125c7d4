"""Seeded mid-price process: a slowly drifting fair value plus short-lived microstructure noise.

The fair value is a log-price random walk with Markov volatility regimes and compound-Poisson jumps. The mid is
the fair value times exp(noise), where the noise is a mean-reverting (Ornstein-Uhlenbeck) log deviation with a
half-life of a fraction of a second to a few seconds: in the short run the mid wanders back and forth around the
fair value, as real mids do (bid-ask bounce, transient impact of market orders), while over minutes and hours the
fair value's volatility and jumps dominate.

Steps are generated into a look-ahead buffer from one private random stream, so peeking at future mids (what the
informed takers do) never changes the path: a seed gives the same prices whether or not anybody peeked.
"""
import math
import random
from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Deque, List

from grvt_sandbox.market.config import SECONDS_PER_YEAR, PriceProcessConfig


class Regime(Enum):
    CALM = "calm"
    TURBULENT = "turbulent"


@dataclass(frozen=True, slots=True)
class PriceStep:
    """One step of the process: the regime it was drawn in and the mid's log-return split into the fair value's
    diffusion and jumps and the change of the microstructure noise."""
    regime: Regime
    diffusion_log_return: float
    jump_log_return: float
    jump_count: int
    noise_log_return: float = 0.0

    @property
    def fair_log_return(self) -> float:
        return self.diffusion_log_return + self.jump_log_return

    @property
    def log_return(self) -> float:
        return self.diffusion_log_return + self.jump_log_return + self.noise_log_return


def poisson_sample(rng: random.Random, mean: float) -> int:
    """Knuth's multiplication method; the means used here are small (well under 30)."""
    if mean <= 0:
        return 0
    threshold = math.exp(-mean)
    count = 0
    product = rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


class MidPriceProcess:
    def __init__(self, config: PriceProcessConfig, step_seconds: float, rng: random.Random):
        if step_seconds <= 0:
            raise ValueError("step_seconds must be positive")
        self._config = config
        self._step_seconds = step_seconds
        self._rng = rng
        self._log_price = math.log(config.initial_price)
        self._regime = Regime.CALM
        self._steps_taken = 0
        self._lookahead: Deque[PriceStep] = deque()
        self._last_generated_regime = Regime.CALM
        self._noise = 0.0  # log deviation of the mid from the fair value
        self._last_generated_noise = 0.0
        noise_std = config.microstructure_noise_bps / 10_000.0
        if noise_std > 0:
            # exact discretisation of an Ornstein-Uhlenbeck process with that stationary deviation and half-life
            self._noise_persistence = math.exp(-math.log(2.0) * step_seconds / config.noise_half_life_s)
            self._noise_shock_std = noise_std * math.sqrt(1.0 - self._noise_persistence ** 2)
            self._noise_move_std = noise_std * math.sqrt(2.0 * (1.0 - self._noise_persistence))
        else:
            self._noise_persistence = 0.0
            self._noise_shock_std = 0.0
            self._noise_move_std = 0.0
        year_fraction = step_seconds / SECONDS_PER_YEAR
        self._step_vol = {
            Regime.CALM: config.calm_annual_vol * math.sqrt(year_fraction),
            Regime.TURBULENT: config.turbulent_annual_vol * math.sqrt(year_fraction),
        }
        self._leave_probability = {
            Regime.CALM: 1.0 - math.exp(-step_seconds / config.calm_mean_duration_s),
            Regime.TURBULENT: 1.0 - math.exp(-step_seconds / config.turbulent_mean_duration_s),
        }
        calm_jump_rate = config.jumps_per_hour * step_seconds / 3600.0
        self._jump_mean_count = {
            Regime.CALM: calm_jump_rate,
            Regime.TURBULENT: calm_jump_rate * config.turbulent_jump_multiplier,
        }

    @property
    def config(self) -> PriceProcessConfig:
        return self._config

    @property
    def step_seconds(self) -> float:
        return self._step_seconds

    @property
    def mid(self) -> float:
        return math.exp(self._log_price)

    @property
    def fair_value(self) -> float:
        """The mid without its microstructure noise."""
        return math.exp(self._log_price - self._noise)

    @property
    def noise(self) -> float:
        """The current log deviation of the mid from the fair value."""
        return self._noise

    @property
    def regime(self) -> Regime:
        return self._regime

    @property
    def steps_taken(self) -> int:
        return self._steps_taken

    def standardised_noise_move(self, step: PriceStep) -> float:
        """The step's noise change in units of its stationary standard deviation (0 without noise)."""
        return step.noise_log_return / self._noise_move_std if self._noise_move_std > 0 else 0.0

    def step_volatility(self, regime: Regime) -> float:
        """Standard deviation of the diffusion log-return of one step in `regime`."""
        return self._step_vol[regime]

    def regime_leave_probability(self, regime: Regime) -> float:
        return self._leave_probability[regime]

    def advance(self) -> PriceStep:
        step = self._lookahead.popleft() if self._lookahead else self._generate()
        self._log_price += step.log_return
        self._noise += step.noise_log_return
        self._regime = step.regime
        self._steps_taken += 1
        return step

    def peek(self, steps: int = 1) -> float:
        """The mid `steps` steps ahead, without consuming them."""
        return math.exp(self._log_price + sum(step.log_return for step in self.upcoming(steps)))

    def upcoming(self, steps: int) -> List[PriceStep]:
        if steps < 1:
            raise ValueError("steps must be at least 1")
        while len(self._lookahead) < steps:
            self._lookahead.append(self._generate())
        return [self._lookahead[index] for index in range(steps)]

    def set_mid(self, price: float) -> None:
        """Moves the level of the process; the already drawn future increments still apply on top of it."""
        if not price > 0:
            raise ValueError(f"price must be positive, got {price}")
        self._log_price = math.log(price)

    def apply_jump(self, relative_move: float) -> float:
        """Immediate jump by `relative_move` (0.01 = +1 %). Returns the new mid."""
        if not relative_move > -1.0:
            raise ValueError(f"a jump must keep the price positive, got {relative_move}")
        self._log_price += math.log1p(relative_move)
        return self.mid

    def force_regime(self, regime: Regime) -> None:
        """Switches the regime now. Drops the drawn future steps, which were drawn for the old regime."""
        self._regime = regime
        self._last_generated_regime = regime
        self._last_generated_noise = self._noise
        self._lookahead.clear()

    def _generate(self) -> PriceStep:
        rng = self._rng
        regime = self._last_generated_regime
        if rng.random() < self._leave_probability[regime]:
            regime = Regime.TURBULENT if regime is Regime.CALM else Regime.CALM
        self._last_generated_regime = regime
        vol = self._step_vol[regime]
        # -vol^2/2 keeps the price itself (not its log) a martingale
        diffusion = rng.gauss(-0.5 * vol * vol, vol) if vol > 0 else 0.0
        jump_count = poisson_sample(rng, self._jump_mean_count[regime])
        jump = 0.0
        mean_abs = self._config.mean_jump_abs_return
        for _ in range(jump_count):
            magnitude = rng.expovariate(1.0 / mean_abs) if mean_abs > 0 else 0.0
            jump += magnitude if rng.random() < 0.5 else -magnitude
        noise_change = 0.0
        if self._noise_shock_std > 0:
            previous = self._last_generated_noise
            noise = previous * self._noise_persistence + rng.gauss(0.0, self._noise_shock_std)
            self._last_generated_noise = noise
            noise_change = noise - previous
        return PriceStep(regime=regime, diffusion_log_return=diffusion, jump_log_return=jump, jump_count=jump_count,
                         noise_log_return=noise_change)
