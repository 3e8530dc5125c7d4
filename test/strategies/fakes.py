"""A connector double for controller unit tests: a book the test moves, orders recorded, events fired by hand."""
from decimal import Decimal
from itertools import count
from types import SimpleNamespace
from typing import Any, Dict, List, Optional

from hummingbot.connector.trading_rule import TradingRule
from hummingbot.core.data_type.common import OrderType, PositionAction, PriceType, TradeType
from hummingbot.core.data_type.trade_fee import AddedToCostTradeFee, TokenAmount
from hummingbot.core.event.events import (
    BuyOrderCreatedEvent,
    MarketEvent,
    MarketOrderFailureEvent,
    OrderCancelledEvent,
    OrderFilledEvent,
    SellOrderCreatedEvent,
)

PAIR = "BTC-USDT"
CONNECTOR = "grvt_perpetual_testnet"


class FakeClock:
    """Stands in for the ``time`` module of a controller: wall clock and perf counter move only when told."""

    def __init__(self, start: float = 1_000_000.0):
        self.now = start

    def time(self) -> float:
        return self.now

    def perf_counter(self) -> float:
        return self.now

    def advance(self, seconds: float):
        self.now += seconds


class FakeBook:
    def __init__(self, bid: float, ask: float):
        self.bid, self.ask = bid, ask
        self.snapshot_uid = 1
        self.last_diff_uid = 0
        self.listeners: Dict[Any, List[Any]] = {}

    def get_price(self, is_buy: bool) -> float:
        price = self.ask if is_buy else self.bid
        if price is None:  # as Hummingbot's OrderBook on an empty side
            raise EnvironmentError("Order book is empty - no price quote is possible.")
        return price

    def move(self, bid: Optional[float], ask: Optional[float]):
        self.bid, self.ask = bid, ask
        self.last_diff_uid += 1

    def add_listener(self, tag, listener):
        self.listeners.setdefault(tag, []).append(listener)

    def remove_listener(self, tag, listener):
        self.listeners.get(tag, []).remove(listener)


class FakeOrder(SimpleNamespace):
    def to_limit_order(self):
        return self


