import random
import statistics
import unittest
from decimal import Decimal

from grvt_sandbox.market.config import TakerFlowConfig
from grvt_sandbox.market.taker_flow import TakerFlow
from grvt_sandbox.market.venue import InstrumentRules

RULES = InstrumentRules(tick_size=Decimal("0.01"), min_size=Decimal("0.01"), min_notional=Decimal("100"))
MID = 3000.0
BEST_BID = Decimal("2999.50")
BEST_ASK = Decimal("3000.50")


def make_flow(seed: int = 1, step_seconds: float = 0.2, **overrides) -> TakerFlow:
    params = dict(median_size=Decimal("0.3"), max_size=Decimal("5"), arrivals_per_second=1.0, informed_share=0.2)
    params.update(overrides)
    return TakerFlow(TakerFlowConfig(**params), RULES, step_seconds, random.Random(seed))


class TakerFlowTests(unittest.TestCase):
    def test_arrivals_are_poisson_with_the_configured_rate(self):
        flow = make_flow(seed=2, arrivals_per_second=2.0, step_seconds=0.25)
        counts = [flow.draw(MID, MID + 5, BEST_BID, BEST_ASK).arrivals for _ in range(20_000)]
        mean = statistics.mean(counts)
        self.assertAlmostEqual(mean, 0.5, delta=0.02)
        # Poisson: variance equals the mean (a fixed count per step would have none)
        self.assertAlmostEqual(statistics.pvariance(counts) / mean, 1.0, delta=0.06)

    def test_informed_share_of_arrivals_matches_the_configuration(self):
        flow = make_flow(seed=3, informed_share=0.3, arrivals_per_second=5.0)
        informed = total = 0
        for _ in range(10_000):
            draw = flow.draw(MID, MID + 10, BEST_BID, BEST_ASK)
            informed += sum(intent.informed for intent in draw.intents)
            total += len(draw.intents)
        self.assertAlmostEqual(informed / total, 0.3, delta=0.02)

    def test_informed_takers_trade_in_the_direction_of_the_next_move_up_to_the_future_mid(self):
        flow = make_flow(seed=4, informed_share=1.0, arrivals_per_second=10.0)
        rng = random.Random(5)
        checked = 0
        for _ in range(2000):
            future = MID + rng.choice((-1, 1)) * rng.uniform(0.6, 20.0)
            for intent in flow.draw(MID, future, BEST_BID, BEST_ASK).intents:
                self.assertTrue(intent.informed)
                self.assertEqual(future > MID, intent.is_buy)
                if intent.is_buy:
                    self.assertLessEqual(intent.limit_price, Decimal(str(future)))
                    self.assertGreaterEqual(intent.limit_price, BEST_ASK)
                else:
                    self.assertGreaterEqual(intent.limit_price, Decimal(str(future)))
                    self.assertLessEqual(intent.limit_price, BEST_BID)
                checked += 1
        self.assertGreater(checked, 3000)

    def test_informed_takers_skip_moves_too_small_to_beat_the_spread(self):
        flow = make_flow(seed=6, informed_share=1.0, arrivals_per_second=10.0)
        skipped = 0
        for _ in range(500):
            draw = flow.draw(MID, MID + 0.2, BEST_BID, BEST_ASK)
            self.assertEqual([], draw.intents)
            skipped += draw.informed_skipped
        self.assertGreater(skipped, 500)
        self.assertEqual([], flow.draw(MID, MID + 10, BEST_BID, None).intents)

    def test_uninformed_takers_pick_both_sides_with_a_bounded_aggressive_limit(self):
        flow = make_flow(seed=7, informed_share=0.0, arrivals_per_second=5.0, max_slippage_bps=20.0)
        intents = [intent for _ in range(4000) for intent in flow.draw(MID, MID + 10, BEST_BID, BEST_ASK).intents]
        buys = [intent for intent in intents if intent.is_buy]
        self.assertAlmostEqual(len(buys) / len(intents), 0.5, delta=0.03)
        for intent in intents:
            self.assertFalse(intent.informed)
            expected = Decimal("3006.00") if intent.is_buy else Decimal("2994.00")
            self.assertEqual(expected, intent.limit_price)

    def test_sizes_follow_the_configured_distribution_on_the_size_grid(self):
        flow = make_flow(seed=8, informed_share=0.0, arrivals_per_second=5.0, median_size=Decimal("0.3"),
                         max_size=Decimal("2"), size_dispersion=0.8)
        sizes = [intent.size for _ in range(5000) for intent in flow.draw(MID, MID, BEST_BID, BEST_ASK).intents]
        minimum = Decimal("0.04")  # 100 USDT of notional at 3000
        for size in sizes:
            self.assertEqual(0, size % RULES.min_size)
            self.assertGreaterEqual(size, minimum)
            self.assertLessEqual(size, Decimal("2"))
        self.assertAlmostEqual(float(statistics.median(sizes)), 0.3, delta=0.03)
        self.assertIn(Decimal("2"), sizes)
        self.assertIn(minimum, sizes)

    def test_a_sweep_share_of_arrivals_is_several_times_the_usual_size(self):
        flow = make_flow(seed=11, informed_share=0.0, arrivals_per_second=5.0, median_size=Decimal("0.3"),
                         max_size=Decimal("100"), size_dispersion=0.3, sweep_share=0.1, sweep_size_multiple=20.0)
        sizes = [float(intent.size) for _ in range(5000) for intent in flow.draw(MID, MID, BEST_BID, BEST_ASK).intents]
        sweeps = [size for size in sizes if size > 2.0]  # far beyond the ordinary sizes, short of the sweeps
        self.assertAlmostEqual(len(sweeps) / len(sizes), 0.1, delta=0.015)
        self.assertAlmostEqual(statistics.median(sweeps), 6.0, delta=0.5)
        self.assertAlmostEqual(statistics.median(sizes), 0.3, delta=0.05)
        ordinary = make_flow(seed=11, informed_share=0.0, arrivals_per_second=5.0, max_size=Decimal("100"),
                             size_dispersion=0.3)
        plain = [float(intent.size)
                 for _ in range(2000) for intent in ordinary.draw(MID, MID, BEST_BID, BEST_ASK).intents]
        self.assertLess(max(plain), 2.0)

    def test_uninformed_flow_leans_into_the_noise_move_and_trades_more_on_big_moves(self):
        flow = make_flow(seed=12, informed_share=0.0, arrivals_per_second=5.0, noise_flow_coupling=1.5,
                         noise_volume_coupling=2.0)

        def side_and_count(noise_move: float):
            draws = [flow.draw(MID, MID, BEST_BID, BEST_ASK, noise_move=noise_move) for _ in range(4000)]
            intents = [intent for draw in draws for intent in draw.intents]
            return sum(intent.is_buy for intent in intents) / len(intents), statistics.mean(d.arrivals for d in draws)

        buy_share_on_dip, arrivals_on_dip = side_and_count(-2.0)
        buy_share_flat, arrivals_flat = side_and_count(0.0)
        buy_share_on_rise, arrivals_on_rise = side_and_count(2.0)
        self.assertLess(buy_share_on_dip, 0.02)  # a dip comes with sellers
        self.assertGreater(buy_share_on_rise, 0.98)
        self.assertAlmostEqual(buy_share_flat, 0.5, delta=0.03)
        self.assertAlmostEqual(arrivals_on_dip / arrivals_flat, 9.0, delta=1.0)  # (1 + 2 * 2^2) / (1 + 2 * 0)
        self.assertAlmostEqual(arrivals_on_rise, arrivals_on_dip, delta=0.15)

        # averaged over standard normal moves, the arrival rate is the configured one
        rng = random.Random(5)
        counts = [flow.draw(MID, MID, BEST_BID, BEST_ASK, noise_move=rng.gauss(0.0, 1.0)).arrivals
                  for _ in range(40_000)]
        self.assertAlmostEqual(statistics.mean(counts), 1.0, delta=0.03)

    def test_without_coupling_the_noise_move_changes_nothing(self):
        flow_a, flow_b = make_flow(seed=13), make_flow(seed=13)
        draws_a = [flow_a.draw(MID, MID + 3, BEST_BID, BEST_ASK, noise_move=3.0).intents for _ in range(500)]
        draws_b = [flow_b.draw(MID, MID + 3, BEST_BID, BEST_ASK).intents for _ in range(500)]
        self.assertEqual(draws_a, draws_b)

    def test_same_seed_same_flow(self):
        flow_a, flow_b, flow_c = make_flow(seed=9), make_flow(seed=9), make_flow(seed=10)
        draws_a = [flow_a.draw(MID, MID + 3, BEST_BID, BEST_ASK).intents for _ in range(500)]
        draws_b = [flow_b.draw(MID, MID + 3, BEST_BID, BEST_ASK).intents for _ in range(500)]
        draws_c = [flow_c.draw(MID, MID + 3, BEST_BID, BEST_ASK).intents for _ in range(500)]
        self.assertEqual(draws_a, draws_b)
        self.assertNotEqual(draws_a, draws_c)

    def test_invalid_configuration_is_refused(self):
        with self.assertRaisesRegex(ValueError, "informed_share"):
            make_flow(informed_share=1.5)
        with self.assertRaisesRegex(ValueError, "median_size"):
            make_flow(median_size=Decimal("3"), max_size=Decimal("1"))
        with self.assertRaisesRegex(ValueError, "arrivals_per_second"):
            make_flow(arrivals_per_second=-1.0)
        with self.assertRaisesRegex(ValueError, "sweep_share"):
            make_flow(sweep_share=1.5)
        with self.assertRaisesRegex(ValueError, "sweep_size_multiple"):
            make_flow(sweep_size_multiple=0.5)
        with self.assertRaisesRegex(ValueError, "coupling"):
            make_flow(noise_volume_coupling=-1.0)
