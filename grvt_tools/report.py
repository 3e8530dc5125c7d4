"""The run report: trades CSV, JSON summary and PNG chart from a bot's own trade records, plus a terminal summary.

Works on any finished (or running) bot: the demo's, one on the sandbox, on GRVT's testnet or mainnet, in a Docker
volume. Point it at a Hummingbot root, its ``data/`` folder or one ``.sqlite`` file::

    python bin/report.py .demo                         # newest database in .demo/data/
    python bin/report.py /path/to/hummingbot/data/conf_v2_grvt.sqlite --out my-report
    python bin/report.py ROOT --config grvt_demo_perpetual_market_making.yml --since 2026-12-01T00:00

It writes ``trades.csv`` (one line per fill, with the mid at the fill, the edge in basis points and the position
after it), ``summary.json`` (counts, volumes, PnL split into spread, inventory, fees, rebates and funding, drawdown)
and ``chart.png`` (``chart-<connector>-<pair>.png`` for further markets) into the output folder (default
``<root>/reports/<database name>-<time>/``) and prints the summary.
"""
import argparse
import csv
import json
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from rich.console import Console
from rich.table import Table

from grvt_tools.bot_status import read_status
from grvt_tools.chart import write_chart
from grvt_tools.pnl import MarketRun, analyze
from grvt_tools.progress import latency_text
from grvt_tools.records import RecordsError, config_files, find_databases, read_records

PNL_PARTS = ("spread", "inventory", "fees", "rebates", "funding", "total")
TRADES_COLUMNS = ("time_utc", "timestamp", "connector", "trading_pair", "side", "price", "amount", "notional",
                  "fee_quote", "position_action", "mid_at_fill", "edge_bps", "position_after", "order_id",
                  "exchange_trade_id")


class ReportError(Exception):
    """Nothing to report on, worded for the operator."""


@dataclass
class Report:
    folder: Path
    trades_csv: Path
    summary_json: Path
    charts: List[Path]
    summary: Dict[str, Any]
    runs: List[MarketRun] = field(default_factory=list)


def utc_text(seconds: Optional[float]) -> Optional[str]:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _write_trades(runs: Sequence[MarketRun], path: Path) -> None:
    rows = []
    for run in runs:
        for annotated in run.fills:
            fill = annotated.fill
            edge = annotated.edge_bps
            rows.append((fill.timestamp, {
                "time_utc": utc_text(fill.timestamp), "timestamp": fill.timestamp, "connector": fill.connector,
                "trading_pair": fill.trading_pair, "side": fill.side, "price": fill.price, "amount": fill.amount,
                "notional": fill.notional, "fee_quote": fill.fee_quote, "position_action": fill.position_action,
                "mid_at_fill": annotated.mid, "edge_bps": round(edge, 3) if edge is not None else "",
                "position_after": annotated.position_after, "order_id": fill.order_id,
                "exchange_trade_id": fill.exchange_trade_id}))
    rows.sort(key=lambda row: row[0])
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=TRADES_COLUMNS)
        writer.writeheader()
        for _, row in rows:
            writer.writerow({key: _plain(value) for key, value in row.items()})


def _totals(runs: Sequence[MarketRun]) -> Dict[str, Decimal]:
    totals = {part: Decimal(0) for part in PNL_PARTS}
    for run in runs:
        for part in PNL_PARTS:
            totals[part] += run.summary["pnl"][part]
    return totals


def build_report(database: Path, folder: Path, config_file: Optional[str] = None, since: Optional[float] = None,
                 end: Optional[float] = None, final_mids: Optional[Mapping[Tuple[str, str], Decimal]] = None,
                 extra: Optional[Mapping[str, Any]] = None, title: str = "") -> Report:
    """Reads the database, replays each market, writes the three files into ``folder``.

    :param end: time (seconds) up to which an open position is marked; ``final_mids`` the mids to mark it at.
    :param extra: more facts for ``summary.json`` (e.g. the exchange's own view, order latency).
    """
    records = read_records(database, config_file=config_file, since=since)
    if not records.quotes and not records.fills:
        scope = f" for {config_file}" if config_file else ""
        raise ReportError(f"{database} holds no orders or fills{scope}: nothing to report yet.")
    runs = analyze(records, end=end, final_mids=dict(final_mids or {}))
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    trades_csv, summary_json = folder / "trades.csv", folder / "summary.json"
    _write_trades(runs, trades_csv)
    charts = []
    for index, run in enumerate(runs):
        name = "chart.png" if index == 0 else f"chart-{run.connector}-{run.trading_pair}.png"
        charts.append(write_chart(run, folder / name, title=title))
    summary: Dict[str, Any] = {
        "database": str(Path(database).resolve()),
        "config_files": config_files(database) if config_file is None else [config_file],
        "start_utc": utc_text(min(run.start for run in runs)),
        "end_utc": utc_text(max(run.end for run in runs)),
        "markets": [run.summary for run in runs],
        "pnl_total": _totals(runs),
        "files": {"trades_csv": trades_csv.name, "charts": [chart.name for chart in charts]},
    }
    summary.update(dict(extra or {}))
    summary_json.write_text(json.dumps(_plain(summary), indent=2) + "\n")
    return Report(folder=folder, trades_csv=trades_csv, summary_json=summary_json, charts=charts,
                  summary=summary, runs=runs)


