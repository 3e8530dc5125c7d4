"""GRVT grid: level placement (ours and what Hummingbot's GridExecutor lays out from it), the legs of each mode,
re-entry after an executor ends, and the stop when the price leaves the range."""
import asyncio
from decimal import Decimal
from types import SimpleNamespace

import pytest

from controllers.generic import grvt_grid
from controllers.generic.grvt_grid import GrvtGrid, GrvtGridConfig
from controllers.grvt_common.grid_layout import grid_legs, grid_levels, leg_to_enter, neutral_split, outside_range
from hummingbot.core.data_type.common import OrderType, PositionAction, TradeType
from hummingbot.strategy_v2.executors.grid_executor.grid_executor import GridExecutor
from hummingbot.strategy_v2.models.base import RunnableStatus
from hummingbot.strategy_v2.models.executor_actions import CreateExecutorAction, StopExecutorAction
from hummingbot.strategy_v2.models.executors import CloseType
from test.strategies.fakes import CONNECTOR, PAIR, FakeClock, FakeConnector, FakeOrder, market_data_provider

D = Decimal
BUY, SELL = TradeType.BUY, TradeType.SELL


# ------------------------------------------------------------------------------------------------------- layout
def test_levels_are_evenly_spaced_from_start_to_end():
    assert grid_levels(D(100), D(110), 6) == [D(100), D(102), D(104), D(106), D(108), D(110)]
    with pytest.raises(ValueError):
        grid_levels(D(110), D(100), 6)
    with pytest.raises(ValueError):
        grid_levels(D(100), D(110), 1)


def test_long_and_short_grids_are_one_leg_over_the_whole_range():
    (long_leg,) = grid_legs("long", D(100), D(110), 6, D(105))
    (short_leg,) = grid_legs("short", D(100), D(110), 6, D(105))
    assert (long_leg.side, long_leg.start_price, long_leg.end_price, long_leg.step) == (BUY, D(100), D(110), D(2))
    assert short_leg.side is SELL and short_leg.levels == long_leg.levels
    assert long_leg.take_profit == D("0.02")  # one step from the lowest level
    assert long_leg.levels_to_fill_at_once(D(105)) == 3  # 106, 108, 110 are above the price: bought at the touch
    assert short_leg.levels_to_fill_at_once(D(105)) == 3


def test_neutral_grid_splits_at_a_level_next_to_the_price():
    prices = grid_levels(D(100), D(110), 6)  # 100 102 104 106 108 110
    assert neutral_split(prices, D("104.5")) == 3  # less than half a step above 104: M = 106, the long leg runs
    assert neutral_split(prices, D("105.2")) == 2  # at least half a step above 104: M = 104, the short leg runs
    assert neutral_split(prices, D(99)) == 1 and neutral_split(prices, D(120)) == 4  # each leg keeps 2 levels
    long_leg, short_leg = grid_legs("neutral", D(100), D(110), 6, D("104.5"))
    assert long_leg.levels == [D(100), D(102), D(104), D(106)] and short_leg.levels == [D(106), D(108), D(110)]
    assert leg_to_enter([long_leg, short_leg], D("104.5"), D(0)) is long_leg
    long_leg, short_leg = grid_legs("neutral", D(100), D(110), 6, D("105.2"))
    assert leg_to_enter([long_leg, short_leg], D("105.2"), D(0)) is short_leg
    assert short_leg.levels_to_fill_at_once(D("105.2")) == 1  # only the middle level is taken at the touch


def test_a_leg_enters_only_half_a_step_inside_the_side_it_exits_from():
    long_leg, short_leg = grid_legs("neutral", D(100), D(110), 6, D("104.5"))  # long 100-106, short 106-110
    assert long_leg.can_enter(D(105)) and not long_leg.can_enter(D("105.1")) and not long_leg.can_enter(D("99.9"))
    assert short_leg.can_enter(D(107)) and not short_leg.can_enter(D("106.9")) and not short_leg.can_enter(D(111))
    legs = [long_leg, short_leg]
    # the re-entry path of a price walking up and down through the middle level
    assert [getattr(leg_to_enter(legs, D(price), D(0)), "name", None)
            for price in ("101", "105.5", "106", "106.5", "107", "109", "106.2", "105")] == \
        ["long", None, None, None, "short", "short", None, "long"]


