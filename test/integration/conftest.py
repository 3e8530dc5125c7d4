"""Integration fixtures: the GRVT sandbox in-process on 127.0.0.1 and our connector pointed at it.

The connector signs real EIP-712 orders that the sandbox verifies; the book it trades on comes from the sandbox's
second account (see ``helpers.Liquidity``), not from the synthetic market, so the tests are deterministic.
"""
import aiohttp
import pytest
import pytest_asyncio

from grvt_sandbox.config import SandboxConfig
from grvt_sandbox.server import SandboxServer
from test.integration.helpers import Admin, EventRecorder, Liquidity, running_connector


@pytest_asyncio.fixture
async def sandbox():
    """A sandbox without the synthetic market on an ephemeral port; GRVT's 25 ms speed bump stays on."""
    async with SandboxServer(SandboxConfig()) as server:
        yield server


@pytest.fixture
def liquidity(sandbox) -> Liquidity:
    book = Liquidity(sandbox)
    book.seed()
    return book


@pytest_asyncio.fixture
async def admin(sandbox):
    async with aiohttp.ClientSession() as session:
        yield Admin(sandbox.url, session)


@pytest_asyncio.fixture
async def connector(sandbox, liquidity):
    """A started, ready connector trading BTC-USDT on the sandbox's demo account; stopped afterwards."""
    async with running_connector(sandbox) as grvt:
        yield grvt


@pytest.fixture
def events(connector) -> EventRecorder:
    return EventRecorder(connector)


def pytest_collection_modifyitems(config, items):
    """Soak tests of this folder run only when asked for (`-m soak`), so a plain run stays short."""
    if config.getoption("markexpr"):
        return
    skip = pytest.mark.skip(reason="soak test: run with -m soak")
    for item in items:
        if "soak" in item.keywords and "integration" in item.nodeid.split("::")[0].split("/"):
            item.add_marker(skip)
