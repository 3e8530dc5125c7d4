"""Matching: price-time priority, partial fills, time in force, post-only, self-trade, fees, book levels."""
from decimal import Decimal

import pytest

from grvt_sandbox import enums
from grvt_sandbox.clock import Clock
from grvt_sandbox.config import SandboxConfig
from grvt_sandbox.engine import Exchange
from grvt_sandbox.errors import GrvtApiError
from test.grvt_sandbox.sandbox_helpers import BTC

D = Decimal
MAKER, MAKER2, TAKER = "101", "102", "201"


@pytest.fixture
def exchange():
    exchange = Exchange(SandboxConfig(accounts=[]))
    for account in (MAKER, MAKER2, TAKER):
        exchange.add_account(account, balance=D("1000000"))
    return exchange


def limit(exchange, account, is_buy, size, price, **kwargs):
    return exchange.submit_internal_order(account, BTC, is_buy, D(size), D(price), **kwargs)


def test_resting_orders_build_levels_best_first(exchange):
    limit(exchange, MAKER, True, "0.1", "89990.0")
    limit(exchange, MAKER, True, "0.2", "89990.0")
    limit(exchange, MAKER, True, "0.3", "89980.0")
    limit(exchange, MAKER, False, "0.4", "90010.0")
    limit(exchange, MAKER, False, "0.5", "90020.0")
    snapshot = exchange.book_snapshot(BTC)
    assert snapshot.bids == [(D("89990"), D("0.3"), 2), (D("89980"), D("0.3"), 1)]
    assert snapshot.asks == [(D("90010"), D("0.4"), 1), (D("90020"), D("0.5"), 1)]
    assert (exchange.best_bid(BTC), exchange.best_ask(BTC), exchange.mid_price(BTC)) == (
        D("89990"), D("90010"), D("90000"))


def test_price_then_time_priority_and_partial_fill(exchange):
    first = limit(exchange, MAKER, False, "0.1", "90000.0")
    second = limit(exchange, MAKER2, False, "0.1", "90000.0")
    better = limit(exchange, MAKER2, False, "0.1", "89999.0")
    trades = []
    exchange.add_trade_listener(trades.append)
    taker = limit(exchange, TAKER, True, "0.25", "90000.0")
    assert [(t.maker_order_id, t.price, t.size) for t in trades] == [
        (better.order_id, D("89999"), D("0.1")), (first.order_id, D("90000"), D("0.1")),
        (second.order_id, D("90000"), D("0.05"))]
    assert taker.status == enums.FILLED and taker.traded_decimal == D("0.25")
    assert first.status == enums.FILLED and second.status == enums.OPEN
    assert second.remaining_decimal == D("0.05") and second.traded_decimal == D("0.05")
    assert exchange.book_snapshot(BTC).asks == [(D("90000"), D("0.05"), 1)]
    # all fills of one taker execution share the prefix of their trade ids
    prefixes = {t.trade_id.split("-")[0] for t in trades}
    assert len(prefixes) == 1 and [t.trade_id.split("-")[1] for t in trades] == ["1", "2", "3"]
    assert taker.avg_fill_price_int() == (89999 * 10 + 90000 * 15) * 10 ** 9 // 25


def test_limit_taker_rests_its_remainder(exchange):
    limit(exchange, MAKER, False, "0.1", "90000.0")
    taker = limit(exchange, TAKER, True, "0.3", "90001.0")
    assert taker.status == enums.OPEN and taker.remaining_decimal == D("0.2")
    assert exchange.book_snapshot(BTC).bids == [(D("90001"), D("0.2"), 1)]
    assert exchange.book_snapshot(BTC).asks == []


def test_ioc_cancels_the_remainder(exchange):
    limit(exchange, MAKER, False, "0.1", "90000.0")
    taker = limit(exchange, TAKER, True, "0.3", "90000.0", time_in_force=enums.IMMEDIATE_OR_CANCEL)
    assert (taker.status, taker.reject_reason, taker.traded_decimal) == (
        enums.CANCELLED, enums.IOC_CANCEL, D("0.1"))
    assert exchange.book_snapshot(BTC).bids == []


def test_fok_fills_all_or_nothing(exchange):
    limit(exchange, MAKER, False, "0.1", "90000.0")
    limit(exchange, MAKER, False, "0.1", "90005.0")
    killed = limit(exchange, TAKER, True, "0.3", "90005.0", time_in_force=enums.FILL_OR_KILL)
    assert (killed.status, killed.reject_reason, killed.traded) == (enums.CANCELLED, enums.FOK_CANCEL, 0)
    assert len(exchange.book_snapshot(BTC).asks) == 2
    filled = limit(exchange, TAKER, True, "0.2", "90005.0", time_in_force=enums.FILL_OR_KILL)
    assert filled.status == enums.FILLED and exchange.book_snapshot(BTC).asks == []


