"""WebSocket gateway: JSON-RPC subscribe/unsubscribe, selector validation, sequence numbers, public and private
streams, JSON-RPC trading calls, the legacy subscribe format, ping tolerance and slow consumers."""
import asyncio
from decimal import Decimal

import pytest

from grvt_sandbox.config import DEMO_SUB_ACCOUNT_ID
from test.grvt_sandbox.sandbox_helpers import BTC, ETH, WsClient, signed_order

pytestmark = pytest.mark.asyncio
D = Decimal
MAKER = "5001"


@pytest.fixture
def maker(sandbox):
    sandbox.exchange.add_account(MAKER, check_margin=False)
    return lambda is_buy, size, price: sandbox.exchange.submit_internal_order(MAKER, BTC, is_buy, D(size), D(price))


async def test_subscribe_result_shape_and_full_selector_echo(sandbox, client, maker):
    ws = await client.ws(authenticated=False)
    response = await ws.subscribe("v1.book.d", [f"{BTC}@100", f"{ETH}@500"])
    assert response["jsonrpc"] == "2.0" and response["method"] == "subscribe"
    assert response["result"] == {"stream": "v1.book.d", "subs": [f"{BTC}@100", f"{ETH}@500"], "unsubs": [],
                                  "num_snapshots": [1, 1], "first_sequence_number": ["1", "1"],
                                  "latest_sequence_number": ["0", "0"]}
    snapshot = await ws.feed("v1.book.d", lambda m: m["selector"] == f"{BTC}@100")
    assert (snapshot["sequence_number"], snapshot["prev_sequence_number"]) == ("0", "0")
    assert snapshot["feed"]["bids"] == [] and snapshot["feed"]["instrument"] == BTC
    maker(True, "0.5", "89999.9")
    delta = await ws.feed("v1.book.d", lambda m: m["selector"] == f"{BTC}@100")
    assert (delta["sequence_number"], delta["prev_sequence_number"]) == ("1", "0")
    assert delta["feed"]["bids"] == [{"price": "89999.9", "size": "0.5", "num_orders": 1}]
    # re-subscribing the same instrument at another rate replaces the old selector
    response = await ws.subscribe("v1.book.d", [f"{BTC}@50"])
    assert response["result"]["unsubs"] == [f"{BTC}@100"]
    await ws.close()


async def test_book_snapshot_can_come_in_several_payloads_counted_by_num_snapshots(sandbox, client, maker):
    sandbox.exchange.config.book_snapshot_levels_per_payload = 1
    maker(True, "0.5", "89999.9")
    maker(True, "0.4", "89999.8")
    maker(False, "0.3", "90000.1")
    ws = await client.ws(authenticated=False)
    response = await ws.subscribe("v1.book.d", [f"{BTC}@100"])
    assert response["result"]["num_snapshots"] == [2]
    parts = [await ws.feed("v1.book.d") for _ in range(2)]
    assert [(m["sequence_number"], m["prev_sequence_number"]) for m in parts] == [("0", "0"), ("0", "0")]
    assert [[level["price"] for level in m["feed"]["bids"]] for m in parts] == [["89999.9"], ["89999.8"]]
    assert [[level["price"] for level in m["feed"]["asks"]] for m in parts] == [["90000.1"], []]
    await ws.close()


