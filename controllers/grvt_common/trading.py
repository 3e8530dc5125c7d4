"""A controller's orders on one connector: placing and cancelling (in one batch where the connector can), the
position and equity it reads, and the connector events it listens to.

Batches use Hummingbot's ``ConnectorBase.batch_order_create`` / ``batch_order_cancel`` when the connector overrides
them (the GRVT connector sends one ``v2/bulk_orders`` request); other connectors get one call per order.
"""
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Dict, Iterable, List, Optional

from hummingbot.connector.connector_base import ConnectorBase
from hummingbot.core.data_type.common import OrderType, PositionAction, PriceType, TradeType
from hummingbot.core.data_type.limit_order import LimitOrder
from hummingbot.core.event.event_forwarder import EventForwarder
from hummingbot.core.event.events import MarketEvent, OrderBookEvent

ZERO = Decimal(0)
logger = logging.getLogger(__name__)


class PostOnlyLimitOrder(LimitOrder):
    """A ``LimitOrder`` for batch creation that reports LIMIT_MAKER as its order type (post-only on GRVT)."""

    def order_type(self) -> OrderType:
        return OrderType.LIMIT_MAKER

    def copy_with_id(self, client_order_id: str) -> "PostOnlyLimitOrder":
        return PostOnlyLimitOrder(client_order_id, self.trading_pair, self.is_buy, self.base_currency,
                                  self.quote_currency, self.price, self.quantity,
                                  filled_quantity=self.filled_quantity, creation_timestamp=self.creation_timestamp,
                                  position=self.position)


@dataclass(frozen=True)
class OrderRequest:
    side: TradeType
    price: Decimal
    amount: Decimal


def overrides(connector: Any, method: str) -> bool:
    """True when the connector implements ``method`` itself rather than inheriting ConnectorBase's loop."""
    own = getattr(type(connector), method, None)
    return own is not None and own is not getattr(ConnectorBase, method, None)


class OrderGateway:
    def __init__(self, connector: Any, trading_pair: str, post_only: bool = True):
        self.connector = connector
        self.trading_pair = trading_pair
        self.base, self.quote = trading_pair.split("-")
        self.post_only = post_only
        self.batch_create = overrides(connector, "batch_order_create")
        self.batch_cancel = overrides(connector, "batch_order_cancel")

    @property
    def order_type(self) -> OrderType:
        if self.post_only and OrderType.LIMIT_MAKER in self.connector.supported_order_types():
            return OrderType.LIMIT_MAKER
        return OrderType.LIMIT

    def create(self, requests: List[OrderRequest]) -> List[str]:
        """Places the orders (opening ones); returns their client order ids in the same order."""
        if not requests:
            return []
        if self.batch_create and len(requests) > 1:
            order_class = PostOnlyLimitOrder if self.order_type is OrderType.LIMIT_MAKER else LimitOrder
            orders = [order_class("", self.trading_pair, request.side is TradeType.BUY, self.base, self.quote,
                                  request.price, request.amount, filled_quantity=ZERO, creation_timestamp=0,
                                  position=PositionAction.OPEN) for request in requests]
            created = self.connector.batch_order_create(orders_to_create=orders)
            return [order.client_order_id for order in created]
        return [self._place(request.side, request.amount, self.order_type, request.price, PositionAction.OPEN)
                for request in requests]

    def cancel(self, client_order_ids: Iterable[str]) -> None:
        client_order_ids = list(client_order_ids)
        if not client_order_ids:
            return
        if self.batch_cancel and len(client_order_ids) > 1:
            tracked = self.connector.in_flight_orders
            orders = [tracked[order_id].to_limit_order() for order_id in client_order_ids if order_id in tracked]
            if orders:
                self.connector.batch_order_cancel(orders_to_cancel=orders)
            return
        for order_id in client_order_ids:
            self.connector.cancel(self.trading_pair, order_id)

    def close_position(self, position: Decimal) -> Optional[str]:
        """A reduce-only market order that brings ``position`` to zero; None when no order can: below the minimum size,
        or below the minimum notional at the mid (GRVT refuses a reducing order under it too, error 2067)."""
        amount = self.connector.quantize_order_amount(self.trading_pair, abs(position))
        rule = getattr(self.connector, "trading_rules", {}).get(self.trading_pair)
        try:
            mid = Decimal(self.connector.get_price_by_type(self.trading_pair, PriceType.MidPrice))
        except Exception:  # no book: the order goes out and the connector decides
            mid = Decimal("NaN")
        if amount <= 0 or (rule is not None and mid.is_finite() and amount * mid < (rule.min_notional_size or ZERO)):
            return None
        side = TradeType.SELL if position > 0 else TradeType.BUY
        return self._place(side, amount, OrderType.MARKET, Decimal("NaN"), PositionAction.CLOSE)

    def _place(self, side: TradeType, amount: Decimal, order_type: OrderType, price: Decimal,
               position_action: PositionAction) -> str:
        place = self.connector.buy if side is TradeType.BUY else self.connector.sell
        return place(self.trading_pair, amount, order_type, price, position_action=position_action)

    def open_order_ids(self) -> List[str]:
        """Every order of this pair the connector still tracks as live (ours or an executor's)."""
        return [order.client_order_id for order in self.connector.in_flight_orders.values()
                if order.trading_pair == self.trading_pair and not order.is_done]

    # ------------------------------------------------------------------ account
    def _positions(self) -> List[Any]:
        positions = getattr(self.connector, "account_positions", None) or {}
        return [position for position in positions.values() if position.trading_pair == self.trading_pair]

    def position(self) -> Decimal:
        """The signed position of the pair (one-way: long positive, short negative)."""
        return sum((Decimal(position.amount) for position in self._positions()), ZERO)

    def equity(self, mid: Optional[Decimal]) -> Optional[Decimal]:
        """Wallet balance plus the unrealized PnL of every position, marked at ``mid`` for this pair (the
        connector's own figure for the others)."""
        balance = self.connector.get_balance(self.quote)
        if balance is None:
            return None
        equity = Decimal(balance)
        for position in getattr(self.connector, "account_positions", {}).values():
            if position.trading_pair == self.trading_pair and mid is not None and position.entry_price:
                equity += Decimal(position.amount) * (mid - Decimal(position.entry_price))
            else:
                equity += Decimal(position.unrealized_pnl or 0)
        return equity


