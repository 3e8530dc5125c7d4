#!/usr/bin/env python3
"""The demo: a GRVT market maker on the local GRVT sandbox, with live progress and a report. No network, no keys.

It starts the sandbox with its synthetic market, prepares a private Hummingbot root in ``.demo/`` (your own
``conf/`` and keys are never touched), stores the sandbox demo account's keys for ``grvt_perpetual_testnet`` there
and runs the demo strategy headless for a few minutes. Instead of Hummingbot's log (kept in
``.demo/logs/logs_hummingbot.log``) it shows live progress: time, our quotes, fills, position, PnL and order
latency. When the time is up, or on Ctrl-C, the bot stops and cancels its orders, and the demo writes a run folder
``.demo/runs/<time>/`` with ``trades.csv``, ``summary.json`` and ``chart.png`` and prints a summary with what the
exchange itself saw.

The strategy is ``DEMO_CONFIG``: a V2 script config in ``conf/scripts/`` (with the controller configs it names) or a
V1 strategy file in ``conf/strategies/``; ``--config NAME`` runs another one.
"""
import argparse
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any, Dict, NotRequired, Optional, Sequence, Tuple, TypedDict, cast

from rich.console import Console

from grvt_sandbox.config import DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID
from grvt_tools import bot_root
from grvt_tools.bot_status import read_status
from grvt_tools.exchange_view import ExchangeViewError, SandboxAdmin
from grvt_tools.headless import HeadlessBot, HeadlessBotError, recorded_config, sandbox_env
from grvt_tools.progress import ProgressView, RunMonitor
from grvt_tools.records import RecordsError
from grvt_tools.report import ReportError, build_report, render_summary
from grvt_tools.sandbox_process import SandboxProcess, SandboxStartError

REPO = Path(__file__).resolve().parent.parent
DEMO_ROOT = REPO / ".demo"
DEMO_PASSWORD = "grvt-sandbox-demo"
# The GRVT market maker (V2 script config with its controller) when this checkout has it, else Hummingbot's V1
# perpetual_market_making; the demo, progress and report work the same for both.
DEMO_CONFIGS = ("grvt_market_maker.yml", "grvt_demo_perpetual_market_making.yml")
DEMO_STRATEGY = "grvt_demo_perpetual_market_making.yml"  # the V1 strategy file, kept for callers of prepare_root()
DEMO_CONNECTOR = "grvt_perpetual_testnet"
DEFAULT_DURATION_S = 180.0
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 120.0
SAMPLE_INTERVAL_S = 1.0


def default_demo_config(conf: Path = REPO / "conf") -> str:
    return next((name for name in DEMO_CONFIGS
                 if (conf / "scripts" / name).is_file() or (conf / "strategies" / name).is_file()), DEMO_STRATEGY)


DEMO_CONFIG = default_demo_config()


def demo_config_kind(name: str, conf: Path = REPO / "conf") -> str:
    """``script`` for a V2 script config in conf/scripts/, ``strategy`` for a V1 file in conf/strategies/."""
    if (conf / "scripts" / name).is_file():
        return "script"
    if (conf / "strategies" / name).is_file():
        return "strategy"
    raise SystemExit(f"demo: no config {name!r} in {conf / 'scripts'} or {conf / 'strategies'}")


def prepare_root(config: str = DEMO_CONFIG) -> Path:
    """A Hummingbot root of its own: linked code, private conf/ logs/ data/ (see grvt_tools.bot_root)."""
    if demo_config_kind(config) == "script":
        root = bot_root.prepare_root(DEMO_ROOT, script_configs=[config])  # with the controller configs it lists
    else:
        root = bot_root.prepare_root(DEMO_ROOT, strategies=[config])
    return root.path


def store_demo_keys() -> None:
    """Creates the demo root's password file and the sandbox demo account's encrypted connector keys."""
    bot_root.store_keys(bot_root.BotRoot(DEMO_ROOT), DEMO_CONNECTOR,
                        bot_root.grvt_keys(DEMO_CONNECTOR, DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID),
                        password=DEMO_PASSWORD,
                        client_settings={**bot_root.OFFLINE_CLIENT_SETTINGS, **bot_root.MID_PRICE_SAMPLING_SETTINGS})


