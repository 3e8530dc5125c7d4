"""HeadlessBot's errors; its trading, stopping and records are exercised by the demo and fleet tests."""
import pytest

from grvt_tools.bot_root import prepare_root
from grvt_tools.headless import HeadlessBot, HeadlessBotError, sandbox_env

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
