"""A bot's own trade records: Hummingbot's sqlite database in ``data/``.

Hummingbot's markets recorder writes one sqlite file per strategy or script config, ``data/<config name>.sqlite``
(``BotRoot.database(config)``), for any exchange: the sandbox, GRVT's testnet or mainnet. This module reads it with
the standard library only, read-only, so it also works on a copy taken from a Docker volume or while the bot runs:

- ``Order`` + ``OrderStatus``: every order the strategy placed (our quotes) with its side, price, size and lifetime;
- ``TradeFill``: every fill with its price, size, side, fee (negative = rebate) and position action;
- ``FundingPayment``: funding payments (positive = received, Hummingbot's sign), timed in the connector's unit;
- ``MarketData``: mid price, best bid and ask, sampled by Hummingbot when ``market_data_collection`` is enabled in
  ``conf_client.yml`` (``bot_root.MID_PRICE_SAMPLING_SETTINGS``).

Decimals are stored as integers scaled by 10**6 (Hummingbot's ``SqliteDecimal(6)``) and come back as ``Decimal``.
"""
import json
import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

SCALE = Decimal(10) ** 6
TERMINAL_ORDER_EVENTS = ("OrderCancelled", "BuyOrderCompleted", "SellOrderCompleted", "OrderFailure", "OrderExpired")
CREATED_EVENTS = {"BuyOrderCreated": "BUY", "SellOrderCreated": "SELL"}


class RecordsError(Exception):
    """The database is missing or not one of Hummingbot's trade databases."""


@dataclass(frozen=True)
class Fill:
    timestamp: float  # seconds since the epoch
    connector: str
    trading_pair: str
    side: str  # BUY or SELL
    price: Decimal
    amount: Decimal
    fee_quote: Decimal  # in the quote asset; negative is a rebate
    position_action: str  # OPEN, CLOSE or NIL
    order_id: str
    exchange_trade_id: str
    order_type: str
    leverage: int
    config_file_path: str
    strategy: str

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.side == "BUY" else -self.amount

    @property
    def notional(self) -> Decimal:
        return self.price * self.amount


@dataclass(frozen=True)
class Quote:
    """An order the strategy placed, from its creation to its last recorded event (``ended`` None: still open)."""

    order_id: str
    connector: str
    trading_pair: str
    side: str  # BUY, SELL or "" when the creation event is missing
    price: Decimal
    amount: Decimal
    created: float
    ended: Optional[float]
    last_status: str
    order_type: str
    position_action: str
    exchange_order_id: Optional[str]


@dataclass(frozen=True)
class FundingRecord:
    timestamp: float
    connector: str
    trading_pair: str
    rate: float
    amount: float  # positive when received


@dataclass(frozen=True)
class MidSample:
    timestamp: float
    connector: str
    trading_pair: str
    mid: Decimal
    best_bid: Decimal
    best_ask: Decimal


@dataclass
class TradeRecords:
    """What one database holds, optionally narrowed to one config file, connector and trading pair."""

    database: Path
    fills: List[Fill] = field(default_factory=list)
    quotes: List[Quote] = field(default_factory=list)
    funding: List[FundingRecord] = field(default_factory=list)
    mids: List[MidSample] = field(default_factory=list)
    opening_positions: Dict[tuple, Decimal] = field(default_factory=dict)  # at ``since``, from the fills before it

    @property
    def markets(self) -> List[tuple]:
        """(connector, trading pair) pairs seen in fills or quotes, in first-seen order."""
        seen: Dict[tuple, None] = {}
        for record in list(self.quotes) + list(self.fills):
            seen.setdefault((record.connector, record.trading_pair), None)
        return list(seen)

    def first_timestamp(self) -> Optional[float]:
        times = [q.created for q in self.quotes] + [f.timestamp for f in self.fills] + [m.timestamp for m in self.mids]
        return min(times) if times else None

    def last_timestamp(self) -> Optional[float]:
        times = ([q.ended or q.created for q in self.quotes] + [f.timestamp for f in self.fills]
                 + [m.timestamp for m in self.mids] + [p.timestamp for p in self.funding])
        return max(times) if times else None


def _scaled(value: Optional[int]) -> Decimal:
    return Decimal(0) if value is None else Decimal(value) / SCALE


def _seconds(milliseconds: float) -> float:
    return float(milliseconds) / 1e3


# Below this a timestamp is in seconds: as milliseconds it would fall in 1973, as seconds in the year 5138.
_SECONDS_BELOW = 1e11


