"""Funding signs as GRVT's spec words them: FundingPayment.amount and Positions.cumulative_realized_funding_payment
are "positive if paid, negative if received"; with a positive rate the long pays and the short receives."""
import asyncio
from decimal import Decimal

import pytest

from grvt_sandbox.config import DEMO_SUB_ACCOUNT_ID
from test.grvt_sandbox.sandbox_helpers import BTC

pytestmark = pytest.mark.asyncio
D = Decimal
SHORT = "7101"


async def wait_for_position(sandbox, sub_account_id, timeout=5.0):
    account = sandbox.exchange.accounts[sub_account_id]
    deadline = asyncio.get_running_loop().time() + timeout
    while BTC not in account.positions:
        assert asyncio.get_running_loop().time() < deadline, "the order did not trade"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("demo_is_long", [True, False])
async def test_the_payer_sees_positive_amounts_and_the_receiver_negative(sandbox, client, demo_is_long):
    exchange = sandbox.exchange
    exchange.add_account(SHORT, check_margin=False)
    exchange.submit_internal_order(SHORT, BTC, demo_is_long is False, D("0.1"), D("90000.0"))
    await client.create_order(size="0.1", price="90000.0", is_buy=demo_is_long, time_in_force="IMMEDIATE_OR_CANCEL")
    await wait_for_position(sandbox, DEMO_SUB_ACCOUNT_ID)
    balance = exchange.accounts[DEMO_SUB_ACCOUNT_ID].balance
    exchange.set_index_price(BTC, D("90000"))
    exchange.settle_funding(BTC, D("0.01"))  # 0.01 % of 9 000 USDT notional = 0.9 USDT
    paid = D("0.9") if demo_is_long else D("-0.9")
    assert exchange.accounts[DEMO_SUB_ACCOUNT_ID].balance == balance - paid

    _, body = await client.post("funding_payment_history", {"sub_account_id": DEMO_SUB_ACCOUNT_ID})
    assert [D(payment["amount"]) for payment in body["result"]] == [paid]
    _, body = await client.post("positions", {"sub_account_id": DEMO_SUB_ACCOUNT_ID})
    assert D(body["result"][0]["cumulative_realized_funding_payment"]) == paid
    _, body = await client.post("account_summary", {"sub_account_id": DEMO_SUB_ACCOUNT_ID})
    assert D(body["result"]["positions"][0]["cumulative_realized_funding_payment"]) == paid

    counterparty = exchange.accounts[SHORT]
    assert [payment.amount for payment in counterparty.funding_history.latest(1)] == [-paid]
    assert counterparty.positions[BTC].cumulative_funding_paid == -paid
    exchange.settle_funding(BTC, D("0.01"))
    _, body = await client.post("positions", {"sub_account_id": DEMO_SUB_ACCOUNT_ID})
    assert D(body["result"][0]["cumulative_realized_funding_payment"]) == 2 * paid
