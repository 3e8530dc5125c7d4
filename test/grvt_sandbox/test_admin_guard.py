"""The /sandbox/ admin routes refuse what a web page in a browser could send (CSRF, DNS rebinding)."""
import asyncio
from decimal import Decimal

import aiohttp
import pytest

from grvt_sandbox import control
from grvt_sandbox.__main__ import admin_token_for
from grvt_sandbox.config import SandboxConfig
from grvt_sandbox.gateway.admin_guard import is_loopback
from grvt_sandbox.server import SandboxServer
from test.grvt_sandbox.sandbox_helpers import BTC

PRICE = {"instrument": BTC, "index_price": "91234.5"}


async def call(sandbox, method, path, **kwargs):
    async with aiohttp.ClientSession() as session:
        async with session.request(method, f"{sandbox.url}/sandbox/{path}", **kwargs) as response:
            return response.status, await response.json()


@pytest.mark.asyncio
@pytest.mark.parametrize("kwargs, detail", [
    ({"json": PRICE}, "X-Sandbox-Admin"),  # no admin header
    ({"data": "instrument=BTC_USDT_Perp&index_price=1", "headers": {"X-Sandbox-Admin": "1",
      "Content-Type": "application/x-www-form-urlencoded"}}, "JSON"),  # a form post
    ({"json": PRICE, "headers": {"X-Sandbox-Admin": "1", "Origin": "https://pages.example"}}, "Origin"),
    ({"json": PRICE, "headers": {"X-Sandbox-Admin": "1", "Host": "rebound.example:8080"}}, "loopback"),
])
async def test_state_changing_requests_a_page_could_forge_are_refused(sandbox, kwargs, detail):
    before = sandbox.exchange.markets[BTC].index_price
    status, body = await call(sandbox, "POST", "price", **kwargs)
    assert (status, body["code"], body["status"]) == (403, 1001, 403) and detail in body["detail"]
    assert sandbox.exchange.markets[BTC].index_price == before


@pytest.mark.asyncio
async def test_tools_pass_and_reads_need_no_header_without_a_token(sandbox):
    assert await call(sandbox, "POST", "price", json=PRICE, headers={"X-Sandbox-Admin": "1"}) == (
        200, {"result": {"ack": True}})
    assert sandbox.exchange.markets[BTC].index_price == Decimal("91234.5")
    same_origin = {"Origin": sandbox.url}
    assert (await call(sandbox, "POST", "faults/clear", json={}, headers=dict(same_origin, **{
        "X-Sandbox-Admin": "1"})))[0] == 200
    assert (await call(sandbox, "GET", "status"))[0] == 200
    assert (await call(sandbox, "GET", "status", headers={"Origin": "http://pages.example"}))[0] == 403
    assert (await call(sandbox, "GET", "status", headers={"Host": "rebound.example"}))[0] == 403
    assert (await call(sandbox, "GET", "status", headers={"Host": f"localhost:{sandbox.port}"}))[0] == 200


@pytest.mark.asyncio
async def test_an_admin_token_guards_every_admin_route():
    async with SandboxServer(SandboxConfig(admin_token="s3cret-token")) as sandbox:
        assert (await call(sandbox, "GET", "status"))[0] == 403
        assert (await call(sandbox, "GET", "status", headers={"X-Sandbox-Admin": "1"}))[0] == 403
        assert (await call(sandbox, "GET", "status", headers={"X-Sandbox-Admin": "s3cret-token"}))[0] == 200
        assert (await call(sandbox, "POST", "price", json=PRICE, headers={"X-Sandbox-Admin": "s3cret-token"}))[
            0] == 200
        loop = asyncio.get_running_loop()
        refused = await loop.run_in_executor(None, control.request, sandbox.url, "status", {})
        assert refused["code"] == 1001
        allowed = await loop.run_in_executor(None, control.request, sandbox.url, "status", {}, "s3cret-token")
        assert allowed["instruments"][0] == BTC
        # GRVT's own routes are not admin routes
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{sandbox.url}/full/v1/instrument", json={"instrument": BTC}) as response:
                assert response.status == 200


def test_loopback_addresses():
    assert all(is_loopback(host) for host in ("127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"))
    assert not any(is_loopback(host) for host in ("0.0.0.0", "192.168.1.20", "::", "sandbox.example", "", None))


def test_listening_beyond_loopback_needs_allow_remote_and_gets_a_token():
    assert admin_token_for("127.0.0.1", False, None) is None
    assert admin_token_for("localhost", False, "mine") == "mine"
    with pytest.raises(SystemExit) as refusal:
        admin_token_for("0.0.0.0", False, None)
    assert "--allow-remote" in str(refusal.value)
    generated = admin_token_for("0.0.0.0", True, None)
    assert len(generated) >= 24 and generated != admin_token_for("0.0.0.0", True, None)
    assert admin_token_for("192.168.1.20", True, "mine") == "mine"
