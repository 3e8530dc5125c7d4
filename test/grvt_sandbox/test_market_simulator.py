import asyncio
import time
import unittest
from dataclasses import replace
from decimal import Decimal
from typing import Dict, List, Optional

from grvt_sandbox.market.config import (
    DEFAULT_SEED,
    LiquidityConfig,
    MarketConfig,
    PriceProcessConfig,
    default_instruments,
    default_market_config,
    generic_instrument_config,
    ladder_for_tick,
)
from grvt_sandbox.market.price_process import Regime
from grvt_sandbox.market.simulator import DEFAULT_MAKER_ACCOUNT_ID, DEFAULT_TAKER_ACCOUNT_ID, MarketSimulator
from grvt_sandbox.market.venue import InstrumentRules, TimeInForce, VenueOrder
from test.grvt_sandbox.test_market_fakes import FakeVenue, wait_for_steps

BTC = "BTC_USDT_Perp"
ETH = "ETH_USDT_Perp"
SOL = "SOL_USDT_Perp"
BOT = "bot"


def default_rules() -> Dict[str, InstrumentRules]:
    return {market.instrument: InstrumentRules(market.tick_size, market.min_size, market.min_notional)
            for market in default_instruments()}


def make_simulator(seed: int = 1, instruments=None, **overrides):
    venue = FakeVenue(default_rules())
    config = default_market_config(seed=seed, **overrides)
    if instruments is not None:
        config = replace(config, instruments=tuple(config.instrument(name) for name in instruments))
    return MarketSimulator(venue, config), venue


