"""
What Hummingbot's connector discovery reads from the GRVT perpetual connector: fees, example pair and the key
config maps of the mainnet connector and of its testnet domain.

Keys: an API key created on GRVT (API Keys page) carries a trading permission for one sub-account. GRVT shows three
values: the API key, the private key of the key's signing wallet (orders are signed with it, EIP-712) and the
trading account id (the sub-account id, a decimal number).
"""
import re
from decimal import Decimal
from typing import List, Optional

from pydantic import ConfigDict, Field, SecretStr

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
    model_config = ConfigDict(title=CONSTANTS.TESTNET_DOMAIN, hide_input_in_errors=True)


OTHER_DOMAINS = [CONSTANTS.TESTNET_DOMAIN]
OTHER_DOMAINS_PARAMETER = {CONSTANTS.TESTNET_DOMAIN: CONSTANTS.TESTNET_DOMAIN}
OTHER_DOMAINS_EXAMPLE_PAIR = {CONSTANTS.TESTNET_DOMAIN: EXAMPLE_PAIR}
OTHER_DOMAINS_DEFAULT_FEES = {CONSTANTS.TESTNET_DOMAIN: DEFAULT_FEES}
OTHER_DOMAINS_KEYS = {CONSTANTS.TESTNET_DOMAIN: GrvtPerpetualTestnetConfigMap.model_construct()}