def test_no_leg_enters_against_an_opposite_position():
    long_leg, short_leg = grid_legs("neutral", D(100), D(110), 6, D("104.5"))
    assert leg_to_enter([long_leg, short_leg], D(102), D("-0.01")) is None
    assert leg_to_enter([long_leg, short_leg], D(109), D("0.01")) is None
    assert leg_to_enter([long_leg, short_leg], D(109), D("-0.01")) is short_leg


def test_outside_range_by_the_margin():
    assert outside_range(D(99.5), D(100), D(110), D(1)) is None
    assert "below 99" in outside_range(D("98.9"), D(100), D(110), D(1))
    assert "above 111.1" in outside_range(D("111.2"), D(100), D(110), D(1))


# ------------------------------------------------------------------------------------------------------- controller
@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(grvt_grid, "time", fake)
    return fake


def make_grid(connector, **overrides):
    settings = dict(id="grid", connector_name=CONNECTOR, trading_pair=PAIR, grid_mode="neutral", start_price=89900,
                    end_price=90100, levels=21, total_amount_quote=4200, range_exit_margin_pct="0.1")
    settings.update(overrides)
    queue = asyncio.Queue()
    return GrvtGrid(GrvtGridConfig(**settings), market_data_provider(connector), queue), queue


def sent(queue) -> list:
    actions = []
    while not queue.empty():
        actions.extend(queue.get_nowait())
    return actions


def executor_info(config, done: bool, close_type=None):
    return SimpleNamespace(id=config.id, is_done=done, close_type=close_type, custom_info={},
                           status=RunnableStatus.TERMINATED if done else RunnableStatus.RUNNING)


async def test_grid_executor_lays_out_exactly_the_levels_of_the_leg(clock):
    """Hummingbot's GridExecutor computes its own levels from the config: they land on the grid's."""
    connector = FakeConnector(bid=89992.0, ask=89994.0)
    grid, queue = make_grid(connector)
    await grid.control_task()
    (action,) = sent(queue)
    config = action.executor_config
    leg = grid.legs[0]
    assert isinstance(action, CreateExecutorAction) and config.side is BUY and leg.name == "long"
    executor = GridExecutor(SimpleNamespace(connectors={CONNECTOR: connector}), config)
    assert [level.price for level in executor.grid_levels] == pytest.approx(leg.levels)
    assert {level.take_profit for level in executor.grid_levels} == {leg.take_profit}
    amounts = {round(level.amount_quote / D(90000), 3) for level in executor.grid_levels}
    assert amounts == {D("0.002")}  # 4200 USDT over 21 levels: 200 USDT, 0.002 BTC a level
    assert config.triple_barrier_config.open_order_type is OrderType.LIMIT_MAKER
    assert config.limit_price == D(89900) * (1 - D("0.001"))  # the stop-out is the range's edge less the margin
    assert config.max_orders_per_batch == config.max_open_orders


async def test_grid_re_enters_a_leg_after_its_executor_ended(clock):
    connector = FakeConnector(bid=89992.0, ask=89994.0)
    grid, queue = make_grid(connector)
    await grid.control_task()
    (first,) = sent(queue)
    grid.executors_info = [executor_info(first.executor_config, done=False)]
    clock.advance(1)
    await grid.control_task()
    assert sent(queue) == []  # one leg at a time
    connector.book.move(90024.0, 90026.0)  # above the long leg (its executor takes profit and ends)
    grid.executors_info = [executor_info(first.executor_config, done=True, close_type=CloseType.TAKE_PROFIT)]
    clock.advance(1)
    await grid.control_task()
    (second,) = sent(queue)
    assert second.executor_config.side is SELL and second.executor_config.start_price == grid.legs[1].start_price
    grid.executors_info = [executor_info(second.executor_config, done=True, close_type=CloseType.TAKE_PROFIT)]
    connector.book.move(89979.0, 89981.0)
    clock.advance(1)
    await grid.control_task()
    (third,) = sent(queue)
    assert third.executor_config.side is BUY and third.executor_config.id != first.executor_config.id
    assert "long BUY" in grid.to_format_status()[1] and "runs 2" in grid.to_format_status()[1]


