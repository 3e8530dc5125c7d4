"""Fault injection: expired sessions, dropped sockets, book sequence gaps, 5xx answers, mass cancels."""
import asyncio
from decimal import Decimal

import pytest

from grvt_sandbox.config import DEMO_SUB_ACCOUNT_ID
from hummingbot.core.data_type.common import OrderType, PositionAction
from hummingbot.core.event.events import MarketEvent
from test.integration.helpers import (
    BEST_ASK,
    BEST_BID,
    BTC,
    PAIR,
    connector_book_matches_sandbox,
    eventually,
    fast_order_path,
    wait_until_resting,
)

FAR_BID = BEST_BID - Decimal("1000")
INSIDE_BID = BEST_BID + Decimal("5")  # best bid of the book once placed, still below the best ask
RECOVERY_TIMEOUT = 10.0


def book_of(connector):
    return connector.get_order_book(PAIR)


def best_prices(connector):
    book = connector.get_order_book(PAIR)
    return Decimal(str(book.get_price(False))), Decimal(str(book.get_price(True)))


async def test_expired_session_is_renewed_transparently_by_the_next_private_call(
        connector, events, admin, sandbox, monkeypatch):
    logins = []
    original_login = sandbox.sessions.login
    monkeypatch.setattr(sandbox.sessions, "login", lambda api_key: logins.append(api_key) or original_login(api_key))

    assert (await admin.fault("expire_sessions"))["affected"] >= 1
    order_id = connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT_MAKER, FAR_BID, position_action=PositionAction.OPEN)

    await wait_until_resting(connector, admin, order_id)
    assert events.of(MarketEvent.OrderFailure) == []
    assert logins, "the connector never logged in again"
    await connector._update_balances()  # another private call on the renewed session
    assert connector.get_balance("USDT") == Decimal("100000")


@pytest.mark.parametrize("abort", [False, True], ids=["close-frame", "tcp-abort"])
async def test_book_and_user_stream_recover_after_the_sockets_drop(connector, events, admin, liquidity, sandbox,
                                                                   abort):
    sockets = (await admin.status())["websockets"]
    assert sandbox.faults.drop_sockets(abort=abort) == sockets >= 2
    await eventually(lambda: _websockets_at_least(admin, sockets), RECOVERY_TIMEOUT, message="sockets reconnected")

    liquidity.quote(True, BEST_BID + Decimal("1"), Decimal("0.1"))
    await eventually(lambda: connector_book_matches_sandbox(connector, admin), RECOVERY_TIMEOUT,
                     message="the book following the exchange again")

    order_id = connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT_MAKER, INSIDE_BID,
                             position_action=PositionAction.OPEN)
    await wait_until_resting(connector, admin, order_id, RECOVERY_TIMEOUT)
    liquidity.take(False, Decimal("0.01"), INSIDE_BID)
    fill = (await events.wait_for(MarketEvent.OrderFilled, order_id, timeout=RECOVERY_TIMEOUT))[0]
    assert (fill.price, fill.amount) == (INSIDE_BID, Decimal("0.01"))
    await events.wait_for(MarketEvent.BuyOrderCompleted, order_id)


async def _websockets_at_least(admin, count: int) -> bool:
    return (await admin.status())["websockets"] >= count


async def test_fill_missed_while_the_private_socket_was_down_is_recovered_through_rest(
        connector, events, admin, liquidity, sandbox):
    order_id = connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT_MAKER, INSIDE_BID,
                             position_action=PositionAction.OPEN)
    await wait_until_resting(connector, admin, order_id)

    # Same loop step: the fill happens while no private socket is subscribed, so no stream ever carries it.
    assert sandbox.faults.drop_sockets(private_only=True) >= 1
    liquidity.take(False, Decimal("0.01"), INSIDE_BID)
    assert sandbox.exchange.find_order(DEMO_SUB_ACCOUNT_ID, client_order_id=order_id).status == "FILLED"

    fill = (await events.wait_for(MarketEvent.OrderFilled, order_id, timeout=RECOVERY_TIMEOUT))[0]
    assert (fill.price, fill.amount) == (INSIDE_BID, Decimal("0.01"))
    await events.wait_for(MarketEvent.BuyOrderCompleted, order_id, timeout=RECOVERY_TIMEOUT)
    assert order_id not in connector.in_flight_orders


