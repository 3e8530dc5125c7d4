"""Quote pricing of the GRVT market maker: pure_market_making's ladder, Avellaneda-Stoikov against a worked example,
the bounded inventory skew and the volatility-scaled spread."""
import math
from datetime import datetime
from decimal import Decimal

import pytest

from controllers.grvt_common import pricing
from hummingbot.core.data_type.common import TradeType

D = Decimal
BUY, SELL = TradeType.BUY, TradeType.SELL


def by_key(quotes):
    return {quote.key: (quote.price, quote.amount) for quote in quotes}


# ------------------------------------------------------------------------------------------------------- pmm
def test_pmm_ladder_follows_pure_market_making_levels():
    quotes = pricing.pmm_levels(D(100), bid_spread_pct=D(1), ask_spread_pct=D(2), order_amount=D(1),
                                order_levels=2, level_spread_pct=D("0.5"), level_amount=D("0.5"))
    assert by_key(quotes) == {
        (BUY, 0): (D("99.00"), D(1)), (SELL, 0): (D("102.00"), D(1)),
        (BUY, 1): (D("98.500"), D("1.5")), (SELL, 1): (D("102.500"), D("1.5")),
    }


def test_pmm_ladder_drops_levels_a_negative_level_amount_empties():
    quotes = pricing.pmm_levels(D(100), D(1), D(1), D(1), 3, D(1), D("-0.5"))
    assert sorted({quote.level for quote in quotes}) == [0, 1]


def test_price_band_keeps_only_sells_above_the_ceiling_and_only_buys_below_the_floor():
    quotes = pricing.pmm_levels(D(100), D(1), D(1), D(1), 1, D(0), D(0))
    assert {q.side for q in pricing.apply_price_band(quotes, D(100), D(99), D(-1))} == {SELL}
    assert {q.side for q in pricing.apply_price_band(quotes, D(100), D(-1), D(101))} == {BUY}
    assert {q.side for q in pricing.apply_price_band(quotes, D(100), D(101), D(99))} == {BUY, SELL}


# ------------------------------------------------------------------------------------------------------- skew
def test_inventory_ratio_is_the_distance_from_the_target_bounded_to_one():
    assert pricing.inventory_ratio(D(3), D(1), D(4)) == D("0.5")
    assert pricing.inventory_ratio(D(-3), D(1), D(4)) == D(-1)
    assert pricing.inventory_ratio(D(100), D(0), D(4)) == D(1)
    assert pricing.inventory_ratio(D(5), D(0), D(0)) == D(0)


def test_long_lowers_both_quotes_and_the_shift_never_exceeds_its_bound():
    quotes = pricing.pmm_levels(D(100), D(1), D(1), D(1), 1, D(0), D(0))
    shift = pricing.bounded_price_skew(D("0.5"), D(100), max_skew_pct=D("0.2"))
    assert shift == D("-0.1")
    skewed = by_key(pricing.shift_quotes(quotes, shift))
    assert skewed[(BUY, 0)][0] == D("98.9") and skewed[(SELL, 0)][0] == D("100.9")
    for position in (D(-1000), D(-2), D(0), D(2), D(1000)):
        q = pricing.inventory_ratio(position, D(0), D(4))
        assert abs(pricing.bounded_price_skew(q, D(100), D("0.2"))) <= D("0.2")
    assert pricing.bounded_price_skew(D(-1), D(100), D("0.2")) == D("0.2")  # short raises them


def test_size_skew_buys_less_and_sells_more_when_long():
    assert pricing.size_skew_ratios(D("0.5")) == (D("0.5"), D("1.5"))
    assert pricing.size_skew_ratios(D(-1)) == (D(2), D(0))
    quotes = pricing.scale_sizes(pricing.pmm_levels(D(100), D(1), D(1), D(2), 1, D(0), D(0)), D("0.5"), D("1.5"))
    assert by_key(quotes)[(BUY, 0)][1] == D(1) and by_key(quotes)[(SELL, 0)][1] == D(3)


