"""
What Hummingbot's connector discovery reads from the GRVT perpetual connector: fees, example pair and the key
config maps of the mainnet connector and of its testnet domain.

Keys: an API key created on GRVT (API Keys page) carries a trading permission for one sub-account. GRVT shows three
values: the API key, the private key of the key's signing wallet (orders are signed with it, EIP-712) and the
trading account id (the sub-account id, a decimal number).

Options: five non-secret connect keys tune the connector (order lifetime, cancel-on-disconnect, untracked open
orders, funding sign, order entry over the socket or REST). They are never prompted: Hummingbot writes their
defaults to conf/connectors/<connector>.yml, where users edit them; files written before they existed load with the
defaults.
"""
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, List, Optional

import yaml
from pydantic import BeforeValidator, ConfigDict, Field, SecretStr, ValidationError

from hummingbot.client.config.config_data_types import BaseConnectorConfigMap
from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS
from hummingbot.core.data_type.trade_fee import TradeFeeSchema

CENTRALIZED = True
EXAMPLE_PAIR = "BTC-USDT"

# GRVT's entry tier (help.grvt.io fee schedule, 30-day volume below the first threshold): maker 0.027 %,
# taker 0.055 %. Higher tiers pay less down to a maker rebate (-0.003 %) at the top tier; actual fills carry the
# fee charged (Fill.fee, negative for a rebate), so these defaults only matter for estimates before a fill.
DEFAULT_FEES = TradeFeeSchema(
    maker_percent_fee_decimal=Decimal("0.00027"),
    taker_percent_fee_decimal=Decimal("0.00055"),
    buy_percent_fee_deducted_from_returns=False,
)

_PRIVATE_KEY_PATTERN = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_ACCOUNT_ID_PATTERN = re.compile(r"^[0-9]{1,20}$")


def credential_problems(
    api_key: Optional[str], private_key: Optional[str], trading_account_id: Optional[str]
) -> List[str]:
    """
    Human-readable problems with a set of GRVT credentials (empty list when they look usable). The config maps
    cannot validate formats themselves: Hummingbot validates the stored, encrypted values when it loads them.
    Messages never repeat the values.
    """
    problems = []
    if not (api_key or "").strip():
        problems.append("The GRVT API key is empty.")
    if not _PRIVATE_KEY_PATTERN.match((private_key or "").strip()):
        problems.append("The GRVT private key must be 64 hexadecimal characters (optionally prefixed by 0x).")
    account = (trading_account_id or "").strip()
    if not _ACCOUNT_ID_PATTERN.match(account) or int(account) > CONSTANTS.UINT64_MAX:
        problems.append("The GRVT trading account id must be the sub-account id, a decimal number (uint64).")
    return problems


UNTRACKED_ORDERS_REPORT = "report"
UNTRACKED_ORDERS_CANCEL = "cancel"
UNTRACKED_ORDERS_POLICIES = (UNTRACKED_ORDERS_REPORT, UNTRACKED_ORDERS_CANCEL)
ORDER_ENTRY_WEBSOCKET = "websocket"
ORDER_ENTRY_REST = "rest"
ORDER_ENTRY_CHOICES = (ORDER_ENTRY_WEBSOCKET, ORDER_ENTRY_REST)
ORDER_EXPIRY_MIN_SECONDS = 10
ORDER_EXPIRY_MAX_SECONDS = CONSTANTS.MAX_SIGNATURE_EXPIRY_SECONDS
_TRUE_WORDS = ("true", "yes", "y", "1", "on")
_FALSE_WORDS = ("false", "no", "n", "0", "off")


def _is_unset(value: Any) -> bool:
    # Hummingbot builds non-trading instances with "" for every config field: "" means "use the default".
    return value is None or (isinstance(value, str) and not value.strip())


