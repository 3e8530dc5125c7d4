"""Order book: delta messages applied per second, socket to Hummingbot OrderBook, and the book's correctness
after an injected resubscribe (every socket dropped while the book keeps moving)."""
import asyncio
import time
from decimal import Decimal
from typing import Dict, Iterable, List

from bench.harness import (
    INSTRUMENT,
    TRADING_PAIR,
    ChildContext,
    RunningConnector,
    new_connector,
    wait_for_markets,
    wait_until,
)
from hummingbot.core.data_type.order_book import OrderBook
from hummingbot.core.data_type.order_book_row import OrderBookRow


def _best_bid_is(book: OrderBook, price: float, size: float) -> bool:
    best = next(iter(book.bid_entries()), None)
    return best is not None and abs(best.price - price) < 1e-9 and abs(best.amount - size) < 1e-9


def _levels(entries: Iterable[OrderBookRow]) -> Dict[Decimal, Decimal]:
    return {Decimal(str(entry.price)).normalize(): Decimal(str(entry.amount)).normalize() for entry in entries}


def _true_levels(levels: List[dict]) -> Dict[Decimal, Decimal]:
    return {Decimal(level["price"]).normalize(): Decimal(level["size"]).normalize() for level in levels}


def compare_books(book: OrderBook, truth: dict) -> Dict[str, int]:
    """Levels of the connector's book against the sandbox's: ghost (price absent there), crossed (a bid at or above
    the connector's best ask, or an ask at or below its best bid), missing and wrong-size."""
    bids, asks = _levels(book.bid_entries()), _levels(book.ask_entries())
    true_bids, true_asks = _true_levels(truth["bids"]), _true_levels(truth["asks"])
    ghost = {("bid", p) for p in bids if p not in true_bids} | {("ask", p) for p in asks if p not in true_asks}
    crossed = set()
    if bids and asks:
        best_bid, best_ask = max(bids), min(asks)
        crossed = {("bid", p) for p in bids if p >= best_ask} | {("ask", p) for p in asks if p <= best_bid}
    missing = sum(1 for p in true_bids if p not in bids) + sum(1 for p in true_asks if p not in asks)
    wrong_size = (sum(1 for p, s in true_bids.items() if p in bids and bids[p] != s)
                  + sum(1 for p, s in true_asks.items() if p in asks and asks[p] != s))
    return {"crossed_or_ghost": len(ghost | crossed), "ghost": len(ghost), "crossed": len(crossed),
            "missing_or_wrong_size": missing + wrong_size, "missing": missing, "wrong_size": wrong_size,
            "levels": len(bids) + len(asks), "true_levels": len(true_bids) + len(true_asks)}


async def run(ctx: ChildContext) -> dict:
    messages = int(ctx.params.get("messages", 4000))
    changes = int(ctx.params.get("changes_per_message", 4))
    connector = new_connector([TRADING_PAIR], trading_required=False)
    async with RunningConnector(connector):
        await wait_for_markets(connector, [TRADING_PAIR])
        await asyncio.sleep(1.0)  # subscriptions acknowledged, first snapshot applied
        book = connector.order_books[TRADING_PAIR]
        marker = (await ctx.bench_call("POST", f"/bench/book/{INSTRUMENT}/flood",
                                       {"messages": messages, "changes_per_message": changes}))["marker"]
        price, size = float(marker["price"]), float(marker["size"])
        await wait_until(lambda: _best_bid_is(book, price, size), 60.0, "the flood's last delta", interval=0.002)
        applied_at = time.monotonic()
        flood = await ctx.bench_call("GET", f"/bench/book/{INSTRUMENT}/flood")
        elapsed = applied_at - flood["released_at"]  # CLOCK_MONOTONIC is shared by both processes
        await asyncio.sleep(0.5)
        after_flood = compare_books(book, await ctx.bench_call("GET", f"/sandbox/books/{INSTRUMENT}"))

        await ctx.bench_call("POST", f"/bench/book/{INSTRUMENT}/resubscribe", {"changes": 40, "interval_s": 0.05})
        settled = await ctx.bench_call("GET", f"/bench/book/{INSTRUMENT}/settled", timeout="20")
        await asyncio.sleep(1.5)
        truth = await ctx.bench_call("GET", f"/sandbox/books/{INSTRUMENT}")
        comparison = compare_books(connector.order_books[TRADING_PAIR], truth)
    return {"deltas_per_s": messages / elapsed, "level_changes_per_s": messages * changes / elapsed,
            "flood_s": elapsed, "producer_s": flood.get("producer_s"), "messages": messages,
            "resubscribed": settled.get("resubscribed"),
            "after_flood_wrong": after_flood["crossed_or_ghost"] + after_flood["missing_or_wrong_size"],
            "after_flood": after_flood, **comparison}
