"""The GRVT market maker controller on a connector double: batching, refresh tolerance, position limit, fill delay,
kill switch actions, and the Avellaneda warm-up."""
import asyncio
from decimal import Decimal

import pytest

from controllers.grvt_common.latency import LatencyTracker
from controllers.market_making import grvt_market_maker
from controllers.market_making.grvt_market_maker import GrvtMarketMaker, GrvtMarketMakerConfig
from hummingbot.core.data_type.common import OrderType, PositionAction, TradeType
from hummingbot.core.event.events import OrderBookEvent
from test.strategies.fakes import (
    CONNECTOR,
    PAIR,
    BatchingFakeConnector,
    FakeBook,
    FakeClock,
    FakeConnector,
    FakeOrder,
    market_data_provider,
)

D = Decimal


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(grvt_market_maker, "time", fake)
    return fake


def make_controller(connector, clock, **overrides):
    settings = dict(id="mm", connector_name=CONNECTOR, trading_pair=PAIR, pricing_mode="pmm", order_amount="0.002",
                    bid_spread="0.01", ask_spread="0.01", order_refresh_time=2, order_refresh_tolerance_pct="0.01",
                    filled_order_delay=0, max_position="0.01")
    settings.update(overrides)
    controller = GrvtMarketMaker(GrvtMarketMakerConfig(**settings), market_data_provider(connector), asyncio.Queue())
    controller.latency = LatencyTracker(clock=clock.perf_counter)
    return controller


async def step(controller, clock, seconds: float = 0.1):
    clock.advance(seconds)
    await controller.control_task()


async def test_first_quotes_go_out_post_only_in_one_batch(clock):
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock, order_levels=2, order_level_spread="0.02")
    await step(controller, clock)
    assert len(connector.create_calls) == 1 and len(connector.create_calls[0]) == 4
    assert {order.order_type for order in connector.placed} == {OrderType.LIMIT_MAKER}
    assert {order.position_action for order in connector.placed} == {PositionAction.OPEN}
    bids = sorted(order.price for order in connector.open_orders(TradeType.BUY))
    asks = sorted(order.price for order in connector.open_orders(TradeType.SELL))
    assert bids == [D("89973.0"), D("89991.0")]  # mid 90000 less 0.03 % and 0.01 %, rounded down to the tick
    assert asks == [D("90009.0"), D("90027.0")]
    await step(controller, clock)
    assert len(connector.create_calls) == 1  # nothing changed: nothing sent


async def test_one_request_per_order_without_batch_support(clock):
    connector = FakeConnector()
    controller = make_controller(connector, clock)
    await step(controller, clock)
    assert len(connector.create_calls) == 2 and all(len(call) == 1 for call in connector.create_calls)


async def test_quotes_are_replaced_only_beyond_the_tolerance_after_the_refresh_time(clock):
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock)
    await step(controller, clock)
    for order in connector.placed:
        connector.acknowledge(order.client_order_id)
    connector.book.move(89995.0, 90015.0)  # +5 (0.0056 %): within the 0.01 % tolerance
    await step(controller, clock, 3.0)
    assert connector.cancelled == []
    connector.book.move(90010.0, 90030.0)  # +20 (0.022 %) on quotes 3 s old: beyond the tolerance
    await step(controller, clock, 0.1)
    assert len(connector.cancel_calls) == 1 and len(connector.cancel_calls[0]) == 2
    assert len(connector.create_calls) == 2 and len(connector.create_calls[1]) == 2
    for order_id in connector.create_calls[1]:
        connector.acknowledge(order_id)
    assert controller.latency.summary()["tick_to_quote_ms"]["count"] == 2  # the requote came from a book move
    connector.book.move(90040.0, 90060.0)
    await step(controller, clock, 0.5)  # new quotes are 0.5 s old: not replaced yet
    assert len(connector.cancel_calls) == 1


