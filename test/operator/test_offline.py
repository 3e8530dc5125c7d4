"""Offline mode: no paper-trade markets, rate oracle from the bot's own prices, on by default on the sandbox."""
import importlib.util
from decimal import Decimal

import pytest

from grvt_tools.bot_root import REPO
from grvt_tools.connector_rate_source import ConnectorPricesRateSource
from grvt_tools.offline import grvt_points_at_this_machine, is_local_url, quiet_paper_trade


def load_launcher():
    spec = importlib.util.spec_from_file_location("hummingbot_grvt_launcher", REPO / "bin" / "hummingbot_grvt.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("environ, expected", [
    ({"GRVT_PERPETUAL_TESTNET_BASE_URL": "http://127.0.0.1:7070"}, True),
    ({"GRVT_PERPETUAL_TRADES_WS_URL": "ws://localhost:1/ws/full"}, True),
    ({"GRVT_PERPETUAL_BASE_URL": "https://edge.grvt.io"}, False),
    ({"OTHER_BASE_URL": "http://127.0.0.1:1"}, False),
    ({}, False),
])
def test_sandbox_urls_are_recognised(environ, expected):
    assert grvt_points_at_this_machine(environ) is expected


def test_loopback_detection():
    assert is_local_url("http://[::1]:80") and is_local_url("http://127.0.0.2")
    assert not is_local_url("http://10.0.0.1") and not is_local_url("not a url")


@pytest.mark.parametrize("argv, environ, expected", [
    ([], {"GRVT_PERPETUAL_TESTNET_BASE_URL": "http://127.0.0.1:1"}, True),
    ([], {}, False),
    (["--offline"], {}, True),
    (["--no-offline"], {"GRVT_PERPETUAL_TESTNET_BASE_URL": "http://127.0.0.1:1"}, False),
    ([], {"GRVT_OFFLINE": "true"}, True),
    ([], {"GRVT_OFFLINE": "0", "GRVT_PERPETUAL_BASE_URL": "http://127.0.0.1:1"}, False),
])
def test_launcher_offline_default(argv, environ, expected):
    launcher = load_launcher()
    args = launcher.resolve_arguments(launcher.build_parser().parse_args(argv), environ)
    assert args.offline is expected


def test_status_file_is_for_headless_runs_only():
    launcher = load_launcher()
    with pytest.raises(launcher.LaunchError, match="--status-file"):
        launcher.resolve_arguments(launcher.build_parser().parse_args(["--status-file", "s.json"]), {})


class FakeConnector:
    def __init__(self, ready, prices):
        self.ready, self._prices = ready, prices
        self.trading_pairs = list(prices)

    def get_price_by_type(self, trading_pair, price_type):
        return self._prices[trading_pair]


async def test_rate_source_uses_only_the_bots_connectors():
    connectors = {"grvt_perpetual": FakeConnector(True, {"BTC-USDT": Decimal("90000"), "ETH-USDT": Decimal("NaN")}),
                  "not_ready": FakeConnector(False, {"SOL-USDT": Decimal("150")})}
    source = ConnectorPricesRateSource(lambda: connectors)
    assert source.name == "connectors"
    assert await source.get_prices("USDT") == {"BTC-USDT": Decimal("90000")}


def test_paper_trade_connectors_are_unregistered_in_memory(monkeypatch):
    from hummingbot.client.settings import AllConnectorSettings

    settings = dict(AllConnectorSettings.get_connector_settings())
    monkeypatch.setattr(AllConnectorSettings, "all_connector_settings", settings)
    monkeypatch.setattr(AllConnectorSettings, "paper_trade_connectors_names", [])
    AllConnectorSettings.initialize_paper_trade_settings(["binance", "kucoin"])
    assert "binance_paper_trade" in AllConnectorSettings.all_connector_settings
    quiet_paper_trade()
    assert "binance_paper_trade" not in AllConnectorSettings.all_connector_settings
    assert "kucoin_paper_trade" not in AllConnectorSettings.all_connector_settings
    assert AllConnectorSettings.paper_trade_connectors_names == []
    assert "binance" in AllConnectorSettings.all_connector_settings
