"""Order operations per second of the GRVT sandbox, at three layers.

    python bench/sandbox_throughput.py [--orders 20000] [--skip-network]

1. engine: unsigned internal orders (place / match / cancel) straight into the exchange engine;
2. api: signed create_order + cancel_order through the trading service in-process (parsing, EIP-712 signature
   recovery, validation, engine, response encoding) - the per-order work of the gateway without the network;
3. websocket / rest: a sandbox subprocess (its own core) driven over JSON-RPC on /ws/full (pipelined) and over
   REST (concurrent requests) by this process.

An "operation" is one create or one cancel. Orders rest (no fills) except in the "engine, crossing" run, where
every second order trades against the one before it.
"""
import argparse
import asyncio
import itertools
import json
import os
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Dict, cast

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from grvt_sandbox.config import DEMO_PRIVATE_KEY, DEMO_SIGNER, DEMO_SUB_ACCOUNT_ID, SandboxConfig  # noqa: E402
from grvt_sandbox.engine import Exchange  # noqa: E402
from grvt_sandbox.gateway.sessions import SessionStore  # noqa: E402
from grvt_sandbox.gateway.trading import TradingService  # noqa: E402
from grvt_sandbox.signing.eip712 import OrderSigningFields, order_digest, sign_digest  # noqa: E402
from grvt_sandbox.signing.verifier import SignatureVerifier  # noqa: E402

if TYPE_CHECKING:  # imported by the network runs only
    import aiohttp

BTC = "BTC_USDT_Perp"
_client_ids = itertools.count(2 ** 63)


def signed_orders(count: int, price_base: int = 50000) -> list:
    """Pre-signed resting BTC buy orders (signing is the client's cost, not the sandbox's)."""
    expiration = time.time_ns() + 3600 * 10 ** 9
    orders = []
    for index in range(count):
        price = price_base + index % 1000
        nonce = random.randrange(2 ** 32)
        fields = OrderSigningFields(int(DEMO_SUB_ACCOUNT_ID), False, 1, True, False,
                                    ((0x030501, 10 ** 7, price * 10 ** 9, True),), nonce, expiration)
        r, s, v = sign_digest(order_digest(fields, 326), bytes.fromhex(DEMO_PRIVATE_KEY))
        orders.append({
            "sub_account_id": DEMO_SUB_ACCOUNT_ID, "is_market": False, "time_in_force": "GOOD_TILL_TIME",
            "post_only": True, "reduce_only": False,
            "legs": [{"instrument": BTC, "size": "0.01", "limit_price": f"{price}.0", "is_buying_asset": True}],
            "signature": {"signer": DEMO_SIGNER, "r": f"0x{r:064x}", "s": f"0x{s:064x}", "v": v,
                          "expiration": str(expiration), "nonce": nonce},
            "metadata": {"client_order_id": str(next(_client_ids))}})
    return orders


def report(name: str, operations: int, seconds: float) -> None:
    print(f"{name:<44} {operations:>8} ops in {seconds:6.2f} s = {operations / seconds:>9,.0f} ops/s", flush=True)


def bench_engine(count: int) -> None:
    exchange = Exchange(SandboxConfig(accounts=[]))
    exchange.add_account("1", check_margin=False, record_history=False)
    exchange.add_account("2", check_margin=False, record_history=False)
    size = Decimal("0.01")
    prices = [Decimal(89000 + index % 500) for index in range(count)]
    started = time.perf_counter()
    for price in prices:
        order = exchange.submit_internal_order("1", BTC, True, size, price)
        exchange.cancel_internal("1", order_id=order.order_id)
    report("engine: place + cancel (resting)", 2 * count, time.perf_counter() - started)

    exchange.add_account("3", record_history=True)  # with margin checks and histories
    exchange.accounts["3"].balance = Decimal("1e12")
    started = time.perf_counter()
    for price in prices:
        order = exchange.submit_internal_order("3", BTC, True, size, price)
        exchange.cancel_internal("3", order_id=order.order_id)
    report("engine: place + cancel, margin + history", 2 * count, time.perf_counter() - started)

    for index in range(200):  # a deep book to match against
        exchange.submit_internal_order("1", BTC, False, Decimal("1"), Decimal(90000 + index))
    started = time.perf_counter()
    for index in range(count):
        exchange.submit_internal_order("1", BTC, False, size, Decimal(90000))
        exchange.submit_internal_order("2", BTC, True, size, Decimal(90000))
    report("engine: crossing orders (every 2nd trades)", 2 * count, time.perf_counter() - started)