# ------------------------------------------------------------------------------------------------------- volatility
def test_volatility_widens_the_spread_within_floor_and_cap():
    scaled = pricing.volatility_scaled_spread
    assert scaled(D("0.1"), D("0.2"), D(2), floor_pct=D(0), cap_pct=D(1)) == D("0.4")
    assert scaled(D("0.1"), D("0.01"), D(2), floor_pct=D(0), cap_pct=D(1)) == D("0.1")  # calm: the configured one
    assert scaled(D("0.1"), D("0.2"), D(2), floor_pct=D("0.5"), cap_pct=D(1)) == D("0.5")
    assert scaled(D("0.1"), D("0.2"), D(2), floor_pct=D(0), cap_pct=D("0.3")) == D("0.3")
    assert scaled(D("0.1"), None, D(2), floor_pct=D("0.05"), cap_pct=D(1)) == D("0.1")
    assert scaled(D("0.1"), D(5), D(2), floor_pct=D(0), cap_pct=D(0)) == D(10)  # cap 0 = none


# ------------------------------------------------------------------------------------------------------- avellaneda
def test_avellaneda_stoikov_against_a_worked_example():
    # s = 100, q = 0.5, gamma = 1, sigma = 2, kappa = 1.5, tau = 1:
    #   r = s - q * gamma * sigma * tau = 100 - 0.5 * 1 * 2 * 1 = 99
    #   spread = gamma * sigma * tau + (2 / gamma) * ln(1 + gamma / kappa) = 2 + 2 ln(5/3) = 3.02165125
    #   bid = r - spread / 2 = 97.48917438, ask = r + spread / 2 = 100.51082562
    quote = pricing.avellaneda_quote(D(100), q=D("0.5"), gamma=D(1), sigma=D(2), kappa=D("1.5"), tau=D(1))
    assert quote.reservation_price == D(99)
    assert float(quote.optimal_spread) == pytest.approx(2 + 2 * math.log(5 / 3), abs=1e-12)
    assert float(quote.bid) == pytest.approx(97.48917437623401, abs=1e-9)
    assert float(quote.ask) == pytest.approx(100.51082562376599, abs=1e-9)


def test_avellaneda_time_left_scales_the_inventory_terms():
    quote = pricing.avellaneda_quote(D(100), D("0.5"), D(1), D(2), D("1.5"), tau=D("0.5"))
    assert quote.reservation_price == D("99.5")
    assert float(quote.optimal_spread) == pytest.approx(1 + 2 * math.log(5 / 3), abs=1e-12)


def test_avellaneda_minimum_spread_and_bounded_skew():
    wide = pricing.avellaneda_quote(D(100), D("0.5"), D(1), D(2), D("1.5"), D(1), min_spread_pct=D(4))
    assert wide.ask == D(102)  # at least half of 4 % above the mid
    assert float(wide.bid) == pytest.approx(97.48917437623401)
    bounded = pricing.avellaneda_quote(D(100), D("0.5"), D(1), D(2), D("1.5"), D(1), max_skew_pct=D("0.5"))
    assert bounded.reservation_price == D("99.5")
    capped = pricing.avellaneda_quote(D(100), D(0), D(1), D(2), D("1.5"), D(1), max_half_spread_pct=D(1))
    assert capped.bid == D(99) and capped.ask == D(101)
    floored = pricing.avellaneda_quote(D(100), D(0), D(1), D(2), D("1.5"), D(1), min_half_spread_pct=D(3))
    assert floored.bid == D(97) and floored.ask == D(103)


def test_avellaneda_shape_factor_shrinks_the_side_that_adds_inventory():
    buy, sell = pricing.shaped_amounts(D(1), D("0.5"), D(1))
    assert float(buy) == pytest.approx(math.exp(-0.5)) and sell == D(1)
    buy, sell = pricing.shaped_amounts(D(1), D("-0.5"), D(1))
    assert buy == D(1) and float(sell) == pytest.approx(math.exp(-0.5))
    assert pricing.shaped_amounts(D(1), D("0.5"), D(0)) == (D(1), D(1))


def test_avellaneda_levels_step_by_a_share_of_the_optimal_spread():
    quote = pricing.AvellanedaQuote(D(100), D(4), D(98), D(102))
    quotes = by_key(pricing.avellaneda_levels(quote, D(1), D(1), 3, level_distances_pct=D(50)))
    assert [quotes[(BUY, i)][0] for i in range(3)] == [D(98), D(96), D(94)]
    assert [quotes[(SELL, i)][0] for i in range(3)] == [D(102), D(104), D(106)]


