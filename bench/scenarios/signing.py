"""Order signing rate through each connector's own order-building path (what it does per order it places), plus,
for our side, bench/signing_rate.py's signature-only comparison of our signer with the eth_account path."""
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Dict, Tuple, Union

from bench.harness import ChildContext, new_connector
from hummingbot.connector.perpetual_derivative_py_base import PerpetualDerivativePyBase

if TYPE_CHECKING:  # upstream's connector, which the child may import, has no GrvtInstrument
    from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import GrvtInstrument

TRADING_PAIR = "BTC-USDT"
MIN_SECONDS = 1.0
MIN_ORDERS = 200
Instrument = Union["GrvtInstrument", Dict[str, Any]]  # ours, or upstream's instrument JSON


def _order_builder(connector: PerpetualDerivativePyBase, trading_pair: str, symbol: str,
                   instrument: Instrument) -> Callable[[int], Dict[str, Any]]:
    """A function(i) building and signing order i the way the connector does when it places an order."""
    from hummingbot.core.data_type.common import OrderType, TradeType
    amount, base_price = Decimal("0.002"), Decimal("81000")
    if hasattr(connector, "order_factory"):  # ours
        def build(i: int) -> Dict[str, Any]:
            return connector.order_factory.build(
                client_order_id=str((1 << 63) + i), instrument=instrument, is_buy=bool(i % 2), amount=amount,
                order_type=OrderType.LIMIT, price=base_price + i % 500, reduce_only=False, expiry_seconds=None)
    else:  # upstream
        def build(i: int) -> Dict[str, Any]:
            return connector._auth.get_order_payload(  # type: ignore[attr-defined]  # upstream's; mypy sees ours
                instrument=instrument, client_order_id=str((1 << 63) + i), exchange_symbol=symbol, amount=amount,
                price=base_price + i % 500, trade_type=TradeType.BUY if i % 2 else TradeType.SELL,
                order_type=OrderType.LIMIT, reduce_only=False)
    return build


async def _instrument(connector: PerpetualDerivativePyBase, trading_pair: str) -> Tuple[str, Instrument]:
    symbol = await connector.exchange_symbol_associated_to_pair(trading_pair)
    if hasattr(connector, "_instrument_for_pair"):
        return symbol, await connector._instrument_for_pair(trading_pair)
    return symbol, connector._instrument_info_by_symbol[symbol]


def _rate(build: Callable[[int], Dict[str, Any]]) -> float:
    count, started = 0, time.perf_counter()
    while count < MIN_ORDERS or time.perf_counter() - started < MIN_SECONDS:
        build(count)
        count += 1
    return count / (time.perf_counter() - started)


def _signer_only_rate() -> float:
    from bench import signing_rate
    from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_signer import GrvtPerpetualOrderSigner
    orders = signing_rate.random_orders(2000)
    signer = GrvtPerpetualOrderSigner(signing_rate.DEMO_PRIVATE_KEY, chain_id=signing_rate.CHAIN_ID)
    return signing_rate.rate(lambda order: signer.sign_order(**order), orders, 3)


def _eth_account_only_rate() -> float:
    from eth_account import Account

    from bench import signing_rate
    orders = signing_rate.random_orders(300)
    account = Account.from_key(signing_rate.DEMO_PRIVATE_KEY)
    return signing_rate.rate(lambda order: signing_rate.sign_with_eth_account(account, order), orders, 3)


async def run(ctx: ChildContext) -> dict:
    connector = new_connector([TRADING_PAIR], trading_required=False)
    await connector._update_trading_rules()
    symbol, instrument = await _instrument(connector, TRADING_PAIR)
    build = _order_builder(connector, TRADING_PAIR, symbol, instrument)
    build(0)  # warm-up: caches, lazy imports
    result = {"orders_per_s": _rate(build)}
    if ctx.side == "ours":
        # bench/signing_rate.py imports our signer, so both signature-only figures are taken here
        result["signer_only_per_s"] = _signer_only_rate()
        result["eth_account_only_per_s"] = _eth_account_only_rate()
    return result
