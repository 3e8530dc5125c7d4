"""Invariants of the engine over seeded random order flow: value is conserved, positions are the signed sum of
fills, order state agrees with the fills, the book agrees with its orders, and reduce-only orders only reduce."""
import asyncio
import random
from collections import defaultdict
from decimal import Decimal

import pytest

from grvt_sandbox import enums
from grvt_sandbox.clock import Clock
from grvt_sandbox.config import SandboxConfig
from grvt_sandbox.engine import Exchange
from grvt_sandbox.errors import GrvtApiError
from test.grvt_sandbox.sandbox_helpers import BTC

D = Decimal
ACCOUNTS = ("11", "12", "13", "14")
START_BALANCE = D("1000000")
TIME_IN_FORCE = (enums.GOOD_TILL_TIME,) * 3 + (enums.IMMEDIATE_OR_CANCEL, enums.FILL_OR_KILL)


def new_exchange() -> Exchange:
    exchange = Exchange(SandboxConfig(accounts=[]), Clock())
    for sub_account_id in ACCOUNTS:
        exchange.add_account(sub_account_id, balance=START_BALANCE)
    exchange.set_index_price(BTC, D("90000"))
    return exchange


def random_step(exchange: Exchange, rng: random.Random, delay_s: float = 0.0):
    """One random action: an order (sometimes market, reduce-only or post-only), a cancel, funding or a price move."""
    account = rng.choice(ACCOUNTS)
    time_in_force = rng.choice(TIME_IN_FORCE)
    try:
        exchange.submit_internal_order(
            account, BTC, rng.random() < 0.5, D(rng.randint(1, 50)) / 1000,
            None if rng.random() < 0.1 else D(89900 + rng.randint(0, 200)), time_in_force=time_in_force,
            reduce_only=rng.random() < 0.25, post_only=time_in_force == enums.GOOD_TILL_TIME and rng.random() < 0.2,
            delay_s=delay_s)
    except GrvtApiError:
        pass
    roll = rng.random()
    if roll < 0.05:
        exchange.cancel_all(rng.choice(ACCOUNTS))
    elif roll < 0.07:
        exchange.settle_funding(BTC, D(rng.randint(-30, 30)) / 1000)
    elif roll < 0.1:
        exchange.set_index_price(BTC, D(89900 + rng.randint(0, 200)))


def oldest_first(log):
    return log.latest(len(log))[::-1]


def check_invariants(exchange: Exchange) -> None:
    mark = exchange.markets[BTC].mark_price
    accounts = [exchange.accounts[sub_account_id] for sub_account_id in ACCOUNTS]
    fills = {account.sub_account_id: oldest_first(account.fill_history) for account in accounts}
    orders = {}
    total_fees = total_value = D(0)
    long_sizes = D(0)
    for account in accounts:
        account_fills = fills[account.sub_account_id]
        payments = oldest_first(account.funding_history)
        position = account.positions.get(BTC)
        size = position.size if position is not None else D(0)
        unrealized = position.unrealized_pnl(mark) if position is not None else D(0)
        fees = sum((fill.fee for fill in account_fills), D(0))
        realized = sum((fill.realized_pnl for fill in account_fills), D(0))
        funding = sum((payment.amount for payment in payments), D(0))
        # the position is the signed sum of the fills; the balance moved by realized PnL, fees and funding only
        assert size == sum((D(fill.size).scaleb(-9) * (1 if fill.is_buyer else -1) for fill in account_fills), D(0))
        assert abs(account.balance - (START_BALANCE + realized - fees - funding)) < D("1e-12")
        total_fees += fees
        total_value += account.balance + unrealized
        long_sizes += max(size, D(0))
        # order state agrees with the fills, and the open-size trackers with the active orders
        traded = defaultdict(int)
        for fill in account_fills:
            traded[fill.order_id] += fill.size
        history = oldest_first(account.order_history)
        for order in list(history) + list(account.open_orders.values()):
            orders[order.order_id] = order
            assert order.traded == traded.get(order.order_id, 0), order
            assert order.traded + order.remaining <= order.size, order
            if order.status == enums.FILLED:
                assert order.traded == order.size, order
            if order.time_in_force == enums.FILL_OR_KILL and order.reject_reason != enums.REDUCE_ONLY_LIMIT:
                assert order.traded in (0, order.size), order  # all or nothing (unless trimmed to the position)
            if order.is_terminal:
                assert order.order_id not in account.open_orders, order
        assert account.open_buy_size.get(BTC, 0) == sum(order.remaining for order in account.open_orders.values()
                                                        if order.is_buy)
        assert account.open_sell_size.get(BTC, 0) == sum(order.remaining for order in account.open_orders.values()
                                                         if not order.is_buy)
        # a reduce-only order never opened, grew or flipped the position
        size = D(0)
        for fill in account_fills:
            signed = D(fill.size).scaleb(-9) * (1 if fill.is_buyer else -1)
            if orders.get(fill.order_id) is not None and orders[fill.order_id].reduce_only:
                assert size and (size > 0) != (signed > 0) and abs(signed) <= abs(size), fill.order_id
            size += signed
    # every trade has a buyer and a seller: value only leaves through fees (funding nets to zero)
    assert abs(total_value + total_fees - START_BALANCE * len(ACCOUNTS)) < D("1e-12")
    assert exchange.markets[BTC].open_interest == long_sizes
    # the book holds exactly the open orders, levels add up, and it is not crossed
    book = exchange.books[BTC]
    resting = set()
    for side in (book.bids, book.asks):
        for level in side.iter_levels():
            assert level.total == sum(order.remaining for order in level.orders.values())
            assert level.count == len(level.orders) > 0
            for order in level.orders.values():
                assert order.status == enums.OPEN and order.remaining > 0 and order.price == level.price
                resting.add(order.order_id)
    assert resting == {order.order_id for account in accounts for order in account.open_orders.values()
                       if order.status == enums.OPEN}
    best_bid, best_ask = book.best_bid(), book.best_ask()
    assert best_bid is None or best_ask is None or best_bid < best_ask


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_invariants_hold_under_random_order_flow(seed):
    exchange = new_exchange()
    rng = random.Random(seed)
    for step in range(1500):
        random_step(exchange, rng)
        if step % 250 == 0:
            check_invariants(exchange)
    check_invariants(exchange)


async def test_invariants_hold_when_orders_wait_in_the_speed_bump():
    exchange = new_exchange()
    rng = random.Random(7)
    for _ in range(1500):
        random_step(exchange, rng, delay_s=rng.choice((0.0, 0.002, 0.004)))
        if rng.random() < 0.1:
            await asyncio.sleep(0.002)
    deadline = asyncio.get_running_loop().time() + 30
    while any(order.status == enums.PENDING for sub_account_id in ACCOUNTS
              for order in exchange.accounts[sub_account_id].open_orders.values()):
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    check_invariants(exchange)
