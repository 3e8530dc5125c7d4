"""From GRVT order states and fills to Hummingbot order and trade updates.

GRVT reports an order on several channels (the create answer, v1.state, REST `order` and `open_orders` queries) that
can arrive out of order or twice: ``GrvtOrderStateMachine`` decides which reports move a tracked order. Hummingbot
applies updates asynchronously, so the machine remembers the last state it issued per order instead of reading the
tracked order's (possibly lagging) state. Fills are not gated here: a fill after a cancel acknowledgement, or before
the order is known to be open, is still applied (Hummingbot de-duplicates by trade id).
"""
from collections import OrderedDict
from typing import Optional

from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import (
    GrvtFill,
    GrvtOrderState,
    GrvtOrderStatus,
    GrvtRejectReason,
    is_real_order_id,
)
from hummingbot.core.data_type.common import PositionAction
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate, TradeUpdate
from hummingbot.core.data_type.trade_fee import TokenAmount, TradeFeeBase, TradeFeeSchema

FINAL_STATES = frozenset({OrderState.CANCELED, OrderState.FILLED, OrderState.FAILED})
LIVE_STATES = frozenset({OrderState.OPEN, OrderState.PARTIALLY_FILLED})

# PENDING means "accepted, sent to the matching engine": Hummingbot treats the order as live.
_ORDER_STATES = {
    GrvtOrderStatus.PENDING: OrderState.OPEN,
    GrvtOrderStatus.OPEN: OrderState.OPEN,
    GrvtOrderStatus.FILLED: OrderState.FILLED,
    GrvtOrderStatus.REJECTED: OrderState.FAILED,
    GrvtOrderStatus.CANCELLED: OrderState.CANCELED,
}


def hummingbot_order_state(state: GrvtOrderState) -> Optional[OrderState]:
    """The Hummingbot state of a GRVT state; None for a status this connector does not know."""
    mapped = _ORDER_STATES.get(state.status)
    if mapped is OrderState.OPEN and state.traded > 0:
        return OrderState.PARTIALLY_FILLED
    return mapped


class GrvtOrderStateMachine:
    MAX_REMEMBERED_ORDERS = 10_000

    def __init__(self) -> None:
        self._last_update_ns: "OrderedDict[str, int]" = OrderedDict()
        self._issued: "OrderedDict[str, OrderState]" = OrderedDict()

    def state_of(self, order: InFlightOrder) -> OrderState:
        return self._issued.get(order.client_order_id, order.current_state)

    def record_issued(self, client_order_id: str, state: OrderState) -> None:
        """Notes an update issued outside the machine (acks, cancel requests, failures)."""
        self._issued[client_order_id] = state
        self._issued.move_to_end(client_order_id)
        if len(self._issued) > self.MAX_REMEMBERED_ORDERS:
            removed, _ = self._issued.popitem(last=False)
            self._last_update_ns.pop(removed, None)

    def order_update(self, tracked_order: InFlightOrder, state: GrvtOrderState, exchange_order_id: Optional[str],
                     fallback_timestamp: float) -> Optional[OrderUpdate]:
        """Returns the update to apply, or None when the report must not move the order."""
        client_order_id = tracked_order.client_order_id
        current = self.state_of(tracked_order)
        new_state = hummingbot_order_state(state)
        adopt_exchange_order_id(tracked_order, exchange_order_id)
        if new_state is None or current in FINAL_STATES or tracked_order.current_state in FINAL_STATES:
            return None
        last_ns = self._last_update_ns.get(client_order_id, 0)
        if new_state not in FINAL_STATES and 0 < state.update_time < last_ns:
            return None
        if state.update_time > last_ns:
            self._last_update_ns[client_order_id] = state.update_time
        if current is OrderState.PENDING_CANCEL and new_state in LIVE_STATES:
            return None  # a cancel GRVT acknowledged: only its final state moves the order
        if new_state is current or (new_state is OrderState.OPEN and current is OrderState.PARTIALLY_FILLED):
            return None  # one OPEN update per order, whichever channel is first
        self.record_issued(client_order_id, new_state)
        misc_updates = None
        if new_state is OrderState.FAILED:
            misc_updates = {"error_message": f"GRVT rejected the order ({state.reject_reason})",
                            "error_type": "GrvtOrderRejected"}
        elif new_state is OrderState.CANCELED and state.reason is not GrvtRejectReason.UNSPECIFIED:
            misc_updates = {"cancel_reason": state.reject_reason}
        timestamp = state.update_timestamp if state.update_time > 0 else fallback_timestamp
        return tracked_order_update(tracked_order, new_state, timestamp, exchange_order_id, misc_updates)


def tracked_order_update(tracked_order: InFlightOrder, new_state: OrderState, timestamp: float,
                         exchange_order_id: Optional[str] = None, misc_updates: Optional[dict] = None) -> OrderUpdate:
    """The update moving the order to `new_state`; it carries a real exchange order id, never the placeholder."""
    return OrderUpdate(client_order_id=tracked_order.client_order_id, trading_pair=tracked_order.trading_pair,
                       update_timestamp=timestamp, new_state=new_state, misc_updates=misc_updates,
                       exchange_order_id=exchange_order_id if is_real_order_id(exchange_order_id) else None)


def adopt_exchange_order_id(tracked_order: InFlightOrder, exchange_order_id: Optional[str]) -> None:
    # InFlightOrder only takes an exchange id while it has none; an order restored with the "0x00" placeholder (or
    # started with it) must still learn its real id.
    if is_real_order_id(exchange_order_id) and not is_real_order_id(tracked_order.exchange_order_id):
        tracked_order.update_exchange_order_id(exchange_order_id)


def trade_update_from_fill(fill: GrvtFill, tracked_order: InFlightOrder, fee_schema: TradeFeeSchema,
                           quote_asset: str) -> TradeUpdate:
    """`fill.fee` is signed (negative = maker rebate): the flat fee carries the sign, so a rebate lowers the cost."""
    fee_token = fill.fee_currency or quote_asset
    # An order without a position action (restored from an old state) is priced like an opening order.
    position_action = PositionAction.OPEN if tracked_order.position is PositionAction.NIL else tracked_order.position
    fee = TradeFeeBase.new_perpetual_fee(
        fee_schema=fee_schema,
        position_action=position_action,
        percent_token=fee_token,
        flat_fees=[TokenAmount(token=fee_token, amount=fill.fee)],
    )
    exchange_order_id = fill.order_id if is_real_order_id(fill.order_id) else tracked_order.exchange_order_id
    return TradeUpdate(
        trade_id=fill.trade_id,
        client_order_id=tracked_order.client_order_id,
        exchange_order_id=exchange_order_id,  # type: ignore[arg-type]  # None until GRVT names the order
        trading_pair=tracked_order.trading_pair,
        fill_timestamp=fill.timestamp,
        fill_price=fill.price,
        fill_base_amount=fill.size,
        fill_quote_amount=fill.size * fill.price,
        fee=fee,
        is_taker=fill.is_taker,
    )
