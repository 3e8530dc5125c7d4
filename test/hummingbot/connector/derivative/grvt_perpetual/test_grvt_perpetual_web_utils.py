import asyncio
import json
import os
import re
import time
import unittest
from decimal import Decimal
from unittest.mock import patch

from aioresponses import aioresponses
from yarl import URL

from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_web_utils as web_utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import GrvtPerpetualAPIError
from hummingbot.core.api_throttler.async_throttler import AsyncThrottler
from hummingbot.core.web_assistant.connections.data_types import RESTMethod
from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase

MAINNET = CONSTANTS.DEFAULT_DOMAIN
TESTNET = CONSTANTS.TESTNET_DOMAIN
CLEAN_ENV = {key: value for key, value in os.environ.items() if not key.startswith("GRVT_PERPETUAL")}


class GrvtPerpetualUrlTests(IsolatedAsyncioWrapperTestCase):

    def setUp(self):
        super().setUp()
        patcher = patch.dict(os.environ, CLEAN_ENV, clear=True)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_default_mainnet_urls(self):
        self.assertEqual("https://market-data.grvt.io/full/v1/book", web_utils.public_rest_url("full/v1/book"))
        self.assertEqual("https://trades.grvt.io/full/v1/create_order",
                         web_utils.private_rest_url(CONSTANTS.CREATE_ORDER_PATH_URL, domain=MAINNET))
        self.assertEqual("https://edge.grvt.io/auth/api_key/login", web_utils.login_url(MAINNET))
        self.assertEqual("wss://market-data.grvt.io/ws/full", web_utils.public_ws_url(MAINNET))
        self.assertEqual("wss://trades.grvt.io/ws/full", web_utils.private_ws_url(MAINNET))
        self.assertEqual(325, web_utils.chain_id(MAINNET))

    def test_default_testnet_urls(self):
        self.assertEqual("https://market-data.testnet.grvt.io/full/v1/ticker",
                         web_utils.public_rest_url("/full/v1/ticker", domain=TESTNET))
        self.assertEqual("https://trades.testnet.grvt.io/full/v2/bulk_orders",
                         web_utils.private_rest_url(CONSTANTS.BULK_ORDERS_PATH_URL, domain=TESTNET))
        self.assertEqual("https://edge.testnet.grvt.io/auth/api_key/login", web_utils.login_url(TESTNET))
        self.assertEqual("wss://market-data.testnet.grvt.io/ws/full", web_utils.public_ws_url(TESTNET))
        self.assertEqual("wss://trades.testnet.grvt.io/ws/full", web_utils.private_ws_url(TESTNET))
        self.assertEqual(326, web_utils.chain_id(TESTNET))

    def test_base_url_override_moves_every_gateway(self):
        with patch.dict(os.environ, {"GRVT_PERPETUAL_BASE_URL": "http://127.0.0.1:8123/"}):
            for domain in (MAINNET, TESTNET):
                endpoints = web_utils.endpoints(domain)
                self.assertEqual("http://127.0.0.1:8123", endpoints.edge)
                self.assertEqual("http://127.0.0.1:8123", endpoints.trades)
                self.assertEqual("http://127.0.0.1:8123", endpoints.market_data)
                self.assertEqual("ws://127.0.0.1:8123/ws/full", endpoints.trades_ws)
                self.assertEqual("ws://127.0.0.1:8123/ws/full", endpoints.market_data_ws)
            self.assertEqual("http://127.0.0.1:8123/full/v1/order", web_utils.private_rest_url("full/v1/order"))
            self.assertEqual("http://127.0.0.1:8123/auth/api_key/login", web_utils.login_url(TESTNET))
            self.assertEqual(325, web_utils.chain_id(MAINNET))

    def test_https_base_url_with_path_prefix(self):
        with patch.dict(os.environ, {"GRVT_PERPETUAL_BASE_URL": "https://sandbox.local/grvt"}):
            self.assertEqual("https://sandbox.local/grvt/full/v1/book", web_utils.public_rest_url("full/v1/book"))
            self.assertEqual("wss://sandbox.local/grvt/ws/full", web_utils.private_ws_url())

    def test_fine_overrides_win_over_base_url(self):
        overrides = {
            "GRVT_PERPETUAL_BASE_URL": "http://127.0.0.1:1000",
            "GRVT_PERPETUAL_EDGE_URL": "http://127.0.0.1:2000",
            "GRVT_PERPETUAL_TRADES_URL": "http://127.0.0.1:3000/",
            "GRVT_PERPETUAL_MARKET_DATA_URL": "http://127.0.0.1:4000",
            "GRVT_PERPETUAL_TRADES_WS_URL": "http://127.0.0.1:5000",
            "GRVT_PERPETUAL_MARKET_DATA_WS_URL": "wss://md.example:6000/ws/lite",
        }
        with patch.dict(os.environ, overrides):
            endpoints = web_utils.endpoints(MAINNET)
        self.assertEqual("http://127.0.0.1:2000", endpoints.edge)
        self.assertEqual("http://127.0.0.1:3000", endpoints.trades)
        self.assertEqual("http://127.0.0.1:4000", endpoints.market_data)
        self.assertEqual("ws://127.0.0.1:5000/ws/full", endpoints.trades_ws)
        self.assertEqual("wss://md.example:6000/ws/lite", endpoints.market_data_ws)

    def test_single_fine_override_keeps_other_defaults(self):
        with patch.dict(os.environ, {"GRVT_PERPETUAL_TRADES_URL": "http://127.0.0.1:3000"}):
            self.assertEqual("http://127.0.0.1:3000/full/v1/positions",
                             web_utils.private_rest_url(CONSTANTS.POSITIONS_PATH_URL, domain=TESTNET))
            self.assertEqual("https://market-data.testnet.grvt.io/full/v1/book",
                             web_utils.public_rest_url(CONSTANTS.ORDER_BOOK_PATH_URL, domain=TESTNET))

    def test_domain_specific_override_wins_and_stays_in_its_domain(self):
        overrides = {
            "GRVT_PERPETUAL_BASE_URL": "http://127.0.0.1:1000",
            "GRVT_PERPETUAL_TESTNET_BASE_URL": "http://127.0.0.1:7000",
            "GRVT_PERPETUAL_TESTNET_CHAIN_ID": "999",
        }
        with patch.dict(os.environ, overrides):
            self.assertEqual("http://127.0.0.1:7000", web_utils.endpoints(TESTNET).trades)
            self.assertEqual(999, web_utils.chain_id(TESTNET))
            self.assertEqual("http://127.0.0.1:1000", web_utils.endpoints(MAINNET).trades)
            self.assertEqual(325, web_utils.chain_id(MAINNET))

    def test_a_domain_base_url_wins_over_a_generic_gateway_url(self):
        # a generic edge override (a proxy for mainnet, say) never takes the testnet sandbox's login elsewhere
        overrides = {"GRVT_PERPETUAL_EDGE_URL": "https://edge.proxy.example",
                     "GRVT_PERPETUAL_TRADES_WS_URL": "wss://trades.proxy.example/ws/full",
                     "GRVT_PERPETUAL_TESTNET_BASE_URL": "http://127.0.0.1:7000"}
        with patch.dict(os.environ, overrides):
            testnet = web_utils.endpoints(TESTNET)
            self.assertEqual(("http://127.0.0.1:7000", "ws://127.0.0.1:7000/ws/full"),
                             (testnet.edge, testnet.trades_ws))
            mainnet = web_utils.endpoints(MAINNET)
            self.assertEqual(("https://edge.proxy.example", "wss://trades.proxy.example/ws/full"),
                             (mainnet.edge, mainnet.trades_ws))

    def test_overrides_are_read_at_call_time(self):
        before = web_utils.public_ws_url(TESTNET)
        with patch.dict(os.environ, {"GRVT_PERPETUAL_MARKET_DATA_WS_URL": "ws://127.0.0.1:9/"}):
            self.assertEqual("ws://127.0.0.1:9/ws/full", web_utils.public_ws_url(TESTNET))
        self.assertEqual(before, web_utils.public_ws_url(TESTNET))

    def test_chain_id_override(self):
        with patch.dict(os.environ, {"GRVT_PERPETUAL_CHAIN_ID": " 326 "}):
            self.assertEqual(326, web_utils.chain_id(MAINNET))
        for invalid in ("testnet", "0", "-1"):
            with patch.dict(os.environ, {"GRVT_PERPETUAL_CHAIN_ID": invalid}):
                with self.assertRaisesRegex(ValueError, "GRVT_PERPETUAL_CHAIN_ID must be a positive integer"):
                    web_utils.chain_id(MAINNET)

    def test_empty_override_is_ignored(self):
        with patch.dict(os.environ, {"GRVT_PERPETUAL_BASE_URL": "", "GRVT_PERPETUAL_CHAIN_ID": ""}):
            self.assertEqual("https://trades.grvt.io/x", web_utils.private_rest_url("x"))
            self.assertEqual(325, web_utils.chain_id())

    def test_invalid_ws_override_and_unknown_domain(self):
        with patch.dict(os.environ, {"GRVT_PERPETUAL_TRADES_WS_URL": "ftp://127.0.0.1:1"}):
            with self.assertRaisesRegex(ValueError, "websocket URL"):
                web_utils.private_ws_url()
        with self.assertRaisesRegex(ValueError, "Unknown GRVT domain"):
            web_utils.public_rest_url("full/v1/book", domain="grvt_perpetual_devnet")
        with self.assertRaises(ValueError):
            web_utils.chain_id("binance")

    def test_ws_rpc_method(self):
        self.assertEqual("v1/create_order", web_utils.ws_rpc_method(CONSTANTS.CREATE_ORDER_PATH_URL))
        self.assertEqual("v2/bulk_orders", web_utils.ws_rpc_method("/full/v2/bulk_orders"))
        self.assertEqual("v1/cancel_on_disconnect", web_utils.ws_rpc_method(CONSTANTS.CANCEL_ON_DISCONNECT_PATH_URL))


