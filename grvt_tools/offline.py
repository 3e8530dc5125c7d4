"""Quiet Hummingbot on a machine without internet, or on the sandbox: only the exchanges the user chose are contacted.

Out of the box Hummingbot reaches exchanges nobody asked for: it downloads the markets of its paper-trade exchanges
(Binance, KuCoin, Kraken, Gate.IO: "error requesting exchange info", "Error getting server time") and its rate
oracle polls Gate.IO. Offline mode (``bin/hummingbot_grvt.py --offline``, on by default when a GRVT URL points at
this machine) changes the running process only, never ``conf_client.yml``:

- paper-trade connectors are not registered, so their markets are not fetched;
- the rate oracle takes its prices from the order books of the connectors the bot runs (``ConnectorPricesRateSource``)
  instead of a public exchange (``grvt_tools.connector_rate_source``).
"""
import ipaddress
import os
from typing import TYPE_CHECKING, Mapping
from urllib.parse import urlsplit

if TYPE_CHECKING:  # the launcher imports this module before Hummingbot, which it sets up first
    from hummingbot.client.hummingbot_application import HummingbotApplication

GRVT_URL_SUFFIXES = ("BASE_URL", "EDGE_URL", "TRADES_URL", "MARKET_DATA_URL", "TRADES_WS_URL", "MARKET_DATA_WS_URL")


def is_local_url(url: str) -> bool:
    host = urlsplit(url.strip()).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def grvt_points_at_this_machine(environ: Mapping[str, str] = os.environ) -> bool:
    """True when a GRVT gateway URL override points at a loopback address (the local sandbox)."""
    return any(is_local_url(value) for key, value in environ.items()
               if key.startswith("GRVT_PERPETUAL") and key.endswith(GRVT_URL_SUFFIXES) and value)


def quiet_paper_trade() -> None:
    """Unregisters the paper-trade connectors before anything fetches their markets (settings file untouched)."""
    from hummingbot.client.settings import AllConnectorSettings

    for name in list(AllConnectorSettings.paper_trade_connectors_names):
        AllConnectorSettings.all_connector_settings.pop(f"{name}_paper_trade", None)
    AllConnectorSettings.paper_trade_connectors_names = []


def apply_offline_mode(hb: "HummingbotApplication") -> None:
    """Call right after ``bootstrap_application`` returns, before the event loop runs anything else."""
    from grvt_tools.connector_rate_source import ConnectorPricesRateSource
    from hummingbot.core.rate_oracle.rate_oracle import RateOracle

    quiet_paper_trade()
    RateOracle.get_instance().source = ConnectorPricesRateSource(
        lambda: hb.trading_core.connector_manager.connectors)