def order_expiry_seconds_option(value: Any) -> Optional[float]:
    """Order signature lifetime in seconds; None when unset (the connector then uses the quote lifetime)."""
    if _is_unset(value):
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"The GRVT order expiry must be a number of seconds, got {value!r}.")
    if not ORDER_EXPIRY_MIN_SECONDS <= seconds <= ORDER_EXPIRY_MAX_SECONDS:
        raise ValueError(f"The GRVT order expiry must be between {ORDER_EXPIRY_MIN_SECONDS} seconds and 30 days "
                         f"({ORDER_EXPIRY_MAX_SECONDS} seconds), got {value!r}.")
    return seconds


def cancel_on_disconnect_ms_option(value: Any) -> int:
    """GRVT's cancel-on-disconnect countdown in milliseconds; 0 (the default) switches it off."""
    if _is_unset(value):
        return 0
    try:
        if isinstance(value, bool):
            raise TypeError
        milliseconds = float(value)
        if milliseconds != int(milliseconds):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"The GRVT cancel-on-disconnect countdown must be a whole number of milliseconds, "
                         f"got {value!r}.")
    milliseconds = int(milliseconds)
    in_range = CONSTANTS.CANCEL_ON_DISCONNECT_MIN_MS <= milliseconds <= CONSTANTS.CANCEL_ON_DISCONNECT_MAX_MS
    if milliseconds != 0 and not in_range:
        raise ValueError(f"The GRVT cancel-on-disconnect countdown must be 0 (off) or between "
                         f"{CONSTANTS.CANCEL_ON_DISCONNECT_MIN_MS} and {CONSTANTS.CANCEL_ON_DISCONNECT_MAX_MS} ms, "
                         f"got {value!r}.")
    return milliseconds


def untracked_open_orders_option(value: Any) -> str:
    """What to do at start with open orders this bot does not track: "report" (the default) or "cancel"."""
    if _is_unset(value):
        return UNTRACKED_ORDERS_REPORT
    policy = value.strip().lower() if isinstance(value, str) else value
    if policy not in UNTRACKED_ORDERS_POLICIES:
        raise ValueError(f"The GRVT untracked open orders policy must be '{UNTRACKED_ORDERS_REPORT}' or "
                         f"'{UNTRACKED_ORDERS_CANCEL}', got {value!r}.")
    return policy


def funding_paid_is_positive_option(value: Any) -> bool:
    """Whether a positive GRVT funding `amount` is paid by the account (GRVT's spec; the default)."""
    if _is_unset(value):
        return True
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValueError(f"The GRVT funding sign option must be true or false, got {value!r}.")


def order_entry_option(value: Any) -> str:
    """How orders are sent: "websocket" (JSON-RPC on the trades socket, REST while it is down; the default) or
    "rest"."""
    if _is_unset(value):
        return ORDER_ENTRY_WEBSOCKET
    choice = value.strip().lower() if isinstance(value, str) else value
    if choice not in ORDER_ENTRY_CHOICES:
        raise ValueError(f"The GRVT order entry must be '{ORDER_ENTRY_WEBSOCKET}' or '{ORDER_ENTRY_REST}', "
                         f"got {value!r}.")
    return choice


OrderEntry = Annotated[str, BeforeValidator(order_entry_option)]
OrderExpirySeconds = Annotated[Optional[float], BeforeValidator(order_expiry_seconds_option)]
CancelOnDisconnectMs = Annotated[int, BeforeValidator(cancel_on_disconnect_ms_option)]
UntrackedOpenOrders = Annotated[str, BeforeValidator(untracked_open_orders_option)]
FundingPaidIsPositive = Annotated[bool, BeforeValidator(funding_paid_is_positive_option)]


def _option_field(default: Any, prompt: str, description: str) -> Any:
    # Connect keys so that Hummingbot passes them to the constructor; never prompted, not secret (stored as is).
    return Field(
        default=default,
        description=description,
        json_schema_extra={
            "prompt": prompt,
            "is_secure": False,
            "is_connect_key": True,
            "prompt_on_new": False,
        },
    )


