"""A GRVT controller stopped on its own while the strategy runs on (the script's max_controller_drawdown_quote): its
orders are cancelled until GRVT holds none, even when the first cancels fail."""
import asyncio
import logging
import time
from types import SimpleNamespace

from controllers.market_making import grvt_market_maker
from controllers.market_making.grvt_market_maker import GrvtMarketMaker, GrvtMarketMakerConfig
from test.integration.helpers import DOMAIN, PAIR, demo_open_client_ids, eventually

CANCEL_ROUTES = ("cancel_order", "bulk_orders")


async def quoting_market_maker(connector, sandbox) -> GrvtMarketMaker:
    config = GrvtMarketMakerConfig(id="mm", connector_name=DOMAIN, trading_pair=PAIR, order_amount="0.002",
                                   bid_spread="0.05", ask_spread="0.05", order_refresh_time=60, max_position="0.01")
    controller = GrvtMarketMaker(config, SimpleNamespace(connectors={DOMAIN: connector}, ready=True),
                                 asyncio.Queue())

    async def quoting() -> bool:
        connector._set_current_timestamp(time.time())  # as Hummingbot's clock does: orders carry creation times
        await controller.control_task()
        return len(set(demo_open_client_ids(sandbox)) & set(controller.quotes)) == 2
    await eventually(quoting, timeout=15, interval=0.1, message="both quotes resting on the sandbox")
    return controller


def refuse_cancels(sandbox):
    for route in CANCEL_ROUTES:
        sandbox.faults.fail_rpc(route, kind="status", status=400)
        sandbox.faults.fail_rest(route, kind="status", status=400)


def accept_cancels(sandbox):
    for route in CANCEL_ROUTES:
        sandbox.faults.clear_rpc(route)
        sandbox.faults.clear_rest(route)


async def test_a_stopped_market_maker_cancels_again_the_quotes_whose_cancel_failed(sandbox, connector, monkeypatch):
    monkeypatch.setattr(grvt_market_maker, "CANCEL_RETRY_SECONDS", 0.2)
    controller = await quoting_market_maker(connector, sandbox)
    quote_ids = set(controller.quotes)
    refuse_cancels(sandbox)
    controller.stop()
    await eventually(lambda: connector.order_metrics.errors >= 2, timeout=10, message="the stop's cancels refused")
    assert quote_ids <= set(demo_open_client_ids(sandbox))
    accept_cancels(sandbox)
    await eventually(lambda: not demo_open_client_ids(sandbox), timeout=15,
                     message=f"no quote resting after the stop (resting: {demo_open_client_ids(sandbox)})")


async def test_a_stopped_market_maker_names_the_quotes_still_resting_at_its_deadline(sandbox, connector, monkeypatch,
                                                                                     caplog):
    monkeypatch.setattr(grvt_market_maker, "CANCEL_RETRY_SECONDS", 0.2)
    monkeypatch.setattr(grvt_market_maker, "STOP_CANCEL_DEADLINE_SECONDS", 1.0)
    controller = await quoting_market_maker(connector, sandbox)
    refuse_cancels(sandbox)
    with caplog.at_level(logging.ERROR, logger=grvt_market_maker.__name__):
        controller.stop()
        await eventually(lambda: "may still rest" in caplog.text, timeout=10, message="the resting quotes named")
    for order_id in controller.quotes:
        assert order_id in caplog.text
    accept_cancels(sandbox)
