"""
URLs, web-assistant factory, throttler and the time conversions of the GRVT perpetual connector.

Every URL helper reads the environment overrides (README, "Pointing the connector at other URLs") at call time, so
pointing the connector at a local GRVT sandbox needs no code edit.
"""
import contextlib
import os
import time
from typing import Any, Callable, Dict, Mapping, NamedTuple, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS
from hummingbot.core.api_throttler.async_throttler import AsyncThrottler
from hummingbot.core.api_throttler.async_throttler_base import AsyncThrottlerBase
from hummingbot.core.web_assistant.auth import AuthBase
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory


class GrvtEndpoints(NamedTuple):
    edge: str
    trades: str
    market_data: str
    trades_ws: str
    market_data_ws: str


def _env(domain: str, *names: str) -> Tuple[Optional[str], str]:
    """(value, name) of the first override set: the domain's own variables win over the generic ones, then the names
    in their order (a testnet-only base URL never loses to a generic gateway URL)."""
    for prefix in (domain.upper(), CONSTANTS.ENV_PREFIX):
        for name in names:
            value = (os.environ.get(f"{prefix}_{name}") or "").strip()
            if value:
                return value, name
    return None, ""


def _host(domain: str) -> str:
    if domain not in CONSTANTS.DOMAIN_HOSTS:
        raise ValueError(f"Unknown GRVT domain '{domain}'. Expected one of {', '.join(CONSTANTS.DOMAIN_HOSTS)}.")
    return CONSTANTS.DOMAIN_HOSTS[domain]


def _ws_url(url: str, under_base: bool = False) -> str:
    """An http(s) or ws(s) URL as a socket URL (ws(s) scheme); /ws/full is appended to a base URL's path, and to
    a socket URL without a path."""
    parts = urlsplit(url.strip())
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss"):
        raise ValueError(f"GRVT websocket URL must use http(s) or ws(s), got '{url}'.")
    path = parts.path.rstrip("/")
    if under_base or not path:
        path += CONSTANTS.WS_PATH
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


def _env_number(domain: str, name: str, kind: Callable[[str], Any], default: Any, expected: str) -> Any:
    """The positive number an environment override sets, `default` when it is unset."""
    override, _ = _env(domain, name)
    if override is None:
        return default
    with contextlib.suppress(ValueError):
        value = kind(override)
        if value > 0:
            return value
    raise ValueError(f"{CONSTANTS.ENV_PREFIX}_{name} must be {expected}, got '{override}'.")


