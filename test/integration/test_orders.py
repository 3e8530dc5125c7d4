"""Order lifecycle against the sandbox: resting, cancels, taker and maker fills, positions, closes."""
import re
from decimal import Decimal

from grvt_sandbox.config import DEMO_SUB_ACCOUNT_ID
from hummingbot.core.data_type.common import OrderType, PositionAction, PositionSide
from hummingbot.core.data_type.in_flight_order import OrderState
from hummingbot.core.event.events import MarketEvent
from test.integration.helpers import (
    BEST_ASK,
    BEST_BID,
    BTC,
    EXCHANGE_ORDER_ID_PATTERN,
    PAIR,
    eventually,
    flat_fee,
    wait_until_resting,
)

TAKER_FEE_RATE = Decimal("0.00045")  # the sandbox's BTC_USDT_Perp rates (percent 0.045 and -0.003)
MAKER_FEE_RATE = Decimal("-0.00003")
FEE_TOLERANCE = Decimal("0.000001")  # GRVT reports fees with 6 decimals
STREAM_STALL_SECONDS = 2.0


def position_of(connector):
    positions = [position for position in connector.account_positions.values() if position.trading_pair == PAIR]
    return positions[0] if positions else None


async def test_post_only_buy_rests_with_real_order_id_and_cancel_waits_for_the_stream(connector, events, admin):
    price = BEST_BID - Decimal("1000")
    order_id = connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT_MAKER, price, position_action=PositionAction.OPEN)

    await events.wait_for(MarketEvent.BuyOrderCreated, order_id)
    resting = await wait_until_resting(connector, admin, order_id)
    tracked = connector.in_flight_orders[order_id]
    assert re.match(EXCHANGE_ORDER_ID_PATTERN, tracked.exchange_order_id)
    assert tracked.exchange_order_id != "0x" + "0" * 32
    assert resting["order_id"] == tracked.exchange_order_id
    assert resting["post_only"] is True and resting["reduce_only"] is False
    assert Decimal(resting["legs"][0]["limit_price"]) == price
    assert Decimal(resting["legs"][0]["size"]) == Decimal("0.01")
    assert resting["legs"][0]["is_buying_asset"] is True
    assert tracked.current_state is OrderState.OPEN

    # Hold the order streams back: the cancel is acknowledged and executed before the stream reports it.
    for stream in ("v1.order", "v1.state"):
        await admin.fault("stall_stream", stream=stream, seconds=STREAM_STALL_SECONDS)
    connector.cancel(PAIR, order_id)
    await eventually(lambda: _gone(admin, order_id), message="the sandbox cancelling the order")
    await eventually(lambda: connector.in_flight_orders[order_id].current_state is OrderState.PENDING_CANCEL,
                     message="the cancel acknowledged")
    assert events.of(MarketEvent.OrderCancelled, order_id) == []

    cancelled = await events.wait_for(MarketEvent.OrderCancelled, order_id)
    assert cancelled[0].exchange_order_id == resting["order_id"]
    assert order_id not in connector.in_flight_orders
    assert await admin.demo_orders() == []


async def _gone(admin, order_id) -> bool:
    return await admin.demo_order(order_id) is None


async def test_marketable_limit_buy_fills_two_levels_as_taker_and_opens_a_position(
        connector, events, admin, liquidity):
    liquidity.quote(False, BEST_ASK - Decimal("5"), Decimal("0.004"))  # a small better ask: two fills
    order_id = connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT, BEST_ASK, position_action=PositionAction.OPEN)

    fills = await events.wait_for(MarketEvent.OrderFilled, order_id, count=2)
    await events.wait_for(MarketEvent.BuyOrderCompleted, order_id)
    assert [(fill.price, fill.amount) for fill in fills] == [
        (BEST_ASK - Decimal("5"), Decimal("0.004")), (BEST_ASK, Decimal("0.006"))]
    for fill in fills:
        expected_fee = fill.price * fill.amount * TAKER_FEE_RATE
        assert flat_fee(fill) > 0
        assert abs(flat_fee(fill) - expected_fee) <= FEE_TOLERANCE
        assert re.match(EXCHANGE_ORDER_ID_PATTERN, fill.exchange_order_id)
        assert fill.position == PositionAction.OPEN.value
    assert order_id not in connector.in_flight_orders

    expected_entry = (Decimal("0.004") * (BEST_ASK - 5) + Decimal("0.006") * BEST_ASK) / Decimal("0.01")
    position = await eventually(lambda: position_of(connector), message="the long position")
    assert position.position_side is PositionSide.LONG
    assert position.amount == Decimal("0.01")
    assert position.entry_price == expected_entry
    account = await admin.demo_account()
    sandbox_position = account["positions"][0]
    assert sandbox_position["instrument"] == BTC
    assert Decimal(sandbox_position["size"]) == Decimal("0.01")
    assert Decimal(sandbox_position["entry_price"]) == expected_entry
    # Fees left the balance; the connector refreshes it after fills without waiting for the status poll.
    balance = Decimal(account["spot_balances"][0]["balance"])
    assert balance < Decimal("100000")
    await eventually(lambda: connector.get_balance("USDT") == balance, message=f"USDT balance {balance}")


