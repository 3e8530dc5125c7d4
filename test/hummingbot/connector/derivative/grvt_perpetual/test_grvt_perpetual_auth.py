import asyncio
import calendar
import dataclasses
import json
import logging
import os
import time
from typing import List
from unittest.mock import AsyncMock, patch

import aiohttp
from aioresponses import aioresponses
from aioresponses.core import CallbackResult
from multidict import CIMultiDict

from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_web_utils as web_utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_auth import (
    GrvtAuthError,
    GrvtPerpetualAuth,
    parse_session_cookie,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import (
    GrvtPerpetualAPIError,
    error_from_response,
)
from hummingbot.core.api_throttler.async_throttler import AsyncThrottler
from hummingbot.core.web_assistant.connections.data_types import RESTMethod, RESTRequest, WSJSONRequest
from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase

API_KEY = "test-api-key-0123456789abcdef"  # noqa: mock
ACCOUNT_HEADER = "0x5b1cba7e2bd9e8f9e2b4c1d0a0f0e0d0c0b0a090"  # noqa: mock
SUB_ACCOUNT_ID = "8289849667772468"
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
TTL = 900.0  # lifetime of a cookie without a readable expiry
DOMAIN = CONSTANTS.TESTNET_DOMAIN
CLEAN_ENV = {key: value for key, value in os.environ.items() if not key.startswith("GRVT_PERPETUAL")}


def http_date(epoch_seconds: float) -> str:
    """RFC 1123 date in GMT, built without the locale-dependent strftime names."""
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    t = time.gmtime(epoch_seconds)
    return f"{days[t.tm_wday]}, {t.tm_mday:02d} {months[t.tm_mon - 1]} {t.tm_year} " \
           f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"


def expires(value: str) -> float:
    return parse_session_cookie([f"gravity=tok; Path=/; Expires={value}; HttpOnly"], NOW, TTL).expires_at


class GrvtCookieParsingTests(IsolatedAsyncioWrapperTestCase):

    def test_expires_is_read_as_utc_whatever_the_local_time_zone(self):
        expected = calendar.timegm((2026, 10, 21, 7, 28, 0))
        original_tz = os.environ.get("TZ")
        try:
            for zone in ("America/New_York", "Asia/Tokyo", "Pacific/Chatham", "UTC"):
                os.environ["TZ"] = zone
                time.tzset()
                self.assertEqual(expected, expires("Wed, 21 Oct 2026 07:28:00 GMT"), zone)
                self.assertEqual(expected, expires("Wed, 21-Oct-2026 07:28:00 GMT"), zone)
                self.assertEqual(expected, expires("Wed, 21 Oct 2026 07:28:00"), zone)
                self.assertEqual(expected, expires("Wed, 21 Oct 2026 08:28:00 +0100"), zone)
        finally:
            if original_tz is None:
                os.environ.pop("TZ", None)
            else:
                os.environ["TZ"] = original_tz
            time.tzset()

    def test_invalid_expires(self):
        for value in ("tomorrow", "", "21/10/2026"):
            self.assertEqual(NOW + TTL, parse_session_cookie([f"gravity=tok; Expires={value}"], now=NOW,
                                                             default_ttl=TTL).expires_at)

    def test_session_cookie_attributes(self):
        headers = [
            "rm=true; Path=/",
            f"gravity=abc.def; Path=/; Expires={http_date(NOW + 3600)}; HttpOnly; Secure; SameSite=Lax",
        ]
        cookie = parse_session_cookie(headers, now=NOW, default_ttl=TTL)
        self.assertEqual("abc.def", cookie.cookie)
        self.assertEqual(NOW + 3600, cookie.expires_at)
        self.assertNotIn("abc.def", repr(cookie))

    def test_max_age_wins_over_expires(self):
        header = f"gravity=tok; expires={http_date(NOW + 3600)}; Max-Age=600"
        self.assertEqual(NOW + 600, parse_session_cookie([header], now=NOW, default_ttl=TTL).expires_at)

    def test_missing_or_broken_expiry_gives_the_default_lifetime(self):
        self.assertEqual(NOW + TTL, parse_session_cookie(["gravity=tok; Path=/"], now=NOW, default_ttl=TTL).expires_at)
        self.assertEqual(NOW + TTL,
                         parse_session_cookie(["gravity=tok; Expires=someday"], now=NOW, default_ttl=TTL).expires_at)
        self.assertEqual(NOW + TTL,
                         parse_session_cookie(["gravity=tok; Max-Age=soon"], now=NOW, default_ttl=TTL).expires_at)
        self.assertEqual("tok", parse_session_cookie(['gravity="tok"'], now=NOW, default_ttl=TTL).cookie)

    def test_no_session_cookie(self):
        self.assertIsNone(parse_session_cookie([], now=NOW, default_ttl=TTL))
        self.assertIsNone(parse_session_cookie(["other=1", "gravity=; Path=/", "gravity"], now=NOW, default_ttl=TTL))


class GrvtPerpetualAuthTests(IsolatedAsyncioWrapperTestCase):
    level = 0

    def setUp(self):
        super().setUp()
        env_patcher = patch.dict(os.environ, CLEAN_ENV, clear=True)
        env_patcher.start()
        self.addCleanup(env_patcher.stop)
        self.now = NOW
        self.log_records: List[logging.LogRecord] = []
        self.throttler = AsyncThrottler(CONSTANTS.RATE_LIMITS)
        self.auth = self.make_auth()
        self.login_url = web_utils.login_url(DOMAIN)
        self.private_url = web_utils.private_rest_url(CONSTANTS.OPEN_ORDERS_PATH_URL, domain=DOMAIN)
        logger = logging.getLogger(GrvtPerpetualAuth.__module__)
        logger.setLevel(1)
        logger.addHandler(self)
        self.addCleanup(logger.removeHandler, self)

    async def asyncTearDown(self):
        if self.auth._login_task is not None:
            self.auth._login_task.cancel()
        await super().asyncTearDown()

    def handle(self, record):
        self.log_records.append(record)

    def make_auth(self, api_key: str = API_KEY, **settings) -> GrvtPerpetualAuth:
        auth = GrvtPerpetualAuth(api_key=api_key, trading_account_id=SUB_ACCOUNT_ID, domain=DOMAIN,
                                 throttler=self.throttler, time_provider=lambda: self.now)
        auth._sleep = AsyncMock()
        for name, value in settings.items():  # the class-level tunables, set on this instance only
            self.assertTrue(hasattr(GrvtPerpetualAuth, name), name)
            setattr(auth, name, value)
        return auth

    def login_headers(self, cookie: str = "cookie-1", ttl: float = 3600, account_id: str = ACCOUNT_HEADER,
                      expires: bool = True) -> CIMultiDict:
        headers = CIMultiDict()
        headers.add("Set-Cookie", "rm=true; Path=/")
        gravity = f"gravity={cookie}; Path=/; HttpOnly"
        if expires:
            gravity += f"; Expires={http_date(self.now + ttl)}"
        headers.add("Set-Cookie", gravity)
        if account_id:
            headers.add(CONSTANTS.ACCOUNT_ID_HEADER, account_id)
        return headers

    def mock_login(self, mock_api, cookie: str = "cookie-1", status: int = 200, repeat: bool = False, **kwargs):
        failure = {"code": 1000, "message": "unauthenticated", "status": status}
        body = {"status": "success"} if status == 200 else failure
        mock_api.post(self.login_url, status=status, body=json.dumps(body),
                      headers=self.login_headers(cookie, **kwargs) if status == 200 else None, repeat=repeat)

    def login_calls(self, mock_api) -> list:
        return [call for (method, url), calls in mock_api.requests.items()
                if method == "POST" and str(url) == self.login_url for call in calls]

    def private_calls(self, mock_api) -> list:
        return [call for (method, url), calls in mock_api.requests.items()
                if method == "POST" and str(url) == self.private_url for call in calls]

    async def private_request(self):
        """A private call the way the connector makes one: GRVT errors raise GrvtPerpetualAPIError."""
        factory = web_utils.build_api_factory_without_time_synchronizer_pre_processor(self.throttler, auth=self.auth)
        rest_assistant = await factory.get_rest_assistant()
        response = await rest_assistant.call(RESTRequest(
            method=RESTMethod.POST, url=self.private_url, data=json.dumps({"sub_account_id": SUB_ACCOUNT_ID}),
            is_auth_required=True, throttler_limit_id=CONSTANTS.OPEN_ORDERS_PATH_URL))
        text = await response.text()
        error = error_from_response(response.status, text, path=CONSTANTS.OPEN_ORDERS_PATH_URL)
        if error is not None:
            raise error
        return json.loads(text)

    def all_log_text(self) -> str:
        return "\n".join(record.getMessage() for record in self.log_records)

    # ---------------------------------------------------------------------------------------------------------
    @aioresponses()
    async def test_login_sends_api_key_and_parses_session(self, mock_api):
        self.mock_login(mock_api, cookie="cookie-1", ttl=7200)
        session = await self.auth.ensure_session()

        self.assertEqual("cookie-1", session.cookie)
        self.assertEqual(ACCOUNT_HEADER, session.account_id)
        self.assertEqual(NOW + 7200, session.expires_at)
        (call,) = self.login_calls(mock_api)
        self.assertEqual({"api_key": API_KEY}, json.loads(call.kwargs["data"]))
        self.assertEqual("rm=true", call.kwargs["headers"]["Cookie"])
        self.assertEqual("application/json", call.kwargs["headers"]["Content-Type"])
        throttled = [log.rate_limit.limit_id for log in self.throttler._task_logs]
        self.assertIn(CONSTANTS.LOGIN_PATH_URL, throttled)
        self.assertIn(CONSTANTS.AUTH_POOL, throttled)

    @aioresponses()
    async def test_rest_authenticate_adds_cookie_and_account_header(self, mock_api):
        self.mock_login(mock_api)
        request = RESTRequest(method=RESTMethod.POST, url=self.private_url,
                              headers={"Content-Type": "application/json"}, is_auth_required=True)
        authenticated = await self.auth.rest_authenticate(request)
        self.assertEqual("gravity=cookie-1", authenticated.headers["Cookie"])
        self.assertEqual(ACCOUNT_HEADER, authenticated.headers[CONSTANTS.ACCOUNT_ID_HEADER])
        self.assertEqual("application/json", authenticated.headers["Content-Type"])

        await self.auth.rest_authenticate(RESTRequest(method=RESTMethod.POST, url=self.private_url,
                                                      is_auth_required=True))
        self.assertEqual(1, len(self.login_calls(mock_api)))

    async def test_public_requests_are_left_alone_without_login(self):
        request = RESTRequest(method=RESTMethod.POST, url="https://x/full/v1/book", headers={"A": "1"})
        self.assertIs(request, await self.auth.rest_authenticate(request))
        self.assertEqual({"A": "1"}, request.headers)
        self.assertIsNone(self.auth._login_task)

    @aioresponses()
    async def test_ws_headers(self, mock_api):
        self.mock_login(mock_api, cookie="ws-cookie")
        headers = (await self.auth.ensure_session()).headers
        self.assertEqual({"Cookie": "gravity=ws-cookie", CONSTANTS.ACCOUNT_ID_HEADER: ACCOUNT_HEADER}, headers)
        ws_request = WSJSONRequest(payload={"method": "subscribe"})
        self.assertIs(ws_request, await self.auth.ws_authenticate(ws_request))

    @aioresponses()
    async def test_missing_expiry_assumes_configured_ttl(self, mock_api):
        self.auth = self.make_auth(DEFAULT_SESSION_TTL_SECONDS=900)
        self.mock_login(mock_api, expires=False)
        session = await self.auth.ensure_session()
        self.assertEqual(NOW + 900, session.expires_at)

    @aioresponses()
    async def test_missing_account_header_is_tolerated(self, mock_api):
        self.mock_login(mock_api, account_id="")
        headers = (await self.auth.ensure_session()).headers
        self.assertEqual({"Cookie": "gravity=cookie-1"}, headers)
        self.assertIn("X-Grvt-Account-Id", self.all_log_text())

    @aioresponses()
    async def test_session_is_reused_until_the_refresh_margin(self, mock_api):
        self.mock_login(mock_api, ttl=3600)
        first = await self.auth.ensure_session()
        self.now += 3600 - GrvtPerpetualAuth.REFRESH_MARGIN_SECONDS - 1
        self.assertIs(first, await self.auth.ensure_session())
        self.assertEqual(1, len(self.login_calls(mock_api)))

    @aioresponses()
    async def test_refresh_ahead_of_expiry_does_not_block_requests(self, mock_api):
        self.mock_login(mock_api, cookie="old", ttl=3600)
        old = await self.auth.ensure_session()
        self.now += 3600 - 30  # inside the 60 s margin, still valid
        self.mock_login(mock_api, cookie="new", ttl=3600)

        self.assertIs(old, await self.auth.ensure_session())  # answered with the current cookie at once
        await self.auth._login_task  # the background refresh
        self.assertEqual("new", (await self.auth.ensure_session()).cookie)
        self.assertEqual(2, len(self.login_calls(mock_api)))

    @aioresponses()
    async def test_expired_session_waits_for_a_new_login(self, mock_api):
        self.mock_login(mock_api, cookie="old", ttl=600)
        await self.auth.ensure_session()
        self.now += 601
        self.mock_login(mock_api, cookie="new", ttl=600)
        self.assertEqual("new", (await self.auth.ensure_session()).cookie)

    @aioresponses()
    async def test_concurrent_requests_share_one_login(self, mock_api):
        async def slow_login(url, **kwargs):
            await asyncio.sleep(0.05)
            return CallbackResult(status=200, body=json.dumps({"status": "success"}),
                                  headers=self.login_headers("shared"))

        mock_api.post(self.login_url, callback=slow_login, repeat=True)
        sessions = await asyncio.gather(*(self.auth.ensure_session() for _ in range(20)))
        self.assertEqual({"shared"}, {session.cookie for session in sessions})
        self.assertEqual(1, len(self.login_calls(mock_api)))

    @aioresponses()
    async def test_cancelled_waiter_does_not_cancel_the_shared_login(self, mock_api):
        async def slow_login(url, **kwargs):
            await asyncio.sleep(0.05)
            return CallbackResult(status=200, body="{}", headers=self.login_headers("shared"))

        mock_api.post(self.login_url, callback=slow_login)
        impatient = asyncio.ensure_future(self.auth.ensure_session())
        patient = asyncio.ensure_future(self.auth.ensure_session())
        await asyncio.sleep(0.01)
        impatient.cancel()
        self.assertEqual("shared", (await patient).cookie)
        self.assertTrue(impatient.cancelled())

    @aioresponses()
    async def test_401_triggers_one_relogin_and_retry(self, mock_api):
        self.mock_login(mock_api, cookie="stale")
        self.mock_login(mock_api, cookie="fresh")
        mock_api.post(self.private_url, status=401,
                      body=json.dumps({"code": 1000, "message": "You need to authenticate", "status": 401}))
        mock_api.post(self.private_url, body=json.dumps({"result": []}))

        result = await self.auth.run_with_session_retry(self.private_request)

        self.assertEqual({"result": []}, result)
        calls = self.private_calls(mock_api)
        self.assertEqual(["gravity=stale", "gravity=fresh"], [call.kwargs["headers"]["Cookie"] for call in calls])
        self.assertEqual(2, len(self.login_calls(mock_api)))

    @aioresponses()
    async def test_second_401_is_raised(self, mock_api):
        self.mock_login(mock_api, repeat=True)
        mock_api.post(self.private_url, status=401, body=json.dumps({"code": 1000, "message": "x", "status": 401}),
                      repeat=True)
        with self.assertRaisesRegex(GrvtPerpetualAPIError, "error 1000 .*HTTP 401"):
            await self.auth.run_with_session_retry(self.private_request)
        self.assertEqual(2, len(self.private_calls(mock_api)))

    @aioresponses()
    async def test_other_errors_do_not_relogin(self, mock_api):
        self.mock_login(mock_api)
        not_found = {"code": 1004, "message": "Data Not Found", "status": 404}
        mock_api.post(self.private_url, status=404, body=json.dumps(not_found))
        with self.assertRaisesRegex(GrvtPerpetualAPIError, "404"):
            await self.auth.run_with_session_retry(self.private_request)
        self.assertEqual(1, len(self.login_calls(mock_api)))
        self.assertIsNotNone(self.auth._session)

    @aioresponses()
    async def test_concurrent_401s_of_one_stale_cookie_cause_one_relogin(self, mock_api):
        self.mock_login(mock_api, cookie="stale")
        await self.auth.ensure_session()
        self.mock_login(mock_api, cookie="fresh", repeat=True)

        async def private_call():
            headers = (await self.auth.ensure_session()).headers
            await asyncio.sleep(0)
            if headers["Cookie"] == "gravity=stale":
                raise GrvtPerpetualAPIError(1000, "unauthenticated", 401)
            return headers["Cookie"]

        results = await asyncio.gather(*(self.auth.run_with_session_retry(private_call) for _ in range(10)))
        self.assertEqual(["gravity=fresh"] * 10, results)
        self.assertEqual(2, len(self.login_calls(mock_api)))

    @aioresponses()
    async def test_login_retries_with_jittered_exponential_backoff(self, mock_api):
        self.auth = self.make_auth(BACKOFF_INITIAL_SECONDS=0.5, BACKOFF_MAX_SECONDS=1.5, MAX_LOGIN_ATTEMPTS=5)
        mock_api.post(self.login_url, status=500, body="oops")
        mock_api.post(self.login_url, status=429, body=json.dumps({"code": 1006, "message": "rate", "status": 429}))
        mock_api.post(self.login_url, exception=aiohttp.ClientConnectionError("connection reset"))
        mock_api.post(self.login_url, status=200, body="{}", headers={CONSTANTS.ACCOUNT_ID_HEADER: ACCOUNT_HEADER})
        self.mock_login(mock_api, cookie="finally")

        session = await self.auth.ensure_session()

        self.assertEqual("finally", session.cookie)
        delays = [call.args[0] for call in self.auth._sleep.await_args_list]
        for delay, cap in zip(delays, (0.5, 1.0, 1.5, 1.5), strict=True):  # full jitter: within [cap / 2, cap]
            self.assertTrue(cap / 2 <= delay <= cap, (delay, cap))
        self.assertEqual(5, len(self.login_calls(mock_api)))

    @aioresponses()
    async def test_login_gives_up_after_max_attempts(self, mock_api):
        self.auth = self.make_auth(MAX_LOGIN_ATTEMPTS=3)
        mock_api.post(self.login_url, status=503, body="<html>down</html>", repeat=True)
        with self.assertRaisesRegex(GrvtAuthError, "HTTP 503"):
            await self.auth.ensure_session()
        self.assertEqual(3, len(self.login_calls(mock_api)))
        self.assertEqual(2, self.auth._sleep.await_count)
        self.assertIsNone(self.auth._session)

    @aioresponses()
    async def test_network_failures_give_a_clear_error(self, mock_api):
        self.auth = self.make_auth(MAX_LOGIN_ATTEMPTS=2)
        mock_api.post(self.login_url, exception=asyncio.TimeoutError(), repeat=True)
        with self.assertRaisesRegex(GrvtAuthError, "after 2 attempt\\(s\\): TimeoutError"):
            await self.auth.ensure_session()

    @aioresponses()
    async def test_rejected_api_key_is_not_retried(self, mock_api):
        self.mock_login(mock_api, status=401)
        with self.assertRaises(GrvtAuthError) as context:
            await self.auth.ensure_session()
        self.assertFalse(context.exception.retryable)
        self.assertIn("HTTP 401, error 1000", str(context.exception))
        self.assertNotIn(API_KEY, str(context.exception))
        self.assertEqual(0, self.auth._sleep.await_count)

    @aioresponses()
    async def test_a_refused_api_key_is_reported_once_and_not_sent_again_for_a_while(self, mock_api):
        self.mock_login(mock_api, status=401)
        self.mock_login(mock_api, status=401)
        for _ in range(5):  # every private loop of the connector asks for a session, every few seconds
            with self.assertRaisesRegex(GrvtAuthError, "GRVT login refused: HTTP 401, error 1000"):
                await self.auth.ensure_session()
        self.assertEqual(1, len(self.login_calls(mock_api)))
        errors = [record.getMessage() for record in self.log_records if record.levelno >= logging.ERROR]
        self.assertEqual(1, len(errors))
        self.assertIn("GRVT refused the API key", errors[0])
        self.assertNotIn(API_KEY, self.all_log_text())

        self.now += GrvtPerpetualAuth.REFUSED_LOGIN_HOLD_SECONDS + 1  # then GRVT is asked again (key re-enabled?)
        with self.assertRaises(GrvtAuthError):
            await self.auth.ensure_session()
        self.assertEqual(2, len(self.login_calls(mock_api)))
        self.mock_login(mock_api, cookie="after-refusal")
        self.now += GrvtPerpetualAuth.REFUSED_LOGIN_HOLD_SECONDS + 1
        self.assertEqual("after-refusal", (await self.auth.ensure_session()).cookie)

    @aioresponses()
    async def test_a_proxy_page_refusing_the_login_is_not_held_as_a_refused_key(self, mock_api):
        mock_api.post(self.login_url, status=403, body="<html><body>403 Forbidden</body></html>")
        with self.assertRaisesRegex(GrvtAuthError, "HTTP 403"):  # not GRVT's answer: may pass at the next call
            await self.auth.ensure_session()
        self.mock_login(mock_api, cookie="after-proxy")
        self.assertEqual("after-proxy", (await self.auth.ensure_session()).cookie)
        self.assertFalse([record for record in self.log_records if record.levelno >= logging.ERROR])

    @aioresponses()
    async def test_a_refusal_in_a_success_status_body_is_a_refusal_not_a_missing_cookie(self, mock_api):
        refusal = {"code": 1000, "message": "unauthenticated", "status": 401}  # GRVT's envelope, HTTP status 200
        mock_api.post(self.login_url, status=200, body=json.dumps(refusal), repeat=True)
        with self.assertRaises(GrvtAuthError) as context:
            await self.auth.ensure_session()
        self.assertFalse(context.exception.retryable)
        self.assertIn("GRVT login refused: HTTP 401, error 1000", str(context.exception))
        self.assertEqual(1, len(self.login_calls(mock_api)))

    @aioresponses()
    async def test_expired_cookie_from_login_is_an_error(self, mock_api):
        self.auth = self.make_auth(MAX_LOGIN_ATTEMPTS=1)
        self.mock_login(mock_api, ttl=-10)
        with self.assertRaisesRegex(GrvtAuthError, "already expired"):
            await self.auth.ensure_session()

    async def test_empty_keys_are_tolerated_until_a_private_call(self):
        for empty in ("", None):
            auth = GrvtPerpetualAuth(api_key=empty, trading_account_id=empty)
            self.assertEqual("", auth.trading_account_id)
            self.assertIn("account=none", repr(auth))
            public = RESTRequest(method=RESTMethod.POST, url="https://x")
            self.assertIs(public, await auth.rest_authenticate(public))
            with self.assertRaisesRegex(GrvtAuthError, "API key is not configured"):
                await auth.rest_authenticate(RESTRequest(method=RESTMethod.POST, url="https://x",
                                                         is_auth_required=True))

    @aioresponses()
    async def test_background_refresh_failure_keeps_the_current_cookie(self, mock_api):
        self.auth = self.make_auth(MAX_LOGIN_ATTEMPTS=1)
        self.mock_login(mock_api, cookie="current", ttl=3600)
        current = await self.auth.ensure_session()
        self.now += 3600 - 10
        mock_api.post(self.login_url, status=500, body="down")

        self.assertIs(current, await self.auth.ensure_session())
        await asyncio.gather(self.auth._login_task, return_exceptions=True)
        await asyncio.sleep(0)
        self.assertIs(current, self.auth._session)
        self.assertIn("GRVT session refresh failed", self.all_log_text())

        self.now += 20  # now really expired: the next call must log in and fails loudly
        mock_api.post(self.login_url, status=500, body="down")
        with self.assertRaises(GrvtAuthError):
            await self.auth.ensure_session()

    @aioresponses()
    async def test_invalidate_only_the_stale_session(self, mock_api):
        self.mock_login(mock_api, cookie="first")
        session = await self.auth.ensure_session()
        self.assertFalse(self.auth.invalidate_session(dataclasses.replace(session)))  # an equal but other session
        self.assertIs(session, self.auth._session)
        self.assertTrue(self.auth.invalidate_session(session))
        self.assertIsNone(self.auth._session)
        self.assertFalse(self.auth.invalidate_session(session))

        self.mock_login(mock_api, cookie="second")
        renewed = await self.auth.ensure_session()
        self.assertFalse(self.auth.invalidate_session(session))
        self.assertIs(renewed, self.auth._session)
        self.assertTrue(self.auth.invalidate_session(renewed))

    async def test_only_an_expired_session_is_retried_with_a_new_login(self):
        self.assertTrue(GrvtPerpetualAPIError(None, "N/A", 401).is_session_expired)
        self.assertTrue(GrvtPerpetualAPIError(1000, "x", 401).is_session_expired)
        self.assertFalse(GrvtPerpetualAPIError(1008, "IP not whitelisted", 401).is_session_expired)
        self.assertFalse(GrvtPerpetualAPIError(2064, "tick", 400).is_session_expired)
        # a refused login is not cured by logging in again, and untyped errors never cause a re-login
        for error in (asyncio.TimeoutError(), GrvtAuthError("GRVT login refused: HTTP 401"),
                      IOError("... HTTP status is 401. Error: N/A")):
            calls = []

            async def failing_request():
                calls.append(error)
                raise error

            with self.assertRaises(type(error)):
                await self.auth.run_with_session_retry(failing_request)
            self.assertEqual([error], calls)

    async def test_a_cancelled_login_cancels_its_waiters_quietly(self):
        waiter = asyncio.ensure_future(self.auth.ensure_session())
        while self.auth._login_task is None:
            await asyncio.sleep(0)
        self.auth._login_task.cancel()  # as when the event loop shuts down
        with self.assertRaises(asyncio.CancelledError):
            await waiter
        self.assertEqual("", self.all_log_text())

    @aioresponses()
    async def test_login_url_follows_environment_overrides(self, mock_api):
        with patch.dict(os.environ, {"GRVT_PERPETUAL_EDGE_URL": "http://127.0.0.1:18081"}):
            mock_api.post("http://127.0.0.1:18081/auth/api_key/login", body="{}", headers=self.login_headers("local"))
            self.assertEqual("local", (await self.auth.ensure_session()).cookie)

    @aioresponses()
    async def test_secrets_never_reach_logs_reprs_or_errors(self, mock_api):
        secret_cookie = "s3cr3t-cookie-value-xyz"
        self.auth = self.make_auth(MAX_LOGIN_ATTEMPTS=2)
        mock_api.post(self.login_url, status=500, body="server error")
        self.mock_login(mock_api, cookie=secret_cookie)
        session = await self.auth.ensure_session()
        self.auth.invalidate_session(session)
        mock_api.post(self.login_url, status=403, body=json.dumps({"code": 1001, "message": "no", "status": 403}))
        with self.assertRaises(GrvtAuthError) as context:
            await self.auth.ensure_session()

        texts = [self.all_log_text(), repr(self.auth), str(self.auth), repr(session), str(context.exception)]
        for text in texts:
            self.assertNotIn(API_KEY, text)
            self.assertNotIn(secret_cookie, text)
        self.assertIn("...2468", repr(self.auth))
        self.assertTrue(any("retrying" in record.getMessage() for record in self.log_records))

    async def test_default_domain_is_mainnet(self):
        auth = GrvtPerpetualAuth(api_key=API_KEY, trading_account_id=SUB_ACCOUNT_ID)
        self.assertIn(f"domain={CONSTANTS.DEFAULT_DOMAIN},", repr(auth))
        await auth._sleep(0)
