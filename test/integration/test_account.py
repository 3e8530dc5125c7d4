"""Leverage and funding through the sandbox."""
from decimal import Decimal

from grvt_sandbox.config import DEMO_SUB_ACCOUNT_ID
from hummingbot.core.data_type.common import OrderType, PositionAction
from hummingbot.core.event.events import MarketEvent
from test.integration.helpers import BEST_ASK, BTC, PAIR, eventually, running_connector

FUNDING_RATE_PERCENT = "0.02"  # GRVT publishes funding rates in percent: 0.02 % = 0.0002
FUNDING_RATE = Decimal("0.0002")


async def test_leverage_is_set_on_the_exchange_and_read_back_by_a_new_session(sandbox, liquidity):
    account = sandbox.exchange.accounts[DEMO_SUB_ACCOUNT_ID]
    async with running_connector(sandbox) as connector:
        assert connector.get_leverage(PAIR) != 7
        connector.set_leverage(PAIR, 7)
        await eventually(lambda: account.leverage.get(BTC) == Decimal(7), message="leverage 7 on the exchange")
        await eventually(lambda: connector.get_leverage(PAIR) == 7, message="leverage 7 in the connector")

    async with running_connector(sandbox) as restarted:
        await eventually(lambda: restarted.get_leverage(PAIR) == 7, message="leverage read from GRVT at start")


async def test_funding_settlement_fires_a_payment_event_with_the_rate_as_a_fraction(
        connector, events, admin, sandbox, monkeypatch):
    opening = connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT, BEST_ASK, position_action=PositionAction.OPEN)
    await events.wait_for(MarketEvent.BuyOrderCompleted, opening)
    await eventually(lambda: connector.account_positions, message="the long position")
    # The funding poll records the last known payment at start before it can report new ones.
    await eventually(lambda: PAIR in connector._last_funding_fee_payment_ts, message="funding poll initialised")
    balance_before = Decimal((await admin.demo_account())["spot_balances"][0]["balance"])
    mark_price = sandbox.exchange.markets[BTC].mark_price
    # The sandbox re-estimates the next period's rate from its premium samples each second, as GRVT's ticker moves
    # on after a settlement; held still, the settled rate stays on the ticker until the connector has read it.
    monkeypatch.setattr(sandbox.exchange, "sample_premium", lambda: None)

    assert (await admin.settle_funding(rate=FUNDING_RATE_PERCENT))["funding_rate"].startswith(FUNDING_RATE_PERCENT)
    await eventually(lambda: connector.get_funding_info(PAIR).rate == FUNDING_RATE, timeout=5.0,
                     message="funding info rate 0.0002 from the ticker")

    connector._funding_fee_poll_notifier.set()  # what tick() does once per funding settlement
    payment = (await events.wait_for(MarketEvent.FundingPaymentCompleted))[0]
    assert payment.trading_pair == PAIR
    assert payment.funding_rate == FUNDING_RATE
    paid = Decimal("0.01") * mark_price * FUNDING_RATE
    balance_after = Decimal((await admin.demo_account())["spot_balances"][0]["balance"])
    assert balance_after == balance_before - paid  # a long pays a positive funding rate...
    assert payment.amount == -paid  # ...which Hummingbot reports as a negative amount
