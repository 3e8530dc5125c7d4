import math
import random
import statistics
import unittest

from grvt_sandbox.market.config import PriceProcessConfig
from grvt_sandbox.market.price_process import MidPriceProcess, Regime, poisson_sample


def make_process(seed: int = 1, step_seconds: float = 0.2, **overrides) -> MidPriceProcess:
    params = dict(initial_price=80000.0)
    params.update(overrides)
    return MidPriceProcess(PriceProcessConfig(**params), step_seconds, random.Random(seed))


def path(process: MidPriceProcess, steps: int):
    mids = []
    for _ in range(steps):
        process.advance()
        mids.append(process.mid)
    return mids


class MidPriceProcessTests(unittest.TestCase):
    def test_same_seed_gives_the_same_path_and_another_seed_another(self):
        first = path(make_process(seed=11), 2000)
        second = path(make_process(seed=11), 2000)
        other = path(make_process(seed=12), 2000)
        self.assertEqual(first, second)
        self.assertNotEqual(first, other)

    def test_peeking_does_not_change_the_path(self):
        plain = path(make_process(seed=5), 500)
        peeked_process = make_process(seed=5)
        peeked = []
        for index in range(500):
            peeked_process.peek(1 + index % 7)
            peeked_process.advance()
            peeked.append(peeked_process.mid)
        self.assertEqual(plain, peeked)

    def test_peek_predicts_the_mid_after_that_many_steps(self):
        process = make_process(seed=3)
        process.advance()
        predicted = process.peek(10)
        path(process, 10)
        self.assertAlmostEqual(predicted, process.mid, places=6)

    def test_regimes_switch_with_the_configured_mean_durations(self):
        process = make_process(seed=21, calm_mean_duration_s=20.0, turbulent_mean_duration_s=5.0, jumps_per_hour=0.0)
        steps = [process.advance() for _ in range(100_000)]
        turbulent_share = sum(step.regime is Regime.TURBULENT for step in steps) / len(steps)
        expected = (process.regime_leave_probability(Regime.CALM)
                    / (process.regime_leave_probability(Regime.CALM)
                       + process.regime_leave_probability(Regime.TURBULENT)))
        self.assertAlmostEqual(expected, 0.2, delta=0.01)
        self.assertAlmostEqual(turbulent_share, expected, delta=0.04)

        spells = {Regime.CALM: [], Regime.TURBULENT: []}
        run_length = 1
        for before, after in zip(steps, steps[1:]):
            if before.regime is after.regime:
                run_length += 1
            else:
                spells[before.regime].append(run_length * process.step_seconds)
                run_length = 1
        self.assertAlmostEqual(statistics.mean(spells[Regime.CALM]), 20.0, delta=2.0)
        self.assertAlmostEqual(statistics.mean(spells[Regime.TURBULENT]), 5.0, delta=0.5)

    def test_each_regime_has_its_own_volatility(self):
        process = make_process(seed=8, calm_annual_vol=0.5, turbulent_annual_vol=1.5, calm_mean_duration_s=20.0,
                               turbulent_mean_duration_s=20.0, jumps_per_hour=0.0)
        returns = {Regime.CALM: [], Regime.TURBULENT: []}
        for _ in range(60_000):
            step = process.advance()
            self.assertEqual(0, step.jump_count)
            returns[step.regime].append(step.log_return)
        for regime, annual_vol in ((Regime.CALM, 0.5), (Regime.TURBULENT, 1.5)):
            expected = annual_vol * math.sqrt(0.2 / (365 * 24 * 3600))
            self.assertAlmostEqual(process.step_volatility(regime), expected)
            self.assertAlmostEqual(statistics.pstdev(returns[regime]) / expected, 1.0, delta=0.03)

    def test_jumps_arrive_at_the_configured_rate_with_the_configured_size(self):
        process = make_process(seed=4, jumps_per_hour=360.0, turbulent_jump_multiplier=1.0,
                               mean_jump_abs_return=0.004, calm_annual_vol=0.0, turbulent_annual_vol=0.0)
        steps = [process.advance() for _ in range(50_000)]
        jumps = sum(step.jump_count for step in steps)
        expected = 360.0 / 3600.0 * 0.2 * len(steps)
        self.assertAlmostEqual(jumps / expected, 1.0, delta=0.1)
        single_jumps = [step.jump_log_return for step in steps if step.jump_count == 1]
        self.assertAlmostEqual(statistics.mean(abs(size) for size in single_jumps) / 0.004, 1.0, delta=0.1)
        upward_share = sum(size > 0 for size in single_jumps) / len(single_jumps)
        self.assertAlmostEqual(upward_share, 0.5, delta=0.06)
        self.assertTrue(all(step.diffusion_log_return == 0.0 for step in steps))

    def test_turbulence_multiplies_the_jump_intensity(self):
        process = make_process(seed=9, jumps_per_hour=180.0, turbulent_jump_multiplier=4.0,
                               calm_mean_duration_s=10.0, turbulent_mean_duration_s=10.0)
        counts = {Regime.CALM: [0, 0], Regime.TURBULENT: [0, 0]}
        for _ in range(60_000):
            step = process.advance()
            counts[step.regime][0] += step.jump_count
            counts[step.regime][1] += 1
        calm_rate = counts[Regime.CALM][0] / counts[Regime.CALM][1]
        turbulent_rate = counts[Regime.TURBULENT][0] / counts[Regime.TURBULENT][1]
        self.assertAlmostEqual(turbulent_rate / calm_rate, 4.0, delta=0.8)

    def test_no_jumps_without_intensity(self):
        process = make_process(seed=2, jumps_per_hour=0.0)
        self.assertEqual(0, sum(process.advance().jump_count for _ in range(5000)))

    def test_set_mid_moves_the_level_and_keeps_the_drawn_future(self):
        process = make_process(seed=6)
        process.advance()
        ratio = process.peek(3) / process.mid
        process.set_mid(90000.0)
        self.assertEqual(90000.0, round(process.mid, 6))
        self.assertAlmostEqual(process.peek(3) / process.mid, ratio, places=12)

    def test_apply_jump_is_relative_and_must_keep_the_price_positive(self):
        process = make_process(seed=6)
        new_mid = process.apply_jump(-0.05)
        self.assertAlmostEqual(new_mid, 76000.0, places=6)
        with self.assertRaises(ValueError):
            process.apply_jump(-1.0)
        with self.assertRaises(ValueError):
            process.set_mid(0.0)

    def test_force_regime_takes_effect_for_the_following_steps(self):
        process = make_process(seed=6, turbulent_mean_duration_s=1e9)
        process.peek(20)
        process.force_regime(Regime.TURBULENT)
        self.assertIs(Regime.TURBULENT, process.regime)
        self.assertTrue(all(process.advance().regime is Regime.TURBULENT for _ in range(50)))

    def test_noise_has_the_configured_deviation_and_half_life_around_the_fair_value(self):
        process = make_process(seed=12, microstructure_noise_bps=3.0, noise_half_life_s=1.0, calm_annual_vol=0.0,
                               turbulent_annual_vol=0.0, jumps_per_hour=0.0)
        noises = []
        for _ in range(50_000):
            process.advance()
            self.assertAlmostEqual(process.mid, process.fair_value * math.exp(process.noise), places=6)
            noises.append(process.noise)
        self.assertAlmostEqual(process.fair_value, 80000.0, places=6)  # no diffusion, no jumps: fair stays put
        self.assertAlmostEqual(statistics.pstdev(noises) / 3e-4, 1.0, delta=0.05)
        lag = 5  # one half-life of 0.2 s steps
        autocorrelation = statistics.correlation(noises[:-lag], noises[lag:])
        self.assertAlmostEqual(autocorrelation, 0.5, delta=0.05)

    def test_noise_makes_short_moves_revert_around_the_fair_value(self):
        noisy = make_process(seed=13, microstructure_noise_bps=2.0, noise_half_life_s=0.2, jumps_per_hour=0.0)
        plain = make_process(seed=13, jumps_per_hour=0.0)
        noisy_mids, deviations = [], []
        for _ in range(20_000):
            noisy.advance()
            noisy_mids.append(noisy.mid)
            deviations.append(abs(math.log(noisy.mid / noisy.fair_value)))
        plain_mids = path(plain, 20_000)
        noisy_moves = [math.log(b / a) for a, b in zip(noisy_mids, noisy_mids[1:])]
        plain_moves = [math.log(b / a) for a, b in zip(plain_mids, plain_mids[1:])]
        self.assertLess(statistics.correlation(noisy_moves[:-1], noisy_moves[1:]), -0.2)
        self.assertAlmostEqual(statistics.correlation(plain_moves[:-1], plain_moves[1:]), 0.0, delta=0.03)
        self.assertLess(max(deviations), 6 * 2e-4)  # the mid never strays far from the fair value

    def test_without_noise_the_mid_is_the_fair_value(self):
        process = make_process(seed=14)
        path(process, 100)
        self.assertEqual(0.0, process.noise)
        self.assertAlmostEqual(process.mid, process.fair_value, places=6)

    def test_peeking_and_forcing_a_regime_keep_the_noise_path_consistent(self):
        plain = path(make_process(seed=15, microstructure_noise_bps=2.0), 300)
        peeked_process = make_process(seed=15, microstructure_noise_bps=2.0)
        predictions, peeked = [], []
        for _ in range(300):
            predictions.append(peeked_process.peek(3))
            peeked_process.advance()
            peeked.append(peeked_process.mid)
        self.assertEqual(plain, peeked)
        for index, predicted in enumerate(predictions[:-3]):
            self.assertAlmostEqual(predicted, peeked[index + 2], places=6)
        forced = make_process(seed=15, microstructure_noise_bps=2.0)
        path(forced, 10)
        forced.peek(5)
        noise_before = forced.noise
        forced.force_regime(Regime.TURBULENT)
        step = forced.advance()
        self.assertAlmostEqual(forced.noise, noise_before + step.noise_log_return, places=12)
        self.assertLess(abs(step.noise_log_return), 6 * 2e-4)

    def test_invalid_configuration_is_refused_with_a_clear_error(self):
        with self.assertRaisesRegex(ValueError, "initial_price"):
            PriceProcessConfig(initial_price=0.0)
        with self.assertRaisesRegex(ValueError, "volatilities"):
            PriceProcessConfig(initial_price=1.0, calm_annual_vol=-0.1)
        with self.assertRaisesRegex(ValueError, "durations"):
            PriceProcessConfig(initial_price=1.0, turbulent_mean_duration_s=0.0)
        with self.assertRaisesRegex(ValueError, "noise"):
            PriceProcessConfig(initial_price=1.0, microstructure_noise_bps=-1.0)
        with self.assertRaisesRegex(ValueError, "noise"):
            PriceProcessConfig(initial_price=1.0, noise_half_life_s=0.0)
        with self.assertRaisesRegex(ValueError, "step_seconds"):
            MidPriceProcess(PriceProcessConfig(initial_price=1.0), 0.0, random.Random(1))


class PoissonSampleTests(unittest.TestCase):
    def test_mean_and_variance_match_the_parameter(self):
        rng = random.Random(17)
        samples = [poisson_sample(rng, 2.5) for _ in range(40_000)]
        self.assertAlmostEqual(statistics.mean(samples), 2.5, delta=0.05)
        self.assertAlmostEqual(statistics.pvariance(samples), 2.5, delta=0.1)
        self.assertEqual(0, poisson_sample(rng, 0.0))
