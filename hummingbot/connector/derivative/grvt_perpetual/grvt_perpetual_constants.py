"""Static facts about the GRVT exchange: domains, hosts, routes, streams, error codes and the rate-limit table."""
import math
from decimal import Decimal
from typing import Dict, List, Tuple

from hummingbot.core.api_throttler.data_types import LinkedLimitWeightPair, RateLimit

# Domains, hosts, chain ids
DEFAULT_DOMAIN = "grvt_perpetual"
TESTNET_DOMAIN = "grvt_perpetual_testnet"

# Each domain's edge, trades and market-data gateways are <gateway>.<host> (web_utils builds the URLs)
DOMAIN_HOSTS: Dict[str, str] = {DEFAULT_DOMAIN: "grvt.io", TESTNET_DOMAIN: "testnet.grvt.io"}
CHAIN_IDS: Dict[str, int] = {DEFAULT_DOMAIN: 325, TESTNET_DOMAIN: 326}
WS_PATH = "/ws/full"  # JSON-RPC 2.0 with full field names
ENV_PREFIX = "GRVT_PERPETUAL"

# REST routes (all POST with a JSON body), relative to their gateway's base URL; also the throttler limit ids.
LOGIN_PATH_URL = "auth/api_key/login"  # edge

# market-data gateway (public)
INSTRUMENTS_PATH_URL = "full/v1/instruments"
ORDER_BOOK_PATH_URL = "full/v1/book"
TICKER_PATH_URL = "full/v1/ticker"
MINI_TICKER_PATH_URL = "full/v1/mini"
FUNDING_RATE_PATH_URL = "full/v1/funding"
KLINE_PATH_URL = "full/v1/kline"

# trades gateway (cookie + X-Grvt-Account-Id)
CREATE_ORDER_PATH_URL = "full/v1/create_order"
CANCEL_ORDER_PATH_URL = "full/v1/cancel_order"
CANCEL_ALL_ORDERS_PATH_URL = "full/v1/cancel_all_orders"
BULK_ORDERS_PATH_URL = "full/v2/bulk_orders"
CANCEL_ON_DISCONNECT_PATH_URL = "full/v1/cancel_on_disconnect"
ORDER_PATH_URL = "full/v1/order"
OPEN_ORDERS_PATH_URL = "full/v1/open_orders"
FILL_HISTORY_PATH_URL = "full/v1/fill_history"
POSITIONS_PATH_URL = "full/v1/positions"
ACCOUNT_SUMMARY_PATH_URL = "full/v1/account_summary"
FUNDING_PAYMENT_HISTORY_PATH_URL = "full/v1/funding_payment_history"
GET_ALL_INITIAL_LEVERAGE_PATH_URL = "full/v1/get_all_initial_leverage"
SET_INITIAL_LEVERAGE_PATH_URL = "full/v1/set_initial_leverage"

WS_RPC_SUBSCRIBE = "subscribe"
WS_RPC_UNSUBSCRIBE = "unsubscribe"
JSON_RPC_VERSION = "2.0"

# Limits of request fields
ORDER_BOOK_SNAPSHOT_DEPTH = 500
HISTORY_PAGE_LIMIT = 1000  # max for order/fill/funding-payment history pages
MAX_BULK_ORDERS = 100
# GRVT counts the countdown in whole seconds (rounded down) and switches it off at 1,000 ms or less; the heartbeat
# re-arms it every third of the countdown, and its route allows about one call per second.
CANCEL_ON_DISCONNECT_MIN_MS = 3_000
CANCEL_ON_DISCONNECT_MAX_MS = 300_000
CANCEL_TIME_TO_LIVE_MAX_MS = 5_000
PERPETUAL_KIND = "PERPETUAL"

# WebSocket streams. Selector grammar: public "<instrument>@<rate or limit>", private "<sub_account_id>" (all
# instruments) or "<sub_account_id>-<instrument>".
WS_BOOK_DELTA_STREAM = "v1.book.d"
WS_TRADE_STREAM = "v1.trade"
WS_TICKER_SNAPSHOT_STREAM = "v1.ticker.s"

