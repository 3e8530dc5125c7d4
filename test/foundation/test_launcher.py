"""The launcher starts Hummingbot headless, stops it cleanly and explains user errors."""
import importlib.util
import logging
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = REPO / "bin" / "hummingbot_grvt.py"
PASSWORD = "launcher-test-password"

PROBE_SCRIPT = textwrap.dedent('''
    import os

    from hummingbot.strategy.strategy_v2_base import StrategyV2Base, StrategyV2ConfigBase


    class LauncherProbeConfig(StrategyV2ConfigBase):
        script_file_name: str = os.path.basename(__file__)


    class LauncherProbe(StrategyV2Base):
        def on_tick(self):
            if not getattr(self, "_announced", False):
                self._announced = True
                print("launcher probe ticking", flush=True)
''')


def run_launcher(env, *args, timeout=120):
    return subprocess.run([sys.executable, str(LAUNCHER), *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def probe_strategy(isolated_root):
    (isolated_root / "scripts" / "launcher_probe.py").write_text(PROBE_SCRIPT)
    (isolated_root / "conf" / "scripts" / "launcher_probe.yml").write_text("script_file_name: launcher_probe.py\n")
    return "launcher_probe.yml"


@pytest.fixture
def launcher_env(root_env):
    return dict(root_env)


def test_headless_without_password_is_a_clear_error(launcher_env, probe_strategy):
    result = run_launcher(launcher_env, "--headless", "--v2", probe_strategy)
    assert result.returncode == 2
    assert "No password" in result.stderr


def test_first_run_requires_explicit_password_creation(launcher_env, probe_strategy, isolated_root):
    result = run_launcher(launcher_env, "--headless", "--v2", probe_strategy, "-p", PASSWORD)
    assert result.returncode == 2
    assert "--create-password" in result.stderr
    assert not (isolated_root / "conf" / ".password_verification").exists()


def test_missing_config_file_is_a_clear_error(launcher_env):
    result = run_launcher(launcher_env, "--headless", "-f", "does_not_exist.yml", "-p", PASSWORD)
    assert result.returncode == 1
    assert "Config file not found" in result.stderr
    assert "does_not_exist.yml" in result.stderr


def test_headless_needs_a_strategy(launcher_env):
    result = run_launcher(launcher_env, "--headless", "-p", PASSWORD)
    assert result.returncode == 2
    assert "needs a strategy" in result.stderr


def test_headless_starts_and_stops_cleanly_then_rejects_a_wrong_password(launcher_env, probe_strategy, isolated_root):
    started = run_launcher(launcher_env, "--headless", "--v2", probe_strategy, "-p", PASSWORD, "--create-password",
                           "--stop-after", "3")
    assert started.returncode == 0, started.stdout + started.stderr
    assert "launcher probe ticking" in started.stdout
    assert "Stopped." in started.stdout
    assert (isolated_root / "conf" / ".password_verification").exists()
    assert PASSWORD not in started.stdout + started.stderr

    wrong = run_launcher(launcher_env, "--headless", "--v2", probe_strategy, "-p", "not-the-password")
    assert wrong.returncode == 4
    assert "Invalid password" in wrong.stderr


def test_password_from_environment_and_sigterm_stop(launcher_env, probe_strategy):
    created = run_launcher(launcher_env, "--headless", "--v2", probe_strategy, "-p", PASSWORD, "--create-password",
                           "--stop-after", "0.5")
    assert created.returncode == 0, created.stderr
    env = dict(launcher_env, CONFIG_PASSWORD=PASSWORD, HEADLESS_MODE="true", SCRIPT_CONFIG=probe_strategy)
    process = subprocess.Popen([sys.executable, str(LAUNCHER)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    output = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        output += line
        if "launcher probe ticking" in line or process.poll() is not None:
            break
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    output += out
    assert process.returncode == 0, output + err
    assert "Stopped." in output


def test_a_stop_asked_for_while_the_strategy_loads_ends_the_run_cleanly(launcher_env, isolated_root):
    # The script signals its own process as Hummingbot imports it: a docker stop in the first seconds of a run.
    (isolated_root / "scripts" / "stopped_while_loading.py").write_text(
        "import os\nimport signal\n\nos.kill(os.getpid(), signal.SIGTERM)\n" + PROBE_SCRIPT)
    (isolated_root / "conf" / "scripts" / "stopped_while_loading.yml").write_text(
        "script_file_name: stopped_while_loading.py\n")
    result = run_launcher(launcher_env, "--headless", "--v2", "stopped_while_loading.yml", "-p", PASSWORD,
                          "--create-password", "--stop-after", "300")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Stopped." in result.stdout


def test_an_interrupt_before_the_strategy_runs_is_reported_without_a_traceback(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("hummingbot_grvt_launcher", LAUNCHER)
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)
    monkeypatch.chdir(REPO)  # the launcher moves to Hummingbot's root; this puts the test back

    def interrupted(_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(launcher, "check_strategy_file", interrupted)
    assert launcher.main(["--headless", "--v2", "any.yml"]) == 130
    assert "interrupted while starting" in capsys.readouterr().err


def test_a_relative_status_file_is_written_where_the_launcher_was_started(launcher_env, probe_strategy, tmp_path):
    elsewhere = tmp_path / "operator"
    elsewhere.mkdir()
    result = subprocess.run([sys.executable, str(LAUNCHER), "--headless", "--v2", probe_strategy, "-p", PASSWORD,
                             "--create-password", "--stop-after", "3", "--status-file", "status.json"],
                            env=launcher_env, cwd=elsewhere, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "connectors" in (elsewhere / "status.json").read_text()


def run_a_variant_of_the_demo_file(launcher_env, isolated_root, name: str, old: str, new: str):
    demo = (REPO / "conf" / "strategies" / "grvt_demo_perpetual_market_making.yml").read_text()
    assert old in demo
    (isolated_root / "conf" / "strategies" / name).write_text(demo.replace(old, new))
    result = run_launcher(launcher_env, "--headless", "-f", name, "-p", PASSWORD, "--create-password",
                          "--stop-after", "5")
    assert "Hummingbot running headless" not in result.stdout
    return result


def test_a_perpetual_market_making_file_in_hedge_mode_on_grvt_is_refused(launcher_env, isolated_root):
    # The strategy waits for the connector to switch to Hedge before it quotes; GRVT is one-way only.
    result = run_a_variant_of_the_demo_file(launcher_env, isolated_root, "hedge.yml",
                                            "position_mode: One-way", "position_mode: Hedge")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "hedge.yml: GRVT has one-way positions only; set position_mode: One-way" in result.stderr


def test_a_misspelt_setting_of_a_v1_file_on_grvt_is_refused_not_ignored(launcher_env, isolated_root):
    # Hummingbot reads a V1 file by its template's keys: 'stop_loss_spred' would leave the stop loss at its default.
    result = run_a_variant_of_the_demo_file(launcher_env, isolated_root, "typo.yml",
                                            "stop_loss_spread:", "stop_loss_spred:")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "typo.yml: ['stop_loss_spred'] are not settings of perpetual_market_making" in result.stderr


def test_a_v1_file_on_grvt_missing_a_required_setting_is_refused_naming_it(launcher_env, isolated_root):
    # Without order_amount perpetual_market_making started, placed no quote and logged nothing.
    result = run_a_variant_of_the_demo_file(launcher_env, isolated_root, "no_amount.yml", "order_amount: 0.002\n", "")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no_amount.yml: ['order_amount'] must be set" in result.stderr


def test_a_connector_name_hummingbot_does_not_know_is_named_as_such(monkeypatch):
    # Hummingbot's own reason was a bare KeyError: "Failed to start strategy grvt_v2_controllers: 'grvt_perpetual_tn'"
    spec = importlib.util.spec_from_file_location("hummingbot_grvt_launcher", LAUNCHER)
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)
    reasons = launcher.FailureReasons()
    for message in ("Failed to create connector grvt_perpetual_tn: 'grvt_perpetual_tn'",
                    "Failed to start strategy grvt_v2_controllers: 'grvt_perpetual_tn'", "Failed to start strategy"):
        reasons.emit(logging.LogRecord("x", logging.ERROR, __file__, 1, message, None, None))
    reason = reasons.reason()
    assert "no connector named grvt_perpetual_tn" in reason and "connector_name" in reason, reason


@pytest.fixture
def launcher_module():
    spec = importlib.util.spec_from_file_location("hummingbot_grvt_launcher", LAUNCHER)
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)
    return launcher


def write_connector_file(directory: Path, name: str, lines):
    (directory / f"{name}.yml").write_text("\n".join([f"connector: {name}"] + lines) + "\n")


def test_each_bad_connector_setting_is_one_line_naming_file_and_setting(launcher_module, tmp_path):
    # Bad values in conf/connectors/*.yml are reported one line per setting, before Hummingbot loads them.
    write_connector_file(tmp_path, "grvt_perpetual", [
        "grvt_perpetual_api_key: secret-api-key", "grvt_perpetual_private_key: secret-private",
        "grvt_perpetual_trading_account_id: '1'", "grvt_perpetual_cancel_on_disconnect_ms: 12"])
    write_connector_file(tmp_path, "grvt_perpetual_testnet", [
        "grvt_perpetual_testnet_api_key: k", "grvt_perpetual_testnet_private_key: p",
        "grvt_perpetual_testnet_trading_account_id: '1'", "grvt_perpetual_testnet_order_entry: pigeon"])
    problems = launcher_module.connector_config_problems(tmp_path)

    assert 2 == len(problems)
    assert problems[0].endswith("grvt_perpetual.yml: grvt_perpetual_cancel_on_disconnect_ms: The GRVT "
                                "cancel-on-disconnect countdown must be 0 (off) or between 3000 and 300000 ms, got 12.")
    assert "grvt_perpetual_testnet_order_entry: The GRVT order entry must be 'websocket' or 'rest'" in problems[1]
    assert not any("\n" in problem or "secret" in problem for problem in problems)


def test_valid_missing_and_broken_connector_files(launcher_module, tmp_path):
    assert [] == launcher_module.connector_config_problems(tmp_path)
    write_connector_file(tmp_path, "grvt_perpetual", [
        "grvt_perpetual_api_key: k", "grvt_perpetual_private_key: p", "grvt_perpetual_trading_account_id: '1'"])
    assert [] == launcher_module.connector_config_problems(tmp_path)
    (tmp_path / "grvt_perpetual_testnet.yml").write_text("connector: [unclosed\n")
    assert "not valid YAML" in launcher_module.connector_config_problems(tmp_path)[0]
