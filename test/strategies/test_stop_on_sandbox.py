"""A plain stop (SIGINT to a headless bot) cancels every order and leaves the position open: only the kill switch
with ``kill_switch_flatten`` or the grid's range exit closes a position."""
from decimal import Decimal

import pytest

from test.strategies.acceptance import INSTRUMENTS, controller_files
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
