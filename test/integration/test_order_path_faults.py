"""The order path under faults, on the sandbox: every test ends with the tracker equal to the exchange.

One test per finding the order path was rebuilt for (numbered as in the issue that listed them), then the fault
matrix: sockets dropped during a create and a cancel, `{}` answers, 5xx bursts, slow and late-executed creates,
session expiry, a sequence gap on the private stream, an exchange restart that loses its orders, and a bot killed
while quoting (GRVT's cancel-on-disconnect empties the book).
"""
import asyncio
from decimal import Decimal
from typing import List

import pytest

from grvt_sandbox.config import DEMO_SUB_ACCOUNT_ID
from hummingbot.core.data_type.common import OrderType, PositionAction
from hummingbot.core.data_type.in_flight_order import OrderState
from hummingbot.core.event.events import MarketEvent
from test.integration.helpers import (
    BEST_ASK,
    BEST_BID,
    PAIR,
    assert_tracker_matches_exchange,
    cancel_all_and_check_empty,
    demo_open_client_ids,
    eventually,
    fast_order_path,
    running_connector,
)

QUOTE_SIZE = Decimal("0.002")
FAR_BID = BEST_BID - Decimal("500")
FAR_ASK = BEST_ASK + Decimal("500")


@pytest.fixture
def order_path(connector):
    fast_order_path(connector)
    return connector


def quote(connector, level: int = 0, size: Decimal = QUOTE_SIZE) -> str:
    return connector.buy(PAIR, size, OrderType.LIMIT_MAKER, FAR_BID - Decimal(level),
                         position_action=PositionAction.OPEN)


def is_open(connector, order_id: str) -> bool:
    order = connector.in_flight_orders.get(order_id)
    return order is not None and order.is_open and not order.is_pending_create


def count_route(sandbox, route: str) -> List[dict]:
    """Records the bodies of a trading route as the sandbox executes them (REST and JSON-RPC alike)."""
    calls: List[dict] = []
    handler = sandbox.trading.routes[route]

    def recording(session, params):
        calls.append(params)
        return handler(session, params)

    sandbox.trading.routes[route] = recording
    return calls


async def requote_cycles(connector, cycles: int, interval: float = 0.1) -> List[str]:
    """A market maker's loop: each cycle cancels the previous quote and places a new one, without waiting."""
    placed = []
    for cycle in range(cycles):
        if placed:
            connector.cancel(PAIR, placed[-1])
        placed.append(quote(connector, level=cycle % 7))
        await asyncio.sleep(interval)
    return placed


# ------------------------------------------------------------------------------------------------------------------
# The findings
# ------------------------------------------------------------------------------------------------------------------
async def test_finding_1_cancel_that_beats_its_create_still_kills_it(order_path, sandbox, events):
    # the create reaches the matching engine 0.3 s late; the cancel sent right after it arrives first
    sandbox.faults.fail_rpc("create_order", kind="delay", delay_s=0.3, count=1)
    order_id = quote(order_path)
    await asyncio.sleep(0.05)
    order_path.cancel(PAIR, order_id)

    await events.wait_for(MarketEvent.OrderCancelled, order_id, timeout=15)
    assert demo_open_client_ids(sandbox) == []
    await assert_tracker_matches_exchange(order_path, sandbox)


async def test_finding_1_requote_loop_with_slow_creates_strands_nothing(order_path, sandbox):
    sandbox.faults.fail_rpc("create_order", kind="delay", delay_s=0.15)
    placed = await requote_cycles(order_path, 40)
    sandbox.faults.clear()

    await assert_tracker_matches_exchange(order_path, sandbox)
    assert len(demo_open_client_ids(sandbox)) <= 1  # only the last quote may rest
    assert not any(order.current_state is OrderState.PENDING_CANCEL
                   for order in order_path.in_flight_orders.values() if order.client_order_id != placed[-1])
    await cancel_all_and_check_empty(order_path, sandbox)


