"""Hummingbot's PerpetualBudgetChecker sizing orders against the connector's GRVT trading rules and balances.

Strategies (the V1 market makers, Strategy V2 executors and controllers) size every order with the connector's
budget checker: the collateral is the quote currency for both sides, the amount GRVT's available balance (margin a new
order may use), not the wallet balance, and the order's notional is divided by the leverage.
"""
import unittest
from decimal import Decimal
from unittest.mock import AsyncMock

from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_derivative import GrvtPerpetualDerivative
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import GrvtInstrument, GrvtSubAccount, load
from hummingbot.connector.derivative.perpetual_budget_checker import PerpetualBudgetChecker
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.order_candidate import PerpetualOrderCandidate

PAIR = "BTC-USDT"
INSTRUMENT = {"instrument": "BTC_USDT_Perp", "instrument_hash": "0x030501", "base": "BTC", "quote": "USDT",
              "kind": "PERPETUAL", "settlement_period": "PERPETUAL", "base_decimals": 9, "tick_size": "0.1",
              "min_size": "0.001", "min_notional": "20.0", "max_position_size": "100.0", "funding_interval_hours": 8}
# The wallet holds 1200 USDT; 200 of it is the initial margin of an open position: 1000 is available for new orders.
ACCOUNT_SUMMARY = {"sub_account_id": "8289849667772468", "settle_currency": "USDT", "total_equity": "1200.0",
                   "initial_margin": "200.0", "available_balance": "1000.0",
                   "spot_balances": [{"currency": "USDT", "balance": "1200.0", "index_price": "1.0"}]}
PRICE = Decimal("50000")
LEVERAGE = 10


class GrvtPerpetualBudgetCheckerTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.connector = GrvtPerpetualDerivative(
            grvt_perpetual_api_key="key", grvt_perpetual_private_key="0x" + "11" * 32,
            grvt_perpetual_trading_account_id="8289849667772468", trading_pairs=[PAIR], trading_required=True)
        instrument = load(INSTRUMENT, GrvtInstrument)
        self.connector._initialize_trading_pair_symbols_from_exchange_info([instrument])
        self.connector._trading_rules = {
            rule.trading_pair: rule for rule in await self.connector._format_trading_rules([instrument])}
        self.connector.account.account_summary = AsyncMock(return_value=load(ACCOUNT_SUMMARY, GrvtSubAccount))
        await self.connector._update_balances()
        self.checker = self.connector.budget_checker

    def candidate(self, side: TradeType, amount: str, position_close: bool = False) -> PerpetualOrderCandidate:
        return PerpetualOrderCandidate(trading_pair=PAIR, is_maker=True, order_type=OrderType.LIMIT, order_side=side,
                                       amount=Decimal(amount), price=PRICE, leverage=Decimal(LEVERAGE),
                                       position_close=position_close)

    def test_the_connector_hands_out_hummingbots_perpetual_budget_checker(self):
        self.assertIsInstance(self.checker, PerpetualBudgetChecker)
        self.assertEqual(Decimal("1200.0"), self.connector.get_balance("USDT"))
        self.assertEqual(Decimal("1000.0"), self.connector.get_available_balance("USDT"))

    def test_an_order_within_the_available_margin_at_leverage_keeps_its_amount(self):
        for side in (TradeType.BUY, TradeType.SELL):  # a short is margined in USDT too, not in BTC
            adjusted = self.checker.adjust_candidate(self.candidate(side, "0.19"), all_or_none=True)
            self.assertEqual(Decimal("0.19"), adjusted.amount, side)
            self.assertEqual("USDT", adjusted.order_collateral.token)
            self.assertEqual(Decimal("950"), adjusted.order_collateral.amount)  # 0.19 * 50000 / 10

    def test_an_order_beyond_the_available_margin_is_refused_though_the_wallet_could_pay_it(self):
        # 0.22 BTC needs 1100 USDT of margin: within the 1200 of the wallet, beyond the 1000 available
        adjusted = self.checker.adjust_candidate(self.candidate(TradeType.BUY, "0.22"), all_or_none=True)
        self.assertTrue(adjusted.is_zero_order)

    def test_an_oversized_order_is_shrunk_to_the_size_step_within_the_available_margin(self):
        adjusted = self.checker.adjust_candidate(self.candidate(TradeType.SELL, "0.5"), all_or_none=False)
        self.assertEqual(Decimal("0.199"), adjusted.amount)  # on GRVT's 0.001 step, fee included
        self.assertLessEqual(adjusted.collateral_dict["USDT"], Decimal("1000"))

    def test_orders_of_one_proposal_share_the_available_margin_and_closes_lock_none(self):
        adjusted = self.checker.adjust_candidates([
            self.candidate(TradeType.SELL, "0.5", position_close=True),
            self.candidate(TradeType.BUY, "0.15"),
            self.candidate(TradeType.SELL, "0.15"),
        ], all_or_none=True)
        self.assertEqual([Decimal("0.5"), Decimal("0.15"), Decimal("0")], [order.amount for order in adjusted])
