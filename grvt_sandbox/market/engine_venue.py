"""`MarketVenue` on the sandbox exchange engine's internal, signature-free API."""
import logging
from decimal import Decimal
from typing import List, Optional, Set, Tuple

from grvt_sandbox import enums
from grvt_sandbox.engine.exchange import Exchange
from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.market.venue import InstrumentRules, VenueOrder

MARKET_ACCOUNT_BALANCE = Decimal("1000000000")

logger = logging.getLogger(__name__)


class EngineVenue:
    def __init__(self, exchange: Exchange, account_ids: Tuple[str, ...] = ()):
        """Creates the market's sub-accounts on `exchange` (no history, no margin checks: they are the market)."""
        self._exchange = exchange
        self._reported_refusals: Set[Tuple[str, int]] = set()
        for account_id in account_ids:
            exchange.add_account(account_id, balance=MARKET_ACCOUNT_BALANCE, record_history=False,
                                 check_margin=False)

    @property
    def exchange(self) -> Exchange:
        return self._exchange

    def now_ns(self) -> int:
        return self._exchange.now_ns()

    def instrument_names(self) -> List[str]:
        return self._exchange.instruments.names()

    def instrument_rules(self, instrument: str) -> Optional[InstrumentRules]:
        spec = self._exchange.instruments.get(instrument)
        if spec is None:
            return None
        return InstrumentRules(tick_size=spec.tick_size, min_size=spec.min_size, min_notional=spec.min_notional)

    def reference_price(self, instrument: str) -> Optional[Decimal]:
        market = self._exchange.markets.get(instrument)
        return market.index_price if market is not None and market.index_price else None

    def set_index_price(self, instrument: str, price: Decimal) -> None:
        self._exchange.set_index_price(instrument, price)

    def best_bid_ask(self, instrument: str) -> Tuple[Optional[Decimal], Optional[Decimal]]:
        return self._exchange.best_bid(instrument), self._exchange.best_ask(instrument)

    def submit(self, order: VenueOrder) -> Optional[str]:
        try:
            placed = self._exchange.submit_internal_order(
                order.account_id, order.instrument, is_buy=order.is_buy, size=order.size, price=order.price,
                time_in_force=order.time_in_force.value, post_only=order.post_only)
        except GrvtApiError as error:
            # the market goes on; the first refusal of a kind is worth a warning (often an instrument whose
            # limits do not fit the market's sizes), the repeats are not
            key = (order.instrument, error.code)
            if key in self._reported_refusals:
                logger.debug("Synthetic market order refused: %s (%s)", error, order)
            else:
                self._reported_refusals.add(key)
                logger.warning("Synthetic market order refused: %s (%s); further refusals of this kind are logged "
                               "at debug level.", error, order)
            return None
        if placed.status == enums.REJECTED:
            return None
        return placed.order_id

    def cancel(self, account_id: str, instrument: str, order_id: str) -> None:
        self._exchange.cancel_internal(account_id, order_id=order_id)

    def cancel_all(self, account_id: str, instrument: str) -> None:
        self._exchange.cancel_all_internal(account_id, instrument=instrument)

    def open_order_ids(self, account_id: str, instrument: str) -> List[str]:
        return [order.order_id for order in self._exchange.open_orders(account_id, instrument)]
