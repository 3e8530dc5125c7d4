"""The synthetic market of the GRVT sandbox: per instrument a seeded mid-price process (a fair value with
volatility regimes and jumps, plus short-lived microstructure noise) that drives the engine's index, a background
liquidity ladder and Poisson taker flow with an informed share, occasional sweeps and a lean into the noise moves.
With the defaults an order resting at the touch trades within a minute in about 99 % of cases.

Start it on the sandbox engine (inside the running event loop):

    simulator = MarketSimulator(exchange, default_market_config(seed=7))
    simulator.start()                  # one task per instrument, a step every `step_seconds`
    simulator.move_price("BTC_USDT_Perp", 95000)   # admin / tests
    simulator.jump("BTC_USDT_Perp", -0.02)
    await simulator.stop()             # also withdraws the background liquidity

Tests drive it without sleeping: `simulator.step(n)`.
"""
from grvt_sandbox.market.config import (
    InstrumentMarketConfig,
    LiquidityConfig,
    MarketConfig,
    PriceProcessConfig,
    TakerFlowConfig,
    default_market_config,
    generic_instrument_config,
)
from grvt_sandbox.market.price_process import MidPriceProcess, Regime
from grvt_sandbox.market.simulator import InstrumentMarketStats, MarketSimulator

__all__ = [
    "InstrumentMarketConfig",
    "InstrumentMarketStats",
    "LiquidityConfig",
    "MarketConfig",
    "MarketSimulator",
    "MidPriceProcess",
    "PriceProcessConfig",
    "Regime",
    "TakerFlowConfig",
    "default_market_config",
    "generic_instrument_config",
]