class ConnectorEvents:
    """Subscribes handlers to connector (and order book trade) events; PubSub keeps weak references, so the
    forwarders live here until ``stop``."""

    def __init__(self) -> None:
        self._subscriptions: List[tuple] = []  # (source, tag, forwarder, handler)

    def on(self, source: Any, tag: Any, handler: Callable[[Any], None]) -> None:
        forwarder = EventForwarder(handler)
        source.add_listener(tag, forwarder)
        self._subscriptions.append((source, tag, forwarder, handler))

    def on_market(self, connector: Any, handlers: Dict[MarketEvent, Callable[[Any], None]]) -> None:
        for tag, handler in handlers.items():
            self.on(connector, tag, handler)

    def on_trades(self, order_book: Any, handler: Callable[[Any], None]) -> None:
        """Follows `handler`'s trades on `order_book` instead of the book it followed before: Hummingbot makes new
        books each time a connector restarts its network, and the old one would be kept alive here."""
        old = [s for s in self._subscriptions if s[1] is OrderBookEvent.TradeEvent and s[3] == handler]
        for subscription in old:
            self._subscriptions.remove(subscription)
            subscription[0].remove_listener(OrderBookEvent.TradeEvent, subscription[2])
        self.on(order_book, OrderBookEvent.TradeEvent, handler)

    def stop(self) -> None:
        for source, tag, forwarder, _ in self._subscriptions:
            try:
                source.remove_listener(tag, forwarder)
            except Exception:  # a source already torn down has no listeners left to remove
                logger.debug("could not remove a listener", exc_info=True)
        self._subscriptions.clear()


def fee_in_quote(event: Any, trading_pair: str) -> Decimal:
    """The fill's fee in the quote asset (negative for a rebate)."""
    quote = trading_pair.split("-")[1]
    try:
        return Decimal(event.trade_fee.fee_amount_in_token(trading_pair, event.price, event.amount, quote))
    except Exception:
        return sum((fee.amount for fee in event.trade_fee.flat_fees if fee.token == quote), ZERO)