async def test_a_quote_whose_cancel_was_lost_is_cancelled_again(clock):
    connector = FakeConnector()
    controller = make_controller(connector, clock)
    await step(controller, clock)
    for order in connector.placed:
        connector.acknowledge(order.client_order_id)
    connector.book.move(90010.0, 90030.0)
    await step(controller, clock, 3.0)  # beyond the tolerance after the refresh time: requoted
    replaced = [call[0] for call in connector.cancel_calls]
    assert len(replaced) == 2
    connector.cancelled.clear()  # the cancels never reached the exchange: both orders still rest
    for _ in range(40):
        await step(controller, clock, 0.1)
    assert sorted(call[0] for call in connector.cancel_calls[2:]) == sorted(replaced)


async def test_max_order_age_replaces_quotes_that_did_not_move(clock):
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock, max_order_age=10)
    await step(controller, clock)
    await step(controller, clock, 10.0)
    assert len(connector.cancel_calls) == 1 and len(connector.create_calls) == 2


async def test_position_limit_counts_the_position_and_every_live_order(clock):
    connector = BatchingFakeConnector()
    connector.account_positions[PAIR] = type("P", (), dict(trading_pair=PAIR, amount=D("0.009"), entry_price=D(90000),
                                                           unrealized_pnl=D(0)))()
    controller = make_controller(connector, clock, order_levels=3, order_level_spread="0.01")
    await step(controller, clock)
    buys = connector.open_orders(TradeType.BUY)
    sells = connector.open_orders(TradeType.SELL)
    # 0.001 of room on the buy side is below the 100 USDT minimum notional: no bid at all; asks up to 0.019
    assert buys == []
    assert [order.amount for order in sells] == [D("0.002")] * 3


async def test_skew_shrinks_a_side_to_the_exchange_minimum_and_shifts_both_quotes_down_when_long(clock):
    connector = BatchingFakeConnector()
    connector.account_positions[PAIR] = type("P", (), dict(trading_pair=PAIR, amount=D("0.003"), entry_price=D(90000),
                                                           unrealized_pnl=D(0)))()
    controller = make_controller(connector, clock, inventory_skew_enabled=True, inventory_range_multiplier=2,
                                 max_price_skew_pct="0.01", order_amount="0.003")
    await step(controller, clock)
    bid = connector.open_orders(TradeType.BUY)[0]
    ask = connector.open_orders(TradeType.SELL)[0]
    # q = 0.003 / (0.003 * 2) = 0.5: sizes x 0.5 and x 1.5, and both prices 0.5 x 0.01 % (4.5 USDT) lower. The bid's
    # 0.0015 (0.001 in lots) is below the 100 USDT minimum notional: it goes out at the minimum, 0.002.
    assert bid.amount == D("0.002") and ask.amount == D("0.004")
    assert bid.price == D("89986.5") and ask.price == D("90004.5")


async def test_filled_order_delay_holds_new_quotes_after_a_fill(clock):
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock, filled_order_delay=5)
    await step(controller, clock)
    bid = connector.open_orders(TradeType.BUY)[0]
    connector.acknowledge(bid.client_order_id)
    connector.fill(bid.client_order_id)
    await step(controller, clock, 1.0)
    assert connector.open_orders(TradeType.BUY) == []
    await step(controller, clock, 5.0)
    assert len(connector.open_orders(TradeType.BUY)) == 1
    pnl = controller.pnl.breakdown(controller.mid)
    assert pnl.fills == 1 and pnl.rebates == D("0.01") and pnl.spread_capture == D("0.018")  # 9 below the mid