class GrvtPerpetualConversionTests(IsolatedAsyncioWrapperTestCase):

    def test_timestamps(self):
        self.assertEqual(1767292408.4, web_utils.ns_to_seconds(1767292408400000000))
        self.assertEqual(1.5, web_utils.ns_to_seconds(1_500_000_000))
        self.assertEqual(0.0, web_utils.ns_to_seconds(0))
        self.assertEqual(1_767_292_408_400_000_000, web_utils.seconds_to_ns(1767292408.4))
        before = time.time_ns()
        now = web_utils.now_ns()
        self.assertTrue(before <= now <= time.time_ns())

    def test_expiration_ns(self):
        with patch.object(web_utils, "now_ns", return_value=1_000):
            self.assertEqual(1_000 + 60 * 10**9, web_utils.expiration_ns(60))
            capped = web_utils.expiration_ns(10**9)
            self.assertEqual(web_utils.expiration_ns(CONSTANTS.MAX_SIGNATURE_EXPIRY_SECONDS), capped)
        self.assertGreater(web_utils.expiration_ns(1), time.time_ns())
        for invalid in (0, -5):
            with self.assertRaises(ValueError):
                web_utils.expiration_ns(invalid)

    def test_longest_lifetime_fits_grvt_cap_on_a_server_clock_slightly_behind(self):
        # GRVT measures the 30-day cap (error 2008) from its own clock: a bot whose clock runs a few seconds ahead
        # must still sign the longest lifetime a user may configure within the cap.
        now = 1_767_292_408_400_000_000
        with patch.object(web_utils, "now_ns", return_value=now):
            expiration = web_utils.expiration_ns(CONSTANTS.MAX_SIGNATURE_EXPIRY_SECONDS)
        server_now = now - 5 * 10**9
        self.assertLessEqual(expiration - server_now, CONSTANTS.MAX_SIGNATURE_EXPIRY_SECONDS * 10**9)
        self.assertGreater(expiration - now, (CONSTANTS.MAX_SIGNATURE_EXPIRY_SECONDS - 3600) * 10**9)

    def test_quote_expiry_default_overrides_and_cap(self):
        with patch.dict(os.environ, CLEAN_ENV, clear=True):
            self.assertEqual(CONSTANTS.DEFAULT_QUOTE_EXPIRY_SECONDS, web_utils.quote_expiry_seconds(TESTNET))
        with patch.dict(os.environ, {"GRVT_PERPETUAL_QUOTE_EXPIRY_SECONDS": "30"}):
            self.assertEqual(30.0, web_utils.quote_expiry_seconds())
        with patch.dict(os.environ, {"GRVT_PERPETUAL_QUOTE_EXPIRY_SECONDS": "99999999"}):
            self.assertEqual(float(CONSTANTS.MAX_SIGNATURE_EXPIRY_SECONDS), web_utils.quote_expiry_seconds())
        for invalid in ("soon", "0", "-1", "nan"):
            with patch.dict(os.environ, {"GRVT_PERPETUAL_QUOTE_EXPIRY_SECONDS": invalid}):
                with self.assertRaisesRegex(ValueError, "QUOTE_EXPIRY_SECONDS"):
                    web_utils.quote_expiry_seconds()

    def test_error_code_of_rest_and_json_rpc_error_objects(self):
        def code(error):
            return GrvtPerpetualAPIError.from_error_object(error).code

        self.assertEqual(1000, code({"code": 1000, "message": "unauthenticated", "status": 401}))
        self.assertEqual(3000, code({"code": "3000", "message": "Instrument is invalid"}))
        self.assertIsNone(code({"result": {"ack": True}}))
        self.assertIsNone(code({"code": 0}))
        self.assertIsNone(code({"code": "abc"}))


