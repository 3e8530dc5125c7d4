"""Instrument definitions (GRVT `Instrument` fields) and the registry the engine and gateways share."""
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, Iterator, List, Optional

from grvt_sandbox.numbers import PRICE_DECIMALS, format_decimal, to_scaled

# Currency ids from GRVT's exchange contract (used to derive `instrument_hash`).
CURRENCY_IDS = {
    "USD": 1, "USDC": 2, "USDT": 3, "ETH": 4, "BTC": 5, "SOL": 6, "ARB": 7, "BNB": 8, "ZK": 9, "POL": 10,
    "OP": 11, "ATOM": 12, "KPEPE": 13, "TON": 14, "XRP": 15, "XLM": 16, "WLD": 17, "WIF": 18,
}
KIND_IDS = {"PERPETUAL": 1, "FUTURE": 2, "CALL": 3, "PUT": 4}


def perpetual_asset_id(base: str, quote: str) -> str:
    """`kind | underlying << 8 | quote << 16` as GRVT's hex `instrument_hash` (BTC_USDT_Perp -> 0x030501)."""
    value = KIND_IDS["PERPETUAL"] | CURRENCY_IDS[base] << 8 | CURRENCY_IDS[quote] << 16
    return f"0x{value:06x}"


@dataclass
class InstrumentSpec:
    """Configuration of one perpetual; decimals are strings or Decimals, fee rates are percent (-0.003 = rebate)."""
    base: str
    quote: str = "USDT"
    tick_size: Decimal = Decimal("0.1")
    min_size: Decimal = Decimal("0.001")
    min_notional: Decimal = Decimal("100")
    base_decimals: int = 9
    quote_decimals: int = 6
    max_position_size: Decimal = Decimal("1000")
    funding_interval_hours: int = 8
    funding_rate_cap: Decimal = Decimal("0.3")
    funding_rate_floor: Decimal = Decimal("-0.3")
    max_leverage: Decimal = Decimal("50")
    default_leverage: Decimal = Decimal("10")
    maintenance_margin_ratio: Decimal = Decimal("0.5")  # maintenance margin = this share of max-leverage IM
    maker_fee_rate: Decimal = Decimal("-0.003")
    taker_fee_rate: Decimal = Decimal("0.045")
    initial_price: Decimal = Decimal("90000")
    instrument_hash: Optional[str] = None
    name: Optional[str] = None


def default_instrument_specs() -> List[InstrumentSpec]:
    return [
        InstrumentSpec(base="BTC", tick_size=Decimal("0.1"), min_size=Decimal("0.001"), min_notional=Decimal("100"),
                       max_position_size=Decimal("1000"), initial_price=Decimal("90000")),
        InstrumentSpec(base="ETH", tick_size=Decimal("0.01"), min_size=Decimal("0.01"), min_notional=Decimal("20"),
                       max_position_size=Decimal("20000"), initial_price=Decimal("3000")),
        InstrumentSpec(base="SOL", tick_size=Decimal("0.001"), min_size=Decimal("0.1"), min_notional=Decimal("10"),
                       max_position_size=Decimal("200000"), max_leverage=Decimal("20"),
                       funding_interval_hours=4, initial_price=Decimal("150")),
    ]


@dataclass(eq=False)
class Instrument:
    """An active perpetual with its trading rules pre-scaled to the engine's integers."""
    name: str
    instrument_hash: str
    base: str
    quote: str
    base_decimals: int
    quote_decimals: int
    tick_size: Decimal
    min_size: Decimal
    min_notional: Decimal
    max_position_size: Decimal
    funding_interval_hours: int
    funding_rate_cap: Decimal
    funding_rate_floor: Decimal
    max_leverage: Decimal
    default_leverage: Decimal
    maintenance_margin_ratio: Decimal
    maker_fee_rate: Decimal
    taker_fee_rate: Decimal
    create_time_ns: int
    tick_int: int = 0
    min_size_int: int = 0
    is_active: bool = True
    _json: Optional[dict] = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.tick_int = to_scaled(self.tick_size, PRICE_DECIMALS)
        self.min_size_int = to_scaled(self.min_size, self.base_decimals)
        self.asset_id = int(self.instrument_hash, 16)

    @classmethod
    def from_spec(cls, spec: InstrumentSpec, create_time_ns: int) -> "Instrument":
        return cls(
            name=spec.name or f"{spec.base}_{spec.quote}_Perp",
            instrument_hash=spec.instrument_hash or perpetual_asset_id(spec.base, spec.quote),
            base=spec.base, quote=spec.quote, base_decimals=spec.base_decimals, quote_decimals=spec.quote_decimals,
            tick_size=Decimal(spec.tick_size), min_size=Decimal(spec.min_size),
            min_notional=Decimal(spec.min_notional), max_position_size=Decimal(spec.max_position_size),
            funding_interval_hours=spec.funding_interval_hours, funding_rate_cap=Decimal(spec.funding_rate_cap),
            funding_rate_floor=Decimal(spec.funding_rate_floor), max_leverage=Decimal(spec.max_leverage),
            default_leverage=Decimal(spec.default_leverage),
            maintenance_margin_ratio=Decimal(spec.maintenance_margin_ratio),
            maker_fee_rate=Decimal(spec.maker_fee_rate), taker_fee_rate=Decimal(spec.taker_fee_rate),
            create_time_ns=create_time_ns,
        )

    @property
    def size_scale(self) -> int:
        return 10 ** self.base_decimals

    @property
    def maintenance_margin_rate(self) -> Decimal:
        return self.maintenance_margin_ratio / self.max_leverage

    def to_json(self) -> dict:
        if self._json is None:
            self._json = {
                "instrument": self.name,
                "instrument_hash": self.instrument_hash,
                "base": self.base,
                "quote": self.quote,
                "kind": "PERPETUAL",
                "venues": ["ORDERBOOK", "RFQ"],
                "settlement_period": "PERPETUAL",
                "base_decimals": self.base_decimals,
                "quote_decimals": self.quote_decimals,
                "tick_size": format_decimal(self.tick_size),
                "min_size": format_decimal(self.min_size),
                "create_time": str(self.create_time_ns),
                "max_position_size": format_decimal(self.max_position_size),
                "funding_interval_hours": self.funding_interval_hours,
                "adjusted_funding_rate_cap": format_decimal(self.funding_rate_cap),
                "adjusted_funding_rate_floor": format_decimal(self.funding_rate_floor),
                "min_notional": format_decimal(self.min_notional),
            }
        return self._json


class InstrumentRegistry:
    """Instruments by name, in definition order."""

    def __init__(self) -> None:
        self._by_name: Dict[str, Instrument] = {}

    def add(self, instrument: Instrument) -> Instrument:
        self._by_name[instrument.name] = instrument
        return instrument

    def get(self, name: object) -> Optional[Instrument]:
        return self._by_name.get(name) if isinstance(name, str) else None

    def __getitem__(self, name: str) -> Instrument:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._by_name

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def names(self) -> List[str]:
        return list(self._by_name)
