"""The kill switch shared by the GRVT controllers: when to stop trading, and why.

Triggers (each off at 0):
- max drawdown: equity against the equity at start, in quote and/or in percent;
- max position: the absolute position in base asset;
- stale book: no order book update for this many seconds;
- order error rate: the share of failed orders among the last ``error_window`` orders the controller placed.

The controllers act on a trip (cancel everything, optionally flatten with reduce-only orders, stop quoting); this
module only decides, and words the reason.
"""
import time
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Deque, Optional, Tuple

from pydantic import BaseModel, Field

ZERO = Decimal(0)


class KillSwitchSettings(BaseModel):
    """Kill switch fields of a controller config (mixed into the controller config classes)."""
    kill_switch_max_drawdown_quote: Decimal = Field(
        default=ZERO, ge=0, json_schema_extra={
            "prompt": "Kill switch: maximum drawdown of the equity from its start, in quote (0 = off): ",
            "prompt_on_new": True, "is_updatable": True})
    kill_switch_max_drawdown_pct: Decimal = Field(
        default=ZERO, ge=0, le=100, json_schema_extra={
            "prompt": "Kill switch: maximum drawdown of the equity in percent (0 = off): ", "is_updatable": True})
    kill_switch_max_position: Decimal = Field(
        default=ZERO, ge=0, json_schema_extra={
            "prompt": "Kill switch: maximum absolute position in base asset (0 = off): ",
            "prompt_on_new": True, "is_updatable": True})
    kill_switch_stale_book_seconds: float = Field(
        default=0.0, ge=0, json_schema_extra={
            "prompt": "Kill switch: seconds without an order book update (0 = off): ", "is_updatable": True})
    kill_switch_max_error_rate: Decimal = Field(
        default=ZERO, ge=0, le=1, json_schema_extra={
            "prompt": "Kill switch: maximum share of failed orders, 0-1 (0 = off): ", "is_updatable": True})
    kill_switch_error_window: int = Field(
        default=20, ge=2, json_schema_extra={
            "prompt": "Kill switch: number of recent orders the error rate looks at: ", "is_updatable": True})
    kill_switch_flatten: bool = Field(
        default=False, json_schema_extra={
            "prompt": "Kill switch: close the position with reduce-only orders when it trips? (True/False): ",
            "is_updatable": True})


@dataclass(frozen=True)
class KillSwitchTrip:
    trigger: str  # max_drawdown, max_position, stale_book, error_rate
    reason: str
    timestamp: float


class KillSwitch:
    def __init__(self, settings: KillSwitchSettings, clock: Callable[[], float] = time.time):
        self.settings = settings
        self._clock = clock
        self.start_equity: Optional[Decimal] = None
        self.trip: Optional[KillSwitchTrip] = None
        self._outcomes: Deque[bool] = deque(maxlen=settings.kill_switch_error_window)  # True = failed

    @property
    def tripped(self) -> bool:
        return self.trip is not None

    def update_settings(self, settings: KillSwitchSettings) -> None:
        if settings.kill_switch_error_window != self._outcomes.maxlen:
            self._outcomes = deque(self._outcomes, maxlen=settings.kill_switch_error_window)
        self.settings = settings

    def start(self, equity: Decimal) -> None:
        if self.start_equity is None:
            self.start_equity = equity

    def record_order_outcome(self, failed: bool) -> None:
        self._outcomes.append(failed)

    @property
    def error_rate(self) -> Optional[Decimal]:
        if not self._outcomes:
            return None
        return Decimal(sum(self._outcomes)) / len(self._outcomes)

    def drawdown(self, equity: Optional[Decimal]) -> Optional[Decimal]:
        if equity is None or self.start_equity is None:
            return None
        return max(ZERO, self.start_equity - equity)

    def check(self, equity: Optional[Decimal], position: Decimal,
              seconds_since_book_update: Optional[float]) -> Optional[KillSwitchTrip]:
        """Evaluates every armed trigger; the first that fires trips the switch (once) and is returned."""
        if self.trip is not None:
            return self.trip
        reason = (self._check_drawdown(equity) or self._check_position(position)
                  or self._check_book(seconds_since_book_update) or self._check_errors())
        if reason is not None:
            self.trip = KillSwitchTrip(reason[0], reason[1], self._clock())
        return self.trip

    def _check_drawdown(self, equity: Optional[Decimal]) -> Optional[Tuple[str, str]]:
        start = self.start_equity
        drawdown = self.drawdown(equity)
        if start is None or drawdown is None or drawdown <= 0:
            return None
        limit_quote = self.settings.kill_switch_max_drawdown_quote
        if limit_quote > 0 and drawdown >= limit_quote:
            return "max_drawdown", (f"max drawdown: equity {equity:.4f} is {drawdown:.4f} below its start "
                                    f"{start:.4f} (limit {limit_quote})")
        limit_pct = self.settings.kill_switch_max_drawdown_pct
        if limit_pct > 0 and start > 0 and drawdown / start * 100 >= limit_pct:
            return "max_drawdown", (f"max drawdown: equity {equity:.4f} is {drawdown / start * 100:.3f} % "
                                    f"below its start {start:.4f} (limit {limit_pct} %)")
        return None

    def _check_position(self, position: Decimal) -> Optional[Tuple[str, str]]:
        limit = self.settings.kill_switch_max_position
        if limit > 0 and abs(position) > limit:
            return "max_position", f"max position: |{position}| exceeds {limit}"
        return None

    def _check_book(self, seconds_since_book_update: Optional[float]) -> Optional[Tuple[str, str]]:
        limit = self.settings.kill_switch_stale_book_seconds
        if limit > 0 and seconds_since_book_update is not None and seconds_since_book_update >= limit:
            return "stale_book", (f"stale book: no order book update for {seconds_since_book_update:.1f} s "
                                  f"(limit {limit} s)")
        return None

    def _check_errors(self) -> Optional[Tuple[str, str]]:
        limit = self.settings.kill_switch_max_error_rate
        minimum = max(2, self.settings.kill_switch_error_window // 2)
        rate = self.error_rate
        if limit <= 0 or rate is None or len(self._outcomes) < minimum:
            return None
        if rate >= limit:
            return "error_rate", (f"order error rate: {sum(self._outcomes)} of the last {len(self._outcomes)} orders "
                                  f"failed ({rate:.0%}, limit {limit:.0%})")
        return None

    def describe(self) -> str:
        armed = []
        s = self.settings
        if s.kill_switch_max_drawdown_quote > 0:
            armed.append(f"drawdown {s.kill_switch_max_drawdown_quote}")
        if s.kill_switch_max_drawdown_pct > 0:
            armed.append(f"drawdown {s.kill_switch_max_drawdown_pct} %")
        if s.kill_switch_max_position > 0:
            armed.append(f"position {s.kill_switch_max_position}")
        if s.kill_switch_stale_book_seconds > 0:
            armed.append(f"stale book {s.kill_switch_stale_book_seconds} s")
        if s.kill_switch_max_error_rate > 0:
            armed.append(f"error rate {s.kill_switch_max_error_rate:.0%} of {s.kill_switch_error_window}")
        if not armed:
            return "kill switch: off"
        state = f"TRIPPED: {self.trip.reason}" if self.trip else "armed"
        return f"kill switch ({', '.join(armed)}{', flatten' if s.kill_switch_flatten else ''}): {state}"
