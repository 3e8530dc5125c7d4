"""Live progress of a running bot, in place of its raw log: time, quotes, fills, position, PnL, order latency.

``RunMonitor`` samples a bot once a second from two files the bot writes anyway: its status file (``bot_status``:
resting orders, mid price, position, the connector's order metrics) and Hummingbot's trade database (orders placed,
fills, fees; PnL replayed by ``grvt_tools.pnl``). ``ProgressView`` renders a snapshot with rich: redrawn in place on
a terminal, one line every ``plain_interval`` seconds otherwise (CI logs, pipes).
"""
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Dict, List, Optional, Type

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from grvt_tools.bot_status import read_status
from grvt_tools.pnl import MarketRun, analyze_market
from grvt_tools.records import RecordsError, read_records


@dataclass
class Snapshot:
    elapsed: float
    duration: Optional[float]
    phase: str  # "starting", "running", "stopping"
    connector: Optional[str] = None
    trading_pair: Optional[str] = None
    mid: Optional[Decimal] = None
    bids: List[Decimal] = field(default_factory=list)
    asks: List[Decimal] = field(default_factory=list)
    run: Optional[MarketRun] = None
    order_metrics: Optional[Dict[str, Any]] = None

    @property
    def remaining(self) -> Optional[float]:
        return None if self.duration is None else max(0.0, self.duration - self.elapsed)


def _decimal(text: Any) -> Optional[Decimal]:
    try:
        value = Decimal(str(text))
    except Exception:
        return None
    return value if value.is_finite() else None


class RunMonitor:
    """Samples one bot (one connector and trading pair: the first the status file names, unless given)."""

    def __init__(self, database: Path, status_file: Path, config_file: Optional[str] = None,
                 since: Optional[float] = None, connector: Optional[str] = None, trading_pair: Optional[str] = None):
        self.database = Path(database)
        self.status_file = Path(status_file)
        self.config_file = config_file
        self.since = since
        self.connector = connector
        self.trading_pair = trading_pair

    def sample(self, elapsed: float, duration: Optional[float], phase: str) -> Snapshot:
        snapshot = Snapshot(elapsed=elapsed, duration=duration, phase=phase)
        status = read_status(self.status_file) or {}
        connectors = status.get("connectors") or {}
        name = self.connector or next(iter(connectors), None)
        state = connectors.get(name) or {}
        pair = self.trading_pair or next(iter(state.get("trading_pairs") or []), None)
        snapshot.connector, snapshot.trading_pair = name, pair
        snapshot.mid = _decimal((state.get("mid_prices") or {}).get(pair))
        for order in state.get("open_orders") or []:
            price = _decimal(order.get("price"))
            if order.get("trading_pair") == pair and price is not None:
                (snapshot.bids if order.get("side") == "BUY" else snapshot.asks).append(price)
        snapshot.bids.sort(reverse=True)
        snapshot.asks.sort()
        snapshot.order_metrics = state.get("order_metrics")
        if name and pair and self.database.exists():
            try:
                records = read_records(self.database, config_file=self.config_file, connector=name,
                                       trading_pair=pair, since=self.since)
                if records.mids and records.mids[-1].timestamp > float(status.get("time") or 0):
                    snapshot.mid = records.mids[-1].mid  # Hummingbot's own sample is newer than the status file
                if records.quotes or records.fills:
                    snapshot.run = analyze_market(records, name, pair, end=time.time(), final_mid=snapshot.mid)
            except (RecordsError, ValueError):
                pass
            except Exception:  # the database can be mid-write; the next sample will do
                pass
        return snapshot


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _signed(value: Optional[Decimal], digits: int = 4) -> str:
    return "-" if value is None else f"{float(value):+,.{digits}f}"


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def latency_text(order_metrics: Optional[Dict[str, Any]]) -> str:
    """A short latency line from the connector's order metrics, whatever exact keys it uses."""
    if not order_metrics:
        return "not reported by this connector"
    parts = []
    for key, value in order_metrics.items():
        if isinstance(value, dict):
            percentiles = [(str(name), _number(item)) for name, item in value.items()
                           if str(name).lower().startswith("p") and _number(item) is not None]
            if percentiles:
                names = "/".join(name for name, _ in percentiles)
                values = "/".join(f"{item:.1f}" for _, item in percentiles)
                parts.append(f"{key} {names} {values} ms")
        elif isinstance(value, (int, float, str)) and any(word in key for word in
                                                          ("reconnect", "error", "retr", "circuit")):
            parts.append(f"{key} {value}")
    return "; ".join(parts) or "no orders measured yet"


