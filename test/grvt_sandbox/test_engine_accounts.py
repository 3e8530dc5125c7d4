"""Positions and PnL, margin and leverage, reduce-only, position limits, funding, expiry, cancel-on-disconnect."""
import asyncio
from decimal import Decimal

import pytest

from grvt_sandbox import enums
from grvt_sandbox.accounts.account import Position
from grvt_sandbox.clock import Clock
from grvt_sandbox.config import SandboxConfig
from grvt_sandbox.engine import Exchange
from grvt_sandbox.engine.validation import OrderRequest
from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.gateway import encoding
from test.grvt_sandbox.sandbox_helpers import BTC

D = Decimal
MAKER, TRADER = "101", "201"


@pytest.fixture
def exchange():
    exchange = Exchange(SandboxConfig(accounts=[]), Clock())
    exchange.add_account(MAKER, balance=D("100000000"), check_margin=False)
    exchange.add_account(TRADER, balance=D("10000"))
    exchange.set_index_price(BTC, D("90000"))
    return exchange


def trade(exchange, is_buy, size, price):
    """TRADER takes `size` at `price` from a resting MAKER order."""
    exchange.submit_internal_order(MAKER, BTC, not is_buy, D(size), D(price))
    order = exchange.submit_internal_order(TRADER, BTC, is_buy, D(size), D(price))
    assert order.status == enums.FILLED
    return order


def test_position_entry_price_and_realized_pnl():
    position = Position("1", None, 0)
    assert position.apply_fill(True, D("1"), D("100")) == 0
    assert position.apply_fill(True, D("1"), D("110")) == 0
    assert (position.size, position.entry_price) == (D("2"), D("105"))
    assert position.apply_fill(False, D("0.5"), D("120")) == D("7.5")
    assert (position.size, position.entry_price) == (D("1.5"), D("105"))
    assert position.apply_fill(False, D("2.5"), D("100")) == D("-7.5")  # closes 1.5 and flips short 1
    assert (position.size, position.entry_price, position.realized_pnl) == (D("-1"), D("100"), D("0"))
    assert position.unrealized_pnl(D("90")) == D("10")
    assert position.apply_fill(True, D("1"), D("95")) == D("5")
    assert (position.size, position.entry_price) == (D("0"), D("0"))


def test_exit_price_is_the_average_exit_of_the_position():
    # Positions.exit_price: new_exit_price = (old_exit_price * old_exit_trade_size + trade_price * trade_size)
    # / (old_exit_trade_size + trade_size) whenever the position decreases
    position = Position("1", None, 0)
    position.apply_fill(True, D("2"), D("100"))
    position.apply_fill(False, D("0.5"), D("120"))
    position.apply_fill(False, D("1.5"), D("110"))
    assert (position.size, position.exit_price) == (D("0"), D("112.5"))
    position.apply_fill(False, D("1"), D("90"))  # a new (short) position has no exits yet
    assert position.exit_price == D("0")
    position.apply_fill(True, D("0.5"), D("80"))
    position.apply_fill(True, D("1.5"), D("84"))  # closes 0.5 and flips long 1: the remainder opens at 84
    assert (position.size, position.entry_price, position.exit_price) == (D("1"), D("84"), D("0"))


def test_a_new_position_starts_without_the_pnl_fees_and_funding_of_the_closed_one(exchange):
    # Positions.realized_pnl = (exit_price - entry_price) * exit_trade_size: a position without exits has none
    trade(exchange, True, "0.1", "90000.0")
    exchange.settle_funding(BTC, D("0.01"))
    trade(exchange, False, "0.1", "91000.0")
    trade(exchange, True, "0.1", "90000.0")  # a new long
    rendered = encoding.position_json(exchange.position(TRADER, BTC), exchange, exchange.now_ns())
    taker_fee = D("9000") * exchange.instruments[BTC].taker_fee_rate / 100
    assert (rendered["exit_price"], rendered["realized_pnl"], rendered["total_pnl"], rendered["roi"]) == (
        "0.0", "0.0", "0.0", "0.0")
    assert (D(rendered["cumulative_fee"]), rendered["cumulative_realized_funding_payment"]) == (taker_fee, "0.0")
    trade(exchange, False, "0.3", "89000.0")  # closes the long (realizes -100) and flips short 0.2 at 89 000
    position = exchange.position(TRADER, BTC)
    assert (position.size, position.realized_pnl, position.cumulative_funding_paid) == (D("-0.2"), 0, 0)