class StopRequest:
    """Ctrl-C (SIGINT) or SIGTERM asks for a clean stop; repeated presses only remind that it is under way."""

    def __init__(self, console: Console):
        self.console = console
        self.requested_at: Optional[float] = None
        self._previous: Dict[signal.Signals, Any] = {}  # the handlers they had: a function, SIG_DFL, SIG_IGN or None

    def __enter__(self) -> "StopRequest":
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: Optional[FrameType]) -> None:
        if self.requested_at is None:
            self.requested_at = time.monotonic()
        else:
            self.console.print("[yellow]Stopping already: waiting for the bot to cancel its orders.[/yellow]")

    @property
    def requested(self) -> bool:
        return self.requested_at is not None


class ExchangeView(TypedDict):
    equity: Optional[str]
    unrealized_pnl: Optional[str]
    position: str
    orders_resting: int
    mid: str
    text: NotRequired[str]


def exchange_view(admin: SandboxAdmin, instrument: str) -> ExchangeView:
    """What the sandbox exchange itself holds for the demo account now."""
    account = admin.account(DEMO_SUB_ACCOUNT_ID)
    resting = admin.open_orders(DEMO_SUB_ACCOUNT_ID)
    positions = {p["instrument"]: p for p in account.get("positions", [])}
    position = positions.get(instrument, {})
    return {"equity": account.get("total_equity"), "unrealized_pnl": account.get("unrealized_pnl"),
            "position": position.get("size", "0"), "orders_resting": len(resting),
            "mid": str(admin.mid_price(instrument) or "")}


def instrument_of(trading_pair: str) -> str:
    return f"{trading_pair.replace('-', '_')}_Perp"


def run_bot(bot: HeadlessBot, monitor: RunMonitor, view: ProgressView, duration: float,
            stop: StopRequest) -> Tuple[float, float]:
    """Runs the bot until the time is up or a stop is requested; returns (start, stop) times (epoch seconds)."""
    if bot.process is None:
        raise HeadlessBotError("the bot was not started")
    started = time.monotonic()
    phase = "starting Hummingbot"
    while True:
        elapsed = time.monotonic() - started
        if phase != "running" and "Hummingbot running headless" in bot.console_text():
            phase, started = "running", time.monotonic()
            elapsed = 0.0
            run_started = time.time()
        if not bot.is_running():
            raise HeadlessBotError(f"the bot exited with code {bot.exit_code}; see {bot.console_log}")
        if phase == "running" and (elapsed >= duration or stop.requested):
            break
        if phase != "running" and stop.requested:
            break
        if phase != "running" and elapsed > START_TIMEOUT_S:
            raise HeadlessBotError(f"the strategy did not start within {START_TIMEOUT_S:.0f} s; see {bot.console_log}")
        view.update(monitor.sample(elapsed if phase == "running" else 0.0, duration, phase))
        time.sleep(SAMPLE_INTERVAL_S if phase == "running" else 0.2)
    bot.request_stop()
    stopped_at = time.time()
    while bot.is_running():
        view.update(monitor.sample(time.monotonic() - started, duration, "stopping: cancelling orders"))
        try:
            bot.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            if time.time() - stopped_at > STOP_TIMEOUT_S:
                bot.process.kill()
    view.update(monitor.sample(time.monotonic() - started, duration, "stopped"), force_plain=True)
    return (run_started if phase == "running" else stopped_at), stopped_at