class ProgressView:
    def __init__(self, console: Console, title: str, log_path: Path, plain_interval: float = 15.0):
        self.console = console
        self.title = title
        self.log_path = log_path
        self.plain_interval = plain_interval
        self._live: Optional[Live] = None
        self._last_plain = float("-inf")
        self._last_phase: Optional[str] = None

    @property
    def interactive(self) -> bool:
        return self.console.is_terminal

    def __enter__(self) -> "ProgressView":
        if self.interactive:
            self._live = Live(console=self.console, refresh_per_second=4, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, traceback)
            self._live = None

    def update(self, snapshot: Snapshot, force_plain: bool = False) -> None:
        if self._live is not None:
            self._live.update(self.render(snapshot))
        elif (force_plain or snapshot.phase != self._last_phase
              or snapshot.elapsed - self._last_plain >= self.plain_interval):
            self._last_plain, self._last_phase = snapshot.elapsed, snapshot.phase
            self.console.print(self.plain_line(snapshot), highlight=False)

    def plain_line(self, snapshot: Snapshot) -> str:
        run = snapshot.run
        timing = _clock(snapshot.elapsed) + (f"/{_clock(snapshot.duration)}" if snapshot.duration else "")
        if run is None:
            return f"[{timing}] {snapshot.phase}: waiting for the first quotes"
        summary, final = run.summary, run.final
        return (f"[{timing}] {snapshot.phase}: mid {_fmt(snapshot.mid, 2)}, bid {_fmt(_first(snapshot.bids), 2)} "
                f"ask {_fmt(_first(snapshot.asks), 2)}, {summary['quotes_placed']} quotes, {summary['fills']} fills, "
                f"position {_fmt(final.position, 6)}, PnL {_signed(final.total)}")

    def render(self, snapshot: Snapshot) -> Panel:
        header = Table.grid(expand=True, padding=(0, 1))
        header.add_column(ratio=1)
        header.add_column(justify="right")
        if snapshot.duration and snapshot.remaining is not None:
            fraction = min(snapshot.elapsed / snapshot.duration, 1.0)
            header.add_row(ProgressBar(total=1.0, completed=fraction),
                           f"{_clock(snapshot.elapsed)} elapsed, {_clock(snapshot.remaining)} left")
        else:
            header.add_row(Text(""), f"{_clock(snapshot.elapsed)} elapsed")

        body = Table.grid(padding=(0, 2))
        body.add_column(style="bold", justify="right")
        body.add_column()
        run = snapshot.run
        market = f"{snapshot.connector or '...'} {snapshot.trading_pair or ''}".strip()
        body.add_row("market", f"{market}   mid {_fmt(snapshot.mid, 2)}")
        quotes = f"bid {_fmt(_first(snapshot.bids), 2)}  ask {_fmt(_first(snapshot.asks), 2)}"
        if snapshot.mid and snapshot.bids and snapshot.asks:
            width = (snapshot.asks[0] - snapshot.bids[0]) / snapshot.mid * 10000
            quotes += f"  (quoted spread {float(width):.1f} bps, {len(snapshot.bids) + len(snapshot.asks)} resting)"
        if run is not None:
            quotes += f"   {run.summary['quotes_placed']} placed so far"
        body.add_row("our quotes", quotes)
        if run is None:
            body.add_row("fills", "none yet")
        else:
            summary, final = run.summary, run.final
            base, quote = run.trading_pair.split("-")[0], run.trading_pair.split("-")[-1]
            body.add_row("fills", f"{summary['fills']} ({summary['buy_fills']} buys, {summary['sell_fills']} sells), "
                                  f"volume {_fmt(summary['volume_quote'], 2)} {quote}")
            body.add_row("position", f"{_fmt(final.position, 6)} {base}")
            body.add_row("PnL", f"[bold]{_signed(final.total)}[/bold] {quote}  (spread {_signed(final.spread)}, "
                                f"inventory {_signed(final.inventory)}, fees {_signed(-final.fees)}, rebates "
                                f"{_signed(final.rebates)}, funding {_signed(final.funding)})")
            recent = [a.fill for a in run.fills[-3:]]
            if recent:
                body.add_row("last fills", "  ".join(
                    f"{time.strftime('%H:%M:%S', time.gmtime(f.timestamp))} {f.side.lower()} {_fmt(f.amount, 6)} "
                    f"@ {_fmt(f.price, 2)}" for f in reversed(recent)))
        body.add_row("order latency", latency_text(snapshot.order_metrics))
        footer = Text(f"{snapshot.phase}.  Full log: {self.log_path}.  Ctrl-C stops: orders are cancelled and the "
                      f"report is still written.", style="dim")
        return Panel(Group(header, body, footer), title=self.title, title_align="left")


def _first(values: List[Decimal]) -> Optional[Decimal]:
    return values[0] if values else None


def _fmt(value: Optional[Decimal], digits: int) -> str:
    return "-" if value is None else f"{float(value):,.{digits}f}"
