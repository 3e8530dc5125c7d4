"""Profit and loss of a controller's own fills, split by where it came from.

- spread capture: each fill's edge against the mid the bot saw when it filled (a buy below the mid earns);
- inventory: what holding the position cost or earned as the mid moved (trading PnL minus spread capture);
- fees and rebates: fees paid (positive fees) and maker rebates (negative fees), kept apart;
- funding: funding payments of the traded pair (positive when received, Hummingbot's convention).

The total is their sum: cash from the fills, the position marked at the current mid, fees and funding. ``equity``
is the account's equity when tracking started plus that total: what the kill switch's drawdown watches. It moves
with every fill and mid update at once, where the exchange's balance would lag a fill by a refresh.
"""
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

from hummingbot.core.data_type.common import TradeType

ZERO = Decimal(0)


@dataclass(frozen=True)
class PnlBreakdown:
    spread_capture: Decimal
    inventory: Decimal
    fees_paid: Decimal
    rebates: Decimal
    funding: Decimal
    position: Decimal
    volume_quote: Decimal
    fills: int

    @property
    def fees_net(self) -> Decimal:
        """Fees minus rebates: what fees did to the PnL (negative = cost)."""
        return self.rebates - self.fees_paid

    @property
    def total(self) -> Decimal:
        return self.spread_capture + self.inventory + self.fees_net + self.funding


class PnlTracker:
    def __init__(self, initial_position: Decimal = ZERO, initial_price: Optional[Decimal] = None,
                 start_equity: Optional[Decimal] = None):
        self.start_equity = start_equity
        self.position = initial_position
        # An existing position enters at the price it had when tracking started, so its later moves count.
        self._cash = -initial_position * initial_price if initial_price is not None and initial_position else ZERO
        self._spread_capture = ZERO
        self._fees_paid = ZERO
        self._rebates = ZERO
        self._funding = ZERO
        self._volume_quote = ZERO
        self._fills = 0

    def on_fill(self, side: TradeType, price: Decimal, amount: Decimal, fee_quote: Decimal,
                mid: Optional[Decimal]) -> None:
        sign = 1 if side is TradeType.BUY else -1
        self.position += sign * amount
        self._cash -= sign * amount * price
        if mid is not None and mid > 0:
            self._spread_capture += sign * (mid - price) * amount
        if fee_quote >= 0:
            self._fees_paid += fee_quote
        else:
            self._rebates -= fee_quote
        self._volume_quote += amount * price
        self._fills += 1

    def on_funding(self, amount: Decimal) -> None:
        self._funding += amount

    def equity(self, mid: Optional[Decimal]) -> Optional[Decimal]:
        if self.start_equity is None or mid is None:
            return None
        return self.start_equity + self.breakdown(mid).total

    def breakdown(self, mid: Optional[Decimal]) -> PnlBreakdown:
        trading = self._cash + (self.position * mid if mid is not None else ZERO)
        return PnlBreakdown(
            spread_capture=self._spread_capture,
            inventory=trading - self._spread_capture,
            fees_paid=self._fees_paid,
            rebates=self._rebates,
            funding=self._funding,
            position=self.position,
            volume_quote=self._volume_quote,
            fills=self._fills,
        )
