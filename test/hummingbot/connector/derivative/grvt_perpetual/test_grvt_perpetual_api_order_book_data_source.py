import asyncio
import json
import os
import re
import time
from decimal import Decimal
from functools import partial
from typing import Any, Dict, List, Optional
from unittest.mock import AsyncMock, patch

import aiohttp
from aioresponses import CallbackResult, aioresponses
from bidict import bidict

from grvt_sandbox.gateway import selectors
from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_web_utils as web_utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_api_order_book_data_source import (
    GrvtPerpetualAPIOrderBookDataSource,
    _PendingRequest,
    _SilenceWatch,
    funding_rate_fraction,
    next_funding_timestamp,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_book_sequencer import BookSequenceVerdict
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_derivative import GrvtPerpetualDerivative
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_market_data_messages import (
    BookDeltaFrame,
    BookLevel,
    BookLevels,
    Ticker,
    decode_frame,
    from_builtins,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_market_data_socket import (
    GrvtPerpetualMarketDataSocket,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import GrvtMessageError
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_book import GrvtPerpetualOrderBook
from hummingbot.connector.test_support.network_mocking_assistant import NetworkMockingAssistant
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.data_type.funding_info import FundingInfoUpdate
from hummingbot.core.data_type.order_book_message import OrderBookMessageType
from hummingbot.core.data_type.order_book_tracker import OrderBookTracker
from hummingbot.core.web_assistant.connections.data_types import RESTMethod
from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase

EPOCH = 1 << 40


class StubConnector:
    """The connector calls the data source makes; REST goes through the real web assistants (mocked by aioresponses)."""

    def __init__(self, api_factory, domain: str, instruments: Dict[str, str]):
        self._api_factory = api_factory
        self._domain = domain
        self.instruments = dict(instruments)

    async def exchange_symbol_associated_to_pair(self, trading_pair: str) -> str:
        return self.instruments[trading_pair]

    async def _api_post(self, path_url: str, data: Optional[Dict[str, Any]] = None, is_auth_required: bool = False,
                        limit_id: Optional[str] = None) -> Dict[str, Any]:
        rest_assistant = await self._api_factory.get_rest_assistant()
        return await rest_assistant.execute_request(
            url=web_utils.public_rest_url(path_url, domain=self._domain),
            data=data,
            method=RESTMethod.POST,
            is_auth_required=is_auth_required,
            throttler_limit_id=limit_id or path_url,
        )


def level(price: str, size: str) -> Dict[str, Any]:
    return {"price": price, "size": size, "num_orders": 1}


def rows(levels) -> List[List[float]]:
    return [[row.price, row.amount, row.update_id] for row in levels]


def ticker(data: Dict[str, Any]) -> Ticker:
    return from_builtins(data, Ticker, "ticker")


class GrvtPerpetualAPIOrderBookDataSourceTests(IsolatedAsyncioWrapperTestCase):
    level = 0

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.domain = CONSTANTS.DEFAULT_DOMAIN
        cls.trading_pair = "BTC-USDT"
        cls.instrument = "BTC_USDT_Perp"
        cls.other_pair = "ETH-USDT"
        cls.other_instrument = "ETH_USDT_Perp"
        cls.third_pair = "SOL-USDT"
        cls.third_instrument = "SOL_USDT_Perp"

    def setUp(self) -> None:
        super().setUp()
        self.log_records = []
        self.listening_task: Optional[asyncio.Task] = None
        self.tasks: List[asyncio.Task] = []
        # URLs must be GRVT's own, whatever the environment of the test run points at
        self.enterContext(patch.dict(os.environ, {
            name: value for name, value in os.environ.items() if not name.startswith(CONSTANTS.ENV_PREFIX)},
            clear=True))

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.mocking_assistant = NetworkMockingAssistant()
        await self.mocking_assistant.async_init()
        self.api_factory = web_utils.build_api_factory_without_time_synchronizer_pre_processor()
        self.connector = StubConnector(self.api_factory, self.domain, {
            self.trading_pair: self.instrument,
            self.other_pair: self.other_instrument,
            self.third_pair: self.third_instrument,
        })
        self.data_source = self._data_source([self.trading_pair])

    def _data_source(self, trading_pairs: List[str]) -> GrvtPerpetualAPIOrderBookDataSource:
        data_source = GrvtPerpetualAPIOrderBookDataSource(
            trading_pairs=list(trading_pairs),
            connector=self.connector,
            domain=self.domain,
        )
        data_source.logger().setLevel(1)
        data_source.logger().addHandler(self)
        # as subscribing does; frames of instruments not mapped are dropped
        data_source._instrument_to_pair.update(
            {self.connector.instruments[pair]: pair for pair in trading_pairs if pair in self.connector.instruments})
        return data_source

    async def asyncTearDown(self) -> None:
        if self.listening_task is not None:
            self.listening_task.cancel()
            await asyncio.gather(self.listening_task, return_exceptions=True)
        if self.data_source._ws_assistant is not None:
            await self.data_source._ws_assistant.disconnect()
        await super().asyncTearDown()

    def tearDown(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in list(self.data_source._resync_tasks.values()):
            task.cancel()
        self.data_source.logger().removeHandler(self)
        super().tearDown()

    def handle(self, record):
        self.log_records.append(record)

    def _is_logged(self, log_level: str, fragment: str) -> bool:
        return self._logged_count(log_level, fragment) > 0

    def _logged_count(self, log_level: str, fragment: str) -> int:
        return sum(record.levelname == log_level and fragment in record.getMessage() for record in self.log_records)

    async def _wait_for(self, condition, timeout: float = 2.0):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                self.fail("Condition not met in time.")
            await asyncio.sleep(0.005)

    async def _settle(self, rounds: int = 5):
        for _ in range(rounds):
            await asyncio.sleep(0)

    # Payload builders
    def _book_payload(self, sequence_number, prev_sequence_number, bids=(), asks=(), instrument=None):
        instrument = instrument or self.instrument
        return {
            "stream": CONSTANTS.WS_BOOK_DELTA_STREAM,
            "selector": f"{instrument}@100",
            "sequence_number": str(sequence_number),
            "feed": {
                "event_time": "1767292408400000000",
                "instrument": instrument,
                "bids": list(bids),
                "asks": list(asks),
            },
            "prev_sequence_number": str(prev_sequence_number),
        }

    def _trade_payload(self, trade_id: str, is_taker_buyer: bool = True, sequence_number: str = "7",
                       event_time_ns: Optional[int] = None, instrument=None):
        instrument = instrument or self.instrument
        return {
            "stream": CONSTANTS.WS_TRADE_STREAM,
            "selector": f"{instrument}@50",
            "sequence_number": sequence_number,
            "feed": {
                "event_time": str(event_time_ns if event_time_ns is not None else time.time_ns()),
                "instrument": instrument,
                "is_taker_buyer": is_taker_buyer,
                "size": "0.016",
                "price": "87807.7",
                "mark_price": "87800.1",
                "index_price": "87795.3",
                "interest_rate": "0.0",
                "forward_price": "87807.7",
                "trade_id": trade_id,
                "venue": "ORDERBOOK",
                "is_rpi": False,
            },
            "prev_sequence_number": "6",
        }

    def _ticker(self, **overrides):
        ticker = {
            "event_time": "1767292408400000000",
            "instrument": self.instrument,
            "mark_price": "87807.7",
            "index_price": "87820.9",
            "last_price": "87807.5",
            "funding_rate_8h_curr": "0.01",
            "funding_rate": "0.01",
            "next_funding_time": "1767225600000000000",
            "funding_interval_hours": 8,
        }
        ticker.update(overrides)
        return {key: value for key, value in ticker.items() if value is not None}

    def _ticker_payload(self, **overrides):
        return {"stream": CONSTANTS.WS_TICKER_SNAPSHOT_STREAM, "selector": f"{self.instrument}@500",
                "sequence_number": "0", "feed": self._ticker(**overrides), "prev_sequence_number": "0"}

    def _rest_url_regex(self, path_url: str):
        return re.compile(f"^{re.escape(web_utils.public_rest_url(path_url, domain=self.domain))}")

    async def _judge(self, event, output: asyncio.Queue):
        """A book event judged as the listener of ``output`` judges it: frames (given as the JSON payloads of the
        socket) go through the socket reader's path, control markers through the diff queue's."""
        self.data_source._book_output = output
        try:
            if isinstance(event, (dict, list, str)):
                self.data_source._on_frame(event if isinstance(event, str) else json.dumps(event))
            else:
                await self.data_source._parse_order_book_diff_message(event, output)
        finally:
            self.data_source._book_output = None

    async def _parse_book(self, *events) -> List:
        output = asyncio.Queue()
        for event in events:
            await self._judge(event, output)
        return [output.get_nowait() for _ in range(output.qsize())]

    async def _through_queue(self, key: str, parse, payloads, output: asyncio.Queue):
        """Payloads read from the socket, then parsed from their queue as the queue's listener does."""
        queue = self.data_source._message_queue[key]
        for payload in payloads:
            self.data_source._on_frame(json.dumps(payload))
        while not queue.empty():
            await parse(queue.get_nowait(), output)

    async def _trades(self, output: asyncio.Queue, *payloads):
        await self._through_queue(self.data_source._trade_messages_queue_key, self.data_source._parse_trade_message,
                                  payloads, output)

    async def _tickers(self, output: asyncio.Queue, *payloads):
        await self._through_queue(self.data_source._funding_info_messages_queue_key,
                                  self.data_source._parse_funding_info_message, payloads, output)

    def _answer(self, message):
        self.data_source._on_frame(message if isinstance(message, str) else json.dumps(message))

    @staticmethod
    def _frame(payload):
        return decode_frame(json.dumps(payload))

    async def _connect_ws(self, ws_connect_mock) -> AsyncMock:
        ws_connect_mock.return_value = self.mocking_assistant.create_websocket_mock()
        self.data_source._ws_assistant = await self.data_source._connected_websocket_assistant()
        return ws_connect_mock.return_value

    def _sent(self, ws_mock) -> List[Dict[str, Any]]:
        return self.mocking_assistant.json_messages_sent_through_websocket(ws_mock)

    # Construction
    def test_selectors_and_snapshot_depth_are_values_grvt_accepts(self):
        self.assertIn(CONSTANTS.WS_BOOK_DELTA_RATE_MS, selectors.BOOK_DELTA_RATES)
        self.assertIn(CONSTANTS.WS_TRADE_LIMIT, selectors.TRADE_LIMITS)
        self.assertIn(CONSTANTS.WS_TICKER_SNAPSHOT_RATE_MS, selectors.TICKER_SNAPSHOT_RATES)
        self.assertIn(CONSTANTS.ORDER_BOOK_SNAPSHOT_DEPTH, selectors.BOOK_DEPTHS)

    def test_books_are_grvt_order_books(self):
        self.assertIsInstance(self.data_source.order_book_create_function(), GrvtPerpetualOrderBook)

    # REST
    async def test_get_new_order_book_from_rest_snapshot(self):
        requests = []

        def capture(url, **kwargs):
            data = kwargs.get("data")
            requests.append(json.loads(data) if isinstance(data, str) else data)

        response = {"result": {"event_time": "1767292408400000000", "instrument": self.instrument,
                               "bids": [level("88107.3", "5.322"), level("88107.0", "1")],
                               "asks": [level("88107.4", "5.273")]}}
        with aioresponses() as mock_api:
            mock_api.post(self._rest_url_regex(CONSTANTS.ORDER_BOOK_PATH_URL), body=json.dumps(response),
                          callback=capture)
            order_book = await self.data_source.get_new_order_book(self.trading_pair)

        self.assertIsInstance(order_book, GrvtPerpetualOrderBook)
        self.assertEqual([{"instrument": self.instrument, "depth": 500}], requests)
        self.assertEqual([88107.3, 88107.0], [row.price for row in order_book.bid_entries()])
        self.assertEqual([5.273], [row.amount for row in order_book.ask_entries()])
        self.assertEqual(0, order_book.snapshot_uid)

    async def test_rest_snapshot_takes_the_update_id_of_the_current_stream_snapshot(self):
        stream_messages = await self._parse_book(
            self._book_payload(0, 0, bids=[level("1", "1")]), self._book_payload(5, 4))
        response = {"result": {"event_time": "1", "bids": [], "asks": []}}
        with aioresponses() as mock_api:
            mock_api.post(self._rest_url_regex(CONSTANTS.ORDER_BOOK_PATH_URL), body=json.dumps(response))
            message = await self.data_source._order_book_snapshot(self.trading_pair)

        # no stream payload of the epoch (even one the tracker has not routed yet) is below the REST book's id
        self.assertEqual(EPOCH, message.update_id)
        self.assertTrue(all(stream.update_id >= message.update_id for stream in stream_messages))
        self.assertEqual(OrderBookMessageType.SNAPSHOT, message.type)

    async def test_rest_snapshot_error_is_raised(self):
        with aioresponses() as mock_api:
            mock_api.post(self._rest_url_regex(CONSTANTS.ORDER_BOOK_PATH_URL), status=400,
                          body=json.dumps({"code": 3031, "message": "Depth is invalid", "status": 400}))
            with self.assertRaises(IOError):
                await self.data_source.get_new_order_book(self.trading_pair)

    async def test_rest_snapshot_without_result_is_malformed(self):
        for body in ({"code": 1002}, {"result": {"bids": "none", "asks": []}}):
            with aioresponses() as mock_api:
                mock_api.post(self._rest_url_regex(CONSTANTS.ORDER_BOOK_PATH_URL), body=json.dumps(body))
                with self.assertRaises(GrvtMessageError):
                    await self.data_source._order_book_snapshot(self.trading_pair)

    async def test_get_funding_info_converts_percent_to_fraction(self):
        with aioresponses() as mock_api:
            mock_api.post(self._rest_url_regex(CONSTANTS.TICKER_PATH_URL),
                          body=json.dumps({"result": self._ticker(funding_rate="0.01", funding_rate_8h_curr="0.5")}))
            funding_info = await self.data_source.get_funding_info(self.trading_pair)

        self.assertEqual(self.trading_pair, funding_info.trading_pair)
        self.assertEqual(Decimal("0.0001"), funding_info.rate)
        self.assertEqual(Decimal("87807.7"), funding_info.mark_price)
        self.assertEqual(Decimal("87820.9"), funding_info.index_price)
        self.assertEqual(1767225600, funding_info.next_funding_utc_timestamp)

    async def test_get_funding_info_falls_back_to_deprecated_rate(self):
        with aioresponses() as mock_api:
            mock_api.post(self._rest_url_regex(CONSTANTS.TICKER_PATH_URL),
                          body=json.dumps({"result": self._ticker(funding_rate=None, funding_rate_8h_curr="-0.005",
                                                                  next_funding_time=None)}))
            funding_info = await self.data_source.get_funding_info(self.trading_pair)

        self.assertEqual(Decimal("-0.00005"), funding_info.rate)
        self.assertEqual(0, funding_info.next_funding_utc_timestamp)

    async def test_get_funding_info_rejects_incomplete_ticker(self):
        for overrides in ({"mark_price": None}, {"index_price": "abc"},
                          {"funding_rate": None, "funding_rate_8h_curr": None}):
            with aioresponses() as mock_api:
                mock_api.post(self._rest_url_regex(CONSTANTS.TICKER_PATH_URL),
                              body=json.dumps({"result": self._ticker(**overrides)}))
                with self.assertRaises(GrvtMessageError, msg=str(overrides)):
                    await self.data_source.get_funding_info(self.trading_pair)

    async def test_get_last_traded_prices_skips_pairs_that_fail(self):
        mini_url = self._rest_url_regex(CONSTANTS.MINI_TICKER_PATH_URL)

        def answer(url, **kwargs):
            data = kwargs["data"]
            instrument = (json.loads(data) if isinstance(data, str) else data)["instrument"]
            if instrument == self.instrument:
                return CallbackResult(body=json.dumps({"result": {"instrument": instrument, "last_price": "87807.5"}}))
            if instrument == self.other_instrument:
                return CallbackResult(body=json.dumps({"result": {"instrument": instrument, "last_price": ""}}))
            return CallbackResult(status=500, body="gateway down")

        with aioresponses() as mock_api:
            for _ in range(3):
                mock_api.post(mini_url, callback=answer)
            prices = await self.data_source.get_last_traded_prices(
                [self.trading_pair, self.other_pair, self.third_pair])

        self.assertEqual({self.trading_pair: 87807.5}, prices)
        self.assertTrue(self._is_logged("WARNING", f"Could not read the last traded price of {self.third_pair}"))

    async def test_last_traded_price_is_none_before_the_first_trade(self):
        # GRVT's mini ticker reports last_price "0.0" for an instrument nobody has traded yet
        with aioresponses() as mock_api:
            mock_api.post(self._rest_url_regex(CONSTANTS.MINI_TICKER_PATH_URL), body=json.dumps(
                {"result": {"instrument": self.instrument, "last_price": "0.0", "mark_price": "87807.7"}}))
            prices = await self.data_source.get_last_traded_prices([self.trading_pair])

        self.assertEqual({}, prices)

    async def test_a_pair_left_without_a_price_is_read_again_only_after_a_pause(self):
        # Hummingbot's order book tracker asks again at once for it: without the pause, a tight loop of REST reads
        price = AsyncMock(side_effect=[None, 87807.5, 87808.0])
        pauses = []

        async def pause(delay):
            pauses.append(delay)

        with patch.object(self.data_source, "get_last_traded_price", new=price), \
                patch.object(self.data_source, "_sleep", new=pause):
            self.assertEqual({}, await self.data_source.get_last_traded_prices([self.trading_pair]))
            self.assertEqual({self.trading_pair: 87807.5},
                             await self.data_source.get_last_traded_prices([self.trading_pair]))
            await self.data_source.get_last_traded_prices([self.trading_pair])

        self.assertEqual(1, len(pauses))  # a price read: no pause before the next read
        self.assertGreater(pauses[0], 0)
        self.assertLessEqual(pauses[0], self.data_source.LAST_PRICE_RETRY_SECONDS)

    async def test_get_last_traded_prices_propagates_cancellation(self):
        with patch.object(self.data_source, "get_last_traded_price", new=AsyncMock(
                side_effect=asyncio.CancelledError)):
            with self.assertRaises(asyncio.CancelledError):
                await self.data_source.get_last_traded_prices([self.trading_pair])

    def test_funding_helpers(self):
        self.assertEqual(Decimal("0.0001"), funding_rate_fraction(ticker({"funding_rate": "0.01"})))
        self.assertEqual(Decimal("0.000125"), funding_rate_fraction(ticker({"funding_rate": 0.0125})))
        self.assertIsNone(funding_rate_fraction(ticker({"funding_rate": ""})))
        self.assertIsNone(next_funding_timestamp(ticker({"next_funding_time": "0"})))
        self.assertEqual(1767225600, next_funding_timestamp(ticker({"next_funding_time": 1767225600123456789})))
        with self.assertRaisesRegex(GrvtMessageError, "next_funding_time"):
            ticker({"next_funding_time": "soon"})
        with self.assertRaisesRegex(GrvtMessageError, "funding_rate"):
            ticker({"funding_rate": True})

    # Socket and subscriptions
    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_listen_for_subscriptions_subscribes_book_trades_and_ticker_one_selector_per_request(
            self, ws_connect_mock):
        data_source = self.data_source = self._data_source([self.trading_pair, self.other_pair])
        ws_connect_mock.return_value = self.mocking_assistant.create_websocket_mock()
        self.mocking_assistant.add_websocket_aiohttp_message(ws_connect_mock.return_value, json.dumps({
            "jsonrpc": "2.0", "id": 1, "method": "subscribe",
            "result": {"stream": "v1.book.d", "subs": [f"{self.instrument}@100"], "unsubs": [],
                       "num_snapshots": [1], "first_sequence_number": ["12"], "latest_sequence_number": ["11"]}}))

        self.listening_task = asyncio.create_task(data_source.listen_for_subscriptions())
        await self.mocking_assistant.run_until_all_aiohttp_messages_delivered(ws_connect_mock.return_value)

        self.assertEqual(web_utils.public_ws_url(self.domain), ws_connect_mock.call_args.args[0])
        self.assertEqual(CONSTANTS.WS_HEARTBEAT_INTERVAL_SECONDS, ws_connect_mock.call_args.kwargs["heartbeat"])
        sent = self._sent(ws_connect_mock.return_value)
        expected = []
        for instrument in (self.instrument, self.other_instrument):
            expected += [("v1.book.d", f"{instrument}@100"), ("v1.trade", f"{instrument}@50"),
                         ("v1.ticker.s", f"{instrument}@500")]
        self.assertEqual(expected, [(m["params"]["stream"], m["params"]["selectors"][0]) for m in sent])
        self.assertTrue(all(m["jsonrpc"] == "2.0" and m["method"] == "subscribe" for m in sent))
        self.assertTrue(all(len(m["params"]["selectors"]) == 1 for m in sent))
        self.assertEqual(list(range(1, 7)), [m["id"] for m in sent])
        self.assertTrue(self._is_logged("INFO", "Subscribed to GRVT public order book, trade and ticker streams."))
        self.assertFalse(self._is_logged("WARNING", "did not confirm"))
        self.assertEqual({self.trading_pair, self.other_pair}, set(data_source._history_cutoff_ns))
        self.assertNotIn(1, data_source._pending_requests)

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_subscribe_error_is_logged_and_other_pairs_keep_streaming(self, ws_connect_mock):
        data_source = self.data_source = self._data_source([self.third_pair, self.trading_pair])
        ws_mock = ws_connect_mock.return_value = self.mocking_assistant.create_websocket_mock()
        self.mocking_assistant.add_websocket_aiohttp_message(ws_mock, json.dumps({
            "jsonrpc": "2.0", "error": {"code": 3000, "message": "Instrument is invalid"}, "id": 1,
            "method": "subscribe"}))
        self.mocking_assistant.add_websocket_aiohttp_message(
            ws_mock, json.dumps(self._book_payload(0, 0, bids=[level("100", "1")])))
        output = asyncio.Queue()

        self.listening_task = asyncio.create_task(data_source.listen_for_subscriptions())
        self.tasks.append(asyncio.create_task(data_source.listen_for_order_book_diffs(None, output)))
        await self.mocking_assistant.run_until_all_aiohttp_messages_delivered(ws_mock)
        snapshot = await asyncio.wait_for(output.get(), timeout=10)

        self.assertTrue(self._is_logged(
            "ERROR", f"GRVT rejected subscribe v1.book.d {self.third_instrument}@100 for {self.third_pair}: "
                     f"error 3000 Instrument is invalid (the instrument is unknown to GRVT)"))
        self.assertEqual(OrderBookMessageType.SNAPSHOT, snapshot.type)
        self.assertEqual(self.trading_pair, snapshot.trading_pair)
        self.assertFalse(self.listening_task.done())

    async def test_subscribe_result_not_confirming_our_selector_is_a_warning(self):
        self.data_source._pending_requests[4] = _PendingRequest(
            "subscribe", "v1.trade", f"{self.instrument}@50", self.trading_pair)

        self._answer({"jsonrpc": "2.0", "id": 4, "method": "subscribe", "result": {"stream": "v1.trade", "subs": []}})

        self.assertTrue(self._is_logged(
            "WARNING", f"GRVT did not confirm the v1.trade subscription {self.instrument}@50 of {self.trading_pair}"))

    async def test_malformed_subscribe_answer_and_rejection_are_warnings_naming_the_field(self):
        for request_id, stream in ((4, "v1.book.d"), (5, "v1.trade")):
            self.data_source._pending_requests[request_id] = _PendingRequest(
                "subscribe", stream, f"{self.instrument}@100", self.trading_pair)

        self._answer({"jsonrpc": "2.0", "id": 4, "result": {"stream": "v1.book.d", "subs": None}})
        self._answer({"jsonrpc": "2.0", "id": 5, "error": {"code": 3000, "message": None}})

        self.assertTrue(self._is_logged(
            "WARNING", "GRVT market-data answer is malformed: Expected `array`, got `null` - at `$.result.subs`"))
        self.assertTrue(self._is_logged(
            "WARNING", "GRVT market-data answer is malformed: Expected `str`, got `null` - at `$.error.message`"))
        self.assertEqual(2, self._logged_count("WARNING", "is malformed"))

    async def test_unexpected_frames_do_not_break_the_listener(self):
        self._answer("pong")
        self._answer({"jsonrpc": "2.0", "error": {"code": 1003, "message": "Request could not be processed"}})
        self._answer({"code": 1002, "message": "Internal Server Error", "status": 500})
        self._answer({"stream": "v1.mini.s", "feed": {}})
        self._answer({"jsonrpc": "2.0", "id": 99, "result": {}})

        self.assertTrue(self._is_logged("DEBUG", "Ignoring non-JSON frame"))
        self.assertTrue(self._is_logged("DEBUG", "answered a frame with error 1003"))
        self.assertTrue(self._is_logged("WARNING", "GRVT market-data error 1002: Internal Server Error"))
        self.assertTrue(self._is_logged("DEBUG", "Ignoring GRVT stream 'v1.mini.s'"))
        self.assertTrue(self._is_logged("DEBUG", "Ignoring unexpected GRVT market-data message"))

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_subscribe_channels_raises_and_logs_when_sending_fails(self, ws_connect_mock):
        ws_mock = await self._connect_ws(ws_connect_mock)
        ws_mock.send_json.side_effect = ConnectionError("socket gone")

        with self.assertRaises(ConnectionError):
            await self.data_source._subscribe_channels(self.data_source._ws_assistant)

        self.data_source._sleep = AsyncMock(side_effect=asyncio.CancelledError)  # the reconnect delay ends the test
        with self.assertRaises(asyncio.CancelledError):
            await self.data_source.listen_for_subscriptions()
        self.assertTrue(self._is_logged("WARNING", "The websocket connection was closed (socket gone)"))

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_subscribe_channels_skips_pairs_without_instrument(self, ws_connect_mock):
        self.data_source = self._data_source(["DOGE-USDT", self.trading_pair])
        ws_mock = await self._connect_ws(ws_connect_mock)

        await self.data_source._subscribe_channels(self.data_source._ws_assistant)

        self.assertTrue(self._is_logged("ERROR", "GRVT has no instrument for DOGE-USDT, not subscribing it"))
        self.assertEqual(3, len(self._sent(ws_mock)))

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_subscribe_channels_propagates_cancellation(self, ws_connect_mock):
        await self._connect_ws(ws_connect_mock)
        with patch.object(self.connector, "exchange_symbol_associated_to_pair",
                          new=AsyncMock(side_effect=asyncio.CancelledError)):
            with self.assertRaises(asyncio.CancelledError):
                await self.data_source._subscribe_channels(self.data_source._ws_assistant)

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_listen_for_subscriptions_propagates_cancellation(self, ws_connect_mock):
        ws_connect_mock.side_effect = asyncio.CancelledError

        with self.assertRaises(asyncio.CancelledError):
            await self.data_source.listen_for_subscriptions()

    @patch("hummingbot.core.data_type.order_book_tracker_data_source.OrderBookTrackerDataSource._sleep")
    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_listen_for_subscriptions_logs_and_retries_after_errors(self, ws_connect_mock, sleep_mock):
        sleep_mock.side_effect = asyncio.CancelledError
        ws_connect_mock.side_effect = Exception("TEST ERROR")

        with self.assertRaises(asyncio.CancelledError):
            await self.data_source.listen_for_subscriptions()

        self.assertTrue(self._is_logged(
            "ERROR", "Unexpected error occurred when listening to order book streams. Retrying in 5 seconds..."))

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_stream_payloads_are_routed_to_their_queues_and_everything_else_to_the_unknown_handler(
            self, ws_connect_mock):
        ws_mock = await self._connect_ws(ws_connect_mock)
        for message in (self._book_payload(0, 0), self._trade_payload("1-1"), {"stream": "v1.ticker.s", "feed": {}},
                        {"stream": ["v1.book.d"]}, {"stream": "v1.mini.s"}):
            self.mocking_assistant.add_websocket_aiohttp_message(ws_mock, json.dumps(message))
        self.mocking_assistant.add_websocket_aiohttp_message(ws_mock, "pong")
        queues = self.data_source._message_queue

        self.listening_task = asyncio.create_task(
            self.data_source._process_websocket_messages(self.data_source._ws_assistant))
        await self.mocking_assistant.run_until_all_aiohttp_messages_delivered(ws_mock)

        self.assertEqual([1, 1, 1], [queues[key].qsize() for key in (
            self.data_source._diff_messages_queue_key, self.data_source._trade_messages_queue_key,
            self.data_source._funding_info_messages_queue_key)])
        self.assertIsInstance(queues[self.data_source._diff_messages_queue_key].get_nowait(), BookDeltaFrame)
        self.assertTrue(self._is_logged("DEBUG", "Ignoring GRVT stream ['v1.book.d'] nobody subscribed to."))
        self.assertTrue(self._is_logged("DEBUG", "Ignoring GRVT stream 'v1.mini.s' nobody subscribed to."))
        self.assertTrue(self._is_logged("DEBUG", "Ignoring non-JSON frame from GRVT market data: 'pong'"))

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_silent_socket_is_replaced(self, ws_connect_mock):
        self.data_source.SILENCE_TIMEOUT_SECONDS = 0.05
        ws_connect_mock.return_value = self.mocking_assistant.create_websocket_mock()

        self.listening_task = asyncio.create_task(self.data_source.listen_for_subscriptions())
        await self._wait_for(lambda: ws_connect_mock.call_count >= 2)

        self.assertTrue(self._is_logged(
            "WARNING", "The websocket connection was closed (no GRVT market data for 0.05 s; reconnecting)"))
        self.assertFalse(self.listening_task.done())
        self.assertNotIn("message_timeout", ws_connect_mock.call_args.kwargs)

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_socket_closed_at_once_is_reopened_after_growing_delays(self, ws_connect_mock):
        sockets = [self.mocking_assistant.create_websocket_mock() for _ in range(3)]
        for ws_mock in sockets:
            self.mocking_assistant.add_websocket_aiohttp_message(ws_mock, "", message_type=aiohttp.WSMsgType.CLOSE)
        ws_connect_mock.side_effect = sockets + [ConnectionRefusedError("down")] * 10
        delays = []

        async def sleep(delay):
            delays.append(delay)
            if len(delays) == 3:
                await asyncio.Event().wait()  # the test ends here

        self.data_source._sleep = sleep
        self.listening_task = asyncio.create_task(self.data_source.listen_for_subscriptions())
        await self._wait_for(lambda: len(delays) == 3)

        self.assertEqual(3, ws_connect_mock.call_count)
        self.assertTrue(0.25 <= delays[0] <= 0.5 and 1.0 <= delays[2] <= 2.0, delays)

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_stopping_the_listener_does_not_wait_for_a_reconnect_delay(self, ws_connect_mock):
        await self._connect_ws(ws_connect_mock)
        self.listening_task = asyncio.create_task(self.data_source.listen_for_subscriptions())
        await self._wait_for(lambda: len(self._sent(ws_connect_mock.return_value)) == 3)
        self.data_source._sleep = AsyncMock()

        self.listening_task.cancel()

        with self.assertRaises(asyncio.CancelledError):
            await self.listening_task
        self.data_source._sleep.assert_not_awaited()

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_cancelling_the_listener_is_not_mistaken_for_silence(self, ws_connect_mock):
        await self._connect_ws(ws_connect_mock)
        task = asyncio.create_task(self.data_source._process_websocket_messages(self.data_source._ws_assistant))
        await self._settle()

        task.cancel()

        with self.assertRaises(asyncio.CancelledError):
            await task
        self.assertFalse(self._is_logged("WARNING", "no GRVT market data"))

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_cancelling_the_listener_as_silence_expires_still_cancels_it(self, ws_connect_mock):
        module = "hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_api_order_book_data_source"
        watches = []

        class RecordedWatch(_SilenceWatch):
            def __init__(self, *args):
                super().__init__(*args)
                watches.append(self)

        await self._connect_ws(ws_connect_mock)
        with patch(f"{module}._SilenceWatch", RecordedWatch):
            task = asyncio.create_task(
                self.data_source._process_websocket_messages(self.data_source._ws_assistant))
            await self._settle()
        with patch(f"{module}.time.time", return_value=time.time() + 3600):
            watches[0].check()
        task.cancel()

        with self.assertRaises(asyncio.CancelledError):
            await task
        self.assertTrue(watches[0].expired)

    async def test_silence_watch_rearms_while_frames_arrive_and_cancels_once_they_stop(self):
        class Socket:
            last_recv_time = 0.0

        socket = Socket()
        watches = []

        async def watched_reader():
            watches.append(_SilenceWatch(socket, 30.0))
            await asyncio.sleep(60)

        task = asyncio.create_task(watched_reader())
        await self._settle()
        watch = watches[0]
        socket.last_recv_time = time.time()
        watch.check()
        self.assertFalse(watch.expired)
        self.assertFalse(task.cancelling())

        socket.last_recv_time = time.time() - 31.0
        with patch("hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_api_order_book_data_source."
                   "time.time", return_value=time.time() + 31.0):
            watch.check()

        self.assertTrue(watch.expired)
        with self.assertRaises(asyncio.CancelledError):
            await task
        watch.stop()

    # Book sequencing
    async def test_snapshot_then_deltas(self):
        messages = await self._parse_book(
            self._book_payload(0, 0, bids=[level("100", "1"), level("99", "2")], asks=[level("101", "1")]),
            self._book_payload(1061214, 1061213, bids=[level("99", "0")]),
            self._book_payload(1061215, 1061214, asks=[level("102", "3")]),
        )

        self.assertEqual([OrderBookMessageType.SNAPSHOT, OrderBookMessageType.DIFF, OrderBookMessageType.DIFF],
                         [message.type for message in messages])
        self.assertEqual([EPOCH, EPOCH + 1, EPOCH + 2], [message.update_id for message in messages])
        self.assertEqual([[100.0, 1.0, EPOCH], [99.0, 2.0, EPOCH]], rows(messages[0].content["bids"]))
        self.assertEqual([[99.0, 0.0, EPOCH + 1]], rows(messages[1].content["bids"]))
        self.assertEqual([[102.0, 3.0, EPOCH + 2]], rows(messages[2].content["asks"]))
        self.assertTrue(all(message.trading_pair == self.trading_pair for message in messages))

    async def test_duplicate_deltas_are_ignored(self):
        messages = await self._parse_book(
            self._book_payload(0, 0, bids=[level("100", "1")]),
            self._book_payload(10, 9, bids=[level("99", "1")]),
            self._book_payload(10, 9, bids=[level("99", "1")]),
            self._book_payload(11, 10, bids=[level("98", "1")]),
        )

        self.assertEqual(3, len(messages))
        self.assertFalse(self._is_logged("WARNING", "book sequence broken"))

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_gap_resubscribes_and_drops_deltas_until_new_snapshot(self, ws_connect_mock):
        ws_mock = await self._connect_ws(ws_connect_mock)
        output = asyncio.Queue()
        for payload in (self._book_payload(0, 0, bids=[level("100", "1")]), self._book_payload(10, 9),
                        self._book_payload(12, 11, bids=[level("97", "1")])):
            await self._judge(payload, output)
        await self._settle()

        sent = self._sent(ws_mock)
        self.assertEqual([("unsubscribe", "v1.book.d", [f"{self.instrument}@100"]),
                          ("subscribe", "v1.book.d", [f"{self.instrument}@100"])],
                         [(m["method"], m["params"]["stream"], m["params"]["selectors"]) for m in sent])
        self.assertTrue(self._is_logged("WARNING", "GRVT BTC-USDT book sequence broken (received 12, previous 11)"))
        self.assertEqual(1, self._logged_count("WARNING", "book sequence broken"))

        await self._judge(self._book_payload(13, 12), output)
        await self._judge(
            self._book_payload(0, 0, bids=[level("100", "2")]), output)
        await self._judge(self._book_payload(20, 19), output)
        await self._settle()

        messages = [output.get_nowait() for _ in range(output.qsize())]
        self.assertEqual([EPOCH, EPOCH + 1, 2 * EPOCH, 2 * EPOCH + 1], [m.update_id for m in messages])
        self.assertEqual(OrderBookMessageType.SNAPSHOT, messages[2].type)
        self.assertEqual(1, self._logged_count("WARNING", "book sequence broken"))  # 13 was dropped, not a gap
        self.assertEqual({}, self.data_source._resync_tasks)

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_gap_right_after_the_resync_snapshot_resubscribes_again(self, ws_connect_mock):
        ws_mock = await self._connect_ws(ws_connect_mock)
        self.data_source.RESYNC_SNAPSHOT_TIMEOUT_SECONDS = 60
        await self._parse_book(self._book_payload(0, 0), self._book_payload(10, 9), self._book_payload(12, 11))
        await self._wait_for(lambda: len(self._sent(ws_mock)) == 2)

        # the resubscribe's snapshot and a broken delta read together, before the resync task runs again
        await self._parse_book(self._book_payload(0, 0, bids=[level("100", "1")]), self._book_payload(30, 29),
                               self._book_payload(32, 31))

        await self._wait_for(lambda: len(self._sent(ws_mock)) == 4, timeout=10)
        self.assertEqual(["unsubscribe", "subscribe"] * 2, [m["method"] for m in self._sent(ws_mock)])
        self.assertIn(self.instrument, self.data_source._resync_tasks)

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_delta_lost_right_after_the_snapshot_is_caught_through_the_subscribe_answer(self, ws_connect_mock):
        ws_mock = await self._connect_ws(ws_connect_mock)
        self.data_source._pending_requests[77] = _PendingRequest(
            "subscribe", "v1.book.d", f"{self.instrument}@100", self.trading_pair)
        answer = {
            "jsonrpc": "2.0", "id": 77, "method": "subscribe",
            "result": {"stream": "v1.book.d", "subs": [f"{self.instrument}@100"], "unsubs": [], "num_snapshots": [1],
                       "first_sequence_number": ["12"], "latest_sequence_number": ["11"]}}

        messages = await self._parse_book(answer, self._book_payload(0, 0, bids=[level("100", "1")]),
                                          self._book_payload(13, 12, bids=[level("99", "1")]))
        await self._settle()

        self.assertEqual([OrderBookMessageType.SNAPSHOT], [m.type for m in messages])
        self.assertEqual(1, self._logged_count("WARNING", "book sequence broken"))
        self.assertEqual(["unsubscribe", "subscribe"], [m["method"] for m in self._sent(ws_mock)])

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_snapshot_announced_as_several_payloads_keeps_the_levels_of_every_part(self, ws_connect_mock):
        ws_mock = await self._connect_ws(ws_connect_mock)
        self.data_source._pending_requests[77] = _PendingRequest(
            "subscribe", "v1.book.d", f"{self.instrument}@100", self.trading_pair)
        answer = {
            "jsonrpc": "2.0", "id": 77, "method": "subscribe",
            "result": {"stream": "v1.book.d", "subs": [f"{self.instrument}@100"], "unsubs": [], "num_snapshots": [2],
                       "first_sequence_number": ["12"], "latest_sequence_number": ["11"]}}

        messages = await self._parse_book(answer, self._book_payload(0, 0, bids=[level("100", "1")]),
                                          self._book_payload(0, 0, asks=[level("101", "2")]),
                                          self._book_payload(12, 11, bids=[level("99", "3")]))
        order_book = GrvtPerpetualOrderBook()
        order_book.apply_snapshot(messages[0].bids, messages[0].asks, messages[0].update_id)
        for message in messages[1:]:
            order_book.apply_diffs(message.bids, message.asks, message.update_id)

        self.assertEqual([OrderBookMessageType.SNAPSHOT, OrderBookMessageType.DIFF, OrderBookMessageType.DIFF],
                         [m.type for m in messages])
        self.assertEqual([(100.0, 1.0), (99.0, 3.0)], [(row.price, row.amount) for row in order_book.bid_entries()])
        self.assertEqual([(101.0, 2.0)], [(row.price, row.amount) for row in order_book.ask_entries()])
        self.assertEqual(0, self._logged_count("WARNING", "book sequence broken"))
        self.assertEqual([], self._sent(ws_mock))

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_subscribe_answer_of_a_new_socket_applies_after_the_book_reset_queued_before_it(
            self, ws_connect_mock):
        ws_mock = await self._connect_ws(ws_connect_mock)
        output = asyncio.Queue()
        for payload in (self._book_payload(0, 0, bids=[level("98", "1")]), self._book_payload(10, 9)):
            await self._judge(payload, output)  # the old socket's book
        queue = self.data_source._message_queue[self.data_source._diff_messages_queue_key]
        self.data_source._book_output = output
        queue.put_nowait(self._frame(self._book_payload(11, 10)))  # the book listener lags one old delta behind

        # a new socket: the books start over (queued behind that delta); GRVT answers, then sends a 2-part snapshot
        await self.data_source._subscribe_channels(self.data_source._ws_assistant)
        book_request = next(m for m in self._sent(ws_mock) if m["params"]["stream"] == CONSTANTS.WS_BOOK_DELTA_STREAM)
        self._answer({
            "jsonrpc": "2.0", "id": book_request["id"], "method": "subscribe",
            "result": {"stream": "v1.book.d", "subs": [f"{self.instrument}@100"], "unsubs": [], "num_snapshots": [2],
                       "first_sequence_number": ["500"], "latest_sequence_number": ["499"]}})
        for payload in (self._book_payload(0, 0, bids=[level("100", "1")]),
                        self._book_payload(0, 0, asks=[level("101", "2")]),
                        self._book_payload(500, 499, bids=[level("99", "3")])):
            self.data_source._on_frame(json.dumps(payload))
        while not queue.empty():
            await self.data_source._parse_order_book_diff_message(queue.get_nowait(), output)
        self.data_source._book_output = None

        order_book = GrvtPerpetualOrderBook()
        for message in [output.get_nowait() for _ in range(output.qsize())]:
            if message.type is OrderBookMessageType.SNAPSHOT:
                order_book.apply_snapshot(message.bids, message.asks, message.update_id)
            else:
                order_book.apply_diffs(message.bids, message.asks, message.update_id)
        self.assertEqual([(100.0, 1.0), (99.0, 3.0)], [(row.price, row.amount) for row in order_book.bid_entries()])
        self.assertEqual([(101.0, 2.0)], [(row.price, row.amount) for row in order_book.ask_entries()])
        self.assertEqual(0, self._logged_count("WARNING", "book sequence broken"))

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_decrease_triggers_resync(self, ws_connect_mock):
        ws_mock = await self._connect_ws(ws_connect_mock)

        messages = await self._parse_book(
            self._book_payload(0, 0), self._book_payload(500, 499), self._book_payload(501, 500),
            self._book_payload(3, 2))
        await self._settle()

        self.assertEqual(3, len(messages))
        self.assertTrue(self._is_logged("WARNING", "book sequence broken (received 3, previous 2)"))
        self.assertEqual(["unsubscribe", "subscribe"], [m["method"] for m in self._sent(ws_mock)])

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_resync_falls_back_to_rest_snapshot_when_stream_snapshot_does_not_come(self, ws_connect_mock):
        await self._connect_ws(ws_connect_mock)
        self.data_source.RESYNC_SNAPSHOT_TIMEOUT_SECONDS = 0.01
        output = asyncio.Queue()
        for payload in (self._book_payload(0, 0, bids=[level("99", "1")]), self._book_payload(10, 9),
                        self._book_payload(15, 14)):
            await self._judge(payload, output)
        rest_book = {"result": {"event_time": "1767292409000000000", "bids": [level("100", "3")],
                                "asks": [level("101", "4")]}}
        with aioresponses() as mock_api:
            mock_api.post(self._rest_url_regex(CONSTANTS.ORDER_BOOK_PATH_URL), body=json.dumps(rest_book))
            marker = await asyncio.wait_for(
                self.data_source._message_queue[self.data_source._diff_messages_queue_key].get(), timeout=10)

        await self._judge(marker, output)
        await self._judge(self._book_payload(40, 39), output)

        messages = [output.get_nowait() for _ in range(output.qsize())]
        self.assertEqual([EPOCH, EPOCH + 1, 2 * EPOCH, 2 * EPOCH + 1], [m.update_id for m in messages])
        self.assertEqual(OrderBookMessageType.SNAPSHOT, messages[2].type)
        self.assertEqual([[100.0, 3.0, 2 * EPOCH]], rows(messages[2].content["bids"]))
        self.assertTrue(self._is_logged("WARNING", "No GRVT BTC-USDT book snapshot"))

    def _rest_book_requested(self, instrument: str, trading_pair: str, best_bid: str = "100") -> partial:
        """The event of a REST book, as the resync task builds it when it sends the request."""
        deltas = self.data_source._deltas_during_rest_book[instrument] = []
        bids = [from_builtins(level(best_bid, "3"), BookLevel, "level")]
        return partial(self.data_source._apply_rest_book, instrument, trading_pair, BookLevels(bids=bids), deltas)

    def _waits_for_a_snapshot(self) -> bool:
        """Whether the book drops deltas until a snapshot: a delta far ahead is STALE then, a GAP otherwise."""
        return self.data_source._sequencer.on_message(self.instrument, 1 << 30) is BookSequenceVerdict.STALE

    @staticmethod
    def _book_after(messages) -> GrvtPerpetualOrderBook:
        order_book = GrvtPerpetualOrderBook()
        for message in messages:
            if message.type is OrderBookMessageType.SNAPSHOT:
                order_book.apply_snapshot(message.bids, message.asks, message.update_id)
            else:
                order_book.apply_diffs(message.bids, message.asks, message.update_id)
        return order_book

    async def test_rest_fallback_is_discarded_when_stream_snapshot_came_first(self):
        self.data_source._sequencer.request_resync(self.instrument)
        rest_book = self._rest_book_requested(self.instrument, self.trading_pair)

        messages = await self._parse_book(self._book_payload(0, 0), rest_book)

        self.assertEqual(1, len(messages))
        self.assertEqual({}, self.data_source._deltas_during_rest_book)

    async def test_rest_fallback_is_discarded_when_pair_was_unsubscribed_meanwhile(self):
        self.data_source._sequencer.request_resync(self.other_instrument)
        rest_book = self._rest_book_requested(self.other_instrument, self.other_pair)
        self.data_source._forget_instrument(self.other_instrument, self.other_pair)

        messages = await self._parse_book(rest_book)

        self.assertEqual([], messages)

    async def test_rest_fallback_is_discarded_when_a_newer_one_was_requested(self):
        self.data_source._sequencer.request_resync(self.instrument)
        older = self._rest_book_requested(self.instrument, self.trading_pair, best_bid="99")
        newer = self._rest_book_requested(self.instrument, self.trading_pair, best_bid="100")

        messages = await self._parse_book(older, newer)

        self.assertEqual([[100.0, 3.0, EPOCH]], [row for message in messages for row in rows(message.bids)])

    async def test_rest_fallback_keeps_the_deltas_received_while_the_rest_book_was_on_its_way(self):
        self.data_source.RESYNC_SNAPSHOT_TIMEOUT_SECONDS = 0.01
        output = asyncio.Queue()
        for payload in (self._book_payload(0, 0, bids=[level("99", "1")]), self._book_payload(10, 9),
                        self._book_payload(15, 14)):
            await self._judge(payload, output)

        async def rest_book_while_deltas_arrive(trading_pair):
            # the exchange took the book before delta 41 (already in it) and sent 42 and 43 after
            for number, bids in ((41, [level("98", "2")]), (42, [level("98", "0"), level("97", "5")]),
                                 (43, [level("100", "4")])):
                self._answer(self._book_payload(number, number - 1, bids=bids))
            return from_builtins({"event_time": "1767292409000000000", "bids": [level("100", "3"), level("98", "2")],
                                  "asks": [level("101", "4")]}, BookLevels, "book")

        self.data_source._request_order_book_snapshot = rest_book_while_deltas_arrive
        await asyncio.wait_for(self.data_source._resync_tasks[self.instrument], timeout=10)
        diff_queue = self.data_source._message_queue[self.data_source._diff_messages_queue_key]
        for _ in range(diff_queue.qsize()):
            await self._judge(diff_queue.get_nowait(), output)
        await self._judge(self._book_payload(44, 43, asks=[level("102", "1")]), output)

        messages = [output.get_nowait() for _ in range(output.qsize())]
        order_book = self._book_after(messages[2:])
        self.assertEqual([(100.0, 4.0), (97.0, 5.0)], [(row.price, row.amount) for row in order_book.bid_entries()])
        self.assertEqual([(101.0, 4.0), (102.0, 1.0)], [(row.price, row.amount) for row in order_book.ask_entries()])
        self.assertEqual([2 * EPOCH + index for index in range(5)], [m.update_id for m in messages[2:]])
        self.assertEqual({}, self.data_source._deltas_during_rest_book)

    async def test_a_break_among_the_deltas_replayed_on_a_rest_book_resynchronises_again(self):
        self.data_source.RESYNC_SNAPSHOT_TIMEOUT_SECONDS = 60
        self.data_source._sequencer.request_resync(self.instrument)
        rest_book = self._rest_book_requested(self.instrument, self.trading_pair)

        messages = await self._parse_book(self._book_payload(41, 40, bids=[level("98", "2")]),
                                          self._book_payload(43, 42, bids=[level("97", "1")]), rest_book)

        self.assertEqual([OrderBookMessageType.SNAPSHOT, OrderBookMessageType.DIFF], [m.type for m in messages])
        self.assertEqual(1, self._logged_count("WARNING", "book sequence broken"))
        self.assertTrue(self._waits_for_a_snapshot())
        self.assertIn(self.instrument, self.data_source._resync_tasks)

    async def test_resync_without_socket_uses_rest_and_retries_after_rest_errors(self):
        self.data_source.RESYNC_SNAPSHOT_TIMEOUT_SECONDS = 0.01
        await self._parse_book(self._book_payload(0, 0), self._book_payload(10, 9), self._book_payload(12, 11))
        task = self.data_source._resync_tasks[self.instrument]
        rest_book = {"result": {"event_time": "1", "bids": [level("100", "3")], "asks": []}}

        with aioresponses() as mock_api:
            mock_api.post(self._rest_url_regex(CONSTANTS.ORDER_BOOK_PATH_URL), status=500, body="down")
            mock_api.post(self._rest_url_regex(CONSTANTS.ORDER_BOOK_PATH_URL), body=json.dumps(rest_book))
            await asyncio.wait_for(task, timeout=1)

        self.assertTrue(self._is_logged("ERROR", "Error resynchronising the GRVT BTC-USDT order book; retrying."))
        self.assertEqual({}, self.data_source._resync_tasks)
        marker = self.data_source._message_queue[self.data_source._diff_messages_queue_key].get_nowait()
        messages = await self._parse_book(marker)
        self.assertEqual([[100.0, 3.0, 2 * EPOCH]], rows(messages[0].content["bids"]))

    async def test_malformed_book_payload_is_dropped_and_book_resynchronised(self):
        self.data_source.RESYNC_SNAPSHOT_TIMEOUT_SECONDS = 60
        await self._parse_book(self._book_payload(0, 0), self._book_payload(10, 9))
        bad_sequence = self._book_payload(11, 10)
        bad_sequence["sequence_number"] = "eleven"

        messages = await self._parse_book(
            bad_sequence, {"stream": "v1.book.d"}, ["not", "a", "dict"], self._book_payload(12, 11))

        self.assertEqual([], messages)
        self.assertEqual(3, self._logged_count("WARNING", "is malformed"))
        self.assertTrue(self._is_logged(
            "WARNING", "GRVT v1.book.d frame is malformed: Expected `int`, got `str` - at `$.sequence_number`; "
                       "dropped"))
        self.assertTrue(self._is_logged("WARNING", "GRVT market-data answer is malformed: Expected `object`"))
        self.assertTrue(self._waits_for_a_snapshot())
        self.assertIn(self.instrument, self.data_source._resync_tasks)
        messages = await self._parse_book(self._book_payload(0, 0, bids=[level("5", "5")]))
        self.assertEqual(OrderBookMessageType.SNAPSHOT, messages[0].type)

    async def test_malformed_book_frame_with_an_unhashable_instrument_is_dropped(self):
        await self._parse_book(self._book_payload(0, 0), self._book_payload(10, 9))
        for instrument in (["BTC_USDT_Perp"], {"name": "BTC_USDT_Perp"}):
            bad = self._book_payload(11, 10)
            bad["feed"]["instrument"] = instrument
            self.data_source._on_frame(json.dumps(bad))

        self.assertEqual(2, self._logged_count("WARNING", "is malformed"))
        self.assertEqual({}, self.data_source._resync_tasks)
        self.assertEqual(1, len(await self._parse_book(self._book_payload(11, 10))))

    async def test_in_sequence_deltas_build_their_messages(self):
        payloads = [self._book_payload(0, 0, bids=[level("100", "1")]), self._book_payload(10, 9),
                    self._book_payload(11, 10, bids=[level("99", "2")], asks=[level("101", "0")]),
                    self._book_payload(12, 11, asks=[level("102", "4")])]
        del payloads[3]["prev_sequence_number"]

        messages = await self._parse_book(*payloads)

        self.assertEqual([EPOCH, EPOCH + 1, EPOCH + 2, EPOCH + 3], [m.update_id for m in messages])
        self.assertEqual(OrderBookMessageType.DIFF, messages[2].type)
        self.assertEqual(self.trading_pair, messages[2].trading_pair)
        self.assertEqual([[99.0, 2.0, EPOCH + 2]], rows(messages[2].content["bids"]))
        self.assertEqual([[101.0, 0.0, EPOCH + 2]], rows(messages[2].content["asks"]))
        self.assertAlmostEqual(1767292408.4, messages[2].timestamp, places=6)
        self.assertEqual([[102.0, 4.0, EPOCH + 3]], rows(messages[3].content["asks"]))

    async def test_out_of_sequence_and_unreadable_payloads_build_no_message(self):
        self.data_source.RESYNC_SNAPSHOT_TIMEOUT_SECONDS = 60
        await self._parse_book(self._book_payload(0, 0), self._book_payload(10, 9))
        unknown = self._book_payload(11, 10, instrument=self.other_instrument)
        not_a_number = self._book_payload(11, 10)
        not_a_number["prev_sequence_number"] = "ten"

        messages = await self._parse_book(
            self._book_payload(10, 9), unknown, not_a_number, {"feed": ["no", "instrument"]},
            self._book_payload(13, 12))

        self.assertEqual([], messages)
        self.assertFalse(self._is_logged("WARNING", "book sequence broken"))  # the repeated delta is a duplicate
        self.assertEqual(1, self._logged_count("WARNING", "is malformed"))
        self.assertTrue(self._waits_for_a_snapshot())

    async def test_in_sequence_delta_with_unparsable_levels_resynchronises_the_book(self):
        self.data_source.RESYNC_SNAPSHOT_TIMEOUT_SECONDS = 60
        messages = await self._parse_book(
            self._book_payload(0, 0), self._book_payload(10, 9),
            self._book_payload(11, 10, asks=[level("101", "a lot")]), self._book_payload(12, 11))

        self.assertEqual(2, len(messages))
        self.assertEqual(1, self._logged_count("WARNING", "is malformed"))
        self.assertTrue(self._is_logged("WARNING", "GRVT v1.book.d frame is malformed"))
        self.assertIn(self.instrument, self.data_source._resync_tasks)
        self.assertFalse(self._is_logged("WARNING", "book sequence broken"))  # 12 was dropped, not a gap
        self.assertTrue(self._waits_for_a_snapshot())

    async def test_book_frames_wait_for_the_listener_and_behind_queued_events(self):
        await self._parse_book(self._book_payload(0, 0), self._book_payload(10, 9))
        diff_queue = self.data_source._message_queue[self.data_source._diff_messages_queue_key]

        self._answer(self._book_payload(11, 10))  # no listener yet: queued, not judged
        self.assertEqual(1, diff_queue.qsize())
        self.assertEqual(EPOCH + 1, self.data_source._sequencer.last_update_id)

        output = asyncio.Queue()
        listener = asyncio.create_task(self.data_source.listen_for_order_book_diffs(None, output))
        await self._wait_for(lambda: output.qsize() == 1)
        self._answer(self._book_payload(12, 11))  # nothing waits: judged at once
        self.assertEqual(2, output.qsize())

        diff_queue.put_nowait(partial(self.data_source._sequencer.reset, self.instrument))
        self._answer(self._book_payload(50, 49))  # behind the reset: judged after it, as the new snapshot
        self.assertEqual(2, output.qsize())
        await self._wait_for(lambda: output.qsize() == 3)

        messages = [output.get_nowait() for _ in range(3)]
        self.assertEqual([EPOCH + 2, EPOCH + 3, 2 * EPOCH], [m.update_id for m in messages])
        self.assertEqual(OrderBookMessageType.SNAPSHOT, messages[2].type)
        listener.cancel()
        await self._settle()
        self.assertIsNone(self.data_source._book_output)

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_book_payloads_from_the_socket_reach_the_tracker_stream_in_order(self, ws_connect_mock):
        ws_mock = ws_connect_mock.return_value = self.mocking_assistant.create_websocket_mock()
        self.mocking_assistant.add_websocket_aiohttp_message(
            ws_mock, json.dumps(self._book_payload(0, 0, bids=[level("100", "1")])))
        for sequence_number in range(10, 20):
            self.mocking_assistant.add_websocket_aiohttp_message(ws_mock, json.dumps(
                self._book_payload(sequence_number, sequence_number - 1, bids=[level(str(sequence_number), "1")])))
        output = asyncio.Queue()
        self.tasks.append(asyncio.create_task(self.data_source.listen_for_order_book_diffs(None, output)))
        await self._settle()

        self.listening_task = asyncio.create_task(self.data_source.listen_for_subscriptions())
        await self.mocking_assistant.run_until_all_aiohttp_messages_delivered(ws_mock)
        await self._wait_for(lambda: output.qsize() == 11)

        messages = [output.get_nowait() for _ in range(11)]
        self.assertEqual([EPOCH + index for index in range(11)], [message.update_id for message in messages])
        self.assertEqual([100.0] + [float(number) for number in range(10, 20)],
                         [message.content["bids"][0].price for message in messages])

    async def test_unparsable_levels_resynchronise_the_book(self):
        self.data_source.RESYNC_SNAPSHOT_TIMEOUT_SECONDS = 60
        messages = await self._parse_book(
            self._book_payload(0, 0), self._book_payload(10, 9, bids=[level("abc", "1")]),
            self._book_payload(11, 10))

        self.assertEqual(1, len(messages))
        self.assertEqual(1, self._logged_count("WARNING", "is malformed"))
        self.assertTrue(self._waits_for_a_snapshot())

    async def test_book_payload_of_an_instrument_not_subscribed_is_dropped(self):
        messages = await self._parse_book(
            self._book_payload(0, 0, instrument=self.other_instrument),
            self._book_payload(0, 0, instrument="XYZ_USDT_Perp"))

        self.assertEqual([], messages)
        self.assertFalse(self._is_logged("WARNING", "is malformed"))

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_hourly_refresh_resubscribes_books(self, ws_connect_mock):
        ws_mock = await self._connect_ws(ws_connect_mock)
        output = asyncio.Queue()
        await self._parse_book(self._book_payload(0, 0), self._book_payload(3, 2))

        await self.data_source._request_order_book_snapshots(output)
        marker = self.data_source._message_queue[self.data_source._diff_messages_queue_key].get_nowait()
        messages = await self._parse_book(marker, self._book_payload(4, 3))
        await self._settle()

        self.assertEqual([], messages)
        self.assertEqual(["unsubscribe", "subscribe"], [m["method"] for m in self._sent(ws_mock)])

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_reconnect_treats_first_payload_as_snapshot_even_with_lower_number(self, ws_connect_mock):
        first_ws = self.mocking_assistant.create_websocket_mock()
        second_ws = self.mocking_assistant.create_websocket_mock()
        ws_connect_mock.side_effect = [first_ws, second_ws]
        for payload in (self._book_payload(0, 0, bids=[level("100", "1"), level("99", "2")]),
                        self._book_payload(700, 699, bids=[level("98", "1")])):
            self.mocking_assistant.add_websocket_aiohttp_message(first_ws, json.dumps(payload))
        self.mocking_assistant.add_websocket_aiohttp_message(first_ws, "", message_type=aiohttp.WSMsgType.CLOSE)
        for payload in (self._book_payload(3, 2, bids=[level("100", "1")]), self._book_payload(4, 3)):
            self.mocking_assistant.add_websocket_aiohttp_message(second_ws, json.dumps(payload))
        output = asyncio.Queue()

        self.listening_task = asyncio.create_task(self.data_source.listen_for_subscriptions())
        self.tasks.append(asyncio.create_task(self.data_source.listen_for_order_book_diffs(None, output)))
        await self.mocking_assistant.run_until_all_aiohttp_messages_delivered(second_ws)
        await self._wait_for(lambda: output.qsize() == 4)

        messages = [output.get_nowait() for _ in range(4)]
        self.assertEqual([OrderBookMessageType.SNAPSHOT, OrderBookMessageType.DIFF,
                          OrderBookMessageType.SNAPSHOT, OrderBookMessageType.DIFF], [m.type for m in messages])
        self.assertEqual([EPOCH, EPOCH + 1, 2 * EPOCH, 2 * EPOCH + 1], [m.update_id for m in messages])
        self.assertEqual([[100.0, 1.0, 2 * EPOCH]], rows(messages[2].content["bids"]))
        self.assertEqual(0, self._logged_count("WARNING", "book sequence broken"))
        self.assertEqual(3, len(self._sent(first_ws)))
        self.assertEqual(3, len(self._sent(second_ws)))
        self.assertTrue(self._is_logged("WARNING", "The websocket connection was closed"))

    @patch.object(OrderBookTracker, "_sleep", new_callable=AsyncMock)
    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_no_ghost_levels_after_reconnect_through_the_order_book_tracker(self, ws_connect_mock, _):
        first_ws = self.mocking_assistant.create_websocket_mock()
        second_ws = self.mocking_assistant.create_websocket_mock()
        ws_connect_mock.side_effect = [first_ws, second_ws]
        self.data_source.get_last_traded_prices = AsyncMock(return_value={self.trading_pair: 100.5})
        rest_book = {"result": {"event_time": "1", "bids": [level("100", "1"), level("97", "5")],
                                "asks": [level("101", "1")]}}
        for payload in (self._book_payload(0, 0, bids=[level("100", "1"), level("99", "2")], asks=[level("101", "1")]),
                        self._book_payload(10, 9, bids=[level("98", "3")])):
            self.mocking_assistant.add_websocket_aiohttp_message(first_ws, json.dumps(payload))
        self.mocking_assistant.add_websocket_aiohttp_message(first_ws, "", message_type=aiohttp.WSMsgType.CLOSE)
        # after the reconnect: levels 99 and 98 are gone from the exchange's book
        for payload in (self._book_payload(0, 0, bids=[level("100", "1")], asks=[level("101", "1"), level("102", "4")]),
                        self._book_payload(50, 49, asks=[level("103", "1")])):
            self.mocking_assistant.add_websocket_aiohttp_message(second_ws, json.dumps(payload))
        tracker = OrderBookTracker(data_source=self.data_source, trading_pairs=[self.trading_pair], domain=self.domain)

        with aioresponses() as mock_api:
            mock_api.post(self._rest_url_regex(CONSTANTS.ORDER_BOOK_PATH_URL), body=json.dumps(rest_book))
            tracker.start()
            try:
                await self._wait_for(lambda: self.trading_pair in tracker.order_books and [
                    row.price for row in tracker.order_books[self.trading_pair].ask_entries()] == [101.0, 102.0, 103.0])
                order_book = tracker.order_books[self.trading_pair]
                self.assertEqual([100.0], [row.price for row in order_book.bid_entries()])
                self.assertEqual(2 * EPOCH, order_book.snapshot_uid)
            finally:
                tracker.stop()
                await self._settle()

    # Trades
    async def test_trades_are_parsed_with_the_taker_side(self):
        output = asyncio.Queue()

        await self._trades(output, self._trade_payload("1-1", is_taker_buyer=True),
                           self._trade_payload("2-1", is_taker_buyer=False))

        buy, sell = output.get_nowait(), output.get_nowait()
        self.assertEqual(float(TradeType.BUY.value), buy.content["trade_type"])
        self.assertEqual(float(TradeType.SELL.value), sell.content["trade_type"])
        self.assertEqual("1-1", buy.trade_id)
        self.assertEqual(87807.7, buy.content["price"])
        self.assertEqual(0.016, buy.content["amount"])
        self.assertEqual(self.trading_pair, buy.trading_pair)

    async def test_trade_replays_are_deduplicated(self):
        output = asyncio.Queue()
        self.data_source._history_cutoff_ns[self.trading_pair] = time.time_ns() - 10 ** 9

        await self._trades(output, *(self._trade_payload(trade_id, sequence_number="0")
                                     for trade_id in ("10-1", "10-2", "10-1", "11-1", "10-2")))

        self.assertEqual(["10-1", "10-2", "11-1"], [output.get_nowait().trade_id for _ in range(output.qsize())])

    async def test_trades_replayed_from_before_the_first_subscription_are_history(self):
        output = asyncio.Queue()
        cutoff = self.data_source._history_cutoff_ns[self.trading_pair] = time.time_ns()

        await self._trades(
            output,
            self._trade_payload("1-1", sequence_number="0", event_time_ns=cutoff - 10 ** 9),
            self._trade_payload("2-1", sequence_number="0", event_time_ns=cutoff + 10 ** 9),
            self._trade_payload("3-1", sequence_number="12", event_time_ns=cutoff - 10 ** 9),
            self._trade_payload("1-1", sequence_number="13", event_time_ns=cutoff - 10 ** 9))

        self.assertEqual(["2-1", "3-1"], [output.get_nowait().trade_id for _ in range(output.qsize())])

    async def test_malformed_trades_are_dropped(self):
        output = asyncio.Queue()
        bad_price = self._trade_payload("5-1")
        bad_price["feed"]["price"] = "lots"

        await self._trades(output, {"stream": "v1.trade"}, bad_price,
                           self._trade_payload("6-1", instrument="XYZ_USDT_Perp"), self._trade_payload("5-1"))

        self.assertEqual(["5-1"], [output.get_nowait().trade_id for _ in range(output.qsize())])
        self.assertEqual(2, self._logged_count("WARNING", "is malformed"))
        self.assertTrue(self._is_logged("WARNING", "GRVT v1.trade frame is malformed"))

    async def test_trades_and_tickers_of_instruments_not_subscribed_are_dropped(self):
        output = asyncio.Queue()

        await self._trades(output, self._trade_payload("7-1"), self._trade_payload("8-1", instrument="XYZ_USDT_Perp"),
                           self._trade_payload("9-1", instrument=self.other_instrument))
        await self._tickers(output, {"stream": "v1.ticker.s", "feed": self._ticker(instrument=self.other_instrument)})

        self.assertEqual(["7-1"], [output.get_nowait().trade_id for _ in range(output.qsize())])
        self.assertEqual({self.instrument: self.trading_pair}, self.data_source._instrument_to_pair)

    async def test_remembered_trade_ids_are_bounded(self):
        output = asyncio.Queue()
        self.data_source.TRADE_IDS_REMEMBERED_PER_PAIR = 3

        await self._trades(output, *(self._trade_payload(trade_id) for trade_id in ("0", "1", "2", "3", "4", "4", "0")))

        self.assertEqual(["0", "1", "2", "3", "4", "0"], [output.get_nowait().trade_id for _ in range(output.qsize())])
        self.assertEqual(["3", "4", "0"], list(self.data_source._recent_trade_ids[self.trading_pair]))

    # Funding
    async def test_funding_info_updates_from_ticker_stream(self):
        output = asyncio.Queue()
        self.data_source._message_queue[self.data_source._funding_info_messages_queue_key].put_nowait(
            self._frame(self._ticker_payload(funding_rate="-0.0125")))

        self.tasks.append(asyncio.create_task(self.data_source.listen_for_funding_info(output)))
        update: FundingInfoUpdate = await asyncio.wait_for(output.get(), timeout=10)

        self.assertEqual(self.trading_pair, update.trading_pair)
        self.assertEqual(Decimal("-0.000125"), update.rate)
        self.assertEqual(Decimal("87807.7"), update.mark_price)
        self.assertEqual(Decimal("87820.9"), update.index_price)
        self.assertEqual(1767225600, update.next_funding_utc_timestamp)

    async def test_funding_info_update_with_partial_ticker(self):
        output = asyncio.Queue()

        await self._tickers(output, {"stream": "v1.ticker.s",
                                     "feed": {"instrument": self.instrument, "mark_price": "1.5"}})

        update = output.get_nowait()
        self.assertEqual(Decimal("1.5"), update.mark_price)
        self.assertIsNone(update.index_price)
        self.assertIsNone(update.rate)
        self.assertIsNone(update.next_funding_utc_timestamp)

    async def test_ticker_with_empty_strings_for_null_fields_is_read(self):
        output = asyncio.Queue()

        await self._tickers(output, self._ticker_payload(funding_rate="", funding_rate_8h_curr="", index_price=""))

        update = output.get_nowait()
        self.assertEqual(Decimal("87807.7"), update.mark_price)
        self.assertIsNone(update.index_price)
        self.assertIsNone(update.rate)
        self.assertFalse(self._is_logged("WARNING", "is malformed"))

    async def test_socket_refuses_to_send_when_not_connected(self):
        socket = GrvtPerpetualMarketDataSocket()

        with self.assertRaises(ConnectionError):
            await socket.send_json({})
        await socket.disconnect()

    async def test_socket_handshake_with_a_silent_peer_ends_at_the_connect_timeout(self):
        connections = []  # accepted, never answered: a proxy or gateway that hangs
        server = await asyncio.start_server(lambda reader, writer: connections.append(writer), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        socket = GrvtPerpetualMarketDataSocket()
        try:
            with self.assertRaises(asyncio.TimeoutError):
                await socket.connect(f"ws://127.0.0.1:{port}/ws/full", heartbeat=20, timeout=0.2)
        finally:
            for writer in connections:
                writer.close()
            server.close()
            await server.wait_closed()
        await socket.disconnect()

    async def test_malformed_ticker_is_dropped(self):
        output = asyncio.Queue()

        await self._tickers(output, self._ticker_payload(mark_price="n/a"), {"stream": "v1.ticker.s", "feed": None},
                            {"stream": "v1.ticker.s", "feed": self._ticker(instrument="XYZ_USDT_Perp")})

        self.assertTrue(output.empty())
        self.assertEqual(2, self._logged_count("WARNING", "is malformed"))
        self.assertTrue(self._is_logged("WARNING", "GRVT v1.ticker.s frame is malformed"))

    # Dynamic pairs
    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_subscribe_to_trading_pair(self, ws_connect_mock):
        ws_mock = await self._connect_ws(ws_connect_mock)

        self.assertTrue(await self.data_source.subscribe_to_trading_pair(self.other_pair))

        self.assertIn(self.other_pair, self.data_source._trading_pairs)
        self.assertEqual([("subscribe", "v1.book.d", f"{self.other_instrument}@100"),
                          ("subscribe", "v1.trade", f"{self.other_instrument}@50"),
                          ("subscribe", "v1.ticker.s", f"{self.other_instrument}@500")],
                         [(m["method"], m["params"]["stream"], m["params"]["selectors"][0])
                          for m in self._sent(ws_mock)])
        self.assertTrue(self._is_logged("INFO", f"Subscribed to GRVT public streams of {self.other_pair}."))
        marker = self.data_source._message_queue[self.data_source._diff_messages_queue_key].get_nowait()
        messages = await self._parse_book(marker, self._book_payload(77, 76, instrument=self.other_instrument))
        self.assertEqual(OrderBookMessageType.SNAPSHOT, messages[0].type)
        self.assertEqual(self.other_pair, messages[0].trading_pair)

    async def test_subscribe_to_trading_pair_without_socket(self):
        self.assertFalse(await self.data_source.subscribe_to_trading_pair(self.other_pair))

        self.assertTrue(self._is_logged("WARNING", f"Cannot subscribe to {self.other_pair}"))
        self.assertNotIn(self.other_pair, self.data_source._trading_pairs)

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_subscribe_to_trading_pair_failure_rolls_back(self, ws_connect_mock):
        ws_mock = await self._connect_ws(ws_connect_mock)
        ws_mock.send_json.side_effect = ConnectionError("socket gone")

        self.assertFalse(await self.data_source.subscribe_to_trading_pair(self.other_pair))

        self.assertNotIn(self.other_pair, self.data_source._trading_pairs)
        self.assertNotIn(self.other_instrument, self.data_source._instrument_to_pair)
        self.assertTrue(self._is_logged("ERROR", f"Error subscribing to GRVT public streams of {self.other_pair}"))

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_subscribe_to_unknown_trading_pair_fails(self, ws_connect_mock):
        await self._connect_ws(ws_connect_mock)

        self.assertFalse(await self.data_source.subscribe_to_trading_pair("DOGE-USDT"))

        self.assertNotIn("DOGE-USDT", self.data_source._trading_pairs)

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_subscribe_to_trading_pair_propagates_cancellation(self, ws_connect_mock):
        ws_mock = await self._connect_ws(ws_connect_mock)
        ws_mock.send_json.side_effect = asyncio.CancelledError

        with self.assertRaises(asyncio.CancelledError):
            await self.data_source.subscribe_to_trading_pair(self.other_pair)

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_unsubscribe_from_trading_pair(self, ws_connect_mock):
        ws_mock = await self._connect_ws(ws_connect_mock)
        self.data_source.RESYNC_SNAPSHOT_TIMEOUT_SECONDS = 60
        await self._parse_book(self._book_payload(0, 0), self._book_payload(5, 4), self._book_payload(9, 8))
        resync_task = self.data_source._resync_tasks[self.instrument]
        await self._settle()

        self.assertTrue(await self.data_source.unsubscribe_from_trading_pair(self.trading_pair))
        await self._settle()

        self.assertNotIn(self.trading_pair, self.data_source._trading_pairs)
        self.assertTrue(resync_task.cancelled())
        self.assertEqual([("unsubscribe", "v1.book.d"), ("unsubscribe", "v1.trade"), ("unsubscribe", "v1.ticker.s")],
                         [(m["method"], m["params"]["stream"]) for m in self._sent(ws_mock)[-3:]])
        self.assertEqual([], await self._parse_book(self._book_payload(0, 0)))
        self.assertTrue(self._is_logged("INFO", f"Unsubscribed from GRVT public streams of {self.trading_pair}."))

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_pair_unsubscribed_while_the_socket_is_down_is_not_subscribed_by_the_next_socket(
            self, ws_connect_mock):
        self.data_source = self._data_source([self.trading_pair, self.other_pair])

        self.assertTrue(await self.data_source.unsubscribe_from_trading_pair(self.trading_pair))
        ws_mock = await self._connect_ws(ws_connect_mock)
        await self.data_source._subscribe_channels(self.data_source._ws_assistant)

        self.assertEqual([self.other_pair], self.data_source._trading_pairs)
        self.assertEqual({self.other_instrument}, {m["params"]["selectors"][0].split("@")[0]
                                                   for m in self._sent(ws_mock)})

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_unsubscribe_failure_and_cancellation(self, ws_connect_mock):
        ws_mock = await self._connect_ws(ws_connect_mock)
        ws_mock.send_json.side_effect = ConnectionError("socket gone")

        self.assertFalse(await self.data_source.unsubscribe_from_trading_pair(self.trading_pair))
        self.assertTrue(self._is_logged(
            "ERROR", f"Error unsubscribing from GRVT public streams of {self.trading_pair}"))
        self.assertNotIn(self.trading_pair, self.data_source._trading_pairs)  # the socket is broken anyway

        ws_mock.send_json.side_effect = asyncio.CancelledError
        with self.assertRaises(asyncio.CancelledError):
            await self.data_source.unsubscribe_from_trading_pair(self.trading_pair)

    # Cancellation and interruption
    async def test_listeners_propagate_cancellation(self):
        for key, listener in ((self.data_source._diff_messages_queue_key,
                               lambda: self.data_source.listen_for_order_book_diffs(None, asyncio.Queue())),
                              (self.data_source._trade_messages_queue_key,
                               lambda: self.data_source.listen_for_trades(None, asyncio.Queue())),
                              (self.data_source._funding_info_messages_queue_key,
                               lambda: self.data_source.listen_for_funding_info(asyncio.Queue()))):
            queue_mock = AsyncMock()
            queue_mock.get.side_effect = asyncio.CancelledError
            self.data_source._message_queue[key] = queue_mock
            with self.assertRaises(asyncio.CancelledError):
                await listener()

    async def test_stream_interruption_cancels_pending_resyncs(self):
        self.data_source.RESYNC_SNAPSHOT_TIMEOUT_SECONDS = 60
        await self._parse_book(self._book_payload(0, 0), self._book_payload(5, 4), self._book_payload(9, 8))
        task = self.data_source._resync_tasks[self.instrument]
        await self._settle()
        ws_assistant = AsyncMock(last_recv_time=time.time())
        self.data_source._sleep = AsyncMock()

        await self.data_source._on_order_stream_interruption(ws_assistant)
        await self._settle()

        self.assertTrue(task.cancelled())
        self.assertEqual({}, self.data_source._resync_tasks)
        ws_assistant.disconnect.assert_awaited_once()


class GrvtPerpetualDataSourceWithDerivativeTests(IsolatedAsyncioWrapperTestCase):
    """The data source as the real derivative builds and drives it (REST through the derivative's _api_post)."""

    def setUp(self) -> None:
        super().setUp()
        self.enterContext(patch.dict(os.environ, {
            name: value for name, value in os.environ.items() if not name.startswith(CONSTANTS.ENV_PREFIX)},
            clear=True))

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.derivative = GrvtPerpetualDerivative(trading_pairs=["BTC-USDT"], trading_required=False)
        self.derivative._set_trading_pair_symbol_map(bidict({"BTC_USDT_Perp": "BTC-USDT"}))
        self.data_source = self.derivative._orderbook_ds

    def _url(self, path_url: str):
        return re.compile(f"^{re.escape(web_utils.public_rest_url(path_url, domain=CONSTANTS.DEFAULT_DOMAIN))}")

    async def test_derivative_builds_this_data_source_with_grvt_books(self):
        self.assertIsInstance(self.data_source, GrvtPerpetualAPIOrderBookDataSource)
        self.assertIs(self.data_source, self.derivative.order_book_tracker.data_source)
        self.assertIsInstance(self.data_source.order_book_create_function(), GrvtPerpetualOrderBook)

    async def test_funding_info_and_last_price_through_the_derivative(self):
        ticker = {"instrument": "BTC_USDT_Perp", "mark_price": "100.5", "index_price": "100.4",
                  "funding_rate": "0.02", "next_funding_time": "1767225600000000000"}
        with aioresponses() as mock_api:
            mock_api.post(self._url(CONSTANTS.TICKER_PATH_URL), body=json.dumps({"result": ticker}))
            mock_api.post(self._url(CONSTANTS.MINI_TICKER_PATH_URL),
                          body=json.dumps({"result": {"instrument": "BTC_USDT_Perp", "last_price": "100.25"}}))
            funding_info = await self.data_source.get_funding_info("BTC-USDT")
            prices = await self.derivative.get_last_traded_prices(["BTC-USDT"])

        self.assertEqual(Decimal("0.0002"), funding_info.rate)
        self.assertEqual({"BTC-USDT": 100.25}, prices)

    async def test_rest_error_envelope_surfaces_as_an_error(self):
        with aioresponses() as mock_api:
            mock_api.post(self._url(CONSTANTS.ORDER_BOOK_PATH_URL), status=400,
                          body=json.dumps({"code": 3000, "message": "Instrument is invalid", "status": 400}))
            with self.assertRaises(IOError) as context:
                await self.data_source.get_new_order_book("BTC-USDT")

        self.assertIn("3000", str(context.exception))
