"""The launcher converts V1 market maker files naming a GRVT connector, and a strategy that fails to load or start
ends it with exit code 1 and Hummingbot's reason on one line (it used to print "started successfully" and exit 0)."""
import subprocess
import sys

import pytest
import yaml

from grvt_tools.bot_root import BotRoot
from test.strategies.bots import LAUNCHER, prepare_root
from test.strategies.test_v1_conversion import PURE_MARKET_MAKING

PASSWORD = "launcher-strategies-test"


@pytest.fixture
def root(tmp_path):
    root = prepare_root(tmp_path / "root")
    (root / "conf" / "strategies" / "my_pmm.yml").write_text(PURE_MARKET_MAKING)
    return root


def launch(root, *args, timeout=180):
    return subprocess.run([sys.executable, str(LAUNCHER), *args], cwd=root, env=BotRoot(root).env(),
                          capture_output=True, text=True, timeout=timeout)


def test_convert_command_writes_the_market_maker_configs(root):
    result = launch(root, "--convert-v1", "my_pmm.yml")
    assert result.returncode == 0, result.stderr
    first, *notes = result.stdout.strip().splitlines()
    assert first == ("hummingbot_grvt: my_pmm.yml: pure_market_making accepts spot connectors only, not "
                     "grvt_perpetual_testnet; converted to the GRVT market maker (pmm pricing) with the same "
                     "parameters: conf/controllers/my_pmm_grvt.yml, conf/scripts/my_pmm_grvt.yml")
    assert "hummingbot_grvt:   not carried over: ping_pong_enabled: ping pong is not supported; the inventory skew " \
           "balances the position instead" in notes
    script = yaml.safe_load((root / "conf" / "scripts" / "my_pmm_grvt.yml").read_text())
    assert script == {"script_file_name": "grvt_v2_controllers.py", "controllers_config": ["my_pmm_grvt.yml"]}
    controller = yaml.safe_load((root / "conf" / "controllers" / "my_pmm_grvt.yml").read_text())
    assert controller["bid_spread"] == 0.02 and controller["order_levels"] == 3


def test_convert_command_names_what_it_cannot_convert(root):
    (root / "conf" / "strategies" / "spot.yml").write_text(PURE_MARKET_MAKING.replace("grvt_perpetual_testnet",
                                                                                      "binance"))
    result = launch(root, "--convert-v1", "spot.yml")
    assert result.returncode == 1
    assert result.stderr.strip() == ("hummingbot_grvt: spot.yml: exchange 'binance' is not a GRVT connector "
                                     "(grvt_perpetual or grvt_perpetual_testnet)")


def test_a_v1_strategy_hummingbot_rejects_fails_with_its_reason(root):
    (root / "conf" / "strategies" / "spot.yml").write_text(PURE_MARKET_MAKING.replace("grvt_perpetual_testnet",
                                                                                      "binance_perpetual"))
    result = launch(root, "--headless", "-f", "spot.yml", "-p", PASSWORD, "--create-password", "--stop-after", "30")
    assert result.returncode == 1, result.stdout[-2000:]
    assert "Hummingbot running headless" not in result.stdout
    reason = [line for line in result.stderr.splitlines() if line.startswith("hummingbot_grvt:")]
    assert len(reason) == 1, result.stderr
    assert reason[0].startswith("hummingbot_grvt: The strategy could not be started: Invalid value binance_perpetual "
                                "for config variable exchange: Invalid exchange (not one of the ")
    assert reason[0].endswith(" connectors this strategy accepts)")


def test_a_script_whose_controller_config_is_missing_fails_with_the_reason(root):
    (root / "conf" / "scripts" / "broken.yml").write_text(yaml.safe_dump(
        {"script_file_name": "grvt_v2_controllers.py", "controllers_config": ["missing.yml"]}))
    result = launch(root, "--headless", "--v2", "broken.yml", "-p", PASSWORD, "--create-password")
    assert result.returncode == 1, result.stdout[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("hummingbot_grvt:")]
    assert len(lines) == 1 and lines[0].startswith("hummingbot_grvt: The strategy could not be started: Failed to "
                                                   "start strategy grvt_v2_controllers: [Errno 2] No such file")
    assert "missing.yml" in lines[0]
