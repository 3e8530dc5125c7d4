"""Each kill switch trigger trips a GRVT market maker running headless on the sandbox, forced by a sandbox fault or a
price move: a stalled order book stream, price jumps that fill quotes past the position limit, a jump against the
position that draws the equity down, and rejected orders. Each bot says why in its log, cancels its orders, closes
its position with reduce-only orders and stops quoting, as the sandbox's records of its account show."""
import os
import time
from decimal import Decimal

import pytest

from test.strategies.acceptance import INSTRUMENTS, controller_files
from test.strategies.bots import Bot, Fleet, SandboxThread

pytestmark = pytest.mark.timeout(900)

BASE = dict(controller_name="grvt_market_maker", controller_type="market_making",
            connector_name="grvt_perpetual_testnet", leverage=5, pricing_mode="pmm", order_levels=1,
            bid_spread=0.005, ask_spread=0.005, order_refresh_time=2, order_refresh_tolerance_pct=0.003,
            filled_order_delay=1, kill_switch_flatten=True)
BOTS = {
    "stale_book": dict(BASE, trading_pair="SOL-USDT", order_amount=0.2, max_position=2,
                       kill_switch_stale_book_seconds=4),
    # Quotes far from the mid that stay put after a jump (long refresh, wide tolerance) get filled by it: the
    # quoting limit (0.2) lets the position pass the kill switch's (0.03) only when both levels of a side fill.
    "max_position": dict(BASE, trading_pair="ETH-USDT", order_amount=0.02, order_levels=2, bid_spread=0.1,
                         ask_spread=0.1, order_level_spread=0.1, order_refresh_time=30, order_refresh_tolerance_pct=5,
                         filled_order_delay=30, max_position=0.2, kill_switch_max_position=0.03),
    "max_drawdown": dict(BASE, trading_pair="BTC-USDT", order_amount=0.002, max_position=0.01,
                         kill_switch_max_drawdown_quote=1.5),
    # Not on SOL: quoting from a stalled book sends post-only orders that cross, which fail too. A rejected quote is
    # placed again at the next look at the book, so the rejections come quickly whatever the refresh time.
    "error_rate": dict(BASE, trading_pair="BTC-USDT", order_amount=0.002, max_position=0.01,
                       kill_switch_max_error_rate=0.5, kill_switch_error_window=10),
}
FORCED_BY = {
    "stale_book": "SOL book stream stalled 10 s",
    "max_position": "ETH jumps of +0.5 % every 4 s",
    "max_drawdown": "BTC jump of 2 % against the position",
    "error_rate": "next 12 orders rejected",
}
TRIP_MESSAGES = {
    "stale_book": "Kill switch tripped on SOL-USDT: stale book: no order book update",
    "max_position": "Kill switch tripped on ETH-USDT: max position:",
    "max_drawdown": "Kill switch tripped on BTC-USDT: max drawdown: equity",
    "error_rate": "Kill switch tripped on BTC-USDT: order error rate:",
}


TRIPPED_AT = {}


def tripped(bot: Bot, trigger: str) -> bool:
    if TRIP_MESSAGES[trigger] not in bot.console():
        return False
    TRIPPED_AT.setdefault(trigger, time.monotonic())
    return True


FORCED_AT = {}


def force(bot: Bot, trigger: str, fault):
    """Applies the fault of one trigger, after checking the bot has not tripped on anything yet."""
    assert "Kill switch tripped" not in bot.console(), f"{bot.name} tripped before its fault:\n{bot.console()[-2000:]}"
    FORCED_AT.setdefault(trigger, time.monotonic())
    fault()


