"""The synthetic market: per instrument a mid-price process, a background liquidity ladder and taker flow.

Each step moves the mid, re-centres the ladder on it and then lets the takers trade; the takers learn the step's
microstructure-noise move, because in a real book that move is their footprint (a dip comes with sellers).

Driven step by step (`step()`), it is deterministic for a given seed and venue, and tests run it without
sleeping. Started (`start()`), it steps every instrument in its own asyncio task, paced by the venue's clock.
"""
import asyncio
import logging
import random
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Union

from grvt_sandbox.engine.exchange import Exchange
from grvt_sandbox.market.config import InstrumentMarketConfig, MarketConfig, generic_instrument_config, ladder_for_tick
from grvt_sandbox.market.engine_venue import EngineVenue
from grvt_sandbox.market.liquidity import LiquidityLadder
from grvt_sandbox.market.price_process import MidPriceProcess, Regime
from grvt_sandbox.market.sizing import index_price_decimal
from grvt_sandbox.market.taker_flow import TakerFlow
from grvt_sandbox.market.venue import InstrumentRules, MarketVenue, TimeInForce, VenueOrder

# the engine's sub-account ids are uint64 decimal strings
DEFAULT_MAKER_ACCOUNT_ID = "9100000000000001"
DEFAULT_TAKER_ACCOUNT_ID = "9100000000000002"
MAX_CATCH_UP_STEPS = 10
FAILURE_LOG_EVERY = 100  # a persistent failure is logged on its first step and then every this many steps

logger = logging.getLogger(__name__)


def component_rng(seed: int, instrument: str, component: str) -> random.Random:
    """One independent stream per instrument and component: changing the taker settings of one instrument does
    not change any price path. String seeds are hashed with SHA-512, so this is stable across processes."""
    return random.Random(f"grvt-sandbox-market:{seed}:{instrument}:{component}")


@dataclass(slots=True)
class InstrumentMarketStats:
    steps: int = 0
    turbulent_steps: int = 0
    jumps: int = 0
    taker_arrivals: int = 0
    taker_orders: int = 0
    informed_orders: int = 0
    informed_skipped: int = 0
    rejected_orders: int = 0
    ladder_placed: int = 0
    ladder_cancelled: int = 0
    ladder_replenished: int = 0


class InstrumentMarket:
    def __init__(self,
                 venue: MarketVenue,
                 config: InstrumentMarketConfig,
                 seed: int,
                 step_seconds: float,
                 maker_account_id: str,
                 taker_account_id: str):
        self.instrument = config.instrument
        self.config = config
        self.rules = venue.instrument_rules(config.instrument) or InstrumentRules(
            tick_size=config.tick_size, min_size=config.min_size, min_notional=config.min_notional)
        price_config = config.price
        reference_price = venue.reference_price(config.instrument)
        if reference_price is not None and reference_price > 0:
            price_config = replace(price_config, initial_price=float(reference_price))
        self.process = MidPriceProcess(price_config, step_seconds, component_rng(seed, self.instrument, "price"))
        ladder_config = ladder_for_tick(config.liquidity, config.tick_size, self.rules.tick_size)
        self.ladder = LiquidityLadder(venue, maker_account_id, self.instrument, ladder_config, self.rules,
                                      component_rng(seed, self.instrument, "liquidity"))
        self.taker_flow = TakerFlow(config.taker_flow, self.rules, step_seconds,
                                    component_rng(seed, self.instrument, "takers"))
        self.stats = InstrumentMarketStats()
        self._venue = venue
        self._taker_account_id = taker_account_id
        self._primed = False

    @property
    def mid(self) -> float:
        return self.process.mid

    def step(self) -> None:
        self.prime()
        price_step = self.process.advance()
        stats = self.stats
        stats.steps += 1
        stats.jumps += price_step.jump_count
        if price_step.regime is Regime.TURBULENT:
            stats.turbulent_steps += 1
        self.publish_mid()
        self._trade(self.process.standardised_noise_move(price_step))

    def prime(self) -> None:
        """Publishes the index and places the ladder before the first step."""
        if not self._primed:
            self._primed = True
            self.publish_mid()

    def publish_mid(self) -> None:
        mid = self.process.mid
        self._venue.set_index_price(self.instrument, index_price_decimal(mid))
        change = self.ladder.refresh(mid)
        self.stats.ladder_placed += change.placed
        self.stats.ladder_cancelled += change.cancelled
        self.stats.ladder_replenished += change.replenished

    def withdraw(self) -> None:
        self.ladder.withdraw()

    def _trade(self, noise_move: float) -> None:
        best_bid, best_ask = self._venue.best_bid_ask(self.instrument)
        future_mid = self.process.peek(self.taker_flow.informed_horizon_steps)
        draw = self.taker_flow.draw(self.process.mid, future_mid, best_bid, best_ask, noise_move=noise_move)
        stats = self.stats
        stats.taker_arrivals += draw.arrivals
        stats.informed_skipped += draw.informed_skipped
        for intent in draw.intents:
            order_id = self._venue.submit(VenueOrder(
                account_id=self._taker_account_id,
                instrument=self.instrument,
                is_buy=intent.is_buy,
                price=intent.limit_price,
                size=intent.size,
                time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL,
            ))
            if order_id is None:
                stats.rejected_orders += 1
                continue
            stats.taker_orders += 1
            if intent.informed:
                stats.informed_orders += 1


