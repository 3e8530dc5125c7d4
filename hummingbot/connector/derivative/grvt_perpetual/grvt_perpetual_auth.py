"""
GRVT session handling: API-key login on the edge gateway, then the `gravity` session cookie and the X-Grvt-Account-Id
header on private REST calls and on the private socket's upgrade request. Secrets (API key, cookie) never appear in
logs, exceptions or reprs.
"""
import asyncio
import contextlib
import email.utils
import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Awaitable, Callable, Dict, Iterable, List, Optional, TypeVar, cast

from multidict import CIMultiDictProxy

from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_web_utils as web_utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import (
    GrvtPerpetualAPIError,
    error_from_response,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_health import Backoff
from hummingbot.core.api_throttler.async_throttler_base import AsyncThrottlerBase
from hummingbot.core.web_assistant.auth import AuthBase
from hummingbot.core.web_assistant.connections.data_types import RESTMethod, RESTRequest, WSRequest

T = TypeVar("T")
_logger = logging.getLogger(__name__)


class GrvtAuthError(IOError):
    """Login failed or no session can be obtained."""

    def __init__(self, message: str, retryable: bool = True, key_refused: bool = False):
        super().__init__(message)
        self.retryable = retryable
        self.key_refused = key_refused  # GRVT itself answered the login with an error code


@dataclass(frozen=True)
class GrvtSession:
    cookie: str = field(repr=False)
    account_id: Optional[str] = field(repr=False)
    expires_at: float  # epoch seconds (UTC)

    @property
    def headers(self) -> Dict[str, str]:
        headers = {"Cookie": f"{CONSTANTS.SESSION_COOKIE_NAME}={self.cookie}"}
        if self.account_id:
            headers[CONSTANTS.ACCOUNT_ID_HEADER] = self.account_id
        return headers


# The session whose headers were attached inside the current `run_with_session_retry` call.
_SESSION_USED: ContextVar[Optional[List[GrvtSession]]] = ContextVar("grvt_session_used", default=None)


def parse_session_cookie(set_cookie_headers: Iterable[str], now: float, default_ttl: float) -> Optional[GrvtSession]:
    """
    The session (without account id) in Set-Cookie header values: Max-Age wins over Expires (RFC 6265); without a
    readable one it lasts `default_ttl`. (http.cookies drops a whole header on an attribute it does not know.)
    """
    for header in set_cookie_headers:
        name_value, *attribute_texts = header.split(";")
        name, _, value = name_value.partition("=")
        value = value.strip().strip('"')
        if name.strip() != CONSTANTS.SESSION_COOKIE_NAME or not value:
            continue
        attributes = {key.strip().lower(): text.strip()
                      for key, _, text in (attribute.partition("=") for attribute in attribute_texts)}
        with contextlib.suppress(KeyError, ValueError):
            return GrvtSession(value, None, now + float(attributes["max-age"]))
        # read as UTC whatever the process time zone: parsedate_tz takes a zone-less date as GMT (offset 0)
        expires = email.utils.parsedate_tz(attributes.get("expires", ""))  # None for an unreadable date
        with contextlib.suppress(OverflowError, ValueError):  # a year out of range
            if expires is not None:
                return GrvtSession(value, None, email.utils.mktime_tz(expires))
        return GrvtSession(value, None, now + default_ttl)
    return None


class GrvtPerpetualAuth(AuthBase):
    REFRESH_MARGIN_SECONDS = 60.0  # re-login this long before the cookie expires
    HARD_EXPIRY_MARGIN_SECONDS = 2.0  # this close to expiry callers wait for a new login instead of using the cookie
    DEFAULT_SESSION_TTL_SECONDS = 3600.0  # a cookie without a readable Expires or Max-Age
    MAX_LOGIN_ATTEMPTS = 5
    BACKOFF_INITIAL_SECONDS = 0.5
    BACKOFF_MAX_SECONDS = 8.0
    LOGIN_TIMEOUT_SECONDS = 10.0
    REFUSED_LOGIN_HOLD_SECONDS = 60.0  # after GRVT refused the key, callers get that refusal without a new login

    def __init__(
        self,
        api_key: Optional[str],
        trading_account_id: Optional[str],
        domain: str = CONSTANTS.DEFAULT_DOMAIN,
        throttler: Optional[AsyncThrottlerBase] = None,
        time_provider: Callable[[], float] = time.time,
    ):
        self._api_key = (api_key or "").strip()  # empty in Hummingbot's non-trading instances: private calls fail
        self._trading_account_id = (trading_account_id or "").strip()
        self._domain = domain
        self._time = time_provider
        self._session: Optional[GrvtSession] = None
        self._login_task: Optional[asyncio.Task] = None
        self._refused_until = 0.0
        self._api_factory = web_utils.build_api_factory(throttler)

    def __repr__(self) -> str:
        account = self._trading_account_id
        masked = f"...{account[-4:]}" if len(account) > 4 else ("set" if account else "none")
        state = "active" if self._session is not None else "none"
        return f"GrvtPerpetualAuth(domain={self._domain}, account={masked}, session={state})"

    @property
    def trading_account_id(self) -> str:
        return self._trading_account_id

    async def rest_authenticate(self, request: RESTRequest) -> RESTRequest:
        if request.is_auth_required:
            request.headers = {**(request.headers or {}), **(await self.ensure_session()).headers}
        return request

    async def ws_authenticate(self, request: WSRequest) -> WSRequest:
        # GRVT authenticates a socket once, by the headers of its upgrade request (GrvtSession.headers).
        return request

    async def ensure_session(self) -> GrvtSession:
        """The current session (refreshed in the background near expiry), or one login shared by all callers."""
        session = self._session
        remaining = session.expires_at - self._time() if session is not None else 0.0
        if session is None or remaining <= self.HARD_EXPIRY_MARGIN_SECONDS:
            session = await asyncio.shield(self._start_login())
        elif remaining <= self.REFRESH_MARGIN_SECONDS:
            self._start_login()
        used = _SESSION_USED.get()
        if used is not None:
            used.append(session)
        return session

    def invalidate_session(self, stale: Optional[GrvtSession]) -> bool:
        """Drops `stale` if it is still the current session: concurrent failures of one cookie cause one re-login."""
        if stale is None or self._session is not stale:
            return False
        self._session = None
        return True

    async def run_with_session_retry(self, request_factory: Callable[[], Awaitable[T]]) -> T:
        """Runs a private REST call; when GRVT rejects its session, logs in again and runs it once more."""
        used: List[GrvtSession] = []
        token = _SESSION_USED.set(used)
        try:
            retried = False
            while True:
                used.clear()
                try:
                    return await request_factory()
                except GrvtPerpetualAPIError as error:
                    if retried or not error.is_session_expired:
                        named = error.naming_trading_account(self._trading_account_id)
                        if named is not error:
                            raise named from error
                        raise
                retried = True
                if used and self.invalidate_session(used[-1]):  # the session the rejected call used
                    _logger.info("GRVT rejected the session cookie; logging in again.")
        finally:
            _SESSION_USED.reset(token)

    def _start_login(self) -> "asyncio.Task[GrvtSession]":
        task = self._login_task
        if task is None or task.done() and self._time() >= self._refused_until:
            task = asyncio.get_running_loop().create_task(self._login_with_retries())
            task.add_done_callback(self._on_login_done)
            self._login_task = task
        return task

    def _on_login_done(self, task: asyncio.Task) -> None:
        if task.cancelled():
            return
        exception = task.exception()  # marks it retrieved: callers that stopped waiting must not cause a warning
        if getattr(exception, "key_refused", False):  # not a proxy page, which may pass at the next call
            self._refused_until = self._time() + self.REFUSED_LOGIN_HOLD_SECONDS
            _logger.error(f"GRVT refused the API key ({exception}); private requests fail until it is accepted, "
                          f"next login attempt in {self.REFUSED_LOGIN_HOLD_SECONDS:.0f} s.")
        if exception is not None and self._session is not None:
            # a background refresh failed; the current cookie is still used until it expires
            _logger.warning(f"GRVT session refresh failed: {exception}")

    async def _login_with_retries(self) -> GrvtSession:
        if not self._api_key:
            raise GrvtAuthError("GRVT API key is not configured; private requests are unavailable.", retryable=False)
        backoff = Backoff(initial=self.BACKOFF_INITIAL_SECONDS, maximum=self.BACKOFF_MAX_SECONDS)
        while True:
            try:
                return await self._login()
            except Exception as exception:
                attempt = backoff.attempts + 1
                if not getattr(exception, "retryable", True) or attempt >= self.MAX_LOGIN_ATTEMPTS:
                    if isinstance(exception, GrvtAuthError):
                        raise
                    raise GrvtAuthError(
                        f"GRVT login failed after {attempt} attempt(s): {exception.__class__.__name__}"
                        f"{': ' + str(exception) if str(exception) else ''}") from None
                delay = backoff.next_delay()
                _logger.warning(f"GRVT login attempt {attempt} failed ({exception}); retrying in {delay:.2f} s.")
                await self._sleep(delay)

    async def _login(self) -> GrvtSession:
        rest_assistant = await self._api_factory.get_rest_assistant()
        response = await rest_assistant.execute_request_and_get_response(
            url=web_utils.login_url(self._domain),
            throttler_limit_id=CONSTANTS.LOGIN_PATH_URL,
            data={"api_key": self._api_key},
            method=RESTMethod.POST,
            headers={"Cookie": CONSTANTS.LOGIN_REMEMBER_ME_COOKIE},
            return_err=True,
            timeout=self.LOGIN_TIMEOUT_SECONDS,
        )
        refusal = error_from_response(response.status, await response.text())  # also an envelope in a 200 answer
        if refusal is not None:
            status = refusal.http_status or response.status
            detail = f"HTTP {status}" + (f", error {refusal.code}" if refusal.code is not None else "")
            retryable = status >= 500 or status in (408, CONSTANTS.HTTP_TOO_MANY_REQUESTS)
            hint = "" if retryable else " (check the API key and that this IP is whitelisted)"
            raise GrvtAuthError(f"GRVT login refused: {detail}{hint}", retryable=retryable,
                                key_refused=not retryable and refusal.code is not None)

        now = self._time()
        headers = cast(CIMultiDictProxy, response.headers)  # aiohttp's: one Set-Cookie header per cookie
        session = parse_session_cookie(headers.getall("Set-Cookie", []), now, self.DEFAULT_SESSION_TTL_SECONDS)
        if session is None:
            raise GrvtAuthError("GRVT login answer carries no session cookie.")
        account_id = (headers.get(CONSTANTS.ACCOUNT_ID_HEADER) or "").strip() or None
        if not account_id:
            _logger.warning("GRVT login answer carries no X-Grvt-Account-Id header.")
        if session.expires_at <= now + self.HARD_EXPIRY_MARGIN_SECONDS:
            raise GrvtAuthError("GRVT login returned an already expired session cookie.")
        self._session = replace(session, account_id=account_id)
        _logger.info(f"GRVT session established, valid for {session.expires_at - now:.0f} s.")
        return self._session

    async def _sleep(self, delay: float) -> None:
        await asyncio.sleep(delay)
