"""
URLs, web-assistant factory, throttler and small conversions for the GRVT perpetual connector.

Every URL helper reads the environment overrides at call time, so pointing the connector at a local GRVT sandbox
needs no code edit: GRVT_PERPETUAL_BASE_URL=http://127.0.0.1:PORT moves all five gateways (sockets get the ws(s)
scheme and /ws/full), the finer GRVT_PERPETUAL_{EDGE,TRADES,MARKET_DATA,TRADES_WS,MARKET_DATA_WS}_URL move one,
GRVT_PERPETUAL_CHAIN_ID changes the EIP-712 chain id. <DOMAIN>_* variants (GRVT_PERPETUAL_TESTNET_BASE_URL ...)
apply to one domain only and win over the generic names.
"""
import json
import logging
import os
import re
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, List, Mapping, Optional, Union
from urllib.parse import urlsplit, urlunsplit

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS
from hummingbot.connector.time_synchronizer import TimeSynchronizer
from hummingbot.connector.utils import TimeSynchronizerRESTPreProcessor
from hummingbot.core.api_throttler.async_throttler import AsyncThrottler
from hummingbot.core.api_throttler.async_throttler_base import AsyncThrottlerBase
from hummingbot.core.api_throttler.data_types import RateLimit
from hummingbot.core.web_assistant.auth import AuthBase
from hummingbot.core.web_assistant.connections.data_types import RESTMethod, RESTRequest
from hummingbot.core.web_assistant.rest_pre_processors import RESTPreProcessorBase
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory

_logger = logging.getLogger(__name__)

PERPETUAL_SUFFIX = "_Perp"


# ------------------------------------------------------------------------------------------------------------------
# Endpoints
# ------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GrvtEndpoints:
    __slots__ = ("edge", "trades", "market_data", "trades_ws", "market_data_ws", "chain_id")

    edge: str
    trades: str
    market_data: str
    trades_ws: str
    market_data_ws: str
    chain_id: int


def _env(domain: str, name: str) -> Optional[str]:
    value = os.environ.get(f"{domain.upper()}_{name}")
    if not value:
        value = os.environ.get(f"{CONSTANTS.ENV_PREFIX}_{name}")
    return value.strip() if value else None


def _check_domain(domain: str):
    if domain not in CONSTANTS.REST_BASE_URLS:
        raise ValueError(f"Unknown GRVT domain '{domain}'. Expected one of {', '.join(CONSTANTS.DOMAINS)}.")


def _rest_base(url: str) -> str:
    return url.rstrip("/")


def _ws_url(url: str) -> str:
    """An http(s) or ws(s) URL to a socket URL: ws(s) scheme, /ws/full appended when the URL has no path."""
    parts = urlsplit(url.strip())
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss"):
        raise ValueError(f"GRVT websocket URL must use http(s) or ws(s), got '{url}'.")
    path = parts.path.rstrip("/")
    if not path:
        path = CONSTANTS.WS_PATH
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


def _ws_url_under_base(base_url: str) -> str:
    parts = urlsplit(base_url.strip())
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + CONSTANTS.WS_PATH, "", ""))


