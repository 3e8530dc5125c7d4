"""`python -m grvt_sandbox --host 127.0.0.1 --port 0 [--market] ...`: runs the sandbox and prints its URL."""
import argparse
import asyncio
import json
import logging
import secrets
import signal
import sys
from typing import Dict, List, Optional, Sequence, Tuple, TypedDict

from grvt_sandbox.config import SandboxConfig
from grvt_sandbox.faults import REST_FAULT_KINDS, RPC_FAULT_KINDS
from grvt_sandbox.gateway.admin_guard import is_loopback
from grvt_sandbox.gateway.rate_limits import DEFAULT_RATE_LIMITS
from grvt_sandbox.server import SandboxServer


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m grvt_sandbox", description="A local GRVT-compatible exchange.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="bind address (default 127.0.0.1); a non-loopback address needs --allow-remote")
    parser.add_argument("--allow-remote", action="store_true",
                        help="listen on a non-loopback address: anyone who reaches it can trade the sandbox's "
                             "accounts; admin routes then need the admin token (generated and printed unless given)")
    parser.add_argument("--admin-token", default=None,
                        help="require this value in the X-Sandbox-Admin header of every /sandbox/ request")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    parser.add_argument("--chain-id", type=int, default=326, help="EIP-712 chain id orders are signed for")
    parser.add_argument("--session-ttl", type=float, default=24 * 3600.0, help="session cookie lifetime, seconds")
    parser.add_argument("--speed-bump-ms", type=float, default=25.0, help="delay of non-post-only orders")
    parser.add_argument("--max-open-orders", type=int, default=500, help="open orders per sub-account (2090)")
    parser.add_argument("--funding-period", type=float, default=None,
                        help="settle funding every N seconds instead of each instrument's interval")
    parser.add_argument("--no-signature-check", action="store_true", help="accept orders without verifying them")
    parser.add_argument("--market", action="store_true", help="run the synthetic market (grvt_sandbox.market)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the synthetic market")
    parser.add_argument("--fault", action="append", default=[], metavar="ROUTE:KIND[:ARG]",
                        help="REST fault, e.g. create_order:status:503, book:empty, order:delay:2.5, "
                             "create_order:late:10, cancel_order:lost (repeatable; kinds in grvt_sandbox.faults)")
    parser.add_argument("--rpc-fault", action="append", default=[], metavar="METHOD:KIND[:ARG]",
                        help="JSON-RPC fault on sockets, e.g. create_order:drop_after, cancel_order:lost")
    parser.add_argument("--rate-limits", action="store_true",
                        help="per-account token buckets per route with GRVT-like rates (answers 1006 / HTTP 429)")
    parser.add_argument("--rate-limit", action="append", default=[], metavar="ROUTE:PER_SECOND",
                        help="one route's rate limit, e.g. create_order:5 (repeatable)")
    parser.add_argument("--reject-next", type=int, default=0, help="reject the next N API orders")
    parser.add_argument("--every", action="append", default=[], metavar="FAULT:SECONDS",
                        help="repeat a fault on a schedule: drop_sockets, inject_sequence_gap, restart_gateway, "
                             "restart_exchange, expire_sessions, reject_next_orders (e.g. drop_sockets:30; repeatable)")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


DELAYED_KINDS = ("delay", "late", "deferred", "deferred_empty")
ERROR_KINDS = ("status", "executed_error")


class FaultArguments(TypedDict, total=False):
    delay_s: float
    status: int


def parse_fault(option: str, text: str, kinds: Tuple[str, ...]) -> Tuple[str, str, FaultArguments]:
    """ROUTE:KIND[:ARG] -> (route, kind, keyword arguments); ARG is seconds for delayed kinds, an HTTP status
    for error kinds."""
    parts = text.split(":")
    if len(parts) < 2 or len(parts) > 3 or parts[1] not in kinds:
        raise SystemExit(f"{option} {text!r}: expected ROUTE:KIND[:ARG] with KIND one of {', '.join(kinds)}")
    route, kind = parts[0], parts[1]
    if len(parts) == 2:
        return route, kind, {}
    try:
        if kind in DELAYED_KINDS:
            return route, kind, {"delay_s": float(parts[2])}
        if kind in ERROR_KINDS:
            return route, kind, {"status": int(parts[2])}
    except ValueError:
        pass
    raise SystemExit(f"{option} {text!r}: {kind} takes no argument or not that one")


