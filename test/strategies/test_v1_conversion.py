"""V1 pure_market_making and avellaneda_market_making files naming a GRVT connector become GRVT market maker configs
with the same parameters; what cannot carry over is named with the reason."""
import asyncio
from decimal import Decimal

import pytest
import yaml

from controllers.grvt_common import v1_conversion
from controllers.grvt_common.v1_conversion import ConversionError, convert, needs_conversion, write
from controllers.market_making import grvt_market_maker
from controllers.market_making.grvt_market_maker import GrvtMarketMaker, GrvtMarketMakerConfig
from hummingbot.core.data_type.common import TradeType
from test.strategies.fakes import BatchingFakeConnector, FakeClock, market_data_provider

PURE_MARKET_MAKING = """
template_version: 24
strategy: pure_market_making
exchange: grvt_perpetual_testnet
market: btc-usdt
bid_spread: 0.02
ask_spread: 0.03
minimum_spread: -100.0
order_refresh_time: 15.0
max_order_age: 900.0
order_refresh_tolerance_pct: 0.01
order_amount: 0.002
price_ceiling: 95000
price_floor: -1.0
moving_price_band_enabled: false
ping_pong_enabled: true
order_levels: 3
order_level_amount: 0.001
order_level_spread: 0.05
inventory_skew_enabled: true
inventory_target_base_pct: 50.0
inventory_range_multiplier: 2.0
inventory_price: 1.0
filled_order_delay: 30.0
hanging_orders_enabled: true
hanging_orders_cancel_pct: 10.0
order_optimization_enabled: false
ask_order_optimization_depth: 0.0
bid_order_optimization_depth: 0.0
add_transaction_costs: false
price_source: current_market
price_type: last_price
price_source_exchange: null
price_source_market: null
take_if_crossed: null
price_source_custom_api: null
custom_api_update_interval: 5.0
order_override: null
should_wait_order_cancel_confirmation: true
split_order_levels_enabled: false
"""

AVELLANEDA = """
template_version: 0
strategy: avellaneda_market_making
exchange: grvt_perpetual
market: ETH-USDT
execution_timeframe_mode:
  start_time: 09:30:00
  end_time: 16:00:00
order_amount: 0.05
order_optimization_enabled: true
risk_factor: 0.5
order_amount_shape_factor: 0.3
min_spread: 0.01
order_refresh_time: 10.0
max_order_age: 1800.0
order_refresh_tolerance_pct: 0.0
filled_order_delay: 20.0
inventory_target_base_pct: 40.0
add_transaction_costs: false
volatility_buffer_size: 120
trading_intensity_buffer_size: 90
order_levels_mode:
  order_levels: 3
  level_distances: 25.0
order_override: null
hanging_orders_mode:
  hanging_orders_cancel_pct: 10.0
should_wait_order_cancel_confirmation: false
"""


def dropped_keys(conversion):
    return {key for key, _ in conversion.dropped}


def test_pure_market_making_carries_its_parameters_over():
    conversion = convert(yaml.safe_load(PURE_MARKET_MAKING), "my_pmm_grvt")
    config = GrvtMarketMakerConfig(**conversion.controller)
    assert (config.id, config.connector_name, config.trading_pair, config.pricing_mode) == \
        ("my_pmm_grvt", "grvt_perpetual_testnet", "BTC-USDT", "pmm")
    assert (config.bid_spread, config.ask_spread, config.minimum_spread) == (Decimal("0.02"), Decimal("0.03"), -100)
    assert (config.order_amount, config.order_levels, config.order_level_amount, config.order_level_spread) == \
        (Decimal("0.002"), 3, Decimal("0.001"), Decimal("0.05"))
    assert (config.order_refresh_time, config.max_order_age, config.filled_order_delay) == (15.0, 900.0, 30.0)
    assert (config.order_refresh_tolerance_pct, config.price_ceiling, config.price_floor) == \
        (Decimal("0.01"), Decimal(95000), Decimal(-1))
    assert config.inventory_skew_enabled and config.inventory_range_multiplier == 2
    assert config.target_position == 0 and config.max_price_skew_pct == 0 and config.post_only
    assert dropped_keys(conversion) == {"ping_pong_enabled", "hanging_orders_enabled", "price_type"}
    reasons = dict(conversion.dropped)
    assert "mid price" in reasons["price_type"] and "every quote is refreshed" in reasons["hanging_orders_enabled"]
    changed = dict(conversion.changed)
    assert "signed position" in changed["inventory_target_base_pct"]
    assert "should_wait_order_cancel_confirmation" in changed and "leverage" in changed


