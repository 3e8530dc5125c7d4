"""Parameters of the synthetic market, with demo defaults for BTC, ETH and SOL perpetuals."""
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Optional, Tuple

SECONDS_PER_YEAR = 365.0 * 24.0 * 3600.0  # crypto trades around the clock
DEFAULT_SEED = 20260922


@dataclass(frozen=True)
class PriceProcessConfig:
    """A fair value on a log-price random walk with a two-state (calm / turbulent) Markov volatility regime and
    jumps, and a mid that deviates from it by mean-reverting microstructure noise.

    Jump log-returns are double exponential: a random sign times an exponential magnitude. The noise is an
    Ornstein-Uhlenbeck log deviation with stationary standard deviation `microstructure_noise_bps` and half-life
    `noise_half_life_s`; 0 bps gives a plain random-walk mid.
    """
    initial_price: float
    calm_annual_vol: float = 0.5
    turbulent_annual_vol: float = 1.2
    calm_mean_duration_s: float = 600.0
    turbulent_mean_duration_s: float = 120.0
    jumps_per_hour: float = 4.0
    turbulent_jump_multiplier: float = 3.0
    mean_jump_abs_return: float = 0.002
    microstructure_noise_bps: float = 0.0
    noise_half_life_s: float = 0.2

    def __post_init__(self) -> None:
        if self.initial_price <= 0:
            raise ValueError(f"initial_price must be positive, got {self.initial_price}")
        if self.calm_annual_vol < 0 or self.turbulent_annual_vol < 0:
            raise ValueError("annual volatilities must not be negative")
        if self.calm_mean_duration_s <= 0 or self.turbulent_mean_duration_s <= 0:
            raise ValueError("regime mean durations must be positive")
        if self.jumps_per_hour < 0 or self.turbulent_jump_multiplier < 0 or self.mean_jump_abs_return < 0:
            raise ValueError("jump parameters must not be negative")
        if self.microstructure_noise_bps < 0 or self.noise_half_life_s <= 0:
            raise ValueError("need microstructure_noise_bps >= 0 and noise_half_life_s > 0")


@dataclass(frozen=True)
class LiquidityConfig:
    """Background maker ladder. Levels sit on a grid of `level_spacing_ticks`, so a mid move only replaces the
    levels at the edges of the ladder instead of every order."""
    level_size: Decimal
    levels_per_side: int = 12
    first_level_ticks: int = 2
    level_spacing_ticks: int = 10
    size_growth_per_level: float = 0.2
    size_jitter: float = 0.3

    def __post_init__(self) -> None:
        if self.levels_per_side < 1:
            raise ValueError("levels_per_side must be at least 1")
        if self.first_level_ticks < 1 or self.level_spacing_ticks < 1:
            raise ValueError("first_level_ticks and level_spacing_ticks must be at least 1")
        if self.level_size <= 0:
            raise ValueError("level_size must be positive")
        if not 0 <= self.size_jitter < 1:
            raise ValueError("size_jitter must be in [0, 1)")


def ladder_for_tick(config: LiquidityConfig, designed_tick: Decimal, venue_tick: Decimal) -> LiquidityConfig:
    """The same ladder, in price terms, on a venue whose tick is `venue_tick` rather than `designed_tick`."""
    if designed_tick == venue_tick:
        return config
    ratio = designed_tick / venue_tick
    return replace(
        config,
        first_level_ticks=max(1, int((config.first_level_ticks * ratio).to_integral_value())),
        level_spacing_ticks=max(1, int((config.level_spacing_ticks * ratio).to_integral_value())),
    )


