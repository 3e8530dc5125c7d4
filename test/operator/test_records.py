"""Reading Hummingbot's trade database: fills, quotes with their lifetimes, funding and mid samples."""
import sqlite3
from decimal import Decimal

import pytest

from grvt_tools.records import RecordsError, config_files, find_databases, read_records
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import GrvtFundingPayment
from test.operator.records_fixture import CONFIG, CONNECTOR, PAIR, TradeDatabase

T0 = 1_800_000_000_000  # ms


@pytest.fixture
def database(tmp_path):
    (tmp_path / "data").mkdir()
    db = TradeDatabase(tmp_path / "data" / "grvt_demo.sqlite")
    db.order("b1", "BUY", "99990", "0.01", T0, ended_ms=T0 + 1500, ended_as="BuyOrderCompleted")
    db.order("s1", "SELL", "100010", "0.01", T0, ended_ms=T0 + 2000)
    db.order("s2", "SELL", "100012", "0.01", T0 + 3000)  # still open
    db.fill("b1", "BUY", "99990", "0.01", "-0.0003", T0 + 1000)
    db.fill("s2", "SELL", "100012", "0.004", "0.0005", T0 + 4000, position="CLOSE", fee_in_quote=False)
    db.funding(T0 + 5000, -0.25)
    db.mids([(T0, "100000"), (T0 + 1000, "100001.5")])
    return db.path


def test_fills_quotes_funding_and_mids_come_back_typed(database):
    records = read_records(database)
    assert records.markets == [(CONNECTOR, PAIR)]
    buy, sell = records.fills
    assert (buy.side, buy.price, buy.amount, buy.fee_quote, buy.timestamp) == \
        ("BUY", Decimal("99990"), Decimal("0.01"), Decimal("-0.0003"), (T0 + 1000) / 1e3)
    assert sell.signed_amount == Decimal("-0.004") and sell.position_action == "CLOSE"
    assert sell.fee_quote == Decimal("0.0005")  # from the fee JSON when Hummingbot stored no quote value
    quotes = {quote.order_id: quote for quote in records.quotes}
    assert quotes["b1"].side == "BUY" and quotes["b1"].ended == (T0 + 1500) / 1e3
    assert quotes["s1"].side == "SELL" and quotes["s1"].last_status == "OrderCancelled"
    assert quotes["s2"].ended is None
    assert [(p.amount, p.timestamp) for p in records.funding] == [(-0.25, (T0 + 5000) / 1e3)]
    expected_mids = [(T0 / 1e3, Decimal("100000")), ((T0 + 1000) / 1e3, Decimal("100001.5"))]
    assert [(m.timestamp, m.mid) for m in records.mids] == expected_mids
    assert records.first_timestamp() == T0 / 1e3 and records.last_timestamp() == (T0 + 5000) / 1e3


def test_filters_and_discovery(database, tmp_path):
    assert read_records(database, config_file="other.yml").fills == []
    assert len(read_records(database, connector=CONNECTOR, trading_pair=PAIR).fills) == 2
    assert [f.order_id for f in read_records(database, since=(T0 + 2000) / 1e3).fills] == ["s2"]
    assert config_files(database) == [CONFIG]
    assert find_databases(tmp_path) == [database]
    assert find_databases(database) == [database]


def test_a_missing_or_foreign_database_is_a_clear_error(tmp_path):
    with pytest.raises(RecordsError, match="No trade database"):
        read_records(tmp_path / "missing.sqlite")
    foreign = tmp_path / "foreign.sqlite"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(RecordsError, match="not a Hummingbot trade database"):
        read_records(foreign)


def test_a_file_that_is_no_database_is_a_clear_error(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("a text file given by mistake, not an sqlite database " * 4)
    with pytest.raises(RecordsError, match="not a Hummingbot trade database"):
        read_records(text)


def test_funding_recorded_in_seconds_keeps_its_time(tmp_path):
    # The GRVT connector reports a payment's time in seconds (GRVT's nanoseconds converted), and Hummingbot's
    # markets recorder stores the event's timestamp as given; other connectors hand it milliseconds.
    settled = GrvtFundingPayment(event_time=(T0 + 5000) * 1_000_000, instrument="BTC_USDT_Perp", amount=Decimal("1"))
    db = TradeDatabase(tmp_path / "grvt.sqlite")
    db.order("b1", "BUY", "99990", "0.01", T0, ended_ms=T0 + 1500, ended_as="BuyOrderCompleted")
    db.fill("b1", "BUY", "99990", "0.01", "0", T0 + 1000)
    db.funding(settled.timestamp, -0.25)
    records = read_records(db.path)
    assert [(p.amount, p.timestamp) for p in records.funding] == [(-0.25, (T0 + 5000) / 1e3)]
    assert [p.amount for p in read_records(db.path, since=(T0 + 2000) / 1e3).funding] == [-0.25]
