"""
Static facts about the GRVT exchange used across the connector: domains, hosts, routes, streams, enums,
error codes and the rate-limit table.

Numbers that GRVT does not document (rate-limit costs, session lifetime, /time) are kept in small tables here so
they can be changed in one place; `build_rate_limits` turns the cost table into Hummingbot throttler rules.
"""
from decimal import Decimal
from typing import Dict, List, Mapping, Optional, Tuple

from hummingbot.core.api_throttler.data_types import LinkedLimitWeightPair, RateLimit
from hummingbot.core.data_type.in_flight_order import OrderState

EXCHANGE_NAME = "grvt_perpetual"

# ---------------------------------------------------------------------------------------------------------------
# Domains, hosts, chain ids
# ---------------------------------------------------------------------------------------------------------------
DEFAULT_DOMAIN = "grvt_perpetual"
TESTNET_DOMAIN = "grvt_perpetual_testnet"
DOMAINS: Tuple[str, ...] = (DEFAULT_DOMAIN, TESTNET_DOMAIN)

# Keys of the per-domain host tables (one per GRVT gateway).
EDGE = "edge"
TRADES = "trades"
MARKET_DATA = "market_data"
TRADES_WS = "trades_ws"
MARKET_DATA_WS = "market_data_ws"

REST_BASE_URLS: Dict[str, Dict[str, str]] = {
    DEFAULT_DOMAIN: {
        EDGE: "https://edge.grvt.io",
        TRADES: "https://trades.grvt.io",
        MARKET_DATA: "https://market-data.grvt.io",
    },
    TESTNET_DOMAIN: {
        EDGE: "https://edge.testnet.grvt.io",
        TRADES: "https://trades.testnet.grvt.io",
        MARKET_DATA: "https://market-data.testnet.grvt.io",
    },
}

WS_PATH = "/ws/full"  # JSON-RPC 2.0 with full field names

WS_BASE_URLS: Dict[str, Dict[str, str]] = {
    DEFAULT_DOMAIN: {
        TRADES_WS: "wss://trades.grvt.io" + WS_PATH,
        MARKET_DATA_WS: "wss://market-data.grvt.io" + WS_PATH,
    },
    TESTNET_DOMAIN: {
        TRADES_WS: "wss://trades.testnet.grvt.io" + WS_PATH,
        MARKET_DATA_WS: "wss://market-data.testnet.grvt.io" + WS_PATH,
    },
}

CHAIN_IDS: Dict[str, int] = {
    DEFAULT_DOMAIN: 325,
    TESTNET_DOMAIN: 326,
}

# Environment overrides (read by web_utils at call time). The generic GRVT_PERPETUAL_* names apply to every
# domain; <DOMAIN>_* names (e.g. GRVT_PERPETUAL_TESTNET_BASE_URL) apply to one domain and win over the generic ones.
ENV_PREFIX = "GRVT_PERPETUAL"
ENV_BASE_URL = "BASE_URL"
ENV_EDGE_URL = "EDGE_URL"
ENV_TRADES_URL = "TRADES_URL"
ENV_MARKET_DATA_URL = "MARKET_DATA_URL"
ENV_TRADES_WS_URL = "TRADES_WS_URL"
ENV_MARKET_DATA_WS_URL = "MARKET_DATA_WS_URL"
ENV_CHAIN_ID = "CHAIN_ID"
ENV_QUOTE_EXPIRY_SECONDS = "QUOTE_EXPIRY_SECONDS"
ENV_ALLOW_PLAINTEXT = "ALLOW_PLAINTEXT"

# ---------------------------------------------------------------------------------------------------------------
# REST routes (all POST with a JSON body, except GET /time). Paths are relative to the gateway base URL and are
# also the throttler limit ids.
# ---------------------------------------------------------------------------------------------------------------
LOGIN_PATH_URL = "auth/api_key/login"  # edge