async def test_book_deltas_number_by_one_and_remove_levels_with_zero(sandbox, client, maker):
    ws = await client.ws(authenticated=False)
    await ws.subscribe("v1.book.d", [f"{BTC}@50"])
    await ws.feed("v1.book.d")
    order = maker(False, "0.2", "90100.0")
    first = await ws.feed("v1.book.d")
    maker(False, "0.3", "90100.0")
    second = await ws.feed("v1.book.d")
    assert second["feed"]["asks"] == [{"price": "90100.0", "size": "0.5", "num_orders": 2}]
    sandbox.exchange.cancel_internal(MAKER, order_id=order.order_id)
    third = await ws.feed("v1.book.d")
    assert third["feed"]["asks"] == [{"price": "90100.0", "size": "0.3", "num_orders": 1}]
    sandbox.exchange.cancel_all_internal(MAKER)
    fourth = await ws.feed("v1.book.d")
    assert fourth["feed"]["asks"] == [{"price": "90100.0", "size": "0.0", "num_orders": 0}]
    numbers = [int(m["sequence_number"]) for m in (first, second, third, fourth)]
    assert numbers == [1, 2, 3, 4]
    assert [int(m["prev_sequence_number"]) for m in (first, second, third, fourth)] == [0, 1, 2, 3]
    # a second subscriber joins mid-stream: a fresh snapshot, then the shared numbering continues
    late = await client.ws(authenticated=False)
    response = await late.subscribe("v1.book.d", [f"{BTC}@50"])
    assert response["result"]["first_sequence_number"] == ["5"]
    assert response["result"]["latest_sequence_number"] == ["4"]
    assert (await late.feed("v1.book.d"))["sequence_number"] == "0"
    maker(True, "0.1", "89000.0")
    assert (await late.feed("v1.book.d"))["sequence_number"] == "5"
    assert (await ws.feed("v1.book.d"))["sequence_number"] == "5"
    await ws.close()
    await late.close()


@pytest.mark.parametrize("stream, selector, code", [
    ("v1.book.d", BTC, 1101),
    ("v1.book.d", f"{BTC}@100@1", 1101),
    ("v1.book.d", f"{BTC},{ETH}@100", 1102),
    ("v1.book.d", f"{BTC}@100-10", 1103),
    ("v1.book.s", f"{BTC}@500", 1103),
    ("v1.book.d", "DOGE_USDT_Perp@100", 3000),
    ("v1.book.d", f"{BTC}@250", 3030),
    ("v1.book.s", f"{BTC}@500-20", 3031),
    ("v1.mini.s", f"{BTC}@100", 3030),
    ("v1.ticker.d", f"{BTC}@50", 3030),
    ("v1.trade", f"{BTC}@51", 3013),
    ("v1.trade", f"{BTC}@5000", 3011),
    ("v1.candle", f"{BTC}@CI_2_M-TRADE", 3040),
    ("v1.candle", f"{BTC}@CI_1_M-LAST", 3041),
    ("v1.order", DEMO_SUB_ACCOUNT_ID, 1000),
])
async def test_subscribe_errors(sandbox, client, stream, selector, code):
    ws = await client.ws(authenticated=False)
    response = await ws.subscribe(stream, [selector])
    assert response["error"]["code"] == code and response["id"] == 1 and "result" not in response
    await ws.close()


async def test_private_selector_errors(sandbox, client):
    ws = await client.ws()
    assert (await ws.subscribe("v1.order", ["12x"]))["error"]["code"] == 3020
    assert (await ws.subscribe("v1.order", ["42"]))["error"]["code"] == 1001
    assert (await ws.subscribe("v1.fill", [f"{DEMO_SUB_ACCOUNT_ID}-NOPE_USDT_Perp"]))["error"]["code"] == 3000
    assert (await ws.subscribe("v1.cancel", [f"{DEMO_SUB_ACCOUNT_ID}-{BTC}"]))["error"]["code"] == 1102
    assert (await ws.subscribe("v9.nothing", ["x"]))["error"]["code"] == 1003
    assert (await ws.subscribe("v1.order", [DEMO_SUB_ACCOUNT_ID]))["result"]["subs"] == [DEMO_SUB_ACCOUNT_ID]
    await ws.close()


