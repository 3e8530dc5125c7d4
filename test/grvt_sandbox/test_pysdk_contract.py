"""Contract: GRVT's official Python SDK (grvt-pysdk, unchanged) works against the sandbox; only its URLs are
pointed at it (the SDK reads them from `get_env_config`, which we patch where `grvt_raw_base` looks it up)."""
import asyncio
import json
import logging
import random
import time
from unittest.mock import patch

import aiohttp
import pytest
import pytest_asyncio
from pysdk import grvt_raw_types as types
from pysdk.grvt_raw_async import GrvtRawAsync
from pysdk.grvt_raw_base import GrvtApiConfig, GrvtError
from pysdk.grvt_raw_env import GrvtEndpointConfig, GrvtEnv, GrvtEnvConfig
from pysdk.grvt_raw_signing import sign_order

from grvt_sandbox.config import DEMO_API_KEY, DEMO_SUB_ACCOUNT_ID, SandboxConfig
from grvt_sandbox.server import SandboxServer
from test.grvt_sandbox.sandbox_helpers import BTC, DEMO_PRIVATE_KEY, OTHER_PRIVATE_KEY

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def sdk_sandbox():
    # GRVT's own 25 ms speed bump stays on here: the SDK must cope with PENDING answers
    async with SandboxServer(SandboxConfig()) as server:
        yield server


def sdk_client(server: SandboxServer, private_key: str = DEMO_PRIVATE_KEY) -> GrvtRawAsync:
    endpoints = GrvtEnvConfig(
        edge=GrvtEndpointConfig(rpc_endpoint=server.url, ws_endpoint=None),
        trade_data=GrvtEndpointConfig(rpc_endpoint=server.url, ws_endpoint=server.ws_url),
        market_data=GrvtEndpointConfig(rpc_endpoint=server.url, ws_endpoint=server.ws_url),
        chain_id=server.config.chain_id)
    config = GrvtApiConfig(env=GrvtEnv.TESTNET, trading_account_id=DEMO_SUB_ACCOUNT_ID, private_key=private_key,
                           api_key=DEMO_API_KEY, logger=logging.getLogger("pysdk-contract"))
    with patch("pysdk.grvt_raw_base.get_env_config", return_value=endpoints):
        return GrvtRawAsync(config)


def unsigned_order(client_order_id: str, price: str = "50000.0", size: str = "0.01") -> types.Order:
    return types.Order(
        sub_account_id=DEMO_SUB_ACCOUNT_ID,
        time_in_force=types.TimeInForce.GOOD_TILL_TIME,
        legs=[types.OrderLeg(instrument=BTC, size=size, is_buying_asset=True, limit_price=price)],
        signature=types.Signature(signer="", r="", s="", v=0, expiration=str(time.time_ns() + 3600 * 10 ** 9),
                                  nonce=random.randint(0, 2 ** 32 - 1)),
        metadata=types.OrderMetadata(client_order_id=client_order_id),
        is_market=False, post_only=False, reduce_only=False)


async def open_private_socket(api: GrvtRawAsync, server: SandboxServer) -> aiohttp.ClientWebSocketResponse:
    """GRVT authenticates sockets with the login cookie and account header at the upgrade."""
    headers = {"Cookie": f"gravity={api._cookie.gravity}", "X-Grvt-Account-Id": api._cookie.grvt_account_id}
    return await api._session.ws_connect(server.ws_url, headers=headers)


async def next_feed(ws: aiohttp.ClientWebSocketResponse, stream: str, timeout: float = 3.0) -> dict:
    while True:
        message = json.loads((await ws.receive(timeout=timeout)).data)
        if message.get("stream") == stream and "feed" in message:
            return message


