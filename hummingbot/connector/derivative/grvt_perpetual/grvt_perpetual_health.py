"""Connection health: backoff with jitter, a circuit breaker for order entry, and retries of read-only queries."""
import asyncio
import logging
import random
import time
from typing import Awaitable, Callable, Optional, TypeVar, cast

import aiohttp

from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import (
    GrvtPerpetualAPIError,
    GrvtRpcOutcomeUnknown,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import GrvtMessageError
from hummingbot.logger import HummingbotLogger

T = TypeVar("T")
_logger = logging.getLogger(__name__)


class ClassLogger:
    """A `logger()` classmethod giving the logger named after the class, as Hummingbot's components have."""

    @classmethod
    def logger(cls) -> HummingbotLogger:
        return cast(HummingbotLogger, logging.getLogger(HummingbotLogger.logger_name_for_class(cls)))


def is_transient(error: BaseException) -> bool:
    """A failure worth retrying: the exchange or the network failed, not the request itself."""
    if isinstance(error, GrvtPerpetualAPIError):
        return error.is_retryable
    return isinstance(error, (asyncio.TimeoutError, aiohttp.ClientError, GrvtMessageError, ConnectionError))


def is_outcome_unknown(error: BaseException) -> bool:
    """The request may have been executed although it failed here (sent, but no readable answer came)."""
    if isinstance(error, GrvtPerpetualAPIError):
        return error.is_outcome_unknown
    if isinstance(error, aiohttp.ClientConnectorError):
        return False  # the connection was never made: nothing reached GRVT
    return isinstance(error, (asyncio.TimeoutError, GrvtRpcOutcomeUnknown, GrvtMessageError, aiohttp.ClientError))


def is_rate_limited(error: BaseException) -> bool:
    return isinstance(error, GrvtPerpetualAPIError) and error.is_rate_limited


class Backoff:
    """Exponential delays with jitter, so many bots reconnecting after one outage do not hit GRVT in lockstep."""

    def __init__(self, initial: float = 0.5, maximum: float = 30.0, rng: Optional[random.Random] = None):
        self._initial = initial
        self._maximum = maximum
        self._rng = rng or random.Random()
        self._attempt = 0

    @property
    def attempts(self) -> int:
        return self._attempt

    def next_delay(self) -> float:
        """Full jitter: uniform in [cap / 2, cap], cap doubling up to the maximum."""
        # the exponent is bounded: after ~1,024 failures in a row (hours of outage) 2 ** n no longer fits a float
        cap = min(self._maximum, self._initial * 2 ** min(self._attempt, 64))
        self._attempt += 1
        return self._rng.uniform(cap / 2, cap)

    def reset(self) -> None:
        self._attempt = 0


class CircuitBreaker:
    def __init__(self, failure_threshold: int = 5, cooldown_seconds: float = 5.0, max_cooldown_seconds: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        self._threshold = failure_threshold
        self._base_cooldown = cooldown_seconds
        self._max_cooldown = max_cooldown_seconds
        self._clock = clock
        self._consecutive_failures = 0
        self._cooldown = cooldown_seconds
        self._open_until: Optional[float] = None
        self._probe_in_flight = False
        self.last_failure: str = ""

    @property
    def is_open(self) -> bool:
        """True while new orders are refused (open, or half-open with the probe order still out)."""
        return self._open_until is not None and (self._clock() < self._open_until or self._probe_in_flight)

    @property
    def seconds_until_retry(self) -> float:
        return 0.0 if self._open_until is None else max(0.0, self._open_until - self._clock())

    def allow_request(self) -> bool:
        if self.is_open:
            return False
        if self._open_until is not None:
            self._probe_in_flight = True  # half-open: exactly one order tests the exchange
        return True

    def abandon_probe(self) -> None:
        """Forgets a probe whose answer will never be read (its create was cut off by a stop): the next order probes."""
        self._probe_in_flight = False

    def record_success(self) -> None:
        if self._open_until is not None:
            _logger.info("GRVT order entry recovered: new orders are accepted again.")
        self._consecutive_failures = 0
        self._cooldown = self._base_cooldown
        self._open_until = None
        self._probe_in_flight = False

    def record_failure(self, reason: str) -> None:
        self.last_failure = reason
        if self._probe_in_flight:
            self._probe_in_flight = False
            self._cooldown = min(self._max_cooldown, self._cooldown * 2)
            self._trip()
            return
        self._consecutive_failures += 1
        if self._open_until is None and self._consecutive_failures >= self._threshold:
            self._trip()

    def _trip(self) -> None:
        self._open_until = self._clock() + self._cooldown
        _logger.warning(
            f"GRVT order entry paused for {self._cooldown:.0f} s after {self._consecutive_failures} failures in a row "
            f"(last: {self.last_failure}); cancels still go out.")


async def retry_query(request: Callable[[], Awaitable[T]], what: str, attempts: int = 4,
                      on_retry: Optional[Callable[[BaseException], None]] = None) -> T:
    """Runs a read-only request or a cancel up to `attempts` times while it fails transiently (never a create: a second
    create may duplicate the first); the last attempt's failure is raised."""
    backoff = Backoff(initial=0.2, maximum=5.0)
    for attempt in range(1, attempts):
        try:
            return await request()
        except Exception as error:
            if not is_transient(error):
                raise
            if on_retry is not None:
                on_retry(error)
            delay = backoff.next_delay()
            if is_rate_limited(error):
                delay = max(delay, 1.0)
            _logger.debug(f"GRVT {what} failed ({error}); retry {attempt} in {delay:.2f} s.")
            await asyncio.sleep(delay)
    return await request()