async def test_private_streams_for_an_order_that_trades(sandbox, client, maker):
    ws = await client.ws()
    for stream in ("v1.order", "v1.state", "v1.fill"):
        await ws.subscribe(stream, [DEMO_SUB_ACCOUNT_ID])
    await ws.subscribe("v1.position", [f"{DEMO_SUB_ACCOUNT_ID}-{BTC}"])
    maker(False, "0.1", "90000.0")
    await client.create_order(size="0.3", price="90000.0", client_order_id="9223372036854777001")
    order = await ws.feed("v1.order")
    assert order["feed"]["state"]["status"] == "OPEN" and order["feed"]["state"]["traded_size"] == ["0.1"]
    assert order["feed"]["state"]["book_size"] == ["0.2"] and order["feed"]["state"]["avg_fill_price"] == ["90000.0"]
    state = await ws.feed("v1.state")
    assert state["feed"] == {"order_id": order["feed"]["order_id"], "client_order_id": "9223372036854777001",
                             "order_state": order["feed"]["state"]}
    fill = await ws.feed("v1.fill")
    assert (fill["feed"]["order_id"], fill["feed"]["size"], fill["feed"]["is_taker"]) == (
        order["feed"]["order_id"], "0.1", True)
    assert (fill["sequence_number"], fill["prev_sequence_number"]) == ("1", "0")
    position = await ws.feed("v1.position")
    assert position["selector"] == f"{DEMO_SUB_ACCOUNT_ID}-{BTC}" and position["feed"]["size"] == "0.1"
    # late subscribers get snapshots: positions, and the open orders on v1.order / v1.state
    other = await client.ws()
    response = await other.subscribe("v1.position", [DEMO_SUB_ACCOUNT_ID])
    assert response["result"]["num_snapshots"] == [1]
    snapshot = await other.feed("v1.position")
    assert snapshot["sequence_number"] == "0" and snapshot["feed"]["entry_price"] == "90000.0"
    response = await other.subscribe("v1.order", [f"{DEMO_SUB_ACCOUNT_ID}-{BTC}"])
    assert response["result"]["num_snapshots"] == [1] and response["result"]["first_sequence_number"] == ["1"]
    snapshot = await other.feed("v1.order")
    assert (snapshot["sequence_number"], snapshot["feed"]["order_id"]) == ("0", order["feed"]["order_id"])
    assert (await other.subscribe("v1.state", [f"{DEMO_SUB_ACCOUNT_ID}-{ETH}"]))["result"]["num_snapshots"] == [0]
    await ws.close()
    await other.close()