class GrvtPerpetualServerTimeTests(IsolatedAsyncioWrapperTestCase):

    def setUp(self):
        super().setUp()
        patcher = patch.dict(os.environ, {"GRVT_PERPETUAL_BASE_URL": "http://127.0.0.1:18080"})
        patcher.start()
        self.addCleanup(patcher.stop)

    @aioresponses()
    async def test_server_time_is_the_local_clock_without_a_request(self, mock_api):
        before = time.time() * 1e3
        server_time = await web_utils.get_current_server_time(throttler=None, domain=TESTNET)
        self.assertTrue(before <= server_time <= time.time() * 1e3)
        self.assertEqual({}, mock_api.requests)

    @aioresponses()
    async def test_api_factories_send_json_and_no_time_request(self, mock_api):
        url = web_utils.public_rest_url(CONSTANTS.INSTRUMENTS_PATH_URL, domain=TESTNET)
        mock_api.post(url, body=json.dumps({"result": {"instrument": "BTC_USDT_Perp"}}), repeat=True)
        for factory in (web_utils.build_api_factory(),
                        web_utils.build_api_factory_without_time_synchronizer_pre_processor(throttler=None)):
            rest_assistant = await factory.get_rest_assistant()
            response = await rest_assistant.execute_request(
                url=url, data={"instrument": "BTC_USDT_Perp"}, method=RESTMethod.POST,
                throttler_limit_id=CONSTANTS.INSTRUMENTS_PATH_URL)
            self.assertEqual("BTC_USDT_Perp", response["result"]["instrument"])
        self.assertEqual([("POST", url)], [(method, str(key)) for method, key in mock_api.requests])
        post = mock_api.requests[("POST", URL(url))][0]
        self.assertEqual("application/json", post.kwargs["headers"]["Content-Type"])
        self.assertEqual({"instrument": "BTC_USDT_Perp"}, json.loads(post.kwargs["data"]))


