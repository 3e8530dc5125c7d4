"""A local, GRVT-compatible exchange: REST + WebSocket gateways, EIP-712 checks, matching, margin, funding,
fault injection. Start one with `python -m grvt_sandbox` or `async with SandboxServer(config) as sandbox`."""
from typing import TYPE_CHECKING, Type

from grvt_sandbox.config import AccountConfig, SandboxConfig
from grvt_sandbox.instruments import InstrumentSpec

if TYPE_CHECKING:  # the server module imports this package
    from grvt_sandbox.server import SandboxServer


# SandboxServer pulls in aiohttp; the engine alone does not need it
def __getattr__(name: str) -> Type["SandboxServer"]:
    if name == "SandboxServer":
        from grvt_sandbox.server import SandboxServer
        return SandboxServer
    raise AttributeError(name)


__all__ = ["AccountConfig", "InstrumentSpec", "SandboxConfig", "SandboxServer"]