@pytest.mark.parametrize("kind", ["executed_empty", "empty", "executed_error", "status"])
async def test_finding_2_unknown_create_outcome_cancelled_at_once_is_resolved(order_path, sandbox, events, kind):
    # `{}` or an internal error (1002), after GRVT executed the create (executed_*) or not; the strategy cancels
    # it immediately
    sandbox.faults.fail_rpc("create_order", kind=kind, status=500, count=1)
    order_id = quote(order_path)
    await eventually(lambda: order_path.order_lifecycle.is_managed(order_id), 5, message="create outcome unknown")
    order_path.cancel(PAIR, order_id)

    await eventually(lambda: order_id not in order_path.in_flight_orders, 20, message="order resolved")
    assert events.of(MarketEvent.OrderCancelled, order_id) or events.of(MarketEvent.OrderFailure, order_id)
    await assert_tracker_matches_exchange(order_path, sandbox)


@pytest.mark.parametrize("kind", ["executed_empty", "late", "deferred_empty"])
async def test_finding_2_requote_loop_under_uncertain_creates_leaves_no_ghost(order_path, sandbox, kind):
    sandbox.faults.fail_rpc("create_order", kind=kind, delay_s=0.3)
    await requote_cycles(order_path, 30)
    sandbox.faults.clear()

    await cancel_all_and_check_empty(order_path, sandbox, timeout=30)
    await assert_tracker_matches_exchange(order_path, sandbox)


async def test_finding_3_create_executed_after_the_timeout_is_found_and_tracked(order_path, sandbox, events):
    # executed 2.5 s after the request, its answer never comes: the client times out after 1 s
    sandbox.faults.fail_rpc("create_order", kind="deferred", delay_s=2.5, count=1)
    order_id = quote(order_path)

    await eventually(lambda: order_id in demo_open_client_ids(sandbox), 10, message="late execution")
    await eventually(lambda: is_open(order_path, order_id), 10, message="order found OPEN")
    assert events.of(MarketEvent.OrderFailure, order_id) == []
    await assert_tracker_matches_exchange(order_path, sandbox)
    await cancel_all_and_check_empty(order_path, sandbox)


async def test_finding_3_create_executed_after_it_was_failed_is_tracked_again_and_cancelled(
        order_path, sandbox, events):
    order_path.order_lifecycle.settings.uncertain_order_window_seconds = 1.0
    # executes after the lookup window and after the 5 s time-to-live of the guard cancel
    sandbox.faults.fail_rpc("create_order", kind="deferred", delay_s=7.5, count=1)
    order_id = quote(order_path)
    await events.wait_for(MarketEvent.OrderFailure, order_id, timeout=10)

    await eventually(lambda: events.of(MarketEvent.OrderCancelled, order_id), 20,
                     message="the late order tracked again and cancelled")
    assert len(events.of(MarketEvent.OrderCancelled, order_id)) == 1  # tracked again once
    assert demo_open_client_ids(sandbox) == []
    await assert_tracker_matches_exchange(order_path, sandbox)


async def test_finding_4_empty_answers_on_queries_never_wipe_state(order_path, sandbox, liquidity):
    connector = order_path
    connector.sell(PAIR, Decimal("0.01"), OrderType.MARKET, position_action=PositionAction.OPEN)
    await eventually(lambda: connector.account_positions, 10, message="a short position")
    rules_before = {pair: repr(rule) for pair, rule in connector.trading_rules.items()}

    for route in ("positions", "instruments", "open_orders", "account_summary"):
        sandbox.faults.fail_rest(route, kind="empty", count=1)
    await connector._update_positions()
    await connector._update_trading_rules()
    await connector._update_balances()
    await connector._reconcile()

    assert list(connector.account_positions.values())[0].amount == Decimal("-0.01")
    assert {pair: repr(rule) for pair, rule in connector.trading_rules.items()} == rules_before
    assert connector.ready
    sandbox.faults.fail_rest("instruments", kind="empty", count=10)
    with pytest.raises(IOError):
        await connector._update_trading_rules()
    assert {pair: repr(rule) for pair, rule in connector.trading_rules.items()} == rules_before  # kept
    order_id = quote(connector)
    await eventually(lambda: order_id in demo_open_client_ids(sandbox), 10, message="buy() still works")
    await cancel_all_and_check_empty(connector, sandbox)


