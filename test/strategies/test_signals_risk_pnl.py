"""Volatility and trading intensity estimates, each kill switch trigger, the PnL split and the latency samples."""
import math
from decimal import Decimal
from types import SimpleNamespace

import pytest

from controllers.grvt_common.kill_switch import KillSwitch, KillSwitchSettings
from controllers.grvt_common.latency import LatencyTracker, percentiles
from controllers.grvt_common.market_signals import MidSampler, TradingIntensityEstimator, fit_intensity
from controllers.grvt_common.pnl import PnlTracker
from hummingbot.core.data_type.common import TradeType

D = Decimal


# ------------------------------------------------------------------------------------------------------- volatility
def sampler_with(values, interval=1.0):
    sampler = MidSampler(interval, 100)
    for second, value in enumerate(values):
        assert sampler.add(float(second), value)
    return sampler


def test_sampler_takes_one_sample_per_interval():
    sampler = MidSampler(1.0, 10)
    assert sampler.add(0.0, 100) and not sampler.add(0.5, 101) and sampler.add(1.0, 102)
    assert sampler.samples == [100, 102]
    assert not sampler.add(5.0, float("nan"))


def test_price_volatility_is_the_rms_of_mid_changes_in_price_units():
    assert sampler_with([100, 101, 100, 101, 100]).price_volatility(4) == pytest.approx(1.0)
    assert sampler_with([100, 102, 104]).price_volatility(10) == pytest.approx(2.0)
    assert sampler_with([100, 101]).price_volatility(5) is None


def test_return_volatility_is_the_standard_deviation_of_returns():
    values = [100, 101, 100, 102, 101]
    returns = [b / a - 1 for a, b in zip(values, values[1:])]
    mean = sum(returns) / len(returns)
    expected = math.sqrt(sum((r - mean) ** 2 for r in returns) / (len(returns) - 1))
    assert sampler_with(values).return_volatility(4) == pytest.approx(expected)


def test_atr_of_bars_built_from_samples():
    # bars of 2 samples after the first close 100: [101, 99] -> true range 2; [100, 102] -> max(2, 3, 1) = 3
    assert sampler_with([100, 101, 99, 100, 102]).atr(2, 2) == pytest.approx(2.5 / 102)


def test_trading_intensity_recovers_an_exponential_arrival_curve():
    alpha_volume, kappa = 50.0, 0.7  # traded volume beyond distance d: 50 * exp(-0.7 d) over the window
    trades = [(float(i), alpha_volume * (math.exp(-kappa * i) - math.exp(-kappa * (i + 1)))) for i in range(10)]
    trades.append((10.0, alpha_volume * math.exp(-kappa * 10)))
    fitted = fit_intensity(trades, seconds=10.0, points=10)
    assert fitted.kappa == pytest.approx(kappa, rel=1e-9)
    assert fitted.alpha == pytest.approx(alpha_volume / 10.0, rel=1e-9)


def test_trading_intensity_is_ready_after_its_buffer_of_intervals():
    estimator = TradingIntensityEstimator(buffer_size=5, sample_interval=1.0, min_trades=3)
    for second in range(5):
        for distance in (0.5, 1.0, 2.0):
            estimator.add_trade(second + 0.1, 100 + distance, 1.0 / distance, mid=100.0)
        assert not estimator.ready
    estimator.roll(5.2)  # intervals run from the first trade (0.1 s): the fifth closes at 5.1 s
    assert estimator.observed_intervals == 5 and estimator.ready
    assert estimator.estimate().kappa > 0
    estimator.roll(10_000.0)  # a long quiet gap: the buffer holds empty intervals only
    assert estimator.observed_intervals == 5


# ------------------------------------------------------------------------------------------------------- kill switch
def switch(**settings) -> KillSwitch:
    return KillSwitch(KillSwitchSettings(**settings), clock=lambda: 1000.0)


def test_kill_switch_trips_on_drawdown_in_quote_and_in_percent():
    kill = switch(kill_switch_max_drawdown_quote=D(10))
    kill.start(D(1000))
    assert kill.check(D("990.01"), D(0), 0.0) is None
    trip = kill.check(D(990), D(0), 0.0)
    assert trip.trigger == "max_drawdown" and "10" in trip.reason and trip.timestamp == 1000.0
    kill = switch(kill_switch_max_drawdown_pct=D(2))
    kill.start(D(1000))
    assert kill.check(D(981), D(0), 0.0) is None
    assert kill.check(D(980), D(0), 0.0).trigger == "max_drawdown"


def test_kill_switch_trips_when_the_position_exceeds_its_limit_either_side():
    kill = switch(kill_switch_max_position=D("0.01"))
    assert kill.check(None, D("0.01"), 0.0) is None
    assert kill.check(None, D("-0.011"), 0.0).trigger == "max_position"


