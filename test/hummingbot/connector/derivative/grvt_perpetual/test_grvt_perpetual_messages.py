"""GRVT trading messages as declared types: live and documented shapes, tolerance, and errors naming the field."""
import json
import unittest
from decimal import Decimal

from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import (
    GrvtAck,
    GrvtBulkOrdersReply,
    GrvtCancelStatus,
    GrvtCancelStatusKind,
    GrvtFill,
    GrvtFundingPayment,
    GrvtInitialLeverage,
    GrvtInstrument,
    GrvtMessageError,
    GrvtOrder,
    GrvtOrderState,
    GrvtOrderStateFeed,
    GrvtOrderStatus,
    GrvtPage,
    GrvtPosition,
    GrvtRejectReason,
    GrvtResult,
    GrvtStreamEnvelope,
    GrvtSubAccount,
    GrvtTimeInForce,
    decode_reply,
    is_real_order_id,
    load,
)

LIVE_ORDER = {
    "order_id": "0x010101050390cd89000000007799a374",
    "sub_account_id": "2147050003876484",
    "is_market": False,
    "time_in_force": "GOOD_TILL_TIME",
    "post_only": True,
    "reduce_only": False,
    "legs": [{"instrument": "BTC_USDT_Perp", "size": "0.001", "limit_price": "88000.5", "is_buying_asset": True}],
    "signature": {"signer": "0xabc", "r": "0x1", "s": "0x2", "v": 28, "expiration": "1", "nonce": 1},
    "metadata": {"client_order_id": "9223372036854775809", "create_time": "1767359366000000000",
                 "trigger": {"trigger_type": "UNSPECIFIED"}, "broker": "UNSPECIFIED", "is_position_transfer": False},
    "state": {"status": "OPEN", "reject_reason": "UNSPECIFIED", "book_size": ["0.001"], "traded_size": ["0.0"],
              "update_time": "1767359366686762920", "avg_fill_price": ["0.0"]},
    "builder": "0x00",
    "builder_fee": "0.0",
}

LIVE_FILL = {
    "event_time": "1767359366686762920", "sub_account_id": "2147050003876484", "instrument": "BTC_USDT_Perp",
    "is_buyer": True, "is_taker": True, "size": "0.001", "price": "89473.4", "mark_price": "89470.0",
    "index_price": "89460.1", "interest_rate": "0.0", "forward_price": "0.0", "realized_pnl": "0.0",
    "fee": "0.040263", "fee_rate": "0.045", "trade_id": "64796657-1",
    "order_id": "0x010101050390cd89000000007799a374", "venue": "ORDERBOOK", "is_liquidation": False,
    "client_order_id": "9223372036854775809", "signer": "0xabc", "broker": "UNSPECIFIED", "is_rpi": False,
    "builder": "0x00", "builder_fee_rate": "0.0", "builder_fee": "0.0", "fee_currency": "USDT",
}

LIVE_INSTRUMENT = {
    "instrument": "BTC_USDT_Perp", "instrument_hash": "0x030501", "base": "BTC", "quote": "USDT",
    "kind": "PERPETUAL", "venues": ["ORDERBOOK", "RFQ"], "settlement_period": "PERPETUAL", "base_decimals": 9,
    "quote_decimals": 6, "tick_size": "0.1", "min_size": "0.001", "create_time": "1768040726362828205",
    "max_position_size": "1000.0", "funding_interval_hours": 8, "adjusted_funding_rate_cap": "0.3",
    "adjusted_funding_rate_floor": "-0.3", "min_notional": "100.0",
}


