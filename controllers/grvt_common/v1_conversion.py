"""Turns a V1 ``pure_market_making`` or ``avellaneda_market_making`` strategy file that names a GRVT connector into
a GRVT market maker controller config (conf/controllers/) and a script config that runs it (conf/scripts/).

Hummingbot's V1 market makers accept spot connectors only, and size their sells from a base-asset balance a perpetual
account does not have. The GRVT market maker keeps their parameters and meaning, with the signed position as the
inventory. What cannot carry over is named with the reason, and written at the top of the controller config.

    python -m controllers.grvt_common.v1_conversion conf/strategies/my_pmm.yml    # writes the two configs
    bin/hummingbot_grvt.py --convert-v1 my_pmm.yml                                 # the same, from conf/strategies/
    bin/hummingbot_grvt.py --headless -f my_pmm.yml                                # converts and runs it
"""
import argparse
import hashlib
import sys
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Type, TypeGuard, Union

import yaml

CONVERTIBLE = ("pure_market_making", "avellaneda_market_making")
REQUIRED = {"pure_market_making": ("bid_spread", "ask_spread", "order_amount", "order_refresh_time"),
            "avellaneda_market_making": ("order_amount", "order_refresh_time")}  # V1 asks for these: no default
SCRIPT_FILE = "grvt_v2_controllers.py"
CONTROLLER_NAME = "grvt_market_maker"


class ConversionError(Exception):
    """A V1 file that cannot become a market maker config; the message says why, on one line."""


@dataclass
class Conversion:
    name: str
    strategy: str
    connector: str
    controller: Dict[str, Any]
    changed: List[Tuple[str, str]] = field(default_factory=list)  # (parameter, how it carries over)
    dropped: List[Tuple[str, str]] = field(default_factory=list)  # (parameter, why it does not)
    source_file: Optional[str] = None  # the V1 file's name

    @property
    def source(self) -> str:
        return self.source_file or f"{self.name}.yml"

    @property
    def controller_file(self) -> str:
        return f"{self.name}.yml"

    @property
    def script_file(self) -> str:
        return f"{self.name}.yml"

    def script(self) -> Dict[str, Any]:
        return {"script_file_name": SCRIPT_FILE, "controllers_config": [self.controller_file]}

    def summary_lines(self) -> List[str]:
        lines = [f"  changed: {key}: {how}" for key, how in self.changed]
        lines += [f"  not carried over: {key}: {why}" for key, why in self.dropped]
        return lines


def is_grvt_connector(name: Any) -> TypeGuard[str]:
    return isinstance(name, str) and name.startswith("grvt_perpetual")


def needs_conversion(data: Any) -> bool:
    """A V1 market maker file whose exchange is a GRVT connector."""
    return isinstance(data, dict) and data.get("strategy") in CONVERTIBLE and is_grvt_connector(data.get("exchange"))


def load_v1(path: Path) -> Dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConversionError(f"{path}: no such file")
    except yaml.YAMLError as error:
        raise ConversionError(f"{path}: not valid YAML ({str(error).splitlines()[0]})")
    if not isinstance(data, dict):
        raise ConversionError(f"{path}: not a strategy file (expected key: value lines)")
    return data


def read_v1(path: Path) -> Optional[Dict[str, Any]]:
    """The file's settings; None when it is missing or unreadable (Hummingbot reports that itself)."""
    try:
        return load_v1(path)
    except (ConversionError, OSError):
        return None


def convert(data: Dict[str, Any], name: str) -> Conversion:
    strategy = data.get("strategy")
    if strategy not in CONVERTIBLE:
        raise ConversionError(f"strategy {strategy!r} cannot be converted; only {' and '.join(CONVERTIBLE)} can")
    connector = data.get("exchange")
    if not is_grvt_connector(connector):
        raise ConversionError(f"exchange {connector!r} is not a GRVT connector (grvt_perpetual or "
                              f"grvt_perpetual_testnet)")
    market = data.get("market")
    if not isinstance(market, str) or "-" not in market:
        raise ConversionError(f"market {market!r} is not a trading pair like BTC-USDT")
    unknown = sorted(str(key) for key in set(data) - _v1_settings(strategy))
    if unknown:  # Hummingbot would not run such a file; the market maker's defaults would take the settings' place
        raise ConversionError(f"{', '.join(unknown)}: not a setting of {strategy}; check the spelling")
    missing = [key for key in REQUIRED[strategy] if data.get(key) is None]
    if missing:
        raise ConversionError(f"{', '.join(missing)}: required by {strategy}, and not set")
    conversion = Conversion(name=name, strategy=strategy, connector=connector, controller={
        "id": name,
        "controller_name": CONTROLLER_NAME,
        "controller_type": "market_making",
        "connector_name": connector,
        "trading_pair": market.upper(),
        "position_mode": "ONEWAY",
    })
    _Converter(data, conversion).run()
    _validate(conversion)
    return conversion