async def test_pysdk_full_order_round_trip(sdk_sandbox):
    api = sdk_client(sdk_sandbox)
    try:
        instruments = await api.get_all_instruments_v1(types.ApiGetAllInstrumentsRequest(is_active=True))
        assert not isinstance(instruments, GrvtError)
        by_name = {instrument.instrument: instrument for instrument in instruments.result}
        assert by_name[BTC].instrument_hash == "0x030501" and by_name[BTC].base_decimals == 9

        book = await api.orderbook_levels_v1(types.ApiOrderbookLevelsRequest(instrument=BTC, depth=10))
        assert not isinstance(book, GrvtError) and book.result.instrument == BTC

        summary = await api.sub_account_summary_v1(
            types.ApiSubAccountSummaryRequest(sub_account_id=DEMO_SUB_ACCOUNT_ID))
        assert not isinstance(summary, GrvtError)  # logs in on first use (cookie + account header)
        assert api._cookie is not None and api._cookie.expires.timestamp() > time.time()

        ws = await open_private_socket(api, sdk_sandbox)
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "method": "subscribe", "id": 1,
                                      "params": {"stream": "v1.order", "selectors": [DEMO_SUB_ACCOUNT_ID]}}))
        subscribed = json.loads((await ws.receive(timeout=3)).data)
        assert subscribed["result"]["subs"] == [DEMO_SUB_ACCOUNT_ID]

        client_order_id = str(2 ** 63 + 42)
        order = sign_order(unsigned_order(client_order_id), api.config, api.account, by_name)
        created = await api.create_order_v1(types.ApiCreateOrderRequest(order=order))
        assert not isinstance(created, GrvtError), created
        assert created.result.order_id == "0x00"
        assert created.result.state.status == types.OrderStatus.PENDING

        update = await next_feed(ws, "v1.order")
        order_id = update["feed"]["order_id"]
        assert update["selector"] == DEMO_SUB_ACCOUNT_ID
        assert update["feed"]["state"]["status"] == "OPEN"
        assert len(order_id) == 34 and order_id.startswith("0x") and int(order_id, 16) > 0
        assert update["feed"]["metadata"]["client_order_id"] == client_order_id

        open_orders = await api.open_orders_v1(types.ApiOpenOrdersRequest(sub_account_id=DEMO_SUB_ACCOUNT_ID))
        assert [o.order_id for o in open_orders.result] == [order_id]

        fetched = await api.get_order_v1(types.ApiGetOrderRequest(sub_account_id=DEMO_SUB_ACCOUNT_ID,
                                                                  order_id=order_id))
        assert fetched.result.metadata.client_order_id == client_order_id

        cancelled = await api.cancel_order_v1(types.ApiCancelOrderRequest(sub_account_id=DEMO_SUB_ACCOUNT_ID,
                                                                          order_id=order_id))
        assert not isinstance(cancelled, GrvtError) and cancelled.result.ack is True
        update = await next_feed(ws, "v1.order")
        assert (update["feed"]["order_id"], update["feed"]["state"]["status"],
                update["feed"]["state"]["reject_reason"]) == (order_id, "CANCELLED", "CLIENT_CANCEL")
        open_orders = await api.open_orders_v1(types.ApiOpenOrdersRequest(sub_account_id=DEMO_SUB_ACCOUNT_ID))
        assert open_orders.result == []
        await ws.close()
    finally:
        await api._session.close()


async def test_pysdk_gets_grvt_error_for_bad_signatures(sdk_sandbox):
    api = sdk_client(sdk_sandbox)
    try:
        instruments = await api.get_all_instruments_v1(types.ApiGetAllInstrumentsRequest(is_active=True))
        by_name = {instrument.instrument: instrument for instrument in instruments.result}

        tampered = sign_order(unsigned_order(str(2 ** 63 + 7)), api.config, api.account, by_name)
        tampered.legs[0].limit_price = "50000.1"  # signed for another price
        result = await api.create_order_v1(types.ApiCreateOrderRequest(order=tampered))
        assert result == GrvtError(code=2002, message="Signature does not match payload", status=403)

        stranger = sdk_client(sdk_sandbox, private_key=OTHER_PRIVATE_KEY)
        try:
            foreign = sign_order(unsigned_order(str(2 ** 63 + 8)), stranger.config, stranger.account, by_name)
            result = await api.create_order_v1(types.ApiCreateOrderRequest(order=foreign))
            assert result == GrvtError(code=2000, message="Signature is from an unauthorized signer", status=403)
        finally:
            await stranger._session.close()

        expired = unsigned_order(str(2 ** 63 + 9))
        expired.signature.expiration = str(time.time_ns() - 10 ** 9)
        expired = sign_order(expired, api.config, api.account, by_name)
        result = await api.create_order_v1(types.ApiCreateOrderRequest(order=expired))
        assert isinstance(result, GrvtError) and result.code == 2001

        await asyncio.sleep(0.05)
        open_orders = await api.open_orders_v1(types.ApiOpenOrdersRequest(sub_account_id=DEMO_SUB_ACCOUNT_ID))
        assert open_orders.result == []
    finally:
        await api._session.close()


