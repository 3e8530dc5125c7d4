"""From GRVT order states and fills to Hummingbot order and trade updates.

GRVT reports an order on several channels (v1.order, v1.state, the create answer, REST `order` queries) that can
arrive out of order or twice. ``GrvtOrderStateMachine`` decides which reports move a tracked order:

* nothing moves an order that already reached a final state (a late OPEN after CANCELLED is dropped);
* a report older than the newest one applied is dropped, unless it is final;
* an order waiting for its cancel confirmation stays PENDING_CANCEL until GRVT reports the final state;
* the real 128-bit exchange order id replaces the "0x00" placeholder of the create answer.

Fills are not gated here: a fill that arrives after a cancel acknowledgement, or before the order is known to be
open, is still applied (Hummingbot de-duplicates fills by trade id).
"""
from collections import OrderedDict
from decimal import Decimal
from typing import Optional

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import (
    GrvtFill,
    GrvtMessageError,
    GrvtOrderState,
    is_real_order_id,
)
from hummingbot.core.data_type.common import PositionAction
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate, TradeUpdate
from hummingbot.core.data_type.trade_fee import TokenAmount, TradeFeeBase, TradeFeeSchema

FINAL_STATES = frozenset({OrderState.CANCELED, OrderState.FILLED, OrderState.FAILED})
_LIVE_STATES = frozenset({OrderState.OPEN, OrderState.PARTIALLY_FILLED})
_ZERO = Decimal("0")


def hummingbot_order_state(state: GrvtOrderState) -> OrderState:
    mapped = CONSTANTS.ORDER_STATE.get(state.status)
    if mapped is None:
        raise GrvtMessageError(f"Unknown GRVT order status {state.status!r}")
    if mapped is OrderState.OPEN and state.traded_size > _ZERO:
        return OrderState.PARTIALLY_FILLED
    return mapped


def rejection_message(state: GrvtOrderState) -> str:
    return f"GRVT rejected the order ({state.reject_reason})"


class GrvtOrderStateMachine:
    MAX_REMEMBERED_ORDERS = 10_000

    def __init__(self):
        self._last_update_ns: "OrderedDict[str, int]" = OrderedDict()
        # Orders a final report was issued for. Hummingbot applies updates asynchronously, so the tracked order
        # may not show the final state yet when the next (stale) report is judged.
        self._finished: "OrderedDict[str, None]" = OrderedDict()

    def is_finished(self, client_order_id: str) -> bool:
        return client_order_id in self._finished

    def order_update(
        self,
        tracked_order: InFlightOrder,
        state: GrvtOrderState,
        exchange_order_id: Optional[str],
        fallback_timestamp: float,
    ) -> Optional[OrderUpdate]:
        """Returns the update to apply, or None when the report must not move the order."""
        client_order_id = tracked_order.client_order_id
        if tracked_order.current_state in FINAL_STATES or client_order_id in self._finished:
            return None
        new_state = hummingbot_order_state(state)
        final = new_state in FINAL_STATES
        last_ns = self._last_update_ns.get(client_order_id)
        if not final and last_ns is not None and 0 < state.update_time_ns < last_ns:
            return None

        self._remember(client_order_id, state.update_time_ns, final)
        self._adopt_exchange_order_id(tracked_order, exchange_order_id)

        if tracked_order.current_state is OrderState.PENDING_CANCEL and new_state in _LIVE_STATES:
            new_state = OrderState.PENDING_CANCEL

        misc_updates = None
        if new_state is OrderState.FAILED:
            misc_updates = {"error_message": rejection_message(state), "error_type": "GrvtOrderRejected"}
        elif new_state is OrderState.CANCELED and state.reject_reason != CONSTANTS.REJECT_REASON_UNSPECIFIED:
            misc_updates = {"cancel_reason": state.reject_reason}

        return OrderUpdate(
            trading_pair=tracked_order.trading_pair,
            update_timestamp=state.update_timestamp if state.update_time_ns > 0 else fallback_timestamp,
            new_state=new_state,
            client_order_id=client_order_id,
            exchange_order_id=exchange_order_id if is_real_order_id(exchange_order_id) else None,
            misc_updates=misc_updates,
        )

    def _remember(self, client_order_id: str, update_time_ns: int, final: bool):
        if final:
            self._last_update_ns.pop(client_order_id, None)
            self._finished[client_order_id] = None
            if len(self._finished) > self.MAX_REMEMBERED_ORDERS:
                self._finished.popitem(last=False)
            return
        if update_time_ns > self._last_update_ns.get(client_order_id, 0):
            self._last_update_ns[client_order_id] = update_time_ns
            if len(self._last_update_ns) > self.MAX_REMEMBERED_ORDERS:
                self._last_update_ns.popitem(last=False)

    @staticmethod
    def _adopt_exchange_order_id(tracked_order: InFlightOrder, exchange_order_id: Optional[str]):
        # InFlightOrder only takes an exchange id while it has none; an order restored with the "0x00"
        # placeholder (or started with it) must still learn its real id.
        if is_real_order_id(exchange_order_id) and not is_real_order_id(tracked_order.exchange_order_id):
            tracked_order.update_exchange_order_id(exchange_order_id)


def trade_update_from_fill(
    fill: GrvtFill,
    tracked_order: InFlightOrder,
    fee_schema: TradeFeeSchema,
    quote_asset: str,
) -> TradeUpdate:
    """
    GRVT charges fees in the quote currency; `fee` is signed (negative = maker rebate), so the flat fee carries the
    sign and a rebate lowers the order's cost instead of raising it.
    """
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
        exchange_order_id=exchange_order_id,
        trading_pair=tracked_order.trading_pair,
        fill_timestamp=fill.timestamp,
        fill_price=fill.price,
        fill_base_amount=fill.size,
        fill_quote_amount=fill.size * fill.price,
        fee=fee,
        is_taker=fill.is_taker,
    )
