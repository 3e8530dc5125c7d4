"""Shutdown: cancel_all then stop_network leaves the demo account without open orders or sockets."""
import logging
from decimal import Decimal

from hummingbot.core.data_type.common import OrderType, PositionAction
from test.integration.helpers import BEST_ASK, BEST_BID, PAIR, eventually, running_connector, wait_until_resting


async def _no_websockets(admin) -> bool:
    return (await admin.status())["websockets"] == 0


async def test_stop_after_cancel_all_leaves_no_open_orders_of_the_demo_account(sandbox, liquidity, admin):
    async with running_connector(sandbox) as connector:
        order_ids = [
            connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT_MAKER, BEST_BID - Decimal("500"),
                          position_action=PositionAction.OPEN),
            connector.sell(PAIR, Decimal("0.01"), OrderType.LIMIT_MAKER, BEST_ASK + Decimal("500"),
                           position_action=PositionAction.OPEN),
            connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT, BEST_BID - Decimal("600"),
                          position_action=PositionAction.OPEN),
        ]
        for order_id in order_ids:
            await wait_until_resting(connector, admin, order_id)
        results = await connector.cancel_all(timeout_seconds=5.0)
        assert sorted(result.order_id for result in results) == sorted(order_ids)
        assert all(result.success for result in results)

    assert await admin.demo_orders() == []
    await eventually(lambda: _no_websockets(admin), message="the connector's sockets closed")
    assert await admin.demo_orders() == []


async def test_cancel_all_names_the_orders_grvt_did_not_confirm_cancelled(sandbox, connector, admin, caplog):
    order_ids = [connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT_MAKER, BEST_BID - Decimal("500"),
                               position_action=PositionAction.OPEN),
                 connector.sell(PAIR, Decimal("0.01"), OrderType.LIMIT_MAKER, BEST_ASK + Decimal("500"),
                                position_action=PositionAction.OPEN)]
    for order_id in order_ids:
        await wait_until_resting(connector, admin, order_id)
    for route in ("cancel_all_orders", "cancel_order", "bulk_orders"):
        sandbox.faults.fail_rpc(route, kind="deferred", delay_s=60)
        sandbox.faults.fail_rest(route, kind="deferred", delay_s=60)
    with caplog.at_level(logging.ERROR):
        results = await connector.cancel_all(timeout_seconds=2.0)
    assert not any(result.success for result in results)
    unconfirmed = [record.getMessage() for record in caplog.records if "may still rest" in record.getMessage()]
    assert len(unconfirmed) == 1 and all(order_id in unconfirmed[0] for order_id in order_ids), caplog.text


async def test_stop_network_ends_the_funding_payment_polling(sandbox, liquidity):
    async with running_connector(sandbox) as connector:
        polling = connector._funding_fee_polling_task
        assert polling is not None and not polling.done()
    await eventually(polling.done, message="the funding payment polling task ended with the network")
