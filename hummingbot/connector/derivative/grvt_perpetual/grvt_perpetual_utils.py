"""
What Hummingbot's connector discovery reads from the GRVT perpetual connector: fees, example pair and the key
config maps of the mainnet connector and of its testnet domain.
"""
import contextlib
import functools
from decimal import Decimal
from typing import Annotated, Any, Callable, Dict, Optional, Tuple, Type, TypeVar

from pydantic import BeforeValidator, Field, SecretStr, create_model

from hummingbot.client.config.config_data_types import BaseConnectorConfigMap
from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS
from hummingbot.core.data_type.trade_fee import TradeFeeSchema

T = TypeVar("T")

CENTRALIZED = True
EXAMPLE_PAIR = "BTC-USDT"

# GRVT's entry tier (help.grvt.io fee schedule, 30-day volume below the first threshold); higher tiers pay less,
# down to a maker rebate at the top tier.
DEFAULT_FEES = TradeFeeSchema(
    maker_percent_fee_decimal=Decimal("0.00027"),
    taker_percent_fee_decimal=Decimal("0.00055"),
    buy_percent_fee_deducted_from_returns=False,
)

UNTRACKED_ORDERS_REPORT = "report"
UNTRACKED_ORDERS_CANCEL = "cancel"
ORDER_ENTRY_WEBSOCKET = "websocket"
ORDER_ENTRY_REST = "rest"
ORDER_EXPIRY_MIN_SECONDS = 10
_BOOLEAN_WORDS = {"true": True, "yes": True, "y": True, "1": True, "on": True,
                  "false": False, "no": False, "n": False, "0": False, "off": False}


def _unset_means(default: Any) -> Callable[[Callable[[Any], T]], Callable[[Any], T]]:
    """
    The shape of every option validator: None and blank strings give the default (Hummingbot builds non-trading
    instances with "" for every config field); other values are checked, a bad one raises a one-line ValueError.
    """
    def decorate(check: Callable[[Any], T]) -> Callable[[Any], T]:
        @functools.wraps(check)
        def validate(value: Any) -> T:
            return default if value is None or (isinstance(value, str) and not value.strip()) else check(value)
        return validate
    return decorate


def _invalid(problem: str, value: Any) -> ValueError:
    return ValueError(f"The GRVT {problem}, got {value!r}.")


def _number(value: Any, problem: str, whole: bool = False) -> float:
    if not isinstance(value, bool):
        with contextlib.suppress(TypeError, ValueError, OverflowError):
            number = float(value)
            if not whole or number.is_integer():
                return number
    raise _invalid(problem, value)


def _choice(name: str, choices: Tuple[str, str]) -> Callable[[Any], str]:
    """A validator accepting one of two words (any case); the first is the default."""
    @_unset_means(choices[0])
    def validate(value: Any) -> str:
        choice = value.strip().lower() if isinstance(value, str) else value
        if choice not in choices:
            raise _invalid(f"{name} must be '{choices[0]}' or '{choices[1]}'", value)
        return choice
    return validate


@_unset_means(None)
def order_expiry_seconds_option(value: Any) -> Optional[float]:
    """Order signature lifetime in seconds; None when unset (the connector then uses the quote lifetime)."""
    seconds = _number(value, "order expiry must be a number of seconds")
    if not ORDER_EXPIRY_MIN_SECONDS <= seconds <= CONSTANTS.MAX_SIGNATURE_EXPIRY_SECONDS:
        raise _invalid(f"order expiry must be between {ORDER_EXPIRY_MIN_SECONDS} seconds and 30 days "
                       f"({CONSTANTS.MAX_SIGNATURE_EXPIRY_SECONDS} seconds)", value)
    return seconds


@_unset_means(0)
def cancel_on_disconnect_ms_option(value: Any) -> int:
    """GRVT's cancel-on-disconnect countdown in milliseconds; 0 (the default) switches it off."""
    milliseconds = _number(value, "cancel-on-disconnect countdown must be a whole number of milliseconds", whole=True)
    low, high = CONSTANTS.CANCEL_ON_DISCONNECT_MIN_MS, CONSTANTS.CANCEL_ON_DISCONNECT_MAX_MS
    if milliseconds and not low <= milliseconds <= high:
        raise _invalid(f"cancel-on-disconnect countdown must be 0 (off) or between {low} and {high} ms", value)
    return int(milliseconds)


@_unset_means(True)
def funding_paid_is_positive_option(value: Any) -> bool:
    """Whether a positive GRVT funding `amount` is paid by the account (GRVT's spec; the default)."""
    paid = value if isinstance(value, bool) else _BOOLEAN_WORDS.get(str(value).strip().lower())
    if paid is None:
        raise _invalid("funding sign option must be true or false", value)
    return paid


def trading_account_id_option(value: Any, field: str, trading_required: bool) -> str:
    """The trading account id as GRVT's JSON carries it (a uint64 in decimal), "" only when not trading; the value of
    this secure field is never repeated."""
    text = "" if value is None else str(value).strip()
    if (text or trading_required) and not (text.isascii() and text.isdecimal() and int(text) < 2 ** 64):
        raise ValueError(f"The GRVT {field} (the sub-account id GRVT shows with the API key) must be a whole decimal "
                         f"number from 0 to {2 ** 64 - 1}{', it is empty' if not text else ' (value not shown)'}.")
    return text