class GrvtPerpetualRateLimitTests(IsolatedAsyncioWrapperTestCase):

    def test_every_route_constant_has_a_rate_limit_linked_to_a_pool(self):
        limits = {limit.limit_id: limit for limit in CONSTANTS.RATE_LIMITS}
        routes = [value for name, value in vars(CONSTANTS).items() if name.endswith("_PATH_URL")]
        self.assertEqual(len(CONSTANTS.ENDPOINT_COSTS), len(routes))
        for route in routes:
            self.assertIn(route, limits)
            cost, pool = CONSTANTS.ENDPOINT_COSTS[route]
            self.assertEqual(cost, limits[route].weight)
            self.assertEqual([(pool, cost)], [(pair.limit_id, pair.weight) for pair in limits[route].linked_limits])
            self.assertIn(pool, limits)

    def test_ccxt_costs(self):
        costs = {route: cost for route, (cost, _) in CONSTANTS.ENDPOINT_COSTS.items()}
        self.assertEqual(100, costs[CONSTANTS.LOGIN_PATH_URL])
        self.assertEqual(4, costs[CONSTANTS.TICKER_PATH_URL])
        self.assertEqual(12, costs[CONSTANTS.ORDER_BOOK_PATH_URL])
        self.assertEqual(5, costs[CONSTANTS.CREATE_ORDER_PATH_URL])
        self.assertEqual(5, costs[CONSTANTS.CANCEL_ORDER_PATH_URL])
        self.assertEqual(50, costs[CONSTANTS.CANCEL_ALL_ORDERS_PATH_URL])
        self.assertEqual(100, costs[CONSTANTS.CANCEL_ON_DISCONNECT_PATH_URL])
        self.assertEqual(20, costs[CONSTANTS.OPEN_ORDERS_PATH_URL])
        self.assertEqual(40, costs[CONSTANTS.ACCOUNT_SUMMARY_PATH_URL])

    def test_order_entry_shares_no_pool_with_polling_or_market_data(self):
        def pool_of(route):
            return CONSTANTS.ENDPOINT_COSTS[route][1]

        self.assertEqual(CONSTANTS.CREATE_POOL, pool_of(CONSTANTS.CREATE_ORDER_PATH_URL))
        self.assertEqual(CONSTANTS.CANCEL_POOL, pool_of(CONSTANTS.CANCEL_ORDER_PATH_URL))  # a cancel backlog never
        self.assertEqual(CONSTANTS.CANCEL_POOL, pool_of(CONSTANTS.BULK_ORDERS_PATH_URL))  # delays a new quote
        order_pools = {pool_of(route) for route in (CONSTANTS.CREATE_ORDER_PATH_URL, CONSTANTS.CANCEL_ORDER_PATH_URL,
                                                    CONSTANTS.BULK_ORDERS_PATH_URL)}
        polling_pools = {pool_of(route) for route in (
            CONSTANTS.ORDER_PATH_URL, CONSTANTS.OPEN_ORDERS_PATH_URL, CONSTANTS.POSITIONS_PATH_URL,
            CONSTANTS.ACCOUNT_SUMMARY_PATH_URL, CONSTANTS.FILL_HISTORY_PATH_URL, CONSTANTS.ORDER_BOOK_PATH_URL,
            CONSTANTS.TICKER_PATH_URL, CONSTANTS.CANCEL_ON_DISCONNECT_PATH_URL, CONSTANTS.LOGIN_PATH_URL)}
        self.assertEqual({CONSTANTS.CREATE_POOL, CONSTANTS.CANCEL_POOL}, order_pools)
        self.assertFalse(order_pools & polling_pools)

    async def test_saturated_polling_does_not_block_orders(self):
        throttler = AsyncThrottler(CONSTANTS.RATE_LIMITS)
        for _ in range(25):  # 25 x 20 tokens fill the account-query pool (500 tokens per 5 s)
            async with throttler.execute_task(CONSTANTS.OPEN_ORDERS_PATH_URL):
                pass
        self.assertFalse(throttler.execute_task(CONSTANTS.POSITIONS_PATH_URL).within_capacity())
        for route in (CONSTANTS.CREATE_ORDER_PATH_URL, CONSTANTS.CANCEL_ORDER_PATH_URL,
                      CONSTANTS.CANCEL_ALL_ORDERS_PATH_URL):
            await asyncio.wait_for(throttler.execute_task(route).acquire(), timeout=0.5)

    async def test_order_bucket_limits_order_rate(self):
        throttler = AsyncThrottler(CONSTANTS.RATE_LIMITS)
        for _ in range(20):  # 20 x 5 tokens: GRVT's create_order bucket for one second
            await throttler.execute_task(CONSTANTS.CREATE_ORDER_PATH_URL).acquire()
        self.assertFalse(throttler.execute_task(CONSTANTS.CREATE_ORDER_PATH_URL).within_capacity())
        self.assertTrue(throttler.execute_task(CONSTANTS.CANCEL_ORDER_PATH_URL).within_capacity())

    def test_every_route_still_passes_with_a_small_share_of_the_limits(self):
        throttler = AsyncThrottler(CONSTANTS.RATE_LIMITS, limits_share_percentage=Decimal("15"))
        for route, (cost, pool) in CONSTANTS.ENDPOINT_COSTS.items():
            rate_limit, related = throttler.get_related_limits(route)
            self.assertGreaterEqual(rate_limit.limit, rate_limit.weight, route)
            for linked, weight in related:
                self.assertGreaterEqual(linked.limit, weight, route)

    def test_build_rate_limits_follows_the_tables_and_validates_them(self):
        def build(endpoint_costs, pools, tokens_per_second=CONSTANTS.TOKENS_PER_SECOND):
            with patch.multiple(CONSTANTS, ENDPOINT_COSTS=endpoint_costs, RATE_LIMIT_POOLS=pools,
                                TOKENS_PER_SECOND=tokens_per_second):
                return CONSTANTS.build_rate_limits()

        limits = {limit.limit_id: limit for limit in build({"full/v1/x": (10, "p")}, {"p": (50, 2.0)}, 10)}
        self.assertEqual(50, limits["p"].limit)
        self.assertEqual(2.0, limits["p"].time_interval)
        route = limits["full/v1/x"]
        self.assertEqual((20, 2.0, 10), (route.limit, route.time_interval, route.weight))
        with self.assertRaisesRegex(ValueError, "unknown rate-limit pool"):
            build({"r": (1, "missing")}, {"p": (10, 1.0)})
        with self.assertRaisesRegex(ValueError, "more than its bucket"):
            build({"r": (200, "p")}, {"p": (1000, 1.0)})

    def test_a_share_of_the_limits_scales_the_buckets(self):
        throttler = AsyncThrottler(CONSTANTS.build_rate_limits(), limits_share_percentage=Decimal("50"))
        rate_limit, _ = throttler.get_related_limits(CONSTANTS.CREATE_ORDER_PATH_URL)
        self.assertEqual(50, rate_limit.limit)
        self.assertTrue(all(re.match(r"^[a-z0-9_/]+$", limit.limit_id) for limit in CONSTANTS.RATE_LIMITS))


