"""REST gateway: login and cookies, auth, GRVT's error envelope for bad input, trading and market-data routes."""
import asyncio
import time
from datetime import datetime, timezone
from decimal import Decimal
from http.cookies import SimpleCookie

import pytest

from grvt_sandbox.config import DEMO_API_KEY, DEMO_SIGNER, DEMO_SUB_ACCOUNT_ID, AccountConfig
from test.grvt_sandbox.sandbox_helpers import BTC, ETH, OTHER_PRIVATE_KEY, SandboxClient, signed_order

pytestmark = pytest.mark.asyncio
D = Decimal


def envelope(code, message, status):
    return {"code": code, "message": message, "status": status}


AUTH_ERROR = envelope(1000, "You need to authenticate prior to using this functionality", 401)
MALFORMED = envelope(1003, "Request could not be processed due to malformed syntax", 400)


async def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.005)


async def test_login_sets_cookie_header_and_body(sandbox):
    client = SandboxClient(sandbox.url)
    try:
        status, body, headers = await client.login()
        assert status == 200
        assert body == {"status": "success", "location": "", "sub_account_id": DEMO_SUB_ACCOUNT_ID,
                        "funding_account_address": DEMO_SIGNER.lower()}
        assert headers["X-Grvt-Account-Id"] == DEMO_SIGNER.lower()
        cookie = SimpleCookie()
        cookie.load(headers["Set-Cookie"])
        expires = datetime.strptime(cookie["gravity"]["expires"], "%a, %d %b %Y %H:%M:%S GMT")
        remaining = expires.replace(tzinfo=timezone.utc).timestamp() - time.time()
        assert 24 * 3600 - 5 < remaining <= 24 * 3600
        status, body, _ = await client.login("no-such-key")
        assert (status, body) == (401, AUTH_ERROR)
    finally:
        await client.close()


async def test_trading_routes_need_cookie_and_account_header(sandbox, client):
    body = {"sub_account_id": DEMO_SUB_ACCOUNT_ID}
    assert await client.post("open_orders", body) == (200, {"result": []})
    assert await client.post("open_orders", body, auth=False) == (401, AUTH_ERROR)
    account_id, client.account_id = client.account_id, None
    assert await client.post("open_orders", body) == (401, AUTH_ERROR)
    client.account_id = "0x" + "1" * 40
    assert await client.post("open_orders", body) == (401, AUTH_ERROR)
    client.account_id, client.cookie = account_id, "forged"
    assert await client.post("open_orders", body) == (401, AUTH_ERROR)