async def test_kill_switch_cancels_everything_closes_the_position_and_stops_quoting(clock):
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock, kill_switch_max_position="0.003", kill_switch_flatten=True,
                                 max_position="0.01")
    await step(controller, clock)
    bid = connector.open_orders(TradeType.BUY)[0]
    connector.acknowledge(bid.client_order_id)
    connector.fill(bid.client_order_id)
    await step(controller, clock, 1.0)  # filled_order_delay 0: a new bid
    second = [order for order in connector.open_orders(TradeType.BUY)][0]
    connector.fill(second.client_order_id)  # position 0.004 > 0.003
    await step(controller, clock, 1.0)
    assert controller.to_format_status()[0].endswith("HALTED by the kill switch: max position: |0.004| exceeds 0.003")
    assert connector.open_orders() == []  # every live quote was cancelled
    connector.confirm_cancels()
    placed_before = len(connector.placed)
    await step(controller, clock, 1.0)
    close = connector.placed[-1]
    assert len(connector.placed) == placed_before + 1
    assert (close.side, close.order_type, close.position_action, close.amount) == \
        (TradeType.SELL, OrderType.MARKET, PositionAction.CLOSE, D("0.004"))
    connector.fill(close.client_order_id)
    connector.book.move(89000.0, 89010.0)
    for _ in range(5):
        await step(controller, clock, 5.0)
    assert len(connector.placed) == placed_before + 1  # flat and halted: nothing more


async def test_stale_book_trips_the_kill_switch(clock):
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock, kill_switch_stale_book_seconds=5)
    await step(controller, clock)
    await step(controller, clock, 4.0)
    assert "quoting" in controller.to_format_status()[0]
    await step(controller, clock, 1.5)
    assert "stale book: no order book update for 5.5 s" in controller.to_format_status()[0]
    assert set(connector.cancelled) == {order.client_order_id for order in connector.placed}


async def test_order_errors_trip_the_kill_switch(clock):
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock, kill_switch_max_error_rate="0.5", kill_switch_error_window=4)
    await step(controller, clock)
    for order in list(connector.placed):
        connector.fail(order.client_order_id, "post-only order would cross")
    await step(controller, clock)
    assert "order error rate: 2 of the last 2 orders failed" in controller.to_format_status()[0]


async def test_avellaneda_waits_for_its_estimates_then_quotes_around_the_reservation_price(clock):
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock, pricing_mode="avellaneda", volatility_buffer_size=5,
                                 trading_intensity_buffer_size=5, risk_factor=1, target_position=0)
    book = connector.book
    for second in range(7):
        book.move(89990.0 + (second % 2) * 10, 90010.0 + (second % 2) * 10)
        await step(controller, clock, 1.0)
        for listener in book.listeners.get(next(iter(book.listeners)), []):
            for distance in (10.0, 20.0, 40.0):
                listener(type("Trade", (), dict(trading_pair=PAIR, price=90000.0 + distance, amount=1.0 / distance))())
        if second < 4:
            assert connector.placed == [], controller.to_format_status()
    await step(controller, clock, 1.0)
    assert "reservation" in controller.to_format_status()[1]
    bid = connector.open_orders(TradeType.BUY)[0].price
    ask = connector.open_orders(TradeType.SELL)[0].price
    assert bid < controller.mid < ask


async def test_avellaneda_with_the_smallest_volatility_buffer_warms_up_instead_of_failing(clock):
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock, pricing_mode="avellaneda", volatility_buffer_size=2,
                                 trading_intensity_buffer_size=1, risk_factor=1, target_position=0)
    for distance in (10.0, 20.0, 40.0) * 4:  # the trading intensity is known before the second mid sample
        controller.intensity.add_trade(clock.time(), 90000.0 + distance, 1.0 / distance, 90000.0)
    controller.intensity.roll(clock.time() + 1.0)
    assert controller.intensity.ready
    book = connector.book
    for second in range(4):
        book.move(89990.0 + (second % 2) * 10, 90010.0 + (second % 2) * 10)
        await step(controller, clock, 1.0)  # two samples give no volatility yet: this raised
    assert connector.open_orders(TradeType.BUY) and connector.open_orders(TradeType.SELL), \
        "\n".join(controller.to_format_status())


async def test_stop_cancels_live_quotes(clock):
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock)
    await step(controller, clock)
    controller.stop()
    assert set(connector.cancelled) == {order.client_order_id for order in connector.placed}