def _funding_seconds(timestamp: float) -> float:
    """``FundingPayment.timestamp`` holds whatever the connector reported: seconds (GRVT) or milliseconds."""
    value = float(timestamp)
    return value if value < _SECONDS_BELOW else value / 1e3


def fee_in_quote(trade_fee_json: str, fee_in_quote_scaled: Optional[int], price: Decimal, amount: Decimal,
                 quote: str) -> Decimal:
    """A fill's fee in the quote asset: Hummingbot's own conversion when it stored one, else from the fee JSON."""
    if fee_in_quote_scaled is not None:
        return _scaled(fee_in_quote_scaled)
    fee = trade_fee_json
    try:
        while isinstance(fee, str):
            fee = json.loads(fee or "{}")
    except ValueError:
        return Decimal(0)
    if not isinstance(fee, dict):
        return Decimal(0)
    total = Decimal(str(fee.get("percent") or 0)) * price * amount
    for flat in fee.get("flat_fees") or ():
        if flat.get("token") == quote:
            total += Decimal(str(flat.get("amount") or 0))
    return total


def connect_read_only(database: Path) -> sqlite3.Connection:
    path = Path(database)
    if not path.is_file():
        raise RecordsError(f"No trade database at {path}")
    connection = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, timeout=10)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError:  # not an sqlite file at all
        tables = set()
    if "TradeFill" not in tables or "Order" not in tables:
        connection.close()
        raise RecordsError(f"{path} is not a Hummingbot trade database (no TradeFill/Order tables)")
    return connection


def _filters(config_file: Optional[str], connector: Optional[str], trading_pair: Optional[str],
             connector_column: str = "market", pair_column: str = "symbol",
             with_config: bool = True) -> Tuple[str, List[str]]:
    clauses, params = [], []
    if config_file and with_config:
        clauses.append("config_file_path = ?")
        params.append(config_file)
    if connector:
        clauses.append(f"{connector_column} = ?")
        params.append(connector)
    if trading_pair:
        clauses.append(f"{pair_column} = ?")
        params.append(trading_pair)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def config_files(database: Path) -> List[str]:
    """The strategy/script config files that wrote orders into the database, most recent last."""
    with connect_read_only(database) as connection:
        rows = connection.execute('SELECT config_file_path, MAX(creation_timestamp) FROM "Order" '
                                  "GROUP BY config_file_path ORDER BY 2").fetchall()
    return [row[0] for row in rows]


def read_records(database: Path, config_file: Optional[str] = None, connector: Optional[str] = None,
                 trading_pair: Optional[str] = None, since: Optional[float] = None) -> TradeRecords:
    """Reads fills, quotes, funding payments and mid samples (``since``: seconds since the epoch)."""
    connection = connect_read_only(database)
    try:
        records = TradeRecords(database=Path(database))
        records.fills = _read_fills(connection, config_file, connector, trading_pair)
        records.quotes = _read_quotes(connection, config_file, connector, trading_pair)
        records.funding = _read_funding(connection, config_file, connector, trading_pair)
        records.mids = _read_mids(connection, connector, trading_pair)
    finally:
        connection.close()
    if since is not None:
        for fill in (f for f in records.fills if f.timestamp < since):
            market = (fill.connector, fill.trading_pair)
            records.opening_positions[market] = records.opening_positions.get(market, Decimal(0)) + fill.signed_amount
        records.fills = [f for f in records.fills if f.timestamp >= since]
        records.quotes = [q for q in records.quotes if (q.ended or q.created) >= since]
        records.funding = [p for p in records.funding if p.timestamp >= since]
        records.mids = [m for m in records.mids if m.timestamp >= since]
    return records


def _read_fills(connection: sqlite3.Connection, config_file: Optional[str], connector: Optional[str],
                trading_pair: Optional[str]) -> List[Fill]:
    where, params = _filters(config_file, connector, trading_pair)
    rows = connection.execute(
        "SELECT timestamp, market, symbol, quote_asset, trade_type, price, amount, trade_fee, trade_fee_in_quote, "
        "position, order_id, exchange_trade_id, order_type, leverage, config_file_path, strategy "
        f"FROM TradeFill{where} ORDER BY timestamp, rowid", params).fetchall()
    fills = []
    for (timestamp, market, symbol, quote, side, price, amount, fee_json, fee_quote, position, order_id, trade_id,
         order_type, leverage, config_path, strategy) in rows:
        price, amount = _scaled(price), _scaled(amount)
        fills.append(Fill(
            timestamp=_seconds(timestamp), connector=market, trading_pair=symbol, side=str(side).upper(),
            price=price, amount=amount, fee_quote=fee_in_quote(fee_json, fee_quote, price, amount, quote),
            position_action=position or "NIL", order_id=order_id, exchange_trade_id=str(trade_id),
            order_type=order_type, leverage=int(leverage or 1), config_file_path=config_path, strategy=strategy))
    return fills


