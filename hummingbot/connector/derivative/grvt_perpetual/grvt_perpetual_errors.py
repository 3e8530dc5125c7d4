"""GRVT error envelopes as exceptions with a clear, actionable message."""
from typing import Any, Mapping, Optional

import msgspec

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS

# The codes a user may meet (not those the connector rules out itself, like an over-long signature expiry or
# cancel-on-disconnect countdown); the exchange's own message is always kept too.
ERROR_EXPLANATIONS = {
    1000: "session cookie missing or expired (the connector logs in again)",
    1001: "the API key is not allowed to use this endpoint",
    1002: "GRVT internal error, retry later",
    1003: "GRVT could not parse the request",
    1004: "no such order or record",
    1006: "rate limit of the account tier exceeded",
    1008: "this IP address is not whitelisted for the API key",
    1009: "endpoint temporarily disabled by GRVT",
    1012: "order signed for the wrong chain id (check the domain)",
    1400: "the signing key has no trade permission on this sub-account",
    2000: "the private key does not belong to this API key",
    2001: "the order signature expired before GRVT received it (check the clock)",
    2002: "the signature does not match the order payload",
    2003: "the trading account id does not match the API key's sub-account",
    2012: "client order id already used by an active order",
    2060: "instrument is not active",
    2061: "instrument is not supported",
    2062: "order size below the instrument's min_size",
    2064: "price is not a multiple of the tick size",
    2065: "size is not a multiple of min_size",
    2066: "order notional below the instrument's minimum",
    2067: "reduce-only order notional below the instrument's minimum",
    2080: "insufficient margin",
    2081: "fill would exceed the maximum position size",
    2090: "too many open orders",
    2100: "invalid leverage",
    2107: "leverage below the instrument minimum",
    2108: "leverage above the instrument maximum",
    2400: "reduce-only (close) order but there is no position to reduce",
    2401: "reduce-only order would increase the position",
    2402: "reduce-only order larger than the position",
    3000: "instrument is invalid",
}

_MAX_RAW_BODY_IN_MESSAGE = 300


class _ErrorEnvelope(msgspec.Struct):  # REST: {"code", "message", "status" (the HTTP status)}; JSON-RPC: no status
    code: Optional[int] = None
    message: str = ""
    status: Optional[int] = None


class GrvtPerpetualAPIError(IOError):
    """An IOError: Hummingbot's request helpers and order-failure paths read it as "the exchange refused"."""

    def __init__(self, code: Optional[int], message: str, http_status: Optional[int] = None, path: str = "",
                 hint: Optional[str] = None):
        self.code = code
        self.exchange_message = message
        self.http_status = http_status
        self.path = path
        where = (f" on {path}" if path else "") + (f", HTTP {http_status}" if http_status is not None else "")
        if code is None:
            super().__init__(f"GRVT request failed{where}: {message}")
        else:
            explanation = hint or ERROR_EXPLANATIONS.get(code)
            super().__init__(f"GRVT error {code}{where}: {message}" + (f" ({explanation})" if explanation else ""))

    def naming_trading_account(self, trading_account_id: str) -> "GrvtPerpetualAPIError":
        """
        The same error, saying which key is wrong: GRVT answers 1001 to a private request for a sub-account the
        API key's session does not cover, which nearly always means a mistyped trading account id.
        """
        if self.code != CONSTANTS.ERROR_UNAUTHORIZED or not trading_account_id:
            return self
        hint = (f"the API key cannot access trading account id {trading_account_id}: check that this is the "
                f"sub-account the API key was created for")
        return GrvtPerpetualAPIError(self.code, self.exchange_message, self.http_status, self.path, hint=hint)

    @property
    def is_not_found(self) -> bool:
        return self.code == CONSTANTS.ERROR_NOT_FOUND

    @property
    def is_session_expired(self) -> bool:
        # 1008 (IP not whitelisted) is also HTTP 401 but logging in again cannot fix it.
        if self.code is not None:
            return self.code == CONSTANTS.ERROR_UNAUTHENTICATED
        return self.http_status == CONSTANTS.HTTP_UNAUTHORIZED

    @property
    def is_rate_limited(self) -> bool:
        # 2090 (too many open orders) is also HTTP 429 but waiting does not lift it: the code decides when given.
        if self.code is not None:
            return self.code == CONSTANTS.ERROR_RATE_LIMITED
        return self.http_status == CONSTANTS.HTTP_TOO_MANY_REQUESTS

    @property
    def is_outcome_unknown(self) -> bool:
        if self.code is not None:
            return self.code in (CONSTANTS.ERROR_INTERNAL, CONSTANTS.ERROR_UNKNOWN)
        return self.http_status is None or self.http_status >= 500 or self.http_status < 400

    @property
    def is_retryable(self) -> bool:
        if self.code is not None:
            return self.code in CONSTANTS.RETRYABLE_ERROR_CODES
        return self.is_outcome_unknown or self.is_rate_limited

    @classmethod
    def from_error_object(cls, error: Mapping[str, Any], path: str = "") -> "GrvtPerpetualAPIError":
        try:
            envelope = msgspec.convert(error, _ErrorEnvelope, strict=False)
        except msgspec.ValidationError:
            envelope = _ErrorEnvelope(message=excerpt(str(error.get("message") or "")))
        return _from_envelope(envelope, None, path)