WS_ORDER_STATE_STREAM = "v1.state"
WS_FILL_STREAM = "v1.fill"
WS_POSITION_STREAM = "v1.position"
WS_CANCEL_STREAM = "v1.cancel"
# One order stream: v1.state carries both ids and the state (v1.order repeats it with the whole order).
WS_PRIVATE_STREAMS: Tuple[str, ...] = (WS_ORDER_STATE_STREAM, WS_FILL_STREAM, WS_POSITION_STREAM, WS_CANCEL_STREAM)

# Selectors the data sources use (GRVT rejects values it does not list with 3030/3031/3011).
WS_BOOK_DELTA_RATE_MS = 100
WS_TRADE_LIMIT = 50
WS_TICKER_SNAPSHOT_RATE_MS = 500  # funding info: full ticker each publish, no delta merging needed

WS_HEARTBEAT_INTERVAL_SECONDS = 20.0  # websocket protocol ping; GRVT documents no application heartbeat
WS_SILENCE_TIMEOUT_SECONDS = 30.0  # reconnect when nothing arrived for this long
WS_CONNECT_TIMEOUT_SECONDS = 10.0

# Authentication / session
SESSION_COOKIE_NAME = "gravity"
ACCOUNT_ID_HEADER = "X-Grvt-Account-Id"
LOGIN_REMEMBER_ME_COOKIE = "rm=true"

# Orders, signing and numbers
PRICE_SCALE_DECIMAL = Decimal(10 ** 9)  # limit prices are signed as integers of 1e-9 quote units, every instrument
NANOS_PER_SECOND = 1_000_000_000

CLIENT_ORDER_ID_MIN = 1 << 63  # API clients use [2^63, 2^64 - 1]; the GRVT UI uses the lower half
MAX_ORDER_ID_LEN = 20  # decimal digits of a uint64
HBOT_ORDER_ID_PREFIX = ""  # client ids are plain decimal numbers

# Signature expiration is the order's lifetime on GRVT (GTT orders end EXPIRED when it passes).
MAX_SIGNATURE_EXPIRY_SECONDS = 30 * 24 * 3600  # GRVT rejects longer ones (2008)
# GRVT measures that cap from its own clock: the longest lifetime is signed this much shorter, so a bot clock running
# ahead of GRVT's does not turn it into a 2008 rejection.
SIGNATURE_CLOCK_SKEW_MARGIN_SECONDS = 300
DEFAULT_QUOTE_EXPIRY_SECONDS = 10 * 60  # market-making quotes: a dead-man switch of its own

# Error codes the connector branches on; errors.ERROR_EXPLANATIONS explains the ones a user may meet.
ERROR_UNAUTHENTICATED = 1000
ERROR_UNAUTHORIZED = 1001
ERROR_INTERNAL = 1002
ERROR_MALFORMED_REQUEST = 1003
ERROR_NOT_FOUND = 1004
ERROR_UNKNOWN = 1005
ERROR_RATE_LIMITED = 1006
ERROR_ENDPOINT_DEACTIVATED = 1009
ERROR_INVALID_INSTRUMENT = 3000
# cancel time-to-live switched off by GRVT, or above its current maximum
CANCEL_TIME_TO_LIVE_REFUSED_CODES = frozenset({2300, 2301})

RETRYABLE_ERROR_CODES = frozenset({ERROR_INTERNAL, ERROR_UNKNOWN, ERROR_RATE_LIMITED, ERROR_ENDPOINT_DEACTIVATED})
HTTP_UNAUTHORIZED = 401
HTTP_TOO_MANY_REQUESTS = 429

# Funding
FUNDING_RATE_PERCENT_SCALE = Decimal("0.01")  # GRVT rates are percent: "0.01" means 0.01 % = 0.0001
DEFAULT_FUNDING_INTERVAL_HOURS = 8

# Rate limits: GRVT's are token based per endpoint and tier; the costs below are ccxt's table (citing help.grvt.io
# "What are the rate limitations on GRVT"). Pools keep order entry apart from polling and market data, so a burst of
# polling never delays an order or a cancel. Rare, expensive calls (login, cancel-all, the cancel-on-disconnect
# heartbeat) and polling use longer windows so a bucket holds several calls.
TOKENS_PER_SECOND = 100  # one token every 10 ms

