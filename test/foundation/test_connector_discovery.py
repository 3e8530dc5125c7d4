"""Hummingbot must discover this repository's GRVT connector, not the copy it ships."""
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OUR_CONNECTOR = REPO / "hummingbot" / "connector" / "derivative" / "grvt_perpetual"


def test_hummingbot_root_is_this_repository():
    import hummingbot

    assert hummingbot.root_path() == REPO
    assert Path(hummingbot.__file__).parent == REPO / "hummingbot"


@pytest.mark.parametrize("connector_name", ["grvt_perpetual", "grvt_perpetual_testnet"])
def test_connector_settings_list_grvt_domains(connector_name):
    from hummingbot.client.settings import AllConnectorSettings, ConnectorType

    settings = AllConnectorSettings.create_connector_settings()
    assert connector_name in settings
    setting = settings[connector_name]
    assert setting.type == ConnectorType.Derivative
    assert setting.module_name() == "grvt_perpetual_derivative"


@pytest.mark.parametrize("module_suffix", ["derivative", "utils", "constants", "web_utils", "auth"])
def test_connector_modules_come_from_this_repository(module_suffix):
    module = importlib.import_module(
        f"hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_{module_suffix}")
    assert Path(module.__file__).resolve().parent == OUR_CONNECTOR.resolve()


def test_connector_class_resolves_through_hummingbot_settings():
    from hummingbot.client.settings import AllConnectorSettings

    setting = AllConnectorSettings.create_connector_settings()["grvt_perpetual_testnet"]
    connector_class = setting.class_name()
    module = importlib.import_module(setting.module_path())
    assert Path(module.__file__).resolve().parent == OUR_CONNECTOR.resolve()
    assert hasattr(module, connector_class)
    init_params = setting.conn_init_parameters(api_keys={
        "grvt_perpetual_testnet_api_key": "k",
        "grvt_perpetual_testnet_private_key": "p",
        "grvt_perpetual_testnet_trading_account_id": "1",
    })
    assert init_params["domain"] == "grvt_perpetual_testnet"
    assert init_params["grvt_perpetual_api_key"] == "k"


def test_upstream_copy_is_not_on_the_import_path():
    overlay_entry = REPO / "hummingbot" / "connector" / "derivative" / "grvt_perpetual"
    assert overlay_entry.is_dir() and not overlay_entry.is_symlink()


def test_grvt_candles_feed_imports_with_our_connector_constants():
    """Hummingbot's GRVT candles feed imports the connector's constants and web utils by name."""
    from hummingbot.data_feed.candles_feed.candles_factory import CandlesFactory  # noqa: F401
    from hummingbot.data_feed.candles_feed.grvt_perpetual_candles import GrvtPerpetualCandles

    candles = GrvtPerpetualCandles(trading_pair="BTC-USDT", interval="1m")
    assert candles.candles_url.startswith("http")
    assert candles.wss_url.startswith("ws")
