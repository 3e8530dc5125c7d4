"""Estimates from the market data the controllers see: mid-price volatility and trading intensity.

``MidSampler`` samples the mid at a fixed interval (avellaneda_market_making samples once a tick) and gives:
- ``price_volatility``: the root mean square of consecutive mid changes, in price units (Avellaneda-Stoikov's sigma,
  as avellaneda_market_making's volatility indicator);
- ``return_volatility``: the standard deviation of consecutive returns, as a fraction of the price;
- ``atr``: the average true range of bars of ``bar_samples`` samples, as a fraction of the last mid.

``TradingIntensityEstimator`` fits the Avellaneda-Stoikov arrival model ``lambda(delta) = alpha * exp(-kappa * delta)``
to the public trades: ``lambda(delta)`` is the traded volume per second at a distance of at least ``delta`` from the
mid the bot saw when the trade happened.
"""
import math
from collections import deque
from dataclasses import dataclass
from typing import Deque, List, Optional, Tuple


class MidSampler:
    def __init__(self, sample_interval: float, max_samples: int):
        self.sample_interval = sample_interval
        self._samples: Deque[float] = deque(maxlen=max(2, max_samples))
        self._last_sample_time: Optional[float] = None

    def __len__(self) -> int:
        return len(self._samples)

    @property
    def samples(self) -> List[float]:
        return list(self._samples)

    def add(self, timestamp: float, mid: float) -> bool:
        """Records ``mid`` when a sample is due; True when it did."""
        if mid is None or not math.isfinite(mid) or mid <= 0:
            return False
        if self._last_sample_time is not None and timestamp - self._last_sample_time < self.sample_interval:
            return False
        self._last_sample_time = timestamp
        self._samples.append(float(mid))
        return True

    def has(self, samples: int) -> bool:
        return len(self._samples) >= samples

    def _window(self, samples: int) -> List[float]:
        return list(self._samples)[-samples:]

    def price_volatility(self, window: int) -> Optional[float]:
        values = self._window(window + 1)
        if len(values) < 3:
            return None
        changes = [b - a for a, b in zip(values, values[1:])]
        return math.sqrt(sum(change * change for change in changes) / len(changes))

    def return_volatility(self, window: int) -> Optional[float]:
        values = self._window(window + 1)
        if len(values) < 3:
            return None
        returns = [b / a - 1.0 for a, b in zip(values, values[1:])]
        mean = sum(returns) / len(returns)
        return math.sqrt(sum((r - mean) ** 2 for r in returns) / (len(returns) - 1))

    def atr(self, window_bars: int, bar_samples: int) -> Optional[float]:
        bar_samples = max(1, bar_samples)
        values = self._window(window_bars * bar_samples + 1)
        if len(values) < bar_samples + 1:
            return None
        previous_close = values[0]
        ranges = []
        for start in range(1, len(values) - bar_samples + 1, bar_samples):
            bar = values[start:start + bar_samples]
            high, low = max(bar), min(bar)
            ranges.append(max(high - low, abs(high - previous_close), abs(low - previous_close)))
            previous_close = bar[-1]
        if not ranges:
            return None
        return sum(ranges) / len(ranges) / values[-1]


@dataclass(frozen=True)
class Intensity:
    alpha: float
    kappa: float


class TradingIntensityEstimator:
    """Public trades bucketed per sample interval; ready once ``buffer_size`` intervals have been observed."""

    DEPTH_POINTS = 10

    def __init__(self, buffer_size: int, sample_interval: float = 1.0, min_trades: int = 10):
        self.buffer_size = buffer_size
        self.sample_interval = sample_interval
        self.min_trades = min_trades
        self._buckets: Deque[List[Tuple[float, float]]] = deque(maxlen=buffer_size)
        self._current: List[Tuple[float, float]] = []
        self._bucket_start: Optional[float] = None
        self._last: Optional[Intensity] = None

    @property
    def observed_intervals(self) -> int:
        return len(self._buckets)

    @property
    def ready(self) -> bool:
        return len(self._buckets) >= self.buffer_size and self.estimate() is not None

    def add_trade(self, timestamp: float, price: float, amount: float, mid: Optional[float]) -> None:
        self.roll(timestamp)
        if mid is None or mid <= 0 or amount <= 0:
            return
        self._current.append((abs(price - mid), amount))

    def roll(self, timestamp: float) -> None:
        """Closes the intervals that ended by ``timestamp`` (quiet intervals count, with no trades)."""
        if self._bucket_start is None:
            self._bucket_start = timestamp
            return
        elapsed = int((timestamp - self._bucket_start) // self.sample_interval)
        if elapsed <= 0:
            return
        self._buckets.append(self._current)
        self._current = []
        for _ in range(min(elapsed - 1, self.buffer_size)):
            self._buckets.append([])
        self._bucket_start += elapsed * self.sample_interval

    def estimate(self) -> Optional[Intensity]:
        trades = [trade for bucket in self._buckets for trade in bucket]
        if len(trades) < self.min_trades or not self._buckets:
            return self._last
        fitted = fit_intensity(trades, len(self._buckets) * self.sample_interval, self.DEPTH_POINTS)
        if fitted is not None:
            self._last = fitted
        return self._last


def fit_intensity(trades: List[Tuple[float, float]], seconds: float, points: int) -> Optional[Intensity]:
    """Least squares fit of ``ln lambda(delta) = ln alpha - kappa * delta`` over ``points`` depths between the
    nearest and the farthest trade; None when the volume does not decrease with depth."""
    if seconds <= 0:
        return None
    distances = sorted(distance for distance, _ in trades)
    low, high = distances[0], distances[-1]
    if high <= low:
        return None
    depths = [low + (high - low) * i / points for i in range(points)]
    xs, ys = [], []
    for depth in depths:
        volume = sum(amount for distance, amount in trades if distance >= depth)
        if volume > 0:
            xs.append(depth)
            ys.append(math.log(volume / seconds))
    if len(xs) < 2:
        return None
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    variance = sum((x - mean_x) ** 2 for x in xs)
    if variance <= 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / variance
    if slope >= 0:
        return None
    return Intensity(alpha=math.exp(mean_y - slope * mean_x), kappa=-slope)