class MarketSimulator:
    """`MarketSimulator(exchange_or_venue, config)`: give it the sandbox engine's `Exchange` (its market accounts
    are created there) or any `MarketVenue`."""

    def __init__(self, venue: Union[Exchange, MarketVenue], config: Optional[MarketConfig] = None):
        self._config = config or MarketConfig()
        maker_account_id = self._config.maker_account_id or DEFAULT_MAKER_ACCOUNT_ID
        taker_account_id = self._config.taker_account_id or DEFAULT_TAKER_ACCOUNT_ID
        if isinstance(venue, Exchange):
            venue = EngineVenue(venue, account_ids=(maker_account_id, taker_account_id))
        self._venue: MarketVenue = venue
        self._markets: Dict[str, InstrumentMarket] = {
            market_config.instrument: InstrumentMarket(venue, market_config, self._config.seed,
                                                       self._config.step_seconds, maker_account_id,
                                                       taker_account_id)
            for market_config in self._instrument_configs()
        }
        self._tasks: List[asyncio.Task] = []

    def _instrument_configs(self) -> List[InstrumentMarketConfig]:
        """The configured instruments the venue lists, plus (when enabled) generic ones for the venue's others."""
        listed = self._venue.instrument_names()
        configured = {market.instrument: market for market in self._config.instruments}
        missing = [name for name in configured if name not in listed]
        if missing:
            logger.warning("The venue does not list %s; the synthetic market leaves them out.", missing)
        selected = [market for name, market in configured.items() if name in listed]
        if self._config.simulate_unlisted_instruments:
            for name in listed:
                if name in configured:
                    continue
                rules = self._venue.instrument_rules(name)
                price = self._venue.reference_price(name)
                if rules is None or price is None or price <= 0:
                    continue
                selected.append(generic_instrument_config(name, price, rules.tick_size, rules.min_size,
                                                          rules.min_notional))
        return selected

    @property
    def config(self) -> MarketConfig:
        return self._config

    @property
    def instruments(self) -> List[str]:
        return list(self._markets)

    @property
    def is_running(self) -> bool:
        return any(not task.done() for task in self._tasks)

    def market(self, instrument: str) -> InstrumentMarket:
        try:
            return self._markets[instrument]
        except KeyError:
            raise KeyError(f"the synthetic market does not simulate {instrument!r}; "
                           f"simulated instruments: {sorted(self._markets)}") from None

    def mid(self, instrument: str) -> float:
        return self.market(instrument).mid

    def stats(self, instrument: str) -> InstrumentMarketStats:
        return self.market(instrument).stats

    def prime(self) -> None:
        for market in self._markets.values():
            market.prime()

    def step(self, steps: int = 1) -> None:
        """Advances every instrument by `steps` steps, instrument after instrument in config order."""
        for _ in range(steps):
            for market in self._markets.values():
                market.step()

    def move_price(self, instrument: str, price: float) -> None:
        """Admin: sets the mid now and re-centres the ladder; the process continues from there."""
        market = self.market(instrument)
        market.process.set_mid(float(price))
        market.publish_mid()

    def jump(self, instrument: str, relative_move: float) -> float:
        """Admin: moves the mid by `relative_move` (0.02 = +2 %) now; returns the new mid."""
        market = self.market(instrument)
        new_mid = market.process.apply_jump(float(relative_move))
        market.publish_mid()
        return new_mid

    def set_regime(self, instrument: str, regime: Regime) -> None:
        self.market(instrument).process.force_regime(regime)

    def start(self) -> None:
        """Starts one pacing task per instrument on the running event loop. Idempotent."""
        if self.is_running:
            return
        self.prime()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._run(market), name=f"synthetic-market-{name}")
                       for name, market in self._markets.items()]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._config.cancel_orders_on_stop:
            for market in self._markets.values():
                try:
                    market.withdraw()
                except Exception:
                    logger.exception("Could not withdraw the background liquidity of %s.", market.instrument)

    async def _run(self, market: InstrumentMarket) -> None:
        interval_ns = int(self._config.step_seconds * 1e9)
        next_due_ns = self._venue.now_ns() + interval_ns
        consecutive_failures = 0
        while True:
            delay_ns = next_due_ns - self._venue.now_ns()
            await asyncio.sleep(min(max(delay_ns, 0), interval_ns) / 1e9)
            try:
                market.step()
                consecutive_failures = 0
            except Exception:
                # a failing venue call must not stop the market
                if consecutive_failures % FAILURE_LOG_EVERY == 0:
                    logger.exception("Synthetic market step failed for %s (%d consecutive failures).",
                                     market.instrument, consecutive_failures + 1)
                consecutive_failures += 1
            next_due_ns += interval_ns
            lag_ns = self._venue.now_ns() - next_due_ns
            if lag_ns > MAX_CATCH_UP_STEPS * interval_ns:
                next_due_ns = self._venue.now_ns()
