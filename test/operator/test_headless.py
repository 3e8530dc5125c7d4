"""A headless bot in a private root trades on the sandbox, stops cleanly on SIGINT, and its records can be read."""
import time

import pytest

from grvt_sandbox.config import DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID
from grvt_tools.bot_root import OFFLINE_CLIENT_SETTINGS, grvt_keys, prepare_root, store_keys
from grvt_tools.exchange_view import GrvtAccountView
from grvt_tools.headless import HeadlessBot, HeadlessBotError, sandbox_env
from grvt_tools.records import read_records

CONNECTOR = "grvt_perpetual_testnet"
STRATEGY = "grvt_demo_perpetual_market_making.yml"
PASSWORD = "headless-test"


def sides_quoted(database):
    return database.exists() and {quote.side for quote in read_records(database).quotes} >= {"BUY", "SELL"}


def wait_for(fact, description, timeout=120.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fact()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{description}: not within {timeout:.0f} s")
        time.sleep(0.5)


def test_bot_quotes_on_the_sandbox_and_stops_clean(tmp_path, sandbox_process, sandbox_admin):
    root = prepare_root(tmp_path / "bot", strategies=[STRATEGY])
    store_keys(root, CONNECTOR, grvt_keys(CONNECTOR, DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID),
               password=PASSWORD, client_settings=OFFLINE_CLIENT_SETTINGS)
    bot = HeadlessBot(root, PASSWORD, strategy=STRATEGY, env=sandbox_env(sandbox_process.url, CONNECTOR))
    with bot:
        bot.wait_until_running()
        resting = wait_for(lambda: sandbox_admin.open_orders(DEMO_SUB_ACCOUNT_ID), "quotes resting on the sandbox")
        assert all(order["legs"][0]["instrument"] == "BTC_USDT_Perp" for order in resting)
        wait_for(lambda: sides_quoted(bot.database), "bids and asks in Hummingbot's records")
        assert bot.stop() == 0, bot.console_text()[-3000:]
    assert bot.stopped_cleanly()
    assert sandbox_admin.open_orders(DEMO_SUB_ACCOUNT_ID) == []
    assert bot.hummingbot_log.is_file()
    assert DEMO_PRIVATE_KEY not in bot.console_text() + bot.hummingbot_log.read_text()

    records = read_records(bot.database)
    assert records.markets == [(CONNECTOR, "BTC-USDT")]
    assert {quote.side for quote in records.quotes} == {"BUY", "SELL"}
    assert all(quote.ended is not None for quote in records.quotes), "an order was left open in the records"
    exchange_fills = GrvtAccountView.on_sandbox(sandbox_process.url, DEMO_API_KEY, DEMO_SUB_ACCOUNT_ID).fills()
    assert sorted(fill["trade_id"] for fill in exchange_fills) == \
        sorted(fill.exchange_trade_id for fill in records.fills)


def test_a_bot_that_cannot_start_reports_why(tmp_path, sandbox_process):
    root = prepare_root(tmp_path / "bot")
    bot = HeadlessBot(root, PASSWORD, script_config="no_such_config.yml", env=sandbox_env(sandbox_process.url))
    with pytest.raises(HeadlessBotError, match="Config file not found"):
        with bot:
            bot.wait_until_running(timeout=120)
    assert bot.exit_code == 1


def test_a_bot_needs_exactly_one_config(tmp_path):
    with pytest.raises(ValueError):
        HeadlessBot(prepare_root(tmp_path / "bot"), PASSWORD)
    with pytest.raises(ValueError):
        sandbox_env("http://127.0.0.1:1", "binance_perpetual")