async def test_grid_stops_and_closes_when_the_price_leaves_the_range(clock):
    connector = FakeConnector(bid=89992.0, ask=89994.0)
    grid, queue = make_grid(connector)
    await grid.control_task()
    (first,) = sent(queue)
    grid.executors_info = [executor_info(first.executor_config, done=False)]
    connector.book.move(89700.0, 89702.0)  # below 89900 - 0.1 %
    clock.advance(1)
    await grid.control_task()
    (stop,) = sent(queue)
    assert isinstance(stop, StopExecutorAction) and stop.keep_position is False
    assert "left the grid range" in grid.to_format_status()[0]
    grid.executors_info = [executor_info(first.executor_config, done=True, close_type=CloseType.EARLY_STOP)]
    connector.account_positions[PAIR] = SimpleNamespace(trading_pair=PAIR, amount=D("0.004"), entry_price=D(89950),
                                                        unrealized_pnl=D(0))
    clock.advance(1)
    await grid.control_task()
    close = connector.placed[-1]
    assert (close.side, close.order_type, close.position_action, close.amount) == \
        (SELL, OrderType.MARKET, PositionAction.CLOSE, D("0.004"))
    connector.book.move(89992.0, 89994.0)  # back inside: no re-entry after a stop
    clock.advance(5)
    await grid.control_task()
    assert sent(queue) == []


async def test_kill_switch_without_flatten_keeps_the_position(clock):
    connector = FakeConnector(bid=89992.0, ask=89994.0)
    grid, queue = make_grid(connector, kill_switch_max_position="0.001")
    await grid.control_task()
    (first,) = sent(queue)
    grid.executors_info = [executor_info(first.executor_config, done=False)]
    connector.account_positions[PAIR] = SimpleNamespace(trading_pair=PAIR, amount=D("0.002"), entry_price=D(89950),
                                                        unrealized_pnl=D(0))
    clock.advance(1)
    await grid.control_task()
    (stop,) = sent(queue)
    assert isinstance(stop, StopExecutorAction) and stop.keep_position is True
    assert "max position" in grid.to_format_status()[0]


def test_grid_config_validation():
    with pytest.raises(ValueError, match="start_price"):
        GrvtGridConfig(id="g", start_price=100, end_price=90, total_amount_quote=100)
    with pytest.raises(ValueError, match="grid_mode"):
        GrvtGridConfig(id="g", grid_mode="sideways", start_price=90, end_price=100, total_amount_quote=100)
    with pytest.raises(ValueError, match="ONEWAY"):
        GrvtGridConfig(id="g", start_price=90, end_price=100, position_mode="HEDGE")


async def test_grid_stale_book_counts_while_the_connector_is_not_ready(clock):
    connector = FakeConnector(bid=89992.0, ask=89994.0)
    grid, queue = make_grid(connector, kill_switch_stale_book_seconds=5)
    await grid.control_task()
    (first,) = sent(queue)
    grid.executors_info = [executor_info(first.executor_config, done=False)]
    connector.ready = False
    clock.advance(6)
    await grid.control_task()
    (stop,) = sent(queue)
    assert isinstance(stop, StopExecutorAction) and "stale book" in grid.to_format_status()[0]


async def test_a_zero_exit_margin_stops_at_the_range_edge(clock):
    """GridExecutor takes no stop-out at the range's edge itself: with no margin the controller's range check stops
    the grid there, and every mode still starts its executor."""
    for mode in ("neutral", "long", "short"):
        connector = FakeConnector(bid=89992.0, ask=89994.0)
        grid, queue = make_grid(connector, grid_mode=mode, range_exit_margin_pct="0")
        await grid.control_task()
        (create,) = sent(queue)
        assert isinstance(create, CreateExecutorAction) and create.executor_config.limit_price == 0
        grid.executors_info = [executor_info(create.executor_config, done=False)]
        connector.book.move(89898.0, 89900.0)  # mid 89899: just below the range
        clock.advance(1)
        await grid.control_task()
        (stop,) = sent(queue)
        assert isinstance(stop, StopExecutorAction) and stop.keep_position is False
        assert "left the grid range" in grid.to_format_status()[0]
    with pytest.raises(ValueError, match="range_exit_margin_pct"):
        GrvtGridConfig(id="g", start_price=90, end_price=100, range_exit_margin_pct=100)


@pytest.mark.parametrize("field, value", [("activation_bounds", "0"), ("activation_bounds", "-0.01"),
                                          ("max_orders_per_batch", -1), ("total_amount_quote", 0)])
def test_values_grid_executor_rejects_are_refused_when_the_config_loads(field, value):
    """Accepted, each made every executor config fail: the grid would run without ever placing an order."""
    with pytest.raises(ValueError, match=field):
        GrvtGridConfig(id="g", start_price=90, end_price=100, **{field: value})


