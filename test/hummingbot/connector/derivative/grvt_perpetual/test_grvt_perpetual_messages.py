import unittest
from decimal import Decimal

from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import (
    GrvtCancelStatus,
    GrvtFill,
    GrvtFundingPayment,
    GrvtInitialLeverage,
    GrvtInstrument,
    GrvtMessageError,
    GrvtOrder,
    GrvtOrderState,
    GrvtOrderStateFeed,
    GrvtPage,
    GrvtPosition,
    GrvtStreamMessage,
    GrvtSubAccount,
    ack_of,
    is_real_order_id,
    ns_to_seconds,
    result_list,
    result_object,
    to_bool,
    to_decimal,
    to_int,
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


class ConverterTests(unittest.TestCase):

    def test_to_decimal_accepts_strings_numbers_and_decimals(self):
        self.assertEqual(Decimal("0.016"), to_decimal("0.016", "x", "f"))
        self.assertEqual(Decimal("5"), to_decimal(5, "x", "f"))
        self.assertEqual(Decimal("0.0003"), to_decimal(0.0003, "x", "f"))
        self.assertEqual(Decimal("1.5"), to_decimal(Decimal("1.5"), "x", "f"))

    def test_to_decimal_rejects_garbage_booleans_and_non_finite_values(self):
        for value in ("abc", "", True, None, "NaN", "Infinity", float("inf"), float("nan"), [1]):
            with self.subTest(value=value):
                with self.assertRaises(GrvtMessageError) as context:
                    to_decimal(value, "fill", "price")
                self.assertIn("fill field 'price'", str(context.exception))

    def test_to_int_accepts_numbers_and_numeric_strings(self):
        self.assertEqual(9, to_int("9", "x", "f"))
        self.assertEqual(9, to_int(9, "x", "f"))
        self.assertEqual(8, to_int(8.0, "x", "f"))

    def test_to_int_rejects_fractions_and_text(self):
        for value in ("1.5", 1.5, "nine", None):
            with self.subTest(value=value):
                with self.assertRaises(GrvtMessageError):
                    to_int(value, "instrument", "base_decimals")

    def test_to_bool_reads_booleans_strings_and_integers(self):
        self.assertTrue(to_bool(True, "x", "f"))
        self.assertTrue(to_bool("true", "x", "f"))
        self.assertTrue(to_bool("TRUE", "x", "f"))
        self.assertFalse(to_bool("false", "x", "f"))
        self.assertFalse(to_bool(0, "x", "f"))
        self.assertTrue(to_bool(1, "x", "f"))

    def test_to_bool_rejects_other_values(self):
        for value in ("yes", None, 1.0):
            with self.subTest(value=value):
                with self.assertRaises(GrvtMessageError):
                    to_bool(value, "x", "ack")

    def test_real_order_id_excludes_the_create_placeholder(self):
        self.assertFalse(is_real_order_id("0x00"))
        self.assertFalse(is_real_order_id("0x0"))
        self.assertFalse(is_real_order_id(""))
        self.assertFalse(is_real_order_id(None))
        self.assertTrue(is_real_order_id("0x010101050390cd89000000007799a374"))
        self.assertTrue(is_real_order_id("10000101000203040506"))

    def test_ns_to_seconds(self):
        self.assertAlmostEqual(1767292408.4, ns_to_seconds(1767292408400000000), places=6)


class OrderParsingTests(unittest.TestCase):

    def test_live_order_is_parsed(self):
        order = GrvtOrder.from_json(LIVE_ORDER)

        self.assertEqual("0x010101050390cd89000000007799a374", order.order_id)
        self.assertTrue(order.has_exchange_id)
        self.assertEqual("9223372036854775809", order.client_order_id)
        self.assertEqual("BTC_USDT_Perp", order.instrument)
        self.assertEqual(Decimal("0.001"), order.size)
        self.assertEqual(Decimal("88000.5"), order.limit_price)
        self.assertTrue(order.is_buying_asset)
        self.assertTrue(order.post_only)
        self.assertFalse(order.reduce_only)
        self.assertEqual(1767359366000000000, order.create_time_ns)
        self.assertEqual("OPEN", order.state.status)
        self.assertEqual(Decimal("0"), order.state.traded_size)
        self.assertFalse(order.state.is_terminal)

    def test_create_answer_with_placeholder_id_and_minimal_fields(self):
        order = GrvtOrder.from_json({
            "order_id": "0x00",
            "legs": [{"instrument": "ETH_USDT_Perp", "size": 2, "is_buying_asset": "false"}],
            "metadata": {"client_order_id": 9223372036854775810},
            "state": {"status": "PENDING"},
        })

        self.assertFalse(order.has_exchange_id)
        self.assertEqual("9223372036854775810", order.client_order_id)
        self.assertEqual(Decimal("2"), order.size)
        self.assertEqual(Decimal("0"), order.limit_price)
        self.assertFalse(order.is_buying_asset)
        self.assertEqual("PENDING", order.state.status)
        self.assertEqual("UNSPECIFIED", order.state.reject_reason)
        self.assertEqual(0, order.state.update_time_ns)

    def test_order_without_state_or_metadata(self):
        order = GrvtOrder.from_json({"legs": [{"instrument": "BTC_USDT_Perp", "size": "1"}]})

        self.assertIsNone(order.state)
        self.assertEqual("", order.client_order_id)
        self.assertEqual("0x00", order.order_id)

    def test_order_without_legs_is_a_clear_error(self):
        for payload in ({"order_id": "0x1"}, {"legs": []}, {"legs": "x"}):
            with self.subTest(payload=payload):
                with self.assertRaises(GrvtMessageError) as context:
                    GrvtOrder.from_json(payload)
                self.assertIn("order", str(context.exception))

    def test_order_leg_without_size_names_the_field(self):
        with self.assertRaises(GrvtMessageError) as context:
            GrvtOrder.from_json({"legs": [{"instrument": "BTC_USDT_Perp"}]})
        self.assertIn("'size'", str(context.exception))

    def test_non_object_payload_is_rejected(self):
        for payload in ("Invalid message", None, [LIVE_ORDER], 3):
            with self.subTest(payload=payload):
                with self.assertRaises(GrvtMessageError) as context:
                    GrvtOrder.from_json(payload)
                self.assertIn("must be a JSON object", str(context.exception))

    def test_order_state_reads_first_leg_of_arrays_and_scalars(self):
        state = GrvtOrderState.from_json({
            "status": "FILLED", "reject_reason": "UNSPECIFIED", "book_size": ["0"], "traded_size": "1.5",
            "avg_fill_price": [60000.4], "update_time": 1697788800000000000})

        self.assertTrue(state.is_terminal)
        self.assertEqual(Decimal("1.5"), state.traded_size)
        self.assertEqual(Decimal("60000.4"), state.avg_fill_price)
        self.assertAlmostEqual(1697788800.0, state.update_timestamp)

    def test_order_state_with_empty_arrays(self):
        state = GrvtOrderState.from_json({"status": "OPEN", "book_size": [], "traded_size": []})
        self.assertEqual(Decimal("0"), state.book_size)
        self.assertEqual(Decimal("0"), state.traded_size)

    def test_order_state_without_status_is_an_error(self):
        with self.assertRaises(GrvtMessageError) as context:
            GrvtOrderState.from_json({"reject_reason": "CLIENT_CANCEL"})
        self.assertIn("'status'", str(context.exception))

    def test_state_feed(self):
        feed = GrvtOrderStateFeed.from_json({
            "order_id": "10000101000203040506", "client_order_id": "23042",
            "order_state": {"status": "CANCELLED", "reject_reason": "CLIENT_CANCEL", "traded_size": ["0"]}})

        self.assertEqual("10000101000203040506", feed.order_id)
        self.assertEqual("23042", feed.client_order_id)
        self.assertEqual("CLIENT_CANCEL", feed.state.reject_reason)
        self.assertTrue(feed.state.is_terminal)

    def test_state_feed_without_state_is_an_error(self):
        with self.assertRaises(GrvtMessageError):
            GrvtOrderStateFeed.from_json({"order_id": "0x1", "client_order_id": "1"})


class FillAndAccountParsingTests(unittest.TestCase):

    def test_live_fill(self):
        fill = GrvtFill.from_json(LIVE_FILL)

        self.assertEqual("64796657-1", fill.trade_id)
        self.assertEqual(Decimal("0.040263"), fill.fee)
        self.assertEqual(Decimal("0.045"), fill.fee_rate)
        self.assertEqual("USDT", fill.fee_currency)
        self.assertTrue(fill.is_taker)
        self.assertTrue(fill.is_buyer)
        self.assertAlmostEqual(1767359366.686762920, fill.timestamp, places=5)

    def test_doc_fill_with_numbers_instead_of_strings_and_a_rebate(self):
        fill = GrvtFill.from_json(dict(LIVE_FILL, fee=-0.00009, fee_rate=0.0, size=0.3, price=65038.01,
                                       event_time=1697788800000000000))

        self.assertEqual(Decimal("-0.00009"), fill.fee)
        self.assertEqual(Decimal("0.3"), fill.size)
        self.assertEqual(1697788800000000000, fill.event_time_ns)

    def test_fill_with_only_required_fields(self):
        fill = GrvtFill.from_json({"event_time": "1", "instrument": "BTC_USDT_Perp", "size": "1", "price": "2",
                                   "trade_id": "7-1"})

        self.assertEqual(Decimal("0"), fill.fee)
        self.assertEqual("", fill.fee_currency)
        self.assertEqual("", fill.client_order_id)
        self.assertEqual("0x00", fill.order_id)
        self.assertTrue(fill.is_taker)

    def test_fill_without_trade_id_names_the_field(self):
        payload = dict(LIVE_FILL)
        del payload["trade_id"]
        with self.assertRaises(GrvtMessageError) as context:
            GrvtFill.from_json(payload)
        self.assertEqual("GRVT fill is missing the field 'trade_id'", str(context.exception))

    def test_fill_with_malformed_price(self):
        with self.assertRaises(GrvtMessageError) as context:
            GrvtFill.from_json(dict(LIVE_FILL, price="12,5"))
        self.assertIn("'price'", str(context.exception))

    def test_position_with_doc_lowercase_margin_type_and_number_fields(self):
        position = GrvtPosition.from_json({
            "event_time": "1697788800000000000", "instrument": "BTC_USDT_Perp", "size": "-0.5",
            "entry_price": "65038.01", "unrealized_pnl": "-3.2", "est_liquidation_price": 60000.25,
            "leverage": "10", "margin_type": "cross"})

        self.assertEqual(Decimal("-0.5"), position.size)
        self.assertEqual(Decimal("10"), position.leverage)
        self.assertEqual("CROSS", position.margin_type)
        self.assertEqual(Decimal("0"), position.realized_pnl)

    def test_position_without_leverage(self):
        position = GrvtPosition.from_json({"instrument": "ETH_USDT_Perp", "size": "0"})
        self.assertIsNone(position.leverage)
        self.assertEqual(0, position.event_time_ns)

    def test_account_summary(self):
        summary = GrvtSubAccount.from_json({
            "event_time": "1764863116142428457", "sub_account_id": "2147050003876484",
            "margin_type": "SIMPLE_CROSS_MARGIN", "settle_currency": "USDT", "unrealized_pnl": "0.0",
            "total_equity": "15.0", "initial_margin": "0.0", "maintenance_margin": "0.0",
            "available_balance": "12.5",
            "spot_balances": [{"currency": "USDT", "balance": "15.0", "index_price": "1.000289735"},
                              {"currency": "ETH", "balance": 2, "available_to_transfer": "1.5"}],
            "positions": [{"instrument": "BTC_USDT_Perp", "size": "0.1"}],
        })

        self.assertEqual(Decimal("12.5"), summary.available_balance)
        self.assertEqual("USDT", summary.spot_balances[0].currency)
        self.assertIsNone(summary.spot_balances[0].available_to_transfer)
        self.assertEqual(Decimal("1.5"), summary.spot_balances[1].available_to_transfer)
        self.assertEqual(Decimal("0.1"), summary.positions[0].size)

    def test_account_summary_errors(self):
        with self.assertRaises(GrvtMessageError):
            GrvtSubAccount.from_json({"spot_balances": []})
        with self.assertRaises(GrvtMessageError):
            GrvtSubAccount.from_json({"available_balance": "1", "spot_balances": {"USDT": "1"}})
        with self.assertRaises(GrvtMessageError):
            GrvtSubAccount.from_json({"available_balance": "1", "spot_balances": [{"currency": "USDT"}]})

    def test_account_summary_with_null_lists(self):
        summary = GrvtSubAccount.from_json({"available_balance": "1", "spot_balances": None, "positions": None})
        self.assertEqual((), summary.spot_balances)
        self.assertEqual((), summary.positions)

    def test_funding_payment(self):
        payment = GrvtFundingPayment.from_json({
            "event_time": "1765267200004987902", "sub_account_id": "1", "instrument": "BTC_USDT_Perp",
            "currency": "USDT", "amount": "-0.004522", "tx_id": 12})

        self.assertEqual(Decimal("-0.004522"), payment.amount)
        self.assertEqual("12", payment.tx_id)
        self.assertAlmostEqual(1765267200.005, payment.timestamp, places=3)

    def test_funding_payment_without_amount(self):
        with self.assertRaises(GrvtMessageError):
            GrvtFundingPayment.from_json({"event_time": "1", "instrument": "BTC_USDT_Perp"})


class InstrumentAndMiscParsingTests(unittest.TestCase):

    def test_live_instrument(self):
        instrument = GrvtInstrument.from_json(LIVE_INSTRUMENT)

        self.assertTrue(instrument.is_perpetual)
        self.assertEqual("0x030501", instrument.instrument_hash)
        self.assertEqual(9, instrument.base_decimals)
        self.assertEqual(Decimal("0.1"), instrument.tick_size)
        self.assertEqual(Decimal("100.0"), instrument.min_notional)
        self.assertEqual(8, instrument.funding_interval_hours)

    def test_instrument_with_string_integers_and_without_optional_fields(self):
        payload = dict(LIVE_INSTRUMENT, base_decimals="9", funding_interval_hours="1")
        for key in ("min_notional", "max_position_size"):
            del payload[key]
        instrument = GrvtInstrument.from_json(payload)

        self.assertEqual(9, instrument.base_decimals)
        self.assertEqual(1, instrument.funding_interval_hours)
        self.assertIsNone(instrument.min_notional)
        self.assertIsNone(instrument.max_position_size)

    def test_future_instrument_is_not_perpetual(self):
        instrument = GrvtInstrument.from_json(dict(LIVE_INSTRUMENT, kind="FUTURE", instrument="BTC_USDT_Fut_20Oct23"))
        self.assertFalse(instrument.is_perpetual)

    def test_instrument_without_tick_size(self):
        payload = dict(LIVE_INSTRUMENT)
        del payload["tick_size"]
        with self.assertRaises(GrvtMessageError) as context:
            GrvtInstrument.from_json(payload)
        self.assertIn("'tick_size'", str(context.exception))

    def test_cancel_status(self):
        notice = GrvtCancelStatus.from_json({
            "sub_account_id": "1", "client_order_id": "23042", "order_id": "0x1", "reason": "UNSPECIFIED",
            "update_time": "1697788800000000000", "cancel_status": "EXPIRED"})

        self.assertEqual("EXPIRED", notice.cancel_status)
        self.assertEqual(1697788800000000000, notice.update_time_ns)

    def test_initial_leverage(self):
        setting = GrvtInitialLeverage.from_json({"instrument": "BTC_USDT_Perp", "leverage": "10",
                                                 "min_leverage": "1", "max_leverage": "50", "margin_type": "CROSS"})
        self.assertEqual(Decimal("10"), setting.leverage)
        self.assertEqual(Decimal("50"), setting.max_leverage)

    def test_stream_envelope(self):
        message = GrvtStreamMessage.from_json({
            "stream": "v1.fill", "selector": "2147050003876484", "sequence_number": "1",
            "prev_sequence_number": "0", "feed": LIVE_FILL})

        self.assertEqual("v1.fill", message.stream)
        self.assertEqual(1, message.sequence_number)
        self.assertEqual(0, message.prev_sequence_number)
        self.assertIs(LIVE_FILL, message.feed)

    def test_stream_envelope_errors(self):
        for payload in ({"stream": "v1.fill"}, {"feed": {}}, {"stream": "v1.fill", "feed": "x"}, "text"):
            with self.subTest(payload=payload):
                with self.assertRaises(GrvtMessageError):
                    GrvtStreamMessage.from_json(payload)

    def test_page(self):
        page = GrvtPage.from_json({"result": [1, 2], "next": "abc"})
        self.assertEqual([1, 2], page.items)
        self.assertEqual("abc", page.next_cursor)

        last_page = GrvtPage.from_json({"result": None, "next": ""})
        self.assertEqual([], last_page.items)
        self.assertEqual("", last_page.next_cursor)

        with self.assertRaises(GrvtMessageError):
            GrvtPage.from_json({"result": {"a": 1}})

    def test_result_helpers(self):
        self.assertEqual([1], result_list({"result": [1]}, "x"))
        self.assertEqual([], result_list({}, "x"))
        self.assertEqual([2], result_list({"results": [2]}, "x", key="results"))
        with self.assertRaises(GrvtMessageError):
            result_list({"result": "no"}, "x")
        self.assertEqual({"a": 1}, result_object({"result": {"a": 1}}, "x"))
        with self.assertRaises(GrvtMessageError) as context:
            result_object({}, "order response")
        self.assertIn("order response is missing the field 'result'", str(context.exception))

    def test_ack_accepts_boolean_and_string(self):
        self.assertTrue(ack_of({"result": {"ack": True}}, "cancel"))
        self.assertTrue(ack_of({"result": {"ack": "true"}}, "cancel"))
        self.assertFalse(ack_of({"result": {}}, "cancel"))
        with self.assertRaises(GrvtMessageError):
            ack_of({"result": {"ack": "maybe"}}, "cancel")