class FakeConnector:
    name = CONNECTOR

    def __init__(self, bid: float = 89990.0, ask: float = 90010.0, balance: Decimal = Decimal(100000)):
        self.ready = True
        self.book = FakeBook(bid, ask)
        self.trading_rules = {PAIR: TradingRule(PAIR, min_order_size=Decimal("0.001"),
                                                min_price_increment=Decimal("0.1"),
                                                min_base_amount_increment=Decimal("0.001"),
                                                min_notional_size=Decimal("100"))}
        self.balance = balance
        self.account_positions: Dict[str, Any] = {}
        self.in_flight_orders: Dict[str, FakeOrder] = {}
        self.placed: List[FakeOrder] = []
        self.cancelled: List[str] = []
        self.create_calls: List[List[str]] = []
        self.cancel_calls: List[List[str]] = []
        self.listeners: Dict[Any, List[Any]] = {}
        self.budget_checker = SimpleNamespace(adjust_candidates=lambda candidates, all_or_none=True: candidates)
        self._ids = count(1)

    # ---------------------------------------------------------------- connector surface the controllers use
    def supported_order_types(self):
        return [OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.MARKET]

    def get_order_book(self, trading_pair: str) -> FakeBook:
        return self.book

    def get_price_by_type(self, trading_pair: str, price_type: PriceType) -> Decimal:
        bid, ask = Decimal(str(self.book.bid)), Decimal(str(self.book.ask))
        return {PriceType.BestBid: bid, PriceType.BestAsk: ask}.get(price_type, (bid + ask) / 2)

    def quantize_order_amount(self, trading_pair: str, amount: Decimal) -> Decimal:
        lot = Decimal("0.001")
        return max(Decimal(0), (Decimal(amount) / lot).to_integral_value(rounding="ROUND_FLOOR") * lot)

    def get_balance(self, asset: str) -> Decimal:
        return self.balance

    def get_available_balance(self, asset: str) -> Decimal:
        return self.balance

    def buy(self, trading_pair, amount, order_type=OrderType.LIMIT, price=Decimal("NaN"), **kwargs) -> str:
        order_id = self._record(TradeType.BUY, trading_pair, amount, order_type, price, kwargs)
        self.create_calls.append([order_id])
        return order_id

    def sell(self, trading_pair, amount, order_type=OrderType.LIMIT, price=Decimal("NaN"), **kwargs) -> str:
        order_id = self._record(TradeType.SELL, trading_pair, amount, order_type, price, kwargs)
        self.create_calls.append([order_id])
        return order_id

    def cancel(self, trading_pair: str, client_order_id: str):
        self.cancel_calls.append([client_order_id])
        self.cancelled.append(client_order_id)

    def add_listener(self, tag, listener):
        self.listeners.setdefault(tag, []).append(listener)

    def remove_listener(self, tag, listener):
        self.listeners.get(tag, []).remove(listener)

    # ---------------------------------------------------------------- test helpers
    def _record(self, side, trading_pair, amount, order_type, price, kwargs) -> str:
        order_id = f"order-{next(self._ids)}"
        order = FakeOrder(client_order_id=order_id, trading_pair=trading_pair, side=side, amount=Decimal(amount),
                          order_type=order_type, price=Decimal(price),
                          position_action=kwargs.get("position_action", PositionAction.NIL), is_done=False)
        self.placed.append(order)
        self.in_flight_orders[order_id] = order
        return order_id

    def open_orders(self, side: Optional[TradeType] = None) -> List[FakeOrder]:
        return [order for order in self.placed if order.client_order_id not in self.cancelled and not order.is_done
                and (side is None or order.side is side)]

    def fire(self, tag: MarketEvent, event: Any):
        for listener in list(self.listeners.get(tag, [])):
            listener(event)

    def acknowledge(self, order_id: str):
        order = self.in_flight_orders[order_id]
        event_class = BuyOrderCreatedEvent if order.side is TradeType.BUY else SellOrderCreatedEvent
        tag = MarketEvent.BuyOrderCreated if order.side is TradeType.BUY else MarketEvent.SellOrderCreated
        self.fire(tag, event_class(0, order.order_type, PAIR, order.amount, order.price, order_id, 0))

    def confirm_cancels(self):
        for order_id in list(self.cancelled):
            order = self.in_flight_orders.get(order_id)
            if order is not None and not order.is_done:
                order.is_done = True
                self.fire(MarketEvent.OrderCancelled, OrderCancelledEvent(0, order_id))

    def fill(self, order_id: str, amount: Optional[Decimal] = None, fee: Decimal = Decimal("-0.01")):
        order = self.in_flight_orders[order_id]
        amount = order.amount if amount is None else amount
        position = self.account_positions.get(PAIR)
        size = (position.amount if position else Decimal(0)) + (amount if order.side is TradeType.BUY else -amount)
        self.account_positions[PAIR] = SimpleNamespace(trading_pair=PAIR, amount=size, entry_price=order.price,
                                                       unrealized_pnl=Decimal(0))
        if amount >= order.amount:
            order.is_done = True
        fee_model = AddedToCostTradeFee(flat_fees=[TokenAmount("USDT", fee)])
        self.fire(MarketEvent.OrderFilled, OrderFilledEvent(0, order_id, PAIR, order.side, order.order_type,
                                                            order.price, amount, fee_model))

    def fail(self, order_id: str, message: str = "rejected"):
        self.in_flight_orders[order_id].is_done = True
        self.fire(MarketEvent.OrderFailure, MarketOrderFailureEvent(0, order_id, OrderType.LIMIT_MAKER, message))


class BatchingFakeConnector(FakeConnector):
    """Also implements Hummingbot's batch order methods, as the GRVT connector does on v2/bulk_orders."""

    def batch_order_create(self, orders_to_create):
        created = []
        for order in orders_to_create:
            order_id = self._record(TradeType.BUY if order.is_buy else TradeType.SELL, order.trading_pair,
                                    order.quantity, order.order_type(), order.price,
                                    {"position_action": order.position})
            created.append(order.copy_with_id(order_id))
        self.create_calls.append([order.client_order_id for order in created])
        return created

    def batch_order_cancel(self, orders_to_cancel):
        ids = [order.client_order_id for order in orders_to_cancel]
        self.cancel_calls.append(ids)
        self.cancelled.extend(ids)


def market_data_provider(connector: FakeConnector) -> SimpleNamespace:
    return SimpleNamespace(connectors={connector.name: connector}, ready=True)
