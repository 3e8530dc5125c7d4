"""Immutable records the engine produces: fills, public trades, funding payments and funding rates."""
from decimal import Decimal

from grvt_sandbox.instruments import Instrument


class Fill:
    """One side of a trade, as GRVT's `Fill`."""

    __slots__ = ("event_time", "sub_account_id", "instrument", "is_buyer", "is_taker", "size", "price",
                 "mark_price", "index_price", "realized_pnl", "fee", "fee_rate", "trade_id", "order_id",
                 "client_order_id", "signer")

    def __init__(self, event_time: int, sub_account_id: str, instrument: Instrument, is_buyer: bool, is_taker: bool,
                 size: int, price: int, mark_price: Decimal, index_price: Decimal, realized_pnl: Decimal,
                 fee: Decimal, fee_rate: Decimal, trade_id: str, order_id: str, client_order_id: str, signer: str):
        self.event_time = event_time
        self.sub_account_id = sub_account_id
        self.instrument = instrument
        self.is_buyer = is_buyer
        self.is_taker = is_taker
        self.size = size
        self.price = price
        self.mark_price = mark_price
        self.index_price = index_price
        self.realized_pnl = realized_pnl
        self.fee = fee
        self.fee_rate = fee_rate
        self.trade_id = trade_id
        self.order_id = order_id
        self.client_order_id = client_order_id
        self.signer = signer


class Trade:
    """A public trade. `price`/`size` are Decimals for observers; `price_int`/`size_int` the engine's integers."""

    __slots__ = ("event_time", "instrument", "is_taker_buyer", "size", "price", "size_int", "price_int",
                 "mark_price", "index_price", "trade_id", "taker_sub_account_id", "maker_sub_account_id",
                 "taker_order_id", "maker_order_id")

    def __init__(self, event_time: int, instrument: Instrument, is_taker_buyer: bool, size_int: int, price_int: int,
                 size: Decimal, price: Decimal, mark_price: Decimal, index_price: Decimal, trade_id: str,
                 taker_sub_account_id: str, maker_sub_account_id: str, taker_order_id: str, maker_order_id: str):
        self.event_time = event_time
        self.instrument = instrument
        self.is_taker_buyer = is_taker_buyer
        self.size_int = size_int
        self.price_int = price_int
        self.size = size
        self.price = price
        self.mark_price = mark_price
        self.index_price = index_price
        self.trade_id = trade_id
        self.taker_sub_account_id = taker_sub_account_id
        self.maker_sub_account_id = maker_sub_account_id
        self.taker_order_id = taker_order_id
        self.maker_order_id = maker_order_id

    @property
    def instrument_name(self) -> str:
        return self.instrument.name

    def __repr__(self) -> str:
        side = "buy" if self.is_taker_buyer else "sell"
        return f"Trade({self.trade_id} {self.instrument.name} taker {side} {self.size}@{self.price})"


class FundingPayment:
    __slots__ = ("event_time", "sub_account_id", "instrument", "currency", "amount", "tx_id")

    def __init__(self, event_time: int, sub_account_id: str, instrument: Instrument, amount: Decimal, tx_id: str):
        self.event_time = event_time
        self.sub_account_id = sub_account_id
        self.instrument = instrument
        self.currency = "USDT"
        self.amount = amount  # positive = paid, negative = received, as the spec says
        self.tx_id = tx_id


class FundingRateRecord:
    __slots__ = ("event_time", "instrument", "funding_rate", "mark_price", "funding_interval_hours")

    def __init__(self, event_time: int, instrument: Instrument, funding_rate: Decimal, mark_price: Decimal):
        self.event_time = event_time
        self.instrument = instrument
        self.funding_rate = funding_rate  # percent
        self.mark_price = mark_price
        self.funding_interval_hours = instrument.funding_interval_hours
