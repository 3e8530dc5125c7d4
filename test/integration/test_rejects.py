"""Orders that must fail: local trading rules, exchange errors, rejections reported on the streams."""
from decimal import Decimal

from grvt_sandbox.config import DEMO_SUB_ACCOUNT_ID
from hummingbot.core.data_type.common import OrderType, PositionAction
from hummingbot.core.event.events import MarketEvent
from test.integration.helpers import BEST_BID, PAIR, EventRecorder, running_connector, wait_until_resting

FAR_BID = BEST_BID - Decimal("1000")
# A well-known test-vector key that is not a signer of the demo account.
FOREIGN_PRIVATE_KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"  # noqa: mock


async def test_order_below_min_notional_fails_before_reaching_the_exchange(connector, events, sandbox):
    order_id = connector.buy(PAIR, Decimal("0.001"), OrderType.LIMIT, FAR_BID, position_action=PositionAction.OPEN)

    failure = (await events.wait_for(MarketEvent.OrderFailure, order_id))[0]
    assert failure.order_type is OrderType.LIMIT
    assert order_id not in connector.in_flight_orders
    assert sandbox.exchange.find_order(DEMO_SUB_ACCOUNT_ID, client_order_id=order_id) is None


async def test_off_tick_price_and_size_are_quantized_before_signing(connector, events, admin):
    order_id = connector.buy(PAIR, Decimal("0.0025"), OrderType.LIMIT_MAKER, FAR_BID + Decimal("0.07"),
                             position_action=PositionAction.OPEN)

    resting = await wait_until_resting(connector, admin, order_id)
    assert Decimal(resting["legs"][0]["limit_price"]) == FAR_BID
    assert Decimal(resting["legs"][0]["size"]) == Decimal("0.002")
    assert events.of(MarketEvent.OrderFailure) == []


async def test_exchange_error_on_create_fails_the_order_and_leaves_nothing_tracked(connector, events, admin):
    await admin.fault("reject_next_orders", count=1, code=2080)  # insufficient margin
    order_id = connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT_MAKER, FAR_BID, position_action=PositionAction.OPEN)

    failure = (await events.wait_for(MarketEvent.OrderFailure, order_id))[0]
    assert "2080" in (failure.error_message or "")
    assert order_id not in connector.in_flight_orders
    assert await admin.demo_orders() == []

    next_order = connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT_MAKER, FAR_BID,
                               position_action=PositionAction.OPEN)
    await wait_until_resting(connector, admin, next_order)


async def test_rejection_reported_on_the_stream_fails_the_order(connector, events, admin):
    await admin.fault("reject_next_orders", count=1)  # accepted, then REJECTED with SYSTEM_FAILOVER
    order_id = connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT_MAKER, FAR_BID, position_action=PositionAction.OPEN)

    failure = (await events.wait_for(MarketEvent.OrderFailure, order_id))[0]
    assert "SYSTEM_FAILOVER" in (failure.error_message or "")
    assert events.of(MarketEvent.OrderCancelled, order_id) == []
    assert order_id not in connector.in_flight_orders
    assert await admin.demo_orders() == []


async def test_order_signed_by_a_key_the_account_does_not_know_is_rejected(sandbox, liquidity, admin):
    assert sandbox.config.verify_signatures
    async with running_connector(sandbox, private_key=FOREIGN_PRIVATE_KEY) as connector:
        events = EventRecorder(connector)
        order_id = connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT_MAKER, FAR_BID,
                                 position_action=PositionAction.OPEN)

        failure = (await events.wait_for(MarketEvent.OrderFailure, order_id))[0]
        assert "2000" in (failure.error_message or "")  # signature from an unauthorized signer
        assert order_id not in connector.in_flight_orders
        assert await admin.demo_orders() == []
