"""The run chart (PNG, matplotlib's Agg backend: no display needed).

Three panels over time: the mid price with every quote the bot rested (a segment from creation to cancel or fill;
green bids, red asks) and its fills (triangles up for buys, down for sells); the position; the cumulative PnL with
its parts (spread, inventory, fees and rebates, funding) and the total.
"""
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Tuple

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from grvt_tools.pnl import MarketRun, PnlPoint  # noqa: E402

BID_COLOR = "#1a9850"
ASK_COLOR = "#d73027"
MID_COLOR = "#404040"
PNL_COLORS = {"spread": "#2c7bb6", "inventory": "#fdae61", "fees and rebates": "#984ea3", "funding": "#4daf4a"}


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(tzinfo=None)


def _numbers(seconds: List[float]) -> List[float]:
    return list(mdates.date2num([_time(s) for s in seconds]))


def _quote_segments(run: MarketRun, side: str) -> List[List[Tuple[float, float]]]:
    segments = []
    for quote in run.quotes:
        if quote.side != side:
            continue
        start = quote.created
        stop = quote.ended if quote.ended is not None else run.end
        stop = max(stop, start + 0.3)  # a quote filled within its first tick still shows
        begin, finish = _numbers([start, stop])
        segments.append([(begin, float(quote.price)), (finish, float(quote.price))])
    return segments


def _price_panel(axis: Axes, run: MarketRun) -> None:
    times = _numbers([t for t, _ in run.mids])
    axis.plot(times, [float(m) for _, m in run.mids], color=MID_COLOR, linewidth=1.0,
              label=f"mid ({run.mid_source})", zorder=2, drawstyle="steps-post")
    for side, color, label in (("BUY", BID_COLOR, "our bids"), ("SELL", ASK_COLOR, "our asks")):
        segments = _quote_segments(run, side)
        if segments:
            axis.add_collection(LineCollection(segments, colors=color, linewidths=2.2, alpha=0.55, label=label,
                                               zorder=3))
    for side, marker, color, label in (("BUY", "^", BID_COLOR, "buy fills"), ("SELL", "v", ASK_COLOR, "sell fills")):
        fills = [a.fill for a in run.fills if a.fill.side == side]
        if fills:
            axis.scatter(_numbers([f.timestamp for f in fills]), [float(f.price) for f in fills], marker=marker,
                         s=70, color=color, edgecolors="black", linewidths=0.7, label=label, zorder=5)
    axis.autoscale_view()
    axis.set_ylabel(f"price ({run.trading_pair.split('-')[-1]})")
    axis.legend(loc="upper left", fontsize=8, ncol=5, framealpha=0.85)
    axis.ticklabel_format(axis="y", useOffset=False, style="plain")


def _settled(run: MarketRun) -> List[PnlPoint]:
    """One point per timestamp, the last: fills recorded in the same second draw no spike through their partials."""
    points = {}
    for point in run.points:
        points[point.time] = point
    return list(points.values())


def _position_panel(axis: Axes, run: MarketRun) -> None:
    points = _settled(run)
    times = _numbers([p.time for p in points])
    position = [float(p.position) for p in points]
    axis.step(times, position, where="post", color="#253494", linewidth=1.2)
    axis.fill_between(times, position, step="post", alpha=0.25, color="#41b6c4")
    axis.axhline(0, color="black", linewidth=0.6)
    axis.set_ylabel(f"position ({run.trading_pair.split('-')[0]})")


def _pnl_panel(axis: Axes, run: MarketRun) -> None:
    points = _settled(run)
    times = _numbers([p.time for p in points])
    parts = {
        "spread": [float(p.spread) for p in points],
        "inventory": [float(p.inventory) for p in points],
        "fees and rebates": [float(p.rebates - p.fees) for p in points],
        "funding": [float(p.funding) for p in points],
    }
    for name, values in parts.items():
        axis.step(times, values, where="post", color=PNL_COLORS[name], linewidth=1.2, label=name)
    axis.step(times, [float(p.total) for p in points], where="post", color="black", linewidth=2.0, label="total")
    axis.axhline(0, color="black", linewidth=0.6)
    axis.set_ylabel(f"PnL ({run.trading_pair.split('-')[-1]})")
    axis.legend(loc="upper left", fontsize=8, ncol=5, framealpha=0.85)


def write_chart(run: MarketRun, path: Path, title: str = "") -> Path:
    figure, (price, position, pnl) = plt.subplots(
        3, 1, figsize=(13, 9), sharex=True, gridspec_kw={"height_ratios": [3, 1.1, 1.8]})
    try:
        _price_panel(price, run)
        _position_panel(position, run)
        _pnl_panel(pnl, run)
        summary = run.summary
        heading = title or f"{run.connector} {run.trading_pair}"
        price.set_title(f"{heading}: {summary['quotes_placed']} quotes, {summary['fills']} fills, "
                        f"PnL {float(run.final.total):+.4f} {run.trading_pair.split('-')[-1]}", fontsize=11)
        locator = mdates.AutoDateLocator()
        pnl.xaxis.set_major_locator(locator)
        pnl.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        pnl.set_xlabel("time (UTC)")
        for axis in (price, position, pnl):
            axis.grid(True, alpha=0.3)
        figure.tight_layout()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=110)
    finally:
        plt.close(figure)
    return path
