"""Configs and checks shared by the strategy acceptance tests (the bots, the sandbox and the report table)."""
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable, Dict, List, Optional

import yaml

from test.strategies.bots import REPO, AccountView, Bot, Fleet

SCRIPT = "grvt_v2_controllers.py"
INSTRUMENTS = {"BTC-USDT": "BTC_USDT_Perp", "ETH-USDT": "ETH_USDT_Perp", "SOL-USDT": "SOL_USDT_Perp"}


@dataclass
class Expectation:
    """What one bot must show on the sandbox: fills, the sides it quotes, a position limit."""
    pair: str
    position_limit: Decimal
    sides: str = "both"  # both, buy or sell
    min_fills: int = 1


@dataclass
class Outcome:
    name: str
    expectation: Expectation
    view: AccountView
    exit_code: Optional[int]
    console: str
    log: str
    seconds: float
    latency: Dict[str, str] = field(default_factory=dict)


def controller_files(name: str, controller: dict) -> Dict[str, str]:
    """A controller config and the script config that runs it, both named ``name``."""
    controller = dict(controller, id=name)
    return {
        f"conf/controllers/{name}.yml": yaml.safe_dump(controller, sort_keys=False),
        f"conf/scripts/{name}.yml": yaml.safe_dump({"script_file_name": SCRIPT, "controllers_config": [f"{name}.yml"]}),
    }


def repo_file(relative: str) -> str:
    return (REPO / relative).read_text()


def satisfied(view: AccountView, expectation: Expectation) -> bool:
    sides = {"both": view.buy_orders > 0 and view.sell_orders > 0, "buy": view.buy_orders > 0,
             "sell": view.sell_orders > 0}[expectation.sides]
    return sides and view.fills >= expectation.min_fills


def run_until_satisfied(fleet: Fleet, expectations: Dict[str, Expectation], min_seconds: float,
                        max_seconds: float) -> float:
    """Lets the bots trade until each shows its fills and sides on the sandbox (at least ``min_seconds``, at most
    ``max_seconds``); returns how long they ran. The checks themselves are the tests'."""
    started = time.monotonic()
    while True:
        elapsed = time.monotonic() - started
        done = all(satisfied(fleet.bots[name].view(), expectation) for name, expectation in expectations.items())
        if (done and elapsed >= min_seconds) or elapsed >= max_seconds:
            return elapsed
        for bot in fleet.bots.values():
            if bot.process.poll() is not None:
                raise AssertionError(f"{bot.name} exited early ({bot.process.returncode}):\n{bot.console()[-3000:]}")
        time.sleep(1.0)


def final_status(log: str) -> str:
    """The status a controller logs when it stops (the last one)."""
    marker = log.rfind("stopped; final status:")
    return log[marker:] if marker >= 0 else ""


def latency_figures(log: str) -> Dict[str, str]:
    status = final_status(log)
    figures = {}
    for name in ("tick->quote", "quote->ack"):
        match = re.search(re.escape(name) + r" p50 ([\d.]+) p90 ([\d.]+) p99 ([\d.]+) max [\d.]+ \(n=(\d+)\)", status)
        if match:
            p50, p90, p99, count = match.groups()
            figures[name] = f"p50 {p50} / p90 {p90} / p99 {p99} ms (n={count})"
    return figures


def report_table(outcomes: List[Outcome]) -> str:
    lines = ["| strategy | pair | run (s) | orders | fills (buy/sell) | PnL (USDT, equity change) | fees (USDT) | "
             "max abs position | resting after stop | tick->quote | quote->ack |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for outcome in outcomes:
        view = outcome.view
        lines.append(
            f"| {outcome.name} | {outcome.expectation.pair} | {outcome.seconds:.0f} | {view.orders} | "
            f"{view.fills} ({view.buys}/{view.sells}) | {view.pnl:+.4f} | {view.fees:+.4f} | "
            f"{view.max_abs_position.normalize()} | {view.open_orders} | "
            f"{outcome.latency.get('tick->quote', '-')} | {outcome.latency.get('quote->ack', '-')} |")
    return "\n".join(lines)


def collect(fleet: Fleet, expectations: Dict[str, Expectation], exit_codes: Dict[str, int],
            seconds: float) -> Dict[str, Outcome]:
    outcomes = {}
    for name, expectation in expectations.items():
        bot: Bot = fleet.bots[name]
        log = bot.log()
        outcomes[name] = Outcome(name, expectation, bot.view(), exit_codes.get(name), bot.console(), log, seconds,
                                 latency_figures(log))
    return outcomes


def write_report(outcomes: Dict[str, Outcome], path: Path, title: str) -> str:
    table = report_table(list(outcomes.values()))
    path.write_text(f"# {title}\n\n{table}\n")
    return table


def each_bot(names: List[str], check: Callable[[str], None]):
    failures = []
    for name in names:
        try:
            check(name)
        except AssertionError as error:
            failures.append(f"{name}: {error}")
    assert not failures, "\n".join(failures)