class _Converter:
    def __init__(self, data: Dict[str, Any], conversion: Conversion):
        self.data = data
        self.out = conversion.controller
        self.conversion = conversion

    def value(self, key: str, default: Any = None) -> Any:
        value = self.data.get(key)
        return default if value is None else value

    def copy(self, key: str, target: Optional[str] = None, kind: Type[Union[int, float, Decimal]] = Decimal) -> None:
        value = self.data.get(key)
        if value is None:
            return
        try:
            self.out[target or key] = _number(value, kind)
        except (InvalidOperation, ValueError):
            raise ConversionError(f"{key}: {value!r} is not a {'whole ' if kind is int else ''}number")

    def change(self, key: str, how: str) -> None:
        self.conversion.changed.append((key, how))

    def drop_if(self, condition: bool, key: str, why: str) -> None:
        if condition:
            self.conversion.dropped.append((key, why))

    def run(self) -> None:
        self.out["leverage"] = 1
        self.change("leverage", f"1 (spot strategies have none); to change it, edit conf/controllers/"
                                f"{self.conversion.controller_file} and run it with --v2 {self.conversion.script_file}")
        if self.conversion.strategy == "pure_market_making":
            self.pure_market_making()
        else:
            self.avellaneda()
        self.common()

    def common(self) -> None:
        for key in ("order_amount", "order_refresh_tolerance_pct"):
            self.copy(key)
        for key in ("order_refresh_time", "max_order_age", "filled_order_delay"):
            self.copy(key, kind=float)
        self.position_limit()
        target = self.data.get("inventory_target_base_pct")
        if target is not None:
            self.out["target_position"] = 0
            self.change("inventory_target_base_pct",
                        f"{target} % of a base-asset balance has no meaning on a perpetual: the inventory is the "
                        f"signed position, steered to target_position 0 (flat)")
        self.drop_if(_truthy(self.data.get("add_transaction_costs")), "add_transaction_costs",
                     "fees are not added to quote prices (GRVT pays maker rebates at some tiers)")
        self.drop_if(bool(self.data.get("order_override")), "order_override",
                     "custom order lists are not supported; the ladder comes from order_levels")
        if _truthy(self.value("should_wait_order_cancel_confirmation", True)):
            self.change("should_wait_order_cancel_confirmation",
                        "a requote cancels and places in the same batch; the position limit counts orders still "
                        "being cancelled")

    def position_limit(self) -> None:
        """10 order amounts (max_position 0), or twice one side of the order ladder when that is larger: the limit
        counts live orders, so a smaller one would leave the outer levels unquoted even with no position."""
        amount = self.out.get("order_amount", Decimal(0))
        one_side = sum((amount + self.out.get("order_level_amount", 0) * level
                        for level in range(self.out.get("order_levels", 1))), Decimal(0))
        if one_side * 2 > amount * 10:
            self.out["max_position"] = one_side * 2
            self.change("position limit", f"quotes never build more than {one_side * 2} of position, twice one side "
                                          f"of the order ladder (max_position)")
        else:
            self.out["max_position"] = 0
            self.change("position limit", "quotes never build more than 10 order amounts of position (max_position)")

    def pure_market_making(self) -> None:
        self.out["pricing_mode"] = "pmm"
        for key in ("bid_spread", "ask_spread", "minimum_spread", "order_level_spread", "order_level_amount",
                    "price_ceiling", "price_floor", "inventory_range_multiplier"):
            self.copy(key)
        self.copy("order_levels", kind=int)
        self.out["inventory_skew_enabled"] = _truthy(self.data.get("inventory_skew_enabled"))
        self.out["max_price_skew_pct"] = 0
        if self.out["inventory_skew_enabled"]:
            self.change("inventory_skew_enabled", "skews order sizes as before (max_price_skew_pct 0: no price skew)")
        self.drop_if(_truthy(self.data.get("moving_price_band_enabled")), "moving_price_band_enabled",
                     "the moving price band is not supported; price_ceiling and price_floor stay fixed")
        self.drop_if(_truthy(self.data.get("ping_pong_enabled")), "ping_pong_enabled",
                     "ping pong is not supported; the inventory skew balances the position instead")
        self.drop_if(_truthy(self.data.get("hanging_orders_enabled")), "hanging_orders_enabled",
                     "hanging orders are not supported; every quote is refreshed")
        self.drop_if(_truthy(self.data.get("order_optimization_enabled")), "order_optimization_enabled",
                     "best bid/ask jumping is not supported; quotes keep their spreads")
        self.drop_if(_truthy(self.data.get("split_order_levels_enabled")), "split_order_levels_enabled",
                     "per-level spread and amount lists are not supported; the ladder comes from order_levels")
        self.price_source()

    def price_source(self) -> None:
        source = self.value("price_source", "current_market")
        self.drop_if(source != "current_market", "price_source",
                     f"{source} is not supported: quotes are priced from the connector's own order book")
        price_type = self.value("price_type", "mid_price")
        self.drop_if(price_type not in ("mid_price", "custom") and source == "current_market", "price_type",
                     f"{price_type} is not supported: quotes are priced from the mid price")

    def avellaneda(self) -> None:
        self.out["pricing_mode"] = "avellaneda"
        for key in ("risk_factor", "order_amount_shape_factor", "min_spread"):
            self.copy(key)
        for key in ("volatility_buffer_size", "trading_intensity_buffer_size"):
            self.copy(key, kind=int)
        if self.out.get("volatility_buffer_size") == 1:  # valid in V1, but one sample gives no volatility
            self.out["volatility_buffer_size"] = 2
            self.change("volatility_buffer_size", "1 sample measures no volatility: 2 samples")
        self.out["max_price_skew_pct"] = 0
        self.change("risk_factor", f"{self.out.get('risk_factor', 1)} weighs the inventory as the position over the "
                                   f"position limit (max_position), where V1 took the base asset's excess as a share "
                                   f"of the portfolio: with a limit smaller than the portfolio, the same value moves "
                                   f"the quotes more for the same position")
        self.order_levels_mode(self.data.get("order_levels_mode"))
        self.execution_timeframe(self.data.get("execution_timeframe_mode"))
        hanging = self.data.get("hanging_orders_mode")
        tracks_hanging = (isinstance(hanging, dict) and "hanging_orders_cancel_pct" in hanging) or \
            hanging == "track_hanging_orders"
        self.drop_if(tracks_hanging, "hanging_orders_mode",
                     "hanging orders are not supported; every quote is refreshed")
        self.drop_if(_truthy(self.value("order_optimization_enabled", True)), "order_optimization_enabled",
                     "best bid/ask jumping is not supported; quotes stay at the optimal spread")

    def order_levels_mode(self, mode: Any) -> None:
        if isinstance(mode, dict) and mode.get("order_levels") is not None:
            self.out["order_levels"] = _number(mode["order_levels"], int)
            # V1 steps its levels by level_distances % of half the optimal spread; ours are % of the whole spread.
            distances = _number(mode.get("level_distances", 0), Decimal)
            self.out["level_distances"] = distances / 2
            if distances:
                self.change("level_distances", f"{distances} % of half the optimal spread (V1's step) is "
                                               f"{distances / 2} % of the whole spread, the market maker's unit")
        elif mode == "multi_order_level":
            self.out["order_levels"] = 2
        else:
            self.out["order_levels"] = 1

    def execution_timeframe(self, mode: Any) -> None:
        if isinstance(mode, dict) and mode.get("start_datetime") is not None:
            self.out.update(execution_timeframe="from_date_to_date", start_time=_clock_text(mode["start_datetime"]),
                            end_time=_clock_text(mode.get("end_datetime")))
        elif isinstance(mode, dict) and mode.get("start_time") is not None:
            self.out.update(execution_timeframe="daily_between_times", start_time=_clock_text(mode["start_time"]),
                            end_time=_clock_text(mode.get("end_time")))
        elif mode in (None, {}, "infinite") or isinstance(mode, dict):
            self.out["execution_timeframe"] = "infinite"
        else:
            raise ConversionError(f"execution_timeframe_mode {mode!r} needs its start and end")