def test_execution_timeframes():
    now = datetime(2026, 1, 5, 12, 0, 0)
    assert pricing.time_left_fraction("infinite", now) == 1
    assert pricing.time_left_fraction("daily_between_times", now, "10:00:00", "14:00:00") == D("0.5")
    assert pricing.time_left_fraction("daily_between_times", now, "13:00:00", "14:00:00") is None
    overnight = pricing.time_left_fraction("daily_between_times", now, "22:00:00", "13:00:00")  # 22:00 to 13:00
    assert float(overnight) == pytest.approx(1 / 15)
    assert pricing.time_left_fraction("from_date_to_date", now, "2026-01-05 11:00:00", "2026-01-05 13:00:00") == \
        D("0.5")
    assert pricing.time_left_fraction("from_date_to_date", now, "2026-01-06 00:00:00", "2026-01-07 00:00:00") is None
    with pytest.raises(ValueError):
        pricing.time_left_fraction("weekly", now)
    for end in ("2026-01-05 11:00:00", "2026-01-05 12:00:00"):  # before the start; equal (a zero-length window)
        with pytest.raises(ValueError, match="must be after its start"):
            pricing.time_left_fraction("from_date_to_date", now, "2026-01-05 12:00:00", end)


def test_a_date_window_ending_before_it_starts_is_refused_when_the_config_loads():
    from controllers.market_making.grvt_market_maker import GrvtMarketMakerConfig
    with pytest.raises(ValueError, match="must be after its start"):
        GrvtMarketMakerConfig(id="mm", connector_name="grvt_perpetual_testnet", trading_pair="BTC-USDT",
                              pricing_mode="avellaneda", execution_timeframe="from_date_to_date",
                              start_time="2026-01-06 00:00:00", end_time="2026-01-05 00:00:00")


# ------------------------------------------------------------------------------------------------------- execution
def test_post_only_quotes_never_cross_and_round_away_from_the_touch():
    quotes = [pricing.QuoteLevel(BUY, 0, D("100.07"), D(1)), pricing.QuoteLevel(SELL, 0, D("99.85"), D(1)),
              pricing.QuoteLevel(SELL, 1, D("99.95"), D(1))]
    passive = by_key(pricing.keep_passive(quotes, best_bid=D("99.9"), best_ask=D("100.0"), tick=D("0.1")))
    assert passive[(BUY, 0)][0] == D("99.9") and passive[(SELL, 0)][0] == D("100.0")
    assert passive[(SELL, 1)][0] == D("99.95")  # inside the spread: it does not cross
    assert pricing.round_to_tick(D("100.07"), D("0.1"), BUY) == D("100.0")
    assert pricing.round_to_tick(D("100.01"), D("0.1"), SELL) == D("100.1")


def test_refresh_tolerance_is_a_percentage_of_the_order_price():
    assert not pricing.exceeds_tolerance(D(100), D("100.04"), D("0.05"))
    assert pricing.exceeds_tolerance(D(100), D("100.06"), D("0.05"))
    assert pricing.exceeds_tolerance(D(100), D("100.000001"), D(0))
    assert not pricing.exceeds_tolerance(D(100), D(100), D(0))


@pytest.mark.parametrize("timeframe, start, end, named", [
    ("daily_between_times", "25:00:00", "10:00:00", "start_time '25:00:00'"),
    ("daily_between_times", "09:00:00", "noon", "end_time 'noon'"),
    ("from_date_to_date", "tomorrow", "2026-01-05 00:00:00", "start_time 'tomorrow'"),
])
def test_a_window_bound_that_is_not_a_time_is_refused_naming_the_field(timeframe, start, end, named):
    from controllers.market_making.grvt_market_maker import GrvtMarketMakerConfig
    with pytest.raises(ValueError, match=named):
        GrvtMarketMakerConfig(id="mm", connector_name="grvt_perpetual_testnet", trading_pair="BTC-USDT",
                              pricing_mode="avellaneda", execution_timeframe=timeframe, start_time=start, end_time=end)