async def test_a_level_amount_below_the_exchange_minimum_is_refused_with_the_reason(clock):
    """100 USDT a level buys less than the 0.002 BTC (180 USDT) a level needs at 90000 under BTC-USDT's 100 USDT
    minimum notional and 0.001 BTC lot: GridExecutor would merge the leg's 11 levels into 6 wider ones, at other
    prices than the grid's and with take-profits half a level away. The grid places nothing and says why."""
    connector = FakeConnector(bid=89992.0, ask=89994.0)
    grid, queue = make_grid(connector, total_amount_quote=2100)
    await grid.control_task()
    assert sent(queue) == []
    status = grid.to_format_status()[0]
    assert "100 USDT a level, below the 179.99 USDT" in status and "to 3779.79" in status, status
    grid.config.total_amount_quote = D(3780)  # 180 USDT a level: every level of the leg is laid out
    clock.advance(1)
    await grid.control_task()
    (create,) = sent(queue)
    config = create.executor_config
    executor = GridExecutor(SimpleNamespace(connectors={CONNECTOR: connector}), config)
    assert [level.price for level in executor.grid_levels] == pytest.approx(grid.legs[0].levels)


async def test_the_manual_kill_switch_keeps_the_position_even_with_flatten(clock):
    """The manual kill switch cancels the orders and never closes the position (as in the market maker): its
    executors keep their position too, instead of closing it with market orders."""
    connector = FakeConnector(bid=89992.0, ask=89994.0)
    grid, queue = make_grid(connector, kill_switch_flatten=True)
    await grid.control_task()
    (first,) = sent(queue)
    grid.executors_info = [executor_info(first.executor_config, done=False)]
    connector.account_positions[PAIR] = SimpleNamespace(trading_pair=PAIR, amount=D("0.004"), entry_price=D(89950),
                                                        unrealized_pnl=D(0))
    grid.config.manual_kill_switch = True
    clock.advance(1)
    await grid.control_task()
    (stop,) = sent(queue)
    assert isinstance(stop, StopExecutorAction) and stop.keep_position is True
    grid.executors_info = [executor_info(first.executor_config, done=True, close_type=CloseType.POSITION_HOLD)]
    clock.advance(5)
    await grid.control_task()
    assert [order for order in connector.placed if order.order_type is OrderType.MARKET] == []


async def test_grid_stale_book_counts_while_the_book_is_one_sided(clock):
    connector = FakeConnector(bid=89992.0, ask=89994.0)
    grid, queue = make_grid(connector, kill_switch_stale_book_seconds=5)
    await grid.control_task()
    (first,) = sent(queue)
    grid.executors_info = [executor_info(first.executor_config, done=False)]
    connector.book.move(None, 89994.0)  # every bid gone: Hummingbot's book raises for the missing side
    clock.advance(6)
    await grid.control_task()
    (stop,) = sent(queue)
    assert isinstance(stop, StopExecutorAction) and "stale book" in grid.to_format_status()[0]


async def test_a_grid_the_account_cannot_margin_does_not_start_an_executor_every_tick(clock):
    """GridExecutor checks the margin of its whole leg when it starts and ends at once (INSUFFICIENT_BALANCE) when
    the account lacks it: the grid started another one on every tick. It makes that check itself and says why."""
    connector = FakeConnector(bid=89992.0, ask=89994.0, balance=D(500))
    no_margin = SimpleNamespace(adjust_candidates=lambda candidates, all_or_none=True: [
        SimpleNamespace(amount=D(0)) for _ in candidates])
    connector.budget_checker = no_margin
    grid, queue = make_grid(connector, leverage=2)
    created = []
    for _ in range(3):
        await grid.control_task()
        for action in sent(queue):
            created.append(action)
            executor = GridExecutor(SimpleNamespace(connectors={CONNECTOR: connector}), action.executor_config)
            executor.stop = lambda: None
            await executor.validate_sufficient_balance()
            assert executor.close_type is CloseType.INSUFFICIENT_BALANCE
            grid.executors_info = [executor_info(action.executor_config, done=True, close_type=executor.close_type)]
        clock.advance(1)
    assert len(created) == 0, f"{len(created)} executors started"
    status = grid.to_format_status()[0]
    assert "NOT STARTING" in status and "margin" in status and "leverage 2" in status, status
    connector.budget_checker = SimpleNamespace(adjust_candidates=lambda candidates, all_or_none=True: candidates)
    await grid.control_task()  # the balance grew: the grid starts
    (create,) = sent(queue)
    assert isinstance(create, CreateExecutorAction)


