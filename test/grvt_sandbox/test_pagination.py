"""Cursor pagination: reverse chronological, limit default 500 / max 1000, `next` "" when done, time windows."""
from decimal import Decimal

import pytest

from grvt_sandbox.config import DEMO_SUB_ACCOUNT_ID
from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.history import HistoryLog, page_limit
from test.grvt_sandbox.sandbox_helpers import BTC

D = Decimal


class Item:
    def __init__(self, event_time):
        self.event_time = event_time


def test_pages_walk_backwards_and_end_with_an_empty_cursor():
    log = HistoryLog()
    for t in range(1, 8):
        log.append(Item(t * 10))
    items, cursor = log.page(3)
    assert [i.event_time for i in items] == [70, 60, 50] and cursor
    items, cursor = log.page(3, cursor)
    assert [i.event_time for i in items] == [40, 30, 20] and cursor
    items, cursor = log.page(3, cursor)
    assert [i.event_time for i in items] == [10] and cursor == ""


def test_exact_fit_and_time_window():
    log = HistoryLog()
    for t in range(1, 7):
        log.append(Item(t * 10))
    items, cursor = log.page(6)
    assert len(items) == 6 and cursor == ""
    items, cursor = log.page(2, start_time=20, end_time=50)
    assert [i.event_time for i in items] == [50, 40]
    items, cursor = log.page(2, cursor, start_time=20, end_time=50)
    assert [i.event_time for i in items] == [30, 20] and cursor == ""
    items, _ = log.page(10, accept=lambda item: item.event_time % 20 == 0)
    assert [i.event_time for i in items] == [60, 40, 20]


def test_cursor_survives_new_items_and_trimming():
    log = HistoryLog(max_items=5)
    for t in range(1, 6):
        log.append(Item(t))
    items, cursor = log.page(2)
    assert [i.event_time for i in items] == [5, 4]
    log.append(Item(6))  # trims item 1
    items, cursor = log.page(10, cursor)
    assert [i.event_time for i in items] == [3, 2] and cursor == ""
    with pytest.raises(GrvtApiError):
        log.page(1, "not-a-cursor")


def test_limits():
    assert page_limit(None) == 500 and page_limit(0) == 500 and page_limit("5") == 5
    assert page_limit(5000) == 1000
    with pytest.raises(GrvtApiError):
        page_limit("many")
    with pytest.raises(GrvtApiError):
        page_limit(-1)


@pytest.mark.asyncio
async def test_fill_and_trade_history_pages_over_rest(sandbox, client):
    exchange = sandbox.exchange
    exchange.add_account("8001", check_margin=False)
    for index in range(7):
        exchange.submit_internal_order("8001", BTC, False, D("0.01"), D(90000 + index))
    exchange.accounts[DEMO_SUB_ACCOUNT_ID].check_margin = False
    exchange.submit_internal_order(DEMO_SUB_ACCOUNT_ID, BTC, True, D("0.07"), None)
    pages, cursor = [], None
    while True:
        body = {"sub_account_id": DEMO_SUB_ACCOUNT_ID, "limit": 3}
        if cursor:
            body["cursor"] = cursor
        status, response = await client.post("fill_history", body)
        assert status == 200
        pages.append([fill["price"] for fill in response["result"]])
        cursor = response["next"]
        if not cursor:
            break
    assert pages == [["90006.0", "90005.0", "90004.0"], ["90003.0", "90002.0", "90001.0"], ["90000.0"]]
    _, response = await client.post("trade_history", {"instrument": BTC, "limit": 5})
    assert len(response["result"]) == 5 and response["next"]
    _, response = await client.post("trade_history", {"instrument": BTC, "limit": 5, "cursor": response["next"]})
    assert [t["price"] for t in response["result"]] == ["90001.0", "90000.0"] and response["next"] == ""
    _, response = await client.post("trade", {"instrument": BTC, "limit": 2})
    assert [t["price"] for t in response["result"]] == ["90006.0", "90005.0"]
    _, response = await client.post("kline", {"instrument": BTC, "interval": "CI_1_M", "type": "TRADE"})
    candle = response["result"][0]
    assert (candle["open"], candle["close"], candle["high"], candle["low"], candle["trades"]) == (
        "90000.0", "90006.0", "90006.0", "90000.0", 7)
    assert candle["volume_b"] == "0.07" and response["next"] == ""