# market-data gateway (public)
INSTRUMENT_PATH_URL = "full/v1/instrument"
INSTRUMENTS_PATH_URL = "full/v1/instruments"
ALL_INSTRUMENTS_PATH_URL = "full/v1/all_instruments"
ORDER_BOOK_PATH_URL = "full/v1/book"
TICKER_PATH_URL = "full/v1/ticker"
MINI_TICKER_PATH_URL = "full/v1/mini"
TRADES_PATH_URL = "full/v1/trade"
TRADE_HISTORY_PATH_URL = "full/v1/trade_history"
FUNDING_RATE_PATH_URL = "full/v1/funding"
KLINE_PATH_URL = "full/v1/kline"
TIME_PATH_URL = "time"  # undocumented; GET, answer {"server_time": "<epoch ms>"} (unit guessed at parse time)

# trades gateway (cookie + X-Grvt-Account-Id)
CREATE_ORDER_PATH_URL = "full/v1/create_order"
CANCEL_ORDER_PATH_URL = "full/v1/cancel_order"
CANCEL_ALL_ORDERS_PATH_URL = "full/v1/cancel_all_orders"
BULK_ORDERS_PATH_URL = "full/v2/bulk_orders"
CANCEL_ON_DISCONNECT_PATH_URL = "full/v1/cancel_on_disconnect"
ORDER_PATH_URL = "full/v1/order"
OPEN_ORDERS_PATH_URL = "full/v1/open_orders"
ORDER_HISTORY_PATH_URL = "full/v1/order_history"
FILL_HISTORY_PATH_URL = "full/v1/fill_history"
POSITIONS_PATH_URL = "full/v1/positions"
ACCOUNT_SUMMARY_PATH_URL = "full/v1/account_summary"
FUNDING_PAYMENT_HISTORY_PATH_URL = "full/v1/funding_payment_history"
GET_ALL_INITIAL_LEVERAGE_PATH_URL = "full/v1/get_all_initial_leverage"
SET_INITIAL_LEVERAGE_PATH_URL = "full/v1/set_initial_leverage"

# JSON-RPC method names on the sockets are the route without the encoding prefix ("v1/create_order").
WS_RPC_CREATE_ORDER = "v1/create_order"
WS_RPC_CANCEL_ORDER = "v1/cancel_order"
WS_RPC_CANCEL_ALL_ORDERS = "v1/cancel_all_orders"
WS_RPC_BULK_ORDERS = "v2/bulk_orders"
WS_RPC_CANCEL_ON_DISCONNECT = "v1/cancel_on_disconnect"
WS_RPC_ORDER = "v1/order"
WS_RPC_OPEN_ORDERS = "v1/open_orders"
WS_RPC_SUBSCRIBE = "subscribe"
WS_RPC_UNSUBSCRIBE = "unsubscribe"
JSON_RPC_VERSION = "2.0"

# Limits of request fields
ORDER_BOOK_SNAPSHOT_DEPTH = 500
ORDER_BOOK_DEPTHS: Tuple[int, ...] = (10, 50, 100, 500)
HISTORY_PAGE_LIMIT = 1000  # max for order/fill/funding-payment history pages
RECENT_TRADES_LIMIT = 500
MAX_BULK_ORDERS = 100
CANCEL_ON_DISCONNECT_MIN_MS = 1_000
CANCEL_ON_DISCONNECT_MAX_MS = 300_000
CANCEL_TIME_TO_LIVE_MAX_MS = 5_000
PERPETUAL_KIND = "PERPETUAL"