def _order_expiry_field() -> Any:
    return _option_field(
        None,
        f"Enter the lifetime of GRVT orders in seconds ({ORDER_EXPIRY_MIN_SECONDS} to {ORDER_EXPIRY_MAX_SECONDS}, "
        f"empty for {CONSTANTS.DEFAULT_QUOTE_EXPIRY_SECONDS})",
        f"Lifetime of order signatures in seconds (= lifetime of GTT orders on GRVT), {ORDER_EXPIRY_MIN_SECONDS} to "
        f"{ORDER_EXPIRY_MAX_SECONDS} (30 days).\nnull (the default): {CONSTANTS.DEFAULT_QUOTE_EXPIRY_SECONDS} "
        f"seconds, or GRVT_PERPETUAL_QUOTE_EXPIRY_SECONDS when that environment variable is set.",
    )


def _cancel_on_disconnect_field() -> Any:
    return _option_field(
        0,
        f"Enter GRVT's cancel-on-disconnect countdown in ms (0 = off, or {CONSTANTS.CANCEL_ON_DISCONNECT_MIN_MS} to "
        f"{CONSTANTS.CANCEL_ON_DISCONNECT_MAX_MS})",
        f"GRVT cancel-on-disconnect countdown in ms: 0 = off, or {CONSTANTS.CANCEL_ON_DISCONNECT_MIN_MS} to "
        f"{CONSTANTS.CANCEL_ON_DISCONNECT_MAX_MS}. When on, the connector re-arms it\n"
        "every third of the countdown; if the bot stops or loses the network, GRVT cancels all open orders.",
    )


def _untracked_open_orders_field() -> Any:
    return _option_field(
        UNTRACKED_ORDERS_REPORT,
        "What to do at start with open GRVT orders this bot does not track (report/cancel)",
        "Open orders of the traded pairs that this bot does not track, found at start: report (log) or cancel.",
    )


def _order_entry_field() -> Any:
    return _option_field(
        ORDER_ENTRY_WEBSOCKET,
        "How should orders be sent to GRVT? (websocket/rest)",
        "Order entry: websocket = JSON-RPC on GRVT's trades socket (REST while the socket is down), rest = REST only.",
    )


def _funding_paid_is_positive_field() -> Any:
    return _option_field(
        True,
        "Is a positive GRVT funding payment amount paid by the account? (Yes/No)",
        "Sign of GRVT funding payment amounts: true = a positive amount is paid by the account (GRVT's spec),\n"
        "false = a positive amount is received.",
    )


def is_exchange_information_valid(instrument: dict) -> bool:
    """Only active perpetual instruments are traded by this connector."""
    return (
        isinstance(instrument, dict)
        and instrument.get("kind") == CONSTANTS.PERPETUAL_KIND
        and instrument.get("is_active", True) is not False
    )


class GrvtPerpetualConfigMap(BaseConnectorConfigMap):
    connector: str = CONSTANTS.DEFAULT_DOMAIN
    grvt_perpetual_api_key: SecretStr = Field(
        default=...,
        json_schema_extra={
            "prompt": "Enter your GRVT API key",
            "is_secure": True,
            "is_connect_key": True,
            "prompt_on_new": True,
        },
    )
    grvt_perpetual_private_key: SecretStr = Field(
        default=...,
        json_schema_extra={
            "prompt": "Enter the private key of your GRVT API key's signing wallet",
            "is_secure": True,
            "is_connect_key": True,
            "prompt_on_new": True,
        },
    )
    grvt_perpetual_trading_account_id: SecretStr = Field(
        default=...,
        json_schema_extra={
            "prompt": "Enter your GRVT trading account id (the sub-account id)",
            "is_secure": True,
            "is_connect_key": True,
            "prompt_on_new": True,
        },
    )
    grvt_perpetual_order_expiry_seconds: OrderExpirySeconds = _order_expiry_field()
    grvt_perpetual_cancel_on_disconnect_ms: CancelOnDisconnectMs = _cancel_on_disconnect_field()
    grvt_perpetual_untracked_open_orders: UntrackedOpenOrders = _untracked_open_orders_field()
    grvt_perpetual_funding_paid_is_positive: FundingPaidIsPositive = _funding_paid_is_positive_field()
    grvt_perpetual_order_entry: OrderEntry = _order_entry_field()
    model_config = ConfigDict(title=CONSTANTS.DEFAULT_DOMAIN, hide_input_in_errors=True)


