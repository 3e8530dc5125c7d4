"""Market-data routes (public): instruments, currencies, book, tickers, trades, funding rates, klines."""
from typing import Callable, Dict, Optional

from grvt_sandbox.engine.exchange import Exchange
from grvt_sandbox.enums import CANDLE_INTERVALS_NS, CANDLE_TYPES
from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.gateway import encoding
from grvt_sandbox.gateway.requests import (
    history_page,
    instrument_filter,
    optional_str,
    optional_time,
    optional_uint,
    require_dict,
)
from grvt_sandbox.history import page_limit
from grvt_sandbox.instruments import Instrument

BOOK_DEPTHS = (10, 50, 100, 500)
CURRENCIES = {"USDT": (3, 6), "BTC": (5, 9), "ETH": (4, 9), "SOL": (6, 9), "USD": (1, 6), "USDC": (2, 6)}

Handler = Callable[[Optional[object], dict], dict]


class MarketDataService:
    def __init__(self, exchange: Exchange):
        self.exchange = exchange
        self.routes: Dict[str, Handler] = {
            "v1/instrument": self.instrument,
            "v1/instruments": self.instruments,
            "v1/all_instruments": self.all_instruments,
            "v1/currency": self.currency,
            "v1/book": self.book,
            "v1/ticker": self.ticker,
            "v1/mini": self.mini,
            "v1/trade": self.trade,
            "v1/trade_history": self.trade_history,
            "v1/funding": self.funding,
            "v1/kline": self.kline,
        }

    def _instrument(self, body: dict) -> Instrument:
        instrument = self.exchange.instruments.get(require_dict(body).get("instrument"))
        if instrument is None:
            raise GrvtApiError(3000)
        return instrument

    def instrument(self, _session: Optional[object], body: dict) -> dict:
        return {"result": self._instrument(body).to_json()}

    def instruments(self, _session: Optional[object], body: dict) -> dict:
        require_dict(body)
        accept = instrument_filter(body)
        is_active = body.get("is_active")
        if is_active is not None and not isinstance(is_active, bool):
            raise GrvtApiError(1003, "is_active must be a boolean")
        limit = page_limit(body.get("limit"), 500, 100_000)
        result = [instrument.to_json() for instrument in self.exchange.instruments
                  if accept(instrument) and (is_active is None or instrument.is_active == bool(is_active))]
        return {"result": result[:limit]}

    def all_instruments(self, _session: Optional[object], body: dict) -> dict:
        is_active = require_dict(body).get("is_active")
        if is_active is not None and not isinstance(is_active, bool):
            raise GrvtApiError(1003, "is_active must be a boolean")
        return {"result": [instrument.to_json() for instrument in self.exchange.instruments
                           if is_active is None or instrument.is_active == bool(is_active)]}

    def currency(self, _session: Optional[object], body: dict) -> dict:
        return {"result": [{"id": currency_id, "symbol": symbol, "balance_decimals": decimals,
                            "quantity_multiplier": str(10 ** decimals)}
                           for symbol, (currency_id, decimals) in CURRENCIES.items()]}

    def book(self, _session: Optional[object], body: dict) -> dict:
        instrument = self._instrument(body)
        depth = optional_uint(body, "depth")
        depth = 10 if depth is None else depth
        if depth not in BOOK_DEPTHS:
            raise GrvtApiError(3031)
        return {"result": encoding.book_json(self.exchange.books[instrument.name], depth, self.exchange.now_ns())}

    def ticker(self, _session: Optional[object], body: dict) -> dict:
        instrument = self._instrument(body)
        return {"result": encoding.ticker_json(self.exchange, instrument.name, self.exchange.now_ns())}

    def mini(self, _session: Optional[object], body: dict) -> dict:
        instrument = self._instrument(body)
        return {"result": encoding.mini_ticker_json(self.exchange, instrument.name, self.exchange.now_ns())}

    def trade(self, _session: Optional[object], body: dict) -> dict:
        instrument = self._instrument(body)
        limit = page_limit(body.get("limit"))
        trades = self.exchange.markets[instrument.name].trades.latest(limit)
        return {"result": [encoding.trade_json(trade) for trade in trades]}

    def trade_history(self, _session: Optional[object], body: dict) -> dict:
        instrument = self._instrument(body)
        return history_page(self.exchange.markets[instrument.name].trades, body, encoding.trade_json)

    def funding(self, _session: Optional[object], body: dict) -> dict:
        instrument = self._instrument(body)
        return history_page(self.exchange.markets[instrument.name].funding_history, body, encoding.funding_rate_json)

    def kline(self, _session: Optional[object], body: dict) -> dict:
        instrument = self._instrument(body)
        interval = body.get("interval", "CI_1_M")
        if not isinstance(interval, str) or interval not in CANDLE_INTERVALS_NS:
            raise GrvtApiError(3040)
        candle_type = body.get("type", "TRADE")
        if not isinstance(candle_type, str) or candle_type not in CANDLE_TYPES:
            raise GrvtApiError(3041)
        limit = page_limit(body.get("limit"))
        cursor_text = optional_str(body, "cursor")
        if cursor_text is not None and not cursor_text.isdecimal():
            raise GrvtApiError(1003, "cursor is invalid")
        candles, cursor = self.exchange.markets[instrument.name].candles[candle_type].aggregate(
            interval, optional_time(body, "start_time"), optional_time(body, "end_time"), limit,
            int(cursor_text) if cursor_text else None)
        width = CANDLE_INTERVALS_NS[interval]
        return {"result": [encoding.candle_json(candle, width, instrument.name) for candle in candles],
                "next": str(cursor) if cursor is not None else ""}
