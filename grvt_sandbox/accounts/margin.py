"""Simple cross margin: initial margin from worst-case exposure (position plus open orders) over leverage,
maintenance margin from the position at the instrument's maintenance rate."""
from decimal import Decimal
from typing import TYPE_CHECKING, Callable, NamedTuple, Optional

from grvt_sandbox.accounts.account import SubAccount
from grvt_sandbox.instruments import Instrument
from grvt_sandbox.numbers import ZERO, scaled_to_decimal

if TYPE_CHECKING:  # the engine package imports this module
    from grvt_sandbox.engine.order import Order


class MarginState(NamedTuple):
    unrealized_pnl: Decimal
    total_equity: Decimal
    initial_margin: Decimal
    maintenance_margin: Decimal

    @property
    def available_balance(self) -> Decimal:
        return max(self.total_equity - self.initial_margin, ZERO)


def margin_state(
    account: SubAccount,
    instrument_of: Callable[[str], Instrument],
    mark_of: Callable[[Instrument], Decimal],
    extra_order: Optional["Order"] = None,
) -> MarginState:
    """Margin of the account; `extra_order` (not yet tracked) counts as if it were open."""
    names = set(account.positions)
    names.update(name for name, size in account.open_buy_size.items() if size)
    names.update(name for name, size in account.open_sell_size.items() if size)
    if extra_order is not None:
        names.add(extra_order.instrument.name)
    unrealized = initial = maintenance = ZERO
    for name in names:
        instrument = instrument_of(name)
        mark = mark_of(instrument)
        position = account.positions.get(name)
        size = position.size if position is not None else ZERO
        buys = account.open_buy_size.get(name, 0)
        sells = account.open_sell_size.get(name, 0)
        if extra_order is not None and extra_order.instrument.name == name:
            if extra_order.is_buy:
                buys += extra_order.remaining
            else:
                sells += extra_order.remaining
        decimals = instrument.base_decimals
        exposure = max(abs(size + scaled_to_decimal(buys, decimals)), abs(size - scaled_to_decimal(sells, decimals)))
        initial += exposure * mark / account.leverage_for(instrument)
        if position is not None and size:
            maintenance += abs(size) * mark * instrument.maintenance_margin_rate
            unrealized += position.unrealized_pnl(mark)
    return MarginState(unrealized, account.balance + unrealized, initial, maintenance)


def has_margin_for(account: SubAccount, order: "Order", instrument_of: Callable[[str], Instrument],
                   mark_of: Callable[[Instrument], Decimal]) -> bool:
    state = margin_state(account, instrument_of, mark_of, extra_order=order)
    if state.total_equity >= state.initial_margin:
        return True
    # an order that adds no initial margin (it only shrinks exposure) does not bring the account below it
    return state.initial_margin <= margin_state(account, instrument_of, mark_of).initial_margin


def estimated_liquidation_price(size: Decimal, entry_price: Decimal, equity_without_position: Optional[Decimal],
                                maintenance_rate: Decimal) -> Decimal:
    """Mark at which equity meets maintenance margin when only this position moves (0 when none applies)."""
    if not size or equity_without_position is None:
        return ZERO
    # equity(m) = E0 + (m - entry) * size ; maintenance(m) = |size| * m * rate
    denominator = size - abs(size) * maintenance_rate
    if not denominator:
        return ZERO
    price = (entry_price * size - equity_without_position) / denominator
    return price if price > 0 else ZERO