# ---------------------------------------------------------------------------------------------------------------
# WebSocket streams. Selector grammar: public "<instrument>@<rate or limit>" (book.s: "<instrument>@<rate>-<depth>"),
# private "<sub_account_id>" or "<sub_account_id>-<instrument>" (v1.cancel: sub account only).
# ---------------------------------------------------------------------------------------------------------------
WS_BOOK_DELTA_STREAM = "v1.book.d"
WS_BOOK_SNAPSHOT_STREAM = "v1.book.s"
WS_TRADE_STREAM = "v1.trade"
WS_TICKER_SNAPSHOT_STREAM = "v1.ticker.s"
WS_TICKER_DELTA_STREAM = "v1.ticker.d"
WS_MINI_TICKER_SNAPSHOT_STREAM = "v1.mini.s"
WS_MINI_TICKER_DELTA_STREAM = "v1.mini.d"
WS_CANDLE_STREAM = "v1.candle"

WS_ORDER_STREAM = "v1.order"
WS_ORDER_STATE_STREAM = "v1.state"
WS_FILL_STREAM = "v1.fill"
WS_POSITION_STREAM = "v1.position"
WS_CANCEL_STREAM = "v1.cancel"
# One order stream: v1.state carries both ids and the state (v1.order repeats it with the whole order).
WS_PRIVATE_STREAMS: Tuple[str, ...] = (WS_ORDER_STATE_STREAM, WS_FILL_STREAM, WS_POSITION_STREAM, WS_CANCEL_STREAM)

# Allowed secondary selectors per stream (GRVT rejects others with 3030/3031/3011).
WS_BOOK_DELTA_RATES_MS: Tuple[int, ...] = (50, 100, 500, 1000)
WS_BOOK_SNAPSHOT_RATES_MS: Tuple[int, ...] = (500, 1000)
WS_BOOK_SNAPSHOT_DEPTHS: Tuple[int, ...] = (10, 50, 100, 500)
WS_TRADE_LIMITS: Tuple[int, ...] = (50, 200, 500, 1000)
WS_TICKER_SNAPSHOT_RATES_MS: Tuple[int, ...] = (500, 1000, 5000)
WS_TICKER_DELTA_RATES_MS: Tuple[int, ...] = (100, 200, 500, 1000, 5000)
WS_MINI_TICKER_SNAPSHOT_RATES_MS: Tuple[int, ...] = (200, 500, 1000, 5000)
WS_MINI_TICKER_DELTA_RATES_MS: Tuple[int, ...] = (0, 50, 100, 200, 500, 1000, 5000)

# Defaults used by the data sources.
WS_BOOK_DELTA_RATE_MS = 100
WS_BOOK_SNAPSHOT_RATE_MS = 500
WS_BOOK_SNAPSHOT_DEPTH = 500
WS_TRADE_LIMIT = 50
WS_TICKER_SNAPSHOT_RATE_MS = 500  # funding info: full ticker each publish, no delta merging needed

WS_HEARTBEAT_INTERVAL_SECONDS = 20.0  # websocket protocol ping; GRVT documents no application heartbeat
WS_SILENCE_TIMEOUT_SECONDS = 30.0  # reconnect when nothing arrived for this long
WS_CONNECT_TIMEOUT_SECONDS = 10.0
WS_SNAPSHOT_SEQUENCE_NUMBER = 0

# ---------------------------------------------------------------------------------------------------------------
# Authentication / session
# ---------------------------------------------------------------------------------------------------------------
SESSION_COOKIE_NAME = "gravity"
ACCOUNT_ID_HEADER = "X-Grvt-Account-Id"
LOGIN_REMEMBER_ME_COOKIE = "rm=true"
COOKIE_EXPIRES_FORMAT = "%a, %d %b %Y %H:%M:%S GMT"  # RFC 1123, always GMT
SESSION_REFRESH_MARGIN_SECONDS = 60.0  # re-login this long before the cookie expires
DEFAULT_SESSION_TTL_SECONDS = 3600.0  # assumed lifetime when the cookie carries neither Expires nor Max-Age
LOGIN_MAX_ATTEMPTS = 5
LOGIN_BACKOFF_INITIAL_SECONDS = 0.5
LOGIN_BACKOFF_MAX_SECONDS = 8.0
LOGIN_TIMEOUT_SECONDS = 10.0

