"""A running bot's state as a JSON file, rewritten every second (``bin/hummingbot_grvt.py --status-file PATH``).

Operator tools (the demo's progress display, fleet status) read it instead of parsing logs. One snapshot::

    {"time": 1790000000.1, "strategy": "perpetual_market_making", "connectors": {"grvt_perpetual_testnet": {
        "ready": true, "trading_pairs": ["BTC-USDT"], "mid_prices": {"BTC-USDT": "90001.5"},
        "open_orders": [{"trading_pair": "BTC-USDT", "side": "BUY", "price": "89990", "amount": "0.002",
                         "state": "OPEN"}],
        "positions": [{"trading_pair": "BTC-USDT", "side": "LONG", "amount": "0.002", "entry_price": "89990",
                       "unrealized_pnl": "0.01", "leverage": 5}],
        "order_metrics": {...} | null}}}

``order_metrics`` is the connector's ``order_metrics.summary()`` when it has one (order latencies, reconnects,
errors, retries, circuit state), else null. The file is replaced atomically, so a reader never sees half of it.
"""
import asyncio
import json
import logging
import os
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Optional

if TYPE_CHECKING:  # operator tools import this module to read status files: only the bot imports Hummingbot
    from hummingbot.client.hummingbot_application import HummingbotApplication
    from hummingbot.connector.exchange_base import ExchangeBase

STATUS_INTERVAL_S = 1.0


def _text(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return None if value.is_nan() else format(value, "f")
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, Decimal):
        return _text(value)
    return getattr(value, "name", None) or str(value)


def _mid_price(connector: "ExchangeBase", trading_pair: str) -> Optional[str]:
    try:
        from hummingbot.core.data_type.common import PriceType

        return _text(connector.get_price_by_type(trading_pair, PriceType.MidPrice))
    except Exception:
        return None


def _order_metrics(connector: "ExchangeBase") -> Optional[Dict[str, Any]]:
    metrics = getattr(connector, "order_metrics", None)
    summary = getattr(metrics, "summary", None)
    if not callable(summary):
        return None
    try:
        return _jsonable(summary())
    except Exception:
        return None


def connector_status(connector: "ExchangeBase") -> Dict[str, Any]:
    trading_pairs = list(getattr(connector, "trading_pairs", []) or [])
    open_orders = []
    for order in list(getattr(connector, "in_flight_orders", {}).values()):
        if getattr(order, "is_done", False):
            continue
        open_orders.append({"trading_pair": order.trading_pair, "side": order.trade_type.name,
                            "price": _text(order.price), "amount": _text(order.amount),
                            "state": getattr(order.current_state, "name", str(order.current_state))})
    positions = []
    for position in list(getattr(connector, "account_positions", {}).values()):
        positions.append({"trading_pair": position.trading_pair, "side": position.position_side.name,
                          "amount": _text(position.amount), "entry_price": _text(position.entry_price),
                          "unrealized_pnl": _text(position.unrealized_pnl), "leverage": _text(position.leverage)})
    return {"ready": bool(getattr(connector, "ready", False)), "trading_pairs": trading_pairs,
            "mid_prices": {pair: _mid_price(connector, pair) for pair in trading_pairs},
            "open_orders": open_orders, "positions": positions, "order_metrics": _order_metrics(connector)}


def snapshot(hb: "HummingbotApplication") -> Dict[str, Any]:
    """The state of a HummingbotApplication's connectors now."""
    trading_core = hb.trading_core
    connectors = dict(getattr(trading_core.connector_manager, "connectors", {}) or {})
    return {"time": time.time(), "strategy": getattr(trading_core, "strategy_name", None),
            "connectors": {name: connector_status(connector) for name, connector in connectors.items()}}


def write_atomically(path: Path, payload: Dict[str, Any]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(_jsonable(payload)))
    os.replace(temporary, path)


async def publish_status(hb: "HummingbotApplication", path: Path, interval: float = STATUS_INTERVAL_S) -> None:
    """Rewrites ``path`` every ``interval`` seconds until cancelled."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(__name__)
    reported = set()
    while True:
        try:
            write_atomically(path, snapshot(hb))
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the status file must never stop the bot; each distinct problem is logged once
            if str(error) not in reported:
                reported.add(str(error))
                logger.warning(f"Could not write the status file {path}: {error}")
        await asyncio.sleep(interval)


def read_status(path: Path) -> Optional[Dict[str, Any]]:
    """The last snapshot, or None when there is none yet."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
