"""All sub-accounts of the sandbox, by id."""
from typing import Dict, Iterator, Optional

from grvt_sandbox.accounts.account import SubAccount


class AccountRegistry:
    def __init__(self) -> None:
        self._accounts: Dict[str, SubAccount] = {}

    def add(self, account: SubAccount) -> SubAccount:
        self._accounts[account.sub_account_id] = account
        return account

    def get(self, sub_account_id: Optional[str]) -> Optional[SubAccount]:
        return self._accounts.get(str(sub_account_id)) if sub_account_id is not None else None

    def __getitem__(self, sub_account_id: str) -> SubAccount:
        return self._accounts[str(sub_account_id)]

    def __contains__(self, sub_account_id: object) -> bool:
        return str(sub_account_id) in self._accounts

    def __iter__(self) -> Iterator[SubAccount]:
        return iter(list(self._accounts.values()))

    def __len__(self) -> int:
        return len(self._accounts)