async def test_drawdown_is_measured_from_the_bots_own_fills_at_the_mid(clock):
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock, kill_switch_max_drawdown_quote=1, filled_order_delay=60)
    await step(controller, clock)
    bid = connector.open_orders(TradeType.BUY)[0]
    connector.fill(bid.client_order_id, fee=D("0"))  # long 0.002 at 89991
    connector.book.move(89700.0, 89720.0)  # mid 89710: -0.562
    await step(controller, clock, 1.0)
    assert controller.equity == D(100000) + D("0.002") * (D(89710) - D(89991))
    assert "quoting" in controller.to_format_status()[0]
    connector.book.move(89450.0, 89470.0)  # mid 89460: -1.062
    await step(controller, clock, 1.0)
    assert "max drawdown: equity 99998.9380 is 1.0620 below its start 100000.0000" in controller.to_format_status()[0]


async def test_stale_book_counts_while_the_connector_is_not_ready(clock):
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock, kill_switch_stale_book_seconds=5)
    await step(controller, clock)
    connector.ready = False  # e.g. its streams dropped
    await step(controller, clock, 3.0)
    assert "quoting" in controller.to_format_status()[0]
    await step(controller, clock, 3.0)
    assert "stale book" in controller.to_format_status()[0]
    assert set(connector.cancelled) == {order.client_order_id for order in connector.placed}


async def test_cancels_of_a_trip_without_a_usable_book_are_sent_again_when_lost(clock):
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock, kill_switch_stale_book_seconds=5)
    await step(controller, clock)
    connector.book.move(89990.0, None)  # a one-sided book for as long as it takes: no usable book
    await step(controller, clock, 6.0)
    assert "stale book" in controller.to_format_status()[0]
    quote_ids = {order.client_order_id for order in connector.placed}
    assert set(connector.cancelled) == quote_ids
    connector.cancelled.clear()  # the trip's cancels never reached the exchange: both quotes still rest
    for _ in range(40):
        await step(controller, clock, 0.1)
    assert set(connector.cancelled) == quote_ids


async def test_a_target_inside_the_minimum_spread_is_not_placed_and_cancelled_every_tick(clock):
    connector = BatchingFakeConnector()
    connector.account_positions[PAIR] = type("P", (), dict(trading_pair=PAIR, amount=D("0.003"), entry_price=D(90000),
                                                           unrealized_pnl=D(0)))()
    # q = 0.003 / (0.002 * 2) = 0.75: both quotes 0.03 % lower, so the ask sits 0.02 % above the mid, inside the
    # 0.03 % minimum spread that cancels any order closer to the mid.
    controller = make_controller(connector, clock, bid_spread="0.05", ask_spread="0.05", minimum_spread="0.03",
                                 inventory_skew_enabled=True, inventory_range_multiplier=2, max_price_skew_pct="0.04")
    for _ in range(10):
        await step(controller, clock, 0.1)
        for order in connector.open_orders():
            connector.acknowledge(order.client_order_id)
        connector.confirm_cancels()
    assert connector.cancel_calls == []
    assert [(order.side, order.price) for order in connector.placed] == [(TradeType.BUY, D("89928.0"))]


async def test_a_one_sided_book_counts_as_no_book_for_the_stale_book_trigger(clock):
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock, kill_switch_stale_book_seconds=5)
    await step(controller, clock)
    connector.book.move(89990.0, None)  # every ask gone: Hummingbot's book raises for the missing side
    await step(controller, clock, 3.0)
    assert "quoting" in controller.to_format_status()[0]
    await step(controller, clock, 3.0)
    assert "stale book" in controller.to_format_status()[0]
    assert set(connector.cancelled) == {order.client_order_id for order in connector.placed}


async def test_a_rejected_quote_is_placed_again_only_after_the_refresh_time(clock):
    """As pure_market_making, which creates orders once per order_refresh_time: a quote GRVT keeps refusing (a price
    out of its band, say) is not resent on every tick."""
    connector = FakeConnector()
    controller = make_controller(connector, clock, order_refresh_time=2)
    await step(controller, clock)
    bid = connector.open_orders(TradeType.BUY)[0]
    connector.fail(bid.client_order_id, "price out of band")
    for _ in range(10):
        await step(controller, clock, 0.1)
    assert connector.open_orders(TradeType.BUY) == [] and len(connector.placed) == 2
    await step(controller, clock, 1.1)
    assert len(connector.open_orders(TradeType.BUY)) == 1 and len(connector.placed) == 3