@dataclass(frozen=True)
class TakerFlowConfig:
    """Poisson taker arrivals. A share of them is informed: they see the mid `informed_horizon_steps` ahead and
    trade towards it, never paying more than that future mid. The others trade a random side with an aggressive
    IOC limit `max_slippage_bps` away from the mid.

    Sizes are log-normal around `median_size`; a `sweep_share` of the arrivals are sweeps, log-normal around
    `sweep_size_multiple` times the median, which walk several levels into the book. Sizes are capped at
    `max_size`, which should stay well below the depth of one side of the ladder.

    The microstructure noise of the mid is the footprint of the uninformed flow: with `noise_flow_coupling` > 0
    an uninformed taker buys with probability Phi(coupling * z), z being the step's noise move in standard
    deviations, and with `noise_volume_coupling` = k > 0 the arrival rate is scaled by (1 + k z^2) / (1 + k),
    which averages to 1. Both 0: sides are fair coin flips and the rate is constant."""
    median_size: Decimal
    max_size: Decimal
    arrivals_per_second: float = 1.0
    informed_share: float = 0.2
    size_dispersion: float = 0.8
    informed_horizon_steps: int = 5
    max_slippage_bps: float = 25.0
    sweep_share: float = 0.0
    sweep_size_multiple: float = 10.0
    noise_flow_coupling: float = 0.0
    noise_volume_coupling: float = 0.0

    def __post_init__(self) -> None:
        if self.arrivals_per_second < 0:
            raise ValueError("arrivals_per_second must not be negative")
        if not 0 <= self.informed_share <= 1:
            raise ValueError("informed_share must be in [0, 1]")
        if self.median_size <= 0 or self.max_size < self.median_size:
            raise ValueError("need 0 < median_size <= max_size")
        if self.informed_horizon_steps < 1:
            raise ValueError("informed_horizon_steps must be at least 1")
        if self.max_slippage_bps <= 0:
            raise ValueError("max_slippage_bps must be positive")
        if not 0 <= self.sweep_share <= 1:
            raise ValueError("sweep_share must be in [0, 1]")
        if self.sweep_size_multiple < 1:
            raise ValueError("sweep_size_multiple must be at least 1")
        if self.noise_flow_coupling < 0 or self.noise_volume_coupling < 0:
            raise ValueError("noise_flow_coupling and noise_volume_coupling must not be negative")


@dataclass(frozen=True)
class InstrumentMarketConfig:
    """Everything the market needs for one instrument. Tick size, min size and min notional are fallbacks: the
    simulator prefers the venue's instrument rules. The ladder geometry is in ticks of `tick_size`; on a venue with
    another tick it is converted so that the price distances stay the same."""
    instrument: str
    tick_size: Decimal
    min_size: Decimal
    price: PriceProcessConfig
    liquidity: LiquidityConfig
    taker_flow: TakerFlowConfig
    min_notional: Decimal = Decimal("0")


@dataclass(frozen=True)
class MarketConfig:
    seed: int = DEFAULT_SEED
    step_seconds: float = 0.2
    instruments: Tuple[InstrumentMarketConfig, ...] = field(default_factory=lambda: default_instruments())
    maker_account_id: Optional[str] = None
    taker_account_id: Optional[str] = None
    cancel_orders_on_stop: bool = True
    simulate_unlisted_instruments: bool = True  # venue instruments missing here get `generic_instrument_config`

    def __post_init__(self) -> None:
        if self.step_seconds <= 0:
            raise ValueError("step_seconds must be positive")
        for account_id in (self.maker_account_id, self.taker_account_id):
            if account_id is not None and not (account_id.isdigit() and int(account_id) < 2 ** 64):
                raise ValueError(f"market account ids are uint64 decimal strings, got {account_id!r}")
        names = [market.instrument for market in self.instruments]
        if len(names) != len(set(names)):
            raise ValueError(f"duplicate instruments in market config: {names}")

    def instrument(self, name: str) -> InstrumentMarketConfig:
        for market in self.instruments:
            if market.instrument == name:
                return market
        raise KeyError(f"unknown instrument {name!r}; market instruments: {[m.instrument for m in self.instruments]}")

    def with_informed_share(self, informed_share: float) -> "MarketConfig":
        instruments = tuple(
            replace(market, taker_flow=replace(market.taker_flow, informed_share=informed_share))
            for market in self.instruments)
        return replace(self, instruments=instruments)


def demo_ladder(level_size: Decimal, first_level_ticks: int, level_spacing_ticks: int) -> LiquidityConfig:
    """The demo ladder: 24 levels a side, deep enough that a sweep does not empty the book."""
    return LiquidityConfig(level_size=level_size, levels_per_side=24, first_level_ticks=first_level_ticks,
                           level_spacing_ticks=level_spacing_ticks)


def demo_taker_flow(median_size: Decimal, max_size: Decimal, arrivals_per_second: float,
                    sweep_size_multiple: float) -> TakerFlowConfig:
    """Demo takers: they lean into the noise moves, and one arrival in ten sweeps several levels."""
    return TakerFlowConfig(median_size=median_size, max_size=max_size, arrivals_per_second=arrivals_per_second,
                           sweep_share=0.1, sweep_size_multiple=sweep_size_multiple, noise_flow_coupling=1.5,
                           noise_volume_coupling=2.0)