def _number(value: Any, digits: int = 4, signed: bool = False) -> str:
    if value is None:
        return "-"
    number = float(value)
    return f"{number:+,.{digits}f}" if signed else f"{number:,.{digits}f}"


def render_summary(report: Report, console: Optional[Console] = None) -> None:
    console = console or Console()
    for run in report.runs:
        summary = run.summary
        quote = run.trading_pair.split("-")[-1]
        base = run.trading_pair.split("-")[0]
        table = Table(title=f"{run.connector} {run.trading_pair}  ({utc_text(run.start)} to {utc_text(run.end)} UTC)",
                      show_header=False, title_justify="left", box=None, padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        table.add_row("duration", f"{summary['duration_s']:.0f} s")
        table.add_row("quotes placed", f"{summary['quotes_placed']} ({summary['buy_quotes']} bids, "
                                       f"{summary['sell_quotes']} asks), {summary['quotes_filled']} filled; median "
                                       f"distance from mid {_number(summary['median_quote_distance_bps'], 2)} bps")
        table.add_row("fills", f"{summary['fills']} ({summary['buy_fills']} buys, {summary['sell_fills']} sells), "
                               f"volume {_number(summary['volume_base'], 6)} {base} = "
                               f"{_number(summary['volume_quote'], 2)} {quote}")
        table.add_row("spread capture", f"{_number(summary['spread_capture_bps'], 2)} bps of volume")
        table.add_row("position", f"{_number(summary['final_position'], 6)} {base} at the end, "
                                  f"max {_number(summary['max_abs_position'], 6)}")
        pnl = summary["pnl"]
        table.add_row("PnL", f"[bold]{_number(pnl['total'], 4, signed=True)} {quote}[/bold] = spread "
                             f"{_number(pnl['spread'], 4, True)}, inventory {_number(pnl['inventory'], 4, True)}, "
                             f"fees {_number(pnl['fees'], 4, True)}, rebates {_number(pnl['rebates'], 4, True)}, "
                             f"funding {_number(pnl['funding'], 4, True)}")
        table.add_row("max drawdown", f"{_number(summary['max_drawdown'], 4)} {quote}")
        table.add_row("mid price", f"{_number(summary['first_mid'], 2)} -> {_number(summary['last_mid'], 2)} "
                                   f"({summary['mid_source']})")
        console.print(table)
    if report.summary.get("order_metrics"):
        console.print(f"  [bold]orders[/bold]  {latency_text(report.summary['order_metrics'])}", highlight=False)
    exchange = report.summary.get("exchange")
    if exchange:
        console.print(f"  [bold]exchange[/bold]  {exchange.get('text', '')}")
    console.print(f"  [bold]report[/bold]  {report.folder}/  trades.csv, summary.json, "
                  f"{', '.join(chart.name for chart in report.charts)}")


def parse_time(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds since the epoch or an ISO time, got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def root_of(location: Path, database: Path) -> Path:
    """The Hummingbot root of a location given as the root, its data/ folder or one of its databases."""
    root = location if location.is_dir() else database.parent
    return root.parent if root.name == "data" else root


def default_folder(location: Path, database: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return root_of(location, database) / "reports" / f"{database.stem}-{stamp}"


def database_of(databases: Sequence[Path], config_file: Optional[str]) -> Path:
    """The newest database holding ``config_file``'s records (Hummingbot keeps one per config), else the newest."""
    if config_file:
        for database in reversed(databases):
            try:
                if config_file in config_files(database):
                    return database
            except RecordsError:
                continue
    return databases[-1]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="bin/report.py", description=__doc__.splitlines()[0])
    parser.add_argument("location", type=Path, help="a Hummingbot root, its data/ folder or a .sqlite file")
    parser.add_argument("--config", help="only orders and fills of this strategy/script config file")
    parser.add_argument("--since", type=parse_time, help="only records from this time (ISO, UTC, or epoch seconds)")
    parser.add_argument("--out", type=Path, help="output folder (default <root>/reports/<db>-<time>/)")
    parser.add_argument("--status-file", type=Path,
                        help="a bot status file to take order latency from (default <root>/logs/status.json)")
    args = parser.parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=120)
    try:
        databases = find_databases(args.location)
        if not databases:
            raise ReportError(f"No Hummingbot trade database (*.sqlite) at {args.location} or in its data/ folder.")
        database = database_of(databases, args.config)
        extra: Dict[str, Any] = {}
        status_file = args.status_file or (root_of(args.location, database) / "logs" / "status.json")
        status = read_status(status_file) if status_file else None
        if status:
            metrics = [c.get("order_metrics") for c in status.get("connectors", {}).values() if c.get("order_metrics")]
            if metrics:
                extra["order_metrics"] = metrics[0]
        report = build_report(database, args.out or default_folder(args.location, database),
                              config_file=args.config, since=args.since, extra=extra)
    except (ReportError, RecordsError) as error:
        console.print(f"[red]report:[/red] {error}")
        return 1
    render_summary(report, console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
