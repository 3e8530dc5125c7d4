import asyncio
import json
import os
import time
from typing import Any, Dict, List, Optional
from unittest.mock import AsyncMock, MagicMock, patch

from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_web_utils as web_utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_auth import (
    GrvtAuthError,
    GrvtPerpetualAuth,
    GrvtSession,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_user_stream_data_source import (
    RESYNC_EVENT,
    GrvtPerpetualUserStreamDataSource,
)
from hummingbot.connector.test_support.network_mocking_assistant import NetworkMockingAssistant
from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase

SUB_ACCOUNT = "8289849667772468"
SESSION = GrvtSession(cookie="session-cookie", account_id="0xaccount", expires_at=2e9)
SESSION_HEADERS = {"Cookie": "gravity=session-cookie", "X-Grvt-Account-Id": "0xaccount"}


class StubAuth:
    def __init__(self):
        self.trading_account_id = SUB_ACCOUNT
        self.invalidate_session = MagicMock(return_value=True)
        self.ensure_session = AsyncMock(return_value=SESSION)


SUBSCRIBED = {"jsonrpc": "2.0", "id": 1, "method": "subscribe", "result": {"stream": "v1.order", "subs": [SUB_ACCOUNT]}}


def feed_message(stream: str, sequence: Any, feed: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    return {
        "stream": stream,
        "selector": SUB_ACCOUNT,
        "sequence_number": str(sequence),
        "feed": feed or {"order_id": "0x01", "client_order_id": "1", "order_state": {"status": "OPEN"}},
        "prev_sequence_number": str(max(0, int(sequence) - 1)),
    }


class GrvtPerpetualUserStreamDataSourceTests(IsolatedAsyncioWrapperTestCase):
    level = 0

    def setUp(self):
        super().setUp()
        self.log_records = []
        self.tasks: List[asyncio.Task] = []
        self.enterContext(patch.dict(os.environ, {
            name: value for name, value in os.environ.items() if not name.startswith(CONSTANTS.ENV_PREFIX)},
            clear=True))

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.mocking_assistant = NetworkMockingAssistant()
        await self.mocking_assistant.async_init()
        self.auth = StubAuth()
        self.api_factory = web_utils.build_api_factory_without_time_synchronizer_pre_processor()
        self.data_source = GrvtPerpetualUserStreamDataSource(
            auth=self.auth, api_factory=self.api_factory, domain=CONSTANTS.DEFAULT_DOMAIN)
        self.data_source.logger().setLevel(1)
        self.data_source.logger().addHandler(self)
        self.queue: asyncio.Queue = asyncio.Queue()

    async def test_handshake_with_a_silent_peer_ends_at_the_connect_timeout(self):
        async def handshake_never_answered(*args, **kwargs):  # a gateway that accepted and hangs
            await asyncio.Event().wait()

        with patch("hummingbot.core.web_assistant.ws_assistant.WSAssistant.connect", handshake_never_answered), \
                patch.object(CONSTANTS, "WS_CONNECT_TIMEOUT_SECONDS", 0.2):
            with self.assertRaises(asyncio.TimeoutError):  # the listener then retries, instead of waiting minutes
                await self.data_source._connected_websocket_assistant()

    def tearDown(self):
        for task in self.tasks:
            task.cancel()
        self.data_source.logger().removeHandler(self)
        super().tearDown()

    def handle(self, record):
        self.log_records.append(record)

    def is_logged(self, level: str, fragment: str) -> bool:
        return any(record.levelname == level and fragment in record.getMessage() for record in self.log_records)

    def drain(self) -> List[Dict[str, Any]]:
        messages = []
        while not self.queue.empty():
            messages.append(self.queue.get_nowait())
        return messages

    async def start_listening(self, ws_connect_mock, messages: List[Any]):
        ws = self.mocking_assistant.create_websocket_mock()
        ws_connect_mock.return_value = ws
        for message in messages:
            text = message if isinstance(message, str) else json.dumps(message)
            self.mocking_assistant.add_websocket_aiohttp_message(ws, text)
        self.tasks.append(asyncio.create_task(self.data_source.listen_for_user_stream(self.queue)))
        await self.mocking_assistant.run_until_all_aiohttp_messages_delivered(ws)
        return ws

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_connects_with_session_headers_and_subscribes_every_private_stream(self, ws_connect_mock):
        ws = await self.start_listening(ws_connect_mock, [SUBSCRIBED])

        self.assertEqual("wss://trades.grvt.io/ws/full", ws_connect_mock.call_args.args[0])
        self.assertEqual(SESSION_HEADERS, ws_connect_mock.call_args.kwargs["headers"])
        sent = self.mocking_assistant.json_messages_sent_through_websocket(ws)
        self.assertEqual(list(CONSTANTS.WS_PRIVATE_STREAMS), [request["params"]["stream"] for request in sent])
        for request in sent:
            self.assertEqual("2.0", request["jsonrpc"])
            self.assertEqual("subscribe", request["method"])
            self.assertEqual([SUB_ACCOUNT], request["params"]["selectors"])
        self.assertEqual(len(set(request["id"] for request in sent)), len(sent))
        self.assertTrue(self.is_logged("INFO", "Subscribed to GRVT private streams"))

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_sandbox_url_from_environment(self, ws_connect_mock):
        with patch.dict(os.environ, {"GRVT_PERPETUAL_BASE_URL": "http://127.0.0.1:8765"}):
            await self.start_listening(ws_connect_mock, [SUBSCRIBED])
        self.assertEqual("ws://127.0.0.1:8765/ws/full", ws_connect_mock.call_args.args[0])

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_feed_messages_are_forwarded_and_rpc_answers_are_not(self, ws_connect_mock):
        subscribe_answer = {"jsonrpc": "2.0", "id": 1, "method": "subscribe", "result": {
            "stream": "v1.order", "subs": [SUB_ACCOUNT], "unsubs": [], "num_snapshots": [0],
            "first_sequence_number": ["1"], "latest_sequence_number": ["0"]}}
        fill = feed_message(CONSTANTS.WS_FILL_STREAM, 1, {"trade_id": "1-1"})
        state = feed_message(CONSTANTS.WS_ORDER_STATE_STREAM, 7)
        await self.start_listening(ws_connect_mock, [subscribe_answer, fill, state])

        self.assertEqual([fill, state], self.drain())
        self.assertGreater(self.data_source.last_recv_time, 0)

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_duplicate_sequence_numbers_are_dropped(self, ws_connect_mock):
        first = feed_message(CONSTANTS.WS_FILL_STREAM, 5)
        second = feed_message(CONSTANTS.WS_FILL_STREAM, 6)
        await self.start_listening(ws_connect_mock, [first, second, first, second])

        self.assertEqual([first, second], self.drain())

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_sequence_numbers_are_tracked_per_stream(self, ws_connect_mock):
        order = feed_message(CONSTANTS.WS_ORDER_STATE_STREAM, 17)
        fill = feed_message(CONSTANTS.WS_FILL_STREAM, 1)
        next_order = feed_message(CONSTANTS.WS_ORDER_STATE_STREAM, 18)
        await self.start_listening(ws_connect_mock, [order, fill, next_order])

        self.assertEqual([order, fill, next_order], self.drain())

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_gap_queues_a_resync_marker_and_keeps_the_message(self, ws_connect_mock):
        first = feed_message(CONSTANTS.WS_ORDER_STATE_STREAM, 10)
        after_gap = feed_message(CONSTANTS.WS_ORDER_STATE_STREAM, 13)
        await self.start_listening(ws_connect_mock, [first, after_gap])

        messages = self.drain()
        self.assertEqual(first, messages[0])
        self.assertEqual(RESYNC_EVENT, messages[1]["stream"])
        self.assertIn("sequence gap", messages[1]["feed"]["reason"])
        self.assertEqual(after_gap, messages[2])
        self.assertTrue(self.is_logged("WARNING", "skipped sequence numbers 11..12"))

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_snapshots_with_sequence_zero_are_always_forwarded(self, ws_connect_mock):
        snapshot = feed_message(CONSTANTS.WS_POSITION_STREAM, 0, {"instrument": "BTC_USDT_Perp", "size": "1"})
        await self.start_listening(ws_connect_mock, [snapshot, snapshot])

        self.assertEqual([snapshot, snapshot], self.drain())

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_subscription_error_is_logged_with_its_stream(self, ws_connect_mock):
        error = {"jsonrpc": "2.0", "error": {"code": 3020, "message": "Sub account ID must be an uint64 integer"},
                 "id": 1, "method": "subscribe"}
        await self.start_listening(ws_connect_mock, [error])

        self.assertTrue(self.is_logged(
            "ERROR", "GRVT private socket error subscribing v1.state: 3020: Sub account ID must be an uint64 integer"))
        self.assertEqual([], self.drain())

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_legacy_error_envelope_is_logged(self, ws_connect_mock):
        await self.start_listening(ws_connect_mock, [{"code": 1002, "message": "Internal Server Error", "status": 500}])
        self.assertTrue(self.is_logged("ERROR", "GRVT private socket error: 1002: Internal Server Error"))

    async def test_an_error_without_a_code_is_logged_cut_to_an_excerpt(self):
        await self.data_source._process_event_message({"error": {"detail": "x" * 5000}, "id": 9}, self.queue)
        logged = [record.getMessage() for record in self.log_records if record.levelname == "ERROR"]
        self.assertEqual(1, len(logged))
        self.assertIn("GRVT private socket error: {'detail': 'xxx", logged[0])
        self.assertTrue(logged[0].endswith("..."))
        self.assertLess(len(logged[0]), 400)

    async def test_session_error_drops_the_session_and_forces_a_reconnect(self):
        with self.assertRaisesRegex(ConnectionError, "session rejected"):
            await self.data_source._process_event_message(
                {"jsonrpc": "2.0", "error": {"code": 1000, "message": "You need to authenticate"}, "id": 3},
                self.queue)
        self.auth.invalidate_session.assert_called_once()

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_session_error_keeps_a_session_newer_than_the_socket_s(self, ws_connect_mock):
        auth = GrvtPerpetualAuth(api_key="key", trading_account_id=SUB_ACCOUNT)
        auth._session = GrvtSession(cookie="old", account_id="0xaccount", expires_at=time.time() + 3600)
        data_source = GrvtPerpetualUserStreamDataSource(auth=auth, api_factory=self.api_factory)
        ws_connect_mock.return_value = self.mocking_assistant.create_websocket_mock()
        await data_source._connected_websocket_assistant()
        self.assertEqual("gravity=old", ws_connect_mock.call_args.kwargs["headers"]["Cookie"])
        renewed = GrvtSession(cookie="new", account_id="0xaccount", expires_at=time.time() + 7200)
        auth._session = renewed  # a refresh (or a REST call's re-login) replaced the socket's session meanwhile

        with self.assertRaisesRegex(ConnectionError, "session rejected"):
            await data_source._process_event_message(
                {"jsonrpc": "2.0", "error": {"code": 1000, "message": "You need to authenticate"}, "id": 3},
                self.queue)

        self.assertIs(renewed, auth._session)  # the reconnect uses it, without another login

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_session_error_on_the_socket_reconnects_with_a_new_login(self, ws_connect_mock):
        error = {"jsonrpc": "2.0", "error": {"code": 1000, "message": "You need to authenticate"}, "id": 1}
        ws = self.mocking_assistant.create_websocket_mock()
        ws_connect_mock.return_value = ws
        self.mocking_assistant.add_websocket_aiohttp_message(ws, json.dumps(error))
        self.tasks.append(asyncio.create_task(self.data_source.listen_for_user_stream(self.queue)))
        while ws_connect_mock.call_count < 2:
            await asyncio.sleep(0.01)

        self.assertGreaterEqual(self.auth.ensure_session.call_count, 2)
        self.auth.invalidate_session.assert_called_with(SESSION)
        self.assertTrue(self.is_logged("WARNING", "session rejected"))

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_non_json_messages_are_ignored(self, ws_connect_mock):
        await self.start_listening(ws_connect_mock, ["pong", feed_message(CONSTANTS.WS_FILL_STREAM, 1)])
        messages = self.drain()
        self.assertEqual(1, len(messages))
        self.assertEqual(CONSTANTS.WS_FILL_STREAM, messages[0]["stream"])

    async def test_reconnect_queues_a_resync_marker_first(self):
        ws = AsyncMock()

        async def no_messages():
            return
            yield  # pragma: no cover

        ws.iter_messages = no_messages
        await self.data_source._subscribe_channels(ws)
        await self.data_source._process_websocket_messages(ws, self.queue)
        self.assertEqual([], self.drain())

        await self.data_source._subscribe_channels(ws)
        await self.data_source._process_websocket_messages(ws, self.queue)
        self.assertEqual([{"stream": RESYNC_EVENT, "feed": {"reason": "reconnected"}}], self.drain())

    async def test_sequence_state_is_reset_on_reconnect(self):
        ws = AsyncMock()
        await self.data_source._subscribe_channels(ws)
        await self.data_source._process_event_message(feed_message(CONSTANTS.WS_FILL_STREAM, 40), self.queue)
        await self.data_source._subscribe_channels(ws)
        # after a reconnect the gateway may restart its numbering: a lower number is not a duplicate
        await self.data_source._process_event_message(feed_message(CONSTANTS.WS_FILL_STREAM, 1), self.queue)

        self.assertEqual(2, len(self.drain()))

    async def test_unreadable_sequence_number_is_forwarded(self):
        message = dict(feed_message(CONSTANTS.WS_FILL_STREAM, 1), sequence_number="x")
        await self.data_source._process_event_message(message, self.queue)
        self.assertEqual([message], self.drain())

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_login_failure_is_retried(self, ws_connect_mock):
        self.auth.ensure_session.side_effect = [IOError("GRVT login refused: HTTP 401"), SESSION]
        ws_connect_mock.return_value = self.mocking_assistant.create_websocket_mock()
        with patch.object(self.data_source, "_sleep", new_callable=AsyncMock):
            self.tasks.append(asyncio.create_task(self.data_source.listen_for_user_stream(self.queue)))
            while ws_connect_mock.call_count < 1:
                await asyncio.sleep(0.01)

        self.assertEqual(2, self.auth.ensure_session.call_count)

    @patch("aiohttp.ClientSession.ws_connect", new_callable=AsyncMock)
    async def test_a_refused_login_is_one_clear_line_without_a_traceback(self, ws_connect_mock):
        refusal = GrvtAuthError("GRVT login refused: HTTP 401, error 1000 (check the API key)", retryable=False)
        self.auth.ensure_session.side_effect = [refusal, SESSION]
        ws_connect_mock.return_value = self.mocking_assistant.create_websocket_mock()
        with patch.object(self.data_source, "_sleep", new_callable=AsyncMock):
            self.tasks.append(asyncio.create_task(self.data_source.listen_for_user_stream(self.queue)))
            while ws_connect_mock.call_count < 1:
                await asyncio.sleep(0.01)

        self.assertTrue(self.is_logged("WARNING", "GRVT login refused: HTTP 401, error 1000 (check the API key)"))
        self.assertFalse([record for record in self.log_records if record.exc_info or record.levelname == "ERROR"])
