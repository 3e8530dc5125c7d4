"""GRVT instruments as Hummingbot sees them: which are traded perpetuals, their symbols and trading rules."""
import logging
from decimal import Decimal
from typing import Iterable, List

import msgspec
from bidict import bidict

from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_constants as CONSTANTS
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import (
    GrvtInstrument,
    GrvtMessageError,
    load,
)
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.connector.utils import combine_to_hb_trading_pair


def perpetual_instruments(raw_items: Iterable[msgspec.Raw], logger: logging.Logger) -> List[GrvtInstrument]:
    """The perpetuals of an instruments answer; an unreadable entry is logged and skipped, never the whole answer."""
    instruments = []
    for raw in raw_items:
        try:
            instrument = load(raw, GrvtInstrument)
        except GrvtMessageError as error:
            logger.error(f"Error parsing the trading pair rule {bytes(raw).decode(errors='replace')}. Skipping.")
            logger.debug(f"The GRVT instrument could not be read: {error}")
            continue
        if instrument.is_perpetual and instrument.settlement_period in ("", CONSTANTS.PERPETUAL_KIND):
            instruments.append(instrument)
    return instruments


def trading_pair_of(instrument: GrvtInstrument) -> str:
    return combine_to_hb_trading_pair(base=instrument.base, quote=instrument.quote)


def symbol_map(instruments: Iterable[GrvtInstrument]) -> bidict:
    """Instrument name -> trading pair; the first instrument of a pair wins."""
    mapping: bidict = bidict()
    for instrument in instruments:
        mapping.inverse.setdefault(trading_pair_of(instrument), instrument.instrument)
    return mapping


def trading_rule(instrument: GrvtInstrument) -> TradingRule:
    """Sizes step by min_size; an instrument without min_notional gets 0 (GRVT checks it on submission)."""
    limits = {"max_order_size": instrument.max_position_size} if instrument.max_position_size else {}
    return TradingRule(
        trading_pair=trading_pair_of(instrument),
        min_order_size=instrument.min_size,
        min_price_increment=instrument.tick_size,
        min_base_amount_increment=instrument.min_size,
        min_notional_size=instrument.min_notional if instrument.min_notional is not None else Decimal("0"),
        buy_order_collateral_token=instrument.quote,
        sell_order_collateral_token=instrument.quote,
        **limits,
    )