def test_fok_does_not_count_liquidity_it_cannot_trade_with(exchange):
    # the taker's own resting order would be cancelled by self-trade protection, so it is not fillable
    own = limit(exchange, TAKER, False, "0.1", "90000.0")
    limit(exchange, MAKER, False, "0.1", "90000.0")
    killed = limit(exchange, TAKER, True, "0.2", "90000.0", time_in_force=enums.FILL_OR_KILL)
    assert (killed.status, killed.reject_reason, killed.traded) == (enums.CANCELLED, enums.FOK_CANCEL, 0)
    assert own.status == enums.OPEN and exchange.position(TAKER, BTC) is None


def test_fok_does_not_count_reduce_only_orders_the_fills_before_them_cancel(exchange):
    # MAKER is long 0.05 with two reduce-only asks of 0.03: once the first one fills, the second exceeds the
    # position and is cancelled (REDUCE_ONLY_LIMIT), so a FOK for 0.06 cannot fill in full and must not fill at all
    limit(exchange, MAKER2, False, "0.05", "90000.0")
    limit(exchange, MAKER, True, "0.05", "90000.0")
    first = limit(exchange, MAKER, False, "0.03", "90000.0", reduce_only=True)
    second = limit(exchange, MAKER, False, "0.03", "90001.0", reduce_only=True)
    killed = limit(exchange, TAKER, True, "0.06", "90001.0", time_in_force=enums.FILL_OR_KILL)
    assert (killed.status, killed.reject_reason, killed.traded) == (enums.CANCELLED, enums.FOK_CANCEL, 0)
    assert first.status == second.status == enums.OPEN and exchange.position(TAKER, BTC) is None
    filled = limit(exchange, TAKER, True, "0.03", "90001.0", time_in_force=enums.FILL_OR_KILL)
    assert filled.status == enums.FILLED and first.status == enums.FILLED
    assert (second.status, second.reject_reason) == (enums.CANCELLED, enums.REDUCE_ONLY_LIMIT)


def test_market_order_walks_the_book_and_cancels_what_is_left(exchange):
    limit(exchange, MAKER, False, "0.1", "90000.0")
    limit(exchange, MAKER, False, "0.1", "91000.0")
    market = exchange.submit_internal_order(TAKER, BTC, True, D("0.3"), None)
    assert (market.status, market.reject_reason, market.traded_decimal) == (
        enums.CANCELLED, enums.MARKET_CANCEL, D("0.2"))
    full = exchange.submit_internal_order(MAKER, BTC, False, D("0.05"), None)
    assert full.status == enums.CANCELLED  # nothing to buy from: the book's bid side is empty


def test_market_ioc_remainder_is_cancelled_as_ioc(exchange):
    # OrderRejectReason.MARKET_CANCEL has "lower precedence than other TimeInForce cancel reasons"
    limit(exchange, MAKER, False, "0.1", "90000.0")
    market = exchange.submit_internal_order(TAKER, BTC, True, D("0.3"), None,
                                            time_in_force=enums.IMMEDIATE_OR_CANCEL)
    assert (market.status, market.reject_reason, market.traded_decimal) == (
        enums.CANCELLED, enums.IOC_CANCEL, D("0.1"))


def test_post_only_that_would_cross_is_rejected(exchange):
    limit(exchange, MAKER, False, "0.1", "90000.0")
    crossing = limit(exchange, TAKER, True, "0.1", "90000.0", post_only=True)
    assert (crossing.status, crossing.reject_reason) == (enums.REJECTED, enums.FAIL_POST_ONLY)
    resting = limit(exchange, TAKER, True, "0.1", "89999.9", post_only=True)
    assert resting.status == enums.OPEN


def test_self_trade_cancels_the_resting_order(exchange):
    own = limit(exchange, TAKER, False, "0.1", "90000.0")
    other = limit(exchange, MAKER, False, "0.1", "90001.0")
    taker = limit(exchange, TAKER, True, "0.1", "90001.0")
    assert (own.status, own.reject_reason) == (enums.CANCELLED, enums.SELF_TRADE_PROTECTION)
    assert other.status == enums.FILLED and taker.status == enums.FILLED


def test_maker_rebate_and_taker_fee(exchange):
    limit(exchange, MAKER, False, "1", "90000.0")
    limit(exchange, TAKER, True, "1", "90000.0")
    instrument = exchange.instruments[BTC]
    maker_fee = D("90000") * instrument.maker_fee_rate / 100
    taker_fee = D("90000") * instrument.taker_fee_rate / 100
    assert maker_fee < 0 < taker_fee
    assert exchange.accounts[MAKER].balance == D("1000000") - maker_fee
    assert exchange.accounts[TAKER].balance == D("1000000") - taker_fee
    assert exchange.position(MAKER, BTC).cumulative_fee == maker_fee


def test_cancel_removes_the_level_and_reports_it(exchange):
    changes = []
    exchange.add_book_listener(lambda instrument, is_bid, price: changes.append((instrument, is_bid, price)))
    order = limit(exchange, MAKER, True, "0.1", "89000.0")
    assert exchange.cancel_internal(MAKER, order_id=order.order_id) is True
    assert (order.status, order.reject_reason) == (enums.CANCELLED, enums.CLIENT_CANCEL)
    assert exchange.book_snapshot(BTC).bids == []
    assert changes == [(BTC, True, 89000 * 10 ** 9)] * 2
    assert exchange.cancel_internal(MAKER, order_id=order.order_id) is False


