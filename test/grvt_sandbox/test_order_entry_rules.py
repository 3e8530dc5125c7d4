"""GRVT order-entry behaviours a connector relies on: cancel time-to-live by client order id, v2/bulk_orders over
REST and JSON-RPC, the JSON-RPC reply envelope, and cancel-on-disconnect over a socket."""
import asyncio
from decimal import Decimal

import pytest

from grvt_sandbox import enums
from grvt_sandbox.clock import Clock
from grvt_sandbox.config import DEMO_SUB_ACCOUNT_ID, SandboxConfig
from grvt_sandbox.engine import Exchange, OrderRequest
from test.grvt_sandbox.sandbox_helpers import BTC, next_client_order_id, signed_order

D = Decimal
TRADER = "8101"


async def eventually(condition, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def cancel_body(**fields):
    return dict(fields, sub_account_id=DEMO_SUB_ACCOUNT_ID)


# ---------------------------------------------------------------------------------------------------- cancel TTL
@pytest.mark.asyncio
async def test_a_cancel_that_overtakes_its_create_drops_it_and_a_lapsed_one_is_reported(sandbox, client):
    ws = await client.ws()
    for stream in ("v1.order", "v1.cancel"):
        await ws.subscribe(stream, [DEMO_SUB_ACCOUNT_ID])
    overtaken = next_client_order_id()
    assert await client.post("cancel_order", cancel_body(client_order_id=overtaken, time_to_live_ms="5000")) == (
        200, {"result": {"ack": True}})
    status, body = await client.create_order(client_order_id=overtaken)
    assert status == 200 and body["result"]["state"]["status"] == "PENDING"  # acknowledged, then dropped
    update = await ws.feed("v1.order", lambda m: m["feed"]["metadata"]["client_order_id"] == overtaken)
    assert (update["feed"]["state"]["status"], update["feed"]["state"]["reject_reason"]) == (
        "CANCELLED", "CLIENT_CANCEL")
    assert sandbox.exchange.book_snapshot(BTC).bids == []
    # two cancels for an id no order has: the second, inside the first's window, is a duplicate; the first lapses
    lapsing = next_client_order_id()
    await client.post("cancel_order", cancel_body(client_order_id=lapsing, time_to_live_ms="5000"))
    await client.post("cancel_order", cancel_body(client_order_id=lapsing, time_to_live_ms="5000"))
    duplicate = await ws.feed("v1.cancel")
    assert {key: duplicate["feed"][key] for key in ("sub_account_id", "client_order_id", "cancel_status")} == {
        "sub_account_id": DEMO_SUB_ACCOUNT_ID, "client_order_id": lapsing, "cancel_status": "DROPPED_DUPLICATE"}
    sandbox.clock.advance(5)
    expired = await ws.feed("v1.cancel")
    assert (expired["feed"]["client_order_id"], expired["feed"]["cancel_status"], expired["feed"]["reason"]) == (
        lapsing, "EXPIRED", "CLIENT_CANCEL")
    assert set(expired["feed"]) == {"sub_account_id", "client_order_id", "order_id", "reason", "update_time",
                                    "cancel_status"}
    # the window has lapsed: the same client order id now rests
    status, _ = await client.create_order(client_order_id=lapsing)
    update = await ws.feed("v1.order", lambda m: m["feed"]["metadata"]["client_order_id"] == lapsing)
    assert status == 200 and update["feed"]["state"]["status"] == "OPEN"
    await ws.close()


@pytest.fixture
def timed_exchange():
    clock = Clock()
    exchange = Exchange(SandboxConfig(accounts=[], cancel_ttl_default_ms=100, cancel_ttl_max_ms=5000), clock)
    exchange.add_account(TRADER, check_margin=False)
    notices = []
    exchange.events.cancel_status.add(lambda *notice: notices.append(notice))
    return exchange, clock, notices


def place(exchange, client_order_id):
    request = OrderRequest(TRADER, BTC, True, D("0.01"), D("89000"), False, enums.GOOD_TILL_TIME, False, False,
                           client_order_id, exchange.now_ns() + 60 * 10 ** 9, None)
    return exchange.place_order(request)


@pytest.mark.parametrize("ttl_ms, create_after_s, dropped", [
    (None, 0.0, True),  # no TTL: the default window (100 ms) applies
    (None, 0.15, False),
    ("30", 0.05, True),  # rounded down to 0, which means the default
    ("670", 0.55, True),  # rounded down to 600 ms
    ("670", 0.65, False),
    ("60000", 4.9, True),  # capped at 5 s
    ("60000", 5.1, False),
])
def test_cancel_ttl_rounding_default_and_cap(timed_exchange, ttl_ms, create_after_s, dropped):
    exchange, clock, notices = timed_exchange
    client_order_id = "9223372036854779001"
    ttl = None if ttl_ms is None else int(ttl_ms)
    assert exchange.cancel_order(TRADER, client_order_id=client_order_id, time_to_live_ms=ttl) is False
    clock.advance(create_after_s)
    order = place(exchange, client_order_id)
    assert (order.status == enums.CANCELLED) is dropped
    assert order.status == (enums.CANCELLED if dropped else enums.OPEN)
    clock.advance(10)
    exchange.on_timer()
    # a window that caught its create is closed by it; one that lapsed is reported once
    assert [notice[-1] for notice in notices] == ([] if dropped else ["EXPIRED"])


def test_cancel_by_order_id_ignores_the_ttl(timed_exchange):
    exchange, clock, notices = timed_exchange
    assert exchange.cancel_order(TRADER, order_id="0x1234", time_to_live_ms=5000) is False
    assert place(exchange, "9223372036854779002").status == enums.OPEN
    exchange.on_timer()
    assert notices == []


# ---------------------------------------------------------------------------------------------------- bulk orders
@pytest.mark.asyncio
@pytest.mark.parametrize("transport", ["rest", "rpc"])
async def test_bulk_orders_create_and_cancel_in_one_request(sandbox, client, transport):
    ws = await client.ws()
    await ws.subscribe("v1.cancel", [DEMO_SUB_ACCOUNT_ID])

    async def bulk(**body):
        body = dict(body, sub_account_id=DEMO_SUB_ACCOUNT_ID)
        if transport == "rest":
            return (await client.post("/full/v2/bulk_orders", body))[1]
        reply = await ws.call("v2/bulk_orders", body)
        assert reply["id"] is not None and reply["method"] == "v2/bulk_orders"
        return reply.get("result") or reply["error"]

    first = [signed_order(price=f"{49000 + i}.0") for i in range(3)]
    answer = await bulk(orders=first)
    assert set(answer) == {"orders", "cancel_acks"} and answer["cancel_acks"] == []
    assert [order["metadata"]["client_order_id"] for order in answer["orders"]] == [
        order["metadata"]["client_order_id"] for order in first]
    assert {order["state"]["status"] for order in answer["orders"]} == {"PENDING"}
    exchange = sandbox.exchange
    await eventually(lambda: len(exchange.open_orders(DEMO_SUB_ACCOUNT_ID)) == 3)
    by_client_id = {o.client_order_id: o for o in exchange.open_orders(DEMO_SUB_ACCOUNT_ID)}
    unknown = next_client_order_id()
    replaced = [first[0]["metadata"]["client_order_id"], first[1]["metadata"]["client_order_id"], unknown]
    second = [signed_order(price="48000.0"), signed_order(price="48001.0")]
    answer = await bulk(orders=second, client_order_i_ds=replaced, time_to_live_ms="100")
    assert answer["cancel_acks"] == [{"ack": True}] * 3 and len(answer["orders"]) == 2
    await eventually(lambda: sorted(o.price_decimal for o in exchange.open_orders(DEMO_SUB_ACCOUNT_ID)) == [
        D("48000"), D("48001"), D("49002")])
    assert by_client_id[replaced[0]].reject_reason == "CLIENT_REPLACE"
    notice = await ws.feed("v1.cancel")  # the unknown client order id's window lapsed
    assert (notice["feed"]["client_order_id"], notice["feed"]["cancel_status"]) == (unknown, "EXPIRED")
    remaining = [o.order_id for o in exchange.open_orders(DEMO_SUB_ACCOUNT_ID)]
    answer = await bulk(order_i_ds=remaining)
    assert answer == {"orders": [], "cancel_acks": [{"ack": True}] * 3}
    await eventually(lambda: exchange.open_orders(DEMO_SUB_ACCOUNT_ID) == [])
    error = await bulk(orders=[signed_order() for _ in range(101)])
    assert error["code"] == 2235
    await ws.close()


# ---------------------------------------------------------------------------------------------------- JSON-RPC
@pytest.mark.asyncio
async def test_json_rpc_replies_carry_the_rest_body_and_the_request_id(sandbox, client):
    ws = await client.ws()
    client_order_id = next_client_order_id()
    reply = await ws.call("v1/create_order", {"order": signed_order(client_order_id=client_order_id)})
    assert set(reply) == {"jsonrpc", "result", "method", "id"} and reply["jsonrpc"] == "2.0"
    rest_like = reply["result"]
    assert set(rest_like) == {"result"} and rest_like["result"]["metadata"]["client_order_id"] == client_order_id
    error = await ws.call("v1/cancel_order", {"sub_account_id": DEMO_SUB_ACCOUNT_ID})
    assert error == {"jsonrpc": "2.0", "error": {"code": 3021, "message": "Either order ID or client order ID must "
                                                                          "be supplied"},
                     "method": "v1/cancel_order", "id": error["id"]}
    await ws.send({"jsonrpc": "2.0", "method": "v1/cancel_all_orders",
                   "params": {"sub_account_id": DEMO_SUB_ACCOUNT_ID}})  # without an id, none comes back
    answer = await ws.wait_for(lambda m: m.get("method") == "v1/cancel_all_orders")
    assert answer == {"jsonrpc": "2.0", "result": {"result": {"ack": True}}, "method": "v1/cancel_all_orders"}
    await ws.close()


@pytest.mark.asyncio
async def test_json_rpc_requests_need_their_version(sandbox, client):
    """JSONRPCRequest declares `jsonrpc`: an order-entry request without "2.0" is refused, never executed."""
    ws = await client.ws()
    account = sandbox.exchange.accounts[DEMO_SUB_ACCOUNT_ID]
    for version in (None, "1.0", 2.0):
        request = {"method": "v1/create_order", "params": {"order": signed_order()}, "id": 41}
        if version is not None:
            request["jsonrpc"] = version
        await ws.send(request)
        reply = await ws.wait_for(lambda m: m.get("id") == 41)
        assert reply["error"]["code"] == 1003 and reply["method"] == "v1/create_order", reply
    assert not account.open_orders and not len(account.order_history)
    await ws.close()


@pytest.mark.asyncio
async def test_cancel_on_disconnect_heartbeat_over_the_socket(sandbox, client):
    ws = await client.ws()
    await ws.subscribe("v1.order", [DEMO_SUB_ACCOUNT_ID])
    client_order_id = next_client_order_id()
    await client.create_order(client_order_id=client_order_id)
    await ws.feed("v1.order", lambda m: m["feed"]["state"]["status"] == "OPEN")
    heartbeat = {"sub_account_id": DEMO_SUB_ACCOUNT_ID, "countdown_time": "3000"}
    assert (await ws.call("v1/cancel_on_disconnect", heartbeat))["result"] == {"result": {"ack": True}}
    sandbox.clock.advance(2)
    await ws.call("v1/cancel_on_disconnect", heartbeat)
    sandbox.clock.advance(2)  # 4 s after the first heartbeat, 2 s after the second
    await ws.call("v1/book", {"instrument": BTC})
    await asyncio.sleep(0.1)  # timer ticks
    assert sandbox.exchange.find_order(DEMO_SUB_ACCOUNT_ID, client_order_id=client_order_id).status == "OPEN"
    sandbox.clock.advance(1.5)
    cancelled = await ws.feed("v1.order", lambda m: m["feed"]["state"]["status"] == "CANCELLED")
    assert (cancelled["feed"]["metadata"]["client_order_id"], cancelled["feed"]["state"]["reject_reason"]) == (
        client_order_id, "CLIENT_CANCEL_ON_DISCONNECT_TRIGGERED")
    await ws.close()
