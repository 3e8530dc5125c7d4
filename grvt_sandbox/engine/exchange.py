"""The exchange core: instruments, books, accounts, order entry and matching, fills, positions and funding.

Everything here is synchronous and single-threaded (the asyncio loop thread); gateways and the synthetic
market call it directly. See `grvt_sandbox.engine` for the API overview.
"""
import asyncio
import heapq
import itertools
import os
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from grvt_sandbox import enums
from grvt_sandbox.accounts.account import Position, SubAccount
from grvt_sandbox.accounts.margin import MarginState, has_margin_for, margin_state
from grvt_sandbox.accounts.registry import AccountRegistry
from grvt_sandbox.clock import Clock
from grvt_sandbox.config import AccountConfig, SandboxConfig
from grvt_sandbox.engine.book import BookSide, OrderBook
from grvt_sandbox.engine.events import EngineEvents
from grvt_sandbox.engine.market_data import InstrumentMarket
from grvt_sandbox.engine.order import Order
from grvt_sandbox.engine.records import Fill, FundingPayment, FundingRateRecord, Trade
from grvt_sandbox.engine.validation import OrderRequest, validate_order
from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.instruments import Instrument, InstrumentRegistry
from grvt_sandbox.numbers import PRICE_DECIMALS, ZERO, parse_decimal, scaled_to_decimal, to_scaled

HUNDRED = Decimal(100)
INTERNAL_EXPIRATION_NS = 10 ** 18 * 9  # far future: internal orders never expire
DEFAULT_INTERNAL_BALANCE = Decimal("1000000000")


@dataclass(frozen=True)
class BookSnapshot:
    """Levels best first as (price, size, num_orders) Decimals/ints."""
    instrument: str
    event_time: int
    bids: List[Tuple[Decimal, Decimal, int]]
    asks: List[Tuple[Decimal, Decimal, int]]


