"""Builds a Hummingbot trade database with Hummingbot's own models, for report and records tests."""
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Optional, Tuple

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from grvt_tools.records import RecordsError, read_records
from hummingbot.model import HummingbotBase
from hummingbot.model.funding_payment import FundingPayment
from hummingbot.model.market_data import MarketData
from hummingbot.model.order import Order
from hummingbot.model.order_status import OrderStatus
from hummingbot.model.trade_fill import TradeFill

CONFIG = "grvt_demo.yml"
CONNECTOR = "grvt_perpetual_testnet"
PAIR = "BTC-USDT"


def has_quotes(database: Path) -> bool:
    """Whether a running bot's database holds quotes yet: Hummingbot creates the file before its tables."""
    try:
        return bool(read_records(database).quotes)
    except RecordsError:
        return False


class TradeDatabase:
    """Orders, fills, funding and mid samples written the way Hummingbot's markets recorder writes them."""

    def __init__(self, path: Path):
        self.path = path
        self.engine = create_engine(f"sqlite:///{path}")
        HummingbotBase.metadata.create_all(self.engine)
        self._fill_number = 0

    def order(self, order_id: str, side: str, price: str, amount: str, created_ms: int,
              ended_ms: Optional[int] = None, ended_as: str = "OrderCancelled", position: str = "OPEN") -> None:
        with Session(self.engine) as session, session.begin():
            session.add(Order(id=order_id, config_file_path=CONFIG, strategy="perpetual_market_making",
                              market=CONNECTOR, symbol=PAIR, base_asset="BTC", quote_asset="USDT",
                              creation_timestamp=created_ms, order_type="LIMIT", amount=Decimal(amount), leverage=5,
                              price=Decimal(price), last_status=ended_as if ended_ms else f"{side.title()}OrderCreated",
                              last_update_timestamp=ended_ms or created_ms, exchange_order_id=None,
                              position=position))
            session.add(OrderStatus(order_id=order_id, timestamp=created_ms, status=f"{side.title()}OrderCreated"))
            if ended_ms:
                session.add(OrderStatus(order_id=order_id, timestamp=ended_ms, status=ended_as))

    def fill(self, order_id: str, side: str, price: str, amount: str, fee: str, timestamp_ms: int,
             position: str = "OPEN", fee_in_quote: bool = True) -> None:
        self._fill_number += 1
        trade_fee = {"fee_type": "AddedToCost", "percent": "0", "percent_token": "USDT",
                     "flat_fees": [{"token": "USDT", "amount": fee}]}
        with Session(self.engine) as session, session.begin():
            session.add(TradeFill(config_file_path=CONFIG, strategy="perpetual_market_making", market=CONNECTOR,
                                  symbol=PAIR, base_asset="BTC", quote_asset="USDT", timestamp=timestamp_ms,
                                  order_id=order_id, trade_type=side, order_type="LIMIT", price=Decimal(price),
                                  amount=Decimal(amount), leverage=5, trade_fee=trade_fee,
                                  trade_fee_in_quote=Decimal(fee) if fee_in_quote else None,
                                  exchange_trade_id=f"trade-{self._fill_number}", position=position))

    def funding(self, timestamp_ms: int, amount: float, rate: float = 0.0001) -> None:
        with Session(self.engine) as session, session.begin():
            session.add(FundingPayment(timestamp=timestamp_ms, config_file_path=CONFIG, market=CONNECTOR, rate=rate,
                                       symbol=PAIR, amount=amount))

    def mids(self, samples: Iterable[Tuple[int, str]]) -> None:
        with Session(self.engine) as session, session.begin():
            for timestamp_ms, mid in samples:
                mid = Decimal(mid)
                session.add(MarketData(timestamp=timestamp_ms, exchange=CONNECTOR, trading_pair=PAIR, mid_price=mid,
                                       best_bid=mid - Decimal("0.5"), best_ask=mid + Decimal("0.5"),
                                       order_book={"bid": [], "ask": []}))
