"""Small statistics helpers: median, nearest-rank percentiles and the ours-vs-upstream advantage ratio."""
import math
from typing import Iterable, Optional, Sequence


def median(values: Iterable[float]) -> Optional[float]:
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def percentile(values: Sequence[float], percent: float) -> Optional[float]:
    """Nearest-rank percentile (p99 of 1,000 samples is the 990th smallest); None for no samples."""
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be in (0, 100], got {percent}")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(percent / 100.0 * len(ordered)))
    return float(ordered[rank - 1])


def p50(values: Sequence[float]) -> Optional[float]:
    return percentile(values, 50)


def p99(values: Sequence[float]) -> Optional[float]:
    return percentile(values, 99)


def advantage(ours: Optional[float], upstream: Optional[float], higher_is_better: bool) -> Optional[float]:
    """How many times better ours is (> 1 = ours better); None when either side is missing or zero."""
    if ours is None or upstream is None or ours <= 0 or upstream <= 0:
        return None
    return ours / upstream if higher_is_better else upstream / ours
