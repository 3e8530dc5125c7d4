"""Hummingbot's own components driving the connector on the sandbox: a Strategy V2 PositionExecutor trades a round
trip and reads its fills, fees and PnL; the MarketsRecorder stores the fills, their fees and position actions and a
funding payment as Hummingbot's history and performance commands read them."""
import time
from decimal import Decimal

from hummingbot.client.config.client_config_map import ClientConfigMap, MarketDataCollectionConfigMap
from hummingbot.client.config.config_helpers import ClientConfigAdapter
from hummingbot.connector.markets_recorder import MarketsRecorder
from hummingbot.core.data_type.common import OrderType, PositionAction, TradeType
from hummingbot.core.event.events import MarketEvent
from hummingbot.model.funding_payment import FundingPayment
from hummingbot.model.sql_connection_manager import SQLConnectionManager, SQLConnectionType
from hummingbot.model.trade_fill import TradeFill
from hummingbot.strategy_v2.executors.position_executor.data_types import PositionExecutorConfig, TripleBarrierConfig
from hummingbot.strategy_v2.executors.position_executor.position_executor import PositionExecutor
from hummingbot.strategy_v2.models.executors import CloseType
from test.integration.helpers import BEST_ASK, BEST_BID, DOMAIN, PAIR, eventually, flat_fee, wait_until_resting

AMOUNT = Decimal("0.01")
FUNDING_RATE_PERCENT = "0.02"


class ExecutorHost:
    """What a PositionExecutor uses of its strategy: the connectors, the clock and order entry."""

    def __init__(self, connector):
        self.connectors = {DOMAIN: connector}

    @property
    def current_timestamp(self) -> float:
        return time.time()

    def buy(self, connector_name, trading_pair, amount, order_type, price=Decimal("NaN"),
            position_action=PositionAction.OPEN):
        return self.connectors[connector_name].buy(trading_pair, amount, order_type, price,
                                                   position_action=position_action)

    def sell(self, connector_name, trading_pair, amount, order_type, price=Decimal("NaN"),
             position_action=PositionAction.OPEN):
        return self.connectors[connector_name].sell(trading_pair, amount, order_type, price,
                                                    position_action=position_action)

    def cancel(self, connector_name, trading_pair, order_id):
        return self.connectors[connector_name].cancel(trading_pair, order_id)


async def test_a_position_executor_round_trip_reads_fills_fees_and_pnl_from_the_connector(connector, events):
    config = PositionExecutorConfig(
        timestamp=time.time(), connector_name=DOMAIN, trading_pair=PAIR, side=TradeType.BUY, amount=AMOUNT,
        leverage=5, triple_barrier_config=TripleBarrierConfig(open_order_type=OrderType.MARKET))
    executor = PositionExecutor(ExecutorHost(connector), config, update_interval=0.2)
    executor.start()
    try:
        await eventually(lambda: executor.open_filled_amount == AMOUNT, 15, message="the open order filled")
        assert executor.entry_price == BEST_ASK
        position = await eventually(lambda: connector.account_positions.get(PAIR), message="the long position")
        assert (position.amount, position.entry_price) == (AMOUNT, BEST_ASK)

        executor.early_stop()
        await eventually(lambda: executor.is_closed, 15, message="the executor closed")
        assert executor.close_type is CloseType.EARLY_STOP
        assert executor.close_filled_amount == AMOUNT
        fills = events.of(MarketEvent.OrderFilled)
        assert [fill.price for fill in fills] == [BEST_ASK, BEST_BID]
        fees = sum(flat_fee(fill) for fill in fills)
        assert fees > 0  # two taker fills
        assert executor.cum_fees_quote == fees
        assert executor.net_pnl_quote == (BEST_BID - BEST_ASK) * AMOUNT - fees
        await eventually(lambda: PAIR not in connector.account_positions, message="the position closed")
    finally:
        executor.stop()


async def test_the_markets_recorder_stores_fills_and_funding_with_hummingbots_signs(
        connector, events, admin, liquidity, tmp_path):
    connector._set_current_timestamp(time.time())  # what the strategy clock does
    sql = SQLConnectionManager(ClientConfigAdapter(ClientConfigMap()), SQLConnectionType.TRADE_FILLS,
                               db_path=str(tmp_path / "trades.sqlite"))
    recorder = MarketsRecorder(sql, [connector], "conf_grvt.yml", "grvt_test", MarketDataCollectionConfigMap())
    recorder.start()
    try:
        price = BEST_BID + Decimal("5")
        opening = connector.buy(PAIR, AMOUNT, OrderType.LIMIT_MAKER, price, position_action=PositionAction.OPEN)
        await wait_until_resting(connector, admin, opening)
        liquidity.take(False, AMOUNT, price)
        await events.wait_for(MarketEvent.BuyOrderCompleted, opening)
        await eventually(lambda: connector.account_positions.get(PAIR), message="the long position")

        await eventually(lambda: PAIR in connector._last_funding_fee_payment_ts, message="funding poll initialised")
        await admin.settle_funding(rate=FUNDING_RATE_PERCENT)
        connector._funding_fee_poll_notifier.set()  # what tick() does once per funding settlement
        payment = (await events.wait_for(MarketEvent.FundingPaymentCompleted))[0]

        closing = connector.sell(PAIR, AMOUNT, OrderType.MARKET, position_action=PositionAction.CLOSE)
        await events.wait_for(MarketEvent.SellOrderCompleted, closing)

        with sql.get_new_session() as session:
            fills = {fill.order_id: fill for fill in session.query(TradeFill).all()}
            funding = session.query(FundingPayment).all()
            assert set(fills) == {opening, closing}
            maker, taker = fills[opening], fills[closing]
            assert (maker.trade_type, maker.position, Decimal(str(maker.price))) == ("BUY", "OPEN", price)
            assert Decimal(maker.trade_fee["flat_fees"][0]["amount"]) < 0  # the maker rebate, a credit
            assert maker.trade_fee["flat_fees"][0]["token"] == "USDT" and maker.trade_fee_in_quote < 0
            assert (taker.trade_type, taker.position, Decimal(str(taker.price))) == ("SELL", "CLOSE", BEST_BID)
            assert taker.trade_fee_in_quote > 0
            assert {fill.exchange_trade_id for fill in fills.values()} == {
                fill.exchange_trade_id for fill in events.of(MarketEvent.OrderFilled)}
            assert len(funding) == 1
            assert (funding[0].symbol, funding[0].rate) == (PAIR, 0.0002)  # a fraction, as Hummingbot's others
            assert funding[0].amount == float(payment.amount) < 0  # the long paid a positive rate
    finally:
        recorder.stop()
