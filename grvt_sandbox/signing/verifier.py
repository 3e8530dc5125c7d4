"""Checks an order's `signature` object the way GRVT does (codes 1012, 1400, 2000-2008)."""
from typing import Any, Optional, Tuple

from grvt_sandbox.accounts.account import SubAccount
from grvt_sandbox.errors import GrvtApiError
from grvt_sandbox.signing.eip712 import OrderSigningFields, is_low_s, order_digest, recover_signer

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _hex_word(value: Any) -> int:
    """r/s: 64 hex characters, with or without 0x."""
    if not isinstance(value, str):
        raise GrvtApiError(2006)
    text = value[2:] if value[:2] in ("0x", "0X") else value
    if len(text) != 64 or not _HEX_DIGITS.issuperset(text):
        raise GrvtApiError(2006)
    return int(text, 16)


def parse_int(value: Any, code: int = 1003) -> int:
    """An integer from a JSON number or a decimal string."""
    if isinstance(value, bool):
        raise GrvtApiError(code)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdecimal():
        return int(value)
    raise GrvtApiError(code)


class SignatureVerifier:
    def __init__(self, chain_id: int, max_duration_ns: int, enabled: bool = True):
        self.chain_id = chain_id
        self.max_duration_ns = max_duration_ns
        self.enabled = enabled

    def check_expiration(self, expiration: int, now: int) -> None:
        if expiration <= now:
            raise GrvtApiError(2001)
        if expiration > now + self.max_duration_ns:
            raise GrvtApiError(2008)

    def verify(self, signature: dict, fields: OrderSigningFields, now: int) -> Tuple[str, bytes]:
        """Returns (recovered signer address in lowercase, digest); raises GrvtApiError."""
        r = _hex_word(signature.get("r"))
        s = _hex_word(signature.get("s"))
        v = parse_int(signature.get("v"), 2005)
        if v not in (27, 28):
            raise GrvtApiError(2005)
        if not is_low_s(s):
            raise GrvtApiError(2007)
        self.check_expiration(fields.expiration, now)
        chain_id = self._chain_id(signature.get("chain_id"))
        digest = order_digest(fields, chain_id)
        claimed = signature.get("signer")
        if not isinstance(claimed, str):
            raise GrvtApiError(1003, "signature.signer must be an address")
        if not self.enabled:
            return claimed.lower(), digest
        try:
            recovered = recover_signer(digest, r, s, v)
        except (ValueError, TypeError, OverflowError):
            raise GrvtApiError(2002)
        if recovered != claimed.lower():
            raise GrvtApiError(2002)
        return recovered, digest

    def _chain_id(self, value: Optional[Any]) -> int:
        if value in (None, "", 0, "0"):
            return self.chain_id
        chain_id = parse_int(value, 1012)
        if chain_id != self.chain_id:
            raise GrvtApiError(1012)
        return chain_id


def check_signer_permission(account: SubAccount, signer: str) -> None:
    permission = account.signers.get(signer)
    if permission is None:
        raise GrvtApiError(2000)
    if not permission:
        raise GrvtApiError(1400)
