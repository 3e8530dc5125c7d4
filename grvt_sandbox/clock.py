"""The exchange clock: wall-clock nanoseconds plus an offset tests can move forward."""
import time


class Clock:
    """`now_ns()` is unix time in nanoseconds; `advance()` shifts it (expiry, funding and session tests)."""

    __slots__ = ("_offset_ns",)

    def __init__(self, offset_ns: int = 0):
        self._offset_ns = offset_ns

    def now_ns(self) -> int:
        return time.time_ns() + self._offset_ns

    def advance(self, seconds: float) -> None:
        self._offset_ns += int(seconds * 1_000_000_000)

    @property
    def offset_ns(self) -> int:
        return self._offset_ns