async def test_finding_5_status_queries_that_time_out_never_lose_a_live_order(order_path, sandbox, events):
    order_id = quote(order_path)
    await eventually(lambda: order_id in demo_open_client_ids(sandbox), 10, message="order resting")
    await eventually(lambda: is_open(order_path, order_id), 10, message="order open")
    sandbox.faults.fail_rest("order", kind="delay", delay_s=2.0)
    for _ in range(6):
        await order_path._update_order_status()
    sandbox.faults.clear()

    assert order_path.in_flight_orders[order_id].is_open
    assert events.of(MarketEvent.OrderFailure, order_id) == []
    assert order_id in demo_open_client_ids(sandbox)
    await cancel_all_and_check_empty(order_path, sandbox)


async def test_finding_6_one_cancel_request_per_order(order_path, sandbox):
    cancels = count_route(sandbox, "v1/cancel_order")
    order_ids = [quote(order_path, level) for level in range(5)]
    await eventually(lambda: len(demo_open_client_ids(sandbox)) == 5, 10, message="five orders resting")
    for _ in range(20):
        for order_id in order_ids:
            order_path.cancel(PAIR, order_id)
        await asyncio.sleep(0.01)

    await eventually(lambda: not demo_open_client_ids(sandbox), 10, message="all cancelled")
    await assert_tracker_matches_exchange(order_path, sandbox)
    cancelled_ids = [call["client_order_id"] for call in cancels]
    assert sorted(cancelled_ids) == sorted(order_ids)


@pytest.mark.parametrize("amount, price, kwargs, fragment", [
    (Decimal("-0.01"), FAR_BID, {"position_action": PositionAction.OPEN}, "must be positive"),
    (Decimal("0"), FAR_BID, {"position_action": PositionAction.OPEN}, "must be positive"),
    (Decimal("NaN"), FAR_BID, {"position_action": PositionAction.OPEN}, "finite"),
    (Decimal("0.01"), Decimal("Infinity"), {"position_action": PositionAction.OPEN}, "finite"),
    (Decimal("0.01"), "ninety thousand", {"position_action": PositionAction.OPEN}, "must be a number"),
    (Decimal("0.01"), Decimal("-5"), {"position_action": PositionAction.OPEN}, "must be positive"),
    (Decimal("0.01"), FAR_BID, {}, "position_action"),
    (Decimal("1e12"), FAR_BID, {"position_action": PositionAction.OPEN}, "exceeds"),
])
async def test_finding_7_bad_arguments_fail_with_a_clear_message(order_path, sandbox, events, amount, price, kwargs,
                                                                 fragment):
    order_id = order_path.buy(PAIR, amount, OrderType.LIMIT_MAKER, price, **kwargs)

    failure = (await events.wait_for(MarketEvent.OrderFailure, order_id))[0]
    assert fragment in failure.error_message
    assert events.of(MarketEvent.BuyOrderCompleted, order_id) == []
    assert order_id not in order_path.in_flight_orders
    assert demo_open_client_ids(sandbox) == []


async def test_finding_7_unknown_pair_and_float_amounts(order_path, sandbox, events):
    unknown = order_path.buy("DOGE-USDT", Decimal("1"), OrderType.LIMIT, Decimal("1"),
                             position_action=PositionAction.OPEN)
    failure = (await events.wait_for(MarketEvent.OrderFailure, unknown))[0]
    assert "DOGE-USDT is not a GRVT perpetual" in failure.error_message

    order_id = order_path.buy(PAIR, 0.002, OrderType.LIMIT_MAKER, float(FAR_BID), position_action=PositionAction.OPEN)
    await eventually(lambda: order_id in demo_open_client_ids(sandbox), 10, message="a float amount is read as such")
    await cancel_all_and_check_empty(order_path, sandbox)


