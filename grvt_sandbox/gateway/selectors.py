"""Stream names, selector grammar and whitelists, with GRVT's subscribe error codes."""
from dataclasses import dataclass
from typing import Optional

from grvt_sandbox.enums import CANDLE_INTERVALS_NS, CANDLE_TYPES
from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.instruments import InstrumentRegistry

BOOK_SNAPSHOT_RATES = (500, 1000)
BOOK_DELTA_RATES = (50, 100, 500, 1000)
BOOK_DEPTHS = (10, 50, 100, 500)
MINI_SNAPSHOT_RATES = (200, 500, 1000, 5000)
MINI_DELTA_RATES = (0, 50, 100, 200, 500, 1000, 5000)
TICKER_SNAPSHOT_RATES = (500, 1000, 5000)
TICKER_DELTA_RATES = (100, 200, 500, 1000, 5000)
TRADE_LIMITS = (50, 200, 500, 1000)

PUBLIC_STREAMS = ("v1.book.s", "v1.book.d", "v1.mini.s", "v1.mini.d", "v1.ticker.s", "v1.ticker.d", "v1.trade",
                  "v1.candle")
PRIVATE_STREAMS = ("v1.order", "v1.state", "v1.fill", "v1.position", "v1.cancel")
RATES = {
    "v1.book.s": BOOK_SNAPSHOT_RATES, "v1.book.d": BOOK_DELTA_RATES, "v1.mini.s": MINI_SNAPSHOT_RATES,
    "v1.mini.d": MINI_DELTA_RATES, "v1.ticker.s": TICKER_SNAPSHOT_RATES, "v1.ticker.d": TICKER_DELTA_RATES,
}


@dataclass(frozen=True)
class FeedSpec:
    stream: str
    selector: str
    primary: str  # the part left of '@' (re-subscribing it with another secondary replaces the old one)
    instrument: Optional[str] = None
    rate_ms: int = 0
    depth: int = 0
    limit: int = 0
    interval: str = ""
    candle_type: str = ""
    sub_account_id: Optional[str] = None

    @property
    def public_instrument(self) -> str:
        """The instrument of a public stream, whose selector always names one."""
        if self.instrument is None:
            raise ValueError(f"{self.stream} selector {self.selector!r} names no instrument")
        return self.instrument


def _int(text: str, code: int) -> int:
    if not text.isdecimal():
        raise GrvtApiError(code)
    return int(text)


def parse_public_selector(stream: str, selector: str, instruments: InstrumentRegistry) -> FeedSpec:
    if not isinstance(selector, str) or selector.count("@") != 1:
        raise GrvtApiError(1101)
    primary, secondary = selector.split("@")
    if not primary or "," in primary:
        raise GrvtApiError(1102)
    if primary not in instruments:
        raise GrvtApiError(3000)
    parts = secondary.split("-") if secondary else []
    if stream == "v1.book.s":
        if len(parts) != 2:
            raise GrvtApiError(1103)
        rate, depth = _int(parts[0], 3030), _int(parts[1], 3031)
        if rate not in BOOK_SNAPSHOT_RATES:
            raise GrvtApiError(3030)
        if depth not in BOOK_DEPTHS:
            raise GrvtApiError(3031)
        return FeedSpec(stream, selector, primary, primary, rate_ms=rate, depth=depth)
    if stream == "v1.candle":
        if len(parts) != 2:
            raise GrvtApiError(1103)
        if parts[0] not in CANDLE_INTERVALS_NS:
            raise GrvtApiError(3040)
        if parts[1] not in CANDLE_TYPES:
            raise GrvtApiError(3041)
        return FeedSpec(stream, selector, primary, primary, interval=parts[0], candle_type=parts[1])
    if len(parts) != 1:
        raise GrvtApiError(1103)
    if stream == "v1.trade":
        limit = _int(parts[0], 3011)
        if limit not in TRADE_LIMITS:
            raise GrvtApiError(3013 if 1 <= limit <= 1000 else 3011)
        return FeedSpec(stream, selector, primary, primary, limit=limit)
    rate = _int(parts[0], 3030)
    if rate not in RATES[stream]:
        raise GrvtApiError(3030)
    return FeedSpec(stream, selector, primary, primary, rate_ms=rate)


def parse_private_selector(stream: str, selector: str, instruments: InstrumentRegistry) -> FeedSpec:
    if not isinstance(selector, str) or not selector:
        raise GrvtApiError(3020)
    if "@" in selector:
        raise GrvtApiError(1102)
    sub_account_id, _, instrument = selector.partition("-")
    if not sub_account_id.isdecimal() or int(sub_account_id) >= 2 ** 64:
        raise GrvtApiError(3020)
    if instrument:
        if stream == "v1.cancel":
            raise GrvtApiError(1102)
        if instrument not in instruments:
            raise GrvtApiError(3000)
    return FeedSpec(stream, selector, selector, instrument or None, sub_account_id=str(int(sub_account_id)))
