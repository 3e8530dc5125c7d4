"""Profit and loss of a market-making run from its trade records, split by where it came from.

For each market the fills, funding payments and mid prices are replayed in time order through the controllers'
``PnlTracker``, so the report splits PnL exactly as the live status does. At every step::

    trading PnL = cash + position * mid                      (cash: what fills paid and received)
    spread      = sum over fills of (mid at the fill - fill price) * signed size   (what quoting away from mid earned)
    inventory   = trading PnL - spread                       (what holding the position earned as the mid moved)
    total       = spread + inventory - fees + rebates + funding

Fees and rebates come from each fill's fee in the quote asset (a negative fee is a maker rebate); funding from the
funding payments (positive = received). The mid price is Hummingbot's own sampled mid (``MarketData``) when the run
recorded it; otherwise it is estimated from the bot's two-sided quotes and, failing that, from fill prices, and the
summary says which (``mid_source``).
"""
import bisect
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import median
from typing import Dict, List, Optional, Sequence, Tuple, TypedDict, Union

from grvt_tools.records import Fill, FundingRecord, Quote, TradeRecords
from hummingbot.core.data_type.common import TradeType

try:
    from controllers.grvt_common.pnl import PnlTracker
except ModuleNotFoundError:  # installed with pip (setup.py): the controllers' shared code ships in grvt_tools
    from grvt_tools.grvt_common.pnl import PnlTracker  # type: ignore[no-redef]  # the same class

ZERO = Decimal(0)
BPS = Decimal(10000)


@dataclass(frozen=True)
class PnlPoint:
    time: float
    position: Decimal
    mid: Decimal
    spread: Decimal
    inventory: Decimal
    fees: Decimal  # paid so far (positive)
    rebates: Decimal  # earned so far (positive)
    funding: Decimal  # received so far (negative when paid)

    @property
    def total(self) -> Decimal:
        return self.spread + self.inventory - self.fees + self.rebates + self.funding


@dataclass(frozen=True)
class AnnotatedFill:
    fill: Fill
    mid: Decimal
    position_after: Decimal

    @property
    def edge_bps(self) -> Optional[Decimal]:
        """How far from the mid the fill was, in the bot's favour (basis points)."""
        if not self.mid:
            return None
        return (self.mid - self.fill.price) * (1 if self.fill.side == "BUY" else -1) / self.mid * BPS


class MarketSummary(TypedDict):
    """One market's entry in ``summary.json``."""

    connector: str
    trading_pair: str
    start: float
    end: float
    duration_s: float
    mid_source: str
    first_mid: Decimal
    last_mid: Decimal
    quotes_placed: int
    buy_quotes: int
    sell_quotes: int
    quotes_filled: int
    median_quote_distance_bps: Optional[float]
    fills: int
    buy_fills: int
    sell_fills: int
    volume_base: Decimal
    volume_quote: Decimal
    vwap_buy: Optional[Decimal]
    vwap_sell: Optional[Decimal]
    spread_capture_bps: Optional[Decimal]
    final_position: Decimal
    max_abs_position: Decimal
    funding_payments: int
    pnl: Dict[str, Decimal]  # spread, inventory, fees, rebates, funding, total
    max_drawdown: Decimal


@dataclass
class MarketRun:
    """One market of a run: its mid series, replayed PnL and the records behind it."""

    connector: str
    trading_pair: str
    mid_source: str
    mids: List[Tuple[float, Decimal]]
    points: List[PnlPoint]
    fills: List[AnnotatedFill]
    quotes: List[Quote]
    funding: List[FundingRecord]
    start: float
    end: float
    summary: MarketSummary = field(init=False)

    def __post_init__(self) -> None:
        self.summary = _summary(self)

    @property
    def final(self) -> PnlPoint:
        return self.points[-1]


class MidSeries:
    def __init__(self, samples: Sequence[Tuple[float, Decimal]]):
        ordered = sorted(samples)
        self.times = [t for t, _ in ordered]
        self.values = [m for _, m in ordered]

    def __bool__(self) -> bool:
        return bool(self.times)

    def at(self, time: float) -> Decimal:
        """The last mid at or before ``time`` (the first one for earlier times)."""
        index = bisect.bisect_right(self.times, time) - 1
        return self.values[max(index, 0)]


def estimate_mids(quotes: Sequence[Quote], fills: Sequence[Fill]) -> Tuple[List[Tuple[float, Decimal]], str]:
    """Mid estimates when the run sampled none: midpoints of the bot's buy and sell quotes created together."""
    by_time: Dict[float, Dict[str, List[Decimal]]] = {}
    for quote in quotes:
        if quote.side in ("BUY", "SELL") and quote.position_action != "CLOSE":
            by_time.setdefault(round(quote.created), {}).setdefault(quote.side, []).append(quote.price)
    samples = [(float(t), (max(sides["BUY"]) + min(sides["SELL"])) / 2)
               for t, sides in sorted(by_time.items()) if "BUY" in sides and "SELL" in sides]
    if samples:
        return samples, "estimated from quotes"
    return [(fill.timestamp, fill.price) for fill in fills], "estimated from fills"


