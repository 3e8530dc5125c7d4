"""PnL attribution, the report files, the chart and the progress display, from a database Hummingbot's models wrote."""
import csv
import json
import os
import sqlite3
from decimal import Decimal

import pytest
from rich.console import Console

from grvt_tools.bot_status import write_atomically
from grvt_tools.pnl import analyze, analyze_market, estimate_mids
from grvt_tools.progress import ProgressView, RunMonitor, latency_text
from grvt_tools.records import read_records
from grvt_tools.report import build_report, main as report_main, render_summary
from test.operator.records_fixture import CONFIG, CONNECTOR, PAIR, TradeDatabase

T0 = 1_800_000_000_000
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def database(tmp_path):
    (tmp_path / "data").mkdir()
    db = TradeDatabase(tmp_path / "data" / "grvt_demo.sqlite")
    db.order("b1", "BUY", "99990", "0.01", T0, ended_ms=T0 + 1000, ended_as="BuyOrderCompleted")
    db.order("s1", "SELL", "100010", "0.01", T0, ended_ms=T0 + 2000)
    db.order("s2", "SELL", "100012", "0.004", T0 + 3000, ended_ms=T0 + 4000, ended_as="SellOrderCompleted")
    db.fill("b1", "BUY", "99990", "0.01", "-0.0003", T0 + 1000)
    db.fill("s2", "SELL", "100012", "0.004", "0.0005", T0 + 4000)
    db.funding(T0 + 5000, -0.25)
    db.mids([(T0, "100000"), (T0 + 1000, "100001.5")])
    return db.path


def test_pnl_splits_into_spread_inventory_fees_rebates_and_funding(database):
    run = analyze_market(read_records(database), CONNECTOR, PAIR, end=(T0 + 10_000) / 1e3,
                         final_mid=Decimal("100011.5"))
    final = run.final
    assert final.position == Decimal("0.006")
    assert final.spread == Decimal("0.157")  # (100001.5 - 99990) * 0.01 + (100012 - 100001.5) * 0.004
    assert final.inventory == Decimal("0.06")  # 0.006 held while the mid rose by 10
    assert (final.fees, final.rebates, final.funding) == (Decimal("0.0005"), Decimal("0.0003"), Decimal("-0.25"))
    assert final.total == Decimal("0.157") + Decimal("0.06") - Decimal("0.0005") + Decimal("0.0003") - Decimal("0.25")
    summary = run.summary
    assert (summary["fills"], summary["buy_fills"], summary["sell_fills"]) == (2, 1, 1)
    assert (summary["quotes_placed"], summary["quotes_filled"]) == (3, 2)
    assert summary["volume_quote"] == Decimal("999.9") + Decimal("400.048")
    assert summary["mid_source"] == "sampled by Hummingbot; the open position marked at a final mid read at stop"
    assert summary["max_drawdown"] == Decimal("0.25")  # the funding payment
    assert [round(float(a.edge_bps), 3) for a in run.fills] == [1.15, 1.05]


def test_a_report_since_a_later_time_starts_with_the_position_held_then(database):
    TradeDatabase(database).mids([(T0 + 3000, "100002")])
    records = read_records(database, since=(T0 + 2000) / 1e3)  # after the buy of 0.01, before the sell of 0.004
    run = analyze_market(records, CONNECTOR, PAIR, end=(T0 + 10_000) / 1e3, final_mid=Decimal("100011.5"))
    assert [point.position for point in run.points][:1] == [Decimal("0.01")]
    assert run.final.position == run.summary["final_position"] == Decimal("0.006")
    assert run.final.spread == Decimal("0.04")  # (100012 - 100002) * 0.004
    assert run.final.inventory == Decimal("0.057")  # 0.006 held from the first mid of the window to the last


def test_without_sampled_mids_the_mid_comes_from_the_quotes(database):
    records = read_records(database)
    records.mids = []
    mids, source = estimate_mids(records.quotes, records.fills)
    assert source == "estimated from quotes" and mids == [(T0 / 1e3, Decimal("100000"))]
    assert analyze(records)[0].summary["mid_source"] == "estimated from quotes"


