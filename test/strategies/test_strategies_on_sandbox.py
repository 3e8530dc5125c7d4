"""Every strategy, started headless through the launcher on the sandbox's synthetic market, side by side on one
sandbox (each bot trades its own sub-account): perpetual_market_making, the GRVT market maker in pmm and in
avellaneda mode, the grid neutral and long, and a V1 pure_market_making and a V1 avellaneda file converted by the
launcher. Each must quote its sides, get fills, keep its position within its limit and leave nothing resting after
stop, on the sandbox's own records of its account.
"""
import os
from decimal import Decimal

import pytest
import yaml

from test.strategies.acceptance import (
    INSTRUMENTS,
    Expectation,
    collect,
    controller_files,
    each_bot,
    final_status,
    repo_file,
    run_until_satisfied,
    write_report,
)
from test.strategies.bots import Fleet, SandboxThread

pytestmark = pytest.mark.timeout(900)
MIN_SECONDS, MAX_SECONDS = 30, 90
D = Decimal

MM_PMM = dict(controller_name="grvt_market_maker", controller_type="market_making",
              connector_name="grvt_perpetual_testnet", trading_pair="BTC-USDT", leverage=5, pricing_mode="pmm",
              order_amount=0.002, order_levels=2, order_level_spread=0.01, bid_spread=0.005, ask_spread=0.005,
              order_refresh_time=2, order_refresh_tolerance_pct=0.003, filled_order_delay=1, max_order_age=60,
              inventory_skew_enabled=True, inventory_range_multiplier=2, max_price_skew_pct=0.005, max_position=0.012,
              volatility_spread_enabled=True, volatility_method="stdev", volatility_window=20,
              volatility_multiplier=1, volatility_spread_floor_pct=0.003, volatility_spread_cap_pct=0.05,
              kill_switch_max_drawdown_quote=100, kill_switch_max_position=0.03, kill_switch_stale_book_seconds=30,
              kill_switch_max_error_rate=0.8, kill_switch_flatten=True)
MM_AVELLANEDA = dict(controller_name="grvt_market_maker", controller_type="market_making",
                     connector_name="grvt_perpetual_testnet", trading_pair="ETH-USDT", leverage=5,
                     pricing_mode="avellaneda", order_amount=0.02, risk_factor=1, min_spread=0.002,
                     order_amount_shape_factor=0.5, volatility_buffer_size=15, trading_intensity_buffer_size=15,
                     order_refresh_time=2, order_refresh_tolerance_pct=0.002, filled_order_delay=1,
                     max_position=0.1, max_price_skew_pct=0.02, volatility_spread_enabled=True,
                     volatility_method="atr", volatility_window=3, volatility_bar_samples=5,
                     volatility_multiplier=0.5, volatility_spread_cap_pct=0.05,
                     kill_switch_max_drawdown_quote=100, kill_switch_stale_book_seconds=30)
V1_PURE_MARKET_MAKING = dict(template_version=24, strategy="pure_market_making", exchange="grvt_perpetual_testnet",
                             market="BTC-USDT", bid_spread=0.01, ask_spread=0.01, minimum_spread=-100,
                             order_refresh_time=3, max_order_age=1800, order_refresh_tolerance_pct=0.005,
                             order_amount=0.002, price_ceiling=-1, price_floor=-1, ping_pong_enabled=False,
                             order_levels=1, order_level_amount=0, order_level_spread=1, inventory_skew_enabled=True,
                             inventory_target_base_pct=50, inventory_range_multiplier=3, filled_order_delay=2,
                             hanging_orders_enabled=False, order_optimization_enabled=False,
                             add_transaction_costs=False, price_source="current_market", price_type="mid_price",
                             should_wait_order_cancel_confirmation=True)
V1_AVELLANEDA = dict(template_version=0, strategy="avellaneda_market_making", exchange="grvt_perpetual_testnet",
                     market="ETH-USDT", execution_timeframe_mode={}, order_amount=0.02,
                     order_optimization_enabled=False, risk_factor=1, order_amount_shape_factor=0, min_spread=0,
                     order_refresh_time=2, max_order_age=1800, order_refresh_tolerance_pct=0, filled_order_delay=2,
                     inventory_target_base_pct=50, add_transaction_costs=False, volatility_buffer_size=15,
                     trading_intensity_buffer_size=15, order_levels_mode={}, hanging_orders_mode={},
                     should_wait_order_cancel_confirmation=True)


