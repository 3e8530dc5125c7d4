"""Garbage in every field of every route gets GRVT's error envelope (never a 500, a crash or a hang)."""
import copy
import json

import pytest

from grvt_sandbox.config import DEMO_SUB_ACCOUNT_ID
from test.grvt_sandbox.sandbox_helpers import BTC, signed_order

pytestmark = pytest.mark.asyncio
SUPERSCRIPT_TWO = "\u00b2"  # str.isdigit() accepts it, int() does not
GARBAGE = [None, True, -1, 1.5, 10 ** 30, "", "x", "-5", SUPERSCRIPT_TWO, [], [1, {}], {}, {"a": [1]}]
KEYS = ["instrument", "depth", "limit", "cursor", "start_time", "end_time", "interval", "type", "kind", "base",
        "quote", "is_active", "sub_account_id", "order_id", "client_order_id", "time_to_live_ms", "countdown_time",
        "leverage", "orders", "order_i_ds", "client_order_i_ds", "order"]


def assert_envelope_or_success(status, body):
    assert status != 500, body
    if status != 200:
        assert set(body) == {"code", "message", "status"} and body["status"] == status, body


async def test_every_route_with_wrong_types(sandbox, client):
    routes = [route.split("/", 1)[1] for route in list(sandbox.trading.routes) + list(sandbox.market_data.routes)]
    base = {"sub_account_id": DEMO_SUB_ACCOUNT_ID, "instrument": BTC}
    for route in routes:
        path = f"/full/v2/{route}" if route == "bulk_orders" else route
        for key in KEYS:
            for value in GARBAGE:
                status, body = await client.post(path, dict(base, **{key: value}))
                assert_envelope_or_success(status, body)


async def test_create_order_with_wrong_types_in_each_field(sandbox, client):
    template = signed_order()
    paths = [("sub_account_id",), ("is_market",), ("time_in_force",), ("post_only",), ("reduce_only",), ("legs",),
             ("legs", 0), ("legs", 0, "instrument"), ("legs", 0, "size"), ("legs", 0, "limit_price"),
             ("legs", 0, "is_buying_asset"), ("signature",), ("signature", "signer"), ("signature", "r"),
             ("signature", "s"), ("signature", "v"), ("signature", "expiration"), ("signature", "nonce"),
             ("signature", "chain_id"), ("metadata",), ("metadata", "client_order_id"), ("metadata", "trigger"),
             ("builder",), ("builder_fee",), ("order_id",), ("state",)]
    for path in paths:
        for value in GARBAGE:
            order = copy.deepcopy(template)
            target = order
            for part in path[:-1]:
                target = target[part]
            target[path[-1]] = value
            status, body = await client.post("create_order", {"order": order})
            assert_envelope_or_success(status, body)


async def test_websocket_garbage(sandbox, client):
    ws = await client.ws()
    messages = ["", " ", "null", "1", '"x"', '{"method": 1}', '{"method": "subscribe", "params": []}',
                '{"method": "subscribe", "params": {"stream": 1, "selectors": "x"}}',
                '{"method": "subscribe", "params": {"stream": "v1.book.d", "selectors": [1, null]}}',
                '{"stream": "v1.book.d", "feed": "x", "method": "subscribe"}',
                '{"method": "v1/create_order", "params": {"order": {"legs": [{"instrument": []}]}}}',
                '{"method": "v1/book", "params": {"instrument": {}}}',
                json.dumps({"jsonrpc": "2.0", "method": "subscribe",
                            "params": {"stream": "v1.book.d", "selectors": [f"{BTC}@{SUPERSCRIPT_TWO}"]}}),
                json.dumps({"jsonrpc": "2.0", "method": "subscribe",
                            "params": {"stream": "v1.fill", "selectors": [SUPERSCRIPT_TWO]}})]
    for text in messages:
        await ws.send(text)
        response = await ws.receive()
        error = response.get("error") or response
        assert error["code"] in (1003, 1101, 1102, 1103, 2061, 3000, 3020, 3030), (text, response)
    unsubscribed = await ws.call("unsubscribe", {"stream": "v1.book.d", "selectors": [[], 5]})
    assert unsubscribed["result"] == {"stream": "v1.book.d", "unsubs": []}
    assert (await ws.subscribe("v1.book.d", [f"{BTC}@100"]))["result"]["subs"] == [f"{BTC}@100"]
    await ws.close()
