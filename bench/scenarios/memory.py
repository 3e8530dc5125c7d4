"""Resident memory of a process running one connector (order books, user stream, polling) with 1 or 10 pairs."""
import asyncio
import gc

from bench.harness import ChildContext, RunningConnector, new_connector, rss_mb, wait_for_markets
from bench.markets import TEN_TRADING_PAIRS


async def run(ctx: ChildContext) -> dict:
    pairs = list(TEN_TRADING_PAIRS[:int(ctx.params.get("pairs", 1))])
    gc.collect()
    before = rss_mb()
    connector = new_connector(pairs)
    async with RunningConnector(connector):
        await wait_for_markets(connector, pairs, timeout=60.0)
        await asyncio.sleep(float(ctx.params.get("settle_s", 3.0)))
        gc.collect()
        after = rss_mb()
    return {"rss_mb": after, "rss_growth_mb": after - before, "pairs": len(pairs)}
