"""The sub-account's positions and leverage as Hummingbot holds them, kept equal to GRVT's."""
from decimal import Decimal
from typing import Awaitable, Callable, Dict, List, Optional, Set, Tuple

from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_account_client import GrvtPerpetualAccountClient
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import GrvtPosition
from hummingbot.connector.derivative.position import Position
from hummingbot.connector.perpetual_trading import PerpetualTrading
from hummingbot.core.data_type.common import PositionSide


class GrvtPositions:
    def __init__(self, account: GrvtPerpetualAccountClient, perpetual_trading: PerpetualTrading,
                 traded_pairs: List[str], pair_of_symbol: Callable[[str], Awaitable[Optional[str]]],
                 symbol_of_pair: Callable[[str], Awaitable[str]]):
        self._account = account
        self._trading = perpetual_trading
        self._traded_pairs = traded_pairs
        self._pair_of_symbol = pair_of_symbol
        self._symbol_of_pair = symbol_of_pair
        self._reports = 0  # messages applied so far
        self._reported_at: Dict[str, int] = {}  # pair -> that count when its last message was applied
        self._leverage_set_here: Set[str] = set()

    async def on_report(self, position: GrvtPosition) -> Optional[str]:
        """Applies a streamed position; returns its trading pair, None for an instrument not in the symbol map."""
        trading_pair = await self._pair_of_symbol(position.instrument)
        if trading_pair is not None:
            self._apply(trading_pair, position)
            self._reports += 1
            self._reported_at[trading_pair] = self._reports
        return trading_pair

    async def refresh(self) -> None:
        """A `v1.position` message applied while the query is in flight is newer than its answer for that pair."""
        reports_before = self._reports
        positions, complete = await self._account.positions()
        reported = {pair for pair, report in self._reported_at.items() if report > reports_before}
        for position in positions:
            trading_pair = await self._pair_of_symbol(position.instrument)
            if trading_pair is not None and trading_pair not in reported:
                self._apply(trading_pair, position)
                reported.add(trading_pair)
        for key, held in list(self._trading.account_positions.items()):
            if complete and held.trading_pair not in reported:
                self._trading.remove_position(key)

    def _apply(self, trading_pair: str, position: GrvtPosition) -> None:
        key = self._trading.position_key(trading_pair)
        if position.size == 0:
            self._trading.remove_position(key)
            return
        self._trading.set_position(key, Position(
            trading_pair=trading_pair,
            position_side=PositionSide.LONG if position.size > 0 else PositionSide.SHORT,
            unrealized_pnl=position.unrealized_pnl,
            entry_price=position.entry_price,
            amount=position.size,
            leverage=position.leverage or Decimal(self._trading.get_leverage(trading_pair)),
        ))

    async def set_leverage(self, trading_pair: str, leverage: int) -> Tuple[bool, str]:
        try:
            confirmed = await self._account.set_initial_leverage(await self._symbol_of_pair(trading_pair), leverage)
        except Exception as exception:
            return False, str(exception)
        if confirmed:  # the start-up read-back must not undo it (nor keep what GRVT refused from being read)
            self._leverage_set_here.add(trading_pair)
        return (True, "") if confirmed else (False, f"GRVT did not confirm leverage {leverage} for {trading_pair}.")

    async def read_leverage(self) -> None:
        """Reads the leverage GRVT applies to each traded instrument (set in the UI or by an earlier run)."""
        for setting in await self._account.initial_leverages():
            trading_pair = await self._pair_of_symbol(setting.instrument)
            if trading_pair in self._traded_pairs and trading_pair not in self._leverage_set_here:
                self._trading.set_leverage(trading_pair, int(setting.leverage))