async def test_json_rpc_trading_and_market_data_calls(sandbox, client):
    ws = await client.ws()
    await ws.subscribe("v1.order", [DEMO_SUB_ACCOUNT_ID])
    created = await ws.call("v1/create_order", {"order": signed_order(client_order_id="9223372036854777100")})
    assert created["result"]["result"]["order_id"] == "0x00" and created["method"] == "v1/create_order"
    update = await ws.feed("v1.order")
    order_id = update["feed"]["order_id"]
    cancelled = await ws.call("v1/cancel_order", {"sub_account_id": DEMO_SUB_ACCOUNT_ID, "order_id": order_id})
    assert cancelled["result"] == {"result": {"ack": True}}
    assert (await ws.feed("v1.order"))["feed"]["state"]["reject_reason"] == "CLIENT_CANCEL"
    book = await ws.call("v1/book", {"instrument": BTC, "depth": 10})
    assert book["result"]["result"]["instrument"] == BTC
    bulk = await ws.call("v2/bulk_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID, "orders": [signed_order()]})
    assert bulk["result"]["orders"][0]["order_id"] == "0x00"
    error = await ws.call("v1/create_order", {"order": signed_order(price="50000.05")})
    assert error["error"] == {"code": 2064, "message": "Invalid limit price tick"}
    unknown = await ws.call("v1/nothing", {})
    assert unknown["error"]["code"] == 1004
    public = await client.ws(authenticated=False)
    assert (await public.call("v1/open_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID}))["error"]["code"] == 1000
    assert (await public.call("v1/instrument", {"instrument": ETH}))["result"]["result"]["instrument"] == ETH
    await ws.close()
    await public.close()


async def test_malformed_frames_and_ping_keep_the_socket_open(sandbox, client):
    ws = await client.ws(authenticated=False)
    await ws.send("ping")
    assert (await ws.receive())["error"]["code"] == 1003
    await ws.send("{broken")
    assert (await ws.receive())["error"]["code"] == 1003
    await ws.send("[1]")
    assert (await ws.receive())["error"]["code"] == 1003
    await ws.send({"jsonrpc": "2.0", "id": 9})
    assert (await ws.receive())["error"]["code"] == 1003
    await ws.send({"jsonrpc": "2.0", "method": "subscribe", "params": "x", "id": 10})
    assert (await ws.receive())["error"]["code"] == 1003
    assert (await ws.subscribe("v1.trade", [f"{BTC}@50"]))["result"]["subs"] == [f"{BTC}@50"]
    await ws.close()


async def test_unsubscribe_stops_the_feed(sandbox, client, maker):
    ws = await client.ws(authenticated=False)
    await ws.subscribe("v1.trade", [f"{BTC}@50"])
    response = await ws.call("unsubscribe", {"stream": "v1.trade", "selectors": [f"{BTC}@50"]})
    assert response["result"] == {"stream": "v1.trade", "unsubs": [f"{BTC}@50"]}
    maker(False, "0.1", "90000.0")
    sandbox.exchange.add_account("5002", check_margin=False)
    sandbox.exchange.submit_internal_order("5002", BTC, True, D("0.1"), None)
    with pytest.raises(asyncio.TimeoutError):
        await ws.feed("v1.trade", timeout=0.2)
    await ws.close()


async def test_public_trade_ticker_mini_candle_and_book_snapshot_streams(sandbox, client, maker):
    ws = await client.ws(authenticated=False)
    await ws.subscribe("v1.trade", [f"{BTC}@50"])
    await ws.subscribe("v1.mini.d", [f"{BTC}@0"])
    await ws.subscribe("v1.ticker.s", [f"{BTC}@500"])
    await ws.subscribe("v1.book.s", [f"{BTC}@500-10"])
    await ws.subscribe("v1.candle", [f"{BTC}@CI_1_M-TRADE"])
    mini = await ws.feed("v1.mini.d")
    assert mini["sequence_number"] == "0" and mini["feed"]["mark_price"] == "90000.0"
    ticker = await ws.feed("v1.ticker.s")
    assert ticker["feed"]["funding_interval_hours"] == 8
    book = await ws.feed("v1.book.s")
    assert book["selector"] == f"{BTC}@500-10" and book["sequence_number"] == "0"
    maker(False, "0.1", "90000.0")
    sandbox.exchange.add_account("5002", check_margin=False)
    sandbox.exchange.submit_internal_order("5002", BTC, True, D("0.1"), None)
    trade = await ws.feed("v1.trade")
    assert (trade["feed"]["price"], trade["feed"]["size"], trade["feed"]["is_taker_buyer"]) == (
        "90000.0", "0.1", True)
    delta = await ws.feed("v1.mini.d", lambda m: "last_price" in m["feed"])
    assert delta["feed"]["last_price"] == "90000.0" and "mark_price" not in delta["feed"]
    candle = await ws.feed("v1.candle")
    assert candle["feed"]["trades"] == 1 and candle["feed"]["volume_b"] == "0.1"
    await ws.close()


async def test_trade_subscribe_replays_the_latest_trades_up_to_the_limit_as_snapshots(sandbox, client, maker):
    sandbox.exchange.add_account("5002", check_margin=False)
    trade_ids = []
    for _ in range(52):
        maker(False, "0.01", "90000.0")
        sandbox.exchange.submit_internal_order("5002", BTC, True, D("0.01"), None)
        trade_ids.append(sandbox.exchange.markets[BTC].trades.latest(1)[0].trade_id)
    ws = await client.ws(authenticated=False)
    response = await ws.subscribe("v1.trade", [f"{BTC}@50"])
    assert response["result"]["num_snapshots"] == [50]
    assert response["result"]["first_sequence_number"] == ["1"]
    replayed = [await ws.feed("v1.trade") for _ in range(50)]
    assert {(m["sequence_number"], m["prev_sequence_number"]) for m in replayed} == {("0", "0")}
    assert [m["feed"]["trade_id"] for m in replayed] == trade_ids[-50:]  # the newest 50, oldest first
    maker(False, "0.01", "90000.0")
    sandbox.exchange.submit_internal_order("5002", BTC, True, D("0.01"), None)
    live = await ws.feed("v1.trade")
    assert (live["sequence_number"], live["prev_sequence_number"]) == ("1", "0")
    await ws.close()


async def test_legacy_subscribe_format(sandbox, client, maker):
    ws = await client.ws(authenticated=False, path="/ws")
    await ws.send({"request_id": 7, "stream": "v1.book.s", "feed": [f"{BTC}@500-10"], "method": "subscribe",
                   "is_full": True})
    response = await ws.wait_for(lambda m: m.get("request_id") == 7)
    assert response["subs"] == [f"{BTC}@500-10"] and response["num_snapshots"] == [1]
    # uint64 lists go out as strings, as in the JSON-RPC answer (WSSubscribeResponseV1Legacy: json=string)
    assert (response["first_sequence_number"], response["latest_sequence_number"]) == (["1"], ["0"])
    assert (await ws.feed("v1.book.s"))["feed"]["instrument"] == BTC
    await ws.close()


async def test_legacy_subscribe_leaves_out_a_request_id_that_was_not_sent(sandbox, client):
    ws = await client.ws(authenticated=False, path="/ws")
    await ws.send({"stream": "v1.book.s", "feed": [f"{BTC}@500-10"], "method": "subscribe", "is_full": True})
    response = await ws.wait_for(lambda m: m.get("subs") == [f"{BTC}@500-10"])
    assert "request_id" not in response
    await ws.send({"stream": "v1.book.s", "feed": [f"{BTC}@500-20"], "method": "subscribe", "is_full": True})
    error = await ws.wait_for(lambda m: "code" in m)
    assert error == {"code": 3031, "message": "Depth is invalid", "status": 400}
    await ws.close()


async def test_a_slow_client_is_dropped_without_stalling_others(sandbox, client, maker):
    fast = await client.ws(authenticated=False)
    sandbox.config.ws_send_queue_size = 20
    slow = await client.ws(authenticated=False)
    await slow.subscribe("v1.trade", [f"{BTC}@50"])
    await fast.subscribe("v1.trade", [f"{BTC}@50"])
    slow_connection = next(c for c in sandbox.ws_gateway.connections if c.feeds and c.queue_size == 20)
    # the slow client's writer is blocked: its queue fills without anything being delivered
    slow_connection.writer_task.cancel()
    sandbox.exchange.add_account("5002", check_margin=False)
    for _ in range(30):
        maker(False, "0.01", "90000.0")
        sandbox.exchange.submit_internal_order("5002", BTC, True, D("0.01"), None)
    received = [await fast.feed("v1.trade") for _ in range(30)]
    assert [int(m["sequence_number"]) for m in received] == list(range(1, 31))
    assert slow_connection.closed
    await fast.close()


async def test_a_private_socket_needs_the_account_id_header_as_well_as_the_cookie(sandbox, client):
    cookie_only = await client.session.ws_connect(sandbox.ws_url, headers={"Cookie": f"gravity={client.cookie}"})
    wrong_account = await client.session.ws_connect(sandbox.ws_url, headers=dict(
        client.auth_headers(), **{"X-Grvt-Account-Id": "0x" + "12" * 20}))
    for raw in (cookie_only, wrong_account):
        ws = WsClient(raw)
        refused = await ws.subscribe("v1.order", [DEMO_SUB_ACCOUNT_ID])
        assert refused["error"]["code"] == 1000 and "result" not in refused
        assert (await ws.call("v1/open_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID}))["error"]["code"] == 1000
        assert "result" in await ws.subscribe("v1.book.d", [f"{BTC}@100"])  # public streams still work
        await ws.close()
    ws = await client.ws()
    assert (await ws.subscribe("v1.order", [DEMO_SUB_ACCOUNT_ID]))["result"]["subs"] == [DEMO_SUB_ACCOUNT_ID]
    await ws.close()