def test_fills_update_positions_and_balances(exchange):
    trade(exchange, True, "0.1", "90000.0")
    trade(exchange, True, "0.1", "91000.0")
    position = exchange.position(TRADER, BTC)
    assert (position.size, position.entry_price) == (D("0.2"), D("90500"))
    assert exchange.position(MAKER, BTC).size == D("-0.2")
    taker_rate = exchange.instruments[BTC].taker_fee_rate
    fees = (D("9000") + D("9100")) * taker_rate / 100
    assert exchange.accounts[TRADER].balance == D("10000") - fees
    trade(exchange, False, "0.2", "92000.0")
    assert position.size == 0 and position.realized_pnl == D("300")
    assert exchange.markets[BTC].open_interest == 0


def test_position_roi_is_total_pnl_over_entry_notional(exchange):
    # Positions.roi = (total_pnl / (entry_price * abs(size))) * 100, whatever the leverage
    trade(exchange, True, "0.1", "90000.0")
    exchange.set_index_price(BTC, D("90900"))
    position = exchange.position(TRADER, BTC)
    rendered = encoding.position_json(position, exchange, exchange.now_ns())
    assert (rendered["total_pnl"], rendered["leverage"], rendered["roi"]) == ("90.0", "10.0", "1.0")


def test_unrealized_pnl_follows_the_mark(exchange):
    trade(exchange, True, "0.1", "90000.0")
    exchange.set_index_price(BTC, D("91000"))
    state = exchange.margin(exchange.accounts[TRADER])
    assert state.unrealized_pnl == D("100")
    assert state.initial_margin == D("0.1") * D("91000") / D("10")  # default leverage 10
    assert state.maintenance_margin == D("0.1") * D("91000") * exchange.instruments[BTC].maintenance_margin_rate
    exchange.set_index_price(BTC, D("89000"), mark_price=D("89500"))
    assert exchange.margin(exchange.accounts[TRADER]).unrealized_pnl == D("-50")


def test_insufficient_margin_is_rejected(exchange):
    # 10 000 USDT at leverage 10 carries 100 000 USDT of exposure: 1.2 BTC at 90 000 does not fit
    with pytest.raises(GrvtApiError) as error:
        exchange.submit_internal_order(TRADER, BTC, True, D("1.2"), D("80000"))
    assert error.value.code == 2080
    exchange.submit_internal_order(TRADER, BTC, True, D("1.0"), D("80000"))
    # the resting bid already uses the margin: another one does not fit
    with pytest.raises(GrvtApiError):
        exchange.submit_internal_order(TRADER, BTC, True, D("0.2"), D("80000"))
    # more leverage frees margin
    exchange.set_initial_leverage(TRADER, BTC, "20")
    exchange.submit_internal_order(TRADER, BTC, True, D("0.2"), D("80000"))


def test_orders_that_reduce_exposure_need_no_extra_margin(exchange):
    trade(exchange, True, "1.0", "90000.0")
    exchange.submit_internal_order(TRADER, BTC, False, D("1.0"), D("95000"))  # closing order fits
    with pytest.raises(GrvtApiError):
        exchange.submit_internal_order(TRADER, BTC, False, D("1.5"), D("95000"))  # 2.5 short exposure does not


@pytest.mark.parametrize("leverage, code", [("0", 2100), ("abc", 2100), ("0.5", 2107), ("51", 2108)])
def test_leverage_limits(exchange, leverage, code):
    with pytest.raises(GrvtApiError) as error:
        exchange.set_initial_leverage(TRADER, BTC, leverage)
    assert error.value.code == code


def test_reduce_only_rules(exchange):
    def reduce_only(is_buy, size):
        return exchange.submit_internal_order(TRADER, BTC, is_buy, D(size), D("90000"), reduce_only=True)

    with pytest.raises(GrvtApiError) as error:
        reduce_only(False, "0.01")
    assert error.value.code == 2400
    trade(exchange, True, "0.05", "90000.0")
    with pytest.raises(GrvtApiError) as error:
        reduce_only(True, "0.01")
    assert error.value.code == 2401
    with pytest.raises(GrvtApiError) as error:
        reduce_only(False, "0.06")
    assert error.value.code == 2402
    order = reduce_only(False, "0.05")
    assert order.status == enums.OPEN