def test_avellaneda_carries_its_parameters_over():
    conversion = convert(yaml.safe_load(AVELLANEDA), "avellaneda_grvt")
    config = GrvtMarketMakerConfig(**conversion.controller)
    assert (config.pricing_mode, config.connector_name, config.trading_pair) == \
        ("avellaneda", "grvt_perpetual", "ETH-USDT")
    assert (config.risk_factor, config.order_amount_shape_factor, config.min_spread) == \
        (Decimal("0.5"), Decimal("0.3"), Decimal("0.01"))
    assert (config.volatility_buffer_size, config.trading_intensity_buffer_size) == (120, 90)
    # V1 levels step by 25 % of half the optimal spread: 12.5 % of the whole spread
    assert (config.order_levels, config.level_distances) == (3, Decimal("12.5"))
    assert "of half the optimal spread" in dict(conversion.changed)["level_distances"]
    # YAML reads an unquoted 16:00:00 as 57600 seconds; 09:30:00 stays text
    assert (config.execution_timeframe, config.start_time, config.end_time) == \
        ("daily_between_times", "09:30:00", "16:00:00")
    assert dropped_keys(conversion) == {"hanging_orders_mode", "order_optimization_enabled"}
    assert "should_wait_order_cancel_confirmation" not in dict(conversion.changed)


def test_a_v1_volatility_buffer_of_one_sample_carries_over_as_two():
    conversion = convert(dict(yaml.safe_load(AVELLANEDA), volatility_buffer_size=1), "avellaneda_grvt")
    assert GrvtMarketMakerConfig(**conversion.controller).volatility_buffer_size == 2
    assert "1 sample measures no volatility" in dict(conversion.changed)["volatility_buffer_size"]


def test_only_grvt_market_maker_files_are_converted():
    data = yaml.safe_load(PURE_MARKET_MAKING)
    assert needs_conversion(data)
    assert not needs_conversion(dict(data, exchange="binance"))
    assert not needs_conversion(dict(data, strategy="perpetual_market_making"))
    with pytest.raises(ConversionError, match="not a GRVT connector"):
        convert(dict(data, exchange="binance"), "x")
    with pytest.raises(ConversionError, match="cannot be converted"):
        convert(dict(data, strategy="perpetual_market_making"), "x")


def test_bad_values_are_named_on_one_line():
    data = yaml.safe_load(PURE_MARKET_MAKING)
    with pytest.raises(ConversionError) as bad_number:
        convert(dict(data, order_amount="lots"), "x")
    assert str(bad_number.value) == "order_amount: 'lots' is not a number"
    with pytest.raises(ConversionError, match="order_levels: 2.5 is not a whole number"):  # V1 takes whole levels only
        convert(dict(data, order_levels=2.5), "x")
    with pytest.raises(ConversionError) as invalid:
        convert(dict(data, order_amount="-1"), "x")
    assert "order_amount" in str(invalid.value) and "\n" not in str(invalid.value)


def test_written_configs_load_and_explain_the_conversion(tmp_path):
    conversion = convert(yaml.safe_load(PURE_MARKET_MAKING), "my_pmm_grvt")
    controller_path, script_path = write(conversion, tmp_path / "controllers", tmp_path / "scripts")
    text = controller_path.read_text()
    assert text.startswith("# Converted from the pure_market_making file my_pmm_grvt.yml")
    assert "# not carried over: hanging_orders_enabled:" in text
    config = GrvtMarketMakerConfig(**yaml.safe_load(text))
    assert config.order_levels == 3 and config.bid_spread == Decimal("0.02")
    assert yaml.safe_load(script_path.read_text()) == {"script_file_name": "grvt_v2_controllers.py",
                                                       "controllers_config": ["my_pmm_grvt.yml"]}


