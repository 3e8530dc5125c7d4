"""Per-instrument market statistics: index/mark prices, last trade, public trade log, candles, open interest."""
from collections import deque
from decimal import Decimal
from typing import Deque, Dict, List, Optional, Tuple, TypedDict

from grvt_sandbox.engine.records import Trade
from grvt_sandbox.enums import CANDLE_INTERVALS_NS
from grvt_sandbox.history import HistoryLog
from grvt_sandbox.instruments import Instrument
from grvt_sandbox.numbers import ZERO

MINUTE_NS = 60_000_000_000
DAY_NS = 86_400_000_000_000


class Stats24h(TypedDict):
    high: Optional[Decimal]
    low: Optional[Decimal]
    open: Optional[Decimal]
    buy_b: Decimal
    sell_b: Decimal
    buy_q: Decimal
    sell_q: Decimal


class Candle:
    __slots__ = ("open_time", "open", "high", "low", "close", "volume_b", "volume_q", "buy_volume_b",
                 "buy_volume_q", "trades")

    def __init__(self, open_time: int, price: Decimal):
        self.open_time = open_time
        self.open = self.high = self.low = self.close = price
        self.volume_b = self.volume_q = self.buy_volume_b = self.buy_volume_q = ZERO
        self.trades = 0

    def update_price(self, price: Decimal) -> None:
        self.close = price
        if price > self.high:
            self.high = price
        elif price < self.low:
            self.low = price


class CandleSeries:
    """One-minute candles of one price type; longer intervals are aggregated on request."""

    def __init__(self, max_minutes: int = 20_160):
        self.minutes: Deque[Candle] = deque(maxlen=max_minutes)

    def current(self, now_ns: int, price: Decimal) -> Candle:
        open_time = now_ns - now_ns % MINUTE_NS
        if self.minutes and self.minutes[-1].open_time == open_time:
            return self.minutes[-1]
        candle = Candle(open_time, price)
        self.minutes.append(candle)
        return candle

    def record_price(self, now_ns: int, price: Decimal) -> None:
        self.current(now_ns, price).update_price(price)

    def aggregate(self, interval: str, start_time: Optional[int], end_time: Optional[int], limit: int,
                  cursor: Optional[int]) -> Tuple[List[Candle], Optional[int]]:
        """Candles of `interval`, newest first; returns (candles, open_time to continue from or None)."""
        width = CANDLE_INTERVALS_NS[interval]
        result: List[Candle] = []
        bucket: Optional[Candle] = None
        upper = end_time if end_time is not None else None
        if cursor is not None:
            upper = cursor if upper is None else min(upper, cursor)
        for minute in reversed(self.minutes):
            if upper is not None and minute.open_time > upper:
                continue
            if start_time is not None and minute.open_time < start_time - start_time % width:
                break
            open_time = minute.open_time - minute.open_time % width
            if bucket is None or bucket.open_time != open_time:
                if len(result) == limit:
                    return result, open_time + width - 1
                bucket = Candle(open_time, minute.open)
                bucket.close, bucket.high, bucket.low = minute.close, minute.high, minute.low
                result.append(bucket)
            else:
                bucket.open = minute.open
                bucket.high = max(bucket.high, minute.high)
                bucket.low = min(bucket.low, minute.low)
            bucket.volume_b += minute.volume_b
            bucket.volume_q += minute.volume_q
            bucket.buy_volume_b += minute.buy_volume_b
            bucket.buy_volume_q += minute.buy_volume_q
            bucket.trades += minute.trades
        return result, None


class InstrumentMarket:
    """Everything public about one instrument except its book."""

    def __init__(self, instrument: Instrument, initial_price: Decimal, trade_log_size: int = 100_000):
        self.instrument = instrument
        self.index_price = initial_price
        self.mark_price = initial_price
        self.last_price: Optional[Decimal] = None
        self.last_size: Optional[Decimal] = None
        self.trades: HistoryLog = HistoryLog(trade_log_size)
        self.candles: Dict[str, CandleSeries] = {name: CandleSeries() for name in ("TRADE", "MARK", "INDEX", "MID")}
        self.open_interest = ZERO
        self.funding_rate = ZERO  # percent, the rate that applies at the next settlement
        self.next_funding_time = 0
        self.premium_sum = ZERO
        self.premium_samples = 0
        self.funding_history: HistoryLog = HistoryLog(50_000)

    def record_trade(self, trade: Trade) -> None:
        self.trades.append(trade)
        self.last_price = trade.price
        self.last_size = trade.size
        candle = self.candles["TRADE"].current(trade.event_time, trade.price)
        candle.update_price(trade.price)
        notional = trade.price * trade.size
        candle.volume_b += trade.size
        candle.volume_q += notional
        if trade.is_taker_buyer:
            candle.buy_volume_b += trade.size
            candle.buy_volume_q += notional
        candle.trades += 1

    def set_prices(self, now_ns: int, index_price: Decimal, mark_price: Decimal) -> None:
        self.index_price = index_price
        self.mark_price = mark_price
        self.candles["INDEX"].record_price(now_ns, index_price)
        self.candles["MARK"].record_price(now_ns, mark_price)

    def stats_24h(self, now_ns: int) -> Stats24h:
        """high, low and open are None when nothing traded in the last 24 hours."""
        since = now_ns - DAY_NS
        high: Optional[Decimal] = None
        low: Optional[Decimal] = None
        open_price: Optional[Decimal] = None
        buy_b = sell_b = buy_q = sell_q = ZERO
        for candle in reversed(self.candles["TRADE"].minutes):
            if candle.open_time < since - MINUTE_NS:
                break
            open_price = candle.open
            high = candle.high if high is None else max(high, candle.high)
            low = candle.low if low is None else min(low, candle.low)
            buy_b += candle.buy_volume_b
            buy_q += candle.buy_volume_q
            sell_b += candle.volume_b - candle.buy_volume_b
            sell_q += candle.volume_q - candle.buy_volume_q
        return {"high": high, "low": low, "open": open_price, "buy_b": buy_b, "sell_b": sell_b,
                "buy_q": buy_q, "sell_q": sell_q}
