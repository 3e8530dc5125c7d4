import pytest_asyncio

from grvt_sandbox.config import SandboxConfig
from grvt_sandbox.server import SandboxServer
from test.grvt_sandbox.sandbox_helpers import SandboxClient


@pytest_asyncio.fixture
async def sandbox():
    """A running sandbox on an ephemeral 127.0.0.1 port, without a speed bump (tests wait on streams)."""
    async with SandboxServer(SandboxConfig(speed_bump_ms=0, tick_interval_s=0.01)) as server:
        yield server


@pytest_asyncio.fixture
async def client(sandbox):
    """A logged-in demo-account client of `sandbox`."""
    client = SandboxClient(sandbox.url)
    await client.login()
    yield client
    await client.close()