def grid(pair: str, mode: str, mid: Decimal, half_range_pct: Decimal, levels: int, quote_per_level: int) -> dict:
    return dict(controller_name="grvt_grid", controller_type="generic", connector_name="grvt_perpetual_testnet",
                trading_pair=pair, leverage=5, grid_mode=mode,
                start_price=float(round(mid * (1 - half_range_pct / 100), 4)),
                end_price=float(round(mid * (1 + half_range_pct / 100), 4)), levels=levels,
                total_amount_quote=quote_per_level * levels, range_exit_margin_pct=0.5, max_open_orders=6,
                kill_switch_stale_book_seconds=30, kill_switch_flatten=True)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    base = tmp_path_factory.mktemp("strategies")
    with SandboxThread(seed=21) as sandbox:
        eth, sol = sandbox.mid(INSTRUMENTS["ETH-USDT"]), sandbox.mid(INSTRUMENTS["SOL-USDT"])
        fleet = Fleet(sandbox, base)
        expectations = {}
        demo = "grvt_demo_perpetual_market_making.yml"
        fleet.add("perpetual_market_making", ["-f", demo],
                  {f"conf/strategies/{demo}": repo_file(f"conf/strategies/{demo}")})
        expectations["perpetual_market_making"] = Expectation("BTC-USDT", D("0.02"))  # 10 orders of 0.002
        fleet.add("mm_pmm", ["--v2", "mm_pmm.yml"], controller_files("mm_pmm", MM_PMM))
        expectations["mm_pmm"] = Expectation("BTC-USDT", D("0.012"))
        fleet.add("mm_avellaneda", ["--v2", "mm_avellaneda.yml"], controller_files("mm_avellaneda", MM_AVELLANEDA))
        expectations["mm_avellaneda"] = Expectation("ETH-USDT", D("0.1"))
        neutral = grid("SOL-USDT", "neutral", sol, D("0.4"), 27, 30)  # 3 bp apart, 0.2 SOL a level
        fleet.add("grid_neutral", ["--v2", "grid_neutral.yml"], controller_files("grid_neutral", neutral))
        expectations["grid_neutral"] = Expectation("SOL-USDT", D("0.2") * 14)  # one leg at most: 14 levels
        long_grid = grid("ETH-USDT", "long", eth, D("0.3"), 13, 60)  # 5 bp apart, 0.02 ETH a level
        fleet.add("grid_long", ["--v2", "grid_long.yml"], controller_files("grid_long", long_grid))
        expectations["grid_long"] = Expectation("ETH-USDT", D("0.02") * 13, sides="buy")
        fleet.add("v1_pure_market_making", ["-f", "v1_pmm.yml"],
                  {"conf/strategies/v1_pmm.yml": yaml.safe_dump(V1_PURE_MARKET_MAKING)})
        expectations["v1_pure_market_making"] = Expectation("BTC-USDT", D("0.02"))  # the converter's 10 orders
        fleet.add("v1_avellaneda", ["-f", "v1_avellaneda.yml"],
                  {"conf/strategies/v1_avellaneda.yml": yaml.safe_dump(V1_AVELLANEDA)})
        expectations["v1_avellaneda"] = Expectation("ETH-USDT", D("0.2"))
        fleet.prepare()
        try:
            fleet.start()
            seconds = run_until_satisfied(fleet, expectations, MIN_SECONDS, MAX_SECONDS)
        finally:
            exit_codes = fleet.stop()
        results = collect(fleet, expectations, exit_codes, seconds)
    table = write_report(results, base / "report.md", "Strategies on the GRVT sandbox")
    print(f"\n{table}\n(report: {base / 'report.md'})")
    if os.environ.get("GRVT_STRATEGIES_REPORT"):
        with open(os.environ["GRVT_STRATEGIES_REPORT"], "a") as report:
            report.write(table + "\n\n")
    return results


NAMES = ["perpetual_market_making", "mm_pmm", "mm_avellaneda", "grid_neutral", "grid_long", "v1_pure_market_making",
         "v1_avellaneda"]


def test_every_strategy_quotes_its_sides_and_gets_fills(outcomes):
    def check(name):
        outcome = outcomes[name]
        view, expectation = outcome.view, outcome.expectation
        assert view.fills >= expectation.min_fills, f"{view.fills} fills\n{outcome.console[-2000:]}"
        if expectation.sides in ("both", "buy"):
            assert view.buy_orders > 0, "no buy orders"
        if expectation.sides in ("both", "sell"):
            assert view.sell_orders > 0, "no sell orders"
    each_bot(NAMES, check)


def test_every_strategy_keeps_its_position_within_its_limit(outcomes):
    def check(name):
        outcome = outcomes[name]
        assert outcome.view.max_abs_position <= outcome.expectation.position_limit, \
            f"max |position| {outcome.view.max_abs_position} > {outcome.expectation.position_limit}"
    each_bot(NAMES, check)


def test_every_strategy_stops_cleanly_leaving_nothing_resting(outcomes):
    def check(name):
        outcome = outcomes[name]
        assert outcome.exit_code == 0, outcome.console[-3000:]
        assert outcome.view.open_orders == 0, f"{outcome.view.open_orders} orders left resting"
        assert "Stopped." in outcome.console
    each_bot(NAMES, check)


def test_the_launcher_runs_v1_market_maker_files_as_the_grvt_market_maker(outcomes):
    for name, strategy, mode in (("v1_pure_market_making", "pure_market_making", "pmm"),
                                 ("v1_avellaneda", "avellaneda_market_making", "avellaneda")):
        console = outcomes[name].console
        assert f"{strategy} accepts spot connectors only, not grvt_perpetual_testnet; running it as the GRVT " \
               f"market maker ({mode} pricing) with the same parameters" in console
        assert "changed: inventory_target_base_pct" in console
        assert f"GRVT market maker [{mode}]" in final_status(outcomes[name].log)


def test_market_makers_report_pnl_split_latency_and_kill_switch(outcomes):
    def check(name):
        status = final_status(outcomes[name].log)
        assert "PnL USDT: spread capture" in status and "rebates" in status and "funding" in status, status
        assert outcomes[name].latency.get("quote->ack"), status
        assert "kill switch" in status
    each_bot(["mm_pmm", "mm_avellaneda", "v1_pure_market_making", "v1_avellaneda"], check)
    assert outcomes["mm_pmm"].latency.get("tick->quote"), final_status(outcomes["mm_pmm"].log)


def test_grids_report_their_legs(outcomes):
    neutral = final_status(outcomes["grid_neutral"].log)
    assert "GRVT grid [neutral]" in neutral and "long BUY" in neutral and "short SELL" in neutral, neutral
    assert "GRVT grid [long]" in final_status(outcomes["grid_long"].log)