def test_report_writes_csv_json_and_chart_and_prints_a_summary(database, tmp_path):
    report = build_report(database, tmp_path / "report", extra={"order_metrics": {"send_to_ack_ms": {"p50": 3.2}}})
    with open(report.trades_csv) as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["side"], row["price"], row["position_after"]) for row in rows] == \
        [("BUY", "99990", "0.01"), ("SELL", "100012", "0.006")]
    summary = json.loads(report.summary_json.read_text())
    assert summary["config_files"] == [CONFIG]
    assert summary["markets"][0]["pnl"]["funding"] == "-0.25"
    assert summary["files"] == {"trades_csv": "trades.csv", "charts": ["chart.png"]}
    assert report.charts[0].read_bytes()[:8] == PNG
    console = Console(record=True, width=140)
    render_summary(report, console)
    text = console.export_text()
    assert "2 (1 buys, 1 sells)" in text and "send_to_ack_ms p50 3.2 ms" in text


def test_report_command_on_a_root_and_its_errors(database, tmp_path, capsys):
    assert report_main([str(tmp_path), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "chart.png").read_bytes()[:8] == PNG
    assert "trades.csv, summary.json, chart.png" in capsys.readouterr().out
    assert report_main([str(tmp_path / "empty")]) == 1
    assert "No Hummingbot trade database" in capsys.readouterr().out
    assert report_main([str(database), "--config", "other.yml"]) == 1
    assert "nothing to report" in capsys.readouterr().out


def test_progress_shows_quotes_fills_position_pnl_and_latency(database, tmp_path):
    status = tmp_path / "status.json"
    write_atomically(status, {"time": T0 / 1e3, "connectors": {CONNECTOR: {
        "ready": True, "trading_pairs": [PAIR], "mid_prices": {PAIR: "100001.5"},
        "open_orders": [{"trading_pair": PAIR, "side": "BUY", "price": "99995", "amount": "0.01"},
                        {"trading_pair": PAIR, "side": "SELL", "price": "100008", "amount": "0.01"}],
        "positions": [], "order_metrics": {"send_to_ack_ms": {"p50": 2.5, "p99": 9.0}, "reconnects": 1}}}})
    snapshot = RunMonitor(database, status).sample(elapsed=30, duration=120, phase="running")
    assert (snapshot.bids, snapshot.asks, snapshot.mid) == ([Decimal("99995")], [Decimal("100008")],
                                                            Decimal("100001.5"))
    assert snapshot.run.summary["fills"] == 2 and snapshot.remaining == 90
    console = Console(record=True, width=160)
    console.print(ProgressView(console, "demo", tmp_path / "log").render(snapshot))
    text = console.export_text()
    for expected in ("00:30 elapsed, 01:30 left", "bid 99,995.00  ask 100,008.00", "quoted spread 1.3 bps",
                     "2 (1 buys, 1 sells)", "0.006000 BTC", "send_to_ack_ms p50/p99 2.5/9.0 ms", "reconnects 1"):
        assert expected in text, (expected, text)
    assert latency_text(None) == "not reported by this connector"


def test_report_command_finds_the_database_of_the_config_asked_for(tmp_path, capsys):
    # Hummingbot keeps one database per strategy config (data/<config name>.sqlite); --config on a root picks
    # that config's records even when another config ran later.
    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    older = TradeDatabase(root / "data" / "grvt_demo.sqlite")
    older.order("b1", "BUY", "99990", "0.01", T0, ended_ms=T0 + 1000, ended_as="BuyOrderCompleted")
    older.fill("b1", "BUY", "99990", "0.01", "-0.0003", T0 + 1000)
    newer = TradeDatabase(root / "data" / "other.sqlite")
    newer.order("x1", "SELL", "100010", "0.01", T0 + 9000, ended_ms=T0 + 9500)
    with sqlite3.connect(newer.path) as connection:
        connection.execute('UPDATE "Order" SET config_file_path = ?', ("other.yml",))
    os.utime(older.path, (1, 1))
    assert report_main([str(root), "--config", CONFIG, "--out", str(tmp_path / "out")]) == 0, capsys.readouterr()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["database"] == str(older.path.resolve()) and summary["markets"][0]["fills"] == 1


def test_report_command_reads_the_roots_status_file_whatever_location_it_is_given(database, tmp_path):
    (tmp_path / "logs").mkdir()
    write_atomically(tmp_path / "logs" / "status.json", {"connectors": {CONNECTOR: {
        "order_metrics": {"send_to_ack_ms": {"p50": 2.5, "p99": 9.0}}}}})
    for location in (tmp_path, tmp_path / "data", database):
        out = tmp_path / "out" / location.name
        assert report_main([str(location), "--out", str(out)]) == 0
        summary = json.loads((out / "summary.json").read_text())
        assert summary["order_metrics"]["send_to_ack_ms"]["p50"] == 2.5, location