async def test_expired_session_is_refused(sandbox, client):
    sandbox.clock.advance(24 * 3600 + 1)
    assert await client.post("open_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID}) == (401, AUTH_ERROR)
    await client.login()
    assert (await client.post("open_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID}))[0] == 200


async def test_malformed_requests_get_the_error_envelope(sandbox, client):
    assert await client.post("book", raw="{not json") == (400, MALFORMED)
    assert await client.post("book", raw="[1, 2]") == (400, MALFORMED)
    assert await client.post("book", {"instrument": BTC, "depth": "ten"}) == (400, MALFORMED)
    assert await client.post("open_orders", {"sub_account_id": "12ab"}) == (
        400, envelope(3020, "Sub account ID must be an uint64 integer", 400))
    assert await client.post("no_such_route", {}) == (404, envelope(1004, "Data Not Found", 404))
    assert await client.post("/full/v9/book", {}) == (404, envelope(1004, "Data Not Found", 404))
    async with client.session.get(f"{sandbox.url}/full/v1/book") as response:
        assert response.status == 400 and (await response.json())["code"] == 1003
    assert await client.post("create_order", {"order": "x"}) == (400, MALFORMED)
    assert await client.post("create_order", {}) == (400, MALFORMED)


async def test_market_data_routes(sandbox, client):
    status, body = await client.post("instrument", {"instrument": BTC})
    assert status == 200 and body["result"]["instrument_hash"] == "0x030501"
    assert body["result"]["tick_size"] == "0.1" and body["result"]["min_size"] == "0.001"
    assert body["result"]["base_decimals"] == 9 and body["result"]["min_notional"] == "100.0"
    assert (await client.post("instrument", {"instrument": "DOGE_USDT_Perp"}))[1]["code"] == 3000
    _, body = await client.post("instruments", {"kind": ["PERPETUAL"], "base": ["ETH"]})
    assert [i["instrument"] for i in body["result"]] == [ETH]
    _, body = await client.post("all_instruments", {})
    assert len(body["result"]) == 3
    _, body = await client.post("currency", {})
    assert {"id": 3, "symbol": "USDT", "balance_decimals": 6, "quantity_multiplier": "1000000"} in body["result"]
    assert (await client.post("book", {"instrument": BTC, "depth": 20}))[1]["code"] == 3031
    sandbox.exchange.add_account("7", check_margin=False)
    sandbox.exchange.submit_internal_order("7", BTC, True, D("0.5"), D("89999.9"))
    sandbox.exchange.submit_internal_order("7", BTC, False, D("0.25"), D("90000.1"))
    _, body = await client.post("book", {"instrument": BTC, "depth": 10})
    assert body["result"]["bids"] == [{"price": "89999.9", "size": "0.5", "num_orders": 1}]
    assert body["result"]["asks"] == [{"price": "90000.1", "size": "0.25", "num_orders": 1}]
    _, body = await client.post("mini", {"instrument": BTC})
    assert body["result"]["mid_price"] == "90000.0" and body["result"]["best_ask_size"] == "0.25"
    _, body = await client.post("ticker", {"instrument": BTC})
    assert body["result"]["funding_rate"] == "0.01" and int(body["result"]["next_funding_time"]) > time.time_ns()
    assert (await client.post("kline", {"instrument": BTC, "interval": "CI_2_M"}))[1]["code"] == 3040
    assert (await client.post("kline", {"instrument": BTC, "interval": "CI_1_M", "type": "LAST"}))[1]["code"] == 3041
    async with client.session.get(f"{sandbox.url}/time") as response:
        assert abs(int((await response.json())["server_time"]) - time.time() * 1000) < 5000


async def test_create_order_acknowledges_pending_with_0x00(sandbox, client):
    status, body = await client.create_order(size="0.01", price="50000.0", client_order_id="9223372036854775901")
    assert status == 200
    order = body["result"]
    assert order["order_id"] == "0x00" and order["state"]["status"] == "PENDING"
    assert order["metadata"]["client_order_id"] == "9223372036854775901"
    assert order["legs"] == [{"instrument": BTC, "size": "0.01", "limit_price": "50000.0", "is_buying_asset": True}]
    account = sandbox.exchange.accounts[DEMO_SUB_ACCOUNT_ID]
    await wait_until(lambda: any(o.status == "OPEN" for o in account.open_orders.values()))
    _, body = await client.post("order", {"sub_account_id": DEMO_SUB_ACCOUNT_ID,
                                          "client_order_id": "9223372036854775901"})
    assert body["result"]["state"]["status"] == "OPEN" and len(body["result"]["order_id"]) == 34
    assert await client.post("order", {"sub_account_id": DEMO_SUB_ACCOUNT_ID}) == (
        400, envelope(3021, "Either order ID or client order ID must be supplied", 400))
    assert (await client.post("order", {"sub_account_id": DEMO_SUB_ACCOUNT_ID, "order_id": "0x" + "9" * 32}))[0] == 404


@pytest.mark.parametrize("kwargs, code", [
    (dict(price="50000.05"), 2064),
    (dict(size="0.0001"), 2062),
    (dict(size="0.0105"), 2065),
    (dict(size="0.001", price="50000.0"), 2066),
    (dict(price=None), 2021),
    (dict(is_market=True, price="50000.0"), 2020),
    (dict(time_in_force="ALL_OR_NONE"), 2030),
    (dict(time_in_force="IMMEDIATE_OR_CANCEL", post_only=True), 2032),
    (dict(reduce_only=True, is_buy=False), 2400),
    (dict(size="15.0"), 2080),
    (dict(private_key=OTHER_PRIVATE_KEY), 2002),
    (dict(sub_account_id="1234"), 2003),
])
async def test_order_rejections(sandbox, client, kwargs, code):
    status, body = await client.create_order(**kwargs)
    assert body["code"] == code, body
    assert status == body["status"] and set(body) == {"code", "message", "status"}


async def test_order_structure_errors(sandbox, client):
    order = signed_order()
    assert (await client.post("create_order", {"order": dict(order, order_id="0x1234")}))[1]["code"] == 2010
    assert (await client.post("create_order", {"order": dict(order, legs=[])}))[1]["code"] == 2040
    assert (await client.post("create_order", {"order": dict(order, legs=order["legs"] * 2)}))[1]["code"] == 2042
    assert (await client.post("create_order", {"order": dict(order, state={"status": "OPEN"})}))[1]["code"] == 2050
    assert (await client.post("create_order", {"order": dict(order, metadata={})}))[1]["code"] == 2011
    bad_leg = dict(order["legs"][0], instrument="NOPE_USDT_Perp")
    assert (await client.post("create_order", {"order": dict(order, legs=[bad_leg])}))[1]["code"] == 2061
    bad_v = dict(order, signature=dict(order["signature"], v=1))
    assert (await client.post("create_order", {"order": bad_v}))[1]["code"] == 2005
    bad_r = dict(order, signature=dict(order["signature"], r="0x12"))
    assert (await client.post("create_order", {"order": bad_r}))[1]["code"] == 2006


async def test_signer_permissions(sandbox, client):
    from eth_account import Account

    from grvt_sandbox.signing.eip712 import recover_signer  # noqa: F401 (documents which key is whose)
    reader = Account.from_key(OTHER_PRIVATE_KEY).address
    sandbox.exchange.accounts[DEMO_SUB_ACCOUNT_ID].add_signer(reader, can_trade=False)
    status, body = await client.create_order(private_key=OTHER_PRIVATE_KEY, signer=reader)
    assert (status, body["code"]) == (403, 1400)
    del sandbox.exchange.accounts[DEMO_SUB_ACCOUNT_ID].signers[reader.lower()]
    status, body = await client.create_order(private_key=OTHER_PRIVATE_KEY, signer=reader)
    assert (status, body["code"]) == (403, 2000)


async def test_duplicate_client_order_id_and_repeated_payload(sandbox, client):
    order = signed_order(client_order_id="9223372036854775950")
    assert (await client.post("create_order", {"order": order}))[0] == 200
    # the identical signed payload (same nonce) is ignored: acknowledged, nothing new happens
    assert (await client.post("create_order", {"order": order}))[0] == 200
    account = sandbox.exchange.accounts[DEMO_SUB_ACCOUNT_ID]
    assert len(account.open_orders) == 1
    status, body = await client.create_order(client_order_id="9223372036854775950")
    assert (status, body["code"]) == (400, 2012)


async def test_cancel_flows(sandbox, client):
    await client.create_order(client_order_id="9223372036854776001")
    await client.create_order(client_order_id="9223372036854776002", instrument=ETH, size="0.1", price="2000.0")
    account = sandbox.exchange.accounts[DEMO_SUB_ACCOUNT_ID]
    await wait_until(lambda: all(o.status == "OPEN" for o in account.open_orders.values()))
    assert await client.post("cancel_order", {"sub_account_id": DEMO_SUB_ACCOUNT_ID}) == (
        400, envelope(3021, "Either order ID or client order ID must be supplied", 400))
    assert await client.post("cancel_order", {"sub_account_id": DEMO_SUB_ACCOUNT_ID,
                                              "client_order_id": "9223372036854776001"}) == (
        200, {"result": {"ack": True}})
    await wait_until(lambda: len(account.open_orders) == 1)
    assert await client.post("cancel_all_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID, "base": ["BTC"]}) == (
        200, {"result": {"ack": True}})
    assert len(account.open_orders) == 1
    await client.post("cancel_all_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID})
    await wait_until(lambda: not account.open_orders)
    _, body = await client.post("order_history", {"sub_account_id": DEMO_SUB_ACCOUNT_ID})
    assert [(o["metadata"]["client_order_id"], o["state"]["reject_reason"]) for o in body["result"]] == [
        ("9223372036854776002", "CLIENT_BULK_CANCEL"), ("9223372036854776001", "CLIENT_CANCEL")]
    assert body["next"] == ""


async def bulk(client, **body):
    return await client.post("/full/v2/bulk_orders", dict(body, sub_account_id=DEMO_SUB_ACCOUNT_ID))


async def test_bulk_orders_cancel_only_by_the_spec_field_names(sandbox, client):
    """GRVT names the cancel lists order_i_ds / client_order_i_ds; "order_ids" / "client_order_ids" cancel nothing."""
    account = sandbox.exchange.accounts[DEMO_SUB_ACCOUNT_ID]
    resting = signed_order(price="45000.0")
    assert (await bulk(client, orders=[resting]))[0] == 200
    await wait_until(lambda: len(account.open_orders) == 1)
    [resting_order] = account.open_orders.values()
    for misspelled in ({"client_order_ids": [resting["metadata"]["client_order_id"]]},
                       {"order_ids": [resting_order.order_id]}):
        status, body = await bulk(client, **misspelled)
        assert status == 200 and body["cancel_acks"] == [], body
    await asyncio.sleep(0.05)
    assert list(account.open_orders) == [resting_order.order_id]


async def test_bulk_orders_with_a_malformed_id_cancel_nothing(sandbox, client):
    account = sandbox.exchange.accounts[DEMO_SUB_ACCOUNT_ID]
    resting = signed_order(price="45000.0")
    assert (await bulk(client, orders=[resting]))[0] == 200
    await wait_until(lambda: [o.status for o in account.open_orders.values()] == ["OPEN"])
    [resting_order] = account.open_orders.values()
    for malformed in ({"order_i_ds": [resting_order.order_id, 5]},
                      {"client_order_i_ds": [resting["metadata"]["client_order_id"], "x"]}):
        status, body = await bulk(client, **malformed)
        assert (status, body["code"]) == (400, 1003), body
    await asyncio.sleep(0.05)
    assert resting_order.status == "OPEN"


async def test_bulk_orders(sandbox, client):
    orders = [signed_order(price=f"{50000 + i}.0") for i in range(3)]
    status, body = await bulk(client, orders=orders)
    assert status == 200 and [o["order_id"] for o in body["orders"]] == ["0x00"] * 3 and body["cancel_acks"] == []
    account = sandbox.exchange.accounts[DEMO_SUB_ACCOUNT_ID]
    await wait_until(lambda: [o.status for o in account.open_orders.values()] == ["OPEN"] * 3)
    replace_ids = [o.order_id for o in account.open_orders.values()][:2]
    status, body = await bulk(client, order_i_ds=replace_ids, orders=[signed_order(price="49000.0")])
    assert status == 200 and body["cancel_acks"] == [{"ack": True}] * 2
    await wait_until(lambda: len(account.open_orders) == 2)
    mixed = [signed_order(), signed_order(instrument=ETH, size="0.1", price="2000.0")]
    assert (await bulk(client, orders=mixed))[1]["code"] == 2234
    assert (await bulk(client, order_i_ds=["0x1"], client_order_i_ds=["1"]))[1]["code"] == 2233
    assert (await bulk(client, client_order_i_ds=[str(i) for i in range(101)]))[1]["code"] == 2235
    # one bad order withdraws the whole batch
    batch = [signed_order(price="48000.0"), signed_order(price="48000.05")]
    assert (await bulk(client, orders=batch))[1]["code"] == 2064
    await asyncio.sleep(0.05)
    assert sorted(o.price_decimal for o in account.open_orders.values()) == [D("49000"), D("50002")]


async def test_cancel_on_disconnect_route(sandbox, client):
    body = {"sub_account_id": DEMO_SUB_ACCOUNT_ID, "countdown_time": "300001"}
    assert await client.post("cancel_on_disconnect", body) == (
        400, envelope(6000, "Countdown time is bigger than 300s supported", 400))
    await client.create_order()
    account = sandbox.exchange.accounts[DEMO_SUB_ACCOUNT_ID]
    assert (await client.post("cancel_on_disconnect", dict(body, countdown_time="2000")))[0] == 200
    await asyncio.sleep(0.05)
    assert len(account.open_orders) == 1
    sandbox.clock.advance(2.0)
    await wait_until(lambda: not account.open_orders)
    _, history = await client.post("order_history", {"sub_account_id": DEMO_SUB_ACCOUNT_ID})
    assert history["result"][0]["state"]["reject_reason"] == "CLIENT_CANCEL_ON_DISCONNECT_TRIGGERED"


async def test_account_routes_after_a_fill(sandbox, client):
    sandbox.exchange.add_account("9", check_margin=False)
    sandbox.exchange.submit_internal_order("9", BTC, False, D("0.1"), D("90000.0"))
    await client.create_order(size="0.1", price="90000.0", time_in_force="IMMEDIATE_OR_CANCEL")
    account = sandbox.exchange.accounts[DEMO_SUB_ACCOUNT_ID]
    await wait_until(lambda: BTC in account.positions)
    _, body = await client.post("positions", {"sub_account_id": DEMO_SUB_ACCOUNT_ID})
    position = body["result"][0]
    assert (position["instrument"], position["size"], position["entry_price"], position["leverage"]) == (
        BTC, "0.1", "90000.0", "10.0")
    _, body = await client.post("fill_history", {"sub_account_id": DEMO_SUB_ACCOUNT_ID})
    fill = body["result"][0]
    assert (fill["is_buyer"], fill["is_taker"], fill["size"], fill["price"], fill["fee_rate"]) == (
        True, True, "0.1", "90000.0", "0.045")
    assert fill["fee"] == "4.05" and fill["trade_id"].endswith("-1")
    _, body = await client.post("account_summary", {"sub_account_id": DEMO_SUB_ACCOUNT_ID})
    summary = body["result"]
    assert summary["spot_balances"][0]["balance"] == "99995.95" and summary["initial_margin"] == "900.0"
    # GRVT's SpotBalance has no optional field: a client that parses it strictly needs all of them
    assert sorted(summary["spot_balances"][0]) == ["available_to_transfer", "balance", "currency", "entry_price",
                                                   "index_price", "realized_pnl", "unrealized_pnl"]
    available = Decimal(summary["available_balance"])
    assert 0 < available < Decimal("99995.95")
    assert Decimal(summary["spot_balances"][0]["available_to_transfer"]) == available
    assert (await client.post("set_initial_leverage", {"sub_account_id": DEMO_SUB_ACCOUNT_ID, "instrument": BTC,
                                                       "leverage": "25"})) == (200, {"success": True})
    _, body = await client.post("get_all_initial_leverage", {"sub_account_id": DEMO_SUB_ACCOUNT_ID})
    assert {"instrument": BTC, "leverage": "25.0", "min_leverage": "1.0", "max_leverage": "50.0",
            "margin_type": "CROSS"} in body["results"]
    assert (await client.post("set_initial_leverage", {"sub_account_id": DEMO_SUB_ACCOUNT_ID, "instrument": BTC,
                                                       "leverage": "51"}))[1]["code"] == 2108
    sandbox.exchange.settle_funding(BTC, D("0.01"))
    _, body = await client.post("funding_payment_history", {"sub_account_id": DEMO_SUB_ACCOUNT_ID})
    assert [(p["instrument"], p["amount"]) for p in body["result"]] == [(BTC, "0.9")]  # a long pays: positive
    _, body = await client.post("funding", {"instrument": BTC})
    assert body["result"][0]["funding_rate"] == "0.01" and body["next"] == ""
    assert (await client.post("open_orders", {"sub_account_id": "42"}))[1]["code"] == 1001


async def test_a_rejected_signed_order_sent_again_is_placed_not_ignored(sandbox, client):
    """Only an accepted order's signed payload counts as seen: resending one that was refused (a fault-injected
    reject, or too little margin) must be judged again, not acknowledged as a repeat and silently dropped."""
    account = sandbox.exchange.accounts[DEMO_SUB_ACCOUNT_ID]
    order = signed_order(price="45000.0")
    sandbox.faults.reject_next_orders(1, code=2090)
    status, body = await client.post("create_order", {"order": order})
    assert (status, body["code"]) == (429, 2090), body
    assert (await client.post("create_order", {"order": order}))[0] == 200
    await wait_until(lambda: [o.status for o in account.open_orders.values()] == ["OPEN"])

    too_big = signed_order(size="1000.0", price="45000.0")
    status, body = await client.post("create_order", {"order": too_big})
    assert (status, body["code"]) == (400, 2080), body
    status, body = await client.post("create_order", {"order": too_big})
    assert (status, body["code"]) == (400, 2080), body


async def test_a_withdrawn_bulk_batch_can_be_sent_again(sandbox, client):
    """A batch refused as a whole places nothing, so its good orders must be placed when the batch is resent."""
    account = sandbox.exchange.accounts[DEMO_SUB_ACCOUNT_ID]
    good = signed_order(price="45000.0")
    assert (await bulk(client, orders=[good, signed_order(price="45000.05")]))[1]["code"] == 2064
    status, body = await bulk(client, orders=[good])
    assert status == 200, body
    await wait_until(lambda: [o.client_order_id for o in account.open_orders.values()]
                     == [good["metadata"]["client_order_id"]])


async def test_a_refused_bulk_batch_withdraws_orders_of_every_sub_account_it_placed(sandbox, client):
    """A batch answered with an error must leave no order behind, also when its orders name another sub-account
    of the same session than the request's sub_account_id."""
    second = "8289849667772999"
    sandbox.add_account(AccountConfig(sub_account_id=second, api_key=DEMO_API_KEY, signers=[DEMO_SIGNER],
                                      main_account_id=DEMO_SIGNER.lower()))
    await client.login()
    elsewhere = signed_order(price="45000.0", sub_account_id=second)
    assert (await bulk(client, orders=[elsewhere, signed_order(price="45000.05", sub_account_id=second)]))[1][
        "code"] == 2064
    account = sandbox.exchange.accounts[second]
    await wait_until(lambda: not account.open_orders)