def apply_cli_faults(server: SandboxServer, faults: List[str], reject_next: int,
                     rpc_faults: Sequence[str] = ()) -> None:
    for text in faults:
        route, kind, arguments = parse_fault("--fault", text, REST_FAULT_KINDS)
        server.faults.fail_rest(route, kind, **arguments)
    for text in rpc_faults:
        method, kind, arguments = parse_fault("--rpc-fault", text, RPC_FAULT_KINDS)
        server.faults.fail_rpc(method, kind, **arguments)
    if reject_next:
        server.faults.reject_next_orders(reject_next)


def parse_rate_limits(use_defaults: bool, entries: List[str]) -> Optional[Dict[str, float]]:
    limits: Dict[str, float] = dict(DEFAULT_RATE_LIMITS) if use_defaults else {}
    for text in entries:
        route, _, rate = text.partition(":")
        try:
            limits[route] = float(rate)
        except ValueError:
            raise SystemExit(f"--rate-limit {text!r}: expected ROUTE:REQUESTS_PER_SECOND")
        if limits[route] <= 0:
            raise SystemExit(f"--rate-limit {text!r}: the rate must be positive")
    return limits or None


SCHEDULABLE_FAULTS = ("drop_sockets", "inject_sequence_gap", "restart_gateway", "restart_exchange",
                      "expire_sessions", "reject_next_orders")


def parse_schedule(entries: List[str]) -> List[Tuple[str, float]]:
    schedule = []
    for text in entries:
        name, _, seconds = text.partition(":")
        try:
            period = float(seconds)
        except ValueError:
            period = 0.0
        if name not in SCHEDULABLE_FAULTS or not period > 0:
            raise SystemExit(f"--every {text!r}: expected one of {SCHEDULABLE_FAULTS} and :SECONDS (positive)")
        schedule.append((name, period))
    return schedule


async def run_fault_schedule(server: SandboxServer, name: str, period_s: float) -> None:
    while True:
        await asyncio.sleep(period_s)
        getattr(server.faults, name)()
        logging.getLogger(__name__).info("scheduled fault: %s", name)


def admin_token_for(host: str, allow_remote: bool, token: Optional[str]) -> Optional[str]:
    """The admin token to run with: a loopback sandbox needs none; a remote one must be allowed and gets one."""
    if is_loopback(host):
        return token
    if not allow_remote:
        raise SystemExit(f"--host {host} is not a loopback address: anyone who can reach it could trade and drive "
                         f"the sandbox; add --allow-remote if that is intended")
    logging.getLogger(__name__).warning("listening on %s, beyond this machine; admin routes need the admin token",
                                        host)
    return token or secrets.token_urlsafe(24)


async def run(args: argparse.Namespace) -> None:
    admin_token = admin_token_for(args.host, args.allow_remote, args.admin_token)
    config = SandboxConfig(host=args.host, port=args.port, chain_id=args.chain_id, session_ttl_s=args.session_ttl,
                           speed_bump_ms=args.speed_bump_ms, max_open_orders=args.max_open_orders,
                           funding_period_s=args.funding_period, verify_signatures=not args.no_signature_check,
                           market=args.market, market_seed=args.seed,
                           rate_limits=parse_rate_limits(args.rate_limits, args.rate_limit), admin_token=admin_token)
    server = SandboxServer(config)
    apply_cli_faults(server, args.fault, args.reject_next, args.rpc_fault)
    schedule = parse_schedule(args.every)
    await server.start()
    scheduled = [asyncio.ensure_future(run_fault_schedule(server, name, period)) for name, period in schedule]
    announcement = {"url": server.url, "ws_url": server.ws_url, "chain_id": config.chain_id,
                    "market": server.market is not None}
    if admin_token is not None:
        announcement["admin_token"] = admin_token
    print(json.dumps(announcement), flush=True)
    print(f"GRVT sandbox listening on {server.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except NotImplementedError:  # pragma: no cover - not on this platform
            pass
    await stop.wait()
    for task in scheduled:
        task.cancel()
    await server.stop()


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
