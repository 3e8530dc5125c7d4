"""What the synthetic market needs from an exchange, and nothing more.

The market never talks to the engine directly: it talks to a `MarketVenue`. `EngineVenue` (engine_venue.py)
adapts the sandbox engine's internal, signature-free API to it; tests can use a small in-memory venue.
"""
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Collection, List, Optional, Protocol, Tuple


class TimeInForce(Enum):
    """Values are GRVT's names."""
    GOOD_TILL_TIME = "GOOD_TILL_TIME"
    IMMEDIATE_OR_CANCEL = "IMMEDIATE_OR_CANCEL"


@dataclass(frozen=True, slots=True)
class InstrumentRules:
    tick_size: Decimal
    min_size: Decimal
    min_notional: Decimal = Decimal("0")


@dataclass(frozen=True, slots=True)
class VenueOrder:
    """A limit order of a market account. Prices and sizes are already on the instrument's tick / size grid."""
    account_id: str
    instrument: str
    is_buy: bool
    price: Decimal
    size: Decimal
    time_in_force: TimeInForce
    post_only: bool = False


class MarketVenue(Protocol):
    def now_ns(self) -> int:
        ...

    def instrument_names(self) -> List[str]:
        ...

    def instrument_rules(self, instrument: str) -> Optional[InstrumentRules]:
        """The venue's tick/size rules, or None when it does not list the instrument."""

    def reference_price(self, instrument: str) -> Optional[Decimal]:
        """Where the venue's index stands before the market starts (the market starts its mid there)."""

    def set_index_price(self, instrument: str, price: Decimal) -> None:
        ...

    def best_bid_ask(self, instrument: str) -> Tuple[Optional[Decimal], Optional[Decimal]]:
        ...

    def submit(self, order: VenueOrder) -> Optional[str]:
        """Submits the order; returns the order id, or None when the venue rejected it. An accepted order may
        have traded at once, entirely or in part."""

    def cancel(self, account_id: str, instrument: str, order_id: str) -> None:
        """Cancels if still open; an order that is already gone is not an error."""

    def cancel_all(self, account_id: str, instrument: str) -> None:
        ...

    def open_order_ids(self, account_id: str, instrument: str) -> Collection[str]:
        ...
