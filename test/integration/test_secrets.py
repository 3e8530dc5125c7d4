"""Keys never reach logs, tracebacks or reprs; a refused API key is reported clearly, not as tracebacks.

Every log record of the connector and of the sandbox is captured (DEBUG and up, tracebacks formatted) while the
connector trades with the demo keys, and while it runs with an API key the sandbox refuses.
"""
import asyncio
import logging
import os
import time
from contextlib import contextmanager
from decimal import Decimal
from typing import Iterator, List
from unittest.mock import patch

from grvt_sandbox.config import DEMO_PRIVATE_KEY, DEMO_SUB_ACCOUNT_ID
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_auth import GrvtAuthError, GrvtPerpetualAuth
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_derivative import GrvtPerpetualDerivative
from hummingbot.core.data_type.common import OrderType, PositionAction
from hummingbot.core.web_assistant.connections.connections_factory import ConnectionsFactory
from test.integration.helpers import (
    BEST_BID,
    DOMAIN,
    PAIR,
    TICK_INTERVAL,
    _forget_shared_session_of_another_loop,
    eventually,
    running_connector,
    wait_until_resting,
)

REFUSED_API_KEY = "refused-api-key-Zq81xW3"  # noqa: mock
PRIVATE_KEY_HEX = DEMO_PRIVATE_KEY.lower().removeprefix("0x")


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: List[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord):
        self.records.append(record)

    def text(self) -> str:
        return "\n".join(self.format(record) for record in self.records)


@contextmanager
def captured_logs() -> Iterator[Capture]:
    root = logging.getLogger()
    capture, level = Capture(), root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(level)


def assert_no_secret(text: str, *secrets: str):
    for secret in secrets:
        where = text.find(secret)
        assert where < 0, f"a secret ({secret[:4]}...) appears in: {text[max(0, where - 200):where + 200]}"


async def test_the_keys_and_the_session_cookie_never_reach_logs_or_reprs(sandbox, liquidity, admin):
    with captured_logs() as logs:
        async with running_connector(sandbox) as connector:
            order_id = connector.buy(PAIR, Decimal("0.01"), OrderType.LIMIT, BEST_BID - Decimal("100"),
                                     position_action=PositionAction.OPEN)
            await wait_until_resting(connector, admin, order_id)
            connector.cancel(PAIR, order_id)
            await eventually(lambda: order_id not in connector.in_flight_orders, message="the cancel")
            cookie = connector._auth._session.cookie
            api_key = connector._auth._api_key
            shown = [repr(item) for item in (connector, connector._auth, connector._auth._session, connector._signer,
                                             connector.order_factory, connector.order_transport, connector.account)]
            shown.append(str(connector.status_dict))
    assert len(cookie) >= 16 and api_key
    assert_no_secret(logs.text() + "\n".join(shown), api_key, cookie, PRIVATE_KEY_HEX)


async def test_a_refused_api_key_is_one_clear_error_without_tracebacks_or_the_key(sandbox):
    _forget_shared_session_of_another_loop()
    with captured_logs() as logs, patch.dict(os.environ, {"GRVT_PERPETUAL_TESTNET_BASE_URL": sandbox.url}), \
            patch.object(GrvtPerpetualAuth, "REFUSED_LOGIN_HOLD_SECONDS", 3600.0):  # one refusal however slow the run
        connector = GrvtPerpetualDerivative(
            grvt_perpetual_api_key=f"  {REFUSED_API_KEY}\n", grvt_perpetual_private_key=f" 0x{PRIVATE_KEY_HEX} ",
            grvt_perpetual_trading_account_id=DEMO_SUB_ACCOUNT_ID, trading_pairs=[PAIR], domain=DOMAIN)
        ticker = None
        try:
            await connector.start_network()

            async def tick_forever():
                while True:
                    connector.tick(time.time())
                    await asyncio.sleep(TICK_INTERVAL)
            ticker = asyncio.ensure_future(tick_forever())

            def reported(fragment: str) -> bool:
                return any(fragment in record.getMessage() for record in logs.records)
            for fragment in ("GRVT refused the API key", "GRVT order socket failed: GRVT login refused",
                             "no GRVT session for the private socket: GRVT login refused",
                             "GRVT account updates unavailable: GRVT login refused"):
                await eventually(lambda: reported(fragment), timeout=30.0, message=fragment)
        finally:
            if ticker is not None:
                ticker.cancel()
                await asyncio.gather(ticker, return_exceptions=True)
            await connector.stop_network()
            await ConnectionsFactory().close()

    assert not connector.ready
    refusals = [record for record in logs.records if "GRVT refused the API key" in record.getMessage()]
    assert len(refusals) == 1 and refusals[0].levelno == logging.ERROR
    assert "HTTP 401, error 1000" in refusals[0].getMessage()
    tracebacks = [record.getMessage() for record in logs.records if record.levelno >= logging.INFO
                  and record.exc_info and isinstance(record.exc_info[1], GrvtAuthError)]
    assert tracebacks == []
    assert_no_secret(logs.text(), REFUSED_API_KEY, PRIVATE_KEY_HEX)