KEYS = GrvtPerpetualConfigMap.model_construct()


class GrvtPerpetualTestnetConfigMap(BaseConnectorConfigMap):
    connector: str = CONSTANTS.TESTNET_DOMAIN
    grvt_perpetual_testnet_api_key: SecretStr = Field(
        default=...,
        json_schema_extra={
            "prompt": "Enter your GRVT testnet API key",
            "is_secure": True,
            "is_connect_key": True,
            "prompt_on_new": True,
        },
    )
    grvt_perpetual_testnet_private_key: SecretStr = Field(
        default=...,
        json_schema_extra={
            "prompt": "Enter the private key of your GRVT testnet API key's signing wallet",
            "is_secure": True,
            "is_connect_key": True,
            "prompt_on_new": True,
        },
    )
    grvt_perpetual_testnet_trading_account_id: SecretStr = Field(
        default=...,
        json_schema_extra={
            "prompt": "Enter your GRVT testnet trading account id (the sub-account id)",
            "is_secure": True,
            "is_connect_key": True,
            "prompt_on_new": True,
        },
    )
    grvt_perpetual_testnet_order_expiry_seconds: OrderExpirySeconds = _order_expiry_field()
    grvt_perpetual_testnet_cancel_on_disconnect_ms: CancelOnDisconnectMs = _cancel_on_disconnect_field()
    grvt_perpetual_testnet_untracked_open_orders: UntrackedOpenOrders = _untracked_open_orders_field()
    grvt_perpetual_testnet_funding_paid_is_positive: FundingPaidIsPositive = _funding_paid_is_positive_field()
    grvt_perpetual_testnet_order_entry: OrderEntry = _order_entry_field()
    model_config = ConfigDict(title=CONSTANTS.TESTNET_DOMAIN, hide_input_in_errors=True)


def connector_config_problems(connectors_dir: Path) -> List[str]:
    """
    One line per invalid setting in the GRVT connector files of `connectors_dir` (conf/connectors/), naming the file
    and the setting; Hummingbot itself would stop with a multi-line validation traceback. Secret values are never
    repeated.
    """
    problems = []
    for config_map in (GrvtPerpetualConfigMap, GrvtPerpetualTestnetConfigMap):
        path = connectors_dir / f"{config_map.model_fields['connector'].default}.yml"
        if not path.exists():
            continue
        try:
            config_map.model_validate(yaml.safe_load(path.read_text()) or {})
        except ValidationError as error:
            for detail in error.errors(include_input=False, include_url=False):
                setting = ".".join(str(part) for part in detail["loc"]) or "(file)"
                problems.append(f"{path}: {setting}: {detail['msg'].removeprefix('Value error, ')}")
        except yaml.YAMLError as error:
            problems.append(f"{path}: not valid YAML ({error.__class__.__name__})")
    return problems


OTHER_DOMAINS = [CONSTANTS.TESTNET_DOMAIN]
OTHER_DOMAINS_PARAMETER = {CONSTANTS.TESTNET_DOMAIN: CONSTANTS.TESTNET_DOMAIN}
OTHER_DOMAINS_EXAMPLE_PAIR = {CONSTANTS.TESTNET_DOMAIN: EXAMPLE_PAIR}
OTHER_DOMAINS_DEFAULT_FEES = {CONSTANTS.TESTNET_DOMAIN: DEFAULT_FEES}
OTHER_DOMAINS_KEYS = {CONSTANTS.TESTNET_DOMAIN: GrvtPerpetualTestnetConfigMap.model_construct()}