class GrvtPerpetualCandlesFeedNamesTests(unittest.TestCase):

    def test_candles_feed_alias(self):
        with patch.dict(os.environ, CLEAN_ENV, clear=True):
            self.assertEqual(web_utils.public_ws_url(TESTNET), web_utils.public_wss_url(TESTNET))


class GrvtPerpetualTransportSecurityTests(unittest.TestCase):
    def test_mainnet_over_plain_http_needs_an_explicit_opt_in(self):
        with patch.dict(os.environ, {"GRVT_PERPETUAL_BASE_URL": "http://10.0.0.5:7070"}, clear=False):
            with self.assertRaises(ValueError) as context:
                web_utils.check_transport_security(CONSTANTS.DEFAULT_DOMAIN)
            self.assertIn("GRVT_PERPETUAL_ALLOW_PLAINTEXT=true", str(context.exception))
            web_utils.check_transport_security(CONSTANTS.TESTNET_DOMAIN)  # a local sandbox stands in for testnet
            with patch.dict(os.environ, {"GRVT_PERPETUAL_ALLOW_PLAINTEXT": "true"}):
                web_utils.check_transport_security(CONSTANTS.DEFAULT_DOMAIN)
        web_utils.check_transport_security(CONSTANTS.DEFAULT_DOMAIN)  # GRVT's own https/wss hosts

    def test_a_plain_socket_url_alone_is_refused_too(self):
        with patch.dict(os.environ, {"GRVT_PERPETUAL_TRADES_WS_URL": "ws://example.com/ws/full"}):
            with self.assertRaises(ValueError):
                web_utils.check_transport_security(CONSTANTS.DEFAULT_DOMAIN)