# ---------------------------------------------------------------------------------------------------------------
# Orders, signing and numbers
# ---------------------------------------------------------------------------------------------------------------
PRICE_SCALE = 1_000_000_000  # limit prices are signed as integers of 1e-9 quote units for every instrument
PRICE_SCALE_DECIMAL = Decimal(PRICE_SCALE)
NANOS_PER_SECOND = 1_000_000_000

CLIENT_ORDER_ID_MIN = 1 << 63  # API clients use [2^63, 2^64 - 1]; the GRVT UI uses the lower half
CLIENT_ORDER_ID_MAX = (1 << 64) - 1
MAX_ORDER_ID_LEN = 20  # decimal digits of a uint64
HBOT_ORDER_ID_PREFIX = ""  # client ids are plain decimal numbers

UINT32_MAX = (1 << 32) - 1
UINT64_MAX = (1 << 64) - 1

# Signature expiration is the order's lifetime on GRVT (GTT orders end EXPIRED when it passes).
MAX_SIGNATURE_EXPIRY_SECONDS = 30 * 24 * 3600  # GRVT rejects longer ones (2008)
DEFAULT_QUOTE_EXPIRY_SECONDS = 10 * 60  # market-making quotes: a dead-man switch of its own

EIP712_DOMAIN_NAME = "GRVT Exchange"
EIP712_DOMAIN_VERSION = "0"

# Time in force: API names and the uint8 values that are signed.
TIME_IN_FORCE_GOOD_TILL_TIME = "GOOD_TILL_TIME"
TIME_IN_FORCE_ALL_OR_NONE = "ALL_OR_NONE"
TIME_IN_FORCE_IMMEDIATE_OR_CANCEL = "IMMEDIATE_OR_CANCEL"
TIME_IN_FORCE_FILL_OR_KILL = "FILL_OR_KILL"
TIME_IN_FORCE_RETAIL_PRICE_IMPROVEMENT = "RETAIL_PRICE_IMPROVEMENT"
TIME_IN_FORCE_VALUES: Dict[str, int] = {
    TIME_IN_FORCE_GOOD_TILL_TIME: 1,
    TIME_IN_FORCE_ALL_OR_NONE: 2,
    TIME_IN_FORCE_IMMEDIATE_OR_CANCEL: 3,
    TIME_IN_FORCE_FILL_OR_KILL: 4,
    TIME_IN_FORCE_RETAIL_PRICE_IMPROVEMENT: 5,
}
TIME_IN_FORCE_NAMES: Dict[int, str] = {value: name for name, value in TIME_IN_FORCE_VALUES.items()}

# Order statuses
ORDER_STATUS_PENDING = "PENDING"
ORDER_STATUS_OPEN = "OPEN"
ORDER_STATUS_FILLED = "FILLED"
ORDER_STATUS_REJECTED = "REJECTED"
ORDER_STATUS_CANCELLED = "CANCELLED"

# PENDING means "accepted, sent to the matching engine": Hummingbot treats the order as live (OPEN). An OPEN order
# with traded_size > 0 is partially filled; callers promote OPEN to PARTIALLY_FILLED when they see traded size.
ORDER_STATE: Dict[str, OrderState] = {
    ORDER_STATUS_PENDING: OrderState.OPEN,
    ORDER_STATUS_OPEN: OrderState.OPEN,
    ORDER_STATUS_FILLED: OrderState.FILLED,
    ORDER_STATUS_REJECTED: OrderState.FAILED,
    ORDER_STATUS_CANCELLED: OrderState.CANCELED,
}

