"""A rate oracle source that asks no one: the mid prices of the bot's own connectors (used in offline mode)."""
from decimal import Decimal
from typing import Callable, Dict, Mapping, Optional, Protocol

from hummingbot.core.data_type.common import PriceType
from hummingbot.core.rate_oracle.sources.rate_source_base import RateSourceBase


class PricedConnector(Protocol):
    def get_price_by_type(self, trading_pair: str, price_type: PriceType) -> Decimal: ...


class ConnectorPricesRateSource(RateSourceBase):
    """Rates from the mid prices of the bot's own connectors: no network beyond the exchanges in use."""

    def __init__(self, connectors: Callable[[], Mapping[str, PricedConnector]]):
        super().__init__()
        self._connectors = connectors

    @property
    def name(self) -> str:
        return "connectors"

    async def get_prices(self, quote_token: Optional[str] = None) -> Dict[str, Decimal]:
        prices: Dict[str, Decimal] = {}
        for connector in list(self._connectors().values()):
            if not getattr(connector, "ready", False):
                continue
            for trading_pair in getattr(connector, "trading_pairs", []) or []:
                try:
                    price = connector.get_price_by_type(trading_pair, PriceType.MidPrice)
                except Exception:
                    continue
                if price is not None and price.is_finite() and price > 0:
                    prices.setdefault(trading_pair, price)
        return prices
