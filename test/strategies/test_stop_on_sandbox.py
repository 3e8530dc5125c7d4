"""A plain stop (SIGINT to a headless bot) cancels every order and leaves the position open: only the kill switch
with ``kill_switch_flatten`` or the grid's range exit closes a position. A hangup (the terminal of a bot run from a
shell closed) stops it the same way. A V1 strategy restarted after its bot was killed cancels the orders the killed
run left."""
import json
import signal
import sqlite3
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from test.strategies.acceptance import INSTRUMENTS, controller_files, repo_file
from test.strategies.bots import Fleet, SandboxThread

pytestmark = pytest.mark.timeout(600)


def long_grid(mid: Decimal) -> dict:
    # A long grid buys the levels above the price at once: it holds a position within seconds of starting.
    return dict(controller_name="grvt_grid", controller_type="generic", connector_name="grvt_perpetual_testnet",
                trading_pair="ETH-USDT", leverage=5, grid_mode="long",
                start_price=float(round(mid * Decimal("0.997"), 2)), end_price=float(round(mid * Decimal("1.003"), 2)),
                levels=13, total_amount_quote=780,
                range_exit_margin_pct=0.5, max_open_orders=6, kill_switch_stale_book_seconds=30,
                kill_switch_flatten=True)


def test_stopping_a_grid_cancels_its_orders_and_keeps_its_position(tmp_path):
    with SandboxThread(seed=41) as sandbox:
        fleet = Fleet(sandbox, tmp_path)
        bot = fleet.add("grid_stop", ["--v2", "grid_stop.yml"],
                        controller_files("grid_stop", long_grid(sandbox.mid(INSTRUMENTS["ETH-USDT"]))))
        fleet.prepare()
        try:
            fleet.start()
            bot.wait_for(lambda b: b.view().position > 0 and b.view().open_orders > 0, 120, "a long position")
        finally:
            exit_codes = fleet.stop()
        view = bot.view()
        assert exit_codes["grid_stop"] == 0, bot.console()[-3000:]
        assert view.open_orders == 0, f"{view.open_orders} orders left resting"
        assert view.position > 0, f"the stop closed the position:\n{bot.log()[-3000:]}"
        assert "Created MARKET" not in bot.log()


def test_a_hangup_stops_a_market_maker_cancelling_its_quotes(tmp_path):
    market_maker = dict(controller_name="grvt_market_maker", controller_type="market_making",
                        connector_name="grvt_perpetual_testnet", trading_pair="BTC-USDT", leverage=5,
                        order_amount=0.002, max_position=0.01, bid_spread=0.05, ask_spread=0.05, order_refresh_time=30)
    with SandboxThread(seed=43) as sandbox:
        fleet = Fleet(sandbox, tmp_path)
        bot = fleet.add("hangup", ["--v2", "hangup.yml"], controller_files("hangup", market_maker))
        fleet.prepare()
        try:
            fleet.start()
            bot.wait_for(lambda b: b.view().open_orders == 2, 120, "both quotes resting")
            bot.process.send_signal(signal.SIGHUP)
            exit_code = bot.process.wait(timeout=120)
        finally:
            fleet.stop()
        assert exit_code == 0, bot.console()[-3000:]
        assert bot.view().open_orders == 0, f"quotes left resting:\n{bot.console()[-3000:]}"


def saved_order_count(database: Path) -> int:
    """Orders in the market state Hummingbot saves for a restart."""
    if not database.exists():
        return 0
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT saved_state FROM MarketState").fetchall()
    return sum(len(json.loads(state) if isinstance(state, str) else state) for (state,) in rows)


def open_order_ids(sandbox: SandboxThread, sub_account_id: str) -> set:
    return sandbox.call(lambda: set(sandbox.server.exchange.accounts[sub_account_id].open_orders))


def test_a_restarted_perpetual_market_making_cancels_the_quotes_its_killed_run_left(tmp_path):
    demo = "grvt_demo_perpetual_market_making.yml"
    config = yaml.safe_load(repo_file(f"conf/strategies/{demo}"))
    config.update(bid_spread=0.5, ask_spread=0.5, order_refresh_time=600)  # quotes that rest
    with SandboxThread(seed=45) as sandbox:
        fleet = Fleet(sandbox, tmp_path)
        bot = fleet.add("v1_restart", ["-f", demo], {f"conf/strategies/{demo}": yaml.safe_dump(config)})
        fleet.prepare()
        try:
            fleet.start()
            bot.wait_for(lambda b: b.view().open_orders == 2, 120, "both quotes resting")
            bot.wait_for(lambda b: saved_order_count(b.root / "data" / demo.replace(".yml", ".sqlite")) == 2, 60,
                         "both quotes saved for a restart")
            killed_run_orders = open_order_ids(sandbox, bot.sub_account_id)
            bot.process.kill()
            bot.process.wait(timeout=30)
            bot.start().wait_until_running()
            bot.wait_for(lambda b: not killed_run_orders & open_order_ids(sandbox, b.sub_account_id), 120,
                         "the killed run's quotes cancelled")
            bot.wait_for(lambda b: b.view().open_orders == 2, 60, "the new run's quotes")
        finally:
            exit_codes = fleet.stop()
        assert exit_codes["v1_restart"] == 0, bot.console()[-3000:]
        assert bot.view().open_orders == 0