# Order reject / cancel reasons (the wire carries the names).
ORDER_REJECT_REASONS: Dict[str, int] = {
    "UNSPECIFIED": 0, "CLIENT_CANCEL": 1, "CLIENT_BULK_CANCEL": 2, "CLIENT_SESSION_END": 3, "MARKET_CANCEL": 4,
    "IOC_CANCEL": 5, "AON_CANCEL": 6, "FOK_CANCEL": 7, "EXPIRED": 8, "FAIL_POST_ONLY": 9, "FAIL_REDUCE_ONLY": 10,
    "MM_PROTECTION": 11, "SELF_TRADE_PROTECTION": 12, "SELF_MATCHED_SUBACCOUNT": 13,
    "OVERLAPPING_CLIENT_ORDER_ID": 14, "BELOW_MARGIN": 15, "LIQUIDATION": 16, "INSTRUMENT_INVALID": 17,
    "INSTRUMENT_DEACTIVATED": 18, "SYSTEM_FAILOVER": 19, "UNAUTHORISED": 20, "SESSION_KEY_EXPIRED": 21,
    "SUB_ACCOUNT_NOT_FOUND": 22, "NO_TRADE_PERMISSION": 23, "UNSUPPORTED_TIME_IN_FORCE": 24,
    "MULTI_LEGGED_ORDER": 25, "EXCEED_MAX_POSITION_SIZE": 26, "EXCEED_MAX_SIGNATURE_EXPIRATION": 27,
    "MARKET_ORDER_WITH_LIMIT_PRICE": 28, "CLIENT_CANCEL_ON_DISCONNECT_TRIGGERED": 29,
    "OCO_COUNTER_PART_TRIGGERED": 30, "REDUCE_ONLY_LIMIT": 31, "CLIENT_REPLACE": 32, "DERISK_MUST_BE_IOC": 33,
    "DERISK_MUST_BE_REDUCE_ONLY": 34, "DERISK_NOT_SUPPORTED": 35, "INVALID_ORDER_TYPE": 36,
    "CURRENCY_NOT_DEFINED": 37, "INVALID_CHAIN_ID": 38, "BUILDER_ORDER_FEE_EXCEED": 39,
    "BUILDER_ORDER_FEE_NEGATIVE": 40, "BUILDER_ORDER_BUILDER_NOT_AUTHORIZED": 41,
    "BUILDER_ORDER_BUILDER_NOT_EXIST": 42, "TRADE_PRICE_WORSE_THAN_BANKRUPTCY_PRICE": 44,
    "TOO_MANY_MAKER_ORDERS": 45, "REDUCE_ONLY_NOT_SUPPORTED_FOR_SPOT_ORDER": 46,
    "TPSL_NOT_SUPPORTED_FOR_SPOT_ORDER": 47, "SPOT_ORDER_NOT_SUPPORTED": 48, "INSUFFICIENT_BALANCE": 49,
    "SPOT_TRADING_BLOCKED_DURING_SOCIALIZED_LOSS": 50, "BELOW_MARGIN_WITH_PENALTY_DEVIATION": 51,
}
REJECT_REASON_UNSPECIFIED = "UNSPECIFIED"
REJECT_REASON_FAIL_POST_ONLY = "FAIL_POST_ONLY"
REJECT_REASON_FAIL_REDUCE_ONLY = "FAIL_REDUCE_ONLY"
REJECT_REASON_EXPIRED = "EXPIRED"
REJECT_REASON_CANCEL_ON_DISCONNECT = "CLIENT_CANCEL_ON_DISCONNECT_TRIGGERED"
# Reasons that end an order because the client asked for it (the others are exchange-side decisions).
CLIENT_CANCEL_REASONS = frozenset({
    "CLIENT_CANCEL", "CLIENT_BULK_CANCEL", "CLIENT_SESSION_END", "CLIENT_CANCEL_ON_DISCONNECT_TRIGGERED",
    "CLIENT_REPLACE"})

CANCEL_STATUS_EXPIRED = "EXPIRED"
CANCEL_STATUS_DROPPED_DUPLICATE = "DROPPED_DUPLICATE"