def test_cancel_all_by_instrument(exchange):
    for price in ("89000.0", "89001.0", "89002.0"):
        limit(exchange, MAKER, True, "0.01", price)
    exchange.submit_internal_order(MAKER, "ETH_USDT_Perp", True, D("0.1"), D("2000"))
    assert exchange.cancel_all_internal(MAKER, instrument=BTC) == 3
    assert [o.instrument_name for o in exchange.open_orders(MAKER)] == ["ETH_USDT_Perp"]


def test_many_levels_keep_sorted_order(exchange):
    prices = [89000 + (i * 37) % 500 for i in range(200)]
    for price in prices:
        limit(exchange, MAKER, True, "0.01", f"{price}.0")
    bids = [price for price, _, _ in exchange.book_snapshot(BTC, depth=None).bids]
    assert bids == sorted(set(D(p) for p in prices), reverse=True)
    for order in list(exchange.open_orders(MAKER))[::3]:
        exchange.cancel_internal(MAKER, order_id=order.order_id)
    remaining = {order.price_decimal for order in exchange.open_orders(MAKER)}
    assert [p for p, _, _ in exchange.book_snapshot(BTC, depth=None).bids] == sorted(remaining, reverse=True)


@pytest.mark.parametrize("size, price, code", [
    ("0.0005", "90000.0", 2062),   # below min size
    ("0.0015", "90000.0", 2065),   # not a multiple of min size
    ("0.001", "90000.05", 2064),   # off tick
    ("0.001", "90000.0", 2066),    # 90 USDT < min notional 100
])
def test_order_rules(exchange, size, price, code):
    with pytest.raises(GrvtApiError) as error:
        limit(exchange, MAKER, True, size, price)
    assert error.value.code == code


def test_time_in_force_and_post_only_combinations(exchange):
    with pytest.raises(GrvtApiError) as error:
        limit(exchange, MAKER, True, "0.01", "90000.0", time_in_force="ALL_OR_NONE")
    assert error.value.code == 2030
    with pytest.raises(GrvtApiError) as error:
        limit(exchange, MAKER, True, "0.01", "90000.0", time_in_force=enums.IMMEDIATE_OR_CANCEL, post_only=True)
    assert error.value.code == 2032


def test_client_order_id_must_be_unique_among_active_orders(exchange):
    order = limit(exchange, MAKER, True, "0.01", "89000.0", client_order_id="9223372036854775900")
    with pytest.raises(GrvtApiError) as error:
        limit(exchange, MAKER, True, "0.01", "89000.0", client_order_id="9223372036854775900")
    assert error.value.code == 2012
    exchange.cancel_internal(MAKER, order_id=order.order_id)
    again = limit(exchange, MAKER, True, "0.01", "89000.0", client_order_id="9223372036854775900")
    assert again.status == enums.OPEN


def test_max_open_orders(exchange):
    exchange.accounts[MAKER].max_open_orders = 3
    for index in range(3):
        limit(exchange, MAKER, True, "0.01", f"{89000 + index}.0")
    with pytest.raises(GrvtApiError) as error:
        limit(exchange, MAKER, True, "0.01", "88000.0")
    assert (error.value.code, error.value.status) == (2090, 429)


class SteppingClock(Clock):
    """Every reading is 1 µs after the previous one, as on a busy machine."""

    __slots__ = ("_now",)

    def __init__(self):
        super().__init__()
        self._now = 1_800_000_000 * 10 ** 9

    def now_ns(self) -> int:
        self._now += 1_000
        return self._now


@pytest.mark.parametrize("self_trade_first", [True, False])
def test_order_history_stays_in_time_order_through_self_trade_cancels(self_trade_first):
    """Matching cancels the taker's own resting orders (self-trade protection) on the way; those entries must not
    be stamped later than the fills appended after them, or a time-filtered order_history page skips entries."""
    exchange = Exchange(SandboxConfig(accounts=[]), clock=SteppingClock())
    for account in (MAKER, TAKER):
        exchange.add_account(account, balance=D("1000000"))
    first, second = (TAKER, MAKER) if self_trade_first else (MAKER, TAKER)
    limit(exchange, first, False, "0.1", "90000.0")
    limit(exchange, second, False, "0.1", "90000.0")
    limit(exchange, MAKER, False, "0.1", "90001.0")
    limit(exchange, TAKER, True, "0.2", "90001.0")
    for account in (MAKER, TAKER):
        history = exchange.accounts[account].order_history
        times = [order.update_time for order in reversed(history.latest(len(history)))]
        assert len(times) >= 1 and times == sorted(times), account
        newest = times[-1]
        items, _ = history.page(100, start_time=newest)
        assert [order.update_time for order in items] == [newest] * times.count(newest), account