async def test_finding_8_a_short_position_shows_no_negative_base_balance(order_path, sandbox, liquidity):
    order_path.sell(PAIR, Decimal("0.004"), OrderType.MARKET, position_action=PositionAction.OPEN)
    await eventually(lambda: order_path.account_positions, 10, message="a short position")
    order_path.sell(PAIR, QUOTE_SIZE, OrderType.LIMIT_MAKER, FAR_ASK, position_action=PositionAction.OPEN)
    await eventually(lambda: len(demo_open_client_ids(sandbox)) == 1, 10, message="a resting sell")
    await order_path._update_balances()

    assert order_path.get_available_balance("BTC") >= 0
    summary = await order_path.account.account_summary()
    assert order_path.get_available_balance("USDT") == summary.available_balance
    await cancel_all_and_check_empty(order_path, sandbox)


async def test_finding_9_one_open_update_per_order(order_path, sandbox, events):
    updates = []
    process = order_path._order_tracker.process_order_update
    order_path._order_tracker.process_order_update = lambda update: updates.append(update) or process(update)
    order_ids = [quote(order_path, level) for level in range(3)]
    await eventually(lambda: all(order_id in order_path.in_flight_orders and order_path.in_flight_orders[
        order_id].exchange_order_id not in (None, "0x00") for order_id in order_ids), 10,
        message="real ids from the stream")
    await asyncio.sleep(0.5)

    for order_id in order_ids:
        opens = [update for update in updates if update.client_order_id == order_id
                 and update.new_state is OrderState.OPEN]
        assert len(opens) == 1
        assert len(events.of(MarketEvent.BuyOrderCreated, order_id)) == 1
    await cancel_all_and_check_empty(order_path, sandbox)


# ------------------------------------------------------------------------------------------------------------------
# The fault matrix
# ------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["drop_before", "drop_after"])
async def test_socket_dropped_during_a_create(order_path, sandbox, events, kind):
    sandbox.faults.fail_rpc("create_order", kind=kind, count=1)
    order_id = quote(order_path)

    await eventually(lambda: is_open(order_path, order_id) or events.of(MarketEvent.OrderFailure, order_id), 20,
                     message="create resolved")
    # executed before the drop: found and tracked; dropped before execution: failed after the window
    assert (order_id in demo_open_client_ids(sandbox)) == (kind == "drop_after")
    await assert_tracker_matches_exchange(order_path, sandbox)
    await cancel_all_and_check_empty(order_path, sandbox)


@pytest.mark.parametrize("kind", ["drop_before", "drop_after", "lost", "executed_empty", "empty"])
async def test_cancel_whose_answer_is_lost_still_ends_the_order(order_path, sandbox, events, kind):
    order_id = quote(order_path)
    await eventually(lambda: is_open(order_path, order_id), 10, message="order open")
    sandbox.faults.fail_rpc("cancel_order", kind=kind, count=1)
    sandbox.faults.fail_rest("cancel_order", kind=kind if kind in ("empty", "executed_empty", "lost") else "status",
                             count=1)
    order_path.cancel(PAIR, order_id)

    await events.wait_for(MarketEvent.OrderCancelled, order_id, timeout=20)
    await assert_tracker_matches_exchange(order_path, sandbox)


async def test_cancels_still_end_orders_while_grvt_refuses_cancel_time_to_live(order_path, sandbox, events):
    sandbox.exchange.config.cancel_ttl_enabled = False  # GRVT answers 2300 to a cancel carrying time_to_live_ms
    order_ids = [quote(order_path, level) for level in range(2)]
    await eventually(lambda: all(is_open(order_path, order_id) for order_id in order_ids), 10, message="orders open")
    for order_id in order_ids:
        order_path.cancel(PAIR, order_id)
        await events.wait_for(MarketEvent.OrderCancelled, order_id, timeout=20)
    await assert_tracker_matches_exchange(order_path, sandbox)