def _read_quotes(connection: sqlite3.Connection, config_file: Optional[str], connector: Optional[str],
                 trading_pair: Optional[str]) -> List[Quote]:
    where, params = _filters(config_file, connector, trading_pair)
    orders = connection.execute(
        'SELECT id, market, symbol, price, amount, creation_timestamp, last_status, last_update_timestamp, '
        f'order_type, position, exchange_order_id FROM "Order"{where} ORDER BY creation_timestamp, rowid',
        params).fetchall()
    events: Dict[str, List[tuple]] = {}
    for order_id, timestamp, status in connection.execute(
            "SELECT order_id, timestamp, status FROM OrderStatus ORDER BY timestamp, id"):
        events.setdefault(order_id, []).append((timestamp, status))
    quotes = []
    for (order_id, market, symbol, price, amount, created, last_status, last_update, order_type, position,
         exchange_order_id) in orders:
        history = events.get(order_id, [])
        side = next((CREATED_EVENTS[status] for _, status in history if status in CREATED_EVENTS), "")
        ended = None
        if last_status in TERMINAL_ORDER_EVENTS:
            ended = _seconds(max([last_update or created] + [t for t, s in history if s in TERMINAL_ORDER_EVENTS]))
        quotes.append(Quote(order_id=order_id, connector=market, trading_pair=symbol, side=side, price=_scaled(price),
                            amount=_scaled(amount), created=_seconds(created), ended=ended, last_status=last_status,
                            order_type=order_type, position_action=position or "NIL",
                            exchange_order_id=exchange_order_id))
    return quotes


def _read_funding(connection: sqlite3.Connection, config_file: Optional[str], connector: Optional[str],
                  trading_pair: Optional[str]) -> List[FundingRecord]:
    where, params = _filters(config_file, connector, trading_pair)
    rows = connection.execute(
        f"SELECT timestamp, market, symbol, rate, amount FROM FundingPayment{where} ORDER BY timestamp",
        params).fetchall()
    return [FundingRecord(timestamp=_funding_seconds(t), connector=m, trading_pair=s, rate=float(r or 0),
                          amount=float(a or 0)) for t, m, s, r, a in rows]


def _read_mids(connection: sqlite3.Connection, connector: Optional[str],
               trading_pair: Optional[str]) -> List[MidSample]:
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "MarketData" not in tables:
        return []
    where, params = _filters(None, connector, trading_pair, connector_column="exchange",
                             pair_column="trading_pair", with_config=False)
    rows = connection.execute(
        f"SELECT timestamp, exchange, trading_pair, mid_price, best_bid, best_ask FROM MarketData{where} "
        "ORDER BY timestamp", params).fetchall()
    # MarketData.timestamp holds milliseconds in a SqliteDecimal(6) column.
    return [MidSample(timestamp=float(_scaled(t)) / 1e3, connector=e, trading_pair=p, mid=_scaled(m),
                      best_bid=_scaled(b), best_ask=_scaled(a)) for t, e, p, m, b, a in rows]


def find_databases(location: Path) -> List[Path]:
    """Trade databases at a path: the file itself, or ``*.sqlite`` in a folder or a root's ``data/``, newest last."""
    location = Path(location)
    if location.is_file():
        return [location]
    candidates: Iterable[Path] = []
    for folder in (location / "data", location):
        if folder.is_dir():
            candidates = [p for p in folder.glob("*.sqlite") if p.is_file()]
            if candidates:
                break
    return sorted(candidates, key=lambda path: path.stat().st_mtime)


def only_market(records: TradeRecords, markets: Sequence[tuple]) -> TradeRecords:
    """Narrows records to one or more (connector, trading pair) markets."""
    wanted = set(markets)
    return TradeRecords(
        database=records.database,
        fills=[f for f in records.fills if (f.connector, f.trading_pair) in wanted],
        quotes=[q for q in records.quotes if (q.connector, q.trading_pair) in wanted],
        funding=[p for p in records.funding if (p.connector, p.trading_pair) in wanted],
        mids=[m for m in records.mids if (m.connector, m.trading_pair) in wanted],
        opening_positions={market: size for market, size in records.opening_positions.items() if market in wanted})