class OrderTests(unittest.TestCase):

    def test_live_order(self):
        order = load(LIVE_ORDER, GrvtOrder)

        self.assertEqual("0x010101050390cd89000000007799a374", order.order_id)
        self.assertTrue(order.has_exchange_id)
        self.assertEqual("9223372036854775809", order.client_order_id)
        self.assertEqual("BTC_USDT_Perp", order.instrument)
        self.assertEqual(Decimal("0.001"), order.leg.size)
        self.assertEqual(Decimal("88000.5"), order.leg.limit_price)
        self.assertTrue(order.leg.is_buying_asset)
        self.assertIs(GrvtOrderStatus.OPEN, order.state.status)
        self.assertEqual(Decimal("0"), order.state.traded)
        self.assertEqual(1767359366686762920, order.state.update_time)

    def test_create_answer_with_placeholder_id_numbers_and_minimal_fields(self):
        order = load({
            "order_id": "0x00",
            "legs": [{"instrument": "ETH_USDT_Perp", "size": 2, "is_buying_asset": "false"}],
            "metadata": {"client_order_id": "9223372036854775810"},
            "state": {"status": "PENDING"},
        }, GrvtOrder)

        self.assertFalse(order.has_exchange_id)
        self.assertEqual("9223372036854775810", order.client_order_id)
        self.assertEqual(Decimal("2"), order.leg.size)
        self.assertEqual(Decimal("0"), order.leg.limit_price)
        self.assertFalse(order.leg.is_buying_asset)
        self.assertIs(GrvtOrderStatus.PENDING, order.state.status)
        self.assertIs(GrvtRejectReason.UNSPECIFIED, order.state.reason)
        self.assertEqual(0, order.state.update_time)

    def test_market_order_with_a_null_limit_price(self):
        # GRVT's OrderLeg.limit_price "should be null/0 if the order is a market order"
        market_order = dict(LIVE_ORDER, is_market=True, time_in_force="IMMEDIATE_OR_CANCEL", legs=[
            {"instrument": "BTC_USDT_Perp", "size": "0.001", "limit_price": None, "is_buying_asset": True}])

        order = decode_reply(json.dumps({"result": market_order}), GrvtResult[GrvtOrder]).result
        self.assertEqual(Decimal("0"), order.leg.limit_price)
        bulk = decode_reply(json.dumps({"orders": [market_order], "cancel_acks": []}), GrvtBulkOrdersReply)
        self.assertEqual(Decimal("0"), bulk.orders[0].leg.limit_price)

    def test_order_without_state_or_metadata(self):
        order = load({"legs": [{"instrument": "BTC_USDT_Perp", "size": "1"}]}, GrvtOrder)
        self.assertIsNone(order.state)
        self.assertEqual("", order.client_order_id)
        self.assertEqual("0x00", order.order_id)

    def test_errors_name_the_message_and_the_field(self):
        cases = [
            ({"order_id": "0x1"}, "legs"),
            ({"legs": []}, "length >= 1 - at `$.legs`"),
            ({"legs": "x"}, "$.legs"),
            ({"legs": [{"instrument": "BTC_USDT_Perp"}]}, "size"),
            ({"legs": [{"instrument": "BTC_USDT_Perp", "size": "a lot"}]}, "$.legs[0].size"),
            ([LIVE_ORDER], "Expected `object`"),
        ]
        for payload, fragment in cases:
            with self.subTest(payload=payload):
                with self.assertRaises(GrvtMessageError) as context:
                    load(payload, GrvtOrder)
                self.assertIn("GrvtOrder", str(context.exception))
                self.assertIn(fragment, str(context.exception))

    def test_order_time_in_force_is_an_enum(self):
        for wire, expected in (("IMMEDIATE_OR_CANCEL", GrvtTimeInForce.IMMEDIATE_OR_CANCEL),
                               ("NEW_KIND", GrvtTimeInForce.UNKNOWN)):
            order = load({"time_in_force": wire, "legs": [{"instrument": "BTC_USDT_Perp", "size": "1"}]}, GrvtOrder)
            self.assertIs(expected, order.time_in_force)

    def test_text_that_is_not_json_is_an_error(self):
        with self.assertRaises(GrvtMessageError):
            load("Invalid message", GrvtOrder)

    def test_reject_reasons_decode_to_their_members(self):
        for wire in ("FAIL_POST_ONLY", "SELF_TRADE_PROTECTION", "CLIENT_CANCEL_ON_DISCONNECT_TRIGGERED"):
            state = load({"status": "REJECTED", "reject_reason": wire}, GrvtOrderState)
            self.assertIs(GrvtRejectReason[wire], state.reason)

    def test_unknown_enum_names_decode_to_unknown(self):
        state = load({"status": "SUSPENDED", "reject_reason": "NEW_REASON"}, GrvtOrderState)
        self.assertIs(GrvtOrderStatus.UNKNOWN, state.status)
        self.assertIs(GrvtRejectReason.UNKNOWN, state.reason)
        self.assertEqual("NEW_REASON", state.reject_reason)  # the wire name is kept for messages
        notice = load({"cancel_status": "SOMETHING_NEW"}, GrvtCancelStatus)
        self.assertIs(GrvtCancelStatusKind.UNKNOWN, notice.cancel_status)

    def test_order_state_first_leg_and_empty_arrays(self):
        state = load({"status": "FILLED", "traded_size": ["1.5", "2"], "update_time": 7}, GrvtOrderState)
        self.assertEqual(Decimal("1.5"), state.traded)
        self.assertEqual(Decimal("0"), load({"status": "OPEN", "traded_size": []}, GrvtOrderState).traded)
        with self.assertRaises(GrvtMessageError):
            load({"reject_reason": "UNSPECIFIED"}, GrvtOrderState)

    def test_state_feed(self):
        feed = load({"order_id": "0x01", "client_order_id": "5",
                     "order_state": {"status": "CANCELLED", "reject_reason": "CLIENT_CANCEL"}}, GrvtOrderStateFeed)
        self.assertEqual(("0x01", "5"), (feed.order_id, feed.client_order_id))
        self.assertEqual("CLIENT_CANCEL", feed.order_state.reject_reason)
        self.assertIs(GrvtRejectReason.CLIENT_CANCEL, feed.order_state.reason)
        self.assertIs(GrvtRejectReason.UNSPECIFIED, load({"status": "CANCELLED"}, GrvtOrderState).reason)
        with self.assertRaises(GrvtMessageError):
            load({"order_id": "0x01"}, GrvtOrderStateFeed)

    def test_real_order_id_excludes_the_create_placeholder(self):
        for placeholder in (None, "", "0x", "0x0", "0x00", "0X00", "0"):
            self.assertFalse(is_real_order_id(placeholder))
        self.assertTrue(is_real_order_id("0x010101050390cd89000000007799a374"))


