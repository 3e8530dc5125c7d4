"""Fault injection through the Python API and the admin routes."""
import asyncio
import time
from decimal import Decimal

import pytest

from grvt_sandbox.config import DEMO_SUB_ACCOUNT_ID
from test.grvt_sandbox.sandbox_helpers import BTC

pytestmark = pytest.mark.asyncio
D = Decimal


def add_bid(sandbox, price="89000.0"):
    sandbox.exchange.add_account("6001", check_margin=False)
    return sandbox.exchange.submit_internal_order("6001", BTC, True, D("0.1"), D(price))


async def test_rest_faults_empty_status_delay_and_count(sandbox, client):
    sandbox.faults.fail_rest("book", "empty", count=1)
    assert await client.post("book", {"instrument": BTC}) == (200, {})
    assert (await client.post("book", {"instrument": BTC}))[1]["result"]["instrument"] == BTC
    sandbox.faults.fail_rest("create_order", "status", status=503)
    assert await client.create_order() == (503, {"code": 1009, "message": "We are temporarily deactivating this "
                                                 "API endpoint, please try again later", "status": 503})
    assert (await client.create_order())[0] == 503
    sandbox.faults.clear_rest("create_order")
    assert (await client.create_order())[0] == 200
    sandbox.faults.fail_rest("*", "status", status=500, count=2)
    assert (await client.post("mini", {"instrument": BTC}))[1]["code"] == 1002
    assert (await client.post("ticker", {"instrument": BTC}))[1]["code"] == 1002
    assert (await client.post("ticker", {"instrument": BTC}))[0] == 200
    sandbox.faults.fail_rest("instrument", "delay", delay_s=0.2, count=1)
    started = time.monotonic()
    assert (await client.post("instrument", {"instrument": BTC}))[0] == 200
    assert time.monotonic() - started >= 0.2
    with pytest.raises(ValueError):
        sandbox.faults.fail_rest("book", "explode")