async def test_market_buy_fills_at_the_best_ask(connector, events, admin):
    order_id = connector.buy(PAIR, Decimal("0.01"), OrderType.MARKET, BEST_ASK, position_action=PositionAction.OPEN)

    fill = (await events.wait_for(MarketEvent.OrderFilled, order_id))[0]
    assert (fill.price, fill.amount) == (BEST_ASK, Decimal("0.01"))
    assert fill.order_type is OrderType.MARKET
    assert flat_fee(fill) > 0
    await events.wait_for(MarketEvent.BuyOrderCompleted, order_id)
    position = await eventually(lambda: position_of(connector), message="the long position")
    assert position.amount == Decimal("0.01")


async def test_resting_sell_fills_partially_then_fully_as_maker_with_a_rebate(connector, events, admin, liquidity):
    price = BEST_ASK - Decimal("5")
    order_id = connector.sell(PAIR, Decimal("0.01"), OrderType.LIMIT_MAKER, price, position_action=PositionAction.OPEN)
    await wait_until_resting(connector, admin, order_id)

    liquidity.take(True, Decimal("0.004"), price)
    first = (await events.wait_for(MarketEvent.OrderFilled, order_id))[0]
    assert (first.price, first.amount) == (price, Decimal("0.004"))
    assert flat_fee(first) < 0  # a maker rebate is a credit
    assert abs(flat_fee(first) - price * Decimal("0.004") * MAKER_FEE_RATE) <= FEE_TOLERANCE
    await eventually(lambda: connector.in_flight_orders[order_id].current_state is OrderState.PARTIALLY_FILLED,
                     message="the order partially filled")
    assert Decimal((await admin.demo_order(order_id))["state"]["traded_size"][0]) == Decimal("0.004")

    liquidity.take(True, Decimal("0.006"), price)
    fills = await events.wait_for(MarketEvent.OrderFilled, order_id, count=2)
    assert fills[1].amount == Decimal("0.006") and flat_fee(fills[1]) < 0
    await events.wait_for(MarketEvent.SellOrderCompleted, order_id)
    position = await eventually(lambda: position_of(connector), message="the short position")
    assert position.position_side is PositionSide.SHORT
    assert position.amount == Decimal("-0.01")
    assert position.entry_price == price


async def test_close_order_is_reduce_only_and_flattens_the_position(connector, events, admin, sandbox):
    opening = connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT, BEST_ASK, position_action=PositionAction.OPEN)
    await events.wait_for(MarketEvent.BuyOrderCompleted, opening)
    await eventually(lambda: position_of(connector), message="the long position")

    closing = connector.sell(PAIR, Decimal("0.01"), OrderType.LIMIT, BEST_BID, position_action=PositionAction.CLOSE)
    fill = (await events.wait_for(MarketEvent.OrderFilled, closing))[0]
    await events.wait_for(MarketEvent.SellOrderCompleted, closing)
    assert fill.position == PositionAction.CLOSE.value
    assert sandbox.exchange.find_order(DEMO_SUB_ACCOUNT_ID, client_order_id=closing).reduce_only is True
    await eventually(lambda: position_of(connector) is None, message="the position closed")
    assert (await admin.demo_account())["positions"] == []


async def test_reduce_only_order_without_position_fails_with_a_clear_event(connector, events, admin):
    order_id = connector.sell(PAIR, Decimal("0.01"), OrderType.LIMIT, BEST_ASK, position_action=PositionAction.CLOSE)

    failure = (await events.wait_for(MarketEvent.OrderFailure, order_id))[0]
    assert "2400" in failure.error_message or "reduce only" in failure.error_message.lower()
    assert events.of(MarketEvent.OrderCancelled, order_id) == []
    assert order_id not in connector.in_flight_orders
    assert await admin.demo_orders() == []
