"""Sub-accounts, positions and margin."""
from grvt_sandbox.accounts.account import Position, SubAccount
from grvt_sandbox.accounts.registry import AccountRegistry

__all__ = ["AccountRegistry", "Position", "SubAccount"]