def test_kill_switch_trips_on_a_stale_book():
    kill = switch(kill_switch_stale_book_seconds=5)
    assert kill.check(None, D(0), 4.9) is None
    trip = kill.check(None, D(0), 5.0)
    assert trip.trigger == "stale_book" and "5.0 s" in trip.reason


def test_kill_switch_trips_on_the_order_error_rate_of_recent_orders():
    kill = switch(kill_switch_max_error_rate=D("0.5"), kill_switch_error_window=10)
    for failed in (True, True, True, True):
        kill.record_order_outcome(failed)
    assert kill.check(None, D(0), 0.0) is None  # fewer than half a window of orders: no verdict yet
    kill.record_order_outcome(False)
    trip = kill.check(None, D(0), 0.0)
    assert trip.trigger == "error_rate" and "4 of the last 5" in trip.reason
    healthy = switch(kill_switch_max_error_rate=D("0.5"), kill_switch_error_window=4)
    for failed in (True, False, False, True, False, False):
        healthy.record_order_outcome(failed)
    assert healthy.check(None, D(0), 0.0) is None


def test_kill_switch_off_by_default_and_trips_once():
    kill = switch()
    kill.start(D(1000))
    assert kill.check(D(1), D(1000), 1e9) is None and kill.describe() == "kill switch: off"
    kill = switch(kill_switch_max_position=D(1), kill_switch_max_drawdown_quote=D(1))
    first = kill.check(None, D(2), 0.0)
    assert kill.check(D(0), D(0), 0.0) is first and kill.tripped
    assert "TRIPPED" in kill.describe()


# ------------------------------------------------------------------------------------------------------- pnl
def test_pnl_splits_spread_capture_inventory_fees_rebates_and_funding():
    pnl = PnlTracker()
    pnl.on_fill(TradeType.BUY, D(99), D(1), fee_quote=D("-0.01"), mid=D(100))   # bought 1 below the mid: +1
    pnl.on_fill(TradeType.SELL, D(103), D(1), fee_quote=D("0.05"), mid=D(102))  # sold 1 above the mid: +1
    pnl.on_funding(D("0.2"))
    result = pnl.breakdown(mid=D(102))
    assert result.spread_capture == D(2)
    assert result.inventory == D(2)  # held 1 while the mid went from 100 to 102
    assert result.fees_paid == D("0.05") and result.rebates == D("0.01") and result.funding == D("0.2")
    assert result.total == D(4) - D("0.04") + D("0.2")
    assert result.position == 0 and result.fills == 2 and result.volume_quote == D(202)


def test_pnl_marks_an_open_position_and_one_held_at_start():
    pnl = PnlTracker(initial_position=D(2), initial_price=D(100))
    pnl.on_fill(TradeType.SELL, D(101), D(1), D(0), D(100))
    result = pnl.breakdown(D(98))
    assert result.position == D(1)
    assert result.spread_capture == D(1)
    assert result.total == D(101) - D(200) + D(98)  # sold one at 101, the other is worth 98, both cost 100


# ------------------------------------------------------------------------------------------------------- latency
def test_latency_uses_the_connector_stage_times_when_it_has_them():
    now = [10.0]
    latency = LatencyTracker(clock=lambda: now[0])
    latency.submitted("a", book_seen=1.000, handed_over=1.002)
    metrics = SimpleNamespace(latency=lambda order_id: SimpleNamespace(sent=1.005, acknowledged=1.025))
    latency.acknowledged("a", metrics)
    latency.submitted("b", book_seen=None, handed_over=2.000)
    now[0] = 2.030
    latency.acknowledged("b")  # no connector metrics: the acknowledgement is when the created event arrives
    latency.acknowledged("unknown")
    summary = latency.summary()
    assert summary["tick_to_quote_ms"]["count"] == 1
    assert summary["tick_to_quote_ms"]["p50"] == pytest.approx(5.0)
    assert sorted(latency.quote_to_ack_ms) == pytest.approx([20.0, 30.0])


def test_percentiles():
    stats = percentiles(range(1, 101))  # nearest rank: p99 of 100 samples is the 99th
    assert (stats["count"], stats["p50"], stats["p90"], stats["p99"], stats["max"]) == (100, 50, 90, 99, 100)
    assert percentiles([]) == {"count": 0}


def test_equity_is_the_start_equity_plus_the_tracked_pnl():
    pnl = PnlTracker(start_equity=D(1000))
    assert pnl.equity(D(100)) == D(1000)
    pnl.on_fill(TradeType.BUY, D(100), D(2), fee_quote=D("0.5"), mid=D(100))
    assert pnl.equity(D(97)) == D(1000) - D(6) - D("0.5")
    assert PnlTracker().equity(D(100)) is None and pnl.equity(None) is None