def bench_api(count: int) -> None:
    config = SandboxConfig()
    exchange = Exchange(config)
    exchange.accounts[DEMO_SUB_ACCOUNT_ID].max_open_orders = count + 10
    exchange.accounts[DEMO_SUB_ACCOUNT_ID].balance = Decimal("1e12")
    sessions = SessionStore(exchange.clock, 3600)
    sessions.add_api_key("k", [DEMO_SUB_ACCOUNT_ID], DEMO_SIGNER.lower())
    session = sessions.login("k")
    if session is None:
        raise RuntimeError("the sandbox refused the API key just added")
    service = TradingService(exchange, SignatureVerifier(326, 30 * 86400 * 10 ** 9))
    orders = signed_orders(count)
    started = time.perf_counter()
    for order in orders:  # no running loop: each order is matched before create_order returns
        service.create_order(session, {"order": order})
        service.cancel_order(session, {"sub_account_id": DEMO_SUB_ACCOUNT_ID,
                                       "client_order_id": order["metadata"]["client_order_id"]})
    report("api: signed create + cancel (in-process)", 2 * count, time.perf_counter() - started)


async def _login(session: "aiohttp.ClientSession", url: str) -> Dict[str, str]:
    async with session.post(f"{url}/auth/api_key/login", json={"api_key": "grvt-sandbox-demo-key"}) as response:
        return {"Cookie": f"gravity={response.cookies['gravity'].value}",
                "X-Grvt-Account-Id": response.headers["X-Grvt-Account-Id"]}


async def bench_websocket(url: str, count: int, window: int = 200) -> None:
    import aiohttp
    orders = signed_orders(count, price_base=40000)
    async with aiohttp.ClientSession() as session:
        headers = await _login(session, url)
        ws = await session.ws_connect(url.replace("http", "ws", 1) + "/ws/full", headers=headers,
                                      max_msg_size=0)
        requests = []
        for index, order in enumerate(orders):
            requests.append(json.dumps({"jsonrpc": "2.0", "method": "v1/create_order", "params": {"order": order},
                                        "id": 2 * index}))
            requests.append(json.dumps({"jsonrpc": "2.0", "method": "v1/cancel_order", "id": 2 * index + 1,
                                        "params": {"sub_account_id": DEMO_SUB_ACCOUNT_ID,
                                                   "client_order_id": order["metadata"]["client_order_id"]}}))
        errors = 0
        started = time.perf_counter()
        sent = received = 0
        while received < len(requests):
            while sent < len(requests) and sent - received < window:
                await ws.send_str(requests[sent])
                sent += 1
            message = json.loads((await ws.receive(timeout=30)).data)
            if "id" in message:
                received += 1
                errors += "error" in message
        report(f"websocket JSON-RPC (window {window}, errors {errors})", received, time.perf_counter() - started)
        await ws.close()


async def bench_rest(url: str, count: int, concurrency: int = 16) -> None:
    import aiohttp
    orders = signed_orders(count, price_base=30000)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        headers = await _login(session, url)
        queue = list(reversed(orders))
        errors = 0

        async def worker() -> None:
            nonlocal errors
            while queue:
                order = queue.pop()
                async with session.post(f"{url}/full/v1/create_order", data=json.dumps({"order": order}),
                                        headers=headers) as response:
                    errors += response.status != 200
                    await response.read()
                body = {"sub_account_id": DEMO_SUB_ACCOUNT_ID, "client_order_id": order["metadata"]["client_order_id"]}
                async with session.post(f"{url}/full/v1/cancel_order", data=json.dumps(body),
                                        headers=headers) as response:
                    errors += response.status != 200
                    await response.read()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        report(f"rest (concurrency {concurrency}, errors {errors})", 2 * count, time.perf_counter() - started)


def run_network(count: int) -> None:
    environment = dict(os.environ, PYTHONPATH=str(REPOSITORY))
    process = subprocess.Popen(
        [sys.executable, "-m", "grvt_sandbox", "--port", "0", "--speed-bump-ms", "0", "--max-open-orders",
         str(10 * count), "--log-level", "WARNING"], stdout=subprocess.PIPE, text=True, env=environment)
    try:
        url = json.loads(cast(IO[str], process.stdout).readline())["url"]  # stdout=PIPE
        asyncio.run(bench_websocket(url, count))
        asyncio.run(bench_rest(url, max(count // 4, 100)))
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--skip-network", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {args.orders} orders per run")
    bench_engine(args.orders)
    bench_api(args.orders)
    if not args.skip_network:
        run_network(args.orders // 2)


if __name__ == "__main__":
    main()