class FillAndAccountTests(unittest.TestCase):

    def test_live_fill(self):
        fill = load(LIVE_FILL, GrvtFill)
        self.assertEqual(Decimal("0.040263"), fill.fee)
        self.assertEqual("USDT", fill.fee_currency)
        self.assertTrue(fill.is_taker)
        self.assertEqual("64796657-1", fill.trade_id)
        self.assertAlmostEqual(1767359366.686763, fill.timestamp, places=5)

    def test_fill_with_numbers_instead_of_strings_and_a_rebate(self):
        fill = load(dict(LIVE_FILL, size=0.5, price=65038.01, fee=-0.0015, event_time=1697788800000000000), GrvtFill)
        self.assertEqual(Decimal("0.5"), fill.size)
        self.assertEqual(Decimal("-0.0015"), fill.fee)
        self.assertEqual(1697788800000000000, fill.event_time)

    def test_fill_errors(self):
        without_trade_id = {key: value for key, value in LIVE_FILL.items() if key != "trade_id"}
        with self.assertRaises(GrvtMessageError) as context:
            load(without_trade_id, GrvtFill)
        self.assertIn("trade_id", str(context.exception))
        with self.assertRaises(GrvtMessageError) as context:
            load(dict(LIVE_FILL, price="n/a"), GrvtFill)
        self.assertIn("$.price", str(context.exception))

    def test_position(self):
        position = load({
            "event_time": "1", "instrument": "BTC_USDT_Perp", "size": "-0.004", "entry_price": 90000,
            "unrealized_pnl": "1.5", "leverage": "10", "cumulative_realized_funding_payment": "0.3",
            "margin_type": "cross"}, GrvtPosition)
        self.assertEqual(Decimal("-0.004"), position.size)
        self.assertEqual(Decimal("10"), position.leverage)
        self.assertEqual(Decimal("0.3"), position.cumulative_realized_funding_payment)
        self.assertIsNone(load({"instrument": "BTC_USDT_Perp", "size": "1", "entry_price": "1", "unrealized_pnl": "0"},
                               GrvtPosition).leverage)

    def test_account_summary(self):
        summary = load({
            "event_time": "1764863116142428457", "sub_account_id": "2147050003876484",
            "margin_type": "SIMPLE_CROSS_MARGIN", "settle_currency": "USDT", "unrealized_pnl": "0.0",
            "total_equity": "15.0", "initial_margin": "0.0", "maintenance_margin": "0.0",
            "available_balance": "15.0", "spot_balances": [{"currency": "USDT", "balance": "15.0",
                                                             "index_price": "1.000289735"}], "positions": []
        }, GrvtSubAccount)
        self.assertEqual(Decimal("15.0"), summary.available_balance)
        self.assertEqual("USDT", summary.spot_balances[0].currency)
        with self.assertRaises(GrvtMessageError) as context:
            load({"settle_currency": "USDT"}, GrvtSubAccount)
        self.assertIn("available_balance", str(context.exception))

    def test_funding_payment(self):
        payment = load({"event_time": "1697788800000000000", "instrument": "BTC_USDT_Perp",
                        "currency": "USDT", "amount": "-0.004522", "tx_id": "209358"}, GrvtFundingPayment)
        self.assertEqual(Decimal("-0.004522"), payment.amount)
        self.assertEqual(1697788800.0, payment.timestamp)
        with self.assertRaises(GrvtMessageError):
            load({"event_time": "1", "instrument": "BTC_USDT_Perp"}, GrvtFundingPayment)


