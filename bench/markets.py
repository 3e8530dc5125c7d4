"""The markets every benchmark uses (shared by the sandbox host and the scenario children, which must stay light)."""
from decimal import Decimal

TRADING_PAIR = "BTC-USDT"
INSTRUMENT = "BTC_USDT_Perp"
REFERENCE_PRICE = Decimal("90000")  # the sandbox's initial BTC price; the bench's resting orders sit 20 % under it
# (base, tick size, min size, price) of seven perpetuals added to the sandbox's three, so a connector can trade ten
EXTRA_INSTRUMENTS = (
    ("ARB", "0.0001", "1", "0.8"), ("BNB", "0.01", "0.01", "600"), ("OP", "0.0001", "1", "2"),
    ("ATOM", "0.001", "0.1", "8"), ("TON", "0.001", "0.1", "5"), ("XRP", "0.0001", "1", "0.6"),
    ("WIF", "0.0001", "1", "2"),
)
TEN_TRADING_PAIRS = ("BTC-USDT", "ETH-USDT", "SOL-USDT") + tuple(f"{base}-USDT" for base, *_ in EXTRA_INSTRUMENTS)
