"""Status lines shared by the GRVT controllers (Hummingbot's ``status`` command, the log and MQTT)."""
from decimal import Decimal
from typing import Any, Dict, List, Optional

from controllers.grvt_common.kill_switch import KillSwitch
from controllers.grvt_common.latency import LatencyTracker, format_percentiles
from controllers.grvt_common.pnl import PnlBreakdown


def pnl_line(pnl: PnlBreakdown, quote: str) -> str:
    return (f"PnL {quote}: spread capture {pnl.spread_capture:+.4f} | inventory {pnl.inventory:+.4f} | "
            f"fees -{pnl.fees_paid:.4f} | rebates +{pnl.rebates:.4f} | funding {pnl.funding:+.4f} | "
            f"total {pnl.total:+.4f} ({pnl.fills} fills, volume {pnl.volume_quote:.2f})")


def connector_metrics(connector: Any) -> Optional[Dict[str, Any]]:
    metrics = getattr(connector, "order_metrics", None)
    if metrics is None or not hasattr(metrics, "summary"):
        return None
    try:
        return metrics.summary()
    except Exception:
        return None


def latency_lines(latency: Optional[LatencyTracker], connector: Any) -> List[str]:
    lines = []
    if latency is not None:
        summary = latency.summary()
        lines.append("latency ms: " + format_percentiles("tick->quote", summary["tick_to_quote_ms"]) + " | "
                     + format_percentiles("quote->ack", summary["quote_to_ack_ms"]))
    metrics = connector_metrics(connector)
    if metrics:
        stages = [format_percentiles(name.replace("_ms", "").replace("_to_", "->"), metrics.get(name) or {})
                  for name in ("submit_to_send_ms", "send_to_ack_ms", "ack_to_open_ms")]
        counters = ", ".join(f"{name} {metrics[name]}" for name in ("reconnects", "errors", "retries", "circuit_open")
                             if name in metrics)
        lines.append("connector ms: " + " | ".join(stages) + (f" | {counters}" if counters else ""))
    return lines


def position_line(position: Decimal, base: str, limit: Optional[Decimal], equity: Optional[Decimal],
                  kill_switch: KillSwitch, quote: str) -> str:
    text = f"position {position:+f} {base}"
    if limit:
        text += f" (quoting limit {limit})"
    if equity is not None:
        text += f" | equity {equity:.4f} {quote}"
        drawdown = kill_switch.drawdown(equity)
        if kill_switch.start_equity is not None:
            text += f" (start {kill_switch.start_equity:.4f}, drawdown {drawdown:.4f})"
    return text
