"""Every private stream message and trading answer the connector reads, recorded from a running sandbox, decodes
into the declared wire types with every declared field the payload carries."""
from decimal import Decimal
from typing import Any, Dict, List

import msgspec

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import (
    GrvtCancelStatus,
    GrvtFill,
    GrvtFundingPayment,
    GrvtInitialLeverage,
    GrvtInstrument,
    GrvtOrder,
    GrvtOrderStateFeed,
    GrvtPosition,
    GrvtStreamEnvelope,
    GrvtSubAccount,
    load,
)
from hummingbot.core.data_type.common import OrderType, PositionAction
from test.integration.helpers import BEST_ASK, BTC, PAIR, eventually

FEED_TYPES = {
    CONSTANTS.WS_ORDER_STATE_STREAM: GrvtOrderStateFeed,
    CONSTANTS.WS_FILL_STREAM: GrvtFill,
    CONSTANTS.WS_POSITION_STREAM: GrvtPosition,
    CONSTANTS.WS_CANCEL_STREAM: GrvtCancelStatus,
}


def assert_declared(payload: Dict[str, Any], decoded: msgspec.Struct, where: str):
    """Each field the type declares and the payload carries was read (not left at its default)."""
    builtins = msgspec.to_builtins(decoded)
    for field in decoded.__struct_fields__:
        if field in payload and payload[field] not in (None, "", [], {}):
            assert builtins.get(field) not in (None, ""), f"{where}: {field} not read from {payload[field]!r}"


async def test_every_private_message_and_trading_answer_decodes_into_the_declared_types(connector, sandbox):
    recorded: List[Dict[str, Any]] = []
    process = connector._process_user_stream_event

    async def recording(message):
        if isinstance(message, dict) and message.get("stream") in FEED_TYPES:
            recorded.append(message)
        await process(message)

    connector._process_user_stream_event = recording
    resting = connector.buy(PAIR, Decimal("0.002"), OrderType.LIMIT_MAKER, Decimal("89000"),
                            position_action=PositionAction.OPEN)
    connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT, BEST_ASK, position_action=PositionAction.OPEN)
    await eventually(lambda: resting in connector.in_flight_orders and connector.account_positions, 10,
                     message="a resting order and a position")
    connector.cancel(PAIR, resting)
    await connector.order_transport.cancel_order(client_order_id="9223372036854770001", time_to_live_ms=100)
    await eventually(lambda: {message["stream"] for message in recorded} == set(FEED_TYPES), 15,
                     message=f"every private stream ({sorted({m['stream'] for m in recorded})})")

    for message in recorded:
        envelope = load(message, GrvtStreamEnvelope)
        assert envelope.stream == message["stream"]
        assert_declared(message["feed"], load(envelope.feed, FEED_TYPES[envelope.stream]), envelope.stream)

    body = connector.account.body
    routes = [
        (CONSTANTS.ORDER_PATH_URL, body(client_order_id=resting), GrvtOrder, False),
        (CONSTANTS.OPEN_ORDERS_PATH_URL, body(kind=["PERPETUAL"]), GrvtOrder, True),
        (CONSTANTS.FILL_HISTORY_PATH_URL, body(kind=["PERPETUAL"]), GrvtFill, True),
        (CONSTANTS.POSITIONS_PATH_URL, body(kind=["PERPETUAL"]), GrvtPosition, True),
        (CONSTANTS.ACCOUNT_SUMMARY_PATH_URL, body(), GrvtSubAccount, False),
        (CONSTANTS.FUNDING_PAYMENT_HISTORY_PATH_URL, body(instrument=BTC), GrvtFundingPayment, True),
    ]
    sandbox.exchange.settle_funding(BTC, rate=Decimal("0.01"))
    for path, request, message_type, is_list in routes:
        answer = await connector._rest.request(path, request)
        items = answer["result"] if is_list else [answer["result"]]
        assert items or path == CONSTANTS.OPEN_ORDERS_PATH_URL, f"{path} answered nothing to check"
        for item in items:
            assert_declared(item, load(item, message_type), path)
    leverage = await connector._rest.request(CONSTANTS.GET_ALL_INITIAL_LEVERAGE_PATH_URL, body())
    for item in leverage["results"]:
        assert_declared(item, load(item, GrvtInitialLeverage), "initial leverage")
    instruments = await connector._rest.request(CONSTANTS.INSTRUMENTS_PATH_URL, {"kind": ["PERPETUAL"]},
                                                is_auth_required=False)
    for item in instruments["result"]:
        assert_declared(item, load(item, GrvtInstrument), "instruments")