def test_reduce_only_is_clamped_when_the_position_shrank(exchange):
    trade(exchange, True, "0.05", "90000.0")
    resting = exchange.submit_internal_order(TRADER, BTC, False, D("0.05"), D("99000"), reduce_only=True)
    trade(exchange, False, "0.03", "90000.0")
    exchange.submit_internal_order(MAKER, BTC, True, D("1"), D("90000"))
    taker = exchange.submit_internal_order(TRADER, BTC, False, D("0.02"), None, reduce_only=True)
    assert taker.status == enums.FILLED and exchange.position(TRADER, BTC).size == 0
    assert (resting.status, resting.reject_reason) == (enums.CANCELLED, enums.REDUCE_ONLY_LIMIT)


def test_resting_reduce_only_order_never_opens_a_position(exchange):
    # Order.reduce_only: "Order must reduce the position size, or be cancelled"
    trade(exchange, True, "0.05", "90000.0")
    resting = exchange.submit_internal_order(TRADER, BTC, False, D("0.03"), D("99000"), reduce_only=True)
    trade(exchange, False, "0.01", "90000.0")
    assert resting.status == enums.OPEN  # 0.03 still fits the 0.04 position
    trade(exchange, False, "0.04", "90000.0")
    assert (resting.status, resting.reject_reason, resting.traded) == (
        enums.CANCELLED, enums.REDUCE_ONLY_LIMIT, 0)
    assert exchange.book_snapshot(BTC).asks == []
    exchange.submit_internal_order(MAKER, BTC, True, D("0.03"), None)
    assert exchange.position(TRADER, BTC).size == 0


async def test_reduce_only_excess_is_cancelled_not_reported_filled(exchange):
    # REDUCE_ONLY_LIMIT: "the remaining order size was cancelled because it exceeded current position size"
    trade(exchange, True, "0.05", "90000.0")
    exchange.submit_internal_order(MAKER, BTC, True, D("1"), D("90000"))
    delayed = exchange.submit_internal_order(TRADER, BTC, False, D("0.05"), D("90000"), reduce_only=True,
                                             delay_s=0.01)
    trade(exchange, False, "0.03", "90000.0")  # the position shrinks to 0.02 before the order is processed
    deadline = asyncio.get_running_loop().time() + 10
    while not delayed.is_terminal:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.005)
    assert (delayed.status, delayed.reject_reason, delayed.traded_decimal) == (
        enums.CANCELLED, enums.REDUCE_ONLY_LIMIT, D("0.02"))
    assert exchange.position(TRADER, BTC).size == 0


def test_max_position_size(exchange):
    exchange.add_account("300", balance=D("1e12"))
    with pytest.raises(GrvtApiError) as error:
        exchange.submit_internal_order("300", BTC, True, D("1000.001"), D("1"))
    assert error.value.code == 2081
    # the sandbox's own market accounts have no limits
    assert exchange.submit_internal_order(MAKER, BTC, True, D("1000.001"), D("1")).status == enums.OPEN


def test_funding_settlement_moves_balances(exchange):
    trade(exchange, True, "1.0", "90000.0")
    balance = exchange.accounts[TRADER].balance
    payments = []
    exchange.events.funding.add(payments.append)
    rate = exchange.settle_funding(BTC, D("0.01"))
    assert rate == D("0.01")
    amount = -D("1.0") * D("90000") * D("0.01") / 100  # the long pays 9 USDT
    assert exchange.accounts[TRADER].balance == balance + amount
    assert exchange.position(TRADER, BTC).cumulative_funding_paid == -amount
    # payments follow GRVT's sign: positive when paid
    assert {p.sub_account_id: p.amount for p in payments} == {TRADER: -amount, MAKER: amount}
    history, cursor = exchange.accounts[TRADER].funding_history.page(10)
    assert [p.amount for p in history] == [-amount] and cursor == ""
    assert exchange.markets[BTC].funding_history.latest(1)[0].funding_rate == D("0.01")


def test_funding_is_settled_on_schedule():
    clock = Clock()
    exchange = Exchange(SandboxConfig(accounts=[], funding_period_s=60), clock)
    exchange.add_account(MAKER, check_margin=False)
    exchange.add_account(TRADER, check_margin=False)
    exchange.submit_internal_order(MAKER, BTC, False, D("1"), D("90000"))
    exchange.submit_internal_order(TRADER, BTC, True, D("1"), D("90000"))
    market = exchange.markets[BTC]
    due = market.next_funding_time
    assert 0 < due - clock.now_ns() <= 60 * 10 ** 9
    clock.advance(61)
    exchange.on_timer()
    assert market.next_funding_time > due
    assert len(exchange.accounts[TRADER].funding_history) == 1