def chain_id(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> int:
    _host(domain)
    return _env_number(domain, "CHAIN_ID", int, CONSTANTS.CHAIN_IDS[domain], "a positive integer")


def endpoints(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> GrvtEndpoints:
    host = _host(domain)

    def rest(gateway: str, env_name: str) -> str:
        override, _ = _env(domain, env_name, "BASE_URL")
        return (override or f"https://{gateway}.{host}").rstrip("/")

    def socket(gateway: str, env_name: str) -> str:
        override, found = _env(domain, env_name, "BASE_URL")
        return _ws_url(override or f"wss://{gateway}.{host}", under_base=found == "BASE_URL")

    return GrvtEndpoints(
        edge=rest("edge", "EDGE_URL"),
        trades=rest("trades", "TRADES_URL"),
        market_data=rest("market-data", "MARKET_DATA_URL"),
        trades_ws=socket("trades", "TRADES_WS_URL"),
        market_data_ws=socket("market-data", "MARKET_DATA_WS_URL"),
    )


def check_transport_security(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> None:
    """Refuses plaintext mainnet URLs (the login carries the API key); other domains may point at a local sandbox."""
    if domain != CONSTANTS.DEFAULT_DOMAIN:
        return
    plain = [url for url in endpoints(domain) if urlsplit(url).scheme in ("http", "ws")]
    if plain and (_env(domain, "ALLOW_PLAINTEXT")[0] or "").lower() not in ("1", "true", "yes"):
        raise ValueError(
            f"Refusing to use the GRVT mainnet domain over unencrypted {plain[0]}: the login would send the API key "
            f"in clear text. Use https/wss, or set {CONSTANTS.ENV_PREFIX}_ALLOW_PLAINTEXT=true.")


def public_rest_url(path_url: str, domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    return f"{endpoints(domain).market_data}/{path_url.lstrip('/')}"


def private_rest_url(path_url: str, domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    return f"{endpoints(domain).trades}/{path_url.lstrip('/')}"


def login_url(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    return f"{endpoints(domain).edge}/{CONSTANTS.LOGIN_PATH_URL}"


def public_ws_url(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    return endpoints(domain).market_data_ws


public_wss_url = public_ws_url  # the name Hummingbot's GRVT candles feed uses


def private_ws_url(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> str:
    return endpoints(domain).trades_ws


def ws_rpc_method(path_url: str) -> str:
    """JSON-RPC method of a REST route (all use the full encoding): 'full/v1/create_order' -> 'v1/create_order'."""
    return path_url.lstrip("/").removeprefix("full/")


def json_rpc_request(method: str, params: Mapping[str, Any], request_id: int) -> Dict[str, Any]:
    """A JSON-RPC 2.0 request; GRVT's JSONRPCRequest requires the `jsonrpc` member."""
    return {"jsonrpc": CONSTANTS.JSON_RPC_VERSION, "method": method, "params": params, "id": request_id}


def build_api_factory(throttler: Optional[AsyncThrottlerBase] = None,
                      auth: Optional[AuthBase] = None) -> WebAssistantsFactory:
    return WebAssistantsFactory(throttler=throttler or AsyncThrottler(rate_limits=CONSTANTS.RATE_LIMITS), auth=auth)


build_api_factory_without_time_synchronizer_pre_processor = build_api_factory  # the name the candles feed uses


async def get_current_server_time(
    throttler: Optional[AsyncThrottlerBase] = None,
    domain: str = CONSTANTS.DEFAULT_DOMAIN,
) -> float:
    """
    The local clock in milliseconds, without a request: signature and session expiries use the local clock and GRVT
    documents no time route, so nothing reads the TimeSynchronizer offset (build_api_factory adds no pre-processor).
    """
    return time.time() * 1e3


now_ns = time.time_ns


def ns_to_seconds(value: int) -> float:
    """1767292408400000000 -> 1767292408.4 (the wire types decode GRVT's nanosecond strings to int)."""
    return value / CONSTANTS.NANOS_PER_SECOND


def seconds_to_ns(seconds: float) -> int:
    return int(round(seconds * CONSTANTS.NANOS_PER_SECOND))


def expiration_ns(lifetime_seconds: float) -> int:
    """Signature expiration of an order living `lifetime_seconds`, capped (see SIGNATURE_CLOCK_SKEW_MARGIN_SECONDS)."""
    lifetime = min(float(lifetime_seconds),
                   float(CONSTANTS.MAX_SIGNATURE_EXPIRY_SECONDS - CONSTANTS.SIGNATURE_CLOCK_SKEW_MARGIN_SECONDS))
    if lifetime <= 0:
        raise ValueError(f"Order lifetime must be positive, got {lifetime_seconds}.")
    return now_ns() + seconds_to_ns(lifetime)


def quote_expiry_seconds(domain: str = CONSTANTS.DEFAULT_DOMAIN) -> float:
    """Signature lifetime of market-making quotes; GRVT_PERPETUAL_QUOTE_EXPIRY_SECONDS overrides."""
    seconds = _env_number(domain, "QUOTE_EXPIRY_SECONDS", float, CONSTANTS.DEFAULT_QUOTE_EXPIRY_SECONDS,
                          "a positive number of seconds")
    return float(min(seconds, CONSTANTS.MAX_SIGNATURE_EXPIRY_SECONDS))
