"""`python -m bench` (`make bench`): our GRVT connector against the upstream one, on one sandbox, in one run.

Starts the sandbox once (in this process), builds a temporary Hummingbot root in which `hummingbot` is the
upstream build, runs every scenario in its own child process for each connector (alternating which goes first),
repeats, and writes bench/results/results.md and results.json (medians over the repeats).
"""
import argparse
import asyncio
import datetime
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import DefaultDict, Dict, List, Tuple

from bench.children import make_side, run_child
from bench.report import OURS, UPSTREAM, build_rows, markdown, write_results
from bench.sandbox_figures import sandbox_throughput
from bench.sandbox_host import BenchSandbox
from bench.upstream_root import REPO, build_upstream_root, connector_folder

RESULTS = REPO / "bench" / "results"
# (result name, child scenario, parameters of a full run, parameters of --quick)
PLAN: Tuple[Tuple[str, str, Dict[str, float], Dict[str, float]], ...] = (
    ("signing", "signing", {}, {}),
    ("order_book", "order_book", {"messages": 60000, "changes_per_message": 4}, {"messages": 2000}),
    ("book_ceiling", "book_ceiling", {"messages": 60000}, {"messages": 2000}),
    ("latency", "latency", {"orders": 1000}, {"orders": 100}),
    ("requote", "requote", {"rounds": 5}, {"rounds": 2}),
    ("cancel_all", "cancel_all", {"rounds": 3}, {"rounds": 1}),
    ("memory_1", "memory", {"pairs": 1}, {"pairs": 1, "settle_s": 1.0}),
    ("memory_10", "memory", {"pairs": 10}, {"pairs": 10, "settle_s": 1.0}),
)
NOTES = [
    "Both connectors run in their own child processes against the same in-process sandbox (testnet domain, "
    "chain id 326, demo account); upstream is imported from a temporary root linking into "
    ".venv/hummingbot-dist, with its hard-coded URLs patched in its child only.",
    "Client-side rate limits of both connectors allow 1000x their rate (windows divided by 1000), so timings "
    "measure code paths, not the two connectors' different throttle tables (upstream: 1,200 requests/min for "
    "everything, linked; ours: per-route GRVT token buckets).",
    "Orders are post-only (LIMIT_MAKER) buys 20 % under the mark: they rest, never trade, and skip the sandbox's "
    "25 ms speed bump for orders that may take liquidity.",
    "Signing, connector path: ours = GrvtSignedOrderFactory.build, upstream = GrvtPerpetualAuth.get_order_payload "
    "(eth_account encode_typed_data + sign_message). Signature only: bench/signing_rate.py's functions, both "
    "figures taken in our child (GrvtPerpetualOrderSigner vs the eth_account path upstream uses).",
    "Order book: the sandbox moves the BTC book with post-only orders of its own account and publishes one "
    "v1.book.d message per step (4 level changes) as fast as it can; the figure is messages applied per second "
    "until the last one shows in the connector's Hummingbot OrderBook. Resubscribe: every socket is dropped while "
    "the book keeps moving, then the connector's book is compared with the sandbox's full book. The reference row "
    "reads the same flood with a bare aiohttp client (no connector): the delivery ceiling of the sandbox.",
    "Latency: one order at a time; ack = the connector's create request answered, OPEN on stream = the private "
    "stream message reporting OPEN processed by the connector's user stream listener.",
    "Requote: N cancels and N buys issued together through connector.cancel/buy; done when the N old orders are "
    "final and the N new ones acknowledged. Cancel-all: connector.cancel_all(); upstream has no cancel-all route, "
    "so what its users get is Hummingbot's default, parallel single cancels. The end time is taken inside the "
    "sandbox when the account holds no open order.",
    "Memory: VmRSS of the child process (Python + Hummingbot + one connector with its books and streams running).",
    "Sandbox throughput: bench/sandbox_throughput.py (engine, in-process API, and a sandbox subprocess over "
    "WebSocket JSON-RPC and REST); it has no connector, so only one column.",
]
CONNECTORLESS = ("book_ceiling",)  # run once per repeat; the figure sits in the first column


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.strip().splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per scenario and connector (default 3)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--only", default="", help="comma-separated result names, e.g. latency,requote")
    parser.add_argument("--sandbox-orders", type=int, default=20000, help="orders for the sandbox throughput run")
    parser.add_argument("--child-timeout", type=float, default=240.0)
    return parser.parse_args(argv)


