"""Helpers of the integration tests: constants, event recording, the sandbox admin client, liquidity.

The sandbox runs without its synthetic market: a second sandbox account (``MAKER_ACCOUNT``) provides the
liquidity through the engine's internal (unsigned) order entry, so every test controls the book it trades on.
The connector signs real EIP-712 orders that the sandbox verifies.
"""
import asyncio
import os
import re
import time
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, AsyncIterator, Callable, Dict, List, Optional, Tuple
from unittest.mock import patch

import aiohttp
import pytest

from grvt_sandbox.config import DEMO_API_KEY, DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID
from grvt_sandbox.server import SandboxServer
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_derivative import GrvtPerpetualDerivative
from hummingbot.core.event.event_forwarder import EventForwarder
from hummingbot.core.event.events import MarketEvent
from hummingbot.core.web_assistant.connections.connections_factory import ConnectionsFactory

DOMAIN = "grvt_perpetual_testnet"
PAIR = "BTC-USDT"
BTC = "BTC_USDT_Perp"
MAKER_ACCOUNT = "1000001"
TAKER_ACCOUNT = "1000002"
BEST_BID = Decimal("89990.0")
BEST_ASK = Decimal("90010.0")
LEVEL_STEP = Decimal("10")
LEVEL_SIZE = Decimal("0.5")
READY_TIMEOUT = 30.0
TICK_INTERVAL = 0.2
EXCHANGE_ORDER_ID_PATTERN = r"^0x[0-9a-f]{32}$"