def _summary(run: MarketRun) -> MarketSummary:
    fills = [annotated.fill for annotated in run.fills]
    buys = [f for f in fills if f.side == "BUY"]
    sells = [f for f in fills if f.side == "SELL"]
    volume_quote = sum((f.notional for f in fills), ZERO)
    final = run.final
    totals = [point.total for point in run.points]
    peak, drawdown = None, ZERO
    for value in totals:
        peak = value if peak is None or value > peak else peak
        drawdown = max(drawdown, peak - value)
    series = MidSeries(run.mids)
    distances = []
    for quote in run.quotes:
        if quote.side in ("BUY", "SELL") and series:
            mid = series.at(quote.created)
            if mid:
                distances.append(float(abs(quote.price - mid) / mid * BPS))
    filled_orders = {f.order_id for f in fills}

    def vwap(side_fills: List[Fill]) -> Optional[Decimal]:
        size = sum((f.amount for f in side_fills), ZERO)
        return sum((f.notional for f in side_fills), ZERO) / size if size else None

    return {
        "connector": run.connector,
        "trading_pair": run.trading_pair,
        "start": run.start,
        "end": run.end,
        "duration_s": round(run.end - run.start, 3),
        "mid_source": run.mid_source,
        "first_mid": run.points[0].mid,
        "last_mid": final.mid,
        "quotes_placed": len(run.quotes),
        "buy_quotes": sum(1 for q in run.quotes if q.side == "BUY"),
        "sell_quotes": sum(1 for q in run.quotes if q.side == "SELL"),
        "quotes_filled": len(filled_orders),
        "median_quote_distance_bps": round(median(distances), 3) if distances else None,
        "fills": len(fills),
        "buy_fills": len(buys),
        "sell_fills": len(sells),
        "volume_base": sum((f.amount for f in fills), ZERO),
        "volume_quote": volume_quote,
        "vwap_buy": vwap(buys),
        "vwap_sell": vwap(sells),
        "spread_capture_bps": (final.spread / volume_quote * BPS) if volume_quote else None,
        "final_position": final.position,
        "max_abs_position": max((abs(p.position) for p in run.points), default=ZERO),
        "funding_payments": len(run.funding),
        "pnl": {"spread": final.spread, "inventory": final.inventory, "fees": -final.fees,
                "rebates": final.rebates, "funding": final.funding, "total": final.total},
        "max_drawdown": drawdown,
    }


def analyze_market(records: TradeRecords, connector: str, trading_pair: str,
                   end: Optional[float] = None, final_mid: Optional[Decimal] = None) -> MarketRun:
    """Replays one market; ``end``/``final_mid`` mark the open position at a later time or price (e.g. at stop)."""
    fills = [f for f in records.fills if (f.connector, f.trading_pair) == (connector, trading_pair)]
    quotes = [q for q in records.quotes if (q.connector, q.trading_pair) == (connector, trading_pair)]
    funding = [p for p in records.funding if (p.connector, p.trading_pair) == (connector, trading_pair)]
    sampled = [(m.timestamp, m.mid) for m in records.mids
               if (m.connector, m.trading_pair) == (connector, trading_pair) and m.mid > 0]
    if sampled:
        mids, source = sampled, "sampled by Hummingbot"
    else:
        mids, source = estimate_mids(quotes, fills)
    times = ([f.timestamp for f in fills] + [q.created for q in quotes] + [q.ended for q in quotes if q.ended]
             + [p.timestamp for p in funding] + [t for t, _ in mids])
    if not times:
        raise ValueError(f"no records for {connector} {trading_pair}")
    start, last = min(times), max(times)
    end = max(last, end or last)
    if final_mid is not None:
        mids = mids + [(end, final_mid)]
        source += "; the open position marked at a final mid read at stop"
    if not mids:
        mids = [(start, ZERO)]
    series = MidSeries(mids)

    events: List[Tuple[float, int, Union[Decimal, Fill, FundingRecord]]] = [(t, 0, m) for t, m in series_items(series)]
    events += [(f.timestamp, 1, f) for f in fills] + [(p.timestamp, 2, p) for p in funding]
    events.sort(key=lambda event: (event[0], event[1]))

    mid = series.at(start)
    tracker = PnlTracker(records.opening_positions.get((connector, trading_pair), ZERO), mid)
    points = [_point(start, mid, tracker)]
    annotated: List[AnnotatedFill] = []
    for time, _, item in events:
        if isinstance(item, Fill):
            mid = series.at(time)
            side = TradeType.BUY if item.side == "BUY" else TradeType.SELL
            tracker.on_fill(side, item.price, item.amount, item.fee_quote, mid)
            annotated.append(AnnotatedFill(item, mid, tracker.position))
        elif isinstance(item, FundingRecord):
            tracker.on_funding(Decimal(str(item.amount)))
        else:
            mid = item
        points.append(_point(time, mid, tracker))
    if points[-1].time < end:
        points.append(_point(end, series.at(end), tracker))
    return MarketRun(connector=connector, trading_pair=trading_pair, mid_source=source, mids=list(series_items(series)),
                     points=points, fills=annotated, quotes=quotes, funding=funding, start=start, end=end)


def _point(time: float, mid: Decimal, tracker: PnlTracker) -> PnlPoint:
    pnl = tracker.breakdown(mid)
    return PnlPoint(time, pnl.position, mid, pnl.spread_capture, pnl.inventory, pnl.fees_paid, pnl.rebates, pnl.funding)


def series_items(series: MidSeries) -> List[Tuple[float, Decimal]]:
    return list(zip(series.times, series.values))


def analyze(records: TradeRecords, end: Optional[float] = None,
            final_mids: Optional[Dict[Tuple[str, str], Decimal]] = None) -> List[MarketRun]:
    """Every market of the records, most active first."""
    runs = [analyze_market(records, connector, pair, end=end, final_mid=(final_mids or {}).get((connector, pair)))
            for connector, pair in records.markets]
    return sorted(runs, key=lambda run: (len(run.fills), len(run.quotes)), reverse=True)
