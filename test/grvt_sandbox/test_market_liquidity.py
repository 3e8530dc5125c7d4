import random
import unittest
from decimal import Decimal

from grvt_sandbox.market.config import LiquidityConfig
from grvt_sandbox.market.liquidity import LiquidityLadder
from grvt_sandbox.market.venue import InstrumentRules, TimeInForce
from test.grvt_sandbox.test_market_fakes import FakeVenue

INSTRUMENT = "BTC_USDT_Perp"
RULES = InstrumentRules(tick_size=Decimal("0.1"), min_size=Decimal("0.001"), min_notional=Decimal("100"))
ACCOUNT = "liquidity"


def make_ladder(venue: FakeVenue, **overrides) -> LiquidityLadder:
    params = dict(level_size=Decimal("0.05"), levels_per_side=5, first_level_ticks=5, level_spacing_ticks=20)
    params.update(overrides)
    return LiquidityLadder(venue, ACCOUNT, INSTRUMENT, LiquidityConfig(**params), RULES, random.Random(3))


def resting_prices(venue: FakeVenue, is_buy: bool):
    return sorted((o.order.price for o in venue.open_orders(ACCOUNT, INSTRUMENT) if o.order.is_buy == is_buy),
                  reverse=is_buy)


class LiquidityLadderTests(unittest.TestCase):
    def setUp(self):
        self.venue = FakeVenue({INSTRUMENT: RULES})

    def test_ladder_rests_levels_on_both_sides_of_the_mid_on_the_spacing_grid(self):
        ladder = make_ladder(self.venue)
        change = ladder.refresh(80000.03)
        self.assertEqual(10, change.placed)
        bids = resting_prices(self.venue, is_buy=True)
        asks = resting_prices(self.venue, is_buy=False)
        self.assertEqual([Decimal("79998.0"), Decimal("79996.0"), Decimal("79994.0"), Decimal("79992.0"),
                          Decimal("79990.0")], bids)
        self.assertEqual([Decimal("80002.0"), Decimal("80004.0"), Decimal("80006.0"), Decimal("80008.0"),
                          Decimal("80010.0")], asks)
        for order in self.venue.submitted:
            self.assertIs(TimeInForce.GOOD_TILL_TIME, order.time_in_force)
            self.assertEqual(ACCOUNT, order.account_id)

    def test_innermost_levels_keep_at_least_the_configured_distance_from_the_mid(self):
        ladder = make_ladder(self.venue)
        rng = random.Random(1)
        for _ in range(200):
            mid = 80000 + rng.uniform(-50, 50)
            bids, asks = ladder.desired_levels(mid)
            mid_ticks = mid / 0.1
            self.assertGreaterEqual(mid_ticks - bids[0], 5 - 1e-6)
            self.assertLess(mid_ticks - bids[0], 5 + 20)
            self.assertGreaterEqual(asks[0] - mid_ticks, 5 - 1e-6)
            self.assertLess(asks[0] - mid_ticks, 5 + 20)

    def test_a_move_inside_the_grid_cell_changes_nothing(self):
        ladder = make_ladder(self.venue)
        ladder.refresh(80000.03)
        submitted = len(self.venue.submitted)
        change = ladder.refresh(80000.45)
        self.assertEqual((0, 0), (change.placed, change.cancelled))
        self.assertEqual(submitted, len(self.venue.submitted))

    def test_a_move_of_one_spacing_replaces_only_the_edge_levels(self):
        ladder = make_ladder(self.venue)
        ladder.refresh(80000.03)
        before = set(self.venue.open_order_ids(ACCOUNT, INSTRUMENT))
        change = ladder.refresh(80002.03)
        self.assertEqual(2, change.cancelled)
        self.assertEqual(2, change.placed)
        after = set(self.venue.open_order_ids(ACCOUNT, INSTRUMENT))
        self.assertEqual(8, len(before & after))
        self.assertEqual(Decimal("80000.0"), resting_prices(self.venue, is_buy=True)[0])
        self.assertEqual(Decimal("80012.0"), resting_prices(self.venue, is_buy=False)[-1])
        self.assertNotIn(Decimal("79990.0"), resting_prices(self.venue, is_buy=True))
        self.assertNotIn(Decimal("80002.0"), resting_prices(self.venue, is_buy=False))

    def test_a_big_move_never_leaves_a_crossed_ladder(self):
        ladder = make_ladder(self.venue)
        ladder.refresh(80000.0)
        ladder.refresh(80500.0)
        bids = resting_prices(self.venue, is_buy=True)
        asks = resting_prices(self.venue, is_buy=False)
        self.assertEqual(5, len(bids))
        self.assertEqual(5, len(asks))
        self.assertLess(bids[0], Decimal("80500"))
        self.assertGreater(asks[0], Decimal("80500"))
        self.assertEqual([], self.venue.trades)

    def test_filled_levels_are_placed_again(self):
        ladder = make_ladder(self.venue)
        ladder.refresh(80000.03)
        best_bid_id = ladder.resting_levels[(True, 799980)]
        self.venue.remove(best_bid_id)
        change = ladder.refresh(80000.03)
        self.assertEqual(1, change.replenished)
        self.assertEqual(1, change.placed)
        self.assertEqual(0, change.cancelled)
        self.assertEqual(Decimal("79998.0"), resting_prices(self.venue, is_buy=True)[0])

    def test_sizes_are_on_the_size_grid_randomised_and_deeper_levels_larger(self):
        ladder = make_ladder(self.venue, levels_per_side=10, size_growth_per_level=0.5, size_jitter=0.2)
        ladder.refresh(80000.0)
        bids = sorted((o.order for o in self.venue.open_orders(ACCOUNT, INSTRUMENT) if o.order.is_buy),
                      key=lambda order: -order.price)
        sizes = [order.size for order in bids]
        for size in sizes:
            self.assertEqual(0, size % RULES.min_size)
            self.assertGreaterEqual(size * Decimal("80000"), RULES.min_notional)
        self.assertGreater(sum(sizes[5:]), sum(sizes[:5]))
        self.assertGreater(len(set(sizes)), 5)

    def test_min_notional_raises_small_levels(self):
        ladder = make_ladder(self.venue, level_size=Decimal("0.001"), size_jitter=0.0)
        ladder.refresh(80000.0)
        self.assertTrue(all(order.size == Decimal("0.002") for order in self.venue.submitted))

    def test_rejected_levels_are_retried_at_the_next_refresh(self):
        ladder = make_ladder(self.venue)
        self.venue.reject_accounts.add(ACCOUNT)
        self.assertEqual(0, ladder.refresh(80000.0).placed)
        self.venue.reject_accounts.clear()
        self.assertEqual(10, ladder.refresh(80000.0).placed)

    def test_withdraw_cancels_every_level(self):
        ladder = make_ladder(self.venue)
        ladder.refresh(80000.0)
        ladder.withdraw()
        self.assertEqual([], self.venue.open_order_ids(ACCOUNT, INSTRUMENT))
        self.assertEqual({}, ladder.resting_levels)
        self.assertEqual(10, ladder.refresh(80000.0).placed)

    def test_low_prices_never_produce_non_positive_bids(self):
        ladder = make_ladder(self.venue, levels_per_side=50)
        bids, asks = ladder.desired_levels(5.0)
        self.assertTrue(all(tick > 0 for tick in bids))
        self.assertEqual(50, len(asks))