def chain_id(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> int:
    _check_domain(domain)
    override = _env(domain, CONSTANTS.ENV_CHAIN_ID)
    if override is None:
        return CONSTANTS.CHAIN_IDS[domain]
    try:
        return int(override)
    except ValueError:
        raise ValueError(f"{CONSTANTS.ENV_PREFIX}_{CONSTANTS.ENV_CHAIN_ID} must be an integer, got '{override}'.")


def endpoints(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> GrvtEndpoints:
    """The five gateway URLs and the chain id of a domain, environment overrides applied."""
    _check_domain(domain)
    rest = CONSTANTS.REST_BASE_URLS[domain]
    ws = CONSTANTS.WS_BASE_URLS[domain]
    edge, trades, market_data = rest[CONSTANTS.EDGE], rest[CONSTANTS.TRADES], rest[CONSTANTS.MARKET_DATA]
    trades_ws, market_data_ws = ws[CONSTANTS.TRADES_WS], ws[CONSTANTS.MARKET_DATA_WS]

    base = _env(domain, CONSTANTS.ENV_BASE_URL)
    if base:
        edge = trades = market_data = _rest_base(base)
        trades_ws = market_data_ws = _ws_url_under_base(base)

    edge = _rest_base(_env(domain, CONSTANTS.ENV_EDGE_URL) or edge)
    trades = _rest_base(_env(domain, CONSTANTS.ENV_TRADES_URL) or trades)
    market_data = _rest_base(_env(domain, CONSTANTS.ENV_MARKET_DATA_URL) or market_data)
    trades_ws_override = _env(domain, CONSTANTS.ENV_TRADES_WS_URL)
    market_data_ws_override = _env(domain, CONSTANTS.ENV_MARKET_DATA_WS_URL)
    trades_ws = _ws_url(trades_ws_override) if trades_ws_override else trades_ws
    market_data_ws = _ws_url(market_data_ws_override) if market_data_ws_override else market_data_ws
    return GrvtEndpoints(
        edge=edge,
        trades=trades,
        market_data=market_data,
        trades_ws=trades_ws,
        market_data_ws=market_data_ws,
        chain_id=chain_id(domain),
    )


def check_transport_security(domain: str = CONSTANTS.DEFAULT_DOMAIN):
    """
    Refuses to send mainnet credentials unencrypted: the login carries the API key, so pointing the mainnet domain at
    an http:// or ws:// URL needs GRVT_PERPETUAL_ALLOW_PLAINTEXT=true. Other domains (testnet, a local sandbox) may.
    """
    if domain != CONSTANTS.DEFAULT_DOMAIN:
        return
    urls = endpoints(domain)
    plain = [url for url in (urls.edge, urls.trades, urls.market_data, urls.trades_ws, urls.market_data_ws)
             if urlsplit(url).scheme in ("http", "ws")]
    allowed = (_env(domain, CONSTANTS.ENV_ALLOW_PLAINTEXT) or "").lower() in ("1", "true", "yes")
    if plain and not allowed:
        raise ValueError(
            f"Refusing to use the GRVT mainnet domain over unencrypted {plain[0]}: the login would send the API key "
            f"in clear text. Use https/wss, or set {CONSTANTS.ENV_PREFIX}_{CONSTANTS.ENV_ALLOW_PLAINTEXT}=true.")


def public_rest_url(path_url: str, domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    """Market-data gateway URL (public routes)."""
    return f"{endpoints(domain).market_data}/{path_url.lstrip('/')}"


def private_rest_url(path_url: str, domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    """Trades gateway URL (authenticated routes)."""
    return f"{endpoints(domain).trades}/{path_url.lstrip('/')}"


def edge_rest_url(path_url: str, domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    """Edge gateway URL (login)."""
    return f"{endpoints(domain).edge}/{path_url.lstrip('/')}"


def login_url(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    return edge_rest_url(CONSTANTS.LOGIN_PATH_URL, domain)


def public_ws_url(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    """Market-data socket (public streams)."""
    return endpoints(domain).market_data_ws


def private_ws_url(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    """Trades socket (private streams and JSON-RPC order entry; needs the session headers at upgrade)."""
    return endpoints(domain).trades_ws


def ws_rpc_method(path_url: str) -> str:
    """JSON-RPC method of a REST route: 'full/v1/create_order' -> 'v1/create_order'."""
    path = path_url.lstrip("/")
    for prefix in ("full/", "lite/"):
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


# ------------------------------------------------------------------------------------------------------------------
# Web assistants and throttler
# ------------------------------------------------------------------------------------------------------------------
class GrvtRESTPreProcessor(RESTPreProcessorBase):
    """GRVT takes JSON bodies on every POST route."""

    async def pre_process(self, request: RESTRequest) -> RESTRequest:
        headers = dict(request.headers or {})
        if request.method != RESTMethod.GET:
            headers["Content-Type"] = "application/json"
        request.headers = headers
        return request


def create_throttler(
    rate_limits: Optional[List[RateLimit]] = None,
    limits_share_percentage: Optional[Decimal] = None,
) -> AsyncThrottler:
    return AsyncThrottler(
        rate_limits=CONSTANTS.RATE_LIMITS if rate_limits is None else rate_limits,
        limits_share_percentage=limits_share_percentage,
    )


def build_api_factory(
    throttler: Optional[AsyncThrottlerBase] = None,
    time_synchronizer: Optional[TimeSynchronizer] = None,
    domain: str = CONSTANTS.DEFAULT_DOMAIN,
    time_provider: Optional[Callable] = None,
    auth: Optional[AuthBase] = None,
) -> WebAssistantsFactory:
    throttler = throttler or create_throttler()
    time_synchronizer = time_synchronizer or TimeSynchronizer()
    time_provider = time_provider or (lambda: get_current_server_time(throttler=throttler, domain=domain))
    return WebAssistantsFactory(
        throttler=throttler,
        auth=auth,
        rest_pre_processors=[
            TimeSynchronizerRESTPreProcessor(synchronizer=time_synchronizer, time_provider=time_provider),
            GrvtRESTPreProcessor(),
        ],
    )


def build_api_factory_without_time_synchronizer_pre_processor(
    throttler: AsyncThrottlerBase,
    auth: Optional[AuthBase] = None,
) -> WebAssistantsFactory:
    return WebAssistantsFactory(throttler=throttler, auth=auth, rest_pre_processors=[GrvtRESTPreProcessor()])


# ------------------------------------------------------------------------------------------------------------------
# Server time (GRVT's GET /time is undocumented: any failure falls back to the local clock)
# ------------------------------------------------------------------------------------------------------------------
def parse_server_time_ms(value: Any) -> float:
    """Epoch milliseconds from a seconds / ms / us / ns number or numeric string (unit guessed by magnitude)."""
    number = float(value)
    if number <= 0:
        raise ValueError(f"Invalid server time {value!r}.")
    if number >= 1e17:
        return number / 1e6
    if number >= 1e14:
        return number / 1e3
    if number >= 1e11:
        return number
    return number * 1e3


async def get_current_server_time(
    throttler: Optional[AsyncThrottlerBase] = None,
    domain: str = CONSTANTS.DEFAULT_DOMAIN,
) -> float:
    """Server time in milliseconds; the local clock when /time is missing, slow or malformed."""
    try:
        throttler = throttler or create_throttler()
        api_factory = build_api_factory_without_time_synchronizer_pre_processor(throttler=throttler)
        rest_assistant = await api_factory.get_rest_assistant()
        response = await rest_assistant.execute_request(
            url=public_rest_url(CONSTANTS.TIME_PATH_URL, domain=domain),
            method=RESTMethod.GET,
            throttler_limit_id=CONSTANTS.TIME_PATH_URL,
            timeout=CONSTANTS.WS_CONNECT_TIMEOUT_SECONDS,
        )
        if isinstance(response, Mapping):
            value = response.get("server_time", response.get("result"))
        else:
            value = response
        return parse_server_time_ms(value)
    except Exception as exception:  # any failure means "use the local clock" (CancelledError still propagates)
        _logger.debug(f"GRVT server time unavailable ({exception.__class__.__name__}), using the local clock.")
        return time.time() * 1e3


# ------------------------------------------------------------------------------------------------------------------
# Trading pairs <-> instruments
# ------------------------------------------------------------------------------------------------------------------
def instrument_for_trading_pair(trading_pair: str) -> str:
    """'BTC-USDT' -> 'BTC_USDT_Perp'."""
    base, sep, quote = trading_pair.partition("-")
    if not sep or not base or not quote or "-" in quote:
        raise ValueError(f"Invalid trading pair '{trading_pair}', expected BASE-QUOTE.")
    return f"{base}_{quote}{PERPETUAL_SUFFIX}"


def is_perpetual_instrument(instrument: str) -> bool:
    if not isinstance(instrument, str) or not instrument.endswith(PERPETUAL_SUFFIX):
        return False
    base, sep, quote = instrument[:-len(PERPETUAL_SUFFIX)].rpartition("_")
    return bool(sep and base and quote)


def trading_pair_for_instrument(instrument: str) -> str:
    """'BTC_USDT_Perp' -> 'BTC-USDT'."""
    if not is_perpetual_instrument(instrument):
        raise ValueError(f"'{instrument}' is not a GRVT perpetual instrument name (BASE_QUOTE_Perp).")
    base, _, quote = instrument[:-len(PERPETUAL_SUFFIX)].rpartition("_")
    return f"{base}-{quote}"


# ------------------------------------------------------------------------------------------------------------------
# Timestamps (GRVT sends unix nanoseconds as strings)
# ------------------------------------------------------------------------------------------------------------------
def now_ns() -> int:
    return time.time_ns()


def ns_to_seconds(value: Union[str, int, None]) -> float:
    """'1767292408400000000' -> 1767292408.4; None, '' and '0' -> 0.0."""
    if value is None or value == "":
        return 0.0
    return int(value) / CONSTANTS.NANOS_PER_SECOND


def seconds_to_ns(seconds: float) -> int:
    return int(round(seconds * CONSTANTS.NANOS_PER_SECOND))


def expiration_ns(lifetime_seconds: float, now_nanoseconds: Optional[int] = None) -> int:
    """Signature expiration for an order living `lifetime_seconds` (capped at GRVT's 30-day maximum)."""
    lifetime = min(float(lifetime_seconds), float(CONSTANTS.MAX_SIGNATURE_EXPIRY_SECONDS))
    if lifetime <= 0:
        raise ValueError(f"Order lifetime must be positive, got {lifetime_seconds}.")
    now = time.time_ns() if now_nanoseconds is None else now_nanoseconds
    return now + int(lifetime * CONSTANTS.NANOS_PER_SECOND)


def _expiry_seconds(domain: str, env_name: str, default: int) -> float:
    override = _env(domain, env_name)
    if override is None:
        return float(default)
    try:
        value = float(override)
    except ValueError:
        raise ValueError(f"{CONSTANTS.ENV_PREFIX}_{env_name} must be a number of seconds, got '{override}'.")
    if value <= 0:
        raise ValueError(f"{CONSTANTS.ENV_PREFIX}_{env_name} must be positive, got '{override}'.")
    return min(value, float(CONSTANTS.MAX_SIGNATURE_EXPIRY_SECONDS))


def quote_expiry_seconds(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> float:
    """Signature lifetime of market-making quotes; GRVT_PERPETUAL_QUOTE_EXPIRY_SECONDS overrides."""
    return _expiry_seconds(domain, CONSTANTS.ENV_QUOTE_EXPIRY_SECONDS, CONSTANTS.DEFAULT_QUOTE_EXPIRY_SECONDS)


# ------------------------------------------------------------------------------------------------------------------
# Stream selectors
# ------------------------------------------------------------------------------------------------------------------
def public_selector(instrument: str, secondary: Union[int, str]) -> str:
    """'BTC_USDT_Perp@100' (rate in ms for book.d/ticker/mini, replay limit for trade)."""
    return f"{instrument}@{secondary}"


def book_snapshot_selector(instrument: str, rate_ms: int, depth: int) -> str:
    """'BTC_USDT_Perp@500-50' for v1.book.s."""
    return f"{instrument}@{rate_ms}-{depth}"


def private_selector(sub_account_id: Union[int, str], instrument: Optional[str] = None) -> str:
    """'<sub_account_id>' or '<sub_account_id>-<instrument>' for the private streams."""
    return f"{sub_account_id}-{instrument}" if instrument else str(sub_account_id)


# ------------------------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------------------------
_HTTP_STATUS_RE = re.compile(r"HTTP status is (\d{3})")
_JSON_CODE_RE = re.compile(r'"code"\s*:\s*"?(\d+)')


def error_code(payload: Any) -> Optional[int]:
    """
    GRVT error code of a response body ({"code": ...}, a JSON-RPC {"error": {"code": ...}}) or of the IOError
    Hummingbot's REST assistant raises for HTTP >= 400 (its message embeds the body); None when there is none.
    """
    if isinstance(payload, Mapping):
        code = payload.get("code")
        if code is None and isinstance(payload.get("error"), Mapping):
            code = payload["error"].get("code")
        try:
            return int(code) if code not in (None, "", 0, "0") else None
        except (TypeError, ValueError):
            return None
    if isinstance(payload, BaseException):
        payload = str(payload)
    if isinstance(payload, str):
        match = _JSON_CODE_RE.search(payload)
        return int(match.group(1)) if match else None
    return None


def http_status(error: Union[BaseException, str, Mapping, None]) -> Optional[int]:
    """HTTP status embedded in a REST assistant IOError message or an error body's "status"."""
    if isinstance(error, Mapping):
        status = error.get("status")
        try:
            return int(status) if status is not None else None
        except (TypeError, ValueError):
            return None
    match = _HTTP_STATUS_RE.search(str(error)) if error is not None else None
    return int(match.group(1)) if match else None


def json_body(text: str) -> Any:
    """The JSON object in a REST assistant error message ('... Error: {...}') or None."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        return json.loads(text[start:])
    except ValueError:
        return None


def public_wss_url(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    """Name Hummingbot's GRVT candles feed uses for the market-data socket."""
    return public_ws_url(domain)