def test_premium_drives_the_funding_estimate(exchange):
    exchange.submit_internal_order(MAKER, BTC, True, D("1"), D("90890"))
    exchange.submit_internal_order(MAKER, BTC, False, D("1"), D("90910"))
    exchange.sample_premium()  # mid 90 900 is 1 % above the index: capped at +0.3 %
    assert exchange.markets[BTC].funding_rate == exchange.instruments[BTC].funding_rate_cap


def test_resting_orders_expire_with_their_signature():
    clock = Clock()
    exchange = Exchange(SandboxConfig(accounts=[]), clock)
    exchange.add_account(TRADER, check_margin=False)
    request = OrderRequest(TRADER, BTC, True, D("0.01"), D("89000"), False, enums.GOOD_TILL_TIME, False, False,
                           "9223372036854775809", clock.now_ns() + 5 * 10 ** 9, None)
    order = exchange.place_order(request)
    assert order.status == enums.OPEN
    clock.advance(4)
    exchange.on_timer()
    assert order.status == enums.OPEN
    clock.advance(2)
    exchange.on_timer()
    assert (order.status, order.reject_reason) == (enums.CANCELLED, enums.EXPIRED)
    assert exchange.book_snapshot(BTC).bids == []


def test_cancel_on_disconnect_countdown():
    clock = Clock()
    exchange = Exchange(SandboxConfig(accounts=[]), clock)
    exchange.add_account(TRADER, check_margin=False)
    order = exchange.submit_internal_order(TRADER, BTC, True, D("0.01"), D("89000"))
    exchange.set_cancel_on_disconnect(TRADER, 2000)
    clock.advance(1.0)
    exchange.set_cancel_on_disconnect(TRADER, 2000)  # heartbeat: the countdown starts again
    clock.advance(1.4)
    exchange.on_timer()
    assert order.status == enums.OPEN
    clock.advance(0.8)
    exchange.on_timer()
    assert (order.status, order.reject_reason) == (enums.CANCELLED, enums.CLIENT_CANCEL_ON_DISCONNECT_TRIGGERED)
    later = exchange.submit_internal_order(TRADER, BTC, True, D("0.01"), D("89000"))
    clock.advance(5)
    exchange.on_timer()
    assert later.status == enums.OPEN  # the countdown fired once and is off until the next heartbeat
    exchange.set_cancel_on_disconnect(TRADER, 1000)
    exchange.set_cancel_on_disconnect(TRADER, 0)  # 0 disables
    clock.advance(5)
    exchange.on_timer()
    assert later.status == enums.OPEN


def test_cancel_on_disconnect_countdown_is_rounded_down_to_seconds():
    # ApiCancelOnDisconnectRequest: 0 -> 1000 ms rounds to 0 (the countdown ends), 1001 -> 300 000 ms is rounded
    # down to whole seconds
    clock = Clock()
    exchange = Exchange(SandboxConfig(accounts=[]), clock)
    exchange.add_account(TRADER, check_margin=False)
    order = exchange.submit_internal_order(TRADER, BTC, True, D("0.01"), D("89000"))
    exchange.set_cancel_on_disconnect(TRADER, 5000)
    exchange.set_cancel_on_disconnect(TRADER, 999)
    clock.advance(6)
    exchange.on_timer()
    assert order.status == enums.OPEN
    exchange.set_cancel_on_disconnect(TRADER, 5000)
    exchange.set_cancel_on_disconnect(TRADER, 1000)
    clock.advance(6)
    exchange.on_timer()
    assert order.status == enums.OPEN
    exchange.set_cancel_on_disconnect(TRADER, 1999)
    clock.advance(1.2)
    exchange.on_timer()
    assert (order.status, order.reject_reason) == (enums.CANCELLED, enums.CLIENT_CANCEL_ON_DISCONNECT_TRIGGERED)