def _v1_settings(strategy: str) -> set:
    if strategy == "pure_market_making":
        from hummingbot.strategy.pure_market_making.pure_market_making_config_map import pure_market_making_config_map
        names = set(pure_market_making_config_map)
    else:
        from hummingbot.strategy.avellaneda_market_making.avellaneda_market_making_config_map_pydantic import (
            AvellanedaMarketMakingConfigMap,
        )
        names = set(AvellanedaMarketMakingConfigMap.model_fields)
    return names | {"template_version"}


def _validate(conversion: Conversion) -> None:
    from controllers.market_making.grvt_market_maker import GrvtMarketMakerConfig

    try:
        GrvtMarketMakerConfig(**conversion.controller)
    except Exception as error:
        first = str(error).splitlines()
        detail = " ".join(line.strip() for line in first[1:3]) if len(first) > 1 else str(error)
        raise ConversionError(f"the converted config is not valid: {detail}")


def _clock_text(value: Any) -> Optional[str]:
    """A time or date-time as text; YAML reads an unquoted 10:30:00 as 37800 seconds (base 60)."""
    if value is None:
        return None
    if isinstance(value, int):
        return f"{value // 3600:02d}:{value % 3600 // 60:02d}:{value % 60:02d}"
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "date") else value.isoformat()
    return str(value)


