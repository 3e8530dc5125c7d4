"""The results table: which figures exist, how repeated runs aggregate into one row, Markdown and JSON output."""
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from bench.stats import advantage, median

OURS, UPSTREAM = "ours", "upstream"
SIDES = (OURS, UPSTREAM)


@dataclass(frozen=True)
class Figure:
    scenario: str
    metric: str
    label: str
    unit: str
    higher_is_better: bool

    @property
    def key(self) -> str:
        return f"{self.scenario}.{self.metric}"


FIGURES = (
    Figure("signing", "orders_per_s", "order signing, connector path (build + EIP-712 sign)", "orders/s", True),
    Figure("signature_only", "orders_per_s", "order signing, signature only (bench/signing_rate.py)", "orders/s",
           True),
    Figure("order_book", "deltas_per_s", "book deltas applied, socket to OrderBook", "deltas/s", True),
    Figure("book_ceiling", "deltas_per_s", "reference, no connector: bare aiohttp client reading the same flood",
           "deltas/s", True),
    Figure("book_ratio", "percent_of_ceiling", "book deltas applied as a share of the bare-client reference", "%",
           True),
    Figure("order_book", "after_flood_wrong", "book after the flood: wrong levels (any kind)", "levels", False),
    Figure("order_book", "crossed_or_ghost", "book after resubscribe: crossed + ghost levels", "levels", False),
    Figure("order_book", "missing_or_wrong_size", "book after resubscribe: missing + wrong-size levels", "levels",
           False),
    Figure("latency", "ack_p50_ms", "place to ack, p50", "ms", False),
    Figure("latency", "ack_p99_ms", "place to ack, p99", "ms", False),
    Figure("latency", "open_p50_ms", "place to OPEN on stream, p50", "ms", False),
    Figure("latency", "open_p99_ms", "place to OPEN on stream, p99", "ms", False),
    Figure("requote", "n1_ms", "requote: cancel 1 + place 1", "ms", False),
    Figure("requote", "n10_ms", "requote: cancel 10 + place 10", "ms", False),
    Figure("requote", "n50_ms", "requote: cancel 50 + place 50", "ms", False),
    Figure("cancel_all", "book_clear_ms", "cancel-all of 100 resting: until the book holds none", "ms", False),
    Figure("memory_1", "rss_mb", "resident memory, 1 trading pair", "MB", False),
    Figure("memory_10", "rss_mb", "resident memory, 10 trading pairs", "MB", False),
    # the sandbox alone (bench/sandbox_throughput.py): one column
    Figure("sandbox", "engine_ops_per_s", "sandbox engine (place+cancel)", "ops/s", True),
    Figure("sandbox", "api_ops_per_s", "sandbox API in-process (signed create+cancel)", "ops/s", True),
    Figure("sandbox", "websocket_ops_per_s", "sandbox over WebSocket JSON-RPC", "ops/s", True),
    Figure("sandbox", "rest_ops_per_s", "sandbox over REST", "ops/s", True),
)


@dataclass
class Row:
    key: str
    label: str
    unit: str
    higher_is_better: bool
    ours: Optional[float] = None
    upstream: Optional[float] = None
    advantage: Optional[float] = None
    errors: Dict[str, str] = field(default_factory=dict)
    samples: Dict[str, List[float]] = field(default_factory=dict)


def _deltas(results: List[dict]) -> List[Optional[float]]:
    return [r.get("deltas_per_s") if isinstance(r.get("deltas_per_s"), (int, float)) else None for r in results]


def book_ratios(runs: Dict[str, Dict[str, List[dict]]]) -> Dict[str, List[dict]]:
    """Each side's book figure as a percentage of the bare-client reference measured in the same repeat (the
    reference runs once per repeat, right after both connectors), so both figures saw the same machine load."""
    ceilings = _deltas(runs.get("book_ceiling", {}).get(OURS, []))
    ratios: Dict[str, List[dict]] = {}
    for side in SIDES:
        pairs = zip(_deltas(runs.get("order_book", {}).get(side, [])), ceilings)
        ratios[side] = [{"percent_of_ceiling": 100.0 * book / ceiling} for book, ceiling in pairs if book and ceiling]
    return ratios


def build_rows(runs: Dict[str, Dict[str, List[dict]]]) -> List[Row]:
    """`runs[scenario][side]` = the JSON results of that scenario's repeated runs (dicts of metric -> value, or
    {"error": text}). Each figure is the median of its runs; a side with no successful run shows its error."""
    runs = dict(runs, book_ratio=book_ratios(runs))
    rows = []
    for figure in FIGURES:
        row = Row(figure.key, figure.label, figure.unit, figure.higher_is_better)
        for side in SIDES:
            results = runs.get(figure.scenario, {}).get(side, [])
            values = [r[figure.metric] for r in results
                      if isinstance(r.get(figure.metric), (int, float)) and not isinstance(r.get(figure.metric), bool)]
            if values:
                row.samples[side] = values
                setattr(row, side, median(values))
            else:
                errors = [str(r.get("error") or r.get(f"{figure.metric}_error") or "") for r in results]
                errors = [e for e in errors if e]
                if errors:
                    row.errors[side] = errors[0]
                elif results:
                    row.errors[side] = "not measured"
        row.advantage = advantage(row.ours, row.upstream, figure.higher_is_better)
        rows.append(row)
    return rows


def _number(value: Optional[float]) -> str:
    if value is None:
        return ""
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _cell(row: Row, side: str) -> str:
    value = getattr(row, side)
    if value is not None:
        return _number(value)
    error = row.errors.get(side)
    if error:
        return "n/a: " + error.replace("|", "/").replace("\n", " ")[:160]
    return "—"


def markdown(header: Dict[str, object], rows: List[Row], notes: List[str]) -> str:
    lines = ["# GRVT connector benchmark: ours vs upstream (Hummingbot {})".format(header.get("hummingbot", "?")), ""]
    for key, value in header.items():
        lines.append(f"- {key}: {value}")
    lines += ["", "Advantage = how many times better ours is (> 1: ours better; higher-is-better figures "
              "ours/upstream, lower-is-better upstream/ours). Each figure is the median over the repeated runs.", "",
              "| figure | unit | ours | upstream | advantage |", "|---|---|---:|---:|---:|"]
    for row in rows:
        ratio = f"{row.advantage:.2f}x" if row.advantage is not None else "—"
        lines.append(f"| {row.label} | {row.unit} | {_cell(row, OURS)} | {_cell(row, UPSTREAM)} | {ratio} |")
    if notes:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def write_results(directory: Path, header: Dict[str, object], rows: List[Row], notes: List[str],
                  raw: Dict[str, object]) -> Dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    markdown_path, json_path = directory / "results.md", directory / "results.json"
    markdown_path.write_text(markdown(header, rows, notes))
    json_path.write_text(json.dumps({"header": header, "rows": [asdict(row) for row in rows], "notes": notes,
                                     "raw": raw}, indent=2, default=str) + "\n")
    return {"markdown": markdown_path, "json": json_path}