def test_command_line(tmp_path, capsys):
    v1_file = tmp_path / "my_pmm.yml"
    v1_file.write_text(PURE_MARKET_MAKING)
    assert v1_conversion.main([str(v1_file), "--conf-dir", str(tmp_path / "conf")]) == 0
    out = capsys.readouterr().out
    assert "pure_market_making -> GRVT market maker" in out and "not carried over: ping_pong_enabled" in out
    assert (tmp_path / "conf" / "controllers" / "my_pmm_grvt.yml").is_file()
    assert v1_conversion.main([str(tmp_path / "missing.yml")]) == 1
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize("levels, level_amount", [(12, "0"), (5, "0.002")])
async def test_the_whole_v1_ladder_is_quoted_while_flat(monkeypatch, levels, level_amount):
    """The converted quoting limit leaves room for every level of the V1 ladder on both sides (10 order amounts is
    less than 12 levels, or than 5 levels growing by one order amount each)."""
    monkeypatch.setattr(grvt_market_maker, "time", FakeClock())
    data = dict(yaml.safe_load(PURE_MARKET_MAKING), order_levels=levels, order_level_amount=level_amount,
                inventory_skew_enabled=False, price_ceiling=-1)
    config = GrvtMarketMakerConfig(**convert(data, "ladder").controller)
    connector = BatchingFakeConnector()
    controller = GrvtMarketMaker(config, market_data_provider(connector), asyncio.Queue())
    await controller.control_task()
    assert len(connector.open_orders(TradeType.BUY)) == levels
    assert len(connector.open_orders(TradeType.SELL)) == levels


@pytest.mark.parametrize("text, misspelt", [(PURE_MARKET_MAKING, "bid_spred"), (AVELLANEDA, "risk_facto")])
def test_a_misspelt_setting_is_refused_not_dropped(text, misspelt):
    """Hummingbot would refuse or ignore a key its strategy does not have; the conversion must not quote on with the
    market maker's default in its place."""
    data = yaml.safe_load(text)
    with pytest.raises(ConversionError, match=f"{misspelt}.* not a setting of {data['strategy']}"):
        convert(dict(data, **{misspelt: 0.5}), "x")


@pytest.mark.parametrize("text, required", [(PURE_MARKET_MAKING, "bid_spread"), (PURE_MARKET_MAKING, "order_amount"),
                                            (AVELLANEDA, "order_amount"), (AVELLANEDA, "order_refresh_time")])
def test_a_setting_v1_requires_is_not_filled_in_with_a_default(text, required):
    """Hummingbot asks for these (no default); left empty, the conversion would have quoted the market maker's own
    default (0.001 BTC orders, a 0.05 % spread) in their place."""
    data = yaml.safe_load(text)
    with pytest.raises(ConversionError, match=f"{required}: .*required"):
        convert(dict(data, **{required: None}), "x")
    data.pop(required)
    with pytest.raises(ConversionError, match=f"{required}: .*required"):
        convert(data, "x")


def test_a_converted_config_edited_since_is_not_overwritten_by_converting_again(tmp_path):
    """The conversion note says to set leverage (and the kill switch) in the converted config; running the V1 file
    again converts it again, and would silently put the edited config back to the conversion's values."""
    controllers, scripts = tmp_path / "controllers", tmp_path / "scripts"
    conversion = convert(yaml.safe_load(PURE_MARKET_MAKING), "my_pmm_grvt")
    controller_path, _ = write(conversion, controllers, scripts)
    write(conversion, controllers, scripts)  # unchanged since: converted again
    changed = yaml.safe_load(PURE_MARKET_MAKING.replace("bid_spread: 0.02", "bid_spread: 0.04"))
    write(convert(changed, "my_pmm_grvt"), controllers, scripts)  # the V1 file changed: converted again
    assert GrvtMarketMakerConfig(**yaml.safe_load(controller_path.read_text())).bid_spread == Decimal("0.04")
    edited = controller_path.read_text().replace("leverage: 1", "leverage: 5")
    controller_path.write_text(edited)
    with pytest.raises(ConversionError, match="--v2 my_pmm_grvt.yml"):
        write(conversion, controllers, scripts)
    assert controller_path.read_text() == edited
    assert "--v2 my_pmm_grvt.yml" in dict(conversion.changed)["leverage"]


def test_the_written_configs_name_the_v1_file_they_come_from(tmp_path):
    v1_file = tmp_path / "my_pmm.yml"
    v1_file.write_text(PURE_MARKET_MAKING)
    _, controller_path, script_path = v1_conversion.convert_file(v1_file, tmp_path / "controllers",
                                                                 tmp_path / "scripts")
    assert controller_path.read_text().startswith("# Converted from the pure_market_making file my_pmm.yml:")
    assert "(converted from my_pmm.yml)" in script_path.read_text()


def test_avellaneda_names_how_its_inventory_is_measured():
    """V1 weighs the risk factor by the base asset's excess over its target as a share of the whole portfolio; the
    market maker by the position over its quoting limit: the same risk factor skews differently, which is said."""
    changed = dict(convert(yaml.safe_load(AVELLANEDA), "avellaneda_grvt").changed)
    assert "position limit" in changed["risk_factor"] and "share of the portfolio" in changed["risk_factor"]