def _number(value: Any, kind: Type[Union[int, float, Decimal]]) -> Union[int, float, Decimal]:
    if kind is int:
        number = Decimal(str(value))
        if number != number.to_integral_value():
            raise ValueError(value)
        return int(number)
    if kind is float:
        return float(Decimal(str(value)))
    return Decimal(str(value))


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "y", "1")
    return bool(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 10 ** 12 else float(value)
    return value


def write(conversion: Conversion, controllers_dir: Path, scripts_dir: Path) -> Tuple[Path, Path]:
    """Writes the controller config (with the conversion notes on top) and the script config. A controller config
    changed since it was written is kept: the conversion refuses instead of undoing the edit."""
    controllers_dir.mkdir(parents=True, exist_ok=True)
    scripts_dir.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump({key: _plain(value) for key, value in conversion.controller.items()}, sort_keys=False)
    header = [f"# Converted from the {conversion.strategy} file {conversion.source}: the GRVT market maker with "
              f"the same parameters."]
    header += [f"# {line.strip()}" for line in conversion.summary_lines()]
    header.append(f"{CHECKSUM_MARK}{_checksum(body)}; edited, run it with --v2 {conversion.script_file})")
    controller_path = controllers_dir / conversion.controller_file
    if controller_path.is_file() and _edited(controller_path.read_text()):
        raise ConversionError(f"{controller_path} was changed after its conversion: run it with --v2 "
                              f"{conversion.script_file}, or delete it to convert again")
    controller_path.write_text("\n".join(header) + "\n" + body)
    script_path = scripts_dir / conversion.script_file
    script_path.write_text(f"# Runs conf/controllers/{conversion.controller_file} (converted from "
                           f"{conversion.source}).\n" + yaml.safe_dump(conversion.script(), sort_keys=False))
    return controller_path, script_path


CHECKSUM_MARK = "# (written by the conversion: checksum "


def _checksum(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _edited(text: str) -> bool:
    """A config that is not the conversion's output as written (files converted before the checksum count as
    written)."""
    if not text.startswith("# Converted from the "):
        return True
    lines = text.splitlines(keepends=True)
    header_length = next((index for index, line in enumerate(lines) if not line.startswith("#")), len(lines))
    marks = [line[len(CHECKSUM_MARK):].split(";")[0] for line in lines[:header_length]
             if line.startswith(CHECKSUM_MARK)]
    return bool(marks) and marks[0] != _checksum("".join(lines[header_length:]))


def converted_name(v1_file: str) -> str:
    return f"{Path(v1_file).stem}_grvt"


def convert_file(path: Path, controllers_dir: Path, scripts_dir: Path) -> Tuple[Conversion, Path, Path]:
    conversion = convert(load_v1(path), converted_name(path.name))
    conversion.source_file = path.name
    controller_path, script_path = write(conversion, controllers_dir, scripts_dir)
    return conversion, controller_path, script_path


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("v1_file", help="a pure_market_making or avellaneda_market_making strategy file")
    parser.add_argument("--conf-dir", default="conf", help="Hummingbot's conf/ folder to write into (default: conf)")
    args = parser.parse_args(argv)
    try:
        conf_dir = Path(args.conf_dir)
        conversion, controller_path, script_path = convert_file(Path(args.v1_file), conf_dir / "controllers",
                                                                conf_dir / "scripts")
    except ConversionError as error:
        print(f"v1_conversion: {error}", file=sys.stderr)
        return 1
    print(f"{args.v1_file}: {conversion.strategy} -> GRVT market maker: {controller_path}, {script_path}")
    for line in conversion.summary_lines():
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
