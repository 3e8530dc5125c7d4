"""The server object: ephemeral port on 127.0.0.1, lifecycle, accounts added at runtime, the optional market."""
import pytest

from grvt_sandbox import SandboxServer
from grvt_sandbox.config import AccountConfig, SandboxConfig
from test.grvt_sandbox.sandbox_helpers import BTC, SandboxClient

pytestmark = pytest.mark.asyncio


async def test_binds_loopback_on_an_ephemeral_port_and_stops_cleanly():
    server = SandboxServer()
    async with server:
        assert server.config.host == "127.0.0.1" and server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.ws_url == f"ws://127.0.0.1:{server.port}/ws/full"
        client = SandboxClient(server.url)
        assert (await client.login())[0] == 200
        ws = await client.ws()
        await ws.subscribe("v1.order", ["8289849667772468"])
    assert server.ws_gateway.connections == []
    await client.close()


async def test_accounts_with_api_keys_from_config():
    config = SandboxConfig(accounts=[AccountConfig(sub_account_id="11", api_key="k1", signers=["0x" + "1" * 40]),
                                     AccountConfig(sub_account_id="12", api_key="k1")])
    async with SandboxServer(config) as server:
        client = SandboxClient(server.url)
        try:
            status, body, _ = await client.login("k1")
            assert status == 200 and body["sub_account_id"] == "11"
            for sub_account_id in ("11", "12"):
                assert (await client.post("open_orders", {"sub_account_id": sub_account_id}))[0] == 200
            assert (await client.login("grvt-sandbox-demo-key"))[0] == 401  # no demo account in this config
        finally:
            await client.close()


async def test_synthetic_market_hook():
    async with SandboxServer(SandboxConfig(market=True, market_seed=3)) as server:
        assert server.market is not None
        server.market.step(3)
        client = SandboxClient(server.url)
        try:
            _, body = await client.post("book", {"instrument": BTC, "depth": 10})
            assert body["result"]["bids"] and body["result"]["asks"]
        finally:
            await client.close()
    assert server.market is None