async def run_plan(args: argparse.Namespace, sandbox_url: str, upstream_root: Path, logs: Path) -> dict:
    sides = {OURS: make_side(OURS, REPO, sandbox_url), UPSTREAM: make_side(UPSTREAM, upstream_root, sandbox_url)}
    only = {name for name in args.only.split(",") if name}
    runs: DefaultDict[str, Dict[str, List[dict]]] = defaultdict(lambda: defaultdict(list))
    for repeat in range(args.repeats):
        order = (OURS, UPSTREAM) if repeat % 2 == 0 else (UPSTREAM, OURS)
        for name, scenario, full, quick in PLAN:
            if only and name not in only:
                continue
            params = dict(full, **quick) if args.quick else full
            for side in (order if name not in CONNECTORLESS else (OURS,)):
                started = time.monotonic()
                result = await run_child(sides[side], scenario, params, logs / f"{name}-{side}-{repeat}.log",
                                         args.child_timeout)
                runs[name][side].append(result)
                status = result.get("error") or "ok"
                print(f"[bench] repeat {repeat + 1}/{args.repeats} {name:<12} {side:<8} "
                      f"{time.monotonic() - started:5.1f} s  {status}", flush=True)
        if not only or "sandbox" in only:
            figures = await sandbox_throughput(args.sandbox_orders)
            runs["sandbox"][OURS].append(figures)
            print(f"[bench] repeat {repeat + 1}/{args.repeats} sandbox throughput {figures}", flush=True)
    for result in runs.get("signing", {}).get(OURS, []):  # both signature-only figures come from our child
        if "signer_only_per_s" in result:
            runs["signature_only"][OURS].append({"orders_per_s": result["signer_only_per_s"]})
            runs["signature_only"][UPSTREAM].append({"orders_per_s": result["eth_account_only_per_s"]})
    return runs


def header(args: argparse.Namespace, runtime_s: float, upstream_root: Path,
           runs: Dict[str, Dict[str, List[dict]]]) -> dict:
    files = {side: sorted({r.get("connector_file", "?").rsplit("/", 1)[0] for scenario in runs.values()
                           for r in scenario.get(side, []) if r.get("connector_file")}) for side in (OURS, UPSTREAM)}
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "hummingbot": (REPO / ".venv/hummingbot-dist/.hummingbot-version").read_text().strip()
        if (REPO / ".venv/hummingbot-dist/.hummingbot-version").exists() else "?",
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, {platform.system()}",
        "python": sys.version.split()[0],
        "repeats": args.repeats if not args.quick else f"{args.repeats} (quick sizes)",
        "runtime": f"{runtime_s:.0f} s",
        "ours loaded from": ", ".join(os.path.relpath(p, REPO) for p in files[OURS]) or "?",
        "upstream loaded from": ", ".join(os.path.relpath(p, REPO) for p in files[UPSTREAM]) or
        os.path.relpath(connector_folder(upstream_root), REPO),
    }


async def main(argv: List[str]) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    logs = RESULTS / "logs"
    with tempfile.TemporaryDirectory(prefix="grvt-bench-upstream-") as temporary:
        upstream_root = build_upstream_root(Path(temporary))
        async with BenchSandbox() as sandbox:
            print(f"[bench] sandbox {sandbox.url}; upstream root {upstream_root}", flush=True)
            runs = await run_plan(args, sandbox.url, upstream_root, logs)
        table_header = header(args, time.monotonic() - started, upstream_root, runs)
    rows = build_rows(runs)
    paths = write_results(RESULTS, table_header, rows, NOTES, raw={k: dict(v) for k, v in runs.items()})
    print(markdown(table_header, rows, []), flush=True)
    print(f"[bench] wrote {os.path.relpath(paths['markdown'], REPO)} and {os.path.relpath(paths['json'], REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
