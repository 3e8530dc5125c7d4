"""Cancel-all of 100 resting orders through the connector's cancel_all: the time until the sandbox's book holds
none of them (timestamped inside the sandbox on the shared monotonic clock)."""
import time

from bench.harness import (
    INSTRUMENT,
    TRADING_PAIR,
    ChildContext,
    OrderProbe,
    clear_and_wait,
    place_buy,
    warmed_up_trading,
)
from bench.stats import median
from hummingbot.connector.perpetual_derivative_py_base import PerpetualDerivativePyBase

RESTING = 100


async def _one_round(ctx: ChildContext, connector: PerpetualDerivativePyBase, probe: OrderProbe,
                     first_index: int) -> float:
    order_ids = [place_buy(connector, TRADING_PAIR, first_index + i) for i in range(RESTING)]
    await probe.wait(order_ids, [probe.acked, probe.stream_open], timeout=30.0)
    watch = await ctx.bench_call("POST", f"/bench/orders/{ctx.sub_account_id}/watch", {"instrument": INSTRUMENT})
    if watch.get("open") != RESTING:
        raise RuntimeError(f"expected {RESTING} resting orders in the sandbox, found {watch.get('open')}")
    started = time.monotonic()
    await connector.cancel_all(timeout_seconds=30.0)
    outcome = await ctx.bench_call("GET", f"/bench/orders/{ctx.sub_account_id}/watch", timeout="30")
    if "empty_at" not in outcome:
        raise RuntimeError(f"cancel_all left orders on the book: {outcome.get('error')}")
    elapsed_ms = (outcome["empty_at"] - started) * 1e3
    await clear_and_wait(ctx, probe, order_ids)
    return elapsed_ms


async def run(ctx: ChildContext) -> dict:
    rounds = int(ctx.params.get("rounds", 3))
    async with warmed_up_trading(ctx) as (connector, probe):
        timings = [await _one_round(ctx, connector, probe, 100 + round_index * RESTING)
                   for round_index in range(rounds)]
    return {"book_clear_ms": median(timings), "rounds_ms": timings}