def run_demo(duration: float, seed: int, config: str, console: Console) -> int:
    kind = demo_config_kind(config)
    root = bot_root.BotRoot(prepare_root(config))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    run_folder = root.path / "runs" / stamp
    run_folder.mkdir(parents=True, exist_ok=True)
    database = root.database(config if kind == "script" else recorded_config(root, config))
    if database.exists():  # trades of an earlier demo, on an earlier sandbox: kept aside, out of this run's records
        database.rename(database.with_name(f"{database.stem}-before-{stamp}.sqlite"))
    status_file = root.logs / "status.json"
    if status_file.exists():
        status_file.unlink()
    console.print(f"[bold]GRVT market making demo[/bold]: {config} on the local GRVT sandbox (synthetic market, seed "
                  f"{seed}) for {duration:.0f} s. No network, no keys.")
    try:
        sandbox = SandboxProcess(seed=seed, log_file=run_folder / "sandbox.log").start()
    except SandboxStartError as error:
        console.print(f"[red]demo:[/red] {error}")
        return 1
    try:
        store_demo_keys()
        sandbox_url = cast(str, sandbox.url)  # start() read it from the sandbox or raised
        admin = SandboxAdmin(sandbox_url)
        bot = HeadlessBot(root, DEMO_PASSWORD, strategy=None if kind == "script" else config,
                          script_config=config if kind == "script" else None,
                          env=sandbox_env(sandbox_url, DEMO_CONNECTOR),
                          stop_after=duration + 300,  # a backstop should this process die without stopping it
                          extra_args=["--status-file", str(status_file)])
        monitor = RunMonitor(bot.database, status_file, config_file=bot.config_file_name, since=time.time())
        with StopRequest(console) as stop:
            bot.start()
            try:
                with ProgressView(console, f"{config} on the GRVT sandbox", root.hummingbot_log) as view:
                    started, stopped = run_bot(bot, monitor, view, duration, stop)
            except HeadlessBotError as error:
                console.print(f"[red]demo:[/red] {error}")
                if bot.is_running():
                    bot.stop()
                return 1
        return finish(bot, admin, monitor, run_folder, started, stopped, console)
    finally:
        sandbox.stop()


def finish(bot: HeadlessBot, admin: SandboxAdmin, monitor: RunMonitor, run_folder: Path, started: float,
           stopped: float, console: Console) -> int:
    status = read_status(monitor.status_file) or {}
    state = (status.get("connectors") or {}).get(DEMO_CONNECTOR) or {}
    trading_pair = next(iter(state.get("trading_pairs") or []), "BTC-USDT")
    extra: Dict[str, object] = {"run": {"config": bot.config_file_name, "started_utc": _utc(started),
                                        "stopped_utc": _utc(stopped), "bot_exit_code": bot.exit_code,
                                        "hummingbot_log": str(bot.hummingbot_log)}}
    if state.get("order_metrics"):
        extra["order_metrics"] = state["order_metrics"]
    final_mids = {}
    resting = None
    try:
        seen = exchange_view(admin, instrument_of(trading_pair))
        resting = seen["orders_resting"]
        seen["text"] = (f"equity {seen['equity']} USDT (started with 100000), position {seen['position']}, "
                        f"orders left resting: {resting}")
        extra["exchange"] = seen
        if seen["mid"]:
            final_mids[(DEMO_CONNECTOR, trading_pair)] = Decimal(seen["mid"])
    except ExchangeViewError as error:
        console.print(f"[yellow]The sandbox's view is unavailable: {error}[/yellow]")
    try:
        report = build_report(bot.database, run_folder, config_file=bot.config_file_name, since=monitor.since,
                              end=stopped, final_mids=final_mids, extra=extra)
    except (ReportError, RecordsError) as error:
        console.print(f"[yellow]No report: {error}[/yellow]")
        return 1
    console.print()
    render_summary(report, console)
    console.print(f"  [bold]logs[/bold]  {bot.hummingbot_log}")
    clean = bot.exit_code == 0 and resting == 0
    if not clean:
        console.print(f"[red]The bot did not stop cleanly (exit code {bot.exit_code}, "
                      f"orders resting: {resting}).[/red]")
    return 0 if clean else 1


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="seconds")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=float(os.environ.get("DEMO_DURATION", DEFAULT_DURATION_S)),
                        help=f"seconds the strategy runs before a clean stop (default {DEFAULT_DURATION_S:.0f}, "
                             f"or $DEMO_DURATION; Ctrl-C stops earlier)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the sandbox's synthetic market")
    parser.add_argument("--config", default=os.environ.get("DEMO_CONFIG", DEMO_CONFIG),
                        help=f"script config (conf/scripts/) or V1 strategy (conf/strategies/); default {DEMO_CONFIG}")
    parser.add_argument("--store-keys", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.store_keys:
        store_demo_keys()
        return 0
    if args.duration <= 0:
        parser.error("--duration must be positive")
    console = Console() if sys.stdout.isatty() else Console(width=120)  # logs and pipes get full lines
    return run_demo(args.duration, args.seed, args.config, console)


if __name__ == "__main__":
    sys.exit(main())
