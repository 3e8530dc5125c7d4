"""A local, GRVT-compatible exchange: REST + WebSocket gateways, EIP-712 checks, matching, margin, funding,
fault injection. Start one with `python -m grvt_sandbox` or `async with SandboxServer(config) as sandbox`."""
from grvt_sandbox.config import AccountConfig, SandboxConfig
from grvt_sandbox.instruments import InstrumentSpec


def __getattr__(name):  # SandboxServer pulls in aiohttp; the engine alone does not need it
    if name == "SandboxServer":
        from grvt_sandbox.server import SandboxServer
        return SandboxServer
    raise AttributeError(name)


__all__ = ["AccountConfig", "InstrumentSpec", "SandboxConfig", "SandboxServer"]
