"""Backoff, the order-entry circuit breaker, query retries and the order-path metrics."""
import asyncio
import random
import unittest
from unittest.mock import patch

import aiohttp

from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import (
    GrvtPerpetualAPIError,
    GrvtRpcNotSent,
    GrvtRpcOutcomeUnknown,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_health import (
    Backoff,
    CircuitBreaker,
    is_outcome_unknown,
    is_transient,
    retry_query,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import GrvtMessageError
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_metrics import GrvtOrderMetrics, percentiles


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class BackoffTests(unittest.TestCase):
    def test_delays_grow_with_jitter_up_to_the_maximum_and_reset(self):
        backoff = Backoff(initial=0.5, maximum=4.0, rng=random.Random(7))
        delays = [backoff.next_delay() for _ in range(8)]
        caps = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0]
        for delay, cap in zip(delays, caps):
            self.assertTrue(cap / 2 <= delay <= cap, (delay, cap))
        self.assertEqual(8, backoff.attempts)
        backoff.reset()
        self.assertLessEqual(backoff.next_delay(), 0.5)

    def test_a_night_long_outage_keeps_the_delay_at_the_maximum(self):
        backoff = Backoff(initial=0.25, maximum=15.0, rng=random.Random(3))
        delays = [backoff.next_delay() for _ in range(3000)]  # beyond 2 ** 1024, which no float holds
        self.assertTrue(all(7.5 <= delay <= 15.0 for delay in delays[-100:]))

    def test_two_bots_do_not_reconnect_in_lockstep(self):
        first, second = Backoff(rng=random.Random(1)), Backoff(rng=random.Random(2))
        self.assertNotEqual([first.next_delay() for _ in range(3)], [second.next_delay() for _ in range(3)])


class CircuitBreakerTests(unittest.TestCase):
    def setUp(self):
        self.clock = FakeClock()
        self.breaker = CircuitBreaker(failure_threshold=3, cooldown_seconds=5, max_cooldown_seconds=20,
                                      clock=self.clock)

    def test_opens_after_consecutive_failures_and_a_success_resets_the_count(self):
        self.breaker.record_failure("503")
        self.breaker.record_failure("503")
        self.breaker.record_success()
        self.breaker.record_failure("503")
        self.breaker.record_failure("503")
        self.assertTrue(self.breaker.allow_request())
        self.breaker.record_failure("timeout")
        self.assertTrue(self.breaker.is_open)
        self.assertFalse(self.breaker.allow_request())
        self.assertEqual("timeout", self.breaker.last_failure)
        self.assertEqual(5, self.breaker.seconds_until_retry)

    def test_half_open_lets_one_order_test_the_exchange(self):
        for _ in range(3):
            self.breaker.record_failure("503")
        self.clock.now += 5
        self.assertTrue(self.breaker.allow_request())  # the probe
        self.assertFalse(self.breaker.allow_request())  # nothing else while it is out
        self.breaker.record_success()
        self.assertFalse(self.breaker.is_open)
        self.assertTrue(self.breaker.allow_request())

    def test_a_failed_probe_reopens_for_longer_up_to_the_maximum(self):
        for _ in range(3):
            self.breaker.record_failure("503")
        for expected in (10, 20, 20):
            self.clock.now += self.breaker.seconds_until_retry
            self.assertTrue(self.breaker.allow_request())
            self.breaker.record_failure("503 again")
            self.assertEqual(expected, self.breaker.seconds_until_retry)


class ErrorClassificationTests(unittest.TestCase):
    def test_transient_and_unknown_outcomes(self):
        internal = GrvtPerpetualAPIError(1002, "Internal Server Error", 500)
        unavailable = GrvtPerpetualAPIError(1009, "deactivated", 503)
        rate_limited = GrvtPerpetualAPIError(1006, "rate limit", 429)
        rejected = GrvtPerpetualAPIError(2062, "size", 400)
        unreadable = GrvtPerpetualAPIError(None, "unexpected answer '{}'", 200)
        refused = aiohttp.ClientConnectorError(unittest.mock.MagicMock(), OSError(111, "refused"))
        cases = [
            (internal, True, True), (unavailable, True, False), (rate_limited, True, False),
            (rejected, False, False), (unreadable, True, True), (asyncio.TimeoutError(), True, True),
            (GrvtRpcOutcomeUnknown("no reply"), True, True), (GrvtRpcNotSent("down"), True, False),
            (GrvtMessageError("bad"), True, True), (refused, True, False), (ValueError("bug"), False, False),
        ]
        for error, transient, unknown in cases:
            with self.subTest(error=error):
                self.assertEqual(transient, is_transient(error))
                self.assertEqual(unknown, is_outcome_unknown(error))


class RetryQueryTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.sleeps = []

        async def no_sleep(delay):
            self.sleeps.append(delay)

        patcher = patch("hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_health.asyncio.sleep",
                        new=no_sleep)
        patcher.start()
        self.addCleanup(patcher.stop)

    async def test_transient_failures_are_retried_until_an_answer(self):
        answers = [GrvtPerpetualAPIError(None, "unexpected answer '{}'", 200),
                   GrvtPerpetualAPIError(1002, "internal", 500), "positions"]
        retried = []

        async def request():
            answer = answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer

        self.assertEqual("positions", await retry_query(request, "positions", attempts=4, on_retry=retried.append))
        self.assertEqual(2, len(retried))
        self.assertEqual(2, len(self.sleeps))

    async def test_rate_limits_wait_at_least_a_second_and_the_last_failure_is_raised(self):
        async def request():
            raise GrvtPerpetualAPIError(1006, "rate limit", 429)

        with self.assertRaises(GrvtPerpetualAPIError):
            await retry_query(request, "positions", attempts=3)
        self.assertEqual(2, len(self.sleeps))
        self.assertTrue(all(delay >= 1.0 for delay in self.sleeps))

    async def test_definite_answers_are_not_retried(self):
        calls = []

        async def request():
            calls.append(1)
            raise GrvtPerpetualAPIError(1004, "Data Not Found", 404)

        with self.assertRaises(GrvtPerpetualAPIError):
            await retry_query(request, "order", attempts=4)
        self.assertEqual([1], calls)


class OrderMetricsTests(unittest.TestCase):
    def test_stage_latencies_and_counters(self):
        clock = FakeClock()
        metrics = GrvtOrderMetrics(clock=clock)
        metrics.submitted("1")
        clock.now += 0.001
        metrics.sent("1", "websocket")
        clock.now += 0.002
        metrics.acknowledged("1")
        clock.now += 0.003
        metrics.opened("1")
        metrics.opened("1")  # a second report changes nothing
        metrics.sent("unknown", "rest")
        metrics.reconnects += 1

        latency = metrics.latency("1")
        self.assertEqual("websocket", latency.transport)
        summary = metrics.summary()
        self.assertAlmostEqual(1.0, summary["submit_to_send_ms"]["p50"])
        self.assertAlmostEqual(2.0, summary["send_to_ack_ms"]["p99"])
        self.assertAlmostEqual(3.0, summary["ack_to_open_ms"]["max"])
        self.assertEqual(1, summary["ack_to_open_ms"]["count"])
        self.assertEqual(1, summary["reconnects"])

    def test_memory_is_bounded(self):
        metrics = GrvtOrderMetrics()
        metrics.MAX_ORDERS = 10
        for order_id in range(25):
            metrics.submitted(str(order_id))
        self.assertIsNone(metrics.latency("0"))
        self.assertIsNotNone(metrics.latency("24"))

    def test_percentiles(self):
        self.assertEqual({"count": 0}, percentiles([]))
        stats = percentiles(range(1, 101))
        # nearest rank: p99 of 100 samples is the 99th, not the maximum
        self.assertEqual((100, 50, 90, 99, 100), (stats["count"], stats["p50"], stats["p90"], stats["p99"],
                                                  stats["max"]))
        self.assertEqual((2, 3, 3), tuple(percentiles([3, 1, 2])[key] for key in ("p50", "p90", "max")))
