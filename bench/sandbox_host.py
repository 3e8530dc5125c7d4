"""The one sandbox every benchmark child talks to, run inside the orchestrator process.

Besides GRVT's routes it serves a few bench-only routes under /bench/ (the sandbox's own admin routes stay under
/sandbox/): book floods and an injected resubscribe (bench.book_driver), out-of-band order clean-up, and a watcher
that timestamps (CLOCK_MONOTONIC, shared by every process on the machine) the moment an account has no open order.
"""
import asyncio
import time
from decimal import Decimal
from typing import Dict, List, Optional

from aiohttp import web

from bench.book_driver import BookDriver
from bench.markets import EXTRA_INSTRUMENTS
from grvt_sandbox.config import AccountConfig, SandboxConfig, demo_account
from grvt_sandbox.engine.order import Order
from grvt_sandbox.gateway.http import json_response, read_json_body
from grvt_sandbox.instruments import InstrumentSpec, default_instrument_specs
from grvt_sandbox.server import SandboxServer

BOOK_ACCOUNT_ID = "7000000000000001"  # sandbox-owned account that moves the flood books
SEED_LEVELS_PER_SIDE = 40  # every instrument starts with a book, so ten pairs hold ten real books


def bench_config() -> SandboxConfig:
    instruments = default_instrument_specs() + [
        InstrumentSpec(base=base, tick_size=Decimal(tick), min_size=Decimal(size), min_notional=Decimal("10"),
                       max_position_size=Decimal("100000000"), initial_price=Decimal(price))
        for base, tick, size, price in EXTRA_INSTRUMENTS]
    accounts = [demo_account(), AccountConfig(sub_account_id=BOOK_ACCOUNT_ID, balance=Decimal("1000000000000"))]
    # A client slower than a flood is what the book figure measures: it must not be disconnected for it.
    return SandboxConfig(instruments=instruments, accounts=accounts, ws_send_queue_size=10_000_000)


class BenchRoutes:
    def __init__(self, server: SandboxServer):
        self._server = server
        self._drivers: Dict[str, BookDriver] = {}
        self._floods: Dict[str, asyncio.Task] = {}
        self._drifts: Dict[str, asyncio.Task] = {}
        self._watches: Dict[str, asyncio.Future] = {}

    def routes(self) -> List[web.RouteDef]:
        return [
            web.post("/bench/book/{instrument}/flood", self.start_flood),
            web.get("/bench/book/{instrument}/flood", self.flood_result),
            web.post("/bench/book/{instrument}/resubscribe", self.resubscribe),
            web.get("/bench/book/{instrument}/settled", self.settled),
            web.post("/bench/orders/{sub_account_id}/clear", self.clear_orders),
            web.post("/bench/orders/{sub_account_id}/watch", self.start_watch),
            web.get("/bench/orders/{sub_account_id}/watch", self.watch_result),
        ]

    def seed_books(self) -> None:
        for instrument in self._server.exchange.instruments.names():
            self._driver(instrument).seed(SEED_LEVELS_PER_SIDE)

    def _driver(self, instrument: str) -> BookDriver:
        if instrument not in self._drivers:
            self._drivers[instrument] = BookDriver(self._server, BOOK_ACCOUNT_ID, instrument)
        return self._drivers[instrument]

    async def start_flood(self, request: web.Request) -> web.Response:
        body = await read_json_body(request)
        instrument = request.match_info["instrument"]
        driver = self._driver(instrument)
        marker = driver.next_marker()
        self._floods[instrument] = asyncio.ensure_future(
            driver.flood(int(body.get("messages", 1000)), int(body.get("changes_per_message", 4))))
        return json_response({"marker": marker})

    async def flood_result(self, request: web.Request) -> web.Response:
        task = self._floods.pop(request.match_info["instrument"], None)
        return json_response(await task if task is not None else {})

    async def resubscribe(self, request: web.Request) -> web.Response:
        body = await read_json_body(request)
        instrument = request.match_info["instrument"]
        driver = self._driver(instrument)
        driver.clear_marker()
        dropped = self._server.faults.drop_sockets()
        self._drifts[instrument] = asyncio.ensure_future(
            driver.drift(int(body.get("changes", 40)), float(body.get("interval_s", 0.05))))
        return json_response({"dropped": dropped})

    async def settled(self, request: web.Request) -> web.Response:
        """Waits for the drift to end and a client to subscribe the book again, then moves the book a little
        more (changes the client must apply on top of its new snapshot)."""
        instrument = request.match_info["instrument"]
        driver = self._driver(instrument)
        drift = self._drifts.pop(instrument, None)
        if drift is not None:
            await drift
        deadline = time.monotonic() + float(request.query.get("timeout", "20"))
        while not driver.has_book_subscribers() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        resubscribed = driver.has_book_subscribers()
        await asyncio.sleep(0.3)  # the snapshot a new subscriber gets comes first
        await driver.drift(20, 0.01)
        return json_response({"resubscribed": resubscribed})

    async def clear_orders(self, request: web.Request) -> web.Response:
        body = await read_json_body(request)
        count = self._server.exchange.cancel_all(request.match_info["sub_account_id"], body.get("instrument"))
        return json_response({"cancelled": count})

    def _open_count(self, sub_account_id: str, instrument: Optional[str]) -> int:
        return len(self._server.exchange.open_orders(sub_account_id, instrument))

    async def start_watch(self, request: web.Request) -> web.Response:
        body = await read_json_body(request)
        sub_account_id = request.match_info["sub_account_id"]
        instrument = body.get("instrument")
        future = asyncio.get_running_loop().create_future()

        def on_order(_order: Order) -> None:
            if not future.done() and self._open_count(sub_account_id, instrument) == 0:
                future.set_result(time.monotonic())
                remove()

        remove = self._server.exchange.add_order_listener(on_order)
        self._watches[sub_account_id] = future
        return json_response({"open": self._open_count(sub_account_id, instrument)})

    async def watch_result(self, request: web.Request) -> web.Response:
        future = self._watches.pop(request.match_info["sub_account_id"], None)
        if future is None:
            return json_response({"error": "no watch"})
        try:
            empty_at = await asyncio.wait_for(asyncio.shield(future), float(request.query.get("timeout", "30")))
        except asyncio.TimeoutError:
            return json_response({"error": "orders still open"})
        return json_response({"empty_at": empty_at})


class BenchSandbox:
    """SandboxServer with the bench routes; `async with BenchSandbox() as sandbox: sandbox.url`."""

    def __init__(self) -> None:
        self.server = SandboxServer(bench_config())
        self.server.exchange.accounts[BOOK_ACCOUNT_ID].max_open_orders = 100_000  # ten seeded books + floods
        self.routes = BenchRoutes(self.server)
        self.server.app.add_routes(self.routes.routes())

    @property
    def url(self) -> str:
        return self.server.url

    async def __aenter__(self) -> "BenchSandbox":
        await self.server.start()
        self.routes.seed_books()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.server.stop()