async def test_orders_restored_from_an_earlier_run_are_cancelled_when_the_market_maker_starts(clock):
    """After a crash Hummingbot restores the orders the last run left resting; no quote of this run is one of them,
    so they would rest next to the new quotes, counted against nothing. Orders placed after the start stay."""
    connector = BatchingFakeConnector()

    def resting(order_id: str, created: float):
        connector.in_flight_orders[order_id] = FakeOrder(client_order_id=order_id, trading_pair=PAIR,
                                                         trade_type=TradeType.BUY, amount=D("0.002"),
                                                         price=D(89950), is_done=False, creation_timestamp=created)
    resting("earlier-run", clock.now - 600)
    controller = make_controller(connector, clock)
    resting("another-controller", clock.now + 0.05)
    await step(controller, clock)
    assert "earlier-run" in connector.cancelled and "another-controller" not in connector.cancelled
    assert len(connector.placed) == 2  # the new quotes go out as usual


@pytest.mark.parametrize("bounds, named", [
    # above the ceiling only sells, below the floor only buys: between a floor above the ceiling, no quote at all
    (dict(price_floor="95000", price_ceiling="85000"), "price_floor 95000 must be below price_ceiling 85000"),
    # min(max(spread, floor), cap): the floor would be silently ignored
    (dict(volatility_spread_floor_pct="0.5", volatility_spread_cap_pct="0.2"),
     "volatility_spread_floor_pct 0.5 must not be above volatility_spread_cap_pct 0.2"),
])
def test_reversed_bounds_are_refused_when_the_config_loads(bounds, named):
    with pytest.raises(ValueError, match=named):
        GrvtMarketMakerConfig(id="mm", connector_name=CONNECTOR, trading_pair=PAIR, **bounds)
    # one bound alone, or the floor at the ceiling (sell above it, buy below it), or no cap, is fine
    GrvtMarketMakerConfig(id="mm", connector_name=CONNECTOR, trading_pair=PAIR, price_floor="90000",
                          price_ceiling="90000", volatility_spread_floor_pct="0.5", volatility_spread_cap_pct="0")
    GrvtMarketMakerConfig(id="mm", connector_name=CONNECTOR, trading_pair=PAIR, price_floor="95000")


@pytest.mark.parametrize("settings", [dict(target_position="0.05", max_position="0.02"),
                                      dict(target_position="-0.03", order_amount="0.002")])  # limit 10 x 0.002
def test_a_target_position_the_quoting_limit_cannot_reach_is_refused(settings):
    """Quotes never build more than the limit, so the skew toward a target beyond it would stay at its bound for
    good: one side quoted at twice its size, the other not at all, the bot stuck at the limit."""
    with pytest.raises(ValueError, match="target_position .* must be within the quoting limit"):
        GrvtMarketMakerConfig(id="mm", connector_name=CONNECTOR, trading_pair=PAIR, **settings)
    GrvtMarketMakerConfig(id="mm", connector_name=CONNECTOR, trading_pair=PAIR, target_position="-0.02",
                          order_amount="0.002")


async def test_a_spread_above_the_volatility_cap_is_refused_instead_of_quoted_at_the_cap(clock):
    """The cap bounds the volatility-scaled spread, the configured one included: a 2 % spread under the default 1 %
    cap went out 1 % from the mid, tighter than configured, when volatility_spread_enabled was switched on."""
    for side in ("bid_spread", "ask_spread"):
        with pytest.raises(ValueError, match=f"{side} 2 is above volatility_spread_cap_pct 1"):
            GrvtMarketMakerConfig(id="mm", connector_name=CONNECTOR, trading_pair=PAIR, volatility_spread_enabled=True,
                                  **{side: "2"})
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock, bid_spread="2", ask_spread="2", volatility_spread_enabled=True,
                                 volatility_spread_cap_pct="0")  # no cap: the configured spread holds
    await step(controller, clock)
    assert sorted(order.price for order in connector.placed) == [D("88200.0"), D("91800.0")]
    # without the volatility spread, or priced by avellaneda, the pmm spreads meet no cap
    GrvtMarketMakerConfig(id="mm", connector_name=CONNECTOR, trading_pair=PAIR, bid_spread="2")
    GrvtMarketMakerConfig(id="mm", connector_name=CONNECTOR, trading_pair=PAIR, bid_spread="2",
                          pricing_mode="avellaneda", volatility_spread_enabled=True)


