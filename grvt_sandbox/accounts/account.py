"""A sub-account: USDT balance, positions, leverage, active orders and its histories."""
from decimal import Decimal
from typing import TYPE_CHECKING, Dict, Optional

from grvt_sandbox.history import HistoryLog
from grvt_sandbox.instruments import Instrument
from grvt_sandbox.numbers import ZERO

if TYPE_CHECKING:  # the engine package imports this module
    from grvt_sandbox.engine.order import Order


class Position:
    """A perpetual position; `size` is signed (negative = short), prices and PnL in quote currency."""

    __slots__ = ("sub_account_id", "instrument", "size", "entry_price", "exit_price", "exit_size", "realized_pnl",
                 "cumulative_fee", "cumulative_funding_paid", "event_time")

    def __init__(self, sub_account_id: str, instrument: Instrument, event_time: int):
        self.sub_account_id = sub_account_id
        self.instrument = instrument
        self.size = ZERO
        self.entry_price = ZERO
        self.exit_price = ZERO  # average price of the fills that reduced the current position
        self.exit_size = ZERO
        self.realized_pnl = ZERO
        self.cumulative_fee = ZERO
        self.cumulative_funding_paid = ZERO  # GRVT's sign: positive when paid, negative when received
        self.event_time = event_time

    def apply_fill(self, is_buy: bool, quantity: Decimal, price: Decimal) -> Decimal:
        """Updates size/entry price; returns the PnL realized by the part that closed exposure."""
        signed = quantity if is_buy else -quantity
        size = self.size
        realized = ZERO
        if size == 0 or (size > 0) == is_buy:
            if size == 0:
                self._start_new()
            new_size = size + signed
            self.entry_price = (self.entry_price * abs(size) + price * quantity) / abs(new_size)
            self.size = new_size
            return realized
        closing = min(quantity, abs(size))
        realized = (price - self.entry_price) * closing if size > 0 else (self.entry_price - price) * closing
        exit_size = self.exit_size + closing
        self.exit_price = (self.exit_price * self.exit_size + price * closing) / exit_size
        self.exit_size = exit_size
        new_size = size + signed
        self.realized_pnl += realized
        if new_size == 0:
            self.entry_price = ZERO
        elif (new_size > 0) != (size > 0):  # flipped: the remainder opens at the fill price, a new position
            self.entry_price = price
            self._start_new()
        self.size = new_size
        return realized

    def _start_new(self) -> None:
        """A new position has none of the exits, PnL, fees and funding of the one it replaces."""
        self.exit_price = self.exit_size = self.realized_pnl = self.cumulative_fee = ZERO
        self.cumulative_funding_paid = ZERO

    def unrealized_pnl(self, mark_price: Decimal) -> Decimal:
        return (mark_price - self.entry_price) * self.size if self.size else ZERO


class SubAccount:
    """A trading sub-account. `signers` maps lowercase wallet addresses to whether they may trade."""

    def __init__(
        self,
        sub_account_id: str,
        balance: Decimal,
        main_account_id: str,
        record_history: bool = True,
        max_open_orders: int = 500,
        history_size: int = 200_000,
    ):
        self.sub_account_id = sub_account_id
        self.main_account_id = main_account_id
        self.balance = Decimal(balance)
        self.signers: Dict[str, bool] = {}
        self.positions: Dict[str, Position] = {}
        self.leverage: Dict[str, Decimal] = {}
        self.open_orders: Dict[str, "Order"] = {}  # order_id -> Order (pending or resting)
        self.active_client_ids: Dict[str, "Order"] = {}  # client_order_id -> Order
        self.reduce_only_orders: Dict[str, "Order"] = {}  # order_id -> active reduce-only Order
        self.open_buy_size: Dict[str, int] = {}  # instrument -> remaining size of active buys
        self.open_sell_size: Dict[str, int] = {}
        self.max_open_orders = max_open_orders
        self.record_history = record_history
        self.check_margin = True  # False for the sandbox's own market accounts: no margin/position limits
        self.order_history: HistoryLog = HistoryLog(history_size, lambda order: order.update_time,
                                                    lambda order: (order.order_id, ("client", order.client_order_id)))
        self.fill_history: HistoryLog = HistoryLog(history_size)
        self.funding_history: HistoryLog = HistoryLog(history_size)
        self.cancel_on_disconnect_deadline_ns: Optional[int] = None
        self.total_fees = ZERO

    def add_signer(self, address: str, can_trade: bool = True) -> None:
        self.signers[address.lower()] = can_trade

    def position(self, instrument: Instrument) -> Optional[Position]:
        return self.positions.get(instrument.name)

    def position_size(self, instrument_name: str) -> Decimal:
        position = self.positions.get(instrument_name)
        return position.size if position is not None else ZERO

    def get_or_create_position(self, instrument: Instrument, now_ns: int) -> Position:
        position = self.positions.get(instrument.name)
        if position is None:
            position = Position(self.sub_account_id, instrument, now_ns)
            self.positions[instrument.name] = position
        return position

    def leverage_for(self, instrument: Instrument) -> Decimal:
        return self.leverage.get(instrument.name, instrument.default_leverage)

    def track_active(self, order: "Order") -> None:
        self.open_orders[order.order_id] = order
        self.active_client_ids[order.client_order_id] = order
        if order.reduce_only:
            self.reduce_only_orders[order.order_id] = order
        book = self.open_buy_size if order.is_buy else self.open_sell_size
        book[order.instrument.name] = book.get(order.instrument.name, 0) + order.remaining

    def reduce_active(self, order: "Order", quantity: int) -> None:
        book = self.open_buy_size if order.is_buy else self.open_sell_size
        book[order.instrument.name] -= quantity

    def untrack_active(self, order: "Order") -> None:
        if self.open_orders.pop(order.order_id, None) is None:
            return
        if self.active_client_ids.get(order.client_order_id) is order:
            del self.active_client_ids[order.client_order_id]
        if order.reduce_only:
            self.reduce_only_orders.pop(order.order_id, None)
        book = self.open_buy_size if order.is_buy else self.open_sell_size
        book[order.instrument.name] -= order.remaining
