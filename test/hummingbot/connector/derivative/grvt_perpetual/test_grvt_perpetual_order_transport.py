import asyncio
import contextlib
import json
import unittest
from decimal import Decimal
from typing import Any, Dict, List, Tuple
from unittest.mock import patch

import coincurve
from eth_utils import to_checksum_address

from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_web_utils as web_utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_auth import GrvtSession
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import (
    GrvtOrderRejectedError,
    GrvtPerpetualAPIError,
    GrvtRpcNotSent,
    GrvtRpcOutcomeUnknown,
    error_from_response,
    unreadable_answer,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import GrvtInstrument, decode_reply, load
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_requests import (
    GrvtOrderArgumentError,
    GrvtSignedOrderFactory,
    checked_order_arguments,
    decimal_string,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_signer import (
    GrvtPerpetualOrderSigner,
    keccak256,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_transport import (
    GrvtCancelOnDisconnectHeartbeat,
    GrvtPerpetualOrderTransport,
    GrvtPerpetualWsOrderTransport,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_utils import cancel_on_disconnect_ms_option
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_ws_rpc import GrvtWsRpcClient
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.core.data_type.common import OrderType, PositionAction
from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase

SUB_ACCOUNT = "8289849667772468"
TEST_KEY = "c0663ca94684aead40c41a1cb3a94b68a24296e87245be3a186e882a29a15ee0"  # noqa: mock
NOW_NS = 1_767_000_000_000_000_000

BTC = load({
    "instrument": "BTC_USDT_Perp", "instrument_hash": "0x030501", "base": "BTC", "quote": "USDT",
    "kind": "PERPETUAL", "settlement_period": "PERPETUAL", "base_decimals": 9, "quote_decimals": 6,
    "tick_size": "0.1", "min_size": "0.001", "min_notional": "100", "funding_interval_hours": 8}, GrvtInstrument)


def order_body(instrument: str = "BTC_USDT_Perp", client_order_id: str = "9223372036854775809") -> Dict[str, Any]:
    return {
        "sub_account_id": SUB_ACCOUNT, "is_market": False, "time_in_force": "GOOD_TILL_TIME", "post_only": True,
        "reduce_only": False,
        "legs": [{"instrument": instrument, "size": "0.01", "limit_price": "90000", "is_buying_asset": True}],
        "signature": {"signer": "0x1", "r": "0x2", "s": "0x3", "v": 27, "expiration": "1", "nonce": 5},
        "metadata": {"client_order_id": client_order_id},
    }


def order_answer(order_id: str = "0x00", status: str = "PENDING", client_order_id: str = "9223372036854775809"):
    answer = order_body(client_order_id=client_order_id)
    answer["order_id"] = order_id
    answer["state"] = {"status": status, "reject_reason": "UNSPECIFIED", "book_size": ["0.01"],
                       "traded_size": ["0"], "update_time": "0", "avg_fill_price": ["0"]}
    return answer


class FakePoster:
    """A REST call: answers each route with its scripted body (decoded like a real answer) or raises."""

    def __init__(self, responses: Dict[str, Any]):
        self.responses = responses
        self.calls: List[Tuple[str, Dict[str, Any]]] = []

    async def __call__(self, path: str, body: Dict[str, Any], reply_type, on_sent=None):
        self.calls.append((path, body))
        response = self.responses[path]
        if isinstance(response, Exception):
            raise response
        if on_sent is not None:
            on_sent()
        return decode_reply(json.dumps(response), reply_type)


class CountingThrottler:
    def __init__(self):
        self.acquired: List[str] = []

    @contextlib.asynccontextmanager
    async def execute_task(self, limit_id: str):
        self.acquired.append(limit_id)
        yield


class RestOrderTransportTests(IsolatedAsyncioWrapperTestCase):
    def setUp(self):
        super().setUp()
        self.poster = FakePoster({
            CONSTANTS.CREATE_ORDER_PATH_URL: {"result": order_answer()},
            CONSTANTS.CANCEL_ORDER_PATH_URL: {"result": {"ack": True}},
            CONSTANTS.CANCEL_ALL_ORDERS_PATH_URL: {"result": {"ack": True}},
            CONSTANTS.CANCEL_ON_DISCONNECT_PATH_URL: {"result": {"ack": True}},
            CONSTANTS.BULK_ORDERS_PATH_URL: {"orders": [order_answer(), order_answer()],
                                             "cancel_acks": [{"ack": True}]},
        })
        self.throttler = CountingThrottler()
        self.transport = GrvtPerpetualOrderTransport(SUB_ACCOUNT, self.poster, throttler=self.throttler)

    def test_sends_for_its_sub_account_over_rest(self):
        self.assertEqual(SUB_ACCOUNT, self.transport.sub_account_id)
        self.assertEqual("rest", self.transport.active_name)

    async def test_start_and_stop_are_no_ops_for_rest(self):
        self.transport.start()
        await self.transport.stop()
        self.assertEqual([], self.poster.calls)

    async def test_create_order_posts_the_order_and_parses_the_answer(self):
        body = order_body()
        order = await self.transport.create_order(body)

        self.assertEqual([(CONSTANTS.CREATE_ORDER_PATH_URL, {"order": body})], self.poster.calls)
        self.assertEqual("9223372036854775809", order.client_order_id)
        self.assertFalse(order.has_exchange_id)

    async def test_cancel_order(self):
        self.assertTrue(await self.transport.cancel_order(client_order_id="9223372036854775809",
                                                          time_to_live_ms=5000))
        self.assertEqual(
            (CONSTANTS.CANCEL_ORDER_PATH_URL,
             {"sub_account_id": SUB_ACCOUNT, "client_order_id": "9223372036854775809", "time_to_live_ms": "5000"}),
            self.poster.calls[0])

    async def test_cancel_by_client_order_id_with_capped_time_to_live(self):
        await self.transport.cancel_order(client_order_id=9223372036854775809, time_to_live_ms=60_000)
        self.assertEqual(
            {"sub_account_id": SUB_ACCOUNT, "client_order_id": "9223372036854775809", "time_to_live_ms": "5000"},
            self.poster.calls[0][1])

    async def test_cancel_by_order_id(self):
        await self.transport.cancel_order_by_id("0xabc")
        self.assertEqual({"sub_account_id": SUB_ACCOUNT, "order_id": "0xabc"}, self.poster.calls[0][1])

    async def test_cancels_go_without_time_to_live_once_grvt_refuses_it(self):
        # GRVT can switch cancel time-to-live off (2300) or lower its maximum (2301): a cancel must still go out.
        for code in (2300, 2301):
            poster = FakePoster({CONSTANTS.CANCEL_ORDER_PATH_URL: {"result": {"ack": True}},
                                 CONSTANTS.BULK_ORDERS_PATH_URL: {"orders": [], "cancel_acks": [{"ack": True}]}})
            refusal = GrvtPerpetualAPIError(code, "Order cancel time-to-live settings currently disabled.", 400)

            async def post(path, body, reply_type, on_sent=None):
                if "time_to_live_ms" in body:
                    poster.calls.append((path, body))
                    raise refusal
                return await poster(path, body, reply_type, on_sent)
            transport = GrvtPerpetualOrderTransport(SUB_ACCOUNT, post, CountingThrottler())

            self.assertTrue(await transport.cancel_order(client_order_id="9223372036854775809", time_to_live_ms=5000))
            self.assertTrue(await transport.cancel_order(client_order_id="9223372036854775810", time_to_live_ms=5000))
            await transport.bulk_orders(orders=[], cancel_client_order_ids=["9223372036854775811"],
                                        time_to_live_ms=5000)

            self.assertEqual(["5000", None, None, None],
                             [body.get("time_to_live_ms") for _, body in poster.calls])
            self.assertEqual(["9223372036854775809"] * 2 + ["9223372036854775810"],
                             [body["client_order_id"] for _, body in poster.calls[:3]])

    async def test_other_cancel_refusals_are_not_resent(self):
        self.poster.responses[CONSTANTS.CANCEL_ORDER_PATH_URL] = GrvtPerpetualAPIError(1001, "not authorized", 403)
        with self.assertRaises(GrvtPerpetualAPIError):
            await self.transport.cancel_order(client_order_id="9223372036854775809", time_to_live_ms=5000)
        self.assertEqual(1, len(self.poster.calls))

    async def test_cancel_all_orders(self):
        self.assertTrue(await self.transport.cancel_all_orders(base=["BTC", "ETH"], quote=["USDT"]))
        self.assertTrue(await self.transport.cancel_all_orders())
        self.assertEqual([CONSTANTS.CANCEL_ALL_ORDERS_PATH_URL] * 2, [path for path, _ in self.poster.calls])
        self.assertEqual(
            [{"sub_account_id": SUB_ACCOUNT, "kind": ["PERPETUAL"], "base": ["BTC", "ETH"], "quote": ["USDT"]},
             {"sub_account_id": SUB_ACCOUNT, "kind": ["PERPETUAL"]}],
            [body for _, body in self.poster.calls])

    async def test_cancel_on_disconnect(self):
        self.assertTrue(await self.transport.cancel_on_disconnect(5000))
        self.assertTrue(await self.transport.cancel_on_disconnect(0))
        self.assertEqual([{"sub_account_id": SUB_ACCOUNT, "countdown_time": "5000"},
                          {"sub_account_id": SUB_ACCOUNT, "countdown_time": "0"}],
                         [body for _, body in self.poster.calls])

    async def test_bulk_orders_body_uses_spec_field_names(self):
        await self.transport.bulk_orders(
            orders=[order_body(), order_body(client_order_id="9223372036854775810")],
            cancel_client_order_ids=["9223372036854775801"], time_to_live_ms=500)

        body = self.poster.calls[0][1]
        self.assertEqual(SUB_ACCOUNT, body["sub_account_id"])
        self.assertEqual(2, len(body["orders"]))
        self.assertEqual(["9223372036854775801"], body["client_order_i_ds"])
        self.assertNotIn("order_i_ds", body)
        self.assertEqual("500", body["time_to_live_ms"])

    async def test_bulk_orders_reserves_one_create_token_per_order(self):
        result = await self.transport.bulk_orders(
            orders=[order_body(), order_body(client_order_id="9223372036854775810")],
            cancel_client_order_ids=["9223372036854775800"])

        self.assertEqual(2, len(result.orders))
        self.assertEqual([True], [ack.ack for ack in result.cancel_acks])
        self.assertEqual([CONSTANTS.CREATE_ORDER_PATH_URL] * 2, self.throttler.acquired)
        self.assertEqual(CONSTANTS.BULK_ORDERS_PATH_URL, self.poster.calls[0][0])

    async def test_exchange_errors_propagate(self):
        self.poster.responses[CONSTANTS.CREATE_ORDER_PATH_URL] = GrvtPerpetualAPIError(2062, "Order size smaller "
                                                                                       "than min size", 400)
        with self.assertRaises(GrvtPerpetualAPIError) as context:
            await self.transport.create_order(order_body())
        self.assertEqual(2062, context.exception.code)


class SignedOrderFactoryTests(unittest.TestCase):
    def setUp(self):
        self.signer = GrvtPerpetualOrderSigner(TEST_KEY, chain_id=326)
        self.factory = GrvtSignedOrderFactory(self.signer, SUB_ACCOUNT, expiry_seconds=600)
        clock = patch.object(web_utils, "now_ns", return_value=NOW_NS)
        clock.start()
        self.addCleanup(clock.stop)

    def recovered_signer(self, order: Dict[str, Any]) -> str:
        leg = order["legs"][0]
        signature = order["signature"]
        digest = self.signer.order_digest(
            sub_account_id=order["sub_account_id"], is_market=order["is_market"],
            time_in_force=order["time_in_force"], post_only=order["post_only"], reduce_only=order["reduce_only"],
            instrument_hash=BTC.instrument_hash, size=leg["size"], price=leg["limit_price"],
            is_buy=leg["is_buying_asset"], base_decimals=BTC.base_decimals, nonce=signature["nonce"],
            expiration_ns=signature["expiration"])
        raw = (bytes.fromhex(signature["r"][2:]) + bytes.fromhex(signature["s"][2:])
               + bytes([signature["v"] - 27]))
        public_key = coincurve.PublicKey.from_signature_and_message(raw, digest, hasher=None)
        return to_checksum_address(keccak256(public_key.format(compressed=False)[1:])[-20:])

    def test_limit_order(self):
        order = self.factory.build("9223372036854775809", BTC, True, Decimal("0.010"), OrderType.LIMIT,
                                   Decimal("90000.0"), reduce_only=False)

        self.assertEqual("GOOD_TILL_TIME", order["time_in_force"])
        self.assertFalse(order["post_only"])
        self.assertFalse(order["is_market"])
        self.assertEqual({"instrument": "BTC_USDT_Perp", "size": "0.01", "limit_price": "90000",
                          "is_buying_asset": True}, order["legs"][0])
        self.assertEqual({"client_order_id": "9223372036854775809"}, order["metadata"])
        self.assertEqual(str(NOW_NS + 600 * 10 ** 9), order["signature"]["expiration"])
        self.assertEqual("326", order["signature"]["chain_id"])
        self.assertEqual(self.signer.address, self.recovered_signer(order))

    def test_limit_maker_is_post_only(self):
        order = self.factory.build("1", BTC, False, Decimal("1"), OrderType.LIMIT_MAKER, Decimal("1"), False)
        self.assertTrue(order["post_only"])
        self.assertEqual("GOOD_TILL_TIME", order["time_in_force"])
        self.assertFalse(order["legs"][0]["is_buying_asset"])

    def test_market_order_is_ioc_with_zero_price_signed_as_zero(self):
        order = self.factory.build("1", BTC, True, Decimal("0.5"), OrderType.MARKET, Decimal("NaN"),
                                   reduce_only=True)

        self.assertTrue(order["is_market"])
        self.assertEqual("IMMEDIATE_OR_CANCEL", order["time_in_force"])
        self.assertEqual("0", order["legs"][0]["limit_price"])
        self.assertTrue(order["reduce_only"])
        self.assertEqual(self.signer.address, self.recovered_signer(order))

    def test_per_order_lifetime(self):
        order = self.factory.build("1", BTC, True, Decimal("1"), OrderType.LIMIT, Decimal("1"), False,
                                   expiry_seconds=86_400)
        self.assertEqual(str(NOW_NS + 86_400 * 10 ** 9), order["signature"]["expiration"])
        self.assertEqual(600, self.factory.expiry_seconds)

    def test_lifetime_is_capped_at_thirty_days(self):
        order = self.factory.build("1", BTC, True, Decimal("1"), OrderType.LIMIT, Decimal("1"), False,
                                   expiry_seconds=90 * 86_400)
        lifetime = CONSTANTS.MAX_SIGNATURE_EXPIRY_SECONDS - CONSTANTS.SIGNATURE_CLOCK_SKEW_MARGIN_SECONDS
        self.assertEqual(str(NOW_NS + lifetime * 10 ** 9), order["signature"]["expiration"])

    def test_invalid_orders_are_refused_before_signing(self):
        with self.assertRaises(ValueError):
            self.factory.build("1", BTC, True, Decimal("1"), OrderType.LIMIT, Decimal("NaN"), False)
        with self.assertRaises(ValueError):
            self.factory.build("1", BTC, True, Decimal("1"), OrderType.LIMIT, None, False)
        with self.assertRaises(ValueError):
            self.factory.build("1", BTC, True, Decimal("1"), OrderType.LIMIT, Decimal("0"), False)
        with self.assertRaises(ValueError):
            GrvtSignedOrderFactory(self.signer, SUB_ACCOUNT, expiry_seconds=0).build(
                "1", BTC, True, Decimal("1"), OrderType.LIMIT, Decimal("1"), False)

    def test_decimal_string(self):
        self.assertEqual("0.0000001", decimal_string(Decimal("1E-7")))
        self.assertEqual("90000", decimal_string(Decimal("90000.000")))
        self.assertEqual("100", decimal_string(Decimal("1E+2")))
        self.assertEqual("0", decimal_string(Decimal("0.000")))
        self.assertEqual("0.5", decimal_string(Decimal("0.50")))


class OrderArgumentTests(unittest.TestCase):
    def test_amounts_and_prices_that_are_not_numbers_are_refused(self):
        rules = {"BTC-USDT": TradingRule("BTC-USDT", min_order_size=Decimal("0.001"))}

        def checked(amount: Any, price: Any) -> Tuple[Decimal, Decimal]:
            return checked_order_arguments(rules, "BTC-USDT", amount, OrderType.LIMIT, price, PositionAction.OPEN,
                                           (OrderType.LIMIT,))

        self.assertEqual((Decimal("0.01"), Decimal("90000")), checked("0.01", 90000))
        with self.assertRaises(GrvtOrderArgumentError):  # refused before signing
            checked_order_arguments(rules, "BTC-USDT", "0.01", OrderType.AMM_SWAP, "1", PositionAction.OPEN,
                                    (OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.MARKET))
        for amount, price in ((True, "90000"), ("0.01", False), ("a lot", "90000")):
            with self.subTest(amount=amount, price=price):
                with self.assertRaises(GrvtOrderArgumentError) as context:
                    checked(amount, price)
                self.assertIn("must be a number", str(context.exception))


class HeartbeatTransport(GrvtPerpetualOrderTransport):
    def __init__(self, failures: int = 0):
        super().__init__(SUB_ACCOUNT, rest_call=None, throttler=CountingThrottler())
        self.countdowns: List[int] = []
        self.failures = failures
        self.beat_event = asyncio.Event()

    async def cancel_on_disconnect(self, countdown_ms: int) -> bool:
        self.countdowns.append(countdown_ms)
        self.beat_event.set()
        if self.failures > 0:
            self.failures -= 1
            raise GrvtPerpetualAPIError(None, "boom", 503)
        return True


class CancelOnDisconnectHeartbeatTests(IsolatedAsyncioWrapperTestCase):
    level = 0  # the test case is also the log handler

    def setUp(self):
        super().setUp()
        self.log_records = []
        GrvtCancelOnDisconnectHeartbeat.logger().setLevel(1)
        GrvtCancelOnDisconnectHeartbeat.logger().addHandler(self)

    def tearDown(self):
        GrvtCancelOnDisconnectHeartbeat.logger().removeHandler(self)
        super().tearDown()

    def handle(self, record):
        self.log_records.append(record)

    def test_countdown_validation_and_default_interval(self):
        for countdown in (999, 300_001):  # 0 is valid: the switch is off and no heartbeat runs
            with self.subTest(countdown=countdown):
                with self.assertRaises(ValueError):
                    cancel_on_disconnect_ms_option(countdown)
        heartbeat = GrvtCancelOnDisconnectHeartbeat(HeartbeatTransport(), 30_000)
        self.assertEqual(10.0, heartbeat.interval_seconds)
        self.assertEqual(30_000, heartbeat.countdown_ms)
        self.assertFalse(heartbeat.is_running)

    def test_countdowns_grvt_would_switch_off_or_cut_too_short_are_refused(self):
        # GRVT turns the switch off at 1,000 ms or less and counts whole seconds: a beat every third of a 1-2 s
        # countdown would outrun the route's rate limit and the countdown would lapse on a healthy connection
        for countdown in (1_000, 1_999, 2_999):
            with self.subTest(countdown=countdown):
                with self.assertRaises(ValueError):
                    cancel_on_disconnect_ms_option(countdown)

    def test_heartbeat_interval_is_a_third_of_the_whole_seconds_grvt_counts(self):
        heartbeat = GrvtCancelOnDisconnectHeartbeat(HeartbeatTransport(), 4_999)
        self.assertEqual(4_999, heartbeat.countdown_ms)  # sent as configured; GRVT rounds it down to 4 s
        self.assertAlmostEqual(4 / 3, heartbeat.interval_seconds)

    async def test_heartbeat_rearms_the_countdown_until_stopped(self):
        transport = HeartbeatTransport()
        heartbeat = GrvtCancelOnDisconnectHeartbeat(transport, 5_000)
        heartbeat.interval_seconds = 0.01
        heartbeat.start()
        heartbeat.start()  # idempotent
        while len(transport.countdowns) < 3:
            await asyncio.sleep(0.01)
        await heartbeat.stop()
        beats = len(transport.countdowns)
        await asyncio.sleep(0.05)

        self.assertEqual(beats, len(transport.countdowns))
        self.assertTrue(all(countdown == 5_000 for countdown in transport.countdowns))
        self.assertGreaterEqual(beats, 3)
        self.assertFalse(heartbeat.is_running)

    async def test_heartbeat_failures_are_logged_and_it_keeps_beating(self):
        transport = HeartbeatTransport(failures=2)
        heartbeat = GrvtCancelOnDisconnectHeartbeat(transport, 5_000)
        heartbeat.interval_seconds = 0.01
        heartbeat.start()
        while len(transport.countdowns) < 3:
            await asyncio.sleep(0.01)
        await heartbeat.stop()

        warnings = [record.getMessage() for record in self.log_records if record.levelname == "WARNING"]
        self.assertEqual(2, len(warnings))
        self.assertIn("(2 in a row)", warnings[1])
        self.assertIn("within 5000 ms", warnings[0])
        self.assertGreater(len(transport.countdowns), 2)  # acknowledged beats after the two failures


class ApiErrorTests(unittest.TestCase):
    def test_error_envelope_becomes_a_clear_error(self):
        error = error_from_response(400, '{"code":2064,"message":"Invalid limit price tick","status":400}',
                                    path=CONSTANTS.CREATE_ORDER_PATH_URL)

        self.assertIsInstance(error, IOError)
        self.assertEqual(2064, error.code)
        self.assertEqual(400, error.http_status)
        self.assertEqual("GRVT error 2064 on full/v1/create_order, HTTP 400: Invalid limit price tick "
                         "(price is not a multiple of the tick size)", str(error))
        self.assertFalse(error.is_outcome_unknown)

    def test_success_bodies_are_not_errors(self):
        self.assertIsNone(error_from_response(200, '{"result": {"ack": true}}'))
        self.assertIsNone(error_from_response(200, '{"code": 0, "result": []}'))
        self.assertIsNone(error_from_response(200, ""))

    def test_error_without_envelope(self):
        error = error_from_response(503, "")
        self.assertIsNone(error.code)
        self.assertEqual("GRVT request failed, HTTP 503: empty response body", str(error))
        self.assertTrue(error.is_outcome_unknown)

    def test_success_status_with_an_unreadable_body_is_an_unknown_outcome(self):
        self.assertIsNone(error_from_response(200, "[1, 2]"))  # not an error envelope: its reader decides
        error = unreadable_answer(200, "[1, 2]", CONSTANTS.CREATE_ORDER_PATH_URL, "not an order")
        self.assertTrue(error.is_outcome_unknown)
        self.assertTrue(error.is_retryable)
        self.assertIn("unexpected answer '[1, 2]' (not an order)", str(error))

    def test_long_bodies_are_shortened(self):
        error = error_from_response(500, "x" * 1000)
        self.assertLess(len(str(error)), 400)

    def test_classification(self):
        session = GrvtPerpetualAPIError(1000, "You need to authenticate", 401)
        ip_blocked = GrvtPerpetualAPIError(1008, "Your IP has not been whitelisted", 401)
        bare_401 = GrvtPerpetualAPIError(None, "unauthorized", 401)
        not_found = GrvtPerpetualAPIError(1004, "Data Not Found", 404)
        rate_limited = GrvtPerpetualAPIError(1006, "rate limit", 429)
        internal = GrvtPerpetualAPIError(1002, "Internal Server Error", 500)

        self.assertTrue(session.is_session_expired)
        self.assertFalse(ip_blocked.is_session_expired)
        self.assertTrue(bare_401.is_session_expired)
        self.assertTrue(not_found.is_not_found)
        self.assertTrue(rate_limited.is_rate_limited)
        self.assertTrue(GrvtPerpetualAPIError(None, "busy", 429).is_rate_limited)
        self.assertFalse(GrvtPerpetualAPIError(2090, "Max open orders exceeded", 429).is_rate_limited)
        self.assertFalse(rate_limited.is_outcome_unknown)
        self.assertTrue(internal.is_outcome_unknown)
        self.assertFalse(GrvtPerpetualAPIError(None, "bad", 400).is_outcome_unknown)

    def test_json_rpc_error_objects(self):
        error = GrvtPerpetualAPIError.from_error_object({"code": "3000", "message": "Instrument is invalid"})
        self.assertEqual(3000, error.code)
        self.assertIsNone(error.http_status)
        self.assertEqual("GRVT error 3000: Instrument is invalid (instrument is invalid)", str(error))

        odd = GrvtPerpetualAPIError.from_error_object({"code": "abc", "status": "x"})
        self.assertIsNone(odd.code)
        self.assertIsNone(odd.http_status)
        self.assertEqual("GRVT request failed: no message", str(odd))

    def test_rejected_order_error(self):
        error = GrvtOrderRejectedError("FAIL_POST_ONLY")
        self.assertIsInstance(error, IOError)
        self.assertEqual("GRVT rejected the order (FAIL_POST_ONLY)", str(error))


class FakeTradesSocket:
    """A JSON-RPC order socket on 127.0.0.1: answers with `reply(method, params, id)` or stays silent."""

    def __init__(self, reply=None):
        self.reply = reply or (lambda method, params, request_id: {"jsonrpc": "2.0", "id": request_id,
                                                                   "result": {"result": {"ack": True}}})
        self.requests: List[Dict[str, Any]] = []
        self.headers: List[Dict[str, str]] = []
        self.sockets = []
        self._runner = None
        self.url = ""

    async def start(self):
        from aiohttp import web

        async def handle(request):
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            self.headers.append(dict(request.headers))
            self.sockets.append(ws)
            async for message in ws:
                payload = json.loads(message.data)
                self.requests.append(payload)
                answer = self.reply(payload["method"], payload["params"], payload["id"])
                if answer is not None:
                    await ws.send_str(json.dumps(answer))
            return ws

        app = web.Application()
        app.router.add_get("/ws/full", handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"ws://127.0.0.1:{self._runner.addresses[0][1]}/ws/full"

    async def drop(self):
        for ws in self.sockets:
            await ws.close()

    async def stop(self):
        await self._runner.cleanup()


async def until(condition, timeout: float = 5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


class WsOrderEntryTests(IsolatedAsyncioWrapperTestCase):

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.server = FakeTradesSocket()
        await self.server.start()
        self.invalidated = []
        self.reconnects = 0
        self.current_session = GrvtSession(cookie="abc", account_id="0xaccount", expires_at=2e9)
        self.client = GrvtWsRpcClient(
            url=lambda: self.server.url, auth=self, on_reconnect=self.count_reconnect)
        self.client._backoff._initial = 0.01
        self.poster = FakePoster({CONSTANTS.CANCEL_ORDER_PATH_URL: {"result": {"ack": True}},
                                  CONSTANTS.CREATE_ORDER_PATH_URL: {"result": order_answer()}})
        self.transport = GrvtPerpetualWsOrderTransport(SUB_ACCOUNT, self.poster, self.client, CountingThrottler(),
                                                       timeout=1)

    async def asyncTearDown(self):
        await self.transport.stop()
        await self.server.stop()
        await super().asyncTearDown()

    async def ensure_session(self):
        return self.current_session

    def invalidate_session(self, stale):
        self.invalidated.append(stale)

    def count_reconnect(self):
        self.reconnects += 1

    async def connected(self):
        self.transport.start()
        await until(lambda: self.client.is_connected)

    async def test_order_socket_handshake_with_a_silent_peer_ends_at_the_connect_timeout(self):
        connections = []  # accepted, never answered: the supervisor must retry, not wait for minutes
        server = await asyncio.start_server(lambda reader, writer: connections.append(writer), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = GrvtWsRpcClient(url=lambda: f"ws://127.0.0.1:{port}/ws/full", auth=self)
        try:
            with patch.object(CONSTANTS, "WS_CONNECT_TIMEOUT_SECONDS", 0.2), self.assertRaises(asyncio.TimeoutError):
                await client._connect()
        finally:
            await client.stop()
            for writer in connections:
                writer.close()
            server.close()
            await server.wait_closed()

    async def test_requests_go_over_the_socket_with_session_headers_and_matching_ids(self):
        self.server.reply = lambda method, params, request_id: {"jsonrpc": "2.0", "id": request_id, "result": (
            {"result": order_answer()} if method == "v1/create_order" else {"result": {"ack": True}})}
        await self.connected()
        sent = []
        self.assertTrue(await self.transport.cancel_order(client_order_id="7", time_to_live_ms=5000))
        order = await self.transport.create_order(order_body(), on_sent=lambda: sent.append(1))

        self.assertEqual("gravity=abc", self.server.headers[0]["Cookie"])
        self.assertEqual("0xaccount", self.server.headers[0]["X-Grvt-Account-Id"])
        self.assertEqual(["v1/cancel_order", "v1/create_order"], [r["method"] for r in self.server.requests])
        self.assertEqual(["2.0", "2.0"], [r.get("jsonrpc") for r in self.server.requests])  # GRVT's JSONRPCRequest
        self.assertEqual({"sub_account_id": SUB_ACCOUNT, "client_order_id": "7", "time_to_live_ms": "5000"},
                         self.server.requests[0]["params"])
        self.assertNotEqual(self.server.requests[0]["id"], self.server.requests[1]["id"])
        self.assertEqual([], self.poster.calls)
        self.assertEqual([1], sent)
        self.assertEqual("9223372036854775809", order.client_order_id)

    async def test_replies_out_of_order_are_matched_by_id(self):
        held = []

        def reply(method, params, request_id):
            held.append({"jsonrpc": "2.0", "id": request_id, "result": {"ack": True}})
            return None

        self.server.reply = reply
        await self.connected()
        first = asyncio.ensure_future(self.transport.cancel_order(client_order_id="1"))
        second = asyncio.ensure_future(self.transport.cancel_order(client_order_id="2"))
        await until(lambda: len(held) == 2)
        held[1]["result"] = {"ack": False}
        for answer in reversed(held):
            await self.server.sockets[0].send_str(json.dumps(answer))
        self.assertEqual((True, False), (await first, await second))

    async def test_stopping_the_heartbeat_as_its_reply_arrives_ends_it(self):
        # Python 3.11's asyncio.wait_for lets a cancel go unnoticed when its future completes in the same loop turn:
        # the heartbeat then beat on and stop_network never returned.
        requests = []
        self.server.reply = lambda method, params, request_id: requests.append(request_id)
        await self.connected()
        heartbeat = GrvtCancelOnDisconnectHeartbeat(self.transport, 3_000)
        heartbeat.start()
        await until(lambda: requests)

        self.client._dispatch(json.dumps({"jsonrpc": "2.0", "id": requests[0], "result": {"ack": True}}))
        async with asyncio.timeout(10):
            await heartbeat.stop()
        self.assertFalse(heartbeat.is_running)
        self.assertEqual(1, len(requests))

    async def test_socket_down_sends_over_rest_and_says_so(self):
        self.assertFalse(self.client.is_connected)
        self.assertTrue(await self.transport.cancel_order(client_order_id="1"))
        self.assertEqual([CONSTANTS.CANCEL_ORDER_PATH_URL], [path for path, _ in self.poster.calls])
        with self.assertRaises(GrvtRpcNotSent):  # what the socket raises for a request it could not send
            await self.client.call("v1/cancel_order", {"client_order_id": "1"}, dict, timeout=1)

    async def test_no_reply_is_an_unknown_outcome_and_is_not_resent(self):
        self.server.reply = lambda *args: None
        await self.connected()
        with self.assertRaises(GrvtRpcOutcomeUnknown):
            await self.transport.create_order(order_body())
        self.assertEqual([], self.poster.calls)  # never duplicated over REST

    async def test_socket_lost_after_sending_is_an_unknown_outcome_and_it_reconnects(self):
        async def drop_on_request(*args):
            asyncio.ensure_future(self.server.drop())
            return None

        self.server.reply = lambda *args: asyncio.ensure_future(self.server.drop()) and None
        await self.connected()
        with self.assertRaises(GrvtRpcOutcomeUnknown):
            await self.transport.create_order(order_body())
        self.assertEqual([], self.poster.calls)
        self.server.reply = FakeTradesSocket().reply
        await until(lambda: self.client.is_connected and self.reconnects == 1)
        self.assertTrue(await self.transport.cancel_order(client_order_id="1"))

    async def test_errors_are_exchange_errors_and_session_errors_go_over_rest(self):
        self.server.reply = lambda method, params, request_id: {
            "jsonrpc": "2.0", "id": request_id, "error": {"code": 2062, "message": "Order size smaller than min"}}
        await self.connected()
        with self.assertRaises(GrvtPerpetualAPIError) as context:
            await self.transport.create_order(order_body())
        self.assertEqual(2062, context.exception.code)
        self.assertEqual([], self.poster.calls)

        self.server.reply = lambda method, params, request_id: {
            "jsonrpc": "2.0", "id": request_id, "error": {"code": 1000, "message": "authenticate"}}
        self.assertTrue(await self.transport.cancel_order(client_order_id="1"))
        self.assertEqual([self.current_session], self.invalidated)
        self.assertEqual(CONSTANTS.CANCEL_ORDER_PATH_URL, self.poster.calls[0][0])

    async def test_a_session_error_drops_the_session_the_socket_connected_with_not_a_newer_one(self):
        self.server.reply = lambda method, params, request_id: {
            "jsonrpc": "2.0", "id": request_id, "error": {"code": 1000, "message": "authenticate"}}
        await self.connected()
        connected_with = self.current_session
        self.current_session = GrvtSession(cookie="refreshed", account_id="0xaccount", expires_at=2e9)

        await self.server.sockets[0].send_str(
            json.dumps({"jsonrpc": "2.0", "error": {"code": 1000, "message": "authenticate"}}))
        await until(lambda: len(self.invalidated) == 1)
        self.assertTrue(await self.transport.cancel_order(client_order_id="1"))
        self.assertEqual([connected_with, connected_with], self.invalidated)

    async def test_unreadable_reply_is_an_unknown_outcome(self):
        await self.connected()
        for result in ({"result": {}}, {}):  # a reply without result is unreadable too
            self.server.reply = lambda method, params, request_id: {"jsonrpc": "2.0", "id": request_id, **result}
            with self.assertRaises(GrvtPerpetualAPIError) as context:
                await self.transport.create_order(order_body())
            self.assertTrue(context.exception.is_outcome_unknown)

    async def test_a_session_error_without_a_request_id_forces_a_fresh_login(self):
        await self.connected()
        await self.server.sockets[0].send_str(
            json.dumps({"jsonrpc": "2.0", "error": {"code": 1000, "message": "authenticate"}}))
        await until(lambda: self.invalidated == [self.current_session])

    async def test_frames_that_are_not_replies_are_ignored(self):
        await self.connected()
        await self.server.sockets[0].send_str("not json")
        await self.server.sockets[0].send_str(json.dumps({"jsonrpc": "2.0", "id": 999, "result": {"ack": True}}))
        self.assertTrue(await self.transport.cancel_order(client_order_id="1"))
