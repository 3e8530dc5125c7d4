"""API-key logins and the `gravity` session cookies they hand out."""
import secrets
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Dict, List, Optional

from grvt_sandbox.clock import Clock


@dataclass
class ApiKey:
    api_key: str
    sub_account_ids: List[str]
    account_id: str  # what X-Grvt-Account-Id carries (the main/funding account address)


@dataclass
class Session:
    token: str
    api_key: ApiKey
    expires_ns: int
    sub_account_ids: frozenset = field(default_factory=frozenset)

    @property
    def account_id(self) -> str:
        return self.api_key.account_id


def cookie_expires_text(expires_ns: int) -> str:
    """RFC 1123 in GMT, e.g. 'Wed, 21 Oct 2026 07:28:00 GMT' (the format GRVT's clients parse)."""
    return formatdate(expires_ns / 1e9, usegmt=True)


class SessionStore:
    def __init__(self, clock: Clock, ttl_s: float):
        self.clock = clock
        self.ttl_s = ttl_s
        self.api_keys: Dict[str, ApiKey] = {}
        self._sessions: Dict[str, Session] = {}

    def add_api_key(self, api_key: str, sub_account_ids: List[str], account_id: str) -> ApiKey:
        key = ApiKey(api_key, [str(sub) for sub in sub_account_ids], account_id)
        self.api_keys[api_key] = key
        return key

    def login(self, api_key: object) -> Optional[Session]:
        key = self.api_keys.get(api_key) if isinstance(api_key, str) else None
        if key is None:
            return None
        now = self.clock.now_ns()
        self._drop_expired(now)
        session = Session(secrets.token_hex(24), key, now + int(self.ttl_s * 1e9), frozenset(key.sub_account_ids))
        self._sessions[session.token] = session
        return session

    def lookup(self, token: Optional[str], account_id: Optional[str] = None) -> Optional[Session]:
        """The live session for a cookie value (and matching X-Grvt-Account-Id when given)."""
        if not token:
            return None
        session = self._sessions.get(token)
        if session is None:
            return None
        if session.expires_ns <= self.clock.now_ns():
            self._sessions.pop(token, None)
            return None
        if account_id is not None and account_id.lower() != session.account_id.lower():
            return None
        return session

    def is_valid(self, session: Optional[Session]) -> bool:
        return session is not None and session.token in self._sessions and \
            session.expires_ns > self.clock.now_ns()

    def expire(self, api_key: Optional[str] = None) -> int:
        """Ends every session (or those of one API key); returns how many."""
        doomed = [token for token, session in self._sessions.items()
                  if api_key is None or session.api_key.api_key == api_key]
        for token in doomed:
            del self._sessions[token]
        return len(doomed)

    def _drop_expired(self, now: int) -> None:
        if len(self._sessions) > 1000:
            for token in [t for t, s in self._sessions.items() if s.expires_ns <= now]:
                del self._sessions[token]

    def __len__(self) -> int:
        return len(self._sessions)
