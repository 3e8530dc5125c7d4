"""Requote: with N orders resting, cancel the N and place N new ones in one go, as a strategy's tick does, through
the connector's batch calls where it implements them (else its cancel and buy per order); the time until the N old
orders are done and the N new ones acknowledged."""
import time
from typing import List

from bench.harness import TRADING_PAIR, ChildContext, OrderProbe, clear_and_wait, place_buy, requote, warmed_up_trading
from bench.stats import median
from hummingbot.connector.perpetual_derivative_py_base import PerpetualDerivativePyBase

SIZES = (1, 10, 50)


async def _place(connector: PerpetualDerivativePyBase, probe: OrderProbe, first_index: int, count: int) -> List[str]:
    order_ids = [place_buy(connector, TRADING_PAIR, first_index + i) for i in range(count)]
    await probe.wait(order_ids, [probe.acked, probe.stream_open], timeout=30.0)
    return order_ids


async def run(ctx: ChildContext) -> dict:
    rounds = int(ctx.params.get("rounds", 5))
    result = {}
    async with warmed_up_trading(ctx) as (connector, probe):
        index = 0
        for size in SIZES:
            resting = await _place(connector, probe, index, size)
            index += size
            timings = []
            for _ in range(rounds):
                started = time.monotonic()
                fresh = requote(connector, TRADING_PAIR, resting, index, size)
                index += size
                await probe.wait(resting, [probe.done], timeout=30.0)
                await probe.wait(fresh, [probe.acked], timeout=30.0)
                finished = max(max(probe.done[o] for o in resting), max(probe.acked[o] for o in fresh))
                timings.append((finished - started) * 1e3)
                await probe.wait(fresh, [probe.stream_open], timeout=30.0)  # on the book before the next round
                resting = fresh
            await clear_and_wait(ctx, probe, resting)
            result[f"n{size}_ms"] = median(timings)
    return result