class GrvtUnknownTradingPair(KeyError):
    """A trading pair GRVT lists no active perpetual for: a KeyError like the symbol map's, worded for the user."""

    def __str__(self) -> str:
        return str(self.args[0])


class GrvtRpcNotSent(ConnectionError):
    """A request was not sent (the order socket is down): nothing reached GRVT."""


class GrvtRpcOutcomeUnknown(ConnectionError):
    """A request was sent but its reply never came: GRVT may have executed it."""


class GrvtOrderRejectedError(IOError):
    """GRVT accepted the request but answered with an order in state REJECTED."""

    def __init__(self, reject_reason: str):
        super().__init__(f"GRVT rejected the order ({reject_reason})")


def error_from_response(http_status: int, body: str, path: str = "") -> Optional[GrvtPerpetualAPIError]:
    """
    The error a REST answer carries, or None when it may be a success (its own type decides then). GRVT flags errors
    with a non-zero `code` (the SDK's rule); an HTTP status >= 400 without an envelope (proxy page, empty body) is an
    error as well.
    """
    if http_status < 400 and '"code"' not in body[:200]:  # no error envelope: skip decoding
        return None
    try:
        envelope = msgspec.json.decode(body, type=_ErrorEnvelope, strict=False) if body else None
    except msgspec.DecodeError:  # msgspec.ValidationError is a DecodeError
        envelope = None
    if envelope is not None and envelope.code:
        return _from_envelope(envelope, http_status, path)
    if http_status >= 400:
        message = excerpt(body) or "empty response body"
        if "<html" in message.lower():
            message = "HTML error page"
        return GrvtPerpetualAPIError(code=None, message=message, http_status=http_status, path=path)
    return None


def unreadable_answer(http_status: int, body: str, path: str, reason: str) -> GrvtPerpetualAPIError:
    """A success status whose body is not the expected GRVT answer (`{}`, a proxy page...): outcome unknown."""
    message = f"unexpected answer {excerpt(body)!r} ({reason})"
    return GrvtPerpetualAPIError(code=None, message=message, http_status=http_status, path=path)


def _from_envelope(envelope: _ErrorEnvelope, http_status: Optional[int], path: str) -> GrvtPerpetualAPIError:
    return GrvtPerpetualAPIError(code=envelope.code or None, message=envelope.message or "no message",
                                 http_status=envelope.status or http_status, path=path)


def excerpt(text: str) -> str:
    """The text, cut to a length a log line or an error message can carry."""
    return text if len(text) <= _MAX_RAW_BODY_IN_MESSAGE else text[:_MAX_RAW_BODY_IN_MESSAGE] + "..."
