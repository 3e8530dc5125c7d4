"""HeadlessBot's errors; its trading, stopping and records are exercised by the demo and fleet tests."""
import pytest

from grvt_tools.bot_root import REPO, prepare_root
from grvt_tools.headless import HeadlessBot, HeadlessBotError, sandbox_env
from test.strategies.test_v1_conversion import PURE_MARKET_MAKING

PASSWORD = "headless-test"


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


def test_a_bot_never_shows_its_password_or_environment(tmp_path):
    bot = HeadlessBot(prepare_root(tmp_path / "bot"), PASSWORD, strategy="any.yml",
                      env={"GRVT_API_KEY": "api-key-in-the-environment"})
    assert PASSWORD not in repr(bot) and "api-key-in-the-environment" not in repr(bot)
    assert "any.yml" in repr(bot)


def test_a_v1_market_maker_file_naming_grvt_is_recorded_under_its_conversion(tmp_path):
    """The launcher runs such a file as its converted script config, and Hummingbot records its trades under that
    name (data/my_pmm_grvt.sqlite): the demo's report and progress read the bot's database and config by these."""
    root = prepare_root(tmp_path / "bot")
    (root.strategies / "my_pmm.yml").write_text(PURE_MARKET_MAKING)
    bot = HeadlessBot(root, PASSWORD, strategy="my_pmm.yml")
    assert bot.config_file_name == "my_pmm_grvt.yml"
    assert bot.database == root.data / "my_pmm_grvt.sqlite"
    assert "my_pmm.yml" in bot.command()  # the launcher still gets the V1 file
    (root.strategies / "demo.yml").write_text(PURE_MARKET_MAKING.replace("pure_market", "perpetual_market"))
    assert HeadlessBot(root, PASSWORD, strategy="demo.yml").database == root.data / "demo.sqlite"


@pytest.mark.timeout(600)
def test_a_trading_pair_grvt_does_not_list_stops_the_bot_and_names_the_setting(tmp_path, sandbox_process):
    """A misspelt pair (BTC-USD for BTC-USDT) used to leave the bot running, quoting nothing, with exit code 0
    when stopped: the launcher ends it once the connector has GRVT's instrument list, naming the pair."""
    from grvt_sandbox.config import DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID
    from grvt_tools.bot_root import OFFLINE_CLIENT_SETTINGS, grvt_keys, store_keys

    connector = "grvt_perpetual_testnet"
    root = prepare_root(tmp_path / "bot")
    store_keys(root, connector, grvt_keys(connector, DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID),
               password=PASSWORD, client_settings=OFFLINE_CLIENT_SETTINGS, timeout=180)
    demo = (REPO / "conf" / "strategies" / "grvt_demo_perpetual_market_making.yml").read_text()
    (root.strategies / "wrong_pair.yml").write_text(demo.replace("market: BTC-USDT", "market: BTC-USD"))
    bot = HeadlessBot(root, PASSWORD, strategy="wrong_pair.yml", env=sandbox_env(sandbox_process.url),
                      stop_after=600)
    with bot:
        try:
            code = bot.wait(timeout=240)
        except Exception:
            code = None
    assert code == 1, bot.console_text()[-3000:]
    assert "BTC-USD" in bot.console_text() and "market" in bot.console_text()
    assert "BTC-USDT" in bot.console_text().split("GRVT lists")[-1]  # the pairs it does list