class Exchange:
    def __init__(self, config: Optional[SandboxConfig] = None, clock: Optional[Clock] = None):
        self.config = config or SandboxConfig()
        self.clock = clock or Clock()
        self.instruments = InstrumentRegistry()
        self.accounts = AccountRegistry()
        self.books: Dict[str, OrderBook] = {}
        self.markets: Dict[str, InstrumentMarket] = {}
        self.events = EngineEvents()
        self._order_prefix = int.from_bytes(os.urandom(6), "big") | 1 << 47
        self._order_counter = itertools.count(1)
        self._internal_client_ids = itertools.count(1 << 62)
        self._execution_counter = itertools.count(int.from_bytes(os.urandom(3), "big"))
        self._funding_tx_counter = itertools.count(1)
        self._expiry_heap: List[Tuple[int, int, Order]] = []
        self._countdown_accounts: Dict[str, SubAccount] = {}  # accounts with a cancel-on-disconnect deadline
        self._expiry_tiebreak = itertools.count()
        self._cancel_ttls: Dict[Tuple[str, str], int] = {}  # (sub account, client order id) -> ttl end ns
        now = self.clock.now_ns()
        for spec in self.config.instruments:
            self.add_instrument(Instrument.from_spec(spec, now), Decimal(spec.initial_price))
        for account_config in self.config.accounts:
            self.add_account_from_config(account_config)

    # ------------------------------------------------------------------ registry
    def now_ns(self) -> int:
        return self.clock.now_ns()

    def add_instrument(self, instrument: Instrument, initial_price: Decimal) -> Instrument:
        self.instruments.add(instrument)
        book = OrderBook(instrument)
        name = instrument.name
        emit_book = self.events.book.emit
        book.level_listeners.append(lambda is_bid, price: emit_book(name, is_bid, price))
        self.books[name] = book
        market = InstrumentMarket(instrument, Decimal(initial_price), self.config.trade_log_size)
        market.next_funding_time = self._next_funding_time(instrument, self.clock.now_ns())
        market.funding_rate = self._funding_rate(market)
        self.markets[name] = market
        return instrument

    def instrument(self, name: str) -> Instrument:
        instrument = self.instruments.get(name)
        if instrument is None:
            raise GrvtApiError(3000, f"unknown instrument {name!r}")
        return instrument

    def add_account(
        self,
        sub_account_id: str,
        balance: Decimal = DEFAULT_INTERNAL_BALANCE,
        signers: Iterable[str] = (),
        main_account_id: Optional[str] = None,
        record_history: bool = True,
        check_margin: bool = True,
        max_open_orders: Optional[int] = None,
    ) -> SubAccount:
        """Creates (or returns the existing) sub-account. Bots usually pass record_history=False."""
        sub_account_id = str(sub_account_id)
        existing = self.accounts.get(sub_account_id)
        if existing is not None:
            for signer in signers:
                existing.add_signer(signer)
            return existing
        account = SubAccount(
            sub_account_id, Decimal(balance), main_account_id or f"0x{int(sub_account_id) & (2 ** 160 - 1):040x}",
            record_history=record_history, history_size=self.config.history_size,
            max_open_orders=max_open_orders if max_open_orders is not None else self.config.max_open_orders)
        account.check_margin = check_margin
        for signer in signers:
            account.add_signer(signer)
        return self.accounts.add(account)

    def add_account_from_config(self, config: AccountConfig) -> SubAccount:
        account = self.add_account(config.sub_account_id, Decimal(config.balance), config.signers,
                                   main_account_id=config.main_account_id)
        for signer in config.read_only_signers:
            account.add_signer(signer, can_trade=False)
        return account

    def account(self, sub_account_id: str) -> SubAccount:
        account = self.accounts.get(sub_account_id)
        if account is None:
            raise GrvtApiError(1001, f"unknown sub account {sub_account_id!r}")
        return account

    # ------------------------------------------------------------------ prices and books
    def mark_price(self, instrument: Instrument) -> Decimal:
        return self.markets[instrument.name].mark_price

    def _instrument_of(self, name: str) -> Instrument:
        return self.instruments[name]

    def set_index_price(self, instrument: str, index_price: Decimal, mark_price: Optional[Decimal] = None) -> None:
        """Moves the index (and the mark, which follows the index unless given)."""
        market = self.markets[self.instrument(instrument).name]
        index_price = Decimal(index_price)
        market.set_prices(self.clock.now_ns(), index_price,
                          Decimal(mark_price) if mark_price is not None else index_price)
        self.events.price.emit(instrument)

    def best_bid(self, instrument: str) -> Optional[Decimal]:
        price = self.books[self.instrument(instrument).name].bids.best_price()
        return None if price is None else scaled_to_decimal(price, PRICE_DECIMALS)

    def best_ask(self, instrument: str) -> Optional[Decimal]:
        price = self.books[self.instrument(instrument).name].asks.best_price()
        return None if price is None else scaled_to_decimal(price, PRICE_DECIMALS)

    def mid_price(self, instrument: str) -> Optional[Decimal]:
        bid, ask = self.best_bid(instrument), self.best_ask(instrument)
        return None if bid is None or ask is None else (bid + ask) / 2

    def book_snapshot(self, instrument: str, depth: Optional[int] = 10) -> BookSnapshot:
        inst = self.instrument(instrument)
        book = self.books[inst.name]
        decimals = inst.base_decimals

        def convert(levels: List[Tuple[int, int, int]]) -> List[Tuple[Decimal, Decimal, int]]:
            return [(scaled_to_decimal(price, PRICE_DECIMALS), scaled_to_decimal(size, decimals), count)
                    for price, size, count in levels]
        return BookSnapshot(inst.name, self.clock.now_ns(), convert(book.bids.top(depth)),
                            convert(book.asks.top(depth)))

    # ------------------------------------------------------------------ observers (for the synthetic market)
    def add_trade_listener(self, callback: Callable[[Trade], None]) -> Callable[[], None]:
        return self.events.trade.add(callback)

    def add_order_listener(self, callback: Callable[[Order], None]) -> Callable[[], None]:
        return self.events.order.add(callback)

    def add_book_listener(self, callback: Callable[[str, bool, int], None]) -> Callable[[], None]:
        return self.events.book.add(callback)

    # ------------------------------------------------------------------ order entry
    def new_order_id(self) -> str:
        return f"0x{self._order_prefix:012x}{next(self._order_counter):020x}"

    def accept_order(self, request: OrderRequest, is_internal: bool = False) -> Order:
        """Validates an order and makes it active (PENDING) without processing it. Raises GrvtApiError for
        synchronous rejections. An open cancel time-to-live for its client order id marks it for cancellation."""
        account = self.account(request.sub_account_id)
        instrument = self.instrument(request.instrument)
        now = self.clock.now_ns()
        order = validate_order(self, account, instrument, request, now)
        order.is_internal = is_internal
        account.track_active(order)
        if self._cancel_ttls:
            ttl_end = self._cancel_ttls.pop((account.sub_account_id, order.client_order_id), None)
            if ttl_end is not None:
                if ttl_end > now:
                    order.cancel_requested = enums.CLIENT_CANCEL
                else:  # lapsed before the timer noticed
                    self._cancel_ttl_expired(account.sub_account_id, order.client_order_id)
        return order

    def place_order(self, request: OrderRequest, speed_bump_s: float = 0.0, is_internal: bool = False) -> Order:
        """Accepts an order (PENDING); matching happens after `speed_bump_s` (on the running loop) or at once when
        there is no loop/delay."""
        order = self.accept_order(request, is_internal)
        self._schedule(speed_bump_s, lambda: self._process(order))
        return order

    def reject_order(self, order: Order, reason: str) -> None:
        """Rejects an accepted, not yet processed order with `reason` (soon, on the loop), as GRVT does when a
        check after the acknowledgement fails."""
        self._schedule(0.0, lambda: self._reject(order, reason))

    def submit_internal_order(
        self,
        sub_account_id: str,
        instrument: str,
        is_buy: bool,
        size: Decimal,
        price: Optional[Decimal],
        time_in_force: str = enums.GOOD_TILL_TIME,
        post_only: bool = False,
        reduce_only: bool = False,
        client_order_id: Optional[str] = None,
        delay_s: float = 0.0,
    ) -> Order:
        """Unsigned order entry for sandbox-owned accounts (market makers, takers). `price=None` is a market
        order. With delay_s=0 the order is matched before this returns; synchronous rejections raise."""
        request = OrderRequest(
            sub_account_id=str(sub_account_id), instrument=instrument, is_buy=is_buy,
            size=Decimal(size), price=None if price is None else Decimal(price), is_market=price is None,
            time_in_force=time_in_force, post_only=post_only, reduce_only=reduce_only,
            client_order_id=client_order_id or str(next(self._internal_client_ids)),
            expiration=INTERNAL_EXPIRATION_NS, signature=None)
        if delay_s > 0:
            return self.place_order(request, delay_s, is_internal=True)
        order = self.accept_order(request, is_internal=True)
        self._process(order)
        return order

    def _schedule(self, delay_s: float, callback: Callable[[], None]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            callback()
            return
        if delay_s > 0:
            loop.call_later(delay_s, callback)
        else:
            loop.call_soon(callback)

    # ------------------------------------------------------------------ cancels
    def cancel_order(self, sub_account_id: str, order_id: Optional[str] = None,
                     client_order_id: Optional[str] = None, reason: str = enums.CLIENT_CANCEL,
                     time_to_live_ms: Optional[int] = None) -> bool:
        """Cancels one active order; a PENDING order is cancelled as soon as it is processed. Cancelling an
        unknown client_order_id opens a time-to-live window in which an order with that id is dropped."""
        account = self.account(sub_account_id)
        order = None
        if order_id:
            order = account.open_orders.get(order_id)
        elif client_order_id:
            order = account.active_client_ids.get(client_order_id)
            if order is None:
                self._open_cancel_ttl(account, client_order_id, time_to_live_ms)
                return False
        if order is None:
            return False
        if order.status == enums.PENDING:
            order.cancel_requested = reason
            return True
        self._cancel(order, reason)
        return True

    def cancel_internal(self, sub_account_id: str, order_id: Optional[str] = None,
                        client_order_id: Optional[str] = None) -> bool:
        return self.cancel_order(sub_account_id, order_id, client_order_id)

    def cancel_all(self, sub_account_id: str, instrument: Optional[str] = None,
                   reason: str = enums.CLIENT_BULK_CANCEL, accept: Optional[Callable[[Order], bool]] = None) -> int:
        account = self.account(sub_account_id)
        count = 0
        for order in list(account.open_orders.values()):
            if instrument is not None and order.instrument.name != instrument:
                continue
            if accept is not None and not accept(order):
                continue
            if order.status == enums.PENDING:
                order.cancel_requested = reason
            else:
                self._cancel(order, reason)
            count += 1
        return count

    def cancel_all_internal(self, sub_account_id: str, instrument: Optional[str] = None) -> int:
        return self.cancel_all(sub_account_id, instrument)

    def _open_cancel_ttl(self, account: SubAccount, client_order_id: str, time_to_live_ms: Optional[int]) -> None:
        ttl = time_to_live_ms or self.config.cancel_ttl_default_ms
        ttl = min(ttl - ttl % 100, self.config.cancel_ttl_max_ms) or self.config.cancel_ttl_default_ms
        key = (account.sub_account_id, client_order_id)
        now = self.clock.now_ns()
        if self._cancel_ttls.get(key, 0) > now:
            self.events.cancel_status.emit(account.sub_account_id, client_order_id, "0x00", enums.CLIENT_CANCEL,
                                           "DROPPED_DUPLICATE")
            return
        self._cancel_ttls[key] = now + ttl * 1_000_000

    def _cancel_ttl_expired(self, sub_account_id: str, client_order_id: str) -> None:
        self.events.cancel_status.emit(sub_account_id, client_order_id, "0x00", enums.CLIENT_CANCEL, "EXPIRED")

    def _cancel(self, order: Order, reason: str, now: Optional[int] = None) -> None:
        if order.is_terminal:
            return
        if order.level is not None:
            side = self.books[order.instrument.name].side(order.is_buy)
            price = order.price
            side.remove(order)
            self.books[order.instrument.name].notify(order.is_buy, price)
        self._finish(order, enums.CANCELLED, reason, now)

    def _reject(self, order: Order, reason: str) -> None:
        if order.status != enums.PENDING:
            return
        self._finish(order, enums.REJECTED, reason)

    def _finish(self, order: Order, status: str, reason: str, now: Optional[int] = None) -> None:
        """`now`: the time of the matching step that ends the order, so that the fills appended to order_history
        after it (stamped with that time) do not come before it in time."""
        account = self.accounts[order.sub_account_id]
        account.untrack_active(order)
        order.status = status
        order.reject_reason = reason
        order.update_time = self.clock.now_ns() if now is None else now
        if account.record_history:
            account.order_history.append(order)
        self.events.order.emit(order)

    def forget_orders(self, keep_internal: bool = False) -> int:
        """An exchange that lost its memory: every active order (of API accounts only, with `keep_internal`)
        leaves the books without a stream update or a history entry; cancel time-to-live windows and
        cancel-on-disconnect countdowns are gone too. Returns how many orders were dropped."""
        dropped = 0
        for account in self.accounts:
            for order in list(account.open_orders.values()):
                if keep_internal and order.is_internal:
                    continue
                if order.level is not None:
                    book = self.books[order.instrument.name]
                    book.side(order.is_buy).remove(order)
                    book.notify(order.is_buy, order.price)
                account.untrack_active(order)
                order.status = enums.CANCELLED  # so a pending speed bump or expiry leaves it alone
                order.reject_reason = enums.SYSTEM_FAILOVER
                dropped += 1
            account.cancel_on_disconnect_deadline_ns = None
        self._countdown_accounts.clear()
        self._cancel_ttls.clear()
        return dropped

    # ------------------------------------------------------------------ matching
    def _process(self, order: Order) -> None:
        if order.status != enums.PENDING:
            return
        now = self.clock.now_ns()
        if order.cancel_requested:
            self._finish(order, enums.CANCELLED, order.cancel_requested)
            return
        if order.expiration <= now:
            self._finish(order, enums.CANCELLED, enums.EXPIRED)
            return
        instrument = order.instrument
        book = self.books[instrument.name]
        opposite = book.asks if order.is_buy else book.bids
        if order.reduce_only and not self._clamp_reduce_only(order):
            return
        best = opposite.best_price()
        if best is None:
            crosses = False
        elif order.is_market:
            crosses = True
        else:
            crosses = best <= order.price if order.is_buy else best >= order.price
        if order.post_only and crosses:
            self._finish(order, enums.REJECTED, enums.FAIL_POST_ONLY)
            return
        if order.time_in_force == enums.FILL_OR_KILL and self._available(order, opposite, now) < order.remaining:
            self._finish(order, enums.CANCELLED, enums.FOK_CANCEL)
            return
        taker_fills: List[Fill] = []
        if crosses:
            self._match(order, book, opposite, taker_fills, now)
        if order.remaining == 0 and order.traded < order.size:  # a reduce-only order trimmed to the position
            self._finish(order, enums.CANCELLED, enums.REDUCE_ONLY_LIMIT)
        elif order.remaining == 0:
            self.accounts[order.sub_account_id].untrack_active(order)
            order.status = enums.FILLED
            order.update_time = now
            account = self.accounts[order.sub_account_id]
            if account.record_history:
                account.order_history.append(order)
            self.events.order.emit(order)
        elif order.time_in_force != enums.GOOD_TILL_TIME:  # IOC_CANCEL takes precedence over MARKET_CANCEL
            self._finish(order, enums.CANCELLED, enums.IOC_CANCEL)
        elif order.is_market:
            self._finish(order, enums.CANCELLED, enums.MARKET_CANCEL)
        else:
            book.side(order.is_buy).add(order)
            order.status = enums.OPEN
            order.update_time = now
            book.notify(order.is_buy, order.price)
            if order.expiration < INTERNAL_EXPIRATION_NS:
                heapq.heappush(self._expiry_heap, (order.expiration, next(self._expiry_tiebreak), order))
            self.events.order.emit(order)
        if taker_fills:
            emit_fill = self.events.fill.emit
            for fill in taker_fills:
                emit_fill(fill)
            self.events.position.emit(self.accounts[order.sub_account_id].positions[instrument.name])
        if order.cancel_requested and order.status == enums.OPEN:
            self._cancel(order, order.cancel_requested)

    def _clamp_reduce_only(self, order: Order) -> bool:
        """A reduce-only order may only shrink the position it finds when it is processed."""
        size = self.accounts[order.sub_account_id].position_size(order.instrument.name)
        allowed = 0 if (size == 0 or (size > 0) == order.is_buy) else to_scaled(abs(size),
                                                                                order.instrument.base_decimals)
        if allowed == 0:
            self._finish(order, enums.CANCELLED, enums.FAIL_REDUCE_ONLY)
            return False
        if order.remaining > allowed:
            self.accounts[order.sub_account_id].reduce_active(order, order.remaining - allowed)
            order.remaining = allowed
        return True

    def _available(self, order: Order, opposite: BookSide, now: int) -> int:
        """Size the order could trade now: matching skips (cancels) its own and expired resting orders, and a
        reduce-only order that the fills before it leave larger than its account's position."""
        total = 0
        positions: Dict[str, int] = {}  # maker account -> its position (scaled) after the fills so far
        decimals = order.instrument.base_decimals
        for level in opposite.iter_levels():
            if not order.is_market and (level.price > order.price if order.is_buy else level.price < order.price):
                break
            for maker in level.orders.values():
                if maker.sub_account_id == order.sub_account_id or maker.expiration <= now:
                    continue
                position = positions.get(maker.sub_account_id)
                if position is None:
                    position = to_scaled(self.accounts[maker.sub_account_id].position_size(order.instrument.name),
                                         decimals)
                if maker.reduce_only and maker.remaining > (abs(position) if (position > 0) != maker.is_buy else 0):
                    continue
                quantity = min(maker.remaining, order.remaining - total)
                positions[maker.sub_account_id] = position + (quantity if maker.is_buy else -quantity)
                total += quantity
                if total >= order.remaining:
                    return total
        return total

    def _match(self, taker: Order, book: OrderBook, opposite: BookSide, taker_fills: List[Fill], now: int) -> None:
        execution_id = next(self._execution_counter)
        trade_number = 0
        is_buy = taker.is_buy
        limit = taker.price
        is_market = taker.is_market
        while taker.remaining:
            level = opposite.best()
            if level is None:
                break
            price = level.price
            if not is_market and (price > limit if is_buy else price < limit):
                break
            orders = level.orders
            while taker.remaining and level.count:
                maker = next(iter(orders.values()))
                if maker.sub_account_id == taker.sub_account_id:
                    self._cancel(maker, enums.SELF_TRADE_PROTECTION, now)
                    continue
                if maker.expiration <= now:
                    self._cancel(maker, enums.EXPIRED, now)
                    continue
                quantity = taker.remaining if taker.remaining < maker.remaining else maker.remaining
                trade_number += 1
                self._execute(taker, maker, opposite, quantity, price, f"{execution_id}-{trade_number}", now,
                              taker_fills)
            book.notify(not is_buy, price)

    def _execute(self, taker: Order, maker: Order, maker_side: BookSide, quantity: int, price: int, trade_id: str,
                 now: int, taker_fills: List[Fill]) -> None:
        instrument = taker.instrument
        maker_side.reduce(maker, quantity)
        notional_int = price * quantity
        maker.traded += quantity
        maker.traded_notional += notional_int
        maker.update_time = now
        taker.remaining -= quantity
        taker.traded += quantity
        taker.traded_notional += notional_int
        taker.update_time = now
        maker_account = self.accounts[maker.sub_account_id]
        taker_account = self.accounts[taker.sub_account_id]
        maker_account.reduce_active(maker, quantity)
        taker_account.reduce_active(taker, quantity)

        size = scaled_to_decimal(quantity, instrument.base_decimals)
        trade_price = scaled_to_decimal(price, PRICE_DECIMALS)
        market = self.markets[instrument.name]
        maker_fill = self._settle_fill(maker_account, maker, False, size, trade_price, quantity, price, trade_id,
                                       now, instrument.maker_fee_rate, market)
        taker_fill = self._settle_fill(taker_account, taker, True, size, trade_price, quantity, price, trade_id,
                                       now, instrument.taker_fee_rate, market)
        taker_fills.append(taker_fill)
        trade = Trade(now, instrument, taker.is_buy, quantity, price, size, trade_price, market.mark_price,
                      market.index_price, trade_id, taker.sub_account_id, maker.sub_account_id, taker.order_id,
                      maker.order_id)
        market.record_trade(trade)

        if maker.remaining == 0:
            maker_account.untrack_active(maker)
            if maker.traded < maker.size:  # a reduce-only order trimmed to the position when it was processed
                maker.status, maker.reject_reason = enums.CANCELLED, enums.REDUCE_ONLY_LIMIT
            else:
                maker.status = enums.FILLED
            if maker_account.record_history:
                maker_account.order_history.append(maker)
        events = self.events
        events.order.emit(maker)
        events.fill.emit(maker_fill)
        events.position.emit(maker_account.positions[instrument.name])
        events.trade.emit(trade)
        if maker_account.reduce_only_orders:
            self._enforce_reduce_only(maker_account, instrument, now)
        if taker_account.reduce_only_orders:
            self._enforce_reduce_only(taker_account, instrument, now)

    def _enforce_reduce_only(self, account: SubAccount, instrument: Instrument, now: Optional[int] = None) -> None:
        """Cancels resting reduce-only orders larger than the part of the position they could still close."""
        size = account.position_size(instrument.name)
        for order in list(account.reduce_only_orders.values()):
            if order.instrument is not instrument or order.level is None:
                continue
            closes = size != 0 and (size > 0) != order.is_buy
            allowed = to_scaled(abs(size), instrument.base_decimals) if closes else 0
            if order.remaining > allowed:
                self._cancel(order, enums.REDUCE_ONLY_LIMIT, now)

    def _settle_fill(self, account: SubAccount, order: Order, is_taker: bool, size: Decimal, price: Decimal,
                     quantity: int, price_int: int, trade_id: str, now: int, fee_rate: Decimal,
                     market: InstrumentMarket) -> Fill:
        position = account.positions.get(order.instrument.name)
        if position is None:
            position = account.get_or_create_position(order.instrument, now)
        before = position.size
        realized = position.apply_fill(order.is_buy, size, price)
        fee = size * price * fee_rate / HUNDRED
        account.balance += realized - fee
        position.cumulative_fee += fee
        position.event_time = now
        market.open_interest += max(position.size, ZERO) - max(before, ZERO)
        fill = Fill(now, account.sub_account_id, order.instrument, order.is_buy, is_taker, quantity, price_int,
                    market.mark_price, market.index_price, realized, fee, fee_rate, trade_id, order.order_id,
                    order.client_order_id, order.signer)
        if account.record_history:
            account.fill_history.append(fill)
        return fill

    # ------------------------------------------------------------------ margin, leverage
    def margin(self, account: SubAccount) -> MarginState:
        return margin_state(account, self._instrument_of, self.mark_price)

    def has_margin_for(self, account: SubAccount, order: Order) -> bool:
        if not account.check_margin:
            return True
        return has_margin_for(account, order, self._instrument_of, self.mark_price)

    def set_initial_leverage(self, sub_account_id: str, instrument: str, leverage: Any) -> None:
        account = self.account(sub_account_id)
        inst = self.instrument(instrument)
        value = parse_decimal(leverage)
        if value is None or value <= 0:
            raise GrvtApiError(2100)
        if value < 1:
            raise GrvtApiError(2107)
        if value > inst.max_leverage:
            raise GrvtApiError(2108)
        account.leverage[inst.name] = value
        position = account.positions.get(inst.name)
        if position is not None:
            self.events.position.emit(position)

    # ------------------------------------------------------------------ timers
    def on_timer(self) -> None:
        """Called every few ms by the server: expiries, cancel-on-disconnect, cancel TTLs, funding."""
        now = self.clock.now_ns()
        heap = self._expiry_heap
        while heap and heap[0][0] <= now:
            _, _, order = heapq.heappop(heap)
            if not order.is_terminal:
                self._cancel(order, enums.EXPIRED)
        if self._cancel_ttls:
            for key, end in list(self._cancel_ttls.items()):
                if end <= now:
                    del self._cancel_ttls[key]
                    self._cancel_ttl_expired(*key)
        if len(heap) > 4096 and len(heap) > 4 * sum(len(a.open_orders) for a in self.accounts):
            self._expiry_heap = heap = [entry for entry in heap if not entry[2].is_terminal]
            heapq.heapify(heap)
        for account in list(self._countdown_accounts.values()):
            deadline = account.cancel_on_disconnect_deadline_ns
            if deadline is None:
                del self._countdown_accounts[account.sub_account_id]
            elif deadline <= now:
                account.cancel_on_disconnect_deadline_ns = None
                del self._countdown_accounts[account.sub_account_id]
                self.cancel_all(account.sub_account_id, reason=enums.CLIENT_CANCEL_ON_DISCONNECT_TRIGGERED)
        for market in self.markets.values():
            if market.next_funding_time <= now:
                self.settle_funding(market.instrument.name)

    def sample_premium(self) -> None:
        """Records (mid - index) / index for each instrument; the funding rate uses their average."""
        for name, market in self.markets.items():
            mid = self.mid_price(name)
            if mid is not None and market.index_price:
                market.premium_sum += (mid - market.index_price) / market.index_price
                market.premium_samples += 1
                market.funding_rate = self._funding_rate(market)
                market.candles["MID"].record_price(self.clock.now_ns(), mid)

    def set_cancel_on_disconnect(self, sub_account_id: str, countdown_ms: int) -> None:
        account = self.account(sub_account_id)
        # GRVT: 0 to 1,000 ms rounds to 0 and turns the countdown off; above, it is rounded down to whole seconds
        countdown_ms = 0 if countdown_ms <= 1000 else countdown_ms - countdown_ms % 1000
        if countdown_ms == 0:
            account.cancel_on_disconnect_deadline_ns = None
            return
        account.cancel_on_disconnect_deadline_ns = self.clock.now_ns() + countdown_ms * 1_000_000
        self._countdown_accounts[account.sub_account_id] = account

    # ------------------------------------------------------------------ funding
    def _funding_period_ns(self, instrument: Instrument) -> int:
        if self.config.funding_period_s:
            return int(self.config.funding_period_s * 1_000_000_000)
        return instrument.funding_interval_hours * 3_600_000_000_000

    def _next_funding_time(self, instrument: Instrument, now: int) -> int:
        period = self._funding_period_ns(instrument)
        return now - now % period + period

    @staticmethod
    def _funding_rate(market: InstrumentMarket) -> Decimal:
        """Percent per interval: average premium plus a 0.01 % base scaled to the interval, clamped."""
        instrument = market.instrument
        premium = market.premium_sum / market.premium_samples if market.premium_samples else ZERO
        rate = premium * HUNDRED + Decimal("0.01") * instrument.funding_interval_hours / 8
        rate = min(max(rate, instrument.funding_rate_floor), instrument.funding_rate_cap)
        return round(rate, 6)

    def settle_funding(self, instrument: str, rate: Optional[Decimal] = None) -> Decimal:
        """Pays funding now at `rate` percent (default: the current estimate); longs pay when it is positive."""
        inst = self.instrument(instrument)
        market = self.markets[inst.name]
        now = self.clock.now_ns()
        rate = Decimal(rate) if rate is not None else self._funding_rate(market)
        mark = market.mark_price
        market.funding_history.append(FundingRateRecord(now, inst, rate, mark))
        for account in self.accounts:
            position = account.positions.get(inst.name)
            if position is None or not position.size:
                continue
            # GRVT's FundingPayment.amount and Positions.cumulative_realized_funding_payment: "Positive if paid,
            # negative if received"; a long pays when the rate is positive
            paid = position.size * mark * rate / HUNDRED
            account.balance -= paid
            position.cumulative_funding_paid += paid
            position.event_time = now
            payment = FundingPayment(now, account.sub_account_id, inst, paid, str(next(self._funding_tx_counter)))
            if account.record_history:
                account.funding_history.append(payment)
            self.events.funding.emit(payment)
            self.events.position.emit(position)
        market.premium_sum = ZERO
        market.premium_samples = 0
        market.funding_rate = rate
        market.next_funding_time = self._next_funding_time(inst, now)
        return rate

    # ------------------------------------------------------------------ queries
    def open_orders(self, sub_account_id: str, instrument: Optional[str] = None) -> List[Order]:
        account = self.account(sub_account_id)
        return [order for order in account.open_orders.values()
                if instrument is None or order.instrument.name == instrument]

    def find_order(self, sub_account_id: str, order_id: Optional[str] = None,
                   client_order_id: Optional[str] = None) -> Optional[Order]:
        """An active order, else the newest finished one with that id."""
        account = self.account(sub_account_id)
        if order_id:
            return account.open_orders.get(order_id) or account.order_history.find(order_id)
        if client_order_id is None:
            return None
        return account.active_client_ids.get(client_order_id) or account.order_history.find(("client", client_order_id))

    def position(self, sub_account_id: str, instrument: str) -> Optional[Position]:
        return self.account(sub_account_id).positions.get(instrument)

    def position_notional(self, position: Position) -> Decimal:
        return position.size * self.markets[position.instrument.name].mark_price