async def test_login_fault_and_session_expiry(sandbox, client):
    sandbox.faults.fail_rest("login", "status", status=500, count=1)
    assert (await client.login())[0] == 500
    assert sandbox.faults.expire_sessions() >= 1
    assert (await client.post("open_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID}))[1]["code"] == 1000
    assert (await client.login())[0] == 200
    assert (await client.post("open_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID}))[0] == 200


async def test_reject_next_orders(sandbox, client):
    sandbox.faults.reject_next_orders(1, code=2082)
    assert (await client.create_order())[1]["code"] == 2082
    ws = await client.ws()
    await ws.subscribe("v1.order", [DEMO_SUB_ACCOUNT_ID])
    sandbox.faults.reject_next_orders(2)
    for _ in range(2):
        assert (await client.create_order())[0] == 200
        update = await ws.feed("v1.order")
        assert (update["feed"]["state"]["status"], update["feed"]["state"]["reject_reason"]) == (
            "REJECTED", "SYSTEM_FAILOVER")
    await client.create_order()
    assert (await ws.feed("v1.order"))["feed"]["state"]["status"] == "OPEN"
    await ws.close()


async def test_drop_sockets(sandbox, client):
    public = await client.ws(authenticated=False)
    private = await client.ws()
    await public.subscribe("v1.trade", [f"{BTC}@50"])
    assert sandbox.faults.drop_sockets(private_only=True) == 1
    with pytest.raises(ConnectionError):
        await private.receive(timeout=10)
    assert (await public.subscribe("v1.trade", [f"{BTC}@200"]))["result"]["unsubs"] == [f"{BTC}@50"]
    assert sandbox.faults.drop_sockets(abort=True) == 1
    with pytest.raises((ConnectionError, asyncio.TimeoutError)):
        await public.receive(timeout=2)


async def test_sequence_gap_on_book_deltas(sandbox, client):
    ws = await client.ws(authenticated=False)
    await ws.subscribe("v1.book.d", [f"{BTC}@50"])
    await ws.feed("v1.book.d")
    add_bid(sandbox, "89000.0")
    assert (await ws.feed("v1.book.d"))["sequence_number"] == "1"
    assert sandbox.faults.inject_sequence_gap("v1.book.d", skip=3) == 1
    add_bid(sandbox, "89001.0")
    gapped = await ws.feed("v1.book.d")
    assert (gapped["sequence_number"], gapped["prev_sequence_number"]) == ("5", "4")
    await ws.close()


async def test_stall_holds_messages_back_then_delivers_them(sandbox, client):
    ws = await client.ws(authenticated=False)
    await ws.subscribe("v1.book.d", [f"{BTC}@50"])
    await ws.feed("v1.book.d")
    assert sandbox.faults.stall_stream("v1.book.d", seconds=1.5) == 1
    add_bid(sandbox)
    with pytest.raises(asyncio.TimeoutError):
        await ws.feed("v1.book.d", timeout=0.5)
    late = await ws.feed("v1.book.d", timeout=10.0)
    assert late["sequence_number"] == "1" and late["feed"]["bids"][0]["price"] == "89000.0"
    await ws.close()


async def test_restart_gateway_resets_sequence_numbers(sandbox, client):
    ws = await client.ws(authenticated=False)
    await ws.subscribe("v1.book.d", [f"{BTC}@50"])
    await ws.feed("v1.book.d")
    add_bid(sandbox, "89000.0")
    assert (await ws.feed("v1.book.d"))["sequence_number"] == "1"
    sandbox.faults.restart_gateway()
    with pytest.raises(ConnectionError):
        await ws.receive(timeout=2)
    again = await client.ws(authenticated=False)
    response = await again.subscribe("v1.book.d", [f"{BTC}@50"])
    assert response["result"]["first_sequence_number"] == ["1"]
    snapshot = await again.feed("v1.book.d")
    assert snapshot["feed"]["bids"] == [{"price": "89000.0", "size": "0.1", "num_orders": 1}]
    await again.close()


async def test_admin_routes(sandbox, client):
    async def admin(path, body=None):
        method = client.session.post if body is not None else client.session.get
        kwargs = {"json": body} if body is not None else {}
        kwargs["headers"] = {"X-Sandbox-Admin": "1"}
        async with method(f"{sandbox.url}/sandbox/{path}", **kwargs) as response:
            return response.status, await response.json()

    status, body = await admin("status")
    assert status == 200 and body["instruments"] == [BTC, "ETH_USDT_Perp", "SOL_USDT_Perp"]
    assert (await admin("price", {"instrument": BTC, "index_price": "91000.5"}))[0] == 200
    assert sandbox.exchange.markets[BTC].mark_price == D("91000.5")
    assert (await admin("price", {"instrument": BTC, "index_price": "x"}))[1]["code"] == 1003
    add_bid(sandbox)
    _, book = await admin(f"books/{BTC}?depth=5")
    assert book["bids"][0]["price"] == "89000.0" and book["index_price"] == "91000.5"
    assert (await admin("faults/fail_rest", {"route": "book", "kind": "empty", "count": 1}))[0] == 200
    assert await client.post("book", {"instrument": BTC}) == (200, {})
    assert (await admin("faults/fail_rest", {"route": "book", "kind": "nope"}))[1]["code"] == 1003
    assert (await admin("faults/explode", {}))[1]["code"] == 1004
    assert (await admin("accounts", {"sub_account_id": "424242", "api_key": "second-key",
                                     "signers": ["0x" + "ab" * 20], "balance": "5000"}))[0] == 200
    _, account = await admin("accounts/424242")
    assert account["spot_balances"][0]["balance"] == "5000.0"
    other = type(client)(sandbox.url)
    try:
        status, body, _ = await other.login("second-key")
        assert status == 200 and body["sub_account_id"] == "424242"
    finally:
        await other.close()
    _, orders = await admin("orders/6001")
    assert len(orders["result"]) == 1
    _, funding = await admin("funding", {"instrument": BTC, "rate": "0.02"})
    assert funding["result"]["funding_rate"] == "0.02"
    before = sandbox.exchange.now_ns()
    await admin("clock/advance", {"seconds": 60})
    assert sandbox.exchange.now_ns() - before >= 60 * 10 ** 9
    assert (await admin("faults/reject_next_orders", {"count": 1, "code": 2082}))[0] == 200
    assert (await client.create_order())[1]["code"] == 2082
    assert (await admin("faults/fail_rpc", {"method": "v1/cancel_order", "kind": "drop_after", "count": 1}))[0] == 200
    assert (await admin("faults/rate_limit", {"route": "book", "count": 1, "transport": "rest"}))[0] == 200
    _, status = await admin("status")
    assert status["rpc_faults"] == {"cancel_order": "drop_after"} and status["rest_faults"] == {"book": "status"}
    assert (await client.post("book", {"instrument": BTC}))[1]["code"] == 1006
    assert (await admin("faults/fail_rpc", {"method": "v1/cancel_order", "kind": "nope"}))[1]["code"] == 1003
    assert (await admin("faults/clear", {}))[0] == 200
    assert sandbox.faults.rpc_faults == {}
    _, restarted = await admin("faults/restart_exchange", {})
    assert restarted["result"]["affected"] == 1  # the resting bid of account 6001
    assert (await client.post("open_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID}))[1]["code"] == 1000