async def test_server_error_bursts_on_every_order_route(order_path, sandbox):
    for route in ("create_order", "cancel_order"):
        sandbox.faults.fail_rpc(route, kind="status", status=503, count=6)
        sandbox.faults.fail_rest(route, kind="status", status=503, count=6)
    await requote_cycles(order_path, 20)
    sandbox.faults.clear()

    await cancel_all_and_check_empty(order_path, sandbox, timeout=30)
    await assert_tracker_matches_exchange(order_path, sandbox)


async def test_rate_limit_answers_back_off_and_orders_recover(order_path, sandbox, events):
    sandbox.faults.rate_limit("create_order", count=3)
    first = [quote(order_path, level) for level in range(3)]
    for order_id in first:
        failure = (await events.wait_for(MarketEvent.OrderFailure, order_id))[0]
        assert "1006" in failure.error_message
    assert order_path.order_metrics.rate_limited >= 3

    order_id = quote(order_path)
    await eventually(lambda: order_id in demo_open_client_ids(sandbox), 15, message="orders accepted again")
    await cancel_all_and_check_empty(order_path, sandbox)


async def test_circuit_breaker_pauses_new_orders_while_the_exchange_keeps_failing(order_path, sandbox, events):
    sandbox.faults.fail_rpc("create_order", kind="status", status=503)
    sandbox.faults.fail_rest("create_order", kind="status", status=503)
    for level in range(5):
        order_id = quote(order_path, level)
        await events.wait_for(MarketEvent.OrderFailure, order_id)
    assert order_path.order_lifecycle.circuit.is_open
    assert not order_path.status_dict["order_entry"]
    assert not order_path.ready  # strategies stop quoting; `status` lists order_entry as not ready

    refused = quote(order_path, 9)
    failure = (await events.wait_for(MarketEvent.OrderFailure, refused))[0]
    assert "paused" in failure.error_message
    assert order_path.order_metrics.latency(refused).sent is None  # refused without leaving the bot

    sandbox.faults.clear()
    await eventually(lambda: not order_path.order_lifecycle.circuit.is_open, 20, message="cool-down over")
    order_id = quote(order_path)
    await eventually(lambda: order_id in demo_open_client_ids(sandbox), 10, message="orders flow again")
    # GRVT holds the probe order before its create answer reaches the bot; the answer closes the circuit
    await eventually(lambda: order_path.order_metrics.latency(order_id).acknowledged, 10, message="probe answered")
    assert order_path.status_dict["order_entry"]
    await cancel_all_and_check_empty(order_path, sandbox)


async def test_session_expiry_while_quoting(order_path, sandbox):
    await requote_cycles(order_path, 5)
    sandbox.faults.expire_sessions()
    await requote_cycles(order_path, 10)

    await assert_tracker_matches_exchange(order_path, sandbox)
    await cancel_all_and_check_empty(order_path, sandbox)


async def test_sequence_gap_on_the_private_stream_reconciles(order_path, sandbox, events):
    order_id = quote(order_path)
    await eventually(lambda: is_open(order_path, order_id), 10, message="order open")
    sandbox.faults.inject_sequence_gap(stream="v1.state", skip=3)
    # cancelled behind the connector's back: only the gap's reconciliation can tell
    sandbox.exchange.cancel_order(DEMO_SUB_ACCOUNT_ID, client_order_id=order_id)
    order_id_2 = quote(order_path, 1)

    await events.wait_for(MarketEvent.OrderCancelled, order_id, timeout=15)
    await eventually(lambda: order_id_2 in demo_open_client_ids(sandbox), 10, message="second order resting")
    await assert_tracker_matches_exchange(order_path, sandbox)
    await cancel_all_and_check_empty(order_path, sandbox)


async def test_exchange_restart_that_loses_every_order(order_path, sandbox, events):
    order_ids = [quote(order_path, level) for level in range(3)]
    await eventually(lambda: len(demo_open_client_ids(sandbox)) == 3, 10, message="three orders resting")
    sandbox.faults.restart_exchange()

    for order_id in order_ids:
        await events.wait_for(MarketEvent.OrderCancelled, order_id, timeout=25)
    await assert_tracker_matches_exchange(order_path, sandbox)
    order_id = quote(order_path)
    await eventually(lambda: order_id in demo_open_client_ids(sandbox), 15, message="trading again after restart")
    await cancel_all_and_check_empty(order_path, sandbox)