async def eventually(condition: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02,
                     message: str = "condition") -> Any:
    """Polls `condition` (sync or async) until it returns something truthy; fails the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {message}")
        await asyncio.sleep(interval)


class EventRecorder:
    """Records every market event the connector fires; tests wait for the ones they expect."""

    RECORDED = (
        MarketEvent.BuyOrderCreated, MarketEvent.SellOrderCreated, MarketEvent.OrderFilled,
        MarketEvent.OrderCancelled, MarketEvent.OrderFailure, MarketEvent.BuyOrderCompleted,
        MarketEvent.SellOrderCompleted, MarketEvent.FundingPaymentCompleted, MarketEvent.OrderExpired,
    )

    def __init__(self, connector: GrvtPerpetualDerivative):
        self.events: List[Tuple[MarketEvent, Any]] = []
        # PubSub keeps weak references: the forwarders must live as long as the recorder.
        self._forwarders = []
        for tag in self.RECORDED:
            forwarder = EventForwarder(lambda event, tag=tag: self.events.append((tag, event)))
            self._forwarders.append(forwarder)
            connector.add_listener(tag, forwarder)

    def of(self, tag: MarketEvent, order_id: Optional[str] = None) -> List[Any]:
        return [event for event_tag, event in self.events
                if event_tag is tag and (order_id is None or getattr(event, "order_id", None) == order_id)]

    async def wait_for(self, tag: MarketEvent, order_id: Optional[str] = None, count: int = 1,
                       timeout: float = 5.0) -> List[Any]:
        await eventually(lambda: len(self.of(tag, order_id)) >= count, timeout,
                         message=f"{count} {tag.name} event(s) for order {order_id}")
        return self.of(tag, order_id)


ADMIN_HEADERS = {"X-Sandbox-Admin": "1"}  # the sandbox refuses admin requests without it (browser pages cannot add it)


class Admin:
    """The sandbox's /sandbox/ admin routes over HTTP."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession):
        self._base_url = base_url
        self._session = session

    async def get(self, path: str) -> Any:
        async with self._session.get(f"{self._base_url}{path}", headers=ADMIN_HEADERS) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def post(self, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        async with self._session.post(f"{self._base_url}{path}", json=body or {}, headers=ADMIN_HEADERS) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def book(self, depth: int = 10) -> Dict[str, Any]:
        return await self.get(f"/sandbox/books/{BTC}?depth={depth}")

    async def demo_orders(self) -> List[Dict[str, Any]]:
        return (await self.get(f"/sandbox/orders/{DEMO_SUB_ACCOUNT_ID}"))["result"]

    async def demo_order(self, client_order_id: str) -> Optional[Dict[str, Any]]:
        return next((order for order in await self.demo_orders()
                     if order["metadata"]["client_order_id"] == client_order_id), None)

    async def demo_account(self) -> Dict[str, Any]:
        return await self.get(f"/sandbox/accounts/{DEMO_SUB_ACCOUNT_ID}")

    async def status(self) -> Dict[str, Any]:
        return await self.get("/sandbox/status")

    async def fault(self, name: str, **body) -> Dict[str, Any]:
        return (await self.post(f"/sandbox/faults/{name}", body))["result"]

    async def settle_funding(self, rate: Optional[str] = None) -> Dict[str, Any]:
        body = {"instrument": BTC}
        if rate is not None:
            body["rate"] = rate
        return (await self.post("/sandbox/funding", body))["result"]


class Liquidity:
    """Other traders: a maker and a taker account using the engine's internal order entry (unsigned, no margin
    check)."""

    def __init__(self, sandbox: SandboxServer):
        self._exchange = sandbox.exchange
        for account in (MAKER_ACCOUNT, TAKER_ACCOUNT):
            self._exchange.add_account(account, check_margin=False, record_history=False)

    def quote(self, is_buy: bool, price: Decimal, size: Decimal = LEVEL_SIZE):
        return self._exchange.submit_internal_order(
            MAKER_ACCOUNT, BTC, is_buy=is_buy, size=Decimal(size), price=Decimal(price), post_only=True)

    def take(self, is_buy: bool, size: Decimal, price: Optional[Decimal] = None):
        """An immediate-or-cancel order of the taker account (a market order without `price`)."""
        return self._exchange.submit_internal_order(
            TAKER_ACCOUNT, BTC, is_buy=is_buy, size=Decimal(size), price=price,
            time_in_force="IMMEDIATE_OR_CANCEL")

    def seed(self, levels: int = 3):
        for level in range(levels):
            self.quote(True, BEST_BID - LEVEL_STEP * level)
            self.quote(False, BEST_ASK + LEVEL_STEP * level)

    def cancel_all(self):
        self._exchange.cancel_all_internal(MAKER_ACCOUNT)


def book_levels(rows, depth: int) -> List[Tuple[Decimal, Decimal]]:
    """(price, size) of the first `depth` rows of a Hummingbot order book side."""
    levels = []
    for row in rows:
        levels.append((Decimal(str(row.price)), Decimal(str(row.amount))))
        if len(levels) == depth:
            break
    return levels


def sandbox_levels(side: List[Dict[str, Any]], depth: int) -> List[Tuple[Decimal, Decimal]]:
    return [(Decimal(level["price"]), Decimal(level["size"])) for level in side[:depth]]


async def connector_book_matches_sandbox(connector: GrvtPerpetualDerivative, admin: Admin, depth: int = 3) -> bool:
    book = connector.get_order_book(PAIR)
    sandbox_book = await admin.book(depth)
    return (book_levels(book.bid_entries(), depth) == sandbox_levels(sandbox_book["bids"], depth)
            and book_levels(book.ask_entries(), depth) == sandbox_levels(sandbox_book["asks"], depth))


def flat_fee(fill_event) -> Decimal:
    """The signed fee of a fill in USDT (GRVT fees are flat amounts in the quote currency)."""
    fees = [fee.amount for fee in fill_event.trade_fee.flat_fees if fee.token == "USDT"]
    assert len(fees) == 1, fill_event.trade_fee
    return fees[0]


async def wait_until_resting(connector: GrvtPerpetualDerivative, admin: Admin, order_id: str,
                             timeout: float = 5.0) -> Dict[str, Any]:
    """Waits until the tracked order knows its real GRVT order id and the sandbox holds it; returns the latter."""
    await eventually(
        lambda: (order_id in connector.in_flight_orders
                 and re.match(EXCHANGE_ORDER_ID_PATTERN, connector.in_flight_orders[order_id].exchange_order_id or "")),
        timeout, message=f"order {order_id} tracked with its GRVT order id")
    return await eventually(lambda: admin.demo_order(order_id), timeout, message=f"order {order_id} in the sandbox")


async def _tick_forever(connector: GrvtPerpetualDerivative):
    # Hummingbot's clock drives the status poll (balances, order status) through tick(), as a strategy's clock would.
    while True:
        connector.tick(time.time())
        await asyncio.sleep(TICK_INTERVAL)


def _forget_shared_session_of_another_loop():
    """Hummingbot keeps one aiohttp session per process; one made by an earlier test's (closed) loop is unusable."""
    factory = ConnectionsFactory()
    for attribute in ("_shared_client", "_ws_independent_session"):
        session = getattr(factory, attribute, None)
        if session is not None and getattr(session, "_loop", None) is not asyncio.get_running_loop():
            setattr(factory, attribute, None)


@asynccontextmanager
async def running_connector(sandbox: SandboxServer, private_key: str = DEMO_PRIVATE_KEY,
                            **kwargs) -> AsyncIterator[GrvtPerpetualDerivative]:
    """A started, ready connector on the sandbox's demo account (BTC-USDT), ticked like a strategy's clock."""
    _forget_shared_session_of_another_loop()
    with patch.dict(os.environ, {"GRVT_PERPETUAL_TESTNET_BASE_URL": sandbox.url}):
        grvt = GrvtPerpetualDerivative(
            grvt_perpetual_api_key=DEMO_API_KEY,
            grvt_perpetual_private_key=private_key,
            grvt_perpetual_trading_account_id=DEMO_SUB_ACCOUNT_ID,
            trading_pairs=[PAIR],
            trading_required=True,
            domain=DOMAIN,
            **kwargs,
        )
        ticker = None
        try:
            await grvt.start_network()
            ticker = asyncio.ensure_future(_tick_forever(grvt))
            await eventually(lambda: grvt.ready, READY_TIMEOUT, message=f"connector ready ({grvt.status_dict})")
            yield grvt
        finally:
            if ticker is not None:
                ticker.cancel()
                await asyncio.gather(ticker, return_exceptions=True)
            await grvt.stop_network()
            # Hummingbot shares one aiohttp session per process; each test has its own event loop.
            await ConnectionsFactory().close()


def fast_order_path(connector: GrvtPerpetualDerivative, request_timeout: float = 1.0, uncertain_window: float = 4.0):
    """Short timeouts and windows, so a fault test takes seconds (the defaults are sized for a live exchange)."""
    connector.REST_REQUEST_TIMEOUT = request_timeout
    if hasattr(connector.order_transport, "timeout"):  # orders over the trades socket
        connector.order_transport.timeout = request_timeout
    settings = connector.order_lifecycle.settings
    settings.uncertain_order_window_seconds = uncertain_window
    settings.uncertain_order_first_check_seconds = 0.2
    settings.cancel_confirm_seconds = 0.5
    settings.cancel_recheck_max_seconds = 2.0
    connector.account.QUERY_ATTEMPTS = 3


def demo_open_client_ids(sandbox: SandboxServer) -> List[str]:
    """Client ids of the demo account's open orders, as the exchange holds them."""
    return [order.client_order_id for order in sandbox.exchange.open_orders(DEMO_SUB_ACCOUNT_ID)]


def tracker_problems(connector: GrvtPerpetualDerivative, sandbox: SandboxServer) -> List[str]:
    """What keeps the tracker from matching the exchange: orphans, ghosts, orders stuck cancelling, duplicates."""
    on_exchange = demo_open_client_ids(sandbox)
    tracked = {order_id: order for order_id, order in connector.in_flight_orders.items() if not order.is_done}
    problems = []
    orphans = sorted(set(on_exchange) - set(tracked))
    ghosts = sorted(order_id for order_id in tracked if order_id not in on_exchange)
    duplicates = sorted({order_id for order_id in on_exchange if on_exchange.count(order_id) > 1})
    if orphans:
        problems.append(f"resting on the exchange but not tracked: {orphans}")
    if ghosts:
        problems.append(f"tracked but not on the exchange: {[(i, tracked[i].current_state.name) for i in ghosts]}")
    if duplicates:
        problems.append(f"duplicated on the exchange: {duplicates}")
    return problems


async def assert_tracker_matches_exchange(connector: GrvtPerpetualDerivative, sandbox: SandboxServer,
                                          timeout: float = 20.0):
    """Waits until every order the exchange holds is tracked and every tracked order exists; fails with what
    still differs."""
    deadline = time.monotonic() + timeout
    while tracker_problems(connector, sandbox):
        if time.monotonic() > deadline:
            pytest.fail("; ".join(tracker_problems(connector, sandbox)))
        await asyncio.sleep(0.05)


async def cancel_all_and_check_empty(connector: GrvtPerpetualDerivative, sandbox: SandboxServer,
                                     timeout: float = 20.0):
    """What a stop does: cancel_all, then nothing of ours rests and nothing is tracked as live."""
    await connector.cancel_all(timeout_seconds=10)
    await eventually(lambda: not demo_open_client_ids(sandbox) and not any(
        not order.is_done for order in connector.in_flight_orders.values()), timeout,
        message=f"nothing resting after cancel_all ({tracker_problems(connector, sandbox)})")