# ---------------------------------------------------------------------------------------------------------------
# Error codes (REST error envelope {"code", "message", "status"} and JSON-RPC error {"code", "message"})
# ---------------------------------------------------------------------------------------------------------------
ERROR_UNAUTHENTICATED = 1000
ERROR_UNAUTHORIZED = 1001
ERROR_INTERNAL = 1002
ERROR_MALFORMED_REQUEST = 1003
ERROR_NOT_FOUND = 1004
ERROR_UNKNOWN = 1005
ERROR_RATE_LIMITED = 1006
ERROR_IP_NOT_WHITELISTED = 1008
ERROR_ENDPOINT_DEACTIVATED = 1009
ERROR_INVALID_CHAIN_ID = 1012
ERROR_SIGNER_NO_TRADE_PERMISSION = 1400
ERROR_SIGNATURE_UNAUTHORIZED_SIGNER = 2000
ERROR_SIGNATURE_EXPIRED = 2001
ERROR_SIGNATURE_MISMATCH = 2002
ERROR_SUB_ACCOUNT_MISMATCH = 2003
ERROR_SIGNATURE_SESSION_KEY_EXPIRED = 2004
ERROR_SIGNATURE_BAD_V = 2005
ERROR_SIGNATURE_BAD_RS = 2006
ERROR_SIGNATURE_HIGH_S = 2007
ERROR_SIGNATURE_TOO_LONG = 2008
ERROR_CLIENT_ORDER_ID_REQUIRED = 2011
ERROR_CLIENT_ORDER_ID_OVERLAP = 2012
ERROR_MARKET_ORDER_WITH_PRICE = 2020
ERROR_LIMIT_ORDER_WITHOUT_PRICE = 2021
ERROR_INVALID_TIME_IN_FORCE = 2030
ERROR_POST_ONLY_TIME_IN_FORCE = 2032
ERROR_INACTIVE_INSTRUMENT = 2060
ERROR_UNSUPPORTED_INSTRUMENT = 2061
ERROR_SIZE_BELOW_MIN = 2062
ERROR_INVALID_PRICE_TICK = 2064
ERROR_SIZE_TOO_GRANULAR = 2065
ERROR_BELOW_MIN_NOTIONAL = 2066
ERROR_BELOW_MIN_NOTIONAL_REDUCE = 2067
ERROR_INSUFFICIENT_MARGIN = 2080
ERROR_MAX_POSITION_SIZE = 2081
ERROR_MAX_OPEN_ORDERS = 2090
ERROR_INVALID_LEVERAGE = 2100
ERROR_LEVERAGE_BELOW_MIN = 2107
ERROR_LEVERAGE_ABOVE_MAX = 2108
ERROR_REDUCE_ONLY_NO_POSITION = 2400
ERROR_REDUCE_ONLY_INCREASES_POSITION = 2401
ERROR_REDUCE_ONLY_TOO_LARGE = 2402
ERROR_INVALID_INSTRUMENT = 3000
ERROR_ORDER_ID_REQUIRED = 3021
ERROR_INVALID_FEED_RATE = 3030
ERROR_INVALID_DEPTH = 3031
ERROR_COUNTDOWN_TOO_LONG = 6000

SESSION_ERROR_CODES = frozenset({ERROR_UNAUTHENTICATED})
RETRYABLE_ERROR_CODES = frozenset({ERROR_INTERNAL, ERROR_UNKNOWN, ERROR_RATE_LIMITED, ERROR_ENDPOINT_DEACTIVATED})
ORDER_NOT_FOUND_ERROR_CODES = frozenset({ERROR_NOT_FOUND})
SIGNATURE_ERROR_CODES = frozenset({
    ERROR_INVALID_CHAIN_ID, ERROR_SIGNER_NO_TRADE_PERMISSION, ERROR_SIGNATURE_UNAUTHORIZED_SIGNER,
    ERROR_SIGNATURE_EXPIRED, ERROR_SIGNATURE_MISMATCH, ERROR_SUB_ACCOUNT_MISMATCH,
    ERROR_SIGNATURE_SESSION_KEY_EXPIRED, ERROR_SIGNATURE_BAD_V, ERROR_SIGNATURE_BAD_RS, ERROR_SIGNATURE_HIGH_S,
    ERROR_SIGNATURE_TOO_LONG})