def default_instruments() -> Tuple[InstrumentMarketConfig, ...]:
    """Demo defaults, on the sandbox engine's default instrument rules.

    The mid is a slowly drifting fair value (regimes and jumps; the jumps carry most of the long-run variance) plus
    1.5-2 bp of microstructure noise with a 0.2 s half-life. Takers arrive a few times a second, lean into the
    noise moves and now and then sweep several levels; the book is 24 levels a side, deep enough that a sweep does
    not empty it. Together this makes an order resting at the touch fill within a minute in about 99 % of cases
    (the misses are orders the fair value or a jump carried away), with a median wait under a second or two.
    """
    return (
        InstrumentMarketConfig(
            instrument="BTC_USDT_Perp",
            tick_size=Decimal("0.1"),
            min_size=Decimal("0.001"),
            min_notional=Decimal("100"),
            price=PriceProcessConfig(initial_price=90000.0, calm_annual_vol=0.16, turbulent_annual_vol=0.4,
                                     microstructure_noise_bps=1.5),
            liquidity=demo_ladder(level_size=Decimal("0.05"), first_level_ticks=5, level_spacing_ticks=25),
            taker_flow=demo_taker_flow(median_size=Decimal("0.01"), max_size=Decimal("2"), arrivals_per_second=6.0,
                                       sweep_size_multiple=60.0),
        ),
        InstrumentMarketConfig(
            instrument="ETH_USDT_Perp",
            tick_size=Decimal("0.01"),
            min_size=Decimal("0.01"),
            min_notional=Decimal("20"),
            price=PriceProcessConfig(initial_price=3000.0, calm_annual_vol=0.3, turbulent_annual_vol=0.7,
                                     microstructure_noise_bps=1.5),
            liquidity=demo_ladder(level_size=Decimal("1"), first_level_ticks=3, level_spacing_ticks=10),
            taker_flow=demo_taker_flow(median_size=Decimal("0.3"), max_size=Decimal("45"), arrivals_per_second=4.5,
                                       sweep_size_multiple=40.0),
        ),
        InstrumentMarketConfig(
            instrument="SOL_USDT_Perp",
            tick_size=Decimal("0.001"),
            min_size=Decimal("0.1"),
            min_notional=Decimal("10"),
            price=PriceProcessConfig(initial_price=150.0, calm_annual_vol=0.4, turbulent_annual_vol=0.9,
                                     microstructure_noise_bps=2.0),
            liquidity=demo_ladder(level_size=Decimal("20"), first_level_ticks=5, level_spacing_ticks=10),
            taker_flow=demo_taker_flow(median_size=Decimal("5"), max_size=Decimal("900"), arrivals_per_second=3.6,
                                       sweep_size_multiple=60.0),
        ),
    )


def generic_instrument_config(instrument: str,
                              price: Decimal,
                              tick_size: Decimal,
                              min_size: Decimal,
                              min_notional: Decimal = Decimal("0")) -> InstrumentMarketConfig:
    """Defaults for an instrument without its own entry, scaled to its price: levels about 1 bp apart, about
    5,000 USDT a level, 1,000 USDT a median taker, three takers a second, 2 bp of microstructure noise."""
    price = Decimal(price)

    def ticks_for(bps: Decimal) -> int:
        return max(1, int((price * bps / 10_000 / tick_size).to_integral_value()))

    def lots_for(quote_amount: Decimal) -> Decimal:
        lots = max(Decimal(1), (quote_amount / price / min_size).to_integral_value())
        return lots * min_size

    median_size = lots_for(Decimal(1000))
    return InstrumentMarketConfig(
        instrument=instrument,
        tick_size=tick_size,
        min_size=min_size,
        min_notional=min_notional,
        price=PriceProcessConfig(initial_price=float(price), calm_annual_vol=0.35, turbulent_annual_vol=0.8,
                                 microstructure_noise_bps=2.0),
        liquidity=demo_ladder(level_size=lots_for(Decimal(5000)), first_level_ticks=ticks_for(Decimal("0.5")),
                              level_spacing_ticks=ticks_for(Decimal(1))),
        taker_flow=demo_taker_flow(median_size=median_size, max_size=median_size * 100, arrivals_per_second=3.0,
                                   sweep_size_multiple=40.0),
    )


def default_market_config(seed: Optional[int] = None, **overrides: Any) -> MarketConfig:
    """The demo market; `seed=None` means the default seed (the market is always reproducible)."""
    return MarketConfig(seed=DEFAULT_SEED if seed is None else seed, **overrides)
