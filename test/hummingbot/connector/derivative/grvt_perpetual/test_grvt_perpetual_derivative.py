import asyncio
import json
import os
import time
import unittest
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Tuple
from unittest.mock import AsyncMock, MagicMock, patch

import aiohttp
from aioresponses import aioresponses
from aioresponses.core import CallbackResult, RequestCall
from bidict import bidict

from hummingbot.connector.client_order_tracker import ClientOrderTracker
from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_web_utils as web_utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_auth import GrvtAuthError, GrvtSession
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_derivative import GrvtPerpetualDerivative
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import GrvtPerpetualAPIError
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_health import CircuitBreaker
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import (
    GrvtInitialLeverage,
    GrvtInstrument,
    GrvtOrder,
    GrvtOrderState,
    load,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_state_machine import (
    GrvtOrderStateMachine,
    hummingbot_order_state,
)
from hummingbot.connector.test_support.perpetual_derivative_test import AbstractPerpetualDerivativeTests
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.core.data_type.common import OrderType, PositionAction, PositionMode, TradeType
from hummingbot.core.data_type.funding_info import FundingInfo
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState
from hummingbot.core.data_type.limit_order import LimitOrder
from hummingbot.core.data_type.trade_fee import AddedToCostTradeFee, TokenAmount, TradeFeeBase
from hummingbot.core.event.event_logger import EventLogger
from hummingbot.core.event.events import AccountEvent, FundingPaymentCompletedEvent

SUB_ACCOUNT = "8289849667772468"
TEST_KEY = "c0663ca94684aead40c41a1cb3a94b68a24296e87245be3a186e882a29a15ee0"  # noqa: mock
EXCHANGE_ORDER_ID = "0x0101010503000001000000000000abcd"
CREATION_TS = 1640780000
NS = 1_000_000_000


def ns(seconds: float) -> str:
    return str(int(seconds * NS))


def accepted(bulk_body: Dict[str, Any]) -> List[Dict[str, Any]]:
    """GRVT's v2/bulk_orders answer for every order of a request it took: id 0x00, PENDING."""
    return [dict(order, order_id="0x00", state={"status": "PENDING"}) for order in bulk_body["orders"]]


async def refuse_unmocked_request(session, method, url, *args, **kwargs):
    raise aiohttp.ClientConnectionError(f"no mock for {method} {url}")


class GrvtPerpetualDerivativeTests(AbstractPerpetualDerivativeTests.PerpetualDerivativeTests):
    level = 0

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.instrument = f"{cls.base_asset}_{cls.quote_asset}_Perp"

    def setUp(self) -> None:
        self.env_patch = patch.dict(os.environ, {
            name: value for name, value in os.environ.items() if not name.startswith(CONSTANTS.ENV_PREFIX)},
            clear=True)
        self.env_patch.start()
        # Background work of the order lifecycle (cancel watchers, lookups) outlives a test's own mock: until it is
        # stopped, requests nobody mocked fail at once here instead of reaching Hummingbot's shared HTTP session,
        # which an earlier test's closed event loop owns and where a request can wait forever.
        unmocked_requests = patch("aiohttp.client.ClientSession._request", refuse_unmocked_request)
        unmocked_requests.start()
        self.addCleanup(unmocked_requests.stop)
        super().setUp()
        self.addAsyncCleanup(self.exchange.order_lifecycle.stop)
        self.exchange._auth._session = GrvtSession(
            cookie="test-cookie", account_id="0xaccount", expires_at=time.time() + 3600)
        self.exchange.account.logger().setLevel(1)
        self.exchange.account.logger().addHandler(self)
        self.position_mode_logger = EventLogger()
        self.exchange.add_listener(AccountEvent.PositionModeChangeSucceeded, self.position_mode_logger)
        self.exchange.add_listener(AccountEvent.PositionModeChangeFailed, self.position_mode_logger)

    def tearDown(self) -> None:
        self.exchange.account.logger().removeHandler(self)
        self.exchange._balance_refresh.cancel()
        self.env_patch.stop()
        super().tearDown()

    # ==============================================================================================================
    # URLs and responses required by the shared suite
    # ==============================================================================================================
    @property
    def all_symbols_url(self):
        return web_utils.public_rest_url(CONSTANTS.INSTRUMENTS_PATH_URL)

    @property
    def latest_prices_url(self):
        return web_utils.public_rest_url(CONSTANTS.MINI_TICKER_PATH_URL)

    @property
    def network_status_url(self):
        return web_utils.public_rest_url(CONSTANTS.INSTRUMENTS_PATH_URL)

    @property
    def trading_rules_url(self):
        return web_utils.public_rest_url(CONSTANTS.INSTRUMENTS_PATH_URL)

    @property
    def order_creation_url(self):
        return web_utils.private_rest_url(CONSTANTS.CREATE_ORDER_PATH_URL)

    @property
    def balance_url(self):
        return web_utils.private_rest_url(CONSTANTS.ACCOUNT_SUMMARY_PATH_URL)

    @property
    def funding_info_url(self):
        return web_utils.public_rest_url(CONSTANTS.TICKER_PATH_URL)

    @property
    def funding_payment_url(self):
        return web_utils.private_rest_url(CONSTANTS.FUNDING_PAYMENT_HISTORY_PATH_URL)

    @property
    def cancel_url(self):
        return web_utils.private_rest_url(CONSTANTS.CANCEL_ORDER_PATH_URL)

    @property
    def order_status_url(self):
        return web_utils.private_rest_url(CONSTANTS.ORDER_PATH_URL)

    @property
    def fill_history_url(self):
        return web_utils.private_rest_url(CONSTANTS.FILL_HISTORY_PATH_URL)

    def instrument_json(self, **overrides) -> Dict[str, Any]:
        instrument = {
            "instrument": self.instrument, "instrument_hash": "0x0a0b01", "base": self.base_asset,
            "quote": self.quote_asset, "kind": "PERPETUAL", "venues": ["ORDERBOOK", "RFQ"],
            "settlement_period": "PERPETUAL", "base_decimals": 9, "quote_decimals": 6, "tick_size": "0.1",
            "min_size": "0.001", "create_time": "1768040726362828205", "max_position_size": "1000.0",
            "funding_interval_hours": 8, "adjusted_funding_rate_cap": "0.3", "adjusted_funding_rate_floor": "-0.3",
            "min_notional": "100.0",
        }
        instrument.update(overrides)
        return instrument

    @property
    def all_symbols_request_mock_response(self):
        return {"result": [self.instrument_json()]}

    @property
    def latest_prices_request_mock_response(self):
        return {"result": {"event_time": "1", "instrument": self.instrument,
                           "last_price": str(self.expected_latest_price),
                           "mark_price": "1", "index_price": "1"}}

    @property
    def all_symbols_including_invalid_pair_mock_response(self) -> Tuple[str, Any]:
        future = self.instrument_json(instrument="INVALID_PAIR_Fut_20Oct23", base="INVALID", quote="PAIR",
                                      kind="FUTURE", settlement_period="QUARTERLY")
        return "INVALID-PAIR", {"result": [self.instrument_json(), future]}

    @property
    def network_status_request_successful_mock_response(self):
        return {"result": [self.instrument_json()]}

    @property
    def trading_rules_request_mock_response(self):
        return {"result": [self.instrument_json()]}

    @property
    def trading_rules_request_erroneous_mock_response(self):
        return {"result": [self.erroneous_instrument]}

    @property
    def erroneous_instrument(self):
        return {"instrument": self.instrument, "base": self.base_asset, "quote": self.quote_asset,
                "kind": "PERPETUAL", "settlement_period": "PERPETUAL"}

    @property
    def order_creation_request_successful_mock_response(self):
        return {"result": self.order_json(
            client_order_id="1", order_id=self.expected_exchange_order_id, status="PENDING")}

    @property
    def balance_request_mock_response_for_base_and_quote(self):
        return {"result": {
            "event_time": "1", "sub_account_id": SUB_ACCOUNT, "margin_type": "SIMPLE_CROSS_MARGIN",
            "settle_currency": self.quote_asset, "total_equity": "2000", "available_balance": "2000",
            "spot_balances": [
                {"currency": self.base_asset, "balance": "15", "available_to_transfer": "10"},
                {"currency": self.quote_asset, "balance": "2000", "index_price": "1"},
            ],
            "positions": [],
        }}

    @property
    def balance_request_mock_response_only_base(self):
        return {"result": {
            "settle_currency": self.quote_asset, "available_balance": "0",
            "spot_balances": [{"currency": self.base_asset, "balance": "15", "available_to_transfer": "10"}],
        }}

    @property
    def balance_event_websocket_update(self):
        return {}

    @property
    def expected_latest_price(self):
        return 9999.9

    @property
    def expected_supported_order_types(self):
        return [OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.MARKET]

    @property
    def expected_trading_rule(self):
        return TradingRule(
            trading_pair=self.trading_pair,
            min_order_size=Decimal("0.001"),
            max_order_size=Decimal("1000.0"),
            min_price_increment=Decimal("0.1"),
            min_base_amount_increment=Decimal("0.001"),
            min_notional_size=Decimal("100.0"),
            buy_order_collateral_token=self.quote_asset,
            sell_order_collateral_token=self.quote_asset,
        )

    @property
    def expected_logged_error_for_erroneous_trading_rule(self):
        return f"Error parsing the trading pair rule {json.dumps(self.erroneous_instrument)}. Skipping."

    @property
    def expected_exchange_order_id(self):
        return EXCHANGE_ORDER_ID

    @property
    def is_order_fill_http_update_included_in_status_update(self) -> bool:
        return True

    @property
    def is_order_fill_http_update_executed_during_websocket_order_event_processing(self) -> bool:
        return False

    @property
    def expected_partial_fill_price(self) -> Decimal:
        return Decimal("10500")

    @property
    def expected_partial_fill_amount(self) -> Decimal:
        return Decimal("0.5")

    @property
    def expected_fill_fee(self) -> TradeFeeBase:
        return AddedToCostTradeFee(
            percent_token=self.quote_asset, flat_fees=[TokenAmount(token=self.quote_asset, amount=Decimal("30"))])

    @property
    def expected_fill_trade_id(self) -> str:
        return "30000-1"

    @property
    def expected_supported_position_modes(self) -> List[PositionMode]:
        return [PositionMode.ONEWAY]

    @property
    def funding_info_mock_response(self):
        return {"result": {
            "event_time": "1", "instrument": self.instrument,
            "index_price": str(self.target_funding_info_index_price),
            "mark_price": str(self.target_funding_info_mark_price),
            "funding_rate": str(self.target_funding_info_rate * 100),
            "next_funding_time": str(self.target_funding_info_next_funding_utc_timestamp * NS),
        }}

    @property
    def empty_funding_payment_mock_response(self):
        return {"result": [], "next": ""}

    @property
    def funding_payment_mock_response(self):
        return {"result": [{
            "event_time": ns(self.target_funding_payment_timestamp), "sub_account_id": SUB_ACCOUNT,
            "instrument": self.instrument, "currency": self.quote_asset,
            # GRVT's spec: positive = paid by the account; the default convention maps it to Hummingbot's sign
            "amount": str(-self.target_funding_payment_payment_amount), "tx_id": "1",
        }], "next": ""}

    def exchange_symbol_for_tokens(self, base_token: str, quote_token: str) -> str:
        return f"{base_token}_{quote_token}_Perp"

    def create_exchange_instance(self, **kwargs) -> GrvtPerpetualDerivative:
        exchange = GrvtPerpetualDerivative(
            grvt_perpetual_api_key="testAPIKey",
            grvt_perpetual_private_key=TEST_KEY,
            grvt_perpetual_trading_account_id=SUB_ACCOUNT,
            trading_pairs=[self.trading_pair],
            **kwargs,
        )
        exchange.instruments[self.instrument] = load(self.instrument_json(), GrvtInstrument)
        exchange.account.QUERY_ATTEMPTS = 1  # retries of queries have tests of their own
        return exchange

    def _expected_initial_status_dict(self) -> Dict[str, bool]:
        return dict(super()._expected_initial_status_dict(), order_entry=True)

    @aioresponses()
    async def test_user_stream_balance_update(self, mock_api):
        # GRVT streams no balances: a fill refreshes them from the account summary, once per interval
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID, trade_type=TradeType.SELL)
        refreshed = asyncio.Event()
        self._configure_balance_response(self.balance_request_mock_response_for_base_and_quote, mock_api,
                                         callback=lambda *args, **kwargs: refreshed.set())
        await self.deliver(self.stream(CONSTANTS.WS_FILL_STREAM, self.fill_json(order, size="0.5")))
        await asyncio.wait_for(refreshed.wait(), 10)
        await asyncio.sleep(0.05)
        self.assertEqual(Decimal("2000"), self.exchange.available_balances[self.quote_asset])
        # the exchange's figure, not reduced by the open sell order as spot accounting would
        self.assertEqual(Decimal("10"), self.exchange.get_available_balance(self.base_asset))

    def fast_lifecycle(self, window: float = 0.3):
        settings = self.exchange.order_lifecycle.settings
        settings.uncertain_order_window_seconds = window
        settings.uncertain_order_first_check_seconds = 0.0
        settings.cancel_confirm_seconds = 0.05

    # ==============================================================================================================
    # Request validation
    # ==============================================================================================================
    @staticmethod
    def body(request_call: RequestCall) -> Dict[str, Any]:
        return json.loads(request_call.kwargs["data"])

    def validate_auth_credentials_present(self, request_call: RequestCall):
        headers = request_call.kwargs["headers"]
        self.assertEqual("gravity=test-cookie", headers["Cookie"])
        self.assertEqual("0xaccount", headers["X-Grvt-Account-Id"])

    def validate_order_creation_request(self, order: InFlightOrder, request_call: RequestCall):
        request = self.body(request_call)["order"]
        self.assertEqual(SUB_ACCOUNT, request["sub_account_id"])
        self.assertEqual(order.client_order_id, request["metadata"]["client_order_id"])
        leg = request["legs"][0]
        self.assertEqual(self.instrument, leg["instrument"])
        self.assertEqual(order.amount, Decimal(leg["size"]))
        self.assertEqual(order.trade_type is TradeType.BUY, leg["is_buying_asset"])
        self.assertEqual(order.position is PositionAction.CLOSE, request["reduce_only"])
        if order.order_type is OrderType.MARKET:
            self.assertEqual("0", leg["limit_price"])
            self.assertEqual("IMMEDIATE_OR_CANCEL", request["time_in_force"])
        else:
            self.assertEqual(order.price, Decimal(leg["limit_price"]))
            self.assertEqual("GOOD_TILL_TIME", request["time_in_force"])
            self.assertEqual(order.order_type is OrderType.LIMIT_MAKER, request["post_only"])
        self.assertEqual(self.exchange._signer.address, request["signature"]["signer"])

    def validate_order_cancelation_request(self, order: InFlightOrder, request_call: RequestCall):
        # by client id with a time-to-live: a create reaching GRVT after its cancel is dropped too
        self.assertEqual({"sub_account_id": SUB_ACCOUNT, "client_order_id": order.client_order_id,
                          "time_to_live_ms": "5000"}, self.body(request_call))

    def validate_order_status_request(self, order: InFlightOrder, request_call: RequestCall):
        # by GRVT's id once known: a client id is only unique among active orders
        known = order.exchange_order_id not in (None, "0x00")
        reference = {"order_id": order.exchange_order_id} if known else {"client_order_id": order.client_order_id}
        self.assertEqual({"sub_account_id": SUB_ACCOUNT, **reference}, self.body(request_call))

    def validate_trades_request(self, order: InFlightOrder, request_call: RequestCall):
        request = self.body(request_call)
        self.assertEqual(SUB_ACCOUNT, request["sub_account_id"])
        self.assertEqual([self.base_asset], request["base"])
        self.assertEqual([self.quote_asset], request["quote"])
        self.assertEqual(["PERPETUAL"], request["kind"])

    # ==============================================================================================================
    # Response builders
    # ==============================================================================================================
    def order_json(self, client_order_id: str, order_id: str = EXCHANGE_ORDER_ID, status: str = "OPEN",
                   traded: Any = "0", amount: Any = "1", price: Any = "10000", is_buy: bool = True,
                   reason: str = "UNSPECIFIED", update_ns: Optional[str] = None) -> Dict[str, Any]:
        return {
            "order_id": order_id, "sub_account_id": SUB_ACCOUNT, "is_market": False,
            "time_in_force": "GOOD_TILL_TIME", "post_only": False, "reduce_only": False,
            "legs": [{"instrument": self.instrument, "size": str(amount), "limit_price": str(price),
                      "is_buying_asset": is_buy}],
            "signature": {"signer": "0x1", "r": "0x2", "s": "0x3", "v": 27, "expiration": "1", "nonce": 1},
            "metadata": {"client_order_id": client_order_id, "create_time": ns(CREATION_TS)},
            "state": {"status": status, "reject_reason": reason, "book_size": [str(amount)],
                      "traded_size": [str(traded)], "update_time": update_ns or ns(CREATION_TS + 1),
                      "avg_fill_price": [str(price)]},
        }

    def order_json_for(self, order: InFlightOrder, status: str, traded: Any = "0", **kwargs) -> Dict[str, Any]:
        return self.order_json(client_order_id=order.client_order_id,
                               order_id=kwargs.pop("order_id", order.exchange_order_id or EXCHANGE_ORDER_ID),
                               status=status, traded=traded, amount=order.amount, price=order.price,
                               is_buy=order.trade_type is TradeType.BUY, **kwargs)

    def fill_json(self, order: InFlightOrder, size: Any = None, price: Any = None, fee: Any = "30",
                  trade_id: Optional[str] = None, event_seconds: float = CREATION_TS + 2,
                  order_id: Optional[str] = None) -> Dict[str, Any]:
        return {
            "event_time": ns(event_seconds), "sub_account_id": SUB_ACCOUNT, "instrument": self.instrument,
            "is_buyer": order.trade_type is TradeType.BUY, "is_taker": False,
            "size": str(size if size is not None else order.amount),
            "price": str(price if price is not None else order.price), "mark_price": "1", "index_price": "1",
            "interest_rate": "0", "forward_price": "0", "realized_pnl": "0", "fee": str(fee), "fee_rate": "0.03",
            "trade_id": trade_id or self.expected_fill_trade_id,
            "order_id": order_id or order.exchange_order_id or EXCHANGE_ORDER_ID, "venue": "ORDERBOOK",
            "is_liquidation": False, "client_order_id": order.client_order_id, "signer": "0x1",
            "broker": "UNSPECIFIED", "is_rpi": False, "builder": "0x00", "builder_fee_rate": "0",
            "builder_fee": "0", "fee_currency": self.quote_asset,
        }

    @staticmethod
    def stream(stream: str, feed: Dict[str, Any], sequence: int = 0) -> Dict[str, Any]:
        return {"stream": stream, "selector": SUB_ACCOUNT, "sequence_number": str(sequence), "feed": feed,
                "prev_sequence_number": str(max(0, sequence - 1))}

    def configure_post(self, mock_api: aioresponses, url: str, response: Any, status: int = 200,
                       callback: Optional[Callable] = None, repeat: bool = False) -> str:
        mock_api.post(url, body=json.dumps(response), status=status, callback=callback, repeat=repeat)
        return url

    # ==============================================================================================================
    # Mock configuration required by the shared suite
    # ==============================================================================================================
    def configure_all_symbols_response(self, mock_api, callback=lambda *args, **kwargs: None) -> List[str]:
        return [self.configure_post(mock_api, self.all_symbols_url, self.all_symbols_request_mock_response,
                                    callback=callback)]

    def configure_trading_rules_response(self, mock_api, callback=lambda *args, **kwargs: None) -> List[str]:
        return [self.configure_post(mock_api, self.trading_rules_url, self.trading_rules_request_mock_response,
                                    callback=callback)]

    def configure_erroneous_trading_rules_response(self, mock_api, callback=lambda *args, **kwargs: None):
        return [self.configure_post(mock_api, self.trading_rules_url,
                                    self.trading_rules_request_erroneous_mock_response, callback=callback)]

    def _configure_balance_response(self, response, mock_api, callback=lambda *args, **kwargs: None) -> str:
        return self.configure_post(mock_api, self.balance_url, response, callback=callback)

    def configure_successful_cancelation_response(self, order, mock_api, callback=lambda *args, **kwargs: None):
        return self.configure_post(mock_api, self.cancel_url, {"result": {"ack": True}}, callback=callback)

    def configure_erroneous_cancelation_response(self, order, mock_api, callback=lambda *args, **kwargs: None):
        return self.configure_post(
            mock_api, self.cancel_url, {"code": 1003, "message": "Request could not be processed", "status": 400},
            status=400, callback=callback)

    def configure_order_not_found_error_cancelation_response(self, order, mock_api,
                                                             callback=lambda *args, **kwargs: None):
        return self.configure_post(mock_api, self.cancel_url,
                                   {"code": 1004, "message": "Data Not Found", "status": 404},
                                   status=404, callback=callback)

    def configure_one_successful_one_erroneous_cancel_all_response(self, successful_order, erroneous_order,
                                                                   mock_api) -> List[str]:
        cancel_all_url = web_utils.private_rest_url(CONSTANTS.CANCEL_ALL_ORDERS_PATH_URL)
        self.configure_post(mock_api, cancel_all_url, {"code": 1002, "message": "Internal Server Error",
                                                       "status": 500}, status=500)

        def cancel_callback(url, **kwargs):
            if json.loads(kwargs["data"])["client_order_id"] == successful_order.client_order_id:
                return CallbackResult(status=200, body=json.dumps({"result": {"ack": True}}))
            return CallbackResult(status=400, body=json.dumps({"code": 1003, "message": "Bad", "status": 400}))

        mock_api.post(self.cancel_url, callback=cancel_callback, repeat=True)
        return [cancel_all_url, self.cancel_url]

    def configure_completely_filled_order_status_response(self, order, mock_api,
                                                          callback=lambda *args, **kwargs: None) -> List[str]:
        return [self.configure_post(mock_api, self.order_status_url,
                                    {"result": self.order_json_for(order, "FILLED", traded=order.amount)},
                                    callback=callback)]

    def configure_canceled_order_status_response(self, order, mock_api, callback=lambda *args, **kwargs: None):
        return [self.configure_post(mock_api, self.order_status_url,
                                    {"result": self.order_json_for(order, "CANCELLED", reason="CLIENT_CANCEL")},
                                    callback=callback)]

    def configure_open_order_status_response(self, order, mock_api, callback=lambda *args, **kwargs: None):
        return [self.configure_post(mock_api, self.order_status_url, {"result": self.order_json_for(order, "OPEN")},
                                    callback=callback)]

    def configure_http_error_order_status_response(self, order, mock_api, callback=lambda *args, **kwargs: None):
        return self.configure_post(mock_api, self.order_status_url,
                                   {"code": 1004, "message": "Data Not Found", "status": 404}, status=404,
                                   callback=callback)

    def configure_partially_filled_order_status_response(self, order, mock_api,
                                                         callback=lambda *args, **kwargs: None):
        return self.configure_post(
            mock_api, self.order_status_url,
            {"result": self.order_json_for(order, "OPEN", traded=self.expected_partial_fill_amount)},
            callback=callback)

    def configure_order_not_found_error_order_status_response(self, order, mock_api,
                                                              callback=lambda *args, **kwargs: None) -> List[str]:
        return [self.configure_http_error_order_status_response(order, mock_api, callback)]

    def configure_partial_fill_trade_response(self, order, mock_api, callback=lambda *args, **kwargs: None):
        fill = self.fill_json(order, size=self.expected_partial_fill_amount, price=self.expected_partial_fill_price)
        return self.configure_post(mock_api, self.fill_history_url, {"result": [fill], "next": ""},
                                   callback=callback)

    def configure_erroneous_http_fill_trade_response(self, order, mock_api, callback=lambda *args, **kwargs: None):
        return self.configure_post(mock_api, self.fill_history_url,
                                   {"code": 1002, "message": "Internal Server Error", "status": 500},
                                   status=500, callback=callback)

    def configure_full_fill_trade_response(self, order, mock_api, callback=lambda *args, **kwargs: None):
        return self.configure_post(mock_api, self.fill_history_url, {"result": [self.fill_json(order)], "next": ""},
                                   callback=callback)

    def state_feed(self, order: InFlightOrder, status: str, traded: Any = "0", **kwargs) -> Dict[str, Any]:
        order_json = self.order_json_for(order, status, traded=traded, **kwargs)
        return self.stream(CONSTANTS.WS_ORDER_STATE_STREAM, {
            "order_id": order_json["order_id"], "client_order_id": order.client_order_id,
            "order_state": order_json["state"]})

    def order_event_for_new_order_websocket_update(self, order: InFlightOrder):
        return self.state_feed(order, "OPEN")

    def order_event_for_canceled_order_websocket_update(self, order: InFlightOrder):
        return self.stream(CONSTANTS.WS_ORDER_STATE_STREAM, {
            "order_id": order.exchange_order_id, "client_order_id": order.client_order_id,
            "order_state": self.order_json_for(order, "CANCELLED", reason="CLIENT_CANCEL")["state"]})

    def order_event_for_full_fill_websocket_update(self, order: InFlightOrder):
        return self.state_feed(order, "FILLED", traded=order.amount)

    def trade_event_for_full_fill_websocket_update(self, order: InFlightOrder):
        return self.stream(CONSTANTS.WS_FILL_STREAM, self.fill_json(order))

    def position_event_for_full_fill_websocket_update(self, order: InFlightOrder, unrealized_pnl: float):
        size = order.amount if order.trade_type is TradeType.BUY else -order.amount
        return self.stream(CONSTANTS.WS_POSITION_STREAM, {
            "event_time": ns(CREATION_TS + 3), "sub_account_id": SUB_ACCOUNT, "instrument": self.instrument,
            "size": str(size), "notional": "1", "entry_price": str(order.price), "exit_price": "0",
            "mark_price": str(order.price), "unrealized_pnl": str(unrealized_pnl), "realized_pnl": "0",
            "total_pnl": "0", "roi": "0", "quote_index_price": "1", "est_liquidation_price": "0",
            "leverage": str(order.leverage), "cumulative_fee": "0", "cumulative_realized_funding_payment": "0",
            "margin_type": "CROSS"})

    def funding_info_event_for_websocket_update(self):
        return self.stream(CONSTANTS.WS_TICKER_SNAPSHOT_STREAM, dict(
            self.funding_info_mock_response["result"],
            index_price=str(self.target_funding_info_index_price_ws_updated),
            mark_price=str(self.target_funding_info_mark_price_ws_updated),
            funding_rate=str(self.target_funding_info_rate_ws_updated * 100),
            next_funding_time=str(self.target_funding_info_next_funding_utc_timestamp_ws_updated * NS)))

    def configure_successful_set_position_mode(self, position_mode, mock_api, callback=lambda *args, **kwargs: None):
        """GRVT has no position mode endpoint: one-way is the only mode."""

    def configure_failed_set_position_mode(self, position_mode, mock_api, callback=lambda *args, **kwargs: None):
        return "", "GRVT supports the one-way position mode only."

    def configure_failed_set_leverage(self, leverage, mock_api, callback=lambda *args, **kwargs: None):
        url = web_utils.private_rest_url(CONSTANTS.SET_INITIAL_LEVERAGE_PATH_URL)
        self.configure_post(mock_api, url, {"code": 2108, "message": "Attempted to set leverage above maximum",
                                            "status": 400}, status=400, callback=callback)
        return url, (f"GRVT error 2108 on {CONSTANTS.SET_INITIAL_LEVERAGE_PATH_URL}, HTTP 400: Attempted to set "
                     f"leverage above maximum (leverage above the instrument maximum)")

    def configure_successful_set_leverage(self, leverage, mock_api, callback=lambda *args, **kwargs: None):
        url = web_utils.private_rest_url(CONSTANTS.SET_INITIAL_LEVERAGE_PATH_URL)
        self.configure_post(mock_api, url, {"success": True}, callback=callback)
        return url

    def _simulate_trading_rules_initialized(self):
        super()._simulate_trading_rules_initialized()
        self.exchange.instruments[self.instrument] = load(self.instrument_json(), GrvtInstrument)

    def test_get_buy_and_sell_collateral_tokens(self):
        self._simulate_trading_rules_initialized()
        self.assertEqual(self.quote_asset, self.exchange.get_buy_collateral_token(self.trading_pair))
        self.assertEqual(self.quote_asset, self.exchange.get_sell_collateral_token(self.trading_pair))
        self.assertEqual("USDT", self.exchange.get_buy_collateral_token("ETH-USDT"))

    # ==============================================================================================================
    # Shared tests that hard-code GET requests: GRVT routes are POST
    # ==============================================================================================================
    @aioresponses()
    async def test_invalid_trading_pair_not_in_all_trading_pairs(self, mock_api):
        self.exchange._set_trading_pair_symbol_map(None)
        invalid_pair, response = self.all_symbols_including_invalid_pair_mock_response
        self.configure_post(mock_api, self.all_symbols_url, response)

        all_trading_pairs = await self.exchange.all_trading_pairs()

        self.assertNotIn(invalid_pair, all_trading_pairs)
        self.assertIn(self.trading_pair, all_trading_pairs)

    @aioresponses()
    async def test_get_last_trade_prices(self, mock_api):
        self.configure_post(mock_api, self.latest_prices_url, self.latest_prices_request_mock_response)

        latest_prices = await self.exchange.get_last_traded_prices(trading_pairs=[self.trading_pair])

        self.assertEqual({self.trading_pair: self.expected_latest_price}, latest_prices)

    @aioresponses()
    async def test_check_network_success(self, mock_api):
        self.configure_post(mock_api, self.network_status_url, self.network_status_request_successful_mock_response)
        self.assertEqual("CONNECTED", (await self.exchange.check_network()).name)

    @aioresponses()
    async def test_check_network_failure(self, mock_api):
        self.configure_post(mock_api, self.network_status_url, {}, status=500)
        self.assertEqual("NOT_CONNECTED", (await self.exchange.check_network()).name)

    @aioresponses()
    async def test_check_network_raises_cancel_exception(self, mock_api):
        mock_api.post(self.network_status_url, exception=asyncio.CancelledError)
        with self.assertRaises(asyncio.CancelledError):
            await self.exchange.check_network()

    @aioresponses()
    def test_listen_for_funding_info_update_initializes_funding_info(self, mock_api):
        self.configure_post(mock_api, self.funding_info_url, self.funding_info_mock_response)
        with patch.object(self.exchange._orderbook_ds, "listen_for_funding_info",
                          new_callable=AsyncMock, side_effect=asyncio.CancelledError):
            try:
                self.async_run_with_timeout(self.exchange._listen_for_funding_info())
            except asyncio.CancelledError:
                pass

        funding_info: FundingInfo = self.exchange.get_funding_info(self.trading_pair)
        self.assertEqual(self.trading_pair, funding_info.trading_pair)
        self.assertEqual(self.target_funding_info_index_price, funding_info.index_price)
        self.assertEqual(self.target_funding_info_mark_price, funding_info.mark_price)
        self.assertEqual(self.target_funding_info_next_funding_utc_timestamp,
                         funding_info.next_funding_utc_timestamp)
        self.assertEqual(self.target_funding_info_rate, funding_info.rate)

    @aioresponses()
    def test_funding_info_is_initialized_although_the_first_ticker_read_fails(self, mock_api):
        # one failed read at start-up must not end the funding listener (the connector would never be ready)
        self.configure_post(mock_api, self.funding_info_url, {"code": 1009, "message": "unavailable", "status": 503},
                            status=503)
        self.configure_post(mock_api, self.funding_info_url, self.funding_info_mock_response)
        with patch.object(self.exchange._orderbook_ds, "listen_for_funding_info",
                          new_callable=AsyncMock, side_effect=asyncio.CancelledError), \
                patch.object(self.exchange, "_sleep", new_callable=AsyncMock):
            try:
                self.async_run_with_timeout(self.exchange._listen_for_funding_info())
            except asyncio.CancelledError:
                pass

        self.assertTrue(self.exchange._perpetual_trading.is_funding_info_initialized())
        self.assertEqual(self.target_funding_info_rate, self.exchange.get_funding_info(self.trading_pair).rate)

    @aioresponses()
    def test_listen_for_funding_info_update_updates_funding_info(self, mock_api):
        self.configure_post(mock_api, self.funding_info_url, self.funding_info_mock_response)
        data_source = self.exchange._orderbook_ds
        data_source._instrument_to_pair[self.instrument] = self.trading_pair  # as subscribing the pair records it
        data_source._on_frame(json.dumps(self.funding_info_event_for_websocket_update()))  # as read from the socket

        async def run():
            task = asyncio.create_task(self.exchange._listen_for_funding_info())
            while self.exchange._perpetual_trading.funding_info_stream.qsize() < 1:
                await asyncio.sleep(0.01)
            task.cancel()

        self.async_run_with_timeout(run())
        self.assertEqual(1, self.exchange._perpetual_trading.funding_info_stream.qsize())

    @aioresponses()
    async def test_funding_payment_polling_loop_sends_update_event(self, mock_api):
        self._simulate_trading_rules_initialized()
        request_sent_event = asyncio.Event()
        rate_url = web_utils.public_rest_url(CONSTANTS.FUNDING_RATE_PATH_URL)
        self.configure_post(mock_api, rate_url, {"result": [{
            "instrument": self.instrument, "funding_rate": str(self.target_funding_payment_funding_rate * 100),
            "funding_time": ns(self.target_funding_payment_timestamp)}]}, repeat=True)
        self.configure_post(mock_api, self.funding_payment_url, self.empty_funding_payment_mock_response,
                            callback=lambda *args, **kwargs: request_sent_event.set())
        task = asyncio.create_task(self.exchange._funding_payment_polling_loop())
        self.async_tasks.append(task)
        await request_sent_event.wait()
        await asyncio.sleep(0.05)
        self.assertEqual(0, len(self.funding_payment_logger.event_log))

        self.configure_post(mock_api, self.funding_payment_url, self.funding_payment_mock_response, repeat=True,
                            callback=lambda *args, **kwargs: request_sent_event.set())
        for _ in range(2):
            request_sent_event.clear()
            self.exchange._funding_fee_poll_notifier.set()
            await request_sent_event.wait()
            await asyncio.sleep(0.05)

        self.assertEqual(1, len(self.funding_payment_logger.event_log))
        funding_event: FundingPaymentCompletedEvent = self.funding_payment_logger.event_log[0]
        self.assertEqual(self.target_funding_payment_timestamp, funding_event.timestamp)
        self.assertEqual(self.exchange.name, funding_event.market)
        self.assertEqual(self.trading_pair, funding_event.trading_pair)
        self.assertEqual(self.target_funding_payment_payment_amount, funding_event.amount)
        self.assertEqual(self.target_funding_payment_funding_rate, funding_event.funding_rate)

    def test_set_position_mode_success(self):
        self.exchange.set_position_mode(PositionMode.ONEWAY)
        self.async_run_with_timeout(asyncio.sleep(0.05))

        self.assertTrue(self.is_logged("INFO", f"Position mode already set to {PositionMode.ONEWAY} on exchange."))
        self.assertEqual(1, len(self.position_mode_logger.event_log))
        self.assertEqual(PositionMode.ONEWAY, self.exchange.position_mode)

    def test_set_position_mode_failure(self):
        self.exchange.set_position_mode(PositionMode.HEDGE)
        self.async_run_with_timeout(asyncio.sleep(0.05))

        self.assertTrue(self.is_logged("ERROR", f"Position mode {PositionMode.HEDGE} is not supported. Mode not set."))
        self.assertEqual(0, len(self.position_mode_logger.event_log))
        self.assertEqual(PositionMode.ONEWAY, self.exchange.position_mode)

    # ==============================================================================================================
    # Helpers for the GRVT-specific tests
    # ==============================================================================================================
    def track(self, client_order_id: str = "9223372036854775901", exchange_order_id: Optional[str] = None,
              trade_type: TradeType = TradeType.BUY, amount: str = "1", price: str = "10000",
              position_action: PositionAction = PositionAction.OPEN) -> InFlightOrder:
        self.exchange._set_current_timestamp(CREATION_TS)
        self.exchange.start_tracking_order(
            order_id=client_order_id, exchange_order_id=exchange_order_id, trading_pair=self.trading_pair,
            trade_type=trade_type, price=Decimal(price), amount=Decimal(amount), order_type=OrderType.LIMIT,
            position_action=position_action)
        return self.exchange.in_flight_orders[client_order_id]

    async def deliver(self, *messages: Any):
        mock_queue = AsyncMock()
        mock_queue.get.side_effect = list(messages) + [asyncio.CancelledError]
        self.exchange._user_stream_tracker._user_stream = mock_queue
        try:
            await self.exchange._user_stream_event_listener()
        except asyncio.CancelledError:
            pass
        await asyncio.sleep(0.05)

    def state_event(self, order: InFlightOrder, status: str, traded: Any = "0", order_id: str = EXCHANGE_ORDER_ID,
                    reason: str = "UNSPECIFIED", update_seconds: float = CREATION_TS + 1, sequence: int = 0):
        return self.stream(CONSTANTS.WS_ORDER_STATE_STREAM, {
            "order_id": order_id, "client_order_id": order.client_order_id,
            "order_state": {"status": status, "reject_reason": reason, "book_size": [str(order.amount)],
                            "traded_size": [str(traded)], "update_time": ns(update_seconds),
                            "avg_fill_price": [str(order.price)]}}, sequence)

    async def place(self, mock_api, order_type: OrderType = OrderType.LIMIT, position_action=PositionAction.OPEN,
                    response: Any = None, status: int = 200, trade_type: TradeType = TradeType.BUY,
                    amount: Decimal = Decimal("1"), price: Decimal = Decimal("10000"), **kwargs) -> str:
        self._simulate_trading_rules_initialized()
        self.exchange._set_current_timestamp(CREATION_TS)
        sent = asyncio.Event()
        if response is None:
            response = {"result": self.order_json("x", order_id="0x00", status="PENDING")}
        self.configure_post(mock_api, self.order_creation_url, response, status=status,
                            callback=lambda *args, **kw: sent.set())
        method = self.exchange.buy if trade_type is TradeType.BUY else self.exchange.sell
        order_id = method(trading_pair=self.trading_pair, amount=amount, order_type=order_type, price=price,
                          position_action=position_action, **kwargs)
        await asyncio.wait_for(sent.wait(), 10)
        await asyncio.sleep(0.05)
        return order_id

    def created_order_request(self, mock_api) -> Dict[str, Any]:
        return self.body(self._all_executed_requests(mock_api, self.order_creation_url)[-1])["order"]

    def is_logged_containing(self, level: str, fragment: str) -> bool:
        return any(record.levelname == level and fragment in record.getMessage() for record in self.log_records)

    def failure_messages(self) -> List[str]:
        return [event.error_message for event in self.order_failure_logger.event_log]

    # ==============================================================================================================
    # Client order ids and the exchange order id
    # ==============================================================================================================
    def test_client_order_ids_are_unique_uint64_in_the_api_client_range(self):
        ids = [self.exchange._new_client_order_id() for _ in range(500)]
        self.assertEqual(len(ids), len(set(ids)))
        for client_order_id in ids:
            self.assertTrue(client_order_id.isdigit())
            self.assertTrue(CONSTANTS.CLIENT_ORDER_ID_MIN <= int(client_order_id) < 1 << 64)

    @aioresponses()
    async def test_create_answer_with_placeholder_id_leaves_the_exchange_id_unset(self, mock_api):
        order_id = await self.place(mock_api)
        order = self.exchange.in_flight_orders[order_id]

        self.assertTrue(order.is_open)
        self.assertIsNone(order.exchange_order_id)
        self.assertEqual(1, len(self.buy_order_created_logger.event_log))
        self.assertIsNone(self.buy_order_created_logger.event_log[0].exchange_order_id)

    @aioresponses()
    async def test_real_exchange_id_from_the_stream_replaces_the_placeholder_without_a_second_open(self, mock_api):
        order_id = await self.place(mock_api)
        order = self.exchange.in_flight_orders[order_id]

        await self.deliver(self.state_feed(order, "OPEN"))

        self.assertEqual(EXCHANGE_ORDER_ID, order.exchange_order_id)
        self.assertEqual(1, len(self.buy_order_created_logger.event_log))
        self.assertEqual(1, self.exchange.order_metrics.summary()["ack_to_open_ms"]["count"])

    async def test_real_exchange_id_from_v1_state(self):
        order = self.track()
        await self.deliver(self.state_event(order, "OPEN", order_id="0x0102"))
        self.assertEqual("0x0102", order.exchange_order_id)

    async def test_order_restored_with_placeholder_id_learns_the_real_id(self):
        order = self.track(exchange_order_id="0x00")
        await self.deliver(self.state_event(order, "OPEN"))
        self.assertEqual(EXCHANGE_ORDER_ID, order.exchange_order_id)

    async def test_order_found_by_exchange_id_when_the_feed_has_no_client_id(self):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        event = self.state_event(order, "CANCELLED", reason="CLIENT_CANCEL")
        event["feed"]["client_order_id"] = ""
        await self.deliver(event)
        self.assertTrue(order.is_cancelled)

    async def test_events_of_unknown_orders_are_ignored(self):
        order = self.track()
        other = InFlightOrder("9223372036854779999", self.trading_pair, OrderType.LIMIT, TradeType.BUY,
                              Decimal("1"), CREATION_TS, Decimal("1"))
        await self.deliver(self.state_event(other, "FILLED", order_id="0x09"))
        self.assertTrue(order.is_open)
        self.assertEqual(0, len(self.buy_order_completed_logger.event_log))

    # ==============================================================================================================
    # Order requests
    # ==============================================================================================================
    @aioresponses()
    async def test_limit_maker_order_is_post_only(self, mock_api):
        await self.place(mock_api, order_type=OrderType.LIMIT_MAKER)
        request = self.created_order_request(mock_api)
        self.assertTrue(request["post_only"])
        self.assertEqual("GOOD_TILL_TIME", request["time_in_force"])
        self.assertFalse(request["is_market"])

    @aioresponses()
    async def test_market_order_is_ioc_with_zero_price(self, mock_api):
        with patch.object(GrvtPerpetualDerivative, "get_price", return_value=Decimal("10000")):
            await self.place(mock_api, order_type=OrderType.MARKET, price=Decimal("NaN"), trade_type=TradeType.SELL)
        request = self.created_order_request(mock_api)
        self.assertTrue(request["is_market"])
        self.assertEqual("IMMEDIATE_OR_CANCEL", request["time_in_force"])
        self.assertEqual("0", request["legs"][0]["limit_price"])
        self.assertFalse(request["legs"][0]["is_buying_asset"])

    @aioresponses()
    async def test_close_orders_are_reduce_only(self, mock_api):
        await self.place(mock_api, position_action=PositionAction.CLOSE, trade_type=TradeType.SELL)
        self.assertTrue(self.created_order_request(mock_api)["reduce_only"])

    @aioresponses()
    async def test_signature_lifetime_defaults_to_minutes_and_can_be_set_per_order(self, mock_api):
        now = time.time()
        await self.place(mock_api)
        expiration = int(self.created_order_request(mock_api)["signature"]["expiration"]) / NS
        self.assertAlmostEqual(now + CONSTANTS.DEFAULT_QUOTE_EXPIRY_SECONDS, expiration, delta=30)

        await self.place(mock_api, expiration_seconds=86_400)
        expiration = int(self.created_order_request(mock_api)["signature"]["expiration"]) / NS
        self.assertAlmostEqual(now + 86_400, expiration, delta=30)

    def test_signature_lifetime_is_configurable(self):
        exchange = self.create_exchange_instance(grvt_perpetual_order_expiry_seconds=120)
        self.assertEqual(120, exchange.order_factory.expiry_seconds)
        with patch.dict(os.environ, {"GRVT_PERPETUAL_QUOTE_EXPIRY_SECONDS": "300"}):
            self.assertEqual(300, self.create_exchange_instance().order_factory.expiry_seconds)

    async def test_order_on_an_unknown_instrument_fails_clearly(self):
        self._simulate_trading_rules_initialized()
        self.exchange._initialize_trading_pair_symbols_from_exchange_info([])  # GRVT stopped listing it
        self.exchange._set_current_timestamp(CREATION_TS)
        order_id = self.exchange.buy(self.trading_pair, Decimal("1"), OrderType.LIMIT, Decimal("10000"),
                                     position_action=PositionAction.OPEN)
        await asyncio.wait_for(self._wait_for(lambda: self.order_failure_logger.event_log), 10)

        self.assertNotIn(order_id, self.exchange.in_flight_orders)
        self.assertIn(f"GRVT lists no active perpetual for {self.trading_pair}", self.failure_messages()[0])

    # ==============================================================================================================
    # Rejects and failures
    # ==============================================================================================================
    @aioresponses()
    async def test_synchronous_reject_fails_the_order_with_the_exchange_message(self, mock_api):
        order_id = await self.place(mock_api, status=400, response={
            "code": 2062, "message": "Order size smaller than min size", "status": 400})

        self.assertNotIn(order_id, self.exchange.in_flight_orders)
        self.assertEqual(
            [f"GRVT error 2062 on {CONSTANTS.CREATE_ORDER_PATH_URL}, HTTP 400: Order size smaller than min size "
             f"(order size below the instrument's min_size)"], self.failure_messages())

    @aioresponses()
    async def test_reduce_only_without_position_fails_and_is_not_cancelled(self, mock_api):
        order_id = await self.place(mock_api, position_action=PositionAction.CLOSE, status=400, response={
            "code": 2400, "message": "Reduce only order with no position", "status": 400})

        self.assertNotIn(order_id, self.exchange.in_flight_orders)
        self.assertEqual(0, len(self.order_cancelled_logger.event_log))
        self.assertEqual(1, len(self.order_failure_logger.event_log))
        self.assertIn("2400", self.failure_messages()[0])
        self.assertIn("no position to reduce", self.failure_messages()[0])

    @aioresponses()
    async def test_create_answer_in_state_rejected_fails_the_order(self, mock_api):
        order_id = await self.place(mock_api, response={"result": self.order_json(
            "x", order_id="0x00", status="REJECTED", reason="FAIL_POST_ONLY")})

        self.assertNotIn(order_id, self.exchange.in_flight_orders)
        self.assertEqual(["GRVT rejected the order (FAIL_POST_ONLY)"], self.failure_messages())

    async def test_asynchronous_reject_on_the_stream_fails_the_order(self):
        order = self.track()
        await self.deliver(self.state_event(order, "REJECTED", reason="FAIL_POST_ONLY"))

        self.assertTrue(order.is_failure)
        self.assertEqual(["GRVT rejected the order (FAIL_POST_ONLY)"], self.failure_messages())
        self.assertNotIn(order.client_order_id, self.exchange.in_flight_orders)

    @aioresponses()
    async def test_uncertain_create_is_resolved_by_a_status_lookup(self, mock_api):
        self.fast_lifecycle()

        def status_callback(url, **kwargs):
            client_id = json.loads(kwargs["data"])["client_order_id"]
            return CallbackResult(status=200, body=json.dumps({"result": self.order_json(client_id, status="OPEN")}))

        mock_api.post(self.order_status_url, callback=status_callback)
        order_id = await self.place(mock_api, status=502, response={"code": 1002, "message": "Internal Server Error",
                                                                    "status": 500})
        await asyncio.sleep(0.1)

        order = self.exchange.in_flight_orders[order_id]
        self.assertEqual(0, len(self.order_failure_logger.event_log))
        self.assertTrue(order.is_open)
        self.assertEqual(EXCHANGE_ORDER_ID, order.exchange_order_id)
        self.assertTrue(self.is_logged_containing("WARNING", f"The outcome of order {order_id}"))

    @aioresponses()
    async def test_uncertain_create_never_seen_within_the_window_fails_after_a_guard_cancel(self, mock_api):
        self.fast_lifecycle(window=0.3)
        self.configure_post(mock_api, self.order_status_url, {"code": 1004, "message": "Data Not Found",
                                                              "status": 404}, status=404, repeat=True)
        self.configure_successful_cancelation_response(None, mock_api)
        order_id = await self.place(mock_api, status=200, response={})
        self.assertIn(order_id, self.exchange.in_flight_orders)  # `{}` is not a failure: GRVT may hold the order

        await asyncio.wait_for(self.order_failure_received(order_id), 10)

        self.assertNotIn(order_id, self.exchange.in_flight_orders)
        self.assertIn("GRVT never received the order", self.failure_messages()[0])
        self.assertGreaterEqual(len(self._all_executed_requests(mock_api, self.order_status_url)), 2)
        guard = self.body(self._all_executed_requests(mock_api, self.cancel_url)[0])
        self.assertEqual({"sub_account_id": SUB_ACCOUNT, "client_order_id": order_id, "time_to_live_ms": "5000"},
                         guard)

    async def place_uncertain_order_shown_during_its_guard_cancel(self, mock_api, guard_acknowledged: bool) -> str:
        """An order whose create outcome is unknown, that GRVT never shows to the lookups, reported open by v1.state
        while the lifecycle's last guard cancel is on its way (the create arrived late)."""
        self.fast_lifecycle(window=0.3)
        self.configure_post(mock_api, self.order_status_url, {"code": 1004, "message": "Data Not Found",
                                                              "status": 404}, status=404, repeat=True)
        cancelled = asyncio.Event()

        def guard_cancel(url, **kwargs):
            client_id = json.loads(kwargs["data"])["client_order_id"]
            self.exchange.order_lifecycle.on_order_report(client_id, EXCHANGE_ORDER_ID, load(
                self.order_json(client_id)["state"], GrvtOrderState))
            cancelled.set()

        configure = self.configure_successful_cancelation_response if guard_acknowledged else \
            self.configure_erroneous_cancelation_response
        configure(None, mock_api, callback=guard_cancel)
        order_id = await self.place(mock_api, status=200, response={})
        await asyncio.wait_for(cancelled.wait(), 10)
        await self.lookup_concluded(order_id)
        return order_id

    @aioresponses()
    async def test_uncertain_create_that_shows_up_during_its_guard_cancel_is_not_failed(self, mock_api):
        order_id = await self.place_uncertain_order_shown_during_its_guard_cancel(mock_api, guard_acknowledged=True)

        order = self.exchange.in_flight_orders[order_id]
        self.assertEqual([], self.order_failure_logger.event_log)
        self.assertTrue(order.is_pending_cancel_confirmation)  # the guard cancel was acknowledged: GRVT cancels it
        await self.deliver(self.state_event(order, "CANCELLED", reason="CLIENT_CANCEL", update_seconds=CREATION_TS + 5))
        self.assertEqual(1, len(self.order_cancelled_logger.event_log))
        self.assertEqual([], self.order_failure_logger.event_log)

    @aioresponses()
    async def test_uncertain_create_that_shows_up_while_its_guard_cancel_fails_stays_tracked(self, mock_api):
        order_id = await self.place_uncertain_order_shown_during_its_guard_cancel(mock_api, guard_acknowledged=False)

        # the order rests on GRVT: it must stay tracked as open, not be failed (and left resting untracked)
        self.assertEqual([], self.order_failure_logger.event_log)
        self.assertTrue(self.exchange.in_flight_orders[order_id].is_open)

    async def lookup_concluded(self, order_id: str):
        """Waits until the lifecycle stops looking up an order whose create outcome was unknown, then lets the
        tracker apply the updates that decision queued."""
        await self.wait_until(lambda: order_id not in self.exchange.order_lifecycle._uncertain)
        await self.loop_turns()

    @staticmethod
    async def wait_until(condition: Callable[[], Any], timeout: float = 10.0):
        """Polls `condition` until it holds or `timeout` passes; the assertions after it decide."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)

    @staticmethod
    async def loop_turns(turns: int = 10):
        """Lets callbacks already scheduled run (the tracker applies updates in tasks of their own): a count of loop
        turns, not an amount of time."""
        for _ in range(turns):
            await asyncio.sleep(0)

    async def order_failure_received(self, order_id: str):
        while not any(event.order_id == order_id for event in self.order_failure_logger.event_log):
            await asyncio.sleep(0.01)

    @aioresponses()
    async def test_uncertain_create_that_was_cancelled_meanwhile_is_still_resolved(self, mock_api):
        self.fast_lifecycle(window=5)
        calls = []

        def status_callback(url, **kwargs):
            calls.append(1)
            client_id = json.loads(kwargs["data"])["client_order_id"]
            if len(calls) < 3:
                return CallbackResult(status=404, body=json.dumps({"code": 1004, "message": "Data Not Found"}))
            return CallbackResult(status=200, body=json.dumps(
                {"result": self.order_json(client_id, status="CANCELLED", reason="CLIENT_CANCEL")}))

        mock_api.post(self.order_status_url, callback=status_callback, repeat=True)
        self.configure_successful_cancelation_response(None, mock_api)
        order_id = await self.place(mock_api, status=503, response={})
        await self.exchange._execute_cancel(self.trading_pair, order_id)

        while order_id in self.exchange.in_flight_orders:
            await asyncio.sleep(0.01)
        self.assertEqual(1, len(self.order_cancelled_logger.event_log))
        self.assertEqual(0, len(self.order_failure_logger.event_log))

    # ==============================================================================================================
    # Order state transitions from the streams
    # ==============================================================================================================
    @aioresponses()
    async def test_full_lifecycle_pending_open_partially_filled_filled(self, mock_api):
        order_id = await self.place(mock_api, amount=Decimal("1"))
        order = self.exchange.in_flight_orders[order_id]
        self.assertEqual("OPEN", order.current_state.name)

        await self.deliver(
            self.state_event(order, "OPEN", traded="0.4", update_seconds=CREATION_TS + 2, sequence=2),
            self.stream(CONSTANTS.WS_FILL_STREAM, self.fill_json(order, size="0.4", trade_id="1-1"), 1))
        self.assertEqual("PARTIALLY_FILLED", order.current_state.name)
        self.assertEqual(Decimal("0.4"), order.executed_amount_base)

        await self.deliver(
            self.stream(CONSTANTS.WS_FILL_STREAM, self.fill_json(order, size="0.6", trade_id="2-1"), 2),
            self.state_event(order, "FILLED", traded="1", update_seconds=CREATION_TS + 3, sequence=3))

        self.assertTrue(order.is_filled)
        self.assertEqual(2, len(self.order_filled_logger.event_log))
        self.assertEqual(1, len(self.buy_order_completed_logger.event_log))
        self.assertNotIn(order_id, self.exchange.in_flight_orders)

    @aioresponses()
    async def test_cancel_stays_pending_until_the_stream_confirms(self, mock_api):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        self.configure_successful_cancelation_response(order, mock_api)

        await self.exchange._execute_cancel(self.trading_pair, order.client_order_id)
        await asyncio.sleep(0.01)
        self.assertTrue(order.is_pending_cancel_confirmation)
        self.assertEqual(0, len(self.order_cancelled_logger.event_log))

        await self.deliver(self.state_event(order, "CANCELLED", reason="CLIENT_CANCEL", update_seconds=CREATION_TS + 5))
        self.assertTrue(order.is_cancelled)
        self.assertEqual(1, len(self.order_cancelled_logger.event_log))

    async def cancelling_order(self) -> InFlightOrder:
        """An order whose cancel GRVT acknowledged, with a fast lifecycle."""
        self.fast_lifecycle()
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        self.exchange.order_lifecycle.issue(order, OrderState.PENDING_CANCEL)
        await asyncio.sleep(0)
        return order

    async def cancelling_order_grvt_shows_open(self, mock_api) -> Tuple[InFlightOrder, asyncio.Event]:
        """An order being cancelled that GRVT's status lookup shows open; the event is set by its next cancel."""
        order = await self.cancelling_order()
        recancelled = asyncio.Event()
        self.configure_post(mock_api, self.order_status_url, {"result": self.order_json_for(order, "OPEN")})
        self.configure_successful_cancelation_response(order, mock_api, callback=lambda *a, **k: recancelled.set())
        return order, recancelled

    @aioresponses()
    async def test_open_report_while_cancelling_keeps_the_order_pending_and_cancels_it_again(self, mock_api):
        order, recancelled = await self.cancelling_order_grvt_shows_open(mock_api)

        await self.deliver(self.state_event(order, "OPEN", traded="0.2", update_seconds=CREATION_TS + 2))

        self.assertTrue(order.is_pending_cancel_confirmation)
        await asyncio.wait_for(recancelled.wait(), 10)
        self.validate_order_cancelation_request(order, self._all_executed_requests(mock_api, self.cancel_url)[0])

    @aioresponses()
    async def test_an_expired_cancel_notice_checks_the_order_and_cancels_it_again(self, mock_api):
        order, recancelled = await self.cancelling_order_grvt_shows_open(mock_api)

        await self.deliver(self.stream(CONSTANTS.WS_CANCEL_STREAM, {
            "sub_account_id": SUB_ACCOUNT, "client_order_id": order.client_order_id, "order_id": EXCHANGE_ORDER_ID,
            "reason": "UNSPECIFIED", "update_time": "1", "cancel_status": "EXPIRED"}))

        await asyncio.wait_for(recancelled.wait(), 10)
        self.assertTrue(order.is_pending_cancel_confirmation)
        self.assertTrue(self.is_logged_containing("INFO", "again: its cancel expired without finding it"))

    @aioresponses()
    async def test_a_status_answer_without_a_state_leaves_the_cancel_watch_checking(self, mock_api):
        order = await self.cancelling_order()
        stateless = self.order_json_for(order, "OPEN")
        del stateless["state"]
        self.configure_post(mock_api, self.order_status_url, {"result": stateless})
        self.configure_post(mock_api, self.order_status_url, {"result": self.order_json_for(order, "OPEN")})
        recancelled = asyncio.Event()
        self.configure_successful_cancelation_response(order, mock_api, callback=lambda *a, **k: recancelled.set())

        await self.deliver(self.stream(CONSTANTS.WS_CANCEL_STREAM, {
            "sub_account_id": SUB_ACCOUNT, "client_order_id": order.client_order_id, "order_id": EXCHANGE_ORDER_ID,
            "reason": "UNSPECIFIED", "update_time": "1", "cancel_status": "EXPIRED"}))

        await asyncio.wait_for(recancelled.wait(), 10)  # the unreadable answer is a failed check, not the watch's end
        self.assertTrue(order.is_pending_cancel_confirmation)
        self.assertEqual(2, len(self._all_executed_requests(mock_api, self.order_status_url)))

    @aioresponses()
    async def test_an_order_being_cancelled_that_grvt_no_longer_knows_is_cancelled(self, mock_api):
        self.fast_lifecycle()
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        self.configure_successful_cancelation_response(order, mock_api)
        self.configure_post(mock_api, self.order_status_url, {"code": 1004, "message": "Data Not Found",
                                                              "status": 404}, status=404, repeat=True)

        await self.exchange._execute_cancel(self.trading_pair, order.client_order_id)
        self.assertTrue(order.is_pending_cancel_confirmation)
        await self.wait_until(lambda: order.is_cancelled)  # two "not found" answers in a row end it

        self.assertTrue(order.is_cancelled)
        self.assertEqual(1, len(self.order_cancelled_logger.event_log))
        self.assertEqual(2, len(self._all_executed_requests(mock_api, self.order_status_url)))
        self.assertTrue(self.is_logged_containing("INFO", f"GRVT does not know order {order.client_order_id}"))

    async def test_fill_after_cancel_acknowledgement_is_applied(self):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        self.exchange.order_lifecycle.issue(order, OrderState.PENDING_CANCEL)
        await asyncio.sleep(0)
        await self.deliver(self.stream(CONSTANTS.WS_FILL_STREAM, self.fill_json(order, size="0.3")))

        self.assertEqual(Decimal("0.3"), order.executed_amount_base)
        self.assertEqual(1, len(self.order_filled_logger.event_log))

    async def test_fill_arriving_after_the_cancel_confirmation_is_still_applied(self):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        await self.deliver(
            self.state_event(order, "CANCELLED", reason="CLIENT_CANCEL", update_seconds=CREATION_TS + 5),
            self.stream(CONSTANTS.WS_FILL_STREAM, self.fill_json(order, size="0.3")))

        self.assertTrue(order.is_cancelled)
        self.assertEqual(Decimal("0.3"), order.executed_amount_base)
        self.assertEqual(1, len(self.order_filled_logger.event_log))

    async def test_stale_open_after_a_final_state_is_ignored(self):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        await self.deliver(
            self.state_event(order, "CANCELLED", reason="CLIENT_CANCEL", update_seconds=CREATION_TS + 5),
            self.state_event(order, "OPEN", update_seconds=CREATION_TS + 1),
            self.stream("v1.order", self.order_json_for(order, "OPEN")))

        self.assertTrue(order.is_cancelled)
        self.assertEqual(1, len(self.order_cancelled_logger.event_log))

    async def test_a_status_answer_read_while_the_stream_ends_the_order_does_not_reopen_it(self):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        order.current_state = OrderState.OPEN
        lifecycle = self.exchange.order_lifecycle

        async def answer_older_than_the_stream(client_order_id, attempts=None, order_id=None):
            # the stream's CANCELLED is read while the poll's answer, still OPEN, is on its way
            lifecycle.on_order_report(client_order_id, EXCHANGE_ORDER_ID, load(
                {"status": "CANCELLED", "reject_reason": "CLIENT_CANCEL", "update_time": ns(CREATION_TS + 5)},
                GrvtOrderState))
            return load(self.order_json_for(order, "OPEN"), GrvtOrder)

        self.exchange.account.order = answer_older_than_the_stream
        await self.exchange._update_orders_with_error_handler(
            orders=[order], error_handler=self.exchange._handle_update_error_for_active_order)  # the status poll
        await self.loop_turns()

        self.assertEqual(OrderState.CANCELED, order.current_state)
        self.assertEqual(1, len(self.order_cancelled_logger.event_log))

    @aioresponses()
    async def test_a_status_answer_showing_live_an_order_being_cancelled_cancels_it_again(self, mock_api):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        order.current_state = OrderState.OPEN
        self.exchange.order_lifecycle.issue(order, OrderState.PENDING_CANCEL)  # no watcher, as when restored so
        recancelled = asyncio.Event()
        self.configure_successful_cancelation_response(order, mock_api, callback=lambda *a, **k: recancelled.set())

        async def still_open(client_order_id, attempts=None, order_id=None):
            return load(self.order_json_for(order, "OPEN"), GrvtOrder)

        self.exchange.account.order = still_open
        await self.exchange._update_orders_with_error_handler(
            orders=[order], error_handler=self.exchange._handle_update_error_for_active_order)  # the status poll

        await asyncio.wait_for(recancelled.wait(), 10)  # as the same report on the stream would
        self.assertTrue(order.is_pending_cancel_confirmation)
        self.assertTrue(self.is_logged_containing("INFO", "reported live while being cancelled"))

    async def test_a_status_answer_that_changes_nothing_issues_no_update(self):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        await self.deliver(self.state_event(order, "OPEN"))

        async def still_open(client_order_id, attempts=None, order_id=None):
            return load(self.order_json_for(order, "OPEN"), GrvtOrder)

        self.exchange.account.order = still_open
        with patch.object(ClientOrderTracker, "process_order_update") as process:  # Hummingbot's tracker
            await self.exchange._update_orders_with_error_handler(
                orders=[order], error_handler=self.exchange._handle_update_error_for_active_order)  # the status poll
        process.assert_not_called()
        self.assertEqual(1, len(self.buy_order_created_logger.event_log))

    async def test_out_of_order_older_report_is_ignored(self):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        await self.deliver(
            self.state_event(order, "OPEN", traded="0.5", update_seconds=CREATION_TS + 4),
            self.state_event(order, "OPEN", traded="0", update_seconds=CREATION_TS + 2))
        self.assertEqual("PARTIALLY_FILLED", order.current_state.name)

    async def test_duplicate_fills_are_counted_once(self):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        fill = self.stream(CONSTANTS.WS_FILL_STREAM, self.fill_json(order, size="0.5"))
        await self.deliver(fill, fill)

        self.assertEqual(Decimal("0.5"), order.executed_amount_base)
        self.assertEqual(1, len(self.order_filled_logger.event_log))

    @aioresponses()
    async def test_fill_and_fill_report_before_the_create_answer(self, mock_api):
        self._simulate_trading_rules_initialized()
        self.exchange._set_current_timestamp(CREATION_TS)
        release = asyncio.Event()
        order_ids = []

        async def slow_create(*args, **kwargs):
            order = self.exchange.in_flight_orders[order_ids[0]]
            await self.deliver(
                self.stream(CONSTANTS.WS_FILL_STREAM, self.fill_json(order)),
                self.state_event(order, "FILLED", traded=order.amount))
            release.set()
            return CallbackResult(status=200, body=json.dumps(
                {"result": self.order_json(order.client_order_id, order_id="0x00", status="PENDING")}))

        mock_api.post(self.order_creation_url, callback=slow_create)
        order_ids.append(self.exchange.buy(self.trading_pair, Decimal("1"), OrderType.LIMIT, Decimal("10000"),
                                           position_action=PositionAction.OPEN))
        await asyncio.wait_for(release.wait(), 2)
        await asyncio.sleep(0.1)

        self.assertEqual(1, len(self.buy_order_created_logger.event_log))
        self.assertEqual(1, len(self.order_filled_logger.event_log))
        self.assertEqual(1, len(self.buy_order_completed_logger.event_log))
        self.assertNotIn(order_ids[0], self.exchange.in_flight_orders)
        cached = self.exchange._order_tracker.fetch_order(order_ids[0])
        self.assertEqual("FILLED", cached.current_state.name)

    async def test_expired_order_is_cancelled_with_its_reason(self):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        with patch.object(self.exchange._order_tracker, "process_order_update",
                          wraps=self.exchange._order_tracker.process_order_update) as process:
            await self.deliver(self.state_event(order, "CANCELLED", reason="EXPIRED"))
        self.assertTrue(order.is_cancelled)
        self.assertEqual({"cancel_reason": "EXPIRED"}, process.call_args.args[0].misc_updates)

    async def test_rebate_fill_lowers_the_cost(self):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        await self.deliver(self.stream(CONSTANTS.WS_FILL_STREAM, self.fill_json(order, size="1", fee="-0.5")))

        fee = self.order_filled_logger.event_log[0].trade_fee
        self.assertEqual([TokenAmount(self.quote_asset, Decimal("-0.5"))], fee.flat_fees)
        self.assertEqual(Decimal("-0.5"), fee.fee_amount_in_token(
            self.trading_pair, Decimal("10000"), Decimal("1"), self.quote_asset))

    async def test_malformed_event_is_logged_and_the_next_one_processed(self):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        broken = self.fill_json(order)
        del broken["trade_id"]
        await self.deliver(self.stream(CONSTANTS.WS_FILL_STREAM, broken),
                           self.state_event(order, "CANCELLED", reason="CLIENT_CANCEL"))

        self.assertTrue(self.is_logged_containing("ERROR", "Unexpected error in user stream listener loop."))
        self.assertTrue(order.is_cancelled)

    async def test_unknown_status_is_ignored_and_the_next_report_applied(self):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        await self.deliver(self.state_event(order, "PAUSED"))
        self.assertTrue(order.is_pending_create)
        await self.deliver(self.state_event(order, "OPEN"))
        self.assertEqual("OPEN", order.current_state.name)
        self.assertFalse(self.is_logged_containing("ERROR", "Unexpected error"))

    async def test_cancel_notice_is_logged(self):
        await self.deliver(self.stream(CONSTANTS.WS_CANCEL_STREAM, {
            "sub_account_id": SUB_ACCOUNT, "client_order_id": "23042", "order_id": "0x1", "reason": "UNSPECIFIED",
            "update_time": "1", "cancel_status": "EXPIRED"}))
        self.assertTrue(self.is_logged_containing("INFO", "GRVT cancel notice for order 23042: EXPIRED (UNSPECIFIED)."))

    async def test_resync_marker_wakes_the_status_poll(self):
        self.exchange._poll_notifier.clear()
        await self.deliver({"stream": "grvt_perpetual.resync", "feed": {"reason": "reconnected"}})
        # set when the (unmocked, so failing) reconciliation the marker started gives up: a task, not the listener
        await asyncio.wait_for(self.exchange._poll_notifier.wait(), 10)
        self.assertTrue(self.exchange._poll_notifier.is_set())

    # ==============================================================================================================
    # Positions and balances from the streams
    # ==============================================================================================================
    async def test_a_funding_settlement_on_the_position_stream_fetches_the_payment_at_once(self):
        def position(cumulative: str) -> Dict[str, Any]:
            return self.stream(CONSTANTS.WS_POSITION_STREAM, {
                "instrument": self.instrument, "size": "1", "entry_price": "10000", "unrealized_pnl": "0",
                "cumulative_realized_funding_payment": cumulative})

        self.exchange._funding_fee_poll_notifier.clear()
        await self.deliver(position("0.5"), position("0.5"))
        self.assertFalse(self.exchange._funding_fee_poll_notifier.is_set())  # first sight, then unchanged
        await self.deliver(position("0.7"))
        self.assertTrue(self.exchange._funding_fee_poll_notifier.is_set())

    async def test_position_updates_come_from_the_stream_without_rest_calls(self):
        order = self.track()
        with patch.object(self.exchange, "_api_request", new_callable=AsyncMock) as api_request:
            await self.deliver(self.position_event_for_full_fill_websocket_update(order, 5))
            position = self.exchange.account_positions[self.trading_pair]
            self.assertEqual(Decimal("1"), position.amount)
            self.assertEqual("LONG", position.position_side.name)

            flipped = self.position_event_for_full_fill_websocket_update(order, -2)
            flipped["feed"]["size"] = "-0.25"
            await self.deliver(flipped)
            position = self.exchange.account_positions[self.trading_pair]
            self.assertEqual(Decimal("-0.25"), position.amount)
            self.assertEqual("SHORT", position.position_side.name)
            self.assertEqual(1, len(self.exchange.account_positions))

            closed = self.position_event_for_full_fill_websocket_update(order, 0)
            closed["feed"]["size"] = "0"
            await self.deliver(closed)
            self.assertEqual({}, self.exchange.account_positions)
            api_request.assert_not_called()

    async def test_partial_position_message_is_an_error_naming_the_field_and_keeps_the_position(self):
        order = self.track()
        await self.deliver(self.position_event_for_full_fill_websocket_update(order, 5))
        await self.deliver(self.stream(CONSTANTS.WS_POSITION_STREAM, {"instrument": self.instrument, "size": "2",
                                                                      "unrealized_pnl": "1"}))
        position = self.exchange.account_positions[self.trading_pair]
        self.assertEqual((Decimal("1"), Decimal("10000"), Decimal("5")),
                         (position.amount, position.entry_price, position.unrealized_pnl))
        errors = [str(record.exc_info[1]) for record in self.log_records if record.exc_info]
        self.assertIn("GRVT GrvtPosition could not be read: Object missing required field `entry_price`", errors)

    async def test_position_of_an_unknown_instrument_is_ignored(self):
        await self.deliver(self.stream(CONSTANTS.WS_POSITION_STREAM, {"instrument": "DOGE_USDT_Perp", "size": "3"}))
        self.assertEqual({}, self.exchange.account_positions)

    async def test_position_without_leverage_uses_the_pair_leverage(self):
        self.exchange._perpetual_trading.set_leverage(self.trading_pair, 7)
        await self.deliver(self.stream(CONSTANTS.WS_POSITION_STREAM, {
            "instrument": self.instrument, "size": "2", "entry_price": "100", "unrealized_pnl": "1"}))
        self.assertEqual(Decimal("7"), self.exchange.account_positions[self.trading_pair].leverage)

    @aioresponses()
    async def test_rest_position_update_sets_and_removes_positions(self, mock_api):
        url = web_utils.private_rest_url(CONSTANTS.POSITIONS_PATH_URL)
        self.configure_post(mock_api, url, {"result": [
            {"instrument": self.instrument, "size": "-3", "entry_price": "100", "unrealized_pnl": "2",
             "leverage": "5"},
            {"instrument": "UNKNOWN_USDT_Perp", "size": "1"},
            {"size": "1"}]})
        await self.exchange._update_positions()
        self.assertEqual(Decimal("-3"), self.exchange.account_positions[self.trading_pair].amount)
        self.assertEqual(["PERPETUAL"], self.body(self._all_executed_requests(mock_api, url)[0])["kind"])

        self.configure_post(mock_api, url, {"result": []})
        await self.exchange._update_positions()
        self.assertEqual({}, self.exchange.account_positions)

    async def test_position_the_stream_opens_while_the_positions_query_is_in_flight_is_kept(self):
        order = self.track()

        async def answer_without_the_position_the_stream_opens_meanwhile():
            await self.deliver(self.position_event_for_full_fill_websocket_update(order, 5))
            return [], True

        with patch.object(self.exchange.account, "positions", answer_without_the_position_the_stream_opens_meanwhile):
            await self.exchange._update_positions()
        self.assertEqual(Decimal("1"), self.exchange.account_positions[self.trading_pair].amount)

    @aioresponses()
    async def test_rest_positions_with_an_unreadable_record_keep_the_positions_it_may_hold(self, mock_api):
        url = web_utils.private_rest_url(CONSTANTS.POSITIONS_PATH_URL)
        self.configure_post(mock_api, url, {"result": [
            {"instrument": self.instrument, "size": "-3", "entry_price": "100", "unrealized_pnl": "2"}]})
        await self.exchange._update_positions()

        self.configure_post(mock_api, url, {"result": [{"instrument": self.instrument, "size": {"bad": 1}}]})
        await self.exchange._update_positions()
        self.assertEqual(Decimal("-3"), self.exchange.account_positions[self.trading_pair].amount)
        self.assertTrue(self.is_logged("WARNING", "Skipping an unreadable GRVT record: GRVT GrvtPosition could not "
                                                  "be read: Expected `decimal`, got `object` - at `$.size`"))

    @aioresponses()
    async def test_fills_refresh_balances_at_most_once_per_interval(self, mock_api):
        calls = []
        self.configure_post(mock_api, self.balance_url, self.balance_request_mock_response_for_base_and_quote,
                            callback=lambda *args, **kwargs: calls.append(1), repeat=True)
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID, amount="10")
        fills = [self.stream(CONSTANTS.WS_FILL_STREAM, self.fill_json(order, size="0.1", trade_id=f"{i}-1"))
                 for i in range(10)]
        await self.deliver(*fills)
        await asyncio.sleep(0.1)

        self.assertEqual(10, len(self.order_filled_logger.event_log))
        self.assertEqual(1, len(calls))
        self.assertEqual(Decimal("2000"), self.exchange.available_balances[self.quote_asset])

    @aioresponses()
    async def test_balance_refresh_after_a_fill_is_tried_again_when_it_fails(self, mock_api):
        self.configure_post(mock_api, self.balance_url, {"code": 1002, "message": "Internal Server Error",
                                                         "status": 500}, status=500)
        self.configure_post(mock_api, self.balance_url, self.balance_request_mock_response_for_base_and_quote)
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID, amount="10")
        await self.deliver(self.stream(CONSTANTS.WS_FILL_STREAM, self.fill_json(order, size="0.1")))

        await asyncio.wait_for(self._wait_for(lambda: self.exchange.available_balances.get(self.quote_asset)), 10)
        self.assertEqual(Decimal("2000"), self.exchange.available_balances[self.quote_asset])
        self.assertEqual(2, len(self._all_executed_requests(mock_api, self.balance_url)))

    # ==============================================================================================================
    # REST status, fills, not found, session expiry
    # ==============================================================================================================
    @aioresponses()
    async def test_not_found_advances_the_lost_order_counter_but_server_errors_do_not(self, mock_api):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        self.configure_erroneous_http_fill_trade_response(order, mock_api)
        self.configure_post(mock_api, self.order_status_url, {"code": 1002, "message": "Internal Server Error",
                                                              "status": 500}, status=500)
        await self.exchange._update_order_status()
        self.assertEqual(0, self.exchange._order_tracker._order_not_found_records[order.client_order_id])
        self.assertTrue(self.is_logged_containing("WARNING",
                                                  f"Status of order {order.client_order_id} unknown for now"))

        self.configure_erroneous_http_fill_trade_response(order, mock_api)
        self.configure_http_error_order_status_response(order, mock_api)
        await self.exchange._update_order_status()
        self.assertEqual(1, self.exchange._order_tracker._order_not_found_records[order.client_order_id])

    @aioresponses()
    async def test_a_lost_order_grvt_still_holds_stays_lost_until_it_ends(self, mock_api):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        order.current_state = OrderState.OPEN
        for _ in range(self.exchange._order_tracker.lost_order_count_limit + 1):
            await self.exchange._order_tracker.process_order_not_found(order.client_order_id)
        self.assertIn(order.client_order_id, self.exchange._order_tracker.lost_orders)
        self.configure_post(mock_api, self.order_status_url, {"result": self.order_json_for(order, "OPEN")})

        await self.exchange._update_lost_orders()
        await self.loop_turns()

        # GRVT holds it open: released now, it would rest untracked and its fills would be dropped
        self.assertIn(order.client_order_id, self.exchange._order_tracker.lost_orders)
        self.configure_post(mock_api, self.order_status_url, {"result": self.order_json_for(order, "CANCELLED")})
        await self.exchange._update_lost_orders()
        deadline = asyncio.get_running_loop().time() + 10
        while order.client_order_id in self.exchange._order_tracker.lost_orders and \
                asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        self.assertNotIn(order.client_order_id, self.exchange._order_tracker.lost_orders)

    @aioresponses()
    async def test_fill_history_follows_cursors_until_the_order_creation_time(self, mock_api):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID, amount="3")
        page_1 = [self.fill_json(order, size="1", trade_id="3-1", event_seconds=CREATION_TS + 30)]
        page_2 = [self.fill_json(order, size="1", trade_id="2-1", event_seconds=CREATION_TS + 20),
                  dict(self.fill_json(order, size="9", trade_id="other"), client_order_id="1", order_id="0x77")]
        page_3 = [self.fill_json(order, size="1", trade_id="1-1", event_seconds=CREATION_TS + 10),
                  self.fill_json(order, size="5", trade_id="old-1", event_seconds=CREATION_TS - 3600)]
        self.configure_post(mock_api, self.fill_history_url, {"result": page_1, "next": "c1"})
        self.configure_post(mock_api, self.fill_history_url, {"result": page_2, "next": "c2"})
        self.configure_post(mock_api, self.fill_history_url, {"result": page_3, "next": "c3"})

        trade_updates = await self.exchange._all_trade_updates_for_order(order)

        self.assertEqual(["3-1", "2-1", "1-1"], [update.trade_id for update in trade_updates])
        requests = [self.body(call) for call in self._all_executed_requests(mock_api, self.fill_history_url)]
        self.assertEqual(3, len(requests))
        self.assertNotIn("cursor", requests[0])
        self.assertEqual("c1", requests[1]["cursor"])
        self.assertEqual("c2", requests[2]["cursor"])
        self.assertEqual(ns(CREATION_TS - self.exchange.FILL_HISTORY_MARGIN_SECONDS), requests[0]["start_time"])

    @aioresponses()
    async def test_fill_sweep_serves_all_orders_of_a_pair_with_one_request(self, mock_api):
        first = self.track("9223372036854775901", EXCHANGE_ORDER_ID)
        second = self.track("9223372036854775902", "0x02")
        self.configure_post(mock_api, self.fill_history_url, {"result": [
            self.fill_json(first, size="0.5", trade_id="1-1"),
            self.fill_json(second, size="0.25", trade_id="2-1", order_id="0x02"),
            {"broken": True}], "next": ""})

        await self.exchange._update_orders_fills([first, second])

        self.assertEqual(1, len(self._all_executed_requests(mock_api, self.fill_history_url)))
        self.assertEqual(Decimal("0.5"), first.executed_amount_base)
        self.assertEqual(Decimal("0.25"), second.executed_amount_base)
        self.assertTrue(self.is_logged_containing("WARNING", "Skipping an unreadable GRVT record"))

    @aioresponses()
    async def test_a_fill_sweep_starts_where_the_last_complete_one_started(self, mock_api):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        self.configure_post(mock_api, self.fill_history_url, {}, status=500)  # failed: the next sweep starts over
        self.configure_post(mock_api, self.fill_history_url, {"result": [], "next": ""}, repeat=True)
        self.exchange.account.QUERY_ATTEMPTS = 1
        sweeps_at = [CREATION_TS + 3600, CREATION_TS + 7200, CREATION_TS + 7320]
        for now in sweeps_at:
            self.exchange._set_current_timestamp(now)
            await self.exchange._update_orders_fills([order])

        starts = [self.body(call).get("start_time") for call in
                  self._all_executed_requests(mock_api, self.fill_history_url)]
        margin = self.exchange.FILL_HISTORY_MARGIN_SECONDS
        self.assertEqual([ns(CREATION_TS - margin), ns(CREATION_TS - margin), ns(sweeps_at[1] - margin)], starts)

    @aioresponses()
    async def test_history_pagination_is_bounded(self, mock_api):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        self.exchange.account.MAX_HISTORY_PAGES = 2
        self.configure_post(mock_api, self.fill_history_url, {"result": [self.fill_json(order, trade_id="a")],
                                                              "next": "more"}, repeat=True)
        updates = await self.exchange._all_trade_updates_for_order(order)
        self.assertEqual(2, len(self._all_executed_requests(mock_api, self.fill_history_url)))
        self.assertEqual(2, len(updates))
        self.assertTrue(self.is_logged_containing(
            "WARNING", f"GRVT {CONSTANTS.FILL_HISTORY_PATH_URL} history truncated"))

    @aioresponses()
    async def test_session_expiry_logs_in_again_and_retries_once(self, mock_api):
        login_url = web_utils.login_url()
        mock_api.post(login_url, body=json.dumps({"status": "success"}), headers={
            "Set-Cookie": "gravity=fresh-cookie; Path=/; Expires=Wed, 21 Oct 2099 07:28:00 GMT",
            "X-Grvt-Account-Id": "0xaccount"})
        self.configure_post(mock_api, self.balance_url, {"code": 1000, "message": "You need to authenticate prior "
                                                                                  "to using this functionality",
                                                         "status": 401}, status=401)
        self.configure_post(mock_api, self.balance_url, self.balance_request_mock_response_for_base_and_quote)

        await self.exchange._update_balances()

        self.assertEqual(Decimal("2000"), self.exchange.available_balances[self.quote_asset])
        requests = self._all_executed_requests(mock_api, self.balance_url)
        self.assertEqual("gravity=test-cookie", requests[0].kwargs["headers"]["Cookie"])
        self.assertEqual("gravity=fresh-cookie", requests[1].kwargs["headers"]["Cookie"])
        self.assertEqual(1, len(self._all_executed_requests(mock_api, login_url)))

    @aioresponses()
    async def test_error_bodies_with_http_200_are_errors(self, mock_api):
        self.configure_post(mock_api, self.balance_url, {"code": 1006, "message": "rate limit", "status": 429})
        with self.assertRaises(IOError) as context:
            await self.exchange._update_balances()
        self.assertTrue(context.exception.is_rate_limited)

    @aioresponses()
    async def test_account_summary_without_its_balances_is_an_error_that_keeps_the_balances(self, mock_api):
        self.configure_post(mock_api, self.balance_url, self.balance_request_mock_response_for_base_and_quote)
        await self.exchange._update_balances()
        self.configure_post(mock_api, self.balance_url, {"result": {"settle_currency": self.quote_asset,
                                                                    "available_balance": "5"}})
        with self.assertRaises(IOError) as context:
            await self.exchange._update_balances()
        self.assertIn("spot_balances", str(context.exception))
        self.assertEqual(Decimal("2000"), self.exchange.get_balance(self.quote_asset))
        self.assertEqual(Decimal("15"), self.exchange.get_balance(self.base_asset))

    @aioresponses()
    async def test_html_error_page_is_reported_without_the_page(self, mock_api):
        mock_api.post(self.balance_url, body="<html><body>Bad gateway</body></html>", status=502)
        with self.assertRaises(IOError) as context:
            await self.exchange._update_balances()
        self.assertIn("HTML error page", str(context.exception))
        self.assertIn("HTTP 502", str(context.exception))

    # ==============================================================================================================
    # Trading rules and symbols
    # ==============================================================================================================
    @aioresponses()
    async def test_trading_rule_without_min_notional_or_max_position_uses_fallbacks(self, mock_api):
        instrument = self.instrument_json()
        del instrument["min_notional"]
        del instrument["max_position_size"]
        self.configure_post(mock_api, self.trading_rules_url, {"result": [instrument]})

        await self.exchange._update_trading_rules()

        rule = self.exchange.trading_rules[self.trading_pair]
        self.assertEqual(Decimal("0"), rule.min_notional_size)  # GRVT checks the notional on submission
        self.assertEqual(TradingRule(self.trading_pair).max_order_size, rule.max_order_size)
        self.assertEqual(Decimal("0.001"), rule.min_base_amount_increment)

    @aioresponses()
    async def test_symbol_map_keeps_active_perpetuals_only(self, mock_api):
        self.exchange._set_trading_pair_symbol_map(None)
        self.configure_post(mock_api, self.all_symbols_url, {"result": [
            self.instrument_json(),
            self.instrument_json(instrument="BTC_USDT_Perp", base="BTC", quote="USDT"),
            self.instrument_json(instrument="ETH_USDT_Fut_20Oct23", base="ETH", quote="USDT", kind="FUTURE"),
            self.instrument_json(instrument="ETH_USDT_Call_20Oct23_2800", base="ETH", quote="USDT", kind="CALL"),
            {"instrument": "broken"},
        ]})

        symbol_map = await self.exchange.trading_pair_symbol_map()

        self.assertEqual({self.instrument: self.trading_pair, "BTC_USDT_Perp": "BTC-USDT"}, dict(symbol_map))
        request = self.body(self._all_executed_requests(mock_api, self.all_symbols_url)[0])
        self.assertEqual({"kind": ["PERPETUAL"], "is_active": True, "limit": 1000}, request)

    def test_funding_poll_interval_follows_the_instrument_funding_interval(self):
        self.assertEqual(8 * 3600, self.exchange.funding_fee_poll_interval)
        self.exchange.instruments[self.instrument] = load(
            self.instrument_json(funding_interval_hours=1), GrvtInstrument)
        self.exchange.instruments["ETH_USDT_Perp"] = load(
            self.instrument_json(instrument="ETH_USDT_Perp", base="ETH", quote="USDT", funding_interval_hours=4),
            GrvtInstrument)
        self.assertEqual(3600, self.exchange.funding_fee_poll_interval)

    def test_funding_poll_fires_shortly_after_each_settlement(self):
        settlement = 1_700_006_400  # a multiple of 8 h
        self.exchange.tick(settlement - 10)
        self.exchange._funding_fee_poll_notifier.clear()
        self.exchange.tick(settlement + 5)
        self.assertFalse(self.exchange._funding_fee_poll_notifier.is_set())
        self.exchange.tick(settlement + self.exchange.FUNDING_SETTLEMENT_DELAY + 1)
        self.assertTrue(self.exchange._funding_fee_poll_notifier.is_set())

    # ==============================================================================================================
    # Funding payments
    # ==============================================================================================================
    def payment(self, seconds: float, amount: str) -> Dict[str, Any]:
        return {"event_time": ns(seconds), "sub_account_id": SUB_ACCOUNT, "instrument": self.instrument,
                "currency": self.quote_asset, "amount": amount, "tx_id": str(int(seconds))}

    @aioresponses()
    async def test_funding_payments_are_paginated_and_each_one_is_reported(self, mock_api):
        rate_url = web_utils.public_rest_url(CONSTANTS.FUNDING_RATE_PATH_URL)
        self.configure_post(mock_api, rate_url, {"result": [{"funding_rate": "0.01"}]}, repeat=True)
        self.exchange._last_funding_fee_payment_ts[self.trading_pair] = 1000
        self.configure_post(mock_api, self.funding_payment_url,
                            {"result": [self.payment(4000, "0.5"), self.payment(3000, "-0.25")], "next": "p2"})
        self.configure_post(mock_api, self.funding_payment_url,
                            {"result": [self.payment(2000, "1"), self.payment(1000, "9")], "next": "p3"})

        self.assertTrue(await self.exchange._update_funding_payment(self.trading_pair, fire_event_on_new=True))

        events = self.funding_payment_logger.event_log
        self.assertEqual([2000, 3000, 4000], [event.timestamp for event in events])
        self.assertEqual([Decimal("-1"), Decimal("0.25"), Decimal("-0.5")], [event.amount for event in events])
        self.assertEqual(Decimal("0.0001"), events[0].funding_rate)
        requests = [self.body(call) for call in self._all_executed_requests(mock_api, self.funding_payment_url)]
        self.assertEqual(ns(1000)[:-1] + "1", requests[0]["start_time"])
        self.assertEqual("p2", requests[1]["cursor"])
        self.assertEqual(4000, self.exchange._last_funding_fee_payment_ts[self.trading_pair])

    @aioresponses()
    async def test_funding_sign_convention_is_configurable(self, mock_api):
        exchange = self.create_exchange_instance(grvt_perpetual_funding_paid_is_positive=False)
        exchange._auth._session = self.exchange._auth._session
        exchange._set_trading_pair_symbol_map(bidict({self.instrument: self.trading_pair}))
        self.configure_post(mock_api, self.funding_payment_url, {"result": [self.payment(2000, "0.5")]})
        self.configure_post(mock_api, web_utils.public_rest_url(CONSTANTS.FUNDING_RATE_PATH_URL), {"result": []})
        exchange._perpetual_trading.initialize_funding_info(FundingInfo(
            self.trading_pair, Decimal("1"), Decimal("1"), 0, Decimal("0.0003")))

        timestamp, rate, amount = await exchange._fetch_last_fee_payment(self.trading_pair)

        self.assertEqual((2000, Decimal("0.0003"), Decimal("0.5")), (timestamp, rate, amount))

    @aioresponses()
    async def test_funding_initialization_emits_no_event(self, mock_api):
        self.configure_post(mock_api, self.funding_payment_url, {"result": [self.payment(2000, "0.5")]})
        await self.exchange._update_funding_payment(self.trading_pair, fire_event_on_new=False)

        self.assertEqual(0, len(self.funding_payment_logger.event_log))
        self.assertEqual(2000, self.exchange._last_funding_fee_payment_ts[self.trading_pair])
        self.assertEqual(1, self.body(self._all_executed_requests(mock_api, self.funding_payment_url)[0])["limit"])

    @aioresponses()
    async def test_funding_fetch_failure_is_reported_and_retried_later(self, mock_api):
        self.configure_post(mock_api, self.funding_payment_url, {}, status=503)
        self.assertFalse(await self.exchange._update_funding_payment(self.trading_pair, fire_event_on_new=True))
        self.assertNotIn(self.trading_pair, self.exchange._last_funding_fee_payment_ts)

    async def test_funding_read_without_a_session_logs_the_refusal_not_a_traceback(self):
        refusal = GrvtAuthError("GRVT login refused: HTTP 401, error 1000 (check the API key)", retryable=False)
        self.exchange._auth.ensure_session = AsyncMock(side_effect=refusal)
        self.assertFalse(await self.exchange._update_funding_payment(self.trading_pair, fire_event_on_new=False))
        self.assertTrue(self.is_logged_containing("WARNING", "GRVT login refused: HTTP 401, error 1000"))
        self.assertFalse([record for record in self.log_records if record.exc_info])

    @aioresponses()
    async def test_settlement_payment_whose_read_failed_is_read_again_before_the_next_settlement(self, mock_api):
        self.exchange.FUNDING_RETRY_DELAY = 0.05
        self.configure_post(mock_api, web_utils.public_rest_url(CONSTANTS.FUNDING_RATE_PATH_URL),
                            {"result": [{"funding_rate": "0.01"}]}, repeat=True)
        self.configure_post(mock_api, self.funding_payment_url, {"result": [self.payment(1000, "9")]})
        self.configure_post(mock_api, self.funding_payment_url, {}, status=503)
        self.configure_post(mock_api, self.funding_payment_url, {"result": [self.payment(2000, "0.5")]}, repeat=True)
        self.async_tasks.append(asyncio.create_task(self.exchange._funding_payment_polling_loop()))
        await asyncio.wait_for(self._wait_for(lambda: self.exchange._last_funding_fee_payment_ts), 5)

        self.exchange._funding_fee_poll_notifier.set()  # the settlement, whose payment read fails

        await asyncio.wait_for(self._wait_for(lambda: self.funding_payment_logger.event_log), 5)
        events = self.funding_payment_logger.event_log
        self.assertEqual([(2000, Decimal("-0.5"))], [(event.timestamp, event.amount) for event in events])

    @staticmethod
    async def _wait_for(condition: Callable[[], Any]):
        while not condition():
            await asyncio.sleep(0.01)

    @aioresponses()
    async def test_settlement_payment_is_reported_when_the_start_up_read_failed(self, mock_api):
        self.configure_post(mock_api, web_utils.public_rest_url(CONSTANTS.FUNDING_RATE_PATH_URL),
                            {"result": [{"funding_rate": "0.01"}]}, repeat=True)
        self.configure_post(mock_api, self.funding_payment_url, {}, status=503)
        self.assertFalse(await self.exchange._update_funding_payment(self.trading_pair, fire_event_on_new=False))

        self.configure_post(mock_api, self.funding_payment_url, {"result": [self.payment(2000, "0.5")], "next": ""})
        self.assertTrue(await self.exchange._update_funding_payment(self.trading_pair, fire_event_on_new=True))

        events = self.funding_payment_logger.event_log
        self.assertEqual([(2000, Decimal("-0.5"))], [(event.timestamp, event.amount) for event in events])
        self.assertEqual(2000, self.exchange._last_funding_fee_payment_ts[self.trading_pair])

    @aioresponses()
    async def test_last_fee_payment_when_there_is_none(self, mock_api):
        self.configure_post(mock_api, self.funding_payment_url, {"result": [], "next": ""})
        self.assertEqual((0, Decimal("-1"), Decimal("-1")),
                         await self.exchange._fetch_last_fee_payment(self.trading_pair))

    # ==============================================================================================================
    # Leverage, position mode, fees
    # ==============================================================================================================
    @aioresponses()
    async def test_set_leverage_request(self, mock_api):
        url = self.configure_successful_set_leverage(10, mock_api)
        self.assertEqual((True, ""), await self.exchange._set_trading_pair_leverage(self.trading_pair, 10))
        self.assertEqual({"sub_account_id": SUB_ACCOUNT, "instrument": self.instrument, "leverage": "10"},
                         self.body(self._all_executed_requests(mock_api, url)[0]))

    @aioresponses()
    async def test_set_leverage_without_confirmation_fails(self, mock_api):
        url = web_utils.private_rest_url(CONSTANTS.SET_INITIAL_LEVERAGE_PATH_URL)
        self.configure_post(mock_api, url, {"success": False})
        success, message = await self.exchange._set_trading_pair_leverage(self.trading_pair, 10)
        self.assertFalse(success)
        self.assertIn("did not confirm leverage 10", message)

    @aioresponses()
    async def test_leverage_is_read_back_at_start(self, mock_api):
        url = web_utils.private_rest_url(CONSTANTS.GET_ALL_INITIAL_LEVERAGE_PATH_URL)
        self.configure_post(mock_api, url, {"results": [
            {"instrument": self.instrument, "leverage": "12", "min_leverage": "1", "max_leverage": "50",
             "margin_type": "CROSS"},
            {"instrument": "BTC_USDT_Perp", "leverage": "3"},
            {"leverage": "3"}]})

        await self.exchange._positions.read_leverage()

        self.assertEqual(12, self.exchange.get_leverage(self.trading_pair))
        self.assertTrue(self.is_logged_containing("WARNING", "Skipping an unreadable GRVT record"))

    async def test_leverage_read_back_at_start_never_undoes_a_strategys_leverage(self):
        answer = asyncio.Event()

        async def initial_leverages():  # answered after the strategy set its leverage
            await answer.wait()
            return [GrvtInitialLeverage(instrument=self.instrument, leverage=Decimal("3"))]

        self.exchange.account.initial_leverages = initial_leverages
        self.exchange.account.set_initial_leverage = AsyncMock(return_value=True)
        read_back = asyncio.ensure_future(self.exchange._positions.read_leverage())
        self.exchange.set_leverage(self.trading_pair, 7)
        deadline = asyncio.get_running_loop().time() + 10
        while self.exchange.get_leverage(self.trading_pair) != 7 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        answer.set()
        await asyncio.wait_for(read_back, 10)

        self.assertEqual(7, self.exchange.get_leverage(self.trading_pair))

    async def test_a_leverage_grvt_refused_does_not_stop_the_read_back(self):
        answer = asyncio.Event()

        async def initial_leverages():  # answered after GRVT refused the strategy's leverage
            await answer.wait()
            return [GrvtInitialLeverage(instrument=self.instrument, leverage=Decimal("10"))]

        self.exchange.account.initial_leverages = initial_leverages
        self.exchange.account.set_initial_leverage = AsyncMock(side_effect=GrvtPerpetualAPIError(
            2108, "Attempted to set leverage above maximum", 400))
        read_back = asyncio.ensure_future(self.exchange._positions.read_leverage())
        success, _ = await self.exchange._set_trading_pair_leverage(self.trading_pair, 75)
        answer.set()
        await asyncio.wait_for(read_back, 10)

        self.assertFalse(success)
        self.assertEqual(10, self.exchange.get_leverage(self.trading_pair))

    def test_a_small_share_of_the_rate_limits_leaves_every_route_usable_at_that_share_of_the_rate(self):
        share = Decimal("0.05")  # rate_limits_share_pct 5: twenty bots on one account
        exchange = self.create_exchange_instance(rate_limits_share_pct=share * 100)
        full_limits = {limit.limit_id: limit for limit in CONSTANTS.RATE_LIMITS}
        for route in CONSTANTS.ENDPOINT_COSTS:
            rate_limit, related = exchange._throttler.get_related_limits(route)
            for limit, weight in [(rate_limit, rate_limit.weight), *related]:
                self.assertGreaterEqual(limit.limit, weight, f"{limit.limit_id} could never let {route} through")
                full = full_limits[limit.limit_id]
                self.assertLessEqual(Decimal(limit.limit) / Decimal(str(limit.time_interval)),
                                     share * full.limit / Decimal(str(full.time_interval)), limit.limit_id)

    def test_position_mode_change_events_fire_once(self):
        self.exchange.set_position_mode(PositionMode.ONEWAY)
        self.async_run_with_timeout(asyncio.sleep(0.05))
        events = self.position_mode_logger.event_log
        self.assertEqual(1, len(events))
        self.assertEqual((self.trading_pair, PositionMode.ONEWAY), (events[0].trading_pair, events[0].position_mode))

    async def test_hedge_mode_is_refused_without_events(self):
        self.assertEqual((False, "GRVT supports the one-way position mode only."),
                         await self.exchange._trading_pair_position_mode_set(PositionMode.HEDGE, self.trading_pair))
        self.assertEqual((True, ""),
                         await self.exchange._trading_pair_position_mode_set(PositionMode.ONEWAY, self.trading_pair))
        self.assertEqual(0, len(self.position_mode_logger.event_log))

    def test_get_fee_uses_the_abstract_argument_order(self):
        schema_maker = self.exchange.trade_fee_schema().maker_percent_fee_decimal
        schema_taker = self.exchange.trade_fee_schema().taker_percent_fee_decimal
        maker_fee = self.exchange.get_fee(self.base_asset, self.quote_asset, OrderType.LIMIT_MAKER, TradeType.BUY,
                                          PositionAction.OPEN, Decimal("1"), Decimal("100"))
        taker_fee = self.exchange.get_fee(self.base_asset, self.quote_asset, OrderType.LIMIT, TradeType.SELL,
                                          PositionAction.CLOSE, Decimal("1"), Decimal("100"))
        explicit_maker = self.exchange.get_fee(self.base_asset, self.quote_asset, OrderType.LIMIT, TradeType.SELL,
                                               PositionAction.CLOSE, Decimal("1"), Decimal("100"), is_maker=True)

        self.assertEqual(schema_maker, maker_fee.percent)
        self.assertIsInstance(maker_fee, AddedToCostTradeFee)
        self.assertEqual(schema_taker, taker_fee.percent)
        self.assertNotIsInstance(taker_fee, AddedToCostTradeFee)
        self.assertEqual(schema_maker, explicit_maker.percent)

    @aioresponses()
    async def test_cancel_all_uses_one_request_and_waits_for_the_stream(self, mock_api):
        orders = [self.track("9223372036854775901", "0x01"), self.track("9223372036854775902", "0x02")]
        for order in orders:
            self.exchange.order_lifecycle.issue(order, OrderState.OPEN)
        cancel_all_url = web_utils.private_rest_url(CONSTANTS.CANCEL_ALL_ORDERS_PATH_URL)
        open_orders_url = web_utils.private_rest_url(CONSTANTS.OPEN_ORDERS_PATH_URL)

        async def confirm(url, **kwargs):
            asyncio.get_running_loop().call_later(0.05, lambda: asyncio.ensure_future(self.deliver(*[
                self.state_event(order, "CANCELLED", order_id=order.exchange_order_id, reason="CLIENT_BULK_CANCEL")
                for order in orders])))
            return CallbackResult(status=200, body=json.dumps({"result": {"ack": True}}))

        mock_api.post(cancel_all_url, callback=confirm)
        self.configure_post(mock_api, open_orders_url, {"result": []})
        results = await self.exchange.cancel_all(timeout_seconds=2)

        self.assertEqual([True, True], [result.success for result in results])
        self.assertEqual(2, len(self.order_cancelled_logger.event_log))
        self.assertEqual([], self._all_executed_requests(mock_api, self.cancel_url))
        request = self.body(self._all_executed_requests(mock_api, cancel_all_url)[0])
        self.assertEqual({"sub_account_id": SUB_ACCOUNT, "kind": ["PERPETUAL"], "base": [self.base_asset],
                          "quote": [self.quote_asset]}, request)
        self.assertEqual(1, len(self._all_executed_requests(mock_api, open_orders_url)))  # the final sweep

    @aioresponses()
    async def test_cancel_all_falls_back_to_single_cancels_for_unconfirmed_orders(self, mock_api):
        order = self.track("9223372036854775901", "0x01")
        self.configure_post(mock_api, web_utils.private_rest_url(CONSTANTS.CANCEL_ALL_ORDERS_PATH_URL),
                            {"result": {"ack": True}})
        self.configure_successful_cancelation_response(order, mock_api)
        # no confirmation comes: 0.1 s of waiting for one, then a deadline no loaded machine misses for the fallback
        self.exchange.order_lifecycle.settings.cancel_all_confirmation_share = 0.01

        results = await self.exchange.cancel_all(timeout_seconds=10)

        self.assertTrue(results[0].success)
        self.assertTrue(order.is_pending_cancel_confirmation)
        self.assertEqual(1, len(self._all_executed_requests(mock_api, self.cancel_url)))

    @aioresponses()
    async def test_cancel_all_does_not_claim_an_order_whose_create_is_still_unanswered(self, mock_api):
        # its time-to-live cancel drops the create only if GRVT executes it within the TTL (5 s at most)
        order = self.track("9223372036854775901")
        self.assertTrue(order.is_pending_create)
        self.configure_post(mock_api, web_utils.private_rest_url(CONSTANTS.CANCEL_ALL_ORDERS_PATH_URL),
                            {"result": {"ack": True}})
        self.configure_successful_cancelation_response(order, mock_api)
        self.configure_post(mock_api, web_utils.private_rest_url(CONSTANTS.OPEN_ORDERS_PATH_URL), {"result": []})

        with self.exchange.order_lifecycle.creating(order.client_order_id):
            results = await self.exchange.cancel_all(timeout_seconds=0.5)

        self.assertFalse(results[0].success)
        self.assertTrue(self.is_logged_containing("ERROR", "they may still rest: 9223372036854775901"))

    @aioresponses()
    async def test_cancel_all_without_tracked_orders_still_sweeps_the_traded_pairs(self, mock_api):
        open_orders_url = web_utils.private_rest_url(CONSTANTS.OPEN_ORDERS_PATH_URL)
        self.configure_post(mock_api, open_orders_url,
                            {"result": [self.order_json("9223372036854770000", order_id="0x0b")]})
        self.configure_successful_cancelation_response(None, mock_api)
        with patch.object(self.exchange.order_transport, "cancel_all_orders", new_callable=AsyncMock) as cancel_all:
            self.assertEqual([], await self.exchange.cancel_all(1))
        cancel_all.assert_awaited_once_with(base=[self.base_asset], quote=[self.quote_asset])
        self.assertEqual({"sub_account_id": SUB_ACCOUNT, "order_id": "0x0b"},
                         self.body(self._all_executed_requests(mock_api, self.cancel_url)[0]))

        self.configure_post(mock_api, open_orders_url, {"result": []})
        with patch.object(self.exchange.order_transport, "cancel_all_orders", new_callable=AsyncMock,
                          side_effect=IOError("down")):
            self.assertEqual([], await self.exchange.cancel_all(1))
        self.assertTrue(self.is_logged_containing("WARNING", "GRVT cancel_all_orders failed (down)"))

    def test_cancel_on_disconnect_is_off_by_default_and_configurable(self):
        self.assertIsNone(self.exchange._heartbeat)
        exchange = self.create_exchange_instance(grvt_perpetual_cancel_on_disconnect_ms=15_000)
        self.assertEqual(15_000, exchange._heartbeat.countdown_ms)
        self.assertEqual(5.0, exchange._heartbeat.interval_seconds)
        with self.assertRaises(ValueError):
            self.create_exchange_instance(grvt_perpetual_cancel_on_disconnect_ms=500)

    @aioresponses()
    async def test_heartbeat_runs_while_the_network_runs(self, mock_api):
        exchange = self.create_exchange_instance(grvt_perpetual_cancel_on_disconnect_ms=3_000)
        exchange._auth._session = self.exchange._auth._session
        beats = asyncio.Event()
        url = web_utils.private_rest_url(CONSTANTS.CANCEL_ON_DISCONNECT_PATH_URL)
        self.configure_post(mock_api, url, {"result": {"ack": True}}, callback=lambda *a, **k: beats.set(),
                            repeat=True)
        with patch.object(GrvtPerpetualDerivative, "_startup_sync", new_callable=AsyncMock), \
                patch("hummingbot.connector.perpetual_derivative_py_base.PerpetualDerivativePyBase.start_network",
                      new_callable=AsyncMock), \
                patch("hummingbot.connector.perpetual_derivative_py_base.PerpetualDerivativePyBase.stop_network",
                      new_callable=AsyncMock):
            await exchange.start_network()
            await asyncio.wait_for(beats.wait(), 1)
            self.assertTrue(exchange._heartbeat.is_running)
            await exchange.stop_network()
        self.assertFalse(exchange._heartbeat.is_running)
        self.assertEqual({"sub_account_id": SUB_ACCOUNT, "countdown_time": "3000"},
                         self.body(self._all_executed_requests(mock_api, url)[0]))

    def test_invalid_untracked_order_policy_is_refused(self):
        with self.assertRaises(ValueError):
            self.create_exchange_instance(grvt_perpetual_untracked_open_orders="ignore")

    def open_orders_response(self, *orders: Dict[str, Any]) -> Dict[str, Any]:
        return {"result": list(orders)}

    @aioresponses()
    async def test_start_reconciliation_restores_tracked_orders_and_reports_unknown_ones(self, mock_api):
        restored = self.track("9223372036854775901", exchange_order_id=None)
        url = web_utils.private_rest_url(CONSTANTS.OPEN_ORDERS_PATH_URL)
        response = self.open_orders_response(
            self.order_json_for(restored, "OPEN", traded="0.5", order_id="0x0a"),
            self.order_json("9223372036854770000", order_id="0x0b", status="OPEN"),
            self.order_json("9223372036854770001", order_id="0x0c", status="OPEN") | {
                "legs": [{"instrument": "OTHER_USDT_Perp", "size": "1", "limit_price": "1", "is_buying_asset": True}]},
            {"broken": True})
        self.configure_post(mock_api, url, response, repeat=True)

        await self.exchange._reconcile()
        await asyncio.sleep(0.05)

        self.assertEqual("0x0a", restored.exchange_order_id)
        self.assertEqual("PARTIALLY_FILLED", restored.current_state.name)
        self.assertTrue(self.is_logged_containing("WARNING", "GRVT holds an open order this bot does not track: 0x0b"))
        self.assertFalse(any("0x0c" in record.getMessage() for record in self.log_records))
        self.assertEqual([], self._all_executed_requests(mock_api, self.cancel_url))

    @aioresponses()
    async def test_a_restored_order_filled_while_the_bot_was_down_keeps_its_fills(self, mock_api):
        restored = self.track("9223372036854775901", exchange_order_id=None)
        self.configure_post(mock_api, self.fill_history_url,
                            {"result": [self.fill_json(restored, size="1", trade_id="9-1")], "next": ""})
        self.configure_post(mock_api, web_utils.private_rest_url(CONSTANTS.OPEN_ORDERS_PATH_URL),
                            self.open_orders_response())
        self.configure_post(mock_api, self.order_status_url, {"code": 1004, "message": "Data Not Found",
                                                              "status": 404}, status=404, repeat=True)

        await self.exchange._reconcile()
        await self.loop_turns()

        self.assertEqual(Decimal("1"), restored.executed_amount_base)
        self.assertEqual(1, len(self.order_filled_logger.event_log))

    @aioresponses()
    async def test_start_reconciliation_cancels_unknown_orders_when_configured(self, mock_api):
        exchange = self.create_exchange_instance(grvt_perpetual_untracked_open_orders="cancel")
        exchange._auth._session = self.exchange._auth._session
        exchange._set_trading_pair_symbol_map(bidict({self.instrument: self.trading_pair}))
        self.configure_post(mock_api, web_utils.private_rest_url(CONSTANTS.OPEN_ORDERS_PATH_URL),
                            self.open_orders_response(self.order_json("9223372036854770000", order_id="0x0b")),
                            repeat=True)
        self.configure_successful_cancelation_response(None, mock_api)

        await exchange._reconcile()

        self.assertEqual({"sub_account_id": SUB_ACCOUNT, "order_id": "0x0b"},
                         self.body(self._all_executed_requests(mock_api, self.cancel_url)[0]))

    @aioresponses()
    async def test_startup_sync_retries_each_failing_step_until_it_succeeds(self, mock_api):
        leverage_url = web_utils.private_rest_url(CONSTANTS.GET_ALL_INITIAL_LEVERAGE_PATH_URL)
        open_orders_url = web_utils.private_rest_url(CONSTANTS.OPEN_ORDERS_PATH_URL)
        self.configure_post(mock_api, leverage_url, {"code": 3000, "message": "refused", "status": 400}, status=400)
        self.configure_post(mock_api, leverage_url, {"results": []})
        self.configure_post(mock_api, open_orders_url, {"code": 3000, "message": "refused", "status": 400}, status=400)
        self.configure_post(mock_api, open_orders_url, self.open_orders_response())
        self.exchange._sleep = AsyncMock()

        await asyncio.wait_for(self.exchange._startup_sync(), 30)

        self.assertTrue(self.is_logged_containing("WARNING", "GRVT start-up sync step read_leverage failed"))
        self.assertTrue(self.is_logged_containing("WARNING", "GRVT start-up sync step _reconcile failed"))
        self.assertEqual(2, len(self._all_executed_requests(mock_api, leverage_url)))
        self.assertEqual(2, len(self._all_executed_requests(mock_api, open_orders_url)))

    # ==============================================================================================================
    # More failure paths
    # ==============================================================================================================
    @aioresponses()
    async def test_create_that_never_connected_fails_at_once(self, mock_api):
        self._simulate_trading_rules_initialized()
        self.exchange._set_current_timestamp(CREATION_TS)
        connection_error = aiohttp.ClientConnectorError(MagicMock(), OSError(111, "Connection refused"))
        mock_api.post(self.order_creation_url, exception=connection_error)
        order_id = self.exchange.buy(self.trading_pair, Decimal("1"), OrderType.LIMIT, Decimal("10000"),
                                     position_action=PositionAction.OPEN)
        # "at once": well inside the 30 s window an unknown outcome would be looked up for
        await asyncio.wait_for(self._wait_for(lambda: self.order_failure_logger.event_log), 10)

        self.assertNotIn(order_id, self.exchange.in_flight_orders)
        self.assertEqual(1, len(self.order_failure_logger.event_log))

    @aioresponses()
    async def test_create_timeout_is_an_unknown_outcome_and_failed_lookups_prove_nothing(self, mock_api):
        self.fast_lifecycle(window=60)
        self.configure_post(mock_api, self.order_status_url, {}, status=503, repeat=True)
        self._simulate_trading_rules_initialized()
        self.exchange._set_current_timestamp(CREATION_TS)
        mock_api.post(self.order_creation_url, exception=asyncio.TimeoutError())
        order_id = self.exchange.buy(self.trading_pair, Decimal("1"), OrderType.LIMIT, Decimal("10000"),
                                     position_action=PositionAction.OPEN)
        while len(self._all_executed_requests(mock_api, self.order_status_url)) < 2:
            await asyncio.sleep(0.01)

        self.assertTrue(self.exchange.in_flight_orders[order_id].is_pending_create)
        self.assertEqual(0, len(self.order_failure_logger.event_log))
        self.assertTrue(self.exchange.order_lifecycle.is_managed(order_id))

    @aioresponses()
    async def test_uncertain_order_reported_by_the_stream_needs_no_lookup(self, mock_api):
        self.exchange.order_lifecycle.settings.uncertain_order_first_check_seconds = 1.0
        order_id = await self.place(mock_api, status=503, response={})
        order = self.exchange.in_flight_orders[order_id]
        await self.deliver(self.state_event(order, "OPEN"))
        await asyncio.sleep(1.5)  # past the first check the lifecycle would have made

        self.assertEqual([], self._all_executed_requests(mock_api, self.order_status_url))
        self.assertTrue(order.is_open)
        self.assertFalse(self.exchange.order_lifecycle.is_managed(order_id))

    @aioresponses()
    async def test_create_answer_with_real_id_after_the_stream_moved_the_order(self, mock_api):
        order = self.track()
        await self.deliver(self.state_event(order, "OPEN", order_id="0x00"))
        with patch.object(self.exchange, "_place_order", new_callable=AsyncMock,
                          return_value=(EXCHANGE_ORDER_ID, CREATION_TS)):
            await self.exchange._place_order_and_process_update(order)
        self.assertEqual(EXCHANGE_ORDER_ID, order.exchange_order_id)
        self.assertEqual(1, len(self.buy_order_created_logger.event_log))

    @aioresponses()
    async def test_cancel_untracked_open_orders(self, mock_api):
        tracked = self.track("9223372036854775901", EXCHANGE_ORDER_ID)
        self.configure_post(mock_api, web_utils.private_rest_url(CONSTANTS.OPEN_ORDERS_PATH_URL),
                            self.open_orders_response(
                                self.order_json_for(tracked, "OPEN"),
                                self.order_json("9223372036854770000", order_id="0x0b"),
                                self.order_json("9223372036854770001", order_id="0x0c")))

        def cancel_callback(url, **kwargs):
            if json.loads(kwargs["data"])["order_id"] == "0x0b":
                return CallbackResult(status=200, body=json.dumps({"result": {"ack": True}}))
            return CallbackResult(status=404, body=json.dumps({"code": 1004, "message": "Data Not Found"}))

        mock_api.post(self.cancel_url, callback=cancel_callback, repeat=True)

        await self.exchange.order_lifecycle.reconcile(cancel_untracked=True)  # the "cancel" policy
        self.assertTrue(self.is_logged_containing("WARNING", "Could not cancel untracked GRVT order 0x0c"))
        self.assertFalse(self.is_logged_containing("WARNING", "Could not cancel untracked GRVT order 0x0b"))
        cancelled_ids = [self.body(call).get("order_id") for call in self._all_executed_requests(
            mock_api, self.cancel_url)]
        self.assertEqual(["0x0b", "0x0c"], cancelled_ids)  # the tracked order is left alone

    @aioresponses()
    async def test_cancel_all_gives_up_on_single_cancels_at_the_deadline(self, mock_api):
        order = self.track("9223372036854775901", "0x01")
        self.exchange.order_lifecycle.issue(order, OrderState.OPEN)
        self.configure_post(mock_api, web_utils.private_rest_url(CONSTANTS.CANCEL_ALL_ORDERS_PATH_URL), {},
                            status=400)

        async def slow_cancel(url, **kwargs):
            await asyncio.sleep(1)
            return CallbackResult(status=200, body=json.dumps({"result": {"ack": True}}))

        mock_api.post(self.cancel_url, callback=slow_cancel)
        results = await self.exchange.cancel_all(timeout_seconds=0.2)

        self.assertFalse(results[0].success)
        self.assertTrue(order.is_open)
        self.assertTrue(self.is_logged_containing("WARNING", "GRVT cancel-all step did not finish"))

    @aioresponses()
    async def test_cancel_all_sends_single_cancels_at_once_when_cancel_all_orders_fails(self, mock_api):
        order = self.track("9223372036854775901", "0x01")
        self.exchange.order_lifecycle.issue(order, OrderState.OPEN)
        self.configure_post(mock_api, web_utils.private_rest_url(CONSTANTS.CANCEL_ALL_ORDERS_PATH_URL), {},
                            status=400)

        mock_api.post(self.cancel_url, body=json.dumps({"result": {"ack": True}}))
        lifecycle = self.exchange.order_lifecycle
        lifecycle._wait_until_final = AsyncMock()
        results = await self.exchange.cancel_all(timeout_seconds=60)

        # nothing can confirm a cancel GRVT refused: no time is spent waiting for confirmations
        lifecycle._wait_until_final.assert_not_awaited()
        self.assertTrue(results[0].success)
        self.assertTrue(order.is_pending_cancel_confirmation)

    @aioresponses()
    async def test_cancel_all_sends_single_cancels_when_cancel_all_orders_is_not_acknowledged(self, mock_api):
        order = self.track("9223372036854775901", "0x01")
        self.exchange.order_lifecycle.issue(order, OrderState.OPEN)
        self.configure_post(mock_api, web_utils.private_rest_url(CONSTANTS.CANCEL_ALL_ORDERS_PATH_URL),
                            {"result": {"ack": False}})
        mock_api.post(self.cancel_url, body=json.dumps({"result": {"ack": True}}))

        results = await self.exchange.cancel_all(timeout_seconds=60)

        self.assertTrue(self.is_logged_containing("WARNING", "cancel_all_orders not acknowledged"))
        self.assertEqual(1, len(self._all_executed_requests(mock_api, self.cancel_url)))
        self.assertTrue(results[0].success)
        self.assertTrue(order.is_pending_cancel_confirmation)

    @aioresponses()
    async def test_reconciliation_checks_an_order_being_cancelled_that_grvt_no_longer_lists(self, mock_api):
        order = await self.cancelling_order()
        self.configure_post(mock_api, web_utils.private_rest_url(CONSTANTS.OPEN_ORDERS_PATH_URL),
                            self.open_orders_response(), repeat=True)
        self.configure_post(mock_api, self.order_status_url, {"result": self.order_json_for(order, "CANCELLED")},
                            repeat=True)

        await self.exchange.order_lifecycle.reconcile(cancel_untracked=False)
        await self.wait_until(lambda: order.is_cancelled)  # checked at once: it ended while nobody listened

        self.assertTrue(order.is_cancelled)
        self.assertEqual(1, len(self.order_cancelled_logger.event_log))
        self.assertEqual(1, len(self._all_executed_requests(mock_api, self.order_status_url)))

    async def test_fill_without_client_id_is_matched_by_exchange_id(self):
        order = self.track(exchange_order_id=EXCHANGE_ORDER_ID)
        fill = self.fill_json(order, size="0.2")
        fill["client_order_id"] = ""
        await self.deliver(self.stream(CONSTANTS.WS_FILL_STREAM, fill))
        self.assertEqual(Decimal("0.2"), order.executed_amount_base)

    @aioresponses()
    async def test_balance_of_a_non_settlement_currency_without_transfer_amount(self, mock_api):
        self.configure_post(mock_api, self.balance_url, {"result": {
            "settle_currency": "USDT", "available_balance": "5",
            "spot_balances": [{"currency": "USDT", "balance": "7"}, {"currency": "ETH", "balance": "2"}]}})
        await self.exchange._update_balances()
        self.assertEqual(Decimal("5"), self.exchange.available_balances["USDT"])
        self.assertEqual(Decimal("7"), self.exchange.get_balance("USDT"))
        self.assertEqual(Decimal("2"), self.exchange.available_balances["ETH"])

    @aioresponses()
    async def test_symbol_map_keeps_the_first_instrument_of_a_pair(self, mock_api):
        self.exchange._set_trading_pair_symbol_map(None)
        duplicate = self.instrument_json(instrument=f"{self.base_asset}_{self.quote_asset}_Perp_v2")
        self.configure_post(mock_api, self.all_symbols_url, {"result": [self.instrument_json(), duplicate]})
        self.assertEqual({self.instrument: self.trading_pair}, dict(await self.exchange.trading_pair_symbol_map()))

    # ==============================================================================================================
    # Batch creates and cancels (v2/bulk_orders)
    # ==============================================================================================================
    def limit_order(self, price: str = "10000", quantity: str = "1", position=PositionAction.OPEN) -> LimitOrder:
        return LimitOrder(client_order_id="", trading_pair=self.trading_pair, is_buy=True,
                          base_currency=self.base_asset, quote_currency=self.quote_asset, price=Decimal(price),
                          quantity=Decimal(quantity), position=position)

    @aioresponses()
    async def test_a_requote_in_one_tick_is_one_bulk_request(self, mock_api):
        self._simulate_trading_rules_initialized()
        self.exchange._instruments_of([load(self.instrument_json(), GrvtInstrument)])
        resting = self.track("9223372036854775901", EXCHANGE_ORDER_ID)
        url = web_utils.private_rest_url(CONSTANTS.BULK_ORDERS_PATH_URL)
        sent = asyncio.Event()

        def answer(url, **kwargs):
            body = json.loads(kwargs["data"])
            sent.set()
            return CallbackResult(status=200, body=json.dumps({"result": {
                "orders": accepted(body), "cancel_acks": [{"ack": True}]}}))

        mock_api.post(url, callback=answer)
        self.exchange.batch_order_cancel([resting.to_limit_order()])
        created = self.exchange.batch_order_create([self.limit_order("9990"), self.limit_order("9980")])
        await asyncio.wait_for(sent.wait(), 10)
        await asyncio.sleep(0.05)

        request = self.body(self._all_executed_requests(mock_api, url)[0])
        self.assertEqual([resting.client_order_id], request["client_order_i_ds"])
        self.assertEqual("5000", request["time_to_live_ms"])
        self.assertEqual([order.client_order_id for order in created],
                         [order["metadata"]["client_order_id"] for order in request["orders"]])
        self.assertTrue(resting.is_pending_cancel_confirmation)
        self.assertTrue(all(self.exchange.in_flight_orders[order.client_order_id].current_state is OrderState.OPEN
                            for order in created))
        self.assertEqual(2, len(self.buy_order_created_logger.event_log))

    @aioresponses()
    async def test_a_batch_larger_than_grvt_takes_in_one_request_is_split(self, mock_api):
        orders = [self.track(str(9223372036854775901 + number), f"0x{number + 1:x}") for number in range(101)]
        sent = []

        def answer(url, **kwargs):
            body = json.loads(kwargs["data"])
            sent.append(body["client_order_i_ds"])
            return CallbackResult(status=200, body=json.dumps({"result": {
                "orders": [], "cancel_acks": [{"ack": True}] * len(body["client_order_i_ds"])}}))

        mock_api.post(web_utils.private_rest_url(CONSTANTS.BULK_ORDERS_PATH_URL), callback=answer, repeat=True)
        self.exchange.batch_order_cancel([order.to_limit_order() for order in orders])
        await asyncio.wait_for(self._wait_for(lambda: len(sent) == 2), 10)

        self.assertEqual([order.client_order_id for order in orders], sent[0] + sent[1])
        self.assertEqual([CONSTANTS.MAX_BULK_ORDERS, 1], [len(ids) for ids in sent])

    @aioresponses()
    async def test_batch_orders_with_bad_arguments_fail_alone(self, mock_api):
        self._simulate_trading_rules_initialized()
        self.exchange._instruments_of([load(self.instrument_json(), GrvtInstrument)])
        url = web_utils.private_rest_url(CONSTANTS.BULK_ORDERS_PATH_URL)
        sent = asyncio.Event()

        def answer(url, **kwargs):
            body = json.loads(kwargs["data"])
            sent.set()
            return CallbackResult(status=200, body=json.dumps({"result": {"orders": [
                dict(body["orders"][0], order_id="0x00", state={"status": "REJECTED",
                                                                "reject_reason": "FAIL_POST_ONLY"})]}}))

        mock_api.post(url, callback=answer)
        created = self.exchange.batch_order_create([self.limit_order(quantity="-1"), self.limit_order(),
                                                    self.limit_order(position=PositionAction.NIL)])
        await asyncio.wait_for(sent.wait(), 10)
        await asyncio.sleep(0.05)

        self.assertEqual(1, len(self.body(self._all_executed_requests(mock_api, url)[0])["orders"]))
        failures = {event.order_id: event.error_message for event in self.order_failure_logger.event_log}
        self.assertIn("must be positive", failures[created[0].client_order_id])
        self.assertIn("FAIL_POST_ONLY", failures[created[1].client_order_id])
        self.assertIn("position_action", failures[created[2].client_order_id])
        self.assertEqual({}, self.exchange.in_flight_orders)

    @aioresponses()
    async def test_batch_orders_below_the_minimum_size_or_notional_fail_before_sending(self, mock_api):
        # a single order below GRVT's minimums fails locally; in a bulk it must not reach GRVT either, where it
        # would cost a request and can take the other orders of the batch down with it
        self._simulate_trading_rules_initialized()
        self.exchange._trading_rules[self.trading_pair] = self.expected_trading_rule
        self.exchange._instruments_of([load(self.instrument_json(), GrvtInstrument)])
        url = web_utils.private_rest_url(CONSTANTS.BULK_ORDERS_PATH_URL)
        sent = asyncio.Event()

        def answer(url, **kwargs):
            body = json.loads(kwargs["data"])
            sent.set()
            return CallbackResult(status=200, body=json.dumps({"result": {"orders": accepted(body)}}))

        mock_api.post(url, callback=answer)
        created = self.exchange.batch_order_create([self.limit_order(quantity="0.0005"),
                                                    self.limit_order(quantity="0.005"), self.limit_order()])
        await asyncio.wait_for(sent.wait(), 10)
        deadline = asyncio.get_running_loop().time() + 10
        while len(self.order_failure_logger.event_log) < 2 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)

        request = self.body(self._all_executed_requests(mock_api, url)[0])
        self.assertEqual([created[2].client_order_id],
                         [order["metadata"]["client_order_id"] for order in request["orders"]])
        self.assertEqual({created[0].client_order_id, created[1].client_order_id},
                         {event.order_id for event in self.order_failure_logger.event_log})
        self.assertTrue(all(event.order_type is OrderType.LIMIT for event in self.order_failure_logger.event_log))

    @aioresponses()
    async def test_a_bulk_request_without_answer_leaves_its_creates_to_be_looked_up(self, mock_api):
        self._simulate_trading_rules_initialized()
        self.exchange._instruments_of([load(self.instrument_json(), GrvtInstrument)])
        self.exchange.order_lifecycle.settings.uncertain_order_first_check_seconds = 60
        self.configure_post(mock_api, web_utils.private_rest_url(CONSTANTS.BULK_ORDERS_PATH_URL), {}, status=200)
        created = self.exchange.batch_order_create([self.limit_order()])
        while not self.exchange.order_lifecycle.is_managed(created[0].client_order_id):
            await asyncio.sleep(0.01)
        self.assertTrue(self.exchange.in_flight_orders[created[0].client_order_id].is_pending_create)
        self.assertEqual([], self.order_failure_logger.event_log)

    @aioresponses()
    async def test_stop_network_leaves_no_order_path_task_running(self, mock_api):
        self._simulate_trading_rules_initialized()
        self.exchange._instruments_of([load(self.instrument_json(), GrvtInstrument)])
        self.track(exchange_order_id=EXCHANGE_ORDER_ID).current_state = OrderState.OPEN
        self.exchange.order_lifecycle._account.open_orders = AsyncMock(return_value=[])  # GRVT no longer lists it
        requested = asyncio.Event()

        async def unanswered(url, **kwargs):
            requested.set()
            await asyncio.sleep(3600)

        mock_api.post(self.order_status_url, callback=unanswered)
        mock_api.post(web_utils.private_rest_url(CONSTANTS.BULK_ORDERS_PATH_URL), callback=unanswered)
        await self.exchange._reconcile()  # looks the missing order up
        self.exchange.batch_order_create([self.limit_order()])
        await asyncio.wait_for(requested.wait(), 10)
        await self.loop_turns()

        await self.exchange.stop_network()

        self.assertEqual([], [name for task in asyncio.all_tasks() if not task.done()
                              for name in self.awaiting(task.get_coro()) if name in ("_verify", "_send_pending_bulk")])

    @aioresponses()
    async def test_a_bulk_request_grvt_refuses_fails_its_creates(self, mock_api):
        self._simulate_trading_rules_initialized()
        self.exchange._instruments_of([load(self.instrument_json(), GrvtInstrument)])
        url = web_utils.private_rest_url(CONSTANTS.BULK_ORDERS_PATH_URL)
        self.configure_post(mock_api, url, {"code": 2062, "message": "Order size smaller than min size",
                                            "status": 400}, status=400)

        created = self.exchange.batch_order_create([self.limit_order("9990"), self.limit_order("9980")])
        # a refusal is certain: nothing to look up, both fail
        await self.wait_until(lambda: len(self.order_failure_logger.event_log) == 2)

        self.assertEqual({order.client_order_id for order in created},
                         {event.order_id for event in self.order_failure_logger.event_log})
        self.assertFalse(any(self.exchange.order_lifecycle.is_managed(order.client_order_id) for order in created))
        self.assertEqual(1, len(self._all_executed_requests(mock_api, url)))

    @aioresponses()
    async def test_one_failed_bulk_request_is_one_failure_for_the_circuit_breaker(self, mock_api):
        # a requote of six quotes answered by one 500, then one answered {}: two failures, not twelve
        self._simulate_trading_rules_initialized()
        self.exchange._instruments_of([load(self.instrument_json(), GrvtInstrument)])
        self.exchange.order_lifecycle.settings.uncertain_order_first_check_seconds = 60
        url = web_utils.private_rest_url(CONSTANTS.BULK_ORDERS_PATH_URL)
        self.configure_post(mock_api, url, {"code": 1002, "message": "Internal error", "status": 500}, status=500)
        self.configure_post(mock_api, url, {})
        lifecycle = self.exchange.order_lifecycle
        deadline = asyncio.get_running_loop().time() + 10
        for start in (9990, 9900):
            created = self.exchange.batch_order_create([self.limit_order(str(start - level)) for level in range(6)])
            while not all(lifecycle.is_managed(order.client_order_id) for order in created) and \
                    asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.01)

        self.assertFalse(self.exchange.order_lifecycle.circuit.is_open)
        self.exchange.order_lifecycle.check_order_entry()  # new orders still go out

    @aioresponses()
    async def test_a_batch_still_queued_at_a_stop_does_not_hold_back_later_batches(self, mock_api):
        self._simulate_trading_rules_initialized()
        self.exchange._instruments_of([load(self.instrument_json(), GrvtInstrument)])
        sent = []

        def answer(url, **kwargs):
            body = json.loads(kwargs["data"])
            sent.append([order["metadata"]["client_order_id"] for order in body["orders"]])
            return CallbackResult(status=200, body=json.dumps({"result": {"orders": accepted(body)}}))

        mock_api.post(web_utils.private_rest_url(CONSTANTS.BULK_ORDERS_PATH_URL), callback=answer, repeat=True)
        stranded = self.exchange.batch_order_create([self.limit_order()])
        await asyncio.sleep(0)  # the batch's send task exists; the stop cancels it before it runs
        await self.exchange.order_lifecycle.stop()

        created = self.exchange.batch_order_create([self.limit_order("9980")])  # started again
        deadline = asyncio.get_running_loop().time() + 10
        while not sent and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)

        self.assertEqual([[created[0].client_order_id]], sent)
        # the stranded one never left: the stop failed it
        await asyncio.wait_for(self.order_failure_received(stranded[0].client_order_id), 10)
        self.assertNotIn(stranded[0].client_order_id, self.exchange.in_flight_orders)

    async def test_a_burst_of_resync_markers_runs_one_reconciliation_and_one_more_after_it(self):
        runs, release = [], asyncio.Event()

        async def reconcile():
            runs.append(1)
            await release.wait()

        self.exchange._reconcile = reconcile
        for name in ("_update_orders_fills", "_update_positions", "_update_balances"):
            setattr(self.exchange, name, AsyncMock())
        marker = {"stream": "grvt_perpetual.resync", "feed": {"reason": "v1.fill sequence gap"}}
        await self.deliver(marker)
        await asyncio.wait_for(self._wait_for(lambda: runs), 10)
        await self.deliver(*[marker] * 9)  # while the first reconciliation runs
        release.set()
        await asyncio.wait_for(self._wait_for(lambda: len(runs) >= 2), 10)
        await asyncio.sleep(0.1)

        self.assertEqual(2, len(runs))  # the markers that came during the first run need one more, not nine
        self.assertEqual(2, self.exchange._update_positions.await_count)

    async def test_stop_ends_a_task_that_swallowed_its_first_cancel(self):
        # asyncio.wait_for on Python 3.11 returns its awaitable's result, dropping the cancel, when both come at once:
        # a cancel watcher in a request then went on watching, and the stop waited for it for good
        swallowed = asyncio.Event()

        async def watcher_whose_request_swallowed_the_cancel():
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                swallowed.set()
            await asyncio.sleep(3600)

        self.exchange.order_lifecycle.spawn(watcher_whose_request_swallowed_the_cancel())
        await asyncio.sleep(0)
        await asyncio.wait_for(self.exchange.order_lifecycle.stop(), 10)
        self.assertTrue(swallowed.is_set())

    async def test_stop_network_stops_a_reconciliation_in_progress(self):
        started = asyncio.Event()

        async def slow_reconcile():
            started.set()
            await asyncio.sleep(3600)

        self.exchange._reconcile = slow_reconcile
        self.exchange._resync.request()  # after a reconnect or a sequence gap
        await asyncio.wait_for(started.wait(), 10)

        await self.exchange.stop_network()

        self.assertEqual([], [name for task in asyncio.all_tasks() if not task.done()
                              for name in self.awaiting(task.get_coro()) if name == "_reconcile_after_resync"])

    @staticmethod
    def awaiting(coroutine) -> List[str]:
        """The names of the coroutines a task is running, outermost first."""
        names = []
        while coroutine is not None and hasattr(coroutine, "cr_code"):
            names.append(coroutine.cr_code.co_name)
            coroutine = coroutine.cr_await
        return names

    def half_open_circuit(self) -> CircuitBreaker:
        """A breaker that tripped and cooled down: the next order is its probe."""
        now = [0.0]
        circuit = CircuitBreaker(failure_threshold=1, cooldown_seconds=5, clock=lambda: now[0])
        self.exchange.order_lifecycle.circuit = circuit
        circuit.record_failure("GRVT error 1002")
        now[0] = 10.0
        return circuit

    @aioresponses()
    async def test_a_probe_order_refused_by_grvt_does_not_keep_new_orders_paused(self, mock_api):
        circuit = self.half_open_circuit()
        await self.place(mock_api, status=400, response={
            "code": 2062, "message": "Order size smaller than min size", "status": 400})

        self.assertEqual(1, len(self.order_failure_logger.event_log))
        self.assertFalse(circuit.is_open)
        self.exchange.order_lifecycle.check_order_entry()  # the next order goes out

    @aioresponses()
    async def test_a_probe_order_rejected_in_a_bulk_answer_does_not_keep_new_orders_paused(self, mock_api):
        self._simulate_trading_rules_initialized()
        self.exchange._instruments_of([load(self.instrument_json(), GrvtInstrument)])
        circuit = self.half_open_circuit()

        def answer(url, **kwargs):
            body = json.loads(kwargs["data"])
            return CallbackResult(status=200, body=json.dumps({"result": {"orders": [
                dict(body["orders"][0], order_id="0x00", state={"status": "REJECTED",
                                                                "reject_reason": "FAIL_POST_ONLY"})]}}))

        mock_api.post(web_utils.private_rest_url(CONSTANTS.BULK_ORDERS_PATH_URL), callback=answer)
        created = self.exchange.batch_order_create([self.limit_order()])
        await asyncio.wait_for(self.order_failure_received(created[0].client_order_id), 10)

        self.assertFalse(circuit.is_open)
        self.exchange.order_lifecycle.check_order_entry()

    @aioresponses()
    async def test_a_probe_order_missing_from_the_bulk_answer_settles_the_probe(self, mock_api):
        self._simulate_trading_rules_initialized()
        self.exchange._instruments_of([load(self.instrument_json(), GrvtInstrument)])
        self.exchange.order_lifecycle.settings.uncertain_order_first_check_seconds = 60
        circuit = self.half_open_circuit()
        self.configure_post(mock_api, web_utils.private_rest_url(CONSTANTS.BULK_ORDERS_PATH_URL),
                            {"result": {"orders": []}})
        created = self.exchange.batch_order_create([self.limit_order()])
        deadline = asyncio.get_running_loop().time() + 10
        while circuit.seconds_until_retry == 0 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)

        # an unknown outcome is a failed probe: the breaker opens again for a longer cool-down, then probes anew
        self.assertEqual(10, circuit.seconds_until_retry)
        self.assertIn(created[0].client_order_id, self.exchange.order_lifecycle._uncertain)  # and it is looked up
        self.assertFalse(circuit._probe_in_flight)

    async def test_a_login_failure_is_a_failed_order_entry_not_a_working_one(self):
        # a refused key is no proof that order entry works: the probe fails, the breaker stays open
        self._simulate_trading_rules_initialized()
        self.exchange._set_current_timestamp(CREATION_TS)
        refusal = GrvtAuthError("GRVT login refused: HTTP 401, error 1000 (check the API key)", retryable=False,
                                key_refused=True)
        self.exchange._auth.ensure_session = AsyncMock(side_effect=refusal)
        circuit = self.half_open_circuit()
        order_id = self.exchange.buy(trading_pair=self.trading_pair, amount=Decimal("1"), order_type=OrderType.LIMIT,
                                     price=Decimal("10000"), position_action=PositionAction.OPEN)
        await asyncio.wait_for(self.order_failure_received(order_id), 10)

        self.assertEqual(10, circuit.seconds_until_retry)  # opened again, for twice the cool-down
        self.assertTrue(circuit.is_open)
        self.assertFalse(self.exchange.status_dict["order_entry"])
        self.assertIn("GRVT login refused", circuit.last_failure)
        self.assertFalse(circuit._probe_in_flight)  # after the cool-down the next order probes again

    async def test_a_probe_order_cut_off_by_a_stop_does_not_keep_orders_paused_after_a_restart(self):
        circuit = self.half_open_circuit()
        self.exchange.order_lifecycle.check_order_entry()  # the probe goes out...
        await self.exchange.order_lifecycle.stop()  # ...and the connector stops before its answer

        self.exchange.order_lifecycle.check_order_entry()  # started again: the next order probes
        self.assertTrue(circuit.is_open)

    async def test_an_unknown_trading_pair_is_named_in_plain_words(self):
        self.exchange._set_trading_pair_symbol_map(bidict({self.instrument: self.trading_pair}))
        with self.assertRaises(KeyError) as raised:  # a KeyError still, as Hummingbot's callers expect
            await self.exchange.exchange_symbol_associated_to_pair("FOO-USDT")
        self.assertEqual("GRVT lists no active perpetual for FOO-USDT", str(raised.exception))
        self.assertEqual(self.instrument, await self.exchange.exchange_symbol_associated_to_pair(self.trading_pair))

    async def test_a_refused_api_key_makes_the_account_poll_log_the_refusal_not_a_traceback(self):
        refusal = GrvtAuthError("GRVT login refused: HTTP 401, error 1000 (check the API key)", retryable=False)
        self.exchange._auth.ensure_session = AsyncMock(side_effect=refusal)
        await self.exchange._status_polling_loop_fetch_updates()  # Hummingbot's poll loop logs a traceback on raise
        self.assertTrue(self.is_logged_containing("WARNING", "GRVT login refused: HTTP 401, error 1000"))
        self.assertFalse([record for record in self.log_records if record.exc_info])

    def test_identity(self):
        self.assertEqual(CONSTANTS.DEFAULT_DOMAIN, self.exchange.name)
        self.assertEqual(20, self.exchange.client_order_id_max_length)
        self.assertEqual("", self.exchange.client_order_id_prefix)
        self.assertFalse(self.exchange.is_cancel_request_in_exchange_synchronous)
        self.assertIn(self.instrument, self.exchange.instruments)
        self.assertFalse(self.exchange._is_request_exception_related_to_time_synchronizer(IOError("x")))