HTTP_UNAUTHORIZED = 401
HTTP_TOO_MANY_REQUESTS = 429

# ---------------------------------------------------------------------------------------------------------------
# Funding
# ---------------------------------------------------------------------------------------------------------------
FUNDING_RATE_PERCENT_SCALE = Decimal("0.01")  # GRVT rates are percent: "0.01" means 0.01 % = 0.0001
DEFAULT_FUNDING_INTERVAL_HOURS = 8
FUNDING_FEE_POLL_INTERVAL_SECONDS = 120

# ---------------------------------------------------------------------------------------------------------------
# Rate limits
#
# GRVT limits are token based per endpoint and tier. The costs below are ccxt's table (citing help.grvt.io "What
# are the rate limitations on GRVT"): one token every 10 ms, i.e. 100 tokens per second, each call costing `cost`
# tokens. Every route gets its own bucket (its GRVT limit) linked to one pool. Pools keep order entry apart from
# polling and market data, so a burst of polling never delays an order or a cancel.
# Rare, expensive calls (login, cancel-all, the cancel-on-disconnect heartbeat) and polling use longer windows so a
# bucket always holds several calls, even after Hummingbot scales limits down by `rate_limits_share_pct` (the
# throttler scales limits, not weights; a bucket smaller than one call's weight would block forever).
# ---------------------------------------------------------------------------------------------------------------
TOKENS_PER_SECOND = 100

AUTH_POOL = "grvt_auth_pool"
MARKET_DATA_POOL = "grvt_market_data_pool"
ACCOUNT_QUERY_POOL = "grvt_account_query_pool"
CREATE_POOL = "grvt_create_pool"
CANCEL_POOL = "grvt_cancel_pool"  # separate from creates: a backlog of cancels never delays a new quote
CONTROL_POOL = "grvt_control_pool"  # cancel-all and the cancel-on-disconnect heartbeat
WS_CONNECTION_LIMIT_ID = "grvt_ws_connect"
WS_REQUEST_LIMIT_ID = "grvt_ws_request"

# pool -> (capacity in tokens, window in seconds). Route buckets use their pool's window.
RATE_LIMIT_POOLS: Dict[str, Tuple[int, float]] = {
    AUTH_POOL: (1000, 10.0),
    MARKET_DATA_POOL: (100, 1.0),
    ACCOUNT_QUERY_POOL: (500, 5.0),
    CREATE_POOL: (200, 1.0),
    CANCEL_POOL: (200, 1.0),
    CONTROL_POOL: (1000, 10.0),
}

