"""Market fields shared by the GRVT controller configs (mixed into their config classes), and their field helpers."""
from typing import Any, Sequence, Type

import yaml
from pydantic import BaseModel, Field, field_validator

from hummingbot.core.data_type.common import MarketDict, PositionMode

# Hummingbot writes config files with yaml's SafeDumper, which knows Decimal and its own enums but not PositionMode:
# without this, `create --controller-config` could not save a config that has a position_mode.
yaml.add_representer(PositionMode, lambda dumper, mode: dumper.represent_str(mode.name), Dumper=yaml.SafeDumper)


def config_field(default: Any, prompt: str, on_new: bool = False, updatable: bool = True, **constraints: Any) -> Any:
    """A config field as Hummingbot's `create` shows it: prompted for new configs when `on_new`, editable while the
    controller runs when `updatable`; `constraints` are pydantic's (ge, gt...)."""
    return Field(default=default, json_schema_extra={"prompt": prompt, "prompt_on_new": on_new,
                                                     "is_updatable": updatable}, **constraints)


def one_of(field: str, choices: Sequence[str]) -> Any:
    """A validator of `field` accepting only `choices` (assign it in the config class body)."""
    def check(cls: Type[BaseModel], value: str) -> str:
        if value not in choices:
            raise ValueError(f"{field} must be one of {', '.join(choices)}, got {value!r}")
        return value
    return field_validator(field)(check)


class MarketSettings(BaseModel):
    connector_name: str = Field(
        default="grvt_perpetual", json_schema_extra={
            "prompt": "Enter the connector (grvt_perpetual or grvt_perpetual_testnet): ", "prompt_on_new": True})
    trading_pair: str = Field(
        default="BTC-USDT", json_schema_extra={
            "prompt": "Enter the trading pair (e.g. BTC-USDT): ", "prompt_on_new": True})
    leverage: int = Field(
        default=5, ge=1, json_schema_extra={
            "prompt": "Enter the leverage (e.g. 5): ", "prompt_on_new": True})
    position_mode: PositionMode = Field(
        default=PositionMode.ONEWAY, json_schema_extra={
            "prompt": "Position mode (GRVT trades one-way positions: ONEWAY): "})

    @field_validator("position_mode", mode="before")
    @classmethod
    def validate_position_mode(cls, value: object) -> PositionMode:
        if isinstance(value, str):
            value = value.replace("PositionMode.", "").strip().upper()
            if value not in PositionMode.__members__:
                raise ValueError(f"position_mode must be ONEWAY, got {value!r}")
            value = PositionMode[value]
        if value is not PositionMode.ONEWAY:
            raise ValueError("the GRVT controllers trade one-way positions: position_mode must be ONEWAY")
        return value

    @field_validator("trading_pair")
    @classmethod
    def validate_trading_pair(cls, value: str) -> str:
        parts = value.split("-")
        if len(parts) != 2 or not all(parts):
            raise ValueError(f"trading_pair must look like BASE-QUOTE, got {value!r}")
        return value.upper()

    def update_markets(self, markets: MarketDict) -> MarketDict:
        # Hummingbot's MarketDict (GroupedSetDict[str, Set[str]]) types the pairs add_or_update takes as sets
        return markets.add_or_update(self.connector_name, self.trading_pair)  # type: ignore[arg-type]