async def test_bot_killed_while_quoting_is_cleaned_up_by_cancel_on_disconnect(sandbox, liquidity):
    async with running_connector(sandbox, grvt_perpetual_cancel_on_disconnect_ms=3000) as connector:
        fast_order_path(connector)
        order_ids = [quote(connector, level) for level in range(4)]
        await eventually(lambda: len(demo_open_client_ids(sandbox)) == 4, 10, message="four orders resting")
        account = sandbox.exchange.account(DEMO_SUB_ACCOUNT_ID)
        await eventually(lambda: account.cancel_on_disconnect_deadline_ns, 10, message="dead-man switch armed")
        # the process dies: no cancel_all, no more heartbeats
        await connector._heartbeat.stop()
        await eventually(lambda: not demo_open_client_ids(sandbox), 20, message="GRVT cancelled everything")
        for order_id in order_ids:
            order = sandbox.exchange.find_order(DEMO_SUB_ACCOUNT_ID, client_order_id=order_id)
            assert order.reject_reason == "CLIENT_CANCEL_ON_DISCONNECT_TRIGGERED"
        await assert_tracker_matches_exchange(connector, sandbox)


async def test_bulk_requote_is_one_request_each_way(order_path, sandbox):
    from hummingbot.core.data_type.limit_order import LimitOrder

    bulk = count_route(sandbox, "v2/bulk_orders")
    levels = [LimitOrder(client_order_id="", trading_pair=PAIR, is_buy=True, base_currency="BTC",
                         quote_currency="USDT", price=FAR_BID - Decimal(10 * level), quantity=QUOTE_SIZE,
                         position=PositionAction.OPEN) for level in range(10)]
    created = order_path.batch_order_create(levels)
    await eventually(lambda: len(demo_open_client_ids(sandbox)) == 10, 10, message="ten quotes resting")
    order_path.batch_order_cancel(created)
    replacement = order_path.batch_order_create(levels)
    await eventually(lambda: sorted(demo_open_client_ids(sandbox)) == sorted(o.client_order_id for o in replacement),
                     10, message="requoted")

    # the first ten in one request, then the requote in one: GRVT cancels the old ten, then creates the new ten
    assert [len(request["orders"]) for request in bulk] == [10, 10]
    assert sorted(bulk[1]["client_order_i_ds"]) == sorted(order.client_order_id for order in created)
    await assert_tracker_matches_exchange(order_path, sandbox)
    await cancel_all_and_check_empty(order_path, sandbox)


async def test_order_socket_down_sends_orders_over_rest_then_recovers(order_path, sandbox):
    primary = order_path.order_transport
    primary.client._backoff._initial = 3.0  # stay down long enough to place an order meanwhile
    sandbox.faults.drop_sockets()
    await eventually(lambda: not primary.client.is_connected, 10, interval=0.001, message="order socket down")
    order_id = quote(order_path)
    await eventually(lambda: order_id in demo_open_client_ids(sandbox), 10, message="order placed meanwhile")
    assert order_path.order_metrics.latency(order_id).transport == "rest"  # sent over REST, the failover

    await eventually(lambda: primary.client.is_connected, 20, message="order socket back")
    assert order_path.order_metrics.reconnects >= 1
    order_id_2 = quote(order_path, 1)
    await eventually(lambda: order_id_2 in demo_open_client_ids(sandbox), 10, message="order over the socket")
    assert order_path.order_metrics.latency(order_id_2).transport == "websocket"
    await assert_tracker_matches_exchange(order_path, sandbox)
    await cancel_all_and_check_empty(order_path, sandbox)


async def _available_balance(connector):
    return (await connector.account.account_summary()).available_balance  # event_time changes between calls


