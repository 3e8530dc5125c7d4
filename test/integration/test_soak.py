"""Soak: quoting on the sandbox's synthetic market for a while; what the connector saw must match the exchange."""
import asyncio
import time
from decimal import Decimal

import aiohttp
import pytest

from grvt_sandbox.config import DEMO_SUB_ACCOUNT_ID, SandboxConfig
from grvt_sandbox.server import SandboxServer
from hummingbot.core.data_type.common import OrderType, PositionAction
from hummingbot.core.event.events import MarketEvent
from test.integration.helpers import BTC, PAIR, Admin, EventRecorder, eventually, running_connector

SOAK_SECONDS = 30.0
REQUOTE_INTERVAL = 0.5
TICK = Decimal("0.1")
ORDER_SIZE = Decimal("0.002")


def _position_size(connector) -> Decimal:
    return sum((position.amount for position in connector.account_positions.values()), Decimal(0))


@pytest.mark.soak
async def test_quoting_on_the_synthetic_market_stays_consistent_with_the_exchange():
    async with SandboxServer(SandboxConfig(market=True, market_seed=11)) as sandbox, \
            aiohttp.ClientSession() as session:
        admin = Admin(sandbox.url, session)
        async with running_connector(sandbox) as connector:
            events = EventRecorder(connector)
            book = connector.get_order_book(PAIR)
            deadline = time.monotonic() + SOAK_SECONDS
            while time.monotonic() < deadline:
                best_bid, best_ask = Decimal(str(book.get_price(False))), Decimal(str(book.get_price(True)))
                assert best_bid < best_ask, "crossed local book"
                for order in list(connector.in_flight_orders.values()):
                    if order.is_open:
                        connector.cancel(PAIR, order.client_order_id)
                # Improve the touch by a tick where the spread allows it: the taker flow should hit us.
                bid = best_bid + TICK if best_bid + 2 * TICK < best_ask else best_bid
                ask = best_ask - TICK if best_ask - TICK > bid else best_ask
                connector.buy(PAIR, ORDER_SIZE, OrderType.LIMIT_MAKER, bid, position_action=PositionAction.OPEN)
                connector.sell(PAIR, ORDER_SIZE, OrderType.LIMIT_MAKER, ask, position_action=PositionAction.OPEN)
                await asyncio.sleep(REQUOTE_INTERVAL)

            results = await connector.cancel_all(timeout_seconds=10.0)
            assert all(result.success for result in results)
            assert await admin.demo_orders() == []

            fill_history = sandbox.exchange.accounts[DEMO_SUB_ACCOUNT_ID].fill_history
            await eventually(lambda: len(events.of(MarketEvent.OrderFilled)) == len(fill_history),
                             message=f"one OrderFilled event per exchange fill ({len(fill_history)})")
            filled = {}
            for fill in events.of(MarketEvent.OrderFilled):
                filled[fill.order_id] = filled.get(fill.order_id, Decimal(0)) + fill.amount
            assert filled, "no fills: the soak never exercised the fill path"
            for order_id, amount in filled.items():
                order = sandbox.exchange.find_order(DEMO_SUB_ACCOUNT_ID, client_order_id=order_id)
                assert order.traded_decimal == amount, order_id
            position = sandbox.exchange.position(DEMO_SUB_ACCOUNT_ID, BTC)
            exchange_size = position.size if position is not None else Decimal(0)
            await eventually(lambda: _position_size(connector) == exchange_size,
                             message=f"connector position equal to the exchange's {exchange_size}")
            assert len(events.of(MarketEvent.BuyOrderCreated)) > 10


REQUOTE_CYCLES = 1000
FAULT_EVERY = 25  # cycles


def _random_fault(sandbox, rng):
    faults = [
        lambda: sandbox.faults.fail_rpc("create_order", kind="delay", delay_s=rng.uniform(0.05, 0.5), count=3),
        lambda: sandbox.faults.fail_rpc("create_order", kind="executed_empty", count=2),
        lambda: sandbox.faults.fail_rpc("create_order", kind="deferred", delay_s=rng.uniform(0.5, 2.5), count=1),
        lambda: sandbox.faults.fail_rpc("create_order", kind="status", status=500, count=3),
        lambda: sandbox.faults.fail_rpc("cancel_order", kind="lost", count=2),
        lambda: sandbox.faults.fail_rpc("cancel_order", kind="empty", count=2),
        lambda: sandbox.faults.fail_rpc("create_order", kind="drop_after", count=1),
        lambda: sandbox.faults.rate_limit("create_order", count=3),
        lambda: sandbox.faults.drop_sockets(),
        lambda: sandbox.faults.expire_sessions(),
        lambda: sandbox.faults.inject_sequence_gap(stream="v1.state", skip=2),
        lambda: sandbox.faults.fail_rest("open_orders", kind="empty", count=2),
    ]
    rng.choice(faults)()


@pytest.mark.soak
async def test_requote_loop_under_random_faults_leaves_the_tracker_equal_to_the_exchange():
    import random

    from test.integration.helpers import (
        Liquidity,
        assert_tracker_matches_exchange,
        cancel_all_and_check_empty,
        fast_order_path,
    )

    rng = random.Random(8)
    async with SandboxServer(SandboxConfig()) as sandbox:
        Liquidity(sandbox).seed()
        async with running_connector(sandbox) as connector:
            fast_order_path(connector, request_timeout=1.0, uncertain_window=4.0)
            placed = []
            for cycle in range(REQUOTE_CYCLES):
                if cycle % FAULT_EVERY == FAULT_EVERY - 1:
                    _random_fault(sandbox, rng)
                if placed:
                    connector.cancel(PAIR, placed[-1])
                placed.append(connector.buy(PAIR, ORDER_SIZE, OrderType.LIMIT_MAKER,
                                            Decimal("89000") - Decimal(cycle % 11),
                                            position_action=PositionAction.OPEN))
                await asyncio.sleep(0.1)
            sandbox.faults.clear()
            await cancel_all_and_check_empty(connector, sandbox, timeout=60)
            await assert_tracker_matches_exchange(connector, sandbox)
            summary = connector.order_metrics.summary()
            assert summary["send_to_ack_ms"]["count"] > REQUOTE_CYCLES / 2, summary