class MarketSimulatorTests(unittest.TestCase):
    def test_same_seed_replays_the_same_market_and_another_seed_does_not(self):
        first, first_venue = make_simulator(seed=42)
        second, second_venue = make_simulator(seed=42)
        other, other_venue = make_simulator(seed=43)
        for simulator in (first, second, other):
            simulator.step(300)
        self.assertEqual(first_venue.submitted, second_venue.submitted)
        self.assertEqual(first_venue.index_prices, second_venue.index_prices)
        self.assertEqual(first_venue.trades, second_venue.trades)
        self.assertNotEqual(first_venue.index_prices, other_venue.index_prices)

    def test_price_path_does_not_depend_on_the_other_components_settings(self):
        calm, _ = make_simulator(seed=7, instruments=[ETH])
        busy, _ = make_simulator(seed=7, instruments=[ETH])
        busy = MarketSimulator(FakeVenue(default_rules()), busy.config.with_informed_share(0.9))
        calm.step(200)
        busy.step(200)
        self.assertEqual(calm.mid(ETH), busy.mid(ETH))

    def test_each_step_publishes_the_index_and_keeps_a_two_sided_ladder_around_the_mid(self):
        simulator, venue = make_simulator(seed=3)
        simulator.prime()
        self.assertEqual({BTC: 1, ETH: 1, SOL: 1}, {name: len(prices) for name, prices in venue.index_prices.items()})
        for _ in range(50):
            simulator.step()
            for name in (BTC, ETH, SOL):
                mid = Decimal(str(simulator.mid(name)))
                self.assertAlmostEqual(venue.index_prices[name][-1], mid, delta=mid * Decimal("1e-9"))
                ladder = venue.open_orders(DEFAULT_MAKER_ACCOUNT_ID, name)
                self.assertTrue(any(o.order.is_buy and o.order.price < mid for o in ladder))
                self.assertTrue(any(not o.order.is_buy and o.order.price > mid for o in ladder))
        published = {name: len(prices) for name, prices in venue.index_prices.items()}
        self.assertEqual({BTC: 51, ETH: 51, SOL: 51}, published)
        self.assertEqual(50, simulator.stats(BTC).steps)

    def test_the_market_trades_by_itself_with_takers_against_the_ladder(self):
        simulator, venue = make_simulator(seed=5, instruments=[BTC])
        simulator.step(1500)
        stats = simulator.stats(BTC)
        taker_orders = [o for o in venue.submitted if o.account_id == DEFAULT_TAKER_ACCOUNT_ID]
        self.assertTrue(all(o.time_in_force is TimeInForce.IMMEDIATE_OR_CANCEL for o in taker_orders))
        self.assertEqual(stats.taker_orders, len(taker_orders))
        expected_arrivals = simulator.config.instrument(BTC).taker_flow.arrivals_per_second * 1500 * 0.2
        self.assertAlmostEqual(stats.taker_arrivals / expected_arrivals, 1.0, delta=0.15)
        self.assertGreater(stats.informed_orders, 0)
        taker_trades = [t for t in venue.trades if t.taker_account_id == DEFAULT_TAKER_ACCOUNT_ID]
        self.assertGreater(len(taker_trades), 200)
        self.assertTrue(all(t.maker_account_id == DEFAULT_MAKER_ACCOUNT_ID for t in taker_trades))
        self.assertGreater(stats.ladder_replenished, 0)
        self.assertEqual(0, stats.rejected_orders)

    def test_informed_takers_always_trade_at_prices_the_mid_soon_moves_through(self):
        simulator, venue = make_simulator(seed=9, instruments=[BTC])
        simulator = MarketSimulator(venue, simulator.config.with_informed_share(1.0))
        horizon = simulator.config.instrument(BTC).taker_flow.informed_horizon_steps
        mids: List[float] = []
        for step in range(1200):
            venue.clock_ns = step
            simulator.step()
            mids.append(simulator.mid(BTC))
        trades = [t for t in venue.trades
                  if t.taker_account_id == DEFAULT_TAKER_ACCOUNT_ID and t.step_time_ns + horizon < len(mids)]
        self.assertGreater(len(trades), 100)
        for trade in trades:
            future_mid = Decimal(str(mids[trade.step_time_ns + horizon]))
            if trade.taker_is_buy:
                self.assertLessEqual(trade.price, future_mid)
            else:
                self.assertGreaterEqual(trade.price, future_mid)

    def test_informed_flow_makes_passive_quotes_near_the_mid_lose_on_markout(self):
        def average_markout(informed_share: float) -> float:
            simulator, venue = make_simulator(seed=11, instruments=[ETH])
            simulator = MarketSimulator(venue, simulator.config.with_informed_share(informed_share))
            markouts = quote_near_mid_and_measure(simulator, venue, ETH, steps=1500, horizon=5)
            self.assertGreater(len(markouts), 100)
            return sum(markouts) / len(markouts)

        self.assertLess(average_markout(0.8), average_markout(0.0) - 0.05)

    def test_orders_resting_near_the_mid_are_mostly_filled_within_a_minute(self):
        fill_seconds = [seconds_to_fill_near_mid(name, seed, is_buy, requote_seconds=None)
                        for name in (BTC, ETH, SOL) for seed in range(8) for is_buy in (True, False)]
        filled = sorted(seconds for seconds in fill_seconds if seconds is not None)
        # a miss would be an order the fair value walked away from, as in any market
        self.assertGreaterEqual(len(filled) / len(fill_seconds), 0.95)
        self.assertLess(filled[len(filled) // 2], 3.0)

    def test_a_quote_kept_near_the_mid_is_always_filled_within_a_minute(self):
        for name in (BTC, ETH, SOL):
            for seed in range(4):
                for is_buy in (True, False):
                    self.assertIsNotNone(seconds_to_fill_near_mid(name, seed, is_buy, requote_seconds=10.0),
                                         f"{name} seed {seed} {'bid' if is_buy else 'ask'} not filled in a minute")

    def test_move_price_recentres_the_index_and_the_ladder_at_once(self):
        simulator, venue = make_simulator(seed=2, instruments=[BTC])
        simulator.step(5)
        simulator.move_price(BTC, 95000)
        self.assertEqual(Decimal("95000"), venue.index_prices[BTC][-1])
        best_bid, best_ask = venue.best_bid_ask(BTC)
        self.assertTrue(Decimal("94990") < best_bid < Decimal("95000") < best_ask < Decimal("95010"))
        simulator.step()
        self.assertAlmostEqual(simulator.mid(BTC), 95000, delta=200)

    def test_jump_moves_the_mid_relatively(self):
        simulator, venue = make_simulator(seed=2, instruments=[SOL])
        before = simulator.mid(SOL)
        after = simulator.jump(SOL, -0.1)
        self.assertAlmostEqual(after, before * 0.9)
        self.assertEqual(venue.index_prices[SOL][-1], Decimal(f"{after:.9f}").normalize())
        best_bid, best_ask = venue.best_bid_ask(SOL)
        self.assertLess(best_ask, Decimal(str(before)))

    def test_set_regime_turns_the_market_turbulent(self):
        simulator, _ = make_simulator(seed=2, instruments=[BTC])
        simulator.set_regime(BTC, Regime.TURBULENT)
        simulator.step(5)
        self.assertIs(Regime.TURBULENT, simulator.market(BTC).process.regime)

    def test_unknown_instrument_is_a_clear_error(self):
        simulator, _ = make_simulator(seed=2, instruments=[BTC])
        with self.assertRaisesRegex(KeyError, "DOGE_USDT_Perp.*BTC_USDT_Perp"):
            simulator.move_price("DOGE_USDT_Perp", 1.0)
        with self.assertRaisesRegex(KeyError, "unknown instrument"):
            simulator.config.instrument("DOGE_USDT_Perp")

    def test_rejected_taker_orders_are_counted_and_the_market_goes_on(self):
        simulator, venue = make_simulator(seed=2, instruments=[BTC])
        venue.reject_accounts.add(DEFAULT_TAKER_ACCOUNT_ID)
        simulator.step(200)
        stats = simulator.stats(BTC)
        self.assertGreater(stats.rejected_orders, 0)
        self.assertEqual(0, stats.taker_orders)
        self.assertEqual(200, stats.steps)

    def test_ladder_keeps_its_price_distances_on_a_venue_with_a_finer_tick(self):
        rules = default_rules()
        rules[BTC] = InstrumentRules(Decimal("0.01"), Decimal("0.001"), Decimal("100"))
        venue = FakeVenue(rules)
        config = replace(default_market_config(seed=1), instruments=(default_market_config().instrument(BTC),))
        simulator = MarketSimulator(venue, config)
        simulator.prime()
        prices = sorted(o.order.price for o in venue.open_orders(DEFAULT_MAKER_ACCOUNT_ID, BTC) if o.order.is_buy)
        self.assertEqual({Decimal("2.5")}, {high - low for low, high in zip(prices, prices[1:])})

    def test_ladder_for_tick_converts_the_geometry(self):
        ladder = LiquidityConfig(level_size=Decimal("1"), first_level_ticks=3, level_spacing_ticks=10)
        self.assertIs(ladder, ladder_for_tick(ladder, Decimal("0.01"), Decimal("0.01")))
        finer = ladder_for_tick(ladder, Decimal("0.01"), Decimal("0.001"))
        self.assertEqual((30, 100), (finer.first_level_ticks, finer.level_spacing_ticks))
        coarser = ladder_for_tick(ladder, Decimal("0.01"), Decimal("0.1"))
        self.assertEqual((1, 1), (coarser.first_level_ticks, coarser.level_spacing_ticks))

    def test_generic_config_scales_an_unknown_instrument_to_its_price(self):
        config = generic_instrument_config("ARB_USDT_Perp", Decimal("0.8"), Decimal("0.0001"), Decimal("1"))
        self.assertEqual(0.8, config.price.initial_price)
        self.assertEqual(1, config.liquidity.level_spacing_ticks)  # 1 bp of 0.8 is below one tick
        self.assertEqual(Decimal("6250"), config.liquidity.level_size)  # about 5,000 USDT
        self.assertEqual(Decimal("1250"), config.taker_flow.median_size)  # about 1,000 USDT
        btc_like = generic_instrument_config("X_USDT_Perp", Decimal("90000"), Decimal("0.1"), Decimal("0.001"))
        self.assertEqual(90, btc_like.liquidity.level_spacing_ticks)
        self.assertEqual(45, btc_like.liquidity.first_level_ticks)
        self.assertEqual(Decimal("0.011"), btc_like.taker_flow.median_size)

    def test_default_seed_when_none_is_given(self):
        self.assertEqual(DEFAULT_SEED, default_market_config(seed=None).seed)
        self.assertEqual(DEFAULT_SEED, MarketConfig().seed)
        self.assertEqual(5, default_market_config(seed=5).seed)

    def test_config_refuses_duplicates_and_bad_steps(self):
        btc = default_market_config().instrument(BTC)
        with self.assertRaisesRegex(ValueError, "duplicate"):
            MarketConfig(instruments=(btc, btc))
        with self.assertRaisesRegex(ValueError, "step_seconds"):
            MarketConfig(step_seconds=0)
        with self.assertRaisesRegex(ValueError, "uint64"):
            MarketConfig(maker_account_id="liquidity")
        with self.assertRaisesRegex(ValueError, "initial_price"):
            replace(btc, price=PriceProcessConfig(initial_price=-1.0))


class MarketSimulatorRealTimeTests(unittest.TestCase):
    def test_start_steps_every_instrument_until_stop_withdraws_the_ladder(self):
        async def scenario():
            simulator, venue = make_simulator(seed=4, step_seconds=0.005)
            simulator.start()
            simulator.start()  # idempotent
            self.assertTrue(simulator.is_running)
            await wait_for_steps(simulator, (BTC, ETH, SOL), more_than=3)
            await simulator.stop()
            return simulator, venue

        simulator, venue = asyncio.run(scenario())
        self.assertFalse(simulator.is_running)
        for name in (BTC, ETH, SOL):
            self.assertGreater(simulator.stats(name).steps, 3)
            self.assertEqual([], venue.open_order_ids(DEFAULT_MAKER_ACCOUNT_ID, name))

    def test_a_clock_jump_does_not_make_the_market_burst_through_the_missed_steps(self):
        class WallClockVenue(FakeVenue):
            offset_ns = 0

            def now_ns(self):
                return time.time_ns() + self.offset_ns

        async def scenario():
            venue = WallClockVenue(default_rules())
            config = replace(default_market_config(seed=4, step_seconds=0.01),
                             instruments=(default_market_config().instrument(ETH),))
            simulator = MarketSimulator(venue, config)
            simulator.start()
            await asyncio.sleep(0.05)
            venue.offset_ns += 3600 * 10 ** 9
            steps_before = simulator.stats(ETH).steps
            await asyncio.sleep(0.1)
            steps_during = simulator.stats(ETH).steps - steps_before
            await simulator.stop()
            return steps_during

        self.assertLess(asyncio.run(scenario()), 30)

    def test_a_failing_step_does_not_stop_the_market(self):
        class FlakyVenue(FakeVenue):
            failures = 3

            def set_index_price(self, instrument, price):
                if self.failures > 0:
                    self.failures -= 1
                    raise RuntimeError("boom")
                super().set_index_price(instrument, price)

        async def scenario():
            venue = FlakyVenue(default_rules())
            config = replace(default_market_config(seed=4, step_seconds=0.005),
                             instruments=(default_market_config().instrument(ETH),))
            simulator = MarketSimulator(venue, config)
            simulator._markets[ETH]._primed = True  # skip priming, so the failures hit the running loop
            with self.assertLogs("grvt_sandbox.market.simulator", level="ERROR"):
                simulator.start()
                await wait_for_steps(simulator, (ETH,), more_than=5)
            await simulator.stop()
            return simulator

        simulator = asyncio.run(scenario())
        self.assertGreater(simulator.stats(ETH).steps, 5)


def seconds_to_fill_near_mid(name: str, seed: int, is_buy: bool, requote_seconds: Optional[float]) -> Optional[float]:
    """Rests a small order a couple of ticks from the mid (re-placed there every `requote_seconds` when given) and
    returns the simulated seconds until it first trades, or None when that takes more than a minute."""
    simulator, venue = make_simulator(seed=seed, instruments=[name])
    simulator.step(5)
    market = simulator.config.instrument(name)
    step_seconds = simulator.config.step_seconds
    requote_steps = int(requote_seconds / step_seconds) if requote_seconds else None
    offset = market.tick_size * (5 if name == SOL else 2)
    for step in range(int(60 / step_seconds)):
        if step == 0 or (requote_steps and step % requote_steps == 0):
            venue.cancel_all(BOT, name)
            mid = Decimal(str(simulator.mid(name)))
            price = (mid - offset if is_buy else mid + offset).quantize(market.tick_size)
            size = max(market.min_size, (market.min_notional / price).quantize(market.min_size) * 2)
            venue.submit(VenueOrder(BOT, name, is_buy, price, size, TimeInForce.GOOD_TILL_TIME))
        simulator.step()
        if any(trade.maker_account_id == BOT for trade in venue.trades):
            return (step + 1) * step_seconds
    return None


def quote_near_mid_and_measure(simulator: MarketSimulator, venue: FakeVenue, name: str, steps: int,
                               horizon: int) -> List[float]:
    """A naive market maker quoting one tick around the mid, re-quoted every step; returns the markout of each of
    its fills (mid `horizon` steps later minus the fill price, signed by the maker's side), per unit."""
    market = simulator.config.instrument(name)
    tick = market.tick_size
    simulator.prime()
    mids: List[float] = []
    for step in range(steps):
        venue.clock_ns = step
        venue.cancel_all(BOT, name)
        mid = Decimal(str(simulator.mid(name)))
        size = Decimal("0.1")
        venue.submit(VenueOrder(BOT, name, True, (mid - tick).quantize(tick), size, TimeInForce.GOOD_TILL_TIME))
        venue.submit(VenueOrder(BOT, name, False, (mid + tick).quantize(tick), size, TimeInForce.GOOD_TILL_TIME))
        simulator.step()
        mids.append(simulator.mid(name))
    markouts = []
    for trade in venue.trades:
        if trade.maker_account_id != BOT or trade.step_time_ns + horizon >= len(mids):
            continue
        future_mid = mids[trade.step_time_ns + horizon]
        maker_bought = not trade.taker_is_buy
        markouts.append((future_mid - float(trade.price)) if maker_bought else (float(trade.price) - future_mid))
    return markouts