async def test_a_pending_order_is_cancelled_with_the_reason_of_the_request():
    exchange = Exchange(SandboxConfig(accounts=[]), Clock())
    exchange.add_account(TRADER, check_margin=False)
    bulk = exchange.submit_internal_order(TRADER, BTC, True, D("0.01"), D("89000"), delay_s=0.01)
    exchange.cancel_all(TRADER)
    replaced = exchange.submit_internal_order(TRADER, BTC, True, D("0.01"), D("89000"), delay_s=0.01)
    exchange.cancel_order(TRADER, order_id=replaced.order_id, reason=enums.CLIENT_REPLACE)
    deadline = asyncio.get_running_loop().time() + 10
    while not (bulk.is_terminal and replaced.is_terminal):
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.005)
    assert (bulk.status, bulk.reject_reason) == (enums.CANCELLED, enums.CLIENT_BULK_CANCEL)
    assert (replaced.status, replaced.reject_reason) == (enums.CANCELLED, enums.CLIENT_REPLACE)


def test_cancel_by_unknown_client_id_drops_a_late_create():
    clock = Clock()
    exchange = Exchange(SandboxConfig(accounts=[]), clock)
    exchange.add_account(TRADER, check_margin=False)
    notices = []
    exchange.events.cancel_status.add(lambda *args: notices.append(args))
    assert exchange.cancel_order(TRADER, client_order_id="9223372036854775811", time_to_live_ms=1000) is False
    exchange.cancel_order(TRADER, client_order_id="9223372036854775811", time_to_live_ms=1000)
    assert notices[-1][-1] == "DROPPED_DUPLICATE"
    late = exchange.submit_internal_order(TRADER, BTC, True, D("0.01"), D("89000"), delay_s=0.0)
    assert late.status == enums.OPEN  # another client id is unaffected
    request = OrderRequest(TRADER, BTC, True, D("0.01"), D("89000"), False, enums.GOOD_TILL_TIME, False, False,
                           "9223372036854775811", clock.now_ns() + 10 ** 10, None)
    dropped = exchange.place_order(request)
    assert (dropped.status, dropped.reject_reason) == (enums.CANCELLED, enums.CLIENT_CANCEL)
    exchange.cancel_order(TRADER, client_order_id="9223372036854775999", time_to_live_ms=500)
    clock.advance(1)
    exchange.on_timer()
    assert notices[-1][1:] == ("9223372036854775999", "0x00", enums.CLIENT_CANCEL, "EXPIRED")


def test_an_accepted_order_can_be_rejected_before_it_is_processed():
    exchange = Exchange(SandboxConfig(accounts=[]))
    exchange.add_account(TRADER, check_margin=False)

    def request(client_id):
        return OrderRequest(TRADER, BTC, True, D("0.01"), D("89000"), False, enums.GOOD_TILL_TIME, False, False,
                            client_id, exchange.now_ns() + 10 ** 10, None)

    accepted = exchange.accept_order(request("9223372036854775902"))
    assert accepted.status == enums.PENDING and exchange.book_snapshot(BTC).bids == []
    exchange.reject_order(accepted, enums.SYSTEM_FAILOVER)
    assert (accepted.status, accepted.reject_reason) == (enums.REJECTED, enums.SYSTEM_FAILOVER)
    assert exchange.open_orders(TRADER) == []
    placed = exchange.place_order(request("9223372036854775903"))
    exchange.reject_order(placed, enums.SYSTEM_FAILOVER)  # too late: it was processed already
    assert placed.status == enums.OPEN


def test_an_account_below_initial_margin_may_still_reduce_its_exposure(exchange):
    # BELOW_MARGIN: "the order will bring the sub account below initial margin requirement"; an order that only
    # shrinks the position does not, even when a price move already left the account under its initial margin
    trade(exchange, True, "1.0", "90000.0")
    exchange.set_index_price(BTC, D("88000"))
    state = exchange.margin(exchange.accounts[TRADER])
    assert state.total_equity < state.initial_margin
    order = exchange.submit_internal_order(TRADER, BTC, False, D("0.5"), D("95000"))  # not reduce-only
    assert order.status == enums.OPEN
    with pytest.raises(GrvtApiError) as error:  # more exposure is still refused
        exchange.submit_internal_order(TRADER, BTC, True, D("0.01"), D("80000"))
    assert error.value.code == 2080
    with pytest.raises(GrvtApiError) as error:  # and so is a flip to a larger short
        exchange.submit_internal_order(TRADER, BTC, False, D("1.6"), D("95000"))
    assert error.value.code == 2080
