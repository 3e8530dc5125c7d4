"""Market fields shared by the GRVT controller configs (mixed into their config classes)."""
import yaml
from pydantic import BaseModel, Field, field_validator

from hummingbot.core.data_type.common import MarketDict, PositionMode

# Hummingbot writes config files with yaml's SafeDumper, which knows Decimal and its own enums but not PositionMode:
# without this, `create --controller-config` could not save a config that has a position_mode.
yaml.add_representer(PositionMode, lambda dumper, mode: dumper.represent_str(mode.name), Dumper=yaml.SafeDumper)


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
    def validate_position_mode(cls, value):
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
        return markets.add_or_update(self.connector_name, self.trading_pair)