class InstrumentAndEnvelopeTests(unittest.TestCase):

    def test_live_instrument(self):
        instrument = load(LIVE_INSTRUMENT, GrvtInstrument)
        self.assertTrue(instrument.is_perpetual)
        self.assertEqual(9, instrument.base_decimals)
        self.assertEqual(Decimal("0.1"), instrument.tick_size)
        self.assertEqual(Decimal("100.0"), instrument.min_notional)
        self.assertEqual(8, instrument.funding_interval_hours)

    def test_instrument_with_string_integers_and_without_optional_fields(self):
        instrument = load({"instrument": "X_USDT_Perp", "base": "X", "quote": "USDT", "kind": "PERPETUAL",
                           "base_decimals": "6", "tick_size": "0.01", "min_size": "1"}, GrvtInstrument)
        self.assertEqual(6, instrument.base_decimals)
        self.assertIsNone(instrument.min_notional)
        self.assertFalse(load(dict(LIVE_INSTRUMENT, kind="FUTURE"), GrvtInstrument).is_perpetual)
        with self.assertRaises(GrvtMessageError):
            load({key: value for key, value in LIVE_INSTRUMENT.items() if key != "tick_size"}, GrvtInstrument)

    def test_cancel_status_and_leverage(self):
        notice = load({"sub_account_id": "1", "client_order_id": "23042", "order_id": "0x1",
                       "reason": "UNSPECIFIED", "update_time": "1", "cancel_status": "EXPIRED"}, GrvtCancelStatus)
        self.assertIs(GrvtCancelStatusKind.EXPIRED, notice.cancel_status)
        leverage = load({"instrument": "BTC_USDT_Perp", "leverage": "12"}, GrvtInitialLeverage)
        self.assertEqual(Decimal("12"), leverage.leverage)

    def test_stream_envelope_keeps_the_feed_for_its_own_type(self):
        raw = b'{"stream": "v1.fill", "selector": "1", "sequence_number": "17", "feed": {"a": 1}}'
        for payload in (raw, raw.decode(), json.loads(raw)):  # text, bytes and parsed JSON read the same
            with self.subTest(payload=payload):
                envelope = load(payload, GrvtStreamEnvelope)
                self.assertEqual(("v1.fill", {"a": 1}), (envelope.stream, envelope.feed))
        for payload in (b'{"stream": "v1.fill"}', {"stream": "v1.fill"}):
            with self.assertRaises(GrvtMessageError) as context:
                load(payload, GrvtStreamEnvelope)
            self.assertIn("GrvtStreamEnvelope", str(context.exception))

    def test_empty_reply_is_an_error_never_no_data(self):
        for reply_type in (GrvtResult[GrvtOrder], GrvtResult[list], GrvtPage[dict]):
            with self.subTest(reply_type=reply_type):
                with self.assertRaises(GrvtMessageError) as context:
                    decode_reply(b"{}", reply_type)
                self.assertIn("result", str(context.exception))
        self.assertEqual([], decode_reply(b'{"result": []}', GrvtResult[list]).result)

    def test_rpc_replies_decode_with_and_without_a_second_envelope(self):
        for body in (b'{"ack": "true"}', b'{"result": {"ack": true}}', b'{"result": {"result": {"ack": true}}}'):
            with self.subTest(body=body):
                self.assertTrue(decode_reply(body, GrvtResult[GrvtAck]).result.ack)
        bulk = b'{"orders": [], "cancel_acks": [{"ack": true}, {"ack": false}]}'
        for body in (bulk, b'{"result": ' + bulk + b"}"):
            with self.subTest(body=body):
                reply = decode_reply(body, GrvtBulkOrdersReply)
                self.assertEqual([True, False], [ack.ack for ack in reply.cancel_acks])

    def test_page(self):
        page = decode_reply(b'{"result": [{"a": 1}], "next": "c1"}', GrvtPage[dict])
        self.assertEqual(("c1", [{"a": 1}]), (page.next, page.result))
        self.assertEqual("", decode_reply(b'{"result": []}', GrvtPage[dict]).next)