# route -> (cost in tokens, pool)
ENDPOINT_COSTS: Dict[str, Tuple[int, str]] = {
    LOGIN_PATH_URL: (100, AUTH_POOL),
    TIME_PATH_URL: (4, MARKET_DATA_POOL),
    INSTRUMENT_PATH_URL: (4, MARKET_DATA_POOL),
    INSTRUMENTS_PATH_URL: (4, MARKET_DATA_POOL),
    ALL_INSTRUMENTS_PATH_URL: (4, MARKET_DATA_POOL),
    MINI_TICKER_PATH_URL: (4, MARKET_DATA_POOL),
    TICKER_PATH_URL: (4, MARKET_DATA_POOL),
    ORDER_BOOK_PATH_URL: (12, MARKET_DATA_POOL),
    TRADES_PATH_URL: (12, MARKET_DATA_POOL),
    TRADE_HISTORY_PATH_URL: (12, MARKET_DATA_POOL),
    KLINE_PATH_URL: (12, MARKET_DATA_POOL),
    FUNDING_RATE_PATH_URL: (12, MARKET_DATA_POOL),
    CREATE_ORDER_PATH_URL: (5, CREATE_POOL),
    CANCEL_ORDER_PATH_URL: (5, CANCEL_POOL),
    BULK_ORDERS_PATH_URL: (5, CANCEL_POOL),  # plus one create_order cost per created order
    CANCEL_ALL_ORDERS_PATH_URL: (50, CONTROL_POOL),
    CANCEL_ON_DISCONNECT_PATH_URL: (100, CONTROL_POOL),
    ORDER_PATH_URL: (20, ACCOUNT_QUERY_POOL),
    OPEN_ORDERS_PATH_URL: (20, ACCOUNT_QUERY_POOL),
    ORDER_HISTORY_PATH_URL: (20, ACCOUNT_QUERY_POOL),
    FILL_HISTORY_PATH_URL: (20, ACCOUNT_QUERY_POOL),
    POSITIONS_PATH_URL: (20, ACCOUNT_QUERY_POOL),
    ACCOUNT_SUMMARY_PATH_URL: (40, ACCOUNT_QUERY_POOL),
    FUNDING_PAYMENT_HISTORY_PATH_URL: (40, ACCOUNT_QUERY_POOL),
    GET_ALL_INITIAL_LEVERAGE_PATH_URL: (40, ACCOUNT_QUERY_POOL),
    SET_INITIAL_LEVERAGE_PATH_URL: (40, ACCOUNT_QUERY_POOL),
}

# Sockets: GRVT documents no limits; these keep reconnect storms and subscribe bursts sane.
WS_CONNECTIONS_PER_WINDOW = 5
WS_REQUESTS_PER_WINDOW = 100
WS_LIMIT_WINDOW_SECONDS = 1.0


def build_rate_limits(
    endpoint_costs: Optional[Mapping[str, Tuple[int, str]]] = None,
    pools: Optional[Mapping[str, Tuple[int, float]]] = None,
    tokens_per_second: int = TOKENS_PER_SECOND,
) -> List[RateLimit]:
    """
    Builds the throttler rules: one RateLimit per pool and one per route (weight = cost, capacity =
    tokens_per_second x the pool's window) linked to its pool with the same weight.
    """
    endpoint_costs = ENDPOINT_COSTS if endpoint_costs is None else endpoint_costs
    pools = RATE_LIMIT_POOLS if pools is None else pools
    rate_limits = [
        RateLimit(limit_id=pool, limit=capacity, time_interval=window)
        for pool, (capacity, window) in pools.items()
    ]
    for route, (cost, pool) in endpoint_costs.items():
        if pool not in pools:
            raise ValueError(f"Route {route} refers to unknown rate-limit pool {pool}.")
        pool_capacity, window = pools[pool]
        bucket = int(tokens_per_second * window)
        if cost > bucket or cost > pool_capacity:
            raise ValueError(f"Route {route} costs {cost} tokens, more than its bucket or pool can ever hold.")
        rate_limits.append(RateLimit(
            limit_id=route,
            limit=bucket,
            time_interval=window,
            weight=cost,
            linked_limits=[LinkedLimitWeightPair(pool, cost)],
        ))
    rate_limits.append(RateLimit(
        limit_id=WS_CONNECTION_LIMIT_ID, limit=WS_CONNECTIONS_PER_WINDOW, time_interval=WS_LIMIT_WINDOW_SECONDS))
    rate_limits.append(RateLimit(
        limit_id=WS_REQUEST_LIMIT_ID, limit=WS_REQUESTS_PER_WINDOW, time_interval=WS_LIMIT_WINDOW_SECONDS))
    return rate_limits


RATE_LIMITS: List[RateLimit] = build_rate_limits()


# --- Names read by Hummingbot's GRVT candles feed (hummingbot/data_feed/candles_feed/grvt_perpetual_candles) ---
PUBLIC_WS_CHANNEL_CANDLE = WS_CANDLE_STREAM
WS_HEARTBEAT_TIME_INTERVAL = WS_HEARTBEAT_INTERVAL_SECONDS
