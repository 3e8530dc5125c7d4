"""Request faults: orders executed while their client saw a timeout, an empty answer or an error, over REST and
JSON-RPC; rate-limit answers; an exchange restart that loses its memory."""
import asyncio
import time
from decimal import Decimal

import pytest

from grvt_sandbox.config import DEMO_SUB_ACCOUNT_ID, SandboxConfig
from grvt_sandbox.server import SandboxServer
from test.grvt_sandbox.sandbox_helpers import BTC, SandboxClient, next_client_order_id, signed_order

pytestmark = pytest.mark.asyncio
D = Decimal
CLIENT_TIMEOUT_S = 0.3  # how long the test's client waits for an answer before giving up
RATE_LIMITED = {"code": 1006, "message": "You have surpassed the allocated rate limit for your tier", "status": 429}


async def eventually(condition, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def demo_order(sandbox, client_order_id):
    return sandbox.exchange.find_order(DEMO_SUB_ACCOUNT_ID, client_order_id=client_order_id)


async def gives_up(call):
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(call, CLIENT_TIMEOUT_S)


# ---------------------------------------------------------------------------------------------------- REST
@pytest.mark.parametrize("kind", ["late", "lost"])
async def test_rest_create_executes_while_the_client_times_out(sandbox, client, kind):
    sandbox.faults.fail_rest("create_order", kind, delay_s=30, count=1)
    client_order_id = next_client_order_id()
    await gives_up(client.create_order(client_order_id=client_order_id))
    await eventually(lambda: demo_order(sandbox, client_order_id) is not None)
    assert demo_order(sandbox, client_order_id).status == "OPEN"
    assert (await client.create_order())[0] == 200  # the fault was used up
    assert sandbox.faults.rest_faults == {}


async def test_rest_late_answer_arrives_after_the_delay(sandbox, client):
    sandbox.faults.fail_rest("create_order", "late", delay_s=0.2, count=1)
    client_order_id = next_client_order_id()
    started = time.monotonic()
    status, body = await client.create_order(client_order_id=client_order_id)
    assert time.monotonic() - started >= 0.2
    assert status == 200 and body["result"]["metadata"]["client_order_id"] == client_order_id


@pytest.mark.parametrize("kind, answer", [
    ("executed_empty", (200, {})),
    ("executed_error", (503, {"code": 1009, "message": "We are temporarily deactivating this API endpoint, please "
                                                       "try again later", "status": 503})),
    ("empty", (200, {})),
    ("status", (503, {"code": 1009, "message": "We are temporarily deactivating this API endpoint, please try "
                                               "again later", "status": 503})),
])
async def test_rest_answers_that_hide_or_fake_the_outcome(sandbox, client, kind, answer):
    sandbox.faults.fail_rest("create_order", kind, count=1)
    client_order_id = next_client_order_id()
    assert await client.create_order(client_order_id=client_order_id) == answer
    if kind.startswith("executed"):
        assert demo_order(sandbox, client_order_id) is not None
    else:
        assert demo_order(sandbox, client_order_id) is None


@pytest.mark.parametrize("kind", ["deferred", "deferred_empty"])
async def test_rest_create_reaches_the_book_only_after_the_delay(sandbox, client, kind):
    sandbox.faults.fail_rest("create_order", kind, delay_s=0.5, count=1)
    client_order_id = next_client_order_id()
    sent_ns = sandbox.exchange.now_ns()
    if kind == "deferred":
        await gives_up(client.create_order(client_order_id=client_order_id))
    else:
        assert await client.create_order(client_order_id=client_order_id) == (200, {})
    await eventually(lambda: demo_order(sandbox, client_order_id) is not None)
    order = demo_order(sandbox, client_order_id)
    assert order.create_time - sent_ns >= 0.5e9
    await eventually(lambda: order.status == "OPEN")


async def test_rest_cancels_and_bulk_orders_execute_behind_a_lost_answer(sandbox, client):
    first, second = next_client_order_id(), next_client_order_id()
    await client.create_order(client_order_id=first)
    await client.create_order(client_order_id=second)
    await eventually(lambda: len(sandbox.exchange.open_orders(DEMO_SUB_ACCOUNT_ID)) == 2)
    sandbox.faults.fail_rest("cancel_order", "lost")
    await gives_up(client.post("cancel_order", {"sub_account_id": DEMO_SUB_ACCOUNT_ID, "client_order_id": first}))
    await eventually(lambda: demo_order(sandbox, first).status == "CANCELLED")
    sandbox.faults.fail_rest("cancel_all_orders", "executed_empty", count=1)
    assert await client.post("cancel_all_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID}) == (200, {})
    await eventually(lambda: demo_order(sandbox, second).status == "CANCELLED")
    sandbox.faults.fail_rest("bulk_orders", "late", delay_s=30, count=1)
    batch = [signed_order(price="49000.0"), signed_order(price="49001.0")]
    await gives_up(client.post("/full/v2/bulk_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID, "orders": batch}))
    await eventually(lambda: len(sandbox.exchange.open_orders(DEMO_SUB_ACCOUNT_ID)) == 2)


async def test_fault_arguments_are_checked(sandbox):
    with pytest.raises(ValueError):
        sandbox.faults.fail_rest("create_order", "drop_after")  # sockets only
    with pytest.raises(ValueError):
        sandbox.faults.fail_rpc("create_order", "explode")
    with pytest.raises(ValueError):
        sandbox.faults.fail_rpc("create_order", "late", delay_s=-1)
    with pytest.raises(ValueError):
        sandbox.faults.rate_limit("create_order", count=0)
    with pytest.raises(ValueError):
        sandbox.faults.rate_limit("create_order", transport="carrier-pigeon")
    sandbox.faults.fail_rest("/full/v1/create_order", "status", code=2082)
    fault = sandbox.faults.rest_faults["create_order"]
    assert (fault.code, fault.status) == (2082, 400)
    sandbox.faults.fail_rpc("v1/create_order", "status", status=500)
    assert sandbox.faults.rpc_faults["create_order"].code == 1002
    sandbox.faults.clear_rpc("v1/create_order")
    sandbox.faults.clear_rest("create_order")
    assert sandbox.faults.rest_faults == sandbox.faults.rpc_faults == {}


# ---------------------------------------------------------------------------------------------------- JSON-RPC
async def rpc_create(ws, client_order_id, timeout=3.0):
    return await ws.call("v1/create_order", {"order": signed_order(client_order_id=client_order_id)}, timeout)


async def test_rpc_reply_never_sent_but_the_order_is_placed(sandbox, client):
    ws = await client.ws()
    await ws.subscribe("v1.order", [DEMO_SUB_ACCOUNT_ID])
    sandbox.faults.fail_rpc("v1/create_order", "lost", count=1)
    client_order_id = next_client_order_id()
    with pytest.raises(asyncio.TimeoutError):
        await rpc_create(ws, client_order_id, timeout=CLIENT_TIMEOUT_S)
    update = await ws.feed("v1.order", lambda m: m["feed"]["metadata"]["client_order_id"] == client_order_id)
    assert update["feed"]["state"]["status"] in ("PENDING", "OPEN")
    assert "result" in await rpc_create(ws, next_client_order_id())  # used up; the socket still works
    await ws.close()


async def test_rpc_late_reply_does_not_hold_up_other_calls(sandbox, client):
    ws = await client.ws()
    sandbox.faults.fail_rpc("create_order", "late", delay_s=0.3, count=1)
    client_order_id = next_client_order_id()
    await ws.send({"jsonrpc": "2.0", "method": "v1/create_order", "id": 41,
                   "params": {"order": signed_order(client_order_id=client_order_id)}})
    book = await ws.call("v1/book", {"instrument": BTC})
    assert book["result"]["result"]["instrument"] == BTC
    assert demo_order(sandbox, client_order_id) is not None  # executed before its reply
    late = await ws.wait_for(lambda m: m.get("id") == 41)
    assert late["result"]["result"]["metadata"]["client_order_id"] == client_order_id
    await ws.close()


async def test_rpc_delay_executes_and_answers_after_the_delay(sandbox, client):
    ws = await client.ws()
    sandbox.faults.fail_rpc("create_order", "delay", delay_s=0.3, count=1)
    client_order_id = next_client_order_id()
    sent_ns = sandbox.exchange.now_ns()
    reply = await rpc_create(ws, client_order_id)
    assert reply["result"]["result"]["metadata"]["client_order_id"] == client_order_id
    assert demo_order(sandbox, client_order_id).create_time - sent_ns >= 0.3e9
    await ws.close()


@pytest.mark.parametrize("kind, executed", [("empty", False), ("executed_empty", True), ("status", False),
                                            ("executed_error", True)])
async def test_rpc_empty_results_and_error_replies(sandbox, client, kind, executed):
    ws = await client.ws()
    sandbox.faults.fail_rpc("v1/create_order", kind, code=1006, count=1)
    client_order_id = next_client_order_id()
    reply = await rpc_create(ws, client_order_id)
    assert reply["jsonrpc"] == "2.0" and reply["id"] == 1 and reply["method"] == "v1/create_order"
    if kind.endswith("empty"):
        assert reply["result"] == {} and "error" not in reply
    else:
        assert reply["error"] == {"code": 1006, "message": RATE_LIMITED["message"]} and "result" not in reply
    assert (demo_order(sandbox, client_order_id) is not None) is executed
    await ws.close()


@pytest.mark.parametrize("kind, executed", [("drop_before", False), ("drop_after", True)])
async def test_rpc_socket_dropped_around_the_execution(sandbox, client, kind, executed):
    ws = await client.ws()
    sandbox.faults.fail_rpc("create_order", kind, count=1)
    client_order_id = next_client_order_id()
    with pytest.raises(ConnectionError):
        await rpc_create(ws, client_order_id)
    assert (demo_order(sandbox, client_order_id) is not None) is executed
    again = await client.ws()
    assert "result" in await rpc_create(again, next_client_order_id())
    await again.close()


async def test_rpc_deferred_create_and_lost_cancels(sandbox, client):
    ws = await client.ws()
    sandbox.faults.fail_rpc("create_order", "deferred_empty", delay_s=0.4, count=1)
    client_order_id = next_client_order_id()
    sent_ns = sandbox.exchange.now_ns()
    assert (await rpc_create(ws, client_order_id))["result"] == {}
    await eventually(lambda: demo_order(sandbox, client_order_id) is not None)
    order = demo_order(sandbox, client_order_id)
    assert order.create_time - sent_ns >= 0.4e9
    await eventually(lambda: order.status == "OPEN")
    sandbox.faults.fail_rpc("*", "lost", count=2)
    with pytest.raises(asyncio.TimeoutError):
        await ws.call("v1/cancel_order", {"sub_account_id": DEMO_SUB_ACCOUNT_ID, "order_id": order.order_id},
                      CLIENT_TIMEOUT_S)
    await eventually(lambda: order.status == "CANCELLED")
    other = next_client_order_id()
    await client.create_order(client_order_id=other)
    await eventually(lambda: demo_order(sandbox, other).status == "OPEN")
    with pytest.raises(asyncio.TimeoutError):
        await ws.call("v1/cancel_all_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID}, CLIENT_TIMEOUT_S)
    await eventually(lambda: demo_order(sandbox, other).status == "CANCELLED")
    assert (await ws.subscribe("v1.order", [DEMO_SUB_ACCOUNT_ID]))["result"]["subs"] == [DEMO_SUB_ACCOUNT_ID]
    await ws.close()


async def test_rpc_bulk_orders_fault(sandbox, client):
    ws = await client.ws()
    sandbox.faults.fail_rpc("v2/bulk_orders", "executed_empty", count=1)
    batch = [signed_order(price="49000.0"), signed_order(price="49001.0")]
    reply = await ws.call("v2/bulk_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID, "orders": batch})
    assert reply["result"] == {}
    await eventually(lambda: len(sandbox.exchange.open_orders(DEMO_SUB_ACCOUNT_ID)) == 2)
    await ws.close()


# ---------------------------------------------------------------------------------------------------- rate limits
async def test_rate_limit_fault_answers_1006_on_rest_and_json_rpc_with_one_count(sandbox, client):
    ws = await client.ws()
    sandbox.faults.rate_limit("create_order", count=2)
    client_order_id = next_client_order_id()
    assert await client.create_order(client_order_id=client_order_id) == (429, RATE_LIMITED)
    reply = await rpc_create(ws, next_client_order_id())
    assert reply["error"] == {"code": 1006, "message": RATE_LIMITED["message"]}
    assert demo_order(sandbox, client_order_id) is None
    assert (await client.create_order())[0] == 200
    assert "result" in await rpc_create(ws, next_client_order_id())
    sandbox.faults.rate_limit("book", count=1, transport="rest")
    assert await client.post("book", {"instrument": BTC}) == (429, RATE_LIMITED)
    await ws.close()


async def test_restart_exchange_loses_orders_sessions_and_feeds(sandbox, client):
    exchange = sandbox.exchange
    exchange.add_account("7301", check_margin=False)
    maker_quote = exchange.submit_internal_order("7301", BTC, False, D("0.1"), D("90000.0"))
    ws = await client.ws()
    await ws.subscribe("v1.order", [DEMO_SUB_ACCOUNT_ID])
    resting = next_client_order_id()
    await client.create_order(client_order_id=resting)
    await ws.feed("v1.order", lambda m: m["feed"]["state"]["status"] == "OPEN")
    exchange.set_cancel_on_disconnect(DEMO_SUB_ACCOUNT_ID, 5000)
    assert sandbox.faults.restart_exchange(keep_internal_orders=True) == 1
    with pytest.raises(ConnectionError):
        await ws.receive(timeout=3)
    assert (await client.post("open_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID}))[1]["code"] == 1000
    assert (await client.login())[0] == 200
    assert await client.post("open_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID}) == (200, {"result": []})
    assert (await client.post("order", {"sub_account_id": DEMO_SUB_ACCOUNT_ID,
                                        "client_order_id": resting}))[1]["code"] == 1004
    assert exchange.book_snapshot(BTC).bids == [] and maker_quote.status == "OPEN"
    assert exchange.accounts[DEMO_SUB_ACCOUNT_ID].cancel_on_disconnect_deadline_ns is None
    # the same client order id can be used again, and trading goes on
    assert (await client.create_order(client_order_id=resting))[0] == 200
    assert sandbox.faults.restart_exchange() == 2
    assert exchange.book_snapshot(BTC).asks == [] and maker_quote.status == "CANCELLED"


async def test_stopping_the_sandbox_releases_held_answers_and_drops_deferred_requests():
    sandbox = await SandboxServer(SandboxConfig(speed_bump_ms=0)).start()
    client = SandboxClient(sandbox.url)
    try:
        await client.login()
        sandbox.faults.fail_rest("create_order", "lost")
        sandbox.faults.fail_rest("cancel_all_orders", "deferred_empty", delay_s=60)
        assert await client.post("cancel_all_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID}) == (200, {})
        waiting = asyncio.ensure_future(client.create_order())  # this client would wait forever
        await eventually(lambda: len(sandbox.exchange.open_orders(DEMO_SUB_ACCOUNT_ID)) == 1)
        await asyncio.wait_for(sandbox.stop(), timeout=20)  # the held answer gave up instead of blocking the stop
        await asyncio.gather(waiting, return_exceptions=True)
    finally:
        await client.close()


async def test_rest_delay_drops_the_request_of_a_client_that_gave_up_quietly(sandbox, client, caplog):
    """A delayed REST request whose client gave up is not executed, and the sandbox says so without logging an
    error traceback (the fault worked as designed)."""
    # the delay outlasts the client's 0.3 s by far: on a stalled loop the sandbox must still see it gone
    sandbox.faults.fail_rest("create_order", "delay", delay_s=1.5, count=1)
    client_order_id = next_client_order_id()
    await gives_up(client.create_order(client_order_id=client_order_id))
    await asyncio.sleep(3.0)  # well past the delay: the request would have been executed by now
    assert demo_order(sandbox, client_order_id) is None
    assert [record.getMessage() for record in caplog.records if record.levelname == "ERROR"] == []