async def test_an_executor_stopped_out_at_its_limit_price_stops_the_grid(clock):
    """GridExecutor stops out by itself at its limit price (the range less range_exit_margin_pct) and closes its
    position: the grid has left its range even when the price came back before the controller looked, so it stops
    rather than starting the leg again."""
    connector = FakeConnector(bid=89992.0, ask=89994.0)
    grid, queue = make_grid(connector, grid_mode="long")
    await grid.control_task()
    (first,) = sent(queue)
    grid.executors_info = [executor_info(first.executor_config, done=True, close_type=CloseType.STOP_LOSS)]
    clock.advance(1)
    await grid.control_task()  # the price is back inside the range
    assert sent(queue) == []
    assert "STOPPED" in grid.to_format_status()[0] and "stop-out" in grid.to_format_status()[0]


async def test_orders_restored_from_an_earlier_run_are_cancelled_when_the_grid_starts(clock):
    """After a crash Hummingbot restores the orders the last run left resting: no executor manages them, and next to
    the new executor's they would double the grid's levels. Orders placed after the grid was created stay."""
    connector = FakeConnector(bid=89992.0, ask=89994.0)

    def resting(order_id: str, created: float):
        connector.in_flight_orders[order_id] = FakeOrder(client_order_id=order_id, trading_pair=PAIR, side=BUY,
                                                         amount=D("0.002"), price=D(89950), is_done=False,
                                                         creation_timestamp=created)
    resting("earlier-run", clock.now - 600)
    grid, queue = make_grid(connector)
    resting("another-controller", clock.now + 0.5)
    clock.advance(1)
    await grid.control_task()
    assert connector.cancelled == ["earlier-run"]
    (create,) = sent(queue)
    assert isinstance(create, CreateExecutorAction)


def test_a_safe_extra_spread_of_the_whole_price_is_refused_naming_the_field():
    """GridExecutor buys the levels the price passed at the bid less this fraction of it: at 1 (a user meaning 1 %
    or 1 bp) every such buy was priced 0 and refused by the exchange."""
    with pytest.raises(ValueError, match="safe_extra_spread"):
        GrvtGridConfig(id="g", start_price=90, end_price=100, safe_extra_spread=1)


async def test_a_running_grid_keeps_the_exit_margin_its_executor_stops_out_at(clock):
    """GridExecutor has no way to change a running executor's limit price: a margin edited while the grid runs would
    only move the controller's own range check, so a wider one still stopped out at the old limit. It is fixed
    while the grid runs (edit it and restart the controller)."""
    connector = FakeConnector(bid=89992.0, ask=89994.0)
    grid, queue = make_grid(connector, grid_mode="long")
    await grid.control_task()
    (first,) = sent(queue)
    edited = grid.config.model_dump()
    edited["range_exit_margin_pct"] = D("2")
    grid.update_config(GrvtGridConfig(**edited))
    assert grid.config.range_exit_margin_pct == D("0.1")
    assert first.executor_config.limit_price == D(89900) * (1 - grid.config.range_exit_margin_pct / 100)


async def test_a_remaining_position_below_the_minimum_notional_is_reported_once_not_sent(clock, caplog):
    # 0.001 BTC at 89700 is 89.7 USDT, under the pair's 100: no order can close it (GRVT error 2067)
    connector = FakeConnector(bid=89992.0, ask=89994.0)
    grid, queue = make_grid(connector)
    await grid.control_task()
    (first,) = sent(queue)
    connector.book.move(89700.0, 89702.0)
    grid.executors_info = [executor_info(first.executor_config, done=True, close_type=CloseType.EARLY_STOP)]
    connector.account_positions[PAIR] = SimpleNamespace(trading_pair=PAIR, amount=D("0.001"), entry_price=D(89950),
                                                        unrealized_pnl=D(0))
    with caplog.at_level("WARNING"):
        for _ in range(5):
            clock.advance(5)
            await grid.control_task()
    assert [order for order in connector.placed if order.order_type is OrderType.MARKET] == []
    warnings = [record.getMessage() for record in caplog.records if "minimum" in record.getMessage()]
    assert len(warnings) == 1 and "0.001" in warnings[0] and "by hand" in warnings[0], warnings