@pytest.mark.parametrize("route, query", [
    ("order", lambda connector, order_id: connector.account.order(order_id)),
    ("open_orders", lambda connector, order_id: connector.account.open_orders()),
    ("fill_history", lambda connector, order_id: connector._all_trade_updates_for_order(
        connector.in_flight_orders[order_id])),
    ("positions", lambda connector, order_id: connector.account.positions()),
    ("account_summary", lambda connector, order_id: _available_balance(connector)),
    ("funding_payment_history", lambda connector, order_id: connector.account.funding_payments(
        "BTC_USDT_Perp", latest_only=True)),
    ("get_all_initial_leverage", lambda connector, order_id: connector.account.initial_leverages()),
])
async def test_an_empty_answer_on_any_query_is_retried_not_read_as_no_data(order_path, sandbox, route, query):
    order_id = quote(order_path)
    await eventually(lambda: is_open(order_path, order_id), 10, message="order open")
    expected = await query(order_path, order_id)
    retries = order_path.order_metrics.retries
    sandbox.faults.fail_rest(route, kind="empty", count=1)

    assert repr(await query(order_path, order_id)) == repr(expected)
    assert order_path.order_metrics.retries == retries + 1
    await cancel_all_and_check_empty(order_path, sandbox)


@pytest.mark.parametrize("kind", ["empty", "executed_empty"])
async def test_bulk_cancel_whose_answer_is_empty_still_ends_the_orders(order_path, sandbox, events, kind):
    from hummingbot.core.data_type.limit_order import LimitOrder

    levels = [LimitOrder(client_order_id="", trading_pair=PAIR, is_buy=True, base_currency="BTC",
                         quote_currency="USDT", price=FAR_BID - Decimal(10 * level), quantity=QUOTE_SIZE,
                         position=PositionAction.OPEN) for level in range(2)]
    created = order_path.batch_order_create(levels)
    await eventually(lambda: all(is_open(order_path, order.client_order_id) for order in created), 10,
                     message="two quotes open")
    # `{}` lists no cancel acks: GRVT may or may not have cancelled them
    sandbox.faults.fail_rpc("bulk_orders", kind=kind, count=1)
    order_path.batch_order_cancel(created)

    for order in created:
        await events.wait_for(MarketEvent.OrderCancelled, order.client_order_id, timeout=15)
    assert demo_open_client_ids(sandbox) == []
    await assert_tracker_matches_exchange(order_path, sandbox)


@pytest.mark.parametrize("ending", ["filled", "cancelled"])
async def test_a_create_answer_lost_after_the_order_ended_changes_nothing(order_path, sandbox, events, liquidity,
                                                                          ending):
    order_path.order_transport.timeout = 3.0  # the order ends on the streams before its create gives up
    gave_up = []
    on_order_failure = order_path._on_order_failure
    order_path._on_order_failure = lambda order_id, **kwargs: (
        gave_up.append(order_id), on_order_failure(order_id=order_id, **kwargs))
    sandbox.faults.fail_rpc("create_order", kind="lost", count=1)  # executed, never answered
    top_bid = BEST_BID + Decimal("1")
    order_id = order_path.buy(PAIR, QUOTE_SIZE, OrderType.LIMIT_MAKER, top_bid, position_action=PositionAction.OPEN)
    await eventually(lambda: order_id in demo_open_client_ids(sandbox), 10, message="order resting")
    if ending == "filled":
        liquidity.take(False, QUOTE_SIZE, top_bid)
        ended = await events.wait_for(MarketEvent.BuyOrderCompleted, order_id)
    else:
        order_path.cancel(PAIR, order_id)
        ended = await events.wait_for(MarketEvent.OrderCancelled, order_id)
    await eventually(lambda: order_id in gave_up, 10, message="the create given up")
    await assert_tracker_matches_exchange(order_path, sandbox)

    assert events.of(MarketEvent.BuyOrderCompleted, order_id) + events.of(MarketEvent.OrderCancelled, order_id) + \
        events.of(MarketEvent.OrderFailure, order_id) == ended
    assert len(events.of(MarketEvent.OrderFilled, order_id)) == (ending == "filled")