class GrvtOrderStateMachineTests(unittest.TestCase):
    def order(self, client_order_id: str = "1", state: OrderState = OrderState.OPEN) -> InFlightOrder:
        return InFlightOrder(client_order_id, "BTC-USDT", OrderType.LIMIT, TradeType.BUY, Decimal("1"), 0,
                             Decimal("1"), initial_state=state)

    @staticmethod
    def state(status: str, traded: str = "0", update_ns: int = 10, reason: str = "UNSPECIFIED") -> GrvtOrderState:
        return load({"status": status, "reject_reason": reason, "book_size": ["1"], "traded_size": [traded],
                     "avg_fill_price": ["0"], "update_time": update_ns}, GrvtOrderState)

    def test_status_mapping(self):
        self.assertEqual(OrderState.OPEN, hummingbot_order_state(self.state("PENDING")))
        self.assertEqual(OrderState.OPEN, hummingbot_order_state(self.state("OPEN")))
        self.assertEqual(OrderState.PARTIALLY_FILLED, hummingbot_order_state(self.state("OPEN", traded="0.1")))
        self.assertEqual(OrderState.FILLED, hummingbot_order_state(self.state("FILLED", traded="1")))
        self.assertEqual(OrderState.FAILED, hummingbot_order_state(self.state("REJECTED")))
        self.assertEqual(OrderState.CANCELED, hummingbot_order_state(self.state("CANCELLED")))
        self.assertIsNone(hummingbot_order_state(self.state("SUSPENDED")))  # unknown: moves nothing

    def test_update_without_exchange_time_uses_the_fallback_timestamp(self):
        machine = GrvtOrderStateMachine()
        update = machine.order_update(self.order(state=OrderState.PENDING_CREATE), self.state("OPEN", update_ns=0),
                                      "0x00", 123.0)
        self.assertEqual(123.0, update.update_timestamp)
        self.assertIsNone(update.exchange_order_id)

    def test_a_report_that_changes_nothing_issues_no_update(self):
        machine = GrvtOrderStateMachine()
        order = self.order(state=OrderState.PENDING_CREATE)
        self.assertIsNotNone(machine.order_update(order, self.state("OPEN", update_ns=10), "0x1", 0))
        self.assertIsNone(machine.order_update(order, self.state("OPEN", update_ns=11), "0x1", 0))
        self.assertIsNotNone(machine.order_update(order, self.state("OPEN", traded="0.5", update_ns=12), "0x1", 0))
        self.assertIsNone(machine.order_update(order, self.state("OPEN", update_ns=13), "0x1", 0))

    def test_memory_is_bounded(self):
        machine = GrvtOrderStateMachine()
        machine.MAX_REMEMBERED_ORDERS = 2
        for client_order_id in ("1", "2", "3"):
            machine.order_update(self.order(client_order_id), self.state("CANCELLED"), "0x1", 0)
        self.assertIs(OrderState.OPEN, machine.state_of(self.order("1")))  # forgotten: the order's own state
        self.assertIs(OrderState.CANCELED, machine.state_of(self.order("3")))
        for client_order_id in ("4", "5", "6"):
            machine.order_update(self.order(client_order_id, OrderState.PENDING_CREATE),
                                 self.state("OPEN", update_ns=50), "0x1", 0)
        # the oldest remembered order lost its time: an older report is accepted again, the newest is still guarded
        self.assertIsNotNone(machine.order_update(self.order("4", OrderState.PENDING_CREATE),
                                                  self.state("OPEN", traded="0.1", update_ns=20), "0x1", 0))
        self.assertIsNone(machine.order_update(self.order("6", OrderState.PENDING_CREATE),
                                               self.state("OPEN", traded="0.1", update_ns=20), "0x1", 0))