untracked_open_orders_option = _choice("untracked open orders policy",
                                       (UNTRACKED_ORDERS_REPORT, UNTRACKED_ORDERS_CANCEL))
order_entry_option = _choice("order entry", (ORDER_ENTRY_WEBSOCKET, ORDER_ENTRY_REST))


def _option_fields() -> Dict[str, Tuple[Any, Any]]:
    """Field suffix -> (type, field) of the options, connect keys so that Hummingbot passes them to the constructor.
    They have no prompt (`connect` asks only for fields that are required or prompt_on_new): Hummingbot writes their
    defaults to conf/connectors/<connector>.yml, where users edit them; files written before they existed load with
    the defaults."""
    def option(kind: Any, check: Callable[[Any], Any], default: Any, description: str) -> Tuple[Any, Any]:
        extra: Dict[str, Any] = {"is_secure": False, "is_connect_key": True, "prompt_on_new": False}
        return Annotated[kind, BeforeValidator(check)], Field(default, description=description, json_schema_extra=extra)

    low, high = CONSTANTS.CANCEL_ON_DISCONNECT_MIN_MS, CONSTANTS.CANCEL_ON_DISCONNECT_MAX_MS
    quote_expiry = CONSTANTS.DEFAULT_QUOTE_EXPIRY_SECONDS
    return {
        "order_expiry_seconds": option(
            Optional[float], order_expiry_seconds_option, None,
            f"Lifetime of order signatures in seconds (= lifetime of GTT orders on GRVT), {ORDER_EXPIRY_MIN_SECONDS} "
            f"to {CONSTANTS.MAX_SIGNATURE_EXPIRY_SECONDS} (30 days).\nnull (the default): {quote_expiry} seconds, or "
            f"GRVT_PERPETUAL_QUOTE_EXPIRY_SECONDS when that environment variable is set."),
        "cancel_on_disconnect_ms": option(
            int, cancel_on_disconnect_ms_option, 0,
            f"GRVT cancel-on-disconnect countdown in ms: 0 = off, or {low} to {high}. When on, the connector re-arms "
            "it\nevery third of the countdown; if the bot stops or loses the network, GRVT cancels all open orders."),
        "untracked_open_orders": option(
            str, untracked_open_orders_option, UNTRACKED_ORDERS_REPORT,
            "Open orders of the traded pairs that this bot does not track, found at start: report (log) or cancel."),
        "funding_paid_is_positive": option(
            bool, funding_paid_is_positive_option, True,
            "Sign of GRVT funding payment amounts: true = a positive amount is paid by the account (GRVT's spec),\n"
            "false = a positive amount is received."),
        "order_entry": option(
            str, order_entry_option, ORDER_ENTRY_WEBSOCKET,
            "Order entry: websocket = JSON-RPC on GRVT's trades socket (REST while the socket is down), rest = REST "
            "only."),
    }


def _config_map(class_name: str, connector: str, network: str) -> Type[BaseConnectorConfigMap]:
    """The config map of one domain: the three values GRVT's API Keys page shows for a key (which trades for one
    sub-account), prompted by `connect`, then the options. Hummingbot validates the secrets' stored, encrypted values
    when it loads them, so their formats are not checked here (the connector checks the trading account id)."""
    def secret(prompt: str) -> Tuple[Any, Any]:
        extra: Dict[str, Any] = {"prompt": prompt, "is_secure": True, "is_connect_key": True, "prompt_on_new": True}
        return SecretStr, Field(default=..., json_schema_extra=extra)

    return create_model(  # type: ignore[call-overload]  # mypy matches the ** fields against the named options
        class_name, __base__=BaseConnectorConfigMap, __module__=__name__,
        __cls_kwargs__={"title": connector, "hide_input_in_errors": True},
        connector=(str, connector),
        **{f"{connector}_api_key": secret(f"Enter your GRVT {network}API key"),
           f"{connector}_private_key": secret(f"Enter the private key of your GRVT {network}API key's signing wallet"),
           f"{connector}_trading_account_id": secret(
               f"Enter your GRVT {network}trading account id (the sub-account id)")},
        **{f"{connector}_{suffix}": field for suffix, field in _option_fields().items()},
    )


GrvtPerpetualConfigMap = _config_map("GrvtPerpetualConfigMap", CONSTANTS.DEFAULT_DOMAIN, "")
GrvtPerpetualTestnetConfigMap = _config_map("GrvtPerpetualTestnetConfigMap", CONSTANTS.TESTNET_DOMAIN, "testnet ")
KEYS = GrvtPerpetualConfigMap.model_construct()

OTHER_DOMAINS = [CONSTANTS.TESTNET_DOMAIN]
OTHER_DOMAINS_PARAMETER = {CONSTANTS.TESTNET_DOMAIN: CONSTANTS.TESTNET_DOMAIN}
OTHER_DOMAINS_EXAMPLE_PAIR = {CONSTANTS.TESTNET_DOMAIN: EXAMPLE_PAIR}
OTHER_DOMAINS_DEFAULT_FEES = {CONSTANTS.TESTNET_DOMAIN: DEFAULT_FEES}
OTHER_DOMAINS_KEYS = {CONSTANTS.TESTNET_DOMAIN: GrvtPerpetualTestnetConfigMap.model_construct()}
