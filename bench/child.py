"""`python -m bench.child <scenario> [json params]`: runs one scenario against whichever GRVT connector `hummingbot`
resolves to in this process and prints its result as one JSON line (the orchestrator reads the last line)."""
import asyncio
import importlib
import json
import logging
import sys
import time
from types import ModuleType
from typing import List

from bench.harness import ChildContext, connector_module_file, point_connector_at_sandbox

SCENARIOS = ("signing", "order_book", "book_ceiling", "latency", "requote", "cancel_all", "memory")


async def _run(module: ModuleType, ctx: ChildContext) -> dict:
    try:
        return await module.run(ctx)
    finally:
        await ctx.close()


def main(argv: List[str]) -> int:
    if not argv or argv[0] not in SCENARIOS:
        print(f"usage: python -m bench.child {{{','.join(SCENARIOS)}}} [json params]", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    params = json.loads(argv[1]) if len(argv) > 1 else {}
    ctx = ChildContext.from_environment(params)
    started = time.monotonic()
    try:
        point_connector_at_sandbox(ctx)
        module = importlib.import_module(f"bench.scenarios.{argv[0]}")
        result = asyncio.run(_run(module, ctx))
    except Exception as exception:  # the row then reads "n/a: <reason>"
        result = {"error": f"{type(exception).__name__}: {exception}"[:300]}
    try:
        result["connector_file"] = connector_module_file()
    except Exception as exception:
        result["connector_file"] = f"unavailable ({exception})"
    result.update(side=ctx.side, scenario=argv[0], elapsed_s=round(time.monotonic() - started, 3))
    print(json.dumps(result, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