def wait_until(condition, timeout: float, what: str, every=None, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {timeout:.0f} s")
        if every is not None:
            every()
        time.sleep(interval)


@pytest.fixture(scope="module")
def kill_fleet(tmp_path_factory):
    with SandboxThread(seed=33) as sandbox:
        fleet = Fleet(sandbox, tmp_path_factory.mktemp("kill_switch"))
        for name, controller in BOTS.items():
            fleet.add(name, ["--v2", f"{name}.yml"], controller_files(name, controller))
        fleet.prepare()
        try:
            fleet.start()
            for bot in fleet.bots.values():
                bot.wait_for(lambda b: b.view().buy_orders > 0 and b.view().sell_orders > 0, 90, "quotes")
            yield sandbox, fleet
        finally:
            fleet.exit_codes = fleet.stop()


@pytest.fixture(scope="module")
def trips(kill_fleet):
    """Forces each trigger in turn (the bots that share an instrument are tripped in an order that keeps the
    faults for one from tripping another) and records what the sandbox saw afterwards."""
    sandbox, fleet = kill_fleet
    bots = fleet.bots

    force(bots["stale_book"], "stale_book", lambda: sandbox.stall_book(INSTRUMENTS["SOL-USDT"], seconds=10))
    bots["stale_book"].wait_for(lambda bot: tripped(bot, "stale_book"), 30, "stale book trip")

    jumps = []

    def jump_eth():
        if not jumps or time.monotonic() - jumps[-1] > 4:
            jumps.append(time.monotonic())
            sandbox.jump(INSTRUMENTS["ETH-USDT"], 0.005)  # quotes left behind by the move get taken
    force(bots["max_position"], "max_position", jump_eth)
    wait_until(lambda: tripped(bots["max_position"], "max_position"), 60, "max position trip", every=jump_eth)

    drawdown_bot = bots["max_drawdown"]
    wait_until(lambda: drawdown_bot.view().position != 0, 90, "a position to lose on")
    against = -0.02 if drawdown_bot.view().position > 0 else 0.02
    force(drawdown_bot, "max_drawdown", lambda: sandbox.jump(INSTRUMENTS["BTC-USDT"], against))
    wait_until(lambda: tripped(drawdown_bot, "max_drawdown"), 30, "max drawdown trip")

    force(bots["error_rate"], "error_rate", lambda: sandbox.faults("reject_next_orders", count=12))
    bots["error_rate"].wait_for(lambda bot: tripped(bot, "error_rate"), 60, "error rate trip")

    for bot in bots.values():
        wait_until(lambda: bot.view().open_orders == 0 and bot.view().position == 0, 45,
                   f"{bot.name}: no orders and no position after the trip")
    time.sleep(3)  # a halted bot places nothing more: give it the chance to, before looking again
    views = {name: bot.view() for name, bot in bots.items()}
    if os.environ.get("GRVT_STRATEGIES_REPORT"):
        with open(os.environ["GRVT_STRATEGIES_REPORT"], "a") as report:
            report.write("| trigger | forced by | tripped after (s) | orders | fills | max abs position | "
                         "position after | resting after |\n|---|---|---|---|---|---|---|---|\n")
            for name, view in views.items():
                seconds = TRIPPED_AT[name] - FORCED_AT[name]
                report.write(f"| {name} | {FORCED_BY[name]} | {seconds:.1f} | {view.orders} | {view.fills} | "
                             f"{view.max_abs_position.normalize()} | {view.position.normalize()} | "
                             f"{view.open_orders} |\n")
            report.write("\n")
    return views


@pytest.mark.parametrize("trigger", list(BOTS))
def test_trigger_trips_cancels_closes_and_stops_quoting(trips, kill_fleet, trigger):
    sandbox, fleet = kill_fleet
    bot = fleet.bots[trigger]
    view = trips[trigger]
    assert tripped(bot, trigger)
    assert view.open_orders == 0 and view.position == 0
    if "Kill switch: closing position" in bot.console() or trigger in ("max_position", "max_drawdown"):
        # it held a position when it tripped (these two always do): closed by reduce-only orders
        assert view.reduce_only_fills >= 1
    later = bot.view()
    assert later.orders == view.orders, "a halted bot kept placing orders"
    if trigger == "max_position":
        assert view.max_abs_position > Decimal("0.03")


def test_halted_bots_stop_cleanly(trips, kill_fleet):
    sandbox, fleet = kill_fleet
    exit_codes = fleet.stop()
    for name, bot in fleet.bots.items():
        assert exit_codes[name] == 0, bot.console()[-2000:]
        assert bot.view().open_orders == 0
        assert "HALTED by the kill switch" in bot.log()
