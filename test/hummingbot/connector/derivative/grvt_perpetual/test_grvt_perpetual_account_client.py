"""GrvtPerpetualAccountClient: cursor pagination of the history routes, retries of failed queries."""
import asyncio
import json
import unittest
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple
from unittest.mock import patch

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_account_client import GrvtPerpetualAccountClient
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import (
    GrvtPerpetualAPIError,
    unreadable_answer,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import (
    GrvtInstrument,
    GrvtMessageError,
    decode_reply,
    load,
)

SUB_ACCOUNT = "8289849667772468"
INSTRUMENT = "BTC_USDT_Perp"
NS = 1_000_000_000


class ScriptedPoster:
    """Answers each POST with the next scripted page and records what was asked."""

    def __init__(self, *pages: Dict[str, Any]):
        self._pages = list(pages)
        self.requests: List[Tuple[str, Dict[str, Any]]] = []

    async def __call__(self, path_url: str, body: Dict[str, Any], reply_type, is_auth_required: bool = True) -> Any:
        self.requests.append((path_url, dict(body)))
        if not self._pages:
            raise AssertionError(f"unexpected extra request to {path_url} with {body}")
        page = self._pages.pop(0)
        if isinstance(page, Exception):
            raise page
        try:
            return decode_reply(json.dumps(page), reply_type)
        except GrvtMessageError as error:  # as the connector's REST layer reports it
            raise unreadable_answer(200, json.dumps(page), path_url, str(error))

    @property
    def cursors(self) -> List[Optional[str]]:
        return [body.get("cursor") for _, body in self.requests]


def payment(seconds: int, amount: str = "1") -> Dict[str, Any]:
    return {"event_time": str(seconds * NS), "sub_account_id": SUB_ACCOUNT, "instrument": INSTRUMENT,
            "currency": "USDT", "amount": amount, "tx_id": str(seconds)}


def fill(seconds: int, trade_id: str) -> Dict[str, Any]:
    return {"event_time": str(seconds * NS), "sub_account_id": SUB_ACCOUNT, "instrument": INSTRUMENT,
            "is_buyer": True, "is_taker": False, "size": "0.01", "price": "50000", "fee": "0.1",
            "fee_rate": "0.0002", "realized_pnl": "0", "trade_id": trade_id, "order_id": "0x01",
            "client_order_id": "9223372036854775901", "fee_currency": "USDT"}


def instrument() -> GrvtInstrument:
    return load({
        "instrument": INSTRUMENT, "instrument_hash": "0x030501", "base": "BTC", "quote": "USDT",
        "kind": "PERPETUAL", "base_decimals": 9, "quote_decimals": 6, "tick_size": "0.1", "min_size": "0.001",
        "funding_interval_hours": 8, "min_notional": "100"}, GrvtInstrument)


class GrvtPerpetualAccountClientPaginationTests(unittest.TestCase):

    def client(self, poster: ScriptedPoster) -> GrvtPerpetualAccountClient:
        return GrvtPerpetualAccountClient(SUB_ACCOUNT, post=poster)

    @staticmethod
    def run_async(coroutine):
        return asyncio.run(coroutine)

    # Regression: a single page whose `next` is "" (GRVT's "no more pages") used to lose its items.
    def test_single_funding_page_with_empty_next_yields_its_payments(self):
        poster = ScriptedPoster({"result": [payment(3000, "0.5"), payment(2000, "-0.25")], "next": ""})

        payments = self.run_async(self.client(poster).funding_payments(INSTRUMENT, after_ns=1000 * NS))

        self.assertEqual([2000, 3000], [item.timestamp for item in payments])
        self.assertEqual([Decimal("-0.25"), Decimal("0.5")], [item.amount for item in payments])
        self.assertEqual([(CONSTANTS.FUNDING_PAYMENT_HISTORY_PATH_URL, {
            "sub_account_id": SUB_ACCOUNT, "instrument": INSTRUMENT, "start_time": str(1000 * NS + 1),
            "limit": CONSTANTS.HISTORY_PAGE_LIMIT})], poster.requests)

    def test_single_funding_page_without_next_yields_its_payments(self):
        poster = ScriptedPoster({"result": [payment(2000)]})

        payments = self.run_async(self.client(poster).funding_payments(INSTRUMENT))

        self.assertEqual([2000], [item.timestamp for item in payments])
        self.assertEqual(1, len(poster.requests))

    def test_latest_funding_payment_from_a_single_page_with_empty_next(self):
        poster = ScriptedPoster({"result": [payment(5000, "2")], "next": ""})

        payments = self.run_async(self.client(poster).funding_payments(INSTRUMENT, latest_only=True))

        self.assertEqual([(5000, Decimal("2"))], [(item.timestamp, item.amount) for item in payments])
        self.assertEqual(1, poster.requests[0][1]["limit"])

    def test_single_fill_page_with_empty_next_yields_its_fills(self):
        poster = ScriptedPoster({"result": [fill(1002, "t2"), fill(1001, "t1")], "next": ""})

        fills = self.run_async(self.client(poster).fills(instrument(), start_ns=1000 * NS))

        self.assertEqual(["t2", "t1"], [item.trade_id for item in fills])
        self.assertEqual([None], poster.cursors)
        self.assertEqual(CONSTANTS.FILL_HISTORY_PATH_URL, poster.requests[0][0])
        self.assertEqual(str(1000 * NS), poster.requests[0][1]["start_time"])

    def test_funding_pages_are_followed_until_the_last_page(self):
        poster = ScriptedPoster(
            {"result": [payment(6000), payment(5000)], "next": "c1"},
            {"result": [payment(4000), payment(3000)], "next": "c2"},
            {"result": [payment(2000)], "next": ""})

        payments = self.run_async(self.client(poster).funding_payments(INSTRUMENT, after_ns=1000 * NS))

        self.assertEqual([2000, 3000, 4000, 5000, 6000], [item.timestamp for item in payments])
        self.assertEqual([None, "c1", "c2"], poster.cursors)

    def test_funding_pages_stop_once_a_page_reaches_the_start(self):
        poster = ScriptedPoster(
            {"result": [payment(4000), payment(3000)], "next": "c1"},
            {"result": [payment(2000), payment(1000)], "next": "c2"})

        payments = self.run_async(self.client(poster).funding_payments(INSTRUMENT, after_ns=1000 * NS))

        self.assertEqual([2000, 3000, 4000], [item.timestamp for item in payments])
        self.assertEqual([None, "c1"], poster.cursors)

    def test_fill_pages_are_followed_and_the_last_page_counts(self):
        poster = ScriptedPoster(
            {"result": [fill(1004, "t4"), fill(1003, "t3")], "next": "c1"},
            {"result": [fill(1002, "t2")], "next": ""})

        fills = self.run_async(self.client(poster).fills(instrument(), start_ns=1000 * NS))

        self.assertEqual(["t4", "t3", "t2"], [item.trade_id for item in fills])
        self.assertEqual([None, "c1"], poster.cursors)
        self.assertEqual(dict(poster.requests[0][1], cursor="c1"), poster.requests[1][1])

    def test_an_empty_page_ends_the_history_even_with_a_cursor(self):
        poster = ScriptedPoster(
            {"result": [payment(3000)], "next": "c1"},
            {"result": [], "next": "c2"})

        payments = self.run_async(self.client(poster).funding_payments(INSTRUMENT, after_ns=1000 * NS))

        self.assertEqual([3000], [item.timestamp for item in payments])
        self.assertEqual(2, len(poster.requests))

    def test_history_is_bounded_by_the_page_limit(self):
        poster = ScriptedPoster(*({"result": [payment(9000 - page)], "next": f"c{page}"} for page in range(3)))

        with patch.object(GrvtPerpetualAccountClient, "MAX_HISTORY_PAGES", 3):
            payments = self.run_async(self.client(poster).funding_payments(INSTRUMENT, after_ns=1000 * NS))

        self.assertEqual([8998, 8999, 9000], [item.timestamp for item in payments])
        self.assertEqual(3, len(poster.requests))


class GrvtPerpetualAccountClientRetryTests(unittest.TestCase):
    """Queries are read-only: a transient failure is asked again; an answer without its result is a failure."""

    def client(self, poster: ScriptedPoster) -> GrvtPerpetualAccountClient:
        retries = []
        client = GrvtPerpetualAccountClient(SUB_ACCOUNT, post=poster,
                                            on_retry=retries.append)
        client.retries = retries
        return client

    @staticmethod
    def run_async(coroutine):
        async def fast():
            with patch("hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_health.asyncio.sleep",
                       new=_no_sleep):
                return await coroutine
        return asyncio.run(fast())

    def test_empty_answers_and_server_errors_are_retried_until_a_valid_answer(self):
        poster = ScriptedPoster({}, GrvtPerpetualAPIError(1002, "Internal Server Error", 500),
                                {"result": [{"instrument": INSTRUMENT, "size": "-0.004", "entry_price": "90000",
                                             "unrealized_pnl": "0"}]})
        client = self.client(poster)
        positions, complete = self.run_async(client.positions())
        self.assertEqual([Decimal("-0.004")], [position.size for position in positions])
        self.assertTrue(complete)
        self.assertEqual(2, len(client.retries))

    def test_an_empty_answer_is_never_no_data(self):
        poster = ScriptedPoster(*([{}] * GrvtPerpetualAccountClient.QUERY_ATTEMPTS))
        with self.assertRaises(GrvtPerpetualAPIError) as context:
            self.run_async(self.client(poster).open_orders())
        self.assertTrue(context.exception.is_outcome_unknown)
        self.assertIn("result", str(context.exception))

    def test_not_found_and_rejections_are_not_retried(self):
        poster = ScriptedPoster(GrvtPerpetualAPIError(1004, "Data Not Found", 404))
        client = self.client(poster)
        with self.assertRaises(GrvtPerpetualAPIError) as context:
            self.run_async(client.order("9223372036854775901"))
        self.assertTrue(context.exception.is_not_found)
        self.assertEqual([], client.retries)

    def test_rate_limit_answers_are_retried(self):
        poster = ScriptedPoster(GrvtPerpetualAPIError(1006, "rate limit", 429),
                                {"result": {"settle_currency": "USDT", "available_balance": "5", "spot_balances": []}})
        client = self.client(poster)
        self.assertEqual(Decimal("5"), self.run_async(client.account_summary()).available_balance)
        self.assertTrue(client.retries[0].is_rate_limited)


async def _no_sleep(_delay: float):
    return None
