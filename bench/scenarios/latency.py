"""Place-to-ack (the create request answered) and place-to-OPEN-on-stream (the private stream's OPEN processed by
the connector), one order at a time; p50 and p99 over `orders` orders."""
import time

from bench.harness import TRADING_PAIR, ChildContext, clear_and_wait, place_buy, warmed_up_trading
from bench.stats import p50, p99

RESTING_BATCH = 250  # cleared out of band before the sandbox's 500 open-order limit


async def run(ctx: ChildContext) -> dict:
    orders = int(ctx.params.get("orders", 1000))
    ack_ms, open_ms = [], []
    async with warmed_up_trading(ctx) as (connector, probe):
        resting = []
        for index in range(orders):
            started = time.monotonic()
            order_id = place_buy(connector, TRADING_PAIR, index)
            await probe.wait([order_id], [probe.acked, probe.stream_open], timeout=10.0)
            ack_ms.append((probe.acked[order_id] - started) * 1e3)
            open_ms.append((probe.stream_open[order_id] - started) * 1e3)
            resting.append(order_id)
            if len(resting) >= RESTING_BATCH:
                await clear_and_wait(ctx, probe, resting)
                resting = []
        if resting:
            await clear_and_wait(ctx, probe, resting)
    return {"ack_p50_ms": p50(ack_ms), "ack_p99_ms": p99(ack_ms), "open_p50_ms": p50(open_ms),
            "open_p99_ms": p99(open_ms), "orders": len(ack_ms)}
