"""`make demo`: the market maker on the sandbox with progress, a run folder (CSV, JSON, PNG) and a clean stop."""
import csv
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from grvt_sandbox.config import DEMO_PRIVATE_KEY

REPO = Path(__file__).resolve().parents[2]
NETWORK_NOISE = ("Error", "ERROR", "Traceback", "network connection", "Gate.IO", "Binance", "Kraken", "KuCoin",
                 "server time")


def demo_env():
    return {key: value for key, value in os.environ.items() if not key.startswith(("GRVT_PERPETUAL", "DEMO_"))}


def newest_run_folder(before: set) -> Path:
    runs = set((REPO / ".demo" / "runs").glob("*")) - before
    assert len(runs) == 1, runs
    return runs.pop()


def existing_runs() -> set:
    return set((REPO / ".demo" / "runs").glob("*"))


def check_run_folder(folder: Path) -> dict:
    summary = json.loads((folder / "summary.json").read_text())
    assert (folder / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(folder / "trades.csv") as handle:
        trades = list(csv.DictReader(handle))
    market = summary["markets"][0]
    assert market["connector"] == "grvt_perpetual_testnet" and market["trading_pair"] == "BTC-USDT"
    assert market["quotes_placed"] > 0 and market["fills"] == len(trades)
    assert summary["exchange"]["orders_resting"] == 0
    pnl = market["pnl"]
    parts = sum(float(pnl[part]) for part in ("spread", "inventory", "fees", "rebates", "funding"))
    assert abs(parts - float(pnl["total"])) < 1e-6
    return summary


def test_demo_shows_progress_writes_the_report_and_stops_clean():
    before = existing_runs()
    result = subprocess.run([sys.executable, str(REPO / "bin" / "demo.py"), "--duration", "12"], cwd=REPO,
                            env=demo_env(), capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "] running: " in output  # progress lines, not Hummingbot's log
    final_line = re.compile(r"\] stopped: mid [0-9,.]+, bid \S+ ask \S+, [1-9][0-9]* quotes, [0-9]+ fills, position")
    assert final_line.search(output), output[-3000:]
    assert "Created LIMIT" not in output
    for noise in NETWORK_NOISE:
        assert noise not in output, (noise, output[-3000:])
    assert "orders left resting: 0" in output
    assert DEMO_PRIVATE_KEY not in output
    folder = newest_run_folder(before)
    assert f"{folder}/" in output and "chart.png" in output
    summary = check_run_folder(folder)
    assert summary["run"]["bot_exit_code"] == 0
    hummingbot_log = Path(summary["run"]["hummingbot_log"]).read_text()
    assert re.search(r"Created LIMIT(_MAKER)? BUY order", hummingbot_log)  # the full log is kept in its file


def test_ctrl_c_stops_cleanly_and_still_writes_the_report():
    before = existing_runs()
    process = subprocess.Popen([sys.executable, str(REPO / "bin" / "demo.py"), "--duration", "600"], cwd=REPO,
                               env=demo_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 240
        output = ""
        while "quotes," not in output:  # the first progress line with quotes
            line = process.stdout.readline()
            assert line and time.monotonic() < deadline, output
            output += line
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=240)
        output += rest
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output[-4000:]
    assert "orders left resting: 0" in output
    summary = check_run_folder(newest_run_folder(before))
    assert summary["run"]["bot_exit_code"] == 0


def test_a_new_demo_does_not_report_the_trades_of_earlier_demos(tmp_path, monkeypatch):
    # Each demo trades on a new sandbox (a flat account): trades of an earlier demo in the root's database would add
    # their position and PnL to `make report`, which reports on the whole database.
    from rich.console import Console

    from grvt_tools.records import find_databases
    from test.operator.records_fixture import TradeDatabase

    spec = importlib.util.spec_from_file_location("grvt_demo_command", REPO / "bin" / "demo.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    monkeypatch.setattr(demo, "DEMO_ROOT", tmp_path / "demo")
    earlier_path = demo.bot_root.BotRoot(tmp_path / "demo").database(demo.DEMO_CONFIG)
    earlier_path.parent.mkdir(parents=True)
    earlier = TradeDatabase(earlier_path)
    earlier.fill("b1", "BUY", "90000", "0.002", "0", 1_800_000_000_000)

    def sandbox_that_stops_the_demo_here(**kwargs):
        raise demo.SandboxStartError("stop here")

    monkeypatch.setattr(demo.SandboxProcess, "start", lambda self: sandbox_that_stops_the_demo_here())
    assert demo.run_demo(5, 7, demo.DEMO_CONFIG, Console(file=open(os.devnull, "w"))) == 1
    assert not earlier.path.exists() and find_databases(tmp_path / "demo") != [earlier.path]
    assert list((tmp_path / "demo" / "data").glob("*.sqlite"))  # kept aside, not deleted