AUTH_POOL = "grvt_auth_pool"
MARKET_DATA_POOL = "grvt_market_data_pool"
ACCOUNT_QUERY_POOL = "grvt_account_query_pool"
CREATE_POOL = "grvt_create_pool"
CANCEL_POOL = "grvt_cancel_pool"  # separate from creates: a backlog of cancels never delays a new quote
CONTROL_POOL = "grvt_control_pool"  # cancel-all and the cancel-on-disconnect heartbeat

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
    INSTRUMENTS_PATH_URL: (4, MARKET_DATA_POOL),
    MINI_TICKER_PATH_URL: (4, MARKET_DATA_POOL),
    TICKER_PATH_URL: (4, MARKET_DATA_POOL),
    ORDER_BOOK_PATH_URL: (12, MARKET_DATA_POOL),
    KLINE_PATH_URL: (12, MARKET_DATA_POOL),
    FUNDING_RATE_PATH_URL: (12, MARKET_DATA_POOL),
    CREATE_ORDER_PATH_URL: (5, CREATE_POOL),
    CANCEL_ORDER_PATH_URL: (5, CANCEL_POOL),
    BULK_ORDERS_PATH_URL: (5, CANCEL_POOL),  # plus one create_order cost per created order
    CANCEL_ALL_ORDERS_PATH_URL: (50, CONTROL_POOL),
    CANCEL_ON_DISCONNECT_PATH_URL: (100, CONTROL_POOL),
    ORDER_PATH_URL: (20, ACCOUNT_QUERY_POOL),
    OPEN_ORDERS_PATH_URL: (20, ACCOUNT_QUERY_POOL),
    FILL_HISTORY_PATH_URL: (20, ACCOUNT_QUERY_POOL),
    POSITIONS_PATH_URL: (20, ACCOUNT_QUERY_POOL),
    ACCOUNT_SUMMARY_PATH_URL: (40, ACCOUNT_QUERY_POOL),
    FUNDING_PAYMENT_HISTORY_PATH_URL: (40, ACCOUNT_QUERY_POOL),
    GET_ALL_INITIAL_LEVERAGE_PATH_URL: (40, ACCOUNT_QUERY_POOL),
    SET_INITIAL_LEVERAGE_PATH_URL: (40, ACCOUNT_QUERY_POOL),
}


def build_rate_limits(share: Decimal = Decimal("1")) -> List[RateLimit]:
    """
    Hummingbot scales limits, not weights, by the `share` it gives the bot (rate_limits_share_pct): a pool whose
    scaled bucket could not hold its heaviest call, which would then block forever, has its capacity and window grown
    by the same factor: the same rate, in longer windows.
    """
    pools = dict(RATE_LIMIT_POOLS)
    for pool, (capacity, window) in RATE_LIMIT_POOLS.items():  # a route too heavy for its pool is refused below
        tokens = min(capacity, int(TOKENS_PER_SECOND * window))
        heaviest = min(tokens, max((cost for cost, of in ENDPOINT_COSTS.values() if of == pool), default=0))
        factor = max(1, math.ceil(heaviest / (tokens * share)))
        pools[pool] = (capacity * factor, window * factor)
    rate_limits = [RateLimit(limit_id=pool, limit=capacity, time_interval=window)
                   for pool, (capacity, window) in pools.items()]
    for route, (cost, pool) in ENDPOINT_COSTS.items():
        if pool not in pools:
            raise ValueError(f"Route {route} refers to unknown rate-limit pool {pool}.")
        pool_capacity, window = pools[pool]
        bucket = int(TOKENS_PER_SECOND * window)
        if cost > bucket or cost > pool_capacity:
            raise ValueError(f"Route {route} costs {cost} tokens, more than its bucket or pool can ever hold.")
        rate_limits.append(RateLimit(limit_id=route, limit=bucket, time_interval=window, weight=cost,
                                     linked_limits=[LinkedLimitWeightPair(pool, cost)]))
    return rate_limits


RATE_LIMITS: List[RateLimit] = build_rate_limits()


# --- Names read by Hummingbot's GRVT candles feed (hummingbot/data_feed/candles_feed/grvt_perpetual_candles) ---
PUBLIC_WS_CHANNEL_CANDLE = "v1.candle"
WS_HEARTBEAT_TIME_INTERVAL = WS_HEARTBEAT_INTERVAL_SECONDS