async def _assert_book_resyncs_after_gap(connector, liquidity, admin, sandbox, caplog):
    snapshot_before = book_of(connector).snapshot_uid
    assert sandbox.faults.inject_sequence_gap("v1.book.d") >= 1
    liquidity.quote(True, BEST_BID + Decimal("1"), Decimal("0.1"))  # the next delta carries the gap

    await eventually(lambda: "book sequence broken" in caplog.text, message="the gap detected")
    await eventually(lambda: book_of(connector).snapshot_uid > snapshot_before, RECOVERY_TIMEOUT,
                     message="a fresh snapshot after the gap")
    liquidity.quote(False, BEST_ASK - Decimal("1"), Decimal("0.1"))
    await eventually(lambda: connector_book_matches_sandbox(connector, admin), RECOVERY_TIMEOUT,
                     message="the resynchronised book")
    best_bid, best_ask = best_prices(connector)
    assert (best_bid, best_ask) == (BEST_BID + 1, BEST_ASK - 1)
    assert best_bid < best_ask


async def test_book_resyncs_after_a_sequence_gap_and_is_never_crossed(connector, liquidity, admin, sandbox, caplog):
    # A first delta anchors the chain, then a later one skips a number.
    liquidity.quote(False, BEST_ASK + Decimal("100"), Decimal("0.1"))
    await eventually(lambda: book_of(connector).last_diff_uid > book_of(connector).snapshot_uid,
                     message="a first delta")
    await _assert_book_resyncs_after_gap(connector, liquidity, admin, sandbox, caplog)


async def test_book_resyncs_when_the_first_delta_after_the_snapshot_is_missing(
        connector, liquidity, admin, sandbox, caplog):
    # GRVT's subscribe answer names the first delta number to expect (first_sequence_number): losing that very
    # delta must be detected too.
    assert book_of(connector).last_diff_uid <= book_of(connector).snapshot_uid  # no delta since the snapshot
    await _assert_book_resyncs_after_gap(connector, liquidity, admin, sandbox, caplog)


@pytest.mark.parametrize("status", [500, 503])
async def test_server_error_on_create_order_fails_the_order_and_leaves_nothing_resting(
        connector, events, admin, status):
    # 500 (GRVT 1002) leaves the outcome unknown: the connector looks the order up before failing it; 503 (1009,
    # endpoint unavailable) fails it at once. Over the order socket and over REST alike.
    fast_order_path(connector)
    await admin.fault("fail_rpc", method="create_order", kind="status", status=status, count=1)
    order_id = connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT_MAKER, FAR_BID, position_action=PositionAction.OPEN)

    failure = (await events.wait_for(MarketEvent.OrderFailure, order_id, timeout=RECOVERY_TIMEOUT))[0]
    assert failure.order_id == order_id
    assert order_id not in connector.in_flight_orders
    assert await admin.demo_orders() == []


async def test_cancel_all_with_twenty_resting_orders_leaves_none_of_ours(connector, events, admin, sandbox):
    order_ids = [
        connector.buy(PAIR, Decimal("0.002"), OrderType.LIMIT_MAKER, FAR_BID - Decimal(10 * level),
                      position_action=PositionAction.OPEN)
        for level in range(20)
    ]
    for order_id in order_ids:
        await wait_until_resting(connector, admin, order_id, RECOVERY_TIMEOUT)
    assert len(await admin.demo_orders()) == 20

    results = await connector.cancel_all(timeout_seconds=10.0)

    assert sorted(result.order_id for result in results) == sorted(order_ids)
    assert all(result.success for result in results)
    assert await admin.demo_orders() == []
    assert sandbox.exchange.open_orders(DEMO_SUB_ACCOUNT_ID, BTC) == []
    await events.wait_for(MarketEvent.OrderCancelled, count=20)
    assert {event.order_id for event in events.of(MarketEvent.OrderCancelled)} == set(order_ids)
    assert connector.in_flight_orders == {}


async def test_positions_answer_in_flight_while_the_stream_closes_the_position_does_not_reopen_it(
        connector, events, admin, liquidity, sandbox):
    opening = connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT, BEST_ASK, position_action=PositionAction.OPEN)
    await events.wait_for(MarketEvent.BuyOrderCompleted, opening)
    await eventually(lambda: connector.account_positions, message="the long position")
    closing = connector.sell(PAIR, Decimal("0.01"), OrderType.LIMIT_MAKER, BEST_ASK - 5,
                             position_action=PositionAction.CLOSE)
    await wait_until_resting(connector, admin, closing)

    # The status poll reads the long position, and its answer arrives after the stream reported it closed.
    sandbox.faults.fail_rest("positions", kind="late", delay_s=1.0, count=1)
    poll = asyncio.ensure_future(connector._update_positions())
    await eventually(lambda: not sandbox.faults.rest_faults, message="the positions query answered late")
    liquidity.take(True, Decimal("0.01"), BEST_ASK - 5)
    await events.wait_for(MarketEvent.SellOrderCompleted, closing, timeout=RECOVERY_TIMEOUT)
    await eventually(lambda: not connector.account_positions, RECOVERY_TIMEOUT, message="the stream's close")
    await asyncio.wait_for(poll, RECOVERY_TIMEOUT)

    assert connector.account_positions == {}
