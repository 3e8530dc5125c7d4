"""Per-account token buckets per route (off by default) answering GRVT's 1006 / HTTP 429."""
import pytest

from grvt_sandbox.clock import Clock
from grvt_sandbox.config import DEMO_SUB_ACCOUNT_ID, SandboxConfig
from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.gateway.rate_limits import DEFAULT_RATE_LIMITS, RateLimiter
from grvt_sandbox.server import SandboxServer
from test.grvt_sandbox.sandbox_helpers import BTC, SandboxClient, signed_order


def refused(limiter, account, method, params=None) -> bool:
    try:
        limiter.charge(account, method, params or {})
    except GrvtApiError as error:
        assert error.code == 1006 and error.status == 429
        return True
    return False


def test_buckets_per_account_and_route_refill_on_the_exchange_clock():
    clock = Clock()
    limiter = RateLimiter(clock, {"create_order": 2, "v1/cancel_order": 1})
    assert limiter.enabled and not RateLimiter(clock).enabled
    assert [refused(limiter, "a", "v1/create_order") for _ in range(3)] == [False, False, True]
    assert not refused(limiter, "b", "v1/create_order")  # another account has its own bucket
    assert not refused(limiter, "a", "v1/cancel_order")  # and another route too
    assert not refused(limiter, "a", "v1/book")  # routes without a limit are free
    clock.advance(0.5)
    assert [refused(limiter, "a", "v1/create_order") for _ in range(2)] == [False, True]


def test_bulk_orders_cost_one_create_token_per_order_and_one_cancel_token():
    clock = Clock()
    limiter = RateLimiter(clock, {"create_order": 4, "cancel_order": 1})
    assert limiter.costs("v2/bulk_orders", {"orders": [{}] * 3, "client_order_i_ds": ["1", "2"]}) == {
        "create_order": 3, "cancel_order": 1}
    assert not refused(limiter, "a", "v2/bulk_orders", {"orders": [{}] * 3, "order_i_ds": ["0x1"]})
    # two create tokens are missing for the next batch, and its cancel token is not taken either
    assert refused(limiter, "a", "v2/bulk_orders", {"orders": [{}] * 3})
    assert refused(limiter, "a", "v1/cancel_order")
    clock.advance(1)
    # a batch larger than the bucket passes on a full bucket and leaves it in debt
    assert not refused(limiter, "a", "v2/bulk_orders", {"orders": [{}] * 10})
    clock.advance(1)
    assert refused(limiter, "a", "v1/create_order")
    with pytest.raises(ValueError):
        RateLimiter(clock, {"create_order": 0})


@pytest.mark.asyncio
async def test_configured_limits_answer_429_on_rest_and_1006_on_json_rpc():
    config = SandboxConfig(speed_bump_ms=0, rate_limits=dict(DEFAULT_RATE_LIMITS, create_order=2))
    async with SandboxServer(config) as sandbox:
        client = SandboxClient(sandbox.url)
        try:
            await client.login()
            assert (await client.create_order())[0] == 200
            ws = await client.ws()
            assert "result" in await ws.call("v1/create_order", {"order": signed_order()})
            assert (await client.create_order()) == (429, {
                "code": 1006, "message": "You have surpassed the allocated rate limit for your tier", "status": 429})
            assert (await ws.call("v1/create_order", {"order": signed_order()}))["error"]["code"] == 1006
            assert (await client.post("open_orders", {"sub_account_id": DEMO_SUB_ACCOUNT_ID}))[0] == 200
            assert (await client.post("book", {"instrument": BTC}))[0] == 200
            sandbox.clock.advance(1)
            assert (await client.create_order())[0] == 200
            await ws.close()
        finally:
            await client.close()