async def test_a_quote_priced_at_or_below_zero_is_not_sent_without_post_only(clock):
    """A ladder reaching 100 % below the mid (or a skew as large) priced the outer bid at 0 or less: post-only quotes
    dropped it, plain limit quotes sent it to the exchange, which refuses it, counting towards the error rate."""
    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock, post_only=False, bid_spread="60", ask_spread="60",
                                 order_levels=2, order_level_spread="50", max_position="0.02")
    await step(controller, clock)
    assert sorted((order.side.name, order.price) for order in connector.placed) == [
        ("BUY", D("36000.0")), ("SELL", D("144000.0")), ("SELL", D("189000.0"))]


async def test_an_order_amount_below_the_exchange_minimum_is_reported_once(clock, caplog):
    connector = BatchingFakeConnector()
    # 0.001 at 90000 is 90 USDT, below the 100 USDT minimum notional: quotes go out at 0.002, and the user is told
    controller = make_controller(connector, clock, order_amount="0.001")
    with caplog.at_level("WARNING", logger=grvt_market_maker.__name__):
        await step(controller, clock)
        await step(controller, clock, 10.0)
    assert [order.amount for order in connector.placed] and {order.amount for order in connector.placed} == {D("0.002")}
    warnings = [record.getMessage() for record in caplog.records if "order_amount" in record.getMessage()]
    assert len(warnings) == 1, warnings
    assert "0.001" in warnings[0] and "0.002" in warnings[0] and PAIR in warnings[0]


async def test_a_replaced_order_book_is_let_go(clock):
    # Hummingbot makes new order books each time the connector restarts its network (after every outage): the
    # controller follows the trades of the new book and must not keep each old one alive with a listener on it.
    connector = FakeConnector()
    controller = make_controller(connector, clock)
    await step(controller, clock)
    old_books = []
    for _ in range(50):
        old_books.append(connector.book)
        connector.book = FakeBook(connector.book.bid, connector.book.ask)
        await step(controller, clock)
    trade_tag = OrderBookEvent.TradeEvent
    assert sum(1 for _, tag, *_ in controller._events._subscriptions if tag is trade_tag) == 1
    assert all(not book.listeners.get(trade_tag) for book in old_books)
    assert len(connector.book.listeners[trade_tag]) == 1


async def test_a_position_below_the_minimum_notional_is_not_sent_to_close_and_is_reported_once(clock, caplog):
    """GRVT refuses a reducing order below the pair's minimum notional (2067), and Hummingbot refuses it before
    sending: a kill switch flattening 0.001 BTC (90 USDT < 100) failed and retried every 3 s for as long as the bot
    ran, the log saying only 'retrying'."""
    from types import SimpleNamespace

    connector = BatchingFakeConnector()
    controller = make_controller(connector, clock, kill_switch_max_position="0.0005", kill_switch_flatten=True)
    connector.account_positions[PAIR] = SimpleNamespace(trading_pair=PAIR, amount=D("-0.001"), entry_price=D(90000),
                                                        unrealized_pnl=D(0))
    with caplog.at_level("WARNING"):
        for _ in range(6):
            await step(controller, clock, 5.0)
            connector.confirm_cancels()
    assert "HALTED by the kill switch" in controller.to_format_status()[0]
    assert [order for order in connector.placed if order.order_type is OrderType.MARKET] == []
    warnings = [record.getMessage() for record in caplog.records if "minimum" in record.getMessage()]
    assert len(warnings) == 1 and "-0.001" in warnings[0] and "by hand" in warnings[0], warnings