async def test_pysdk_market_data_routes_parse(sdk_sandbox):
    api = sdk_client(sdk_sandbox)
    try:
        exchange = sdk_sandbox.exchange
        exchange.add_account("777", check_margin=False)
        exchange.submit_internal_order("777", BTC, False, "0.5", "90000.0")
        exchange.add_account("778", check_margin=False)
        exchange.submit_internal_order("778", BTC, True, "0.1", None)
        responses = [
            await api.get_instrument_v1(types.ApiGetInstrumentRequest(instrument=BTC)),
            await api.get_filtered_instruments_v1(types.ApiGetFilteredInstrumentsRequest(
                kind=[types.Kind.PERPETUAL], base=[types.Currency.BTC], quote=[types.Currency.USDT])),
            await api.mini_ticker_v1(types.ApiMiniTickerRequest(instrument=BTC)),
            await api.ticker_v1(types.ApiTickerRequest(instrument=BTC)),
            await api.trade_v1(types.ApiTradeRequest(instrument=BTC, limit=10)),
            await api.trade_history_v1(types.ApiTradeHistoryRequest(instrument=BTC, limit=10)),
            await api.candlestick_v1(types.ApiCandlestickRequest(
                instrument=BTC, interval=types.CandlestickInterval.CI_1_M, type=types.CandlestickType.TRADE)),
            await api.funding_rate_v1(types.ApiFundingRateRequest(instrument=BTC)),
            await api.get_all_initial_leverage_v1(types.ApiGetAllInitialLeverageRequest(
                sub_account_id=DEMO_SUB_ACCOUNT_ID)),
            await api.positions_v1(types.ApiPositionsRequest(sub_account_id=DEMO_SUB_ACCOUNT_ID)),
            await api.fill_history_v1(types.ApiFillHistoryRequest(sub_account_id=DEMO_SUB_ACCOUNT_ID)),
            await api.order_history_v1(types.ApiOrderHistoryRequest(sub_account_id=DEMO_SUB_ACCOUNT_ID)),
            await api.funding_payment_history_v1(types.ApiFundingPaymentHistoryRequest(
                sub_account_id=DEMO_SUB_ACCOUNT_ID)),
        ]
        assert [type(r).__name__ for r in responses if isinstance(r, GrvtError)] == []
        trades = responses[4].result
        assert len(trades) == 1 and trades[0].price == "90000.0" and trades[0].size == "0.1"
        assert responses[6].result[0].trades == 1
        leverage = await api.set_initial_leverage_v1(types.ApiSetInitialLeverageRequest(
            sub_account_id=DEMO_SUB_ACCOUNT_ID, instrument=BTC, leverage="20"))
        assert leverage.success is True
    finally:
        await api._session.close()


async def wait_for_open_orders(api: GrvtRawAsync, count: int, timeout: float = 15.0) -> list:
    deadline = time.monotonic() + timeout
    while True:
        response = await api.open_orders_v1(types.ApiOpenOrdersRequest(sub_account_id=DEMO_SUB_ACCOUNT_ID))
        assert not isinstance(response, GrvtError), response
        if len(response.result) == count and all(o.state.status == types.OrderStatus.OPEN for o in response.result):
            return response.result
        assert time.monotonic() < deadline, response.result
        await asyncio.sleep(0.02)


async def test_pysdk_cancel_all_orders_and_order_history_pages(sdk_sandbox):
    api = sdk_client(sdk_sandbox)
    try:
        instruments = await api.get_all_instruments_v1(types.ApiGetAllInstrumentsRequest(is_active=True))
        by_name = {instrument.instrument: instrument for instrument in instruments.result}
        client_order_ids = [str(2 ** 63 + 100 + i) for i in range(3)]
        for i, client_order_id in enumerate(client_order_ids):
            order = sign_order(unsigned_order(client_order_id, price=f"{45000 + i}.0"), api.config, api.account,
                               by_name)
            created = await api.create_order_v1(types.ApiCreateOrderRequest(order=order))
            assert not isinstance(created, GrvtError), created
        await wait_for_open_orders(api, 3)

        other_base = await api.cancel_all_orders_v1(types.ApiCancelAllOrdersRequest(
            sub_account_id=DEMO_SUB_ACCOUNT_ID, base=[types.Currency.ETH]))
        assert not isinstance(other_base, GrvtError) and other_base.result.ack is True
        await wait_for_open_orders(api, 3)
        cancelled = await api.cancel_all_orders_v1(types.ApiCancelAllOrdersRequest(
            sub_account_id=DEMO_SUB_ACCOUNT_ID, kind=[types.Kind.PERPETUAL], base=[types.Currency.BTC]))
        assert not isinstance(cancelled, GrvtError) and cancelled.result.ack is True
        await wait_for_open_orders(api, 0)

        # one entry a page, following the cursor: every cancelled order once, newest first, then an empty cursor
        seen, cursor = [], None
        for _ in range(10):
            page = await api.order_history_v1(types.ApiOrderHistoryRequest(
                sub_account_id=DEMO_SUB_ACCOUNT_ID, limit=1, cursor=cursor))
            assert not isinstance(page, GrvtError), page
            seen.extend((o.metadata.client_order_id, o.state.status, o.state.reject_reason) for o in page.result)
            cursor = page.next
            if not cursor:
                break
        bulk_cancelled = (types.OrderStatus.CANCELLED, types.OrderRejectReason.CLIENT_BULK_CANCEL)
        assert sorted(seen) == [(client_order_id, *bulk_cancelled) for client_order_id in client_order_ids]
    finally:
        await api._session.close()
