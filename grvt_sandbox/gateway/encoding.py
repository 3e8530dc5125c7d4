"""Full-encoding JSON for engine objects, with GRVT's field names and numbers as decimal strings."""
from decimal import Decimal
from typing import Dict, List, Optional, Tuple

from grvt_sandbox import enums
from grvt_sandbox.accounts.account import Position, SubAccount
from grvt_sandbox.accounts.margin import estimated_liquidation_price
from grvt_sandbox.engine.book import OrderBook
from grvt_sandbox.engine.exchange import Exchange
from grvt_sandbox.engine.market_data import Candle
from grvt_sandbox.engine.order import Order
from grvt_sandbox.engine.records import Fill, FundingPayment, FundingRateRecord, Trade
from grvt_sandbox.instruments import Instrument
from grvt_sandbox.numbers import ZERO, format_decimal, format_price, format_scaled

ZERO_WORD = "0x" + "0" * 64
ZERO_ADDRESS = "0x" + "0" * 40
HUNDRED = Decimal(100)
_UNSPECIFIED_TRIGGER = {
    "trigger_type": "UNSPECIFIED",
    "tpsl": {"trigger_by": "UNSPECIFIED", "trigger_price": "0.0", "close_position": False,
             "is_split_position": False},
}


def _signature_json(order: Order) -> dict:
    signature = order.signature
    if signature is None:
        return {"signer": ZERO_ADDRESS, "r": ZERO_WORD, "s": ZERO_WORD, "v": 0, "expiration": str(order.expiration),
                "nonce": 0, "chain_id": "0"}
    chain_id = signature.get("chain_id")
    return {
        "signer": signature.get("signer"),
        "r": signature.get("r"),
        "s": signature.get("s"),
        "v": int(signature["v"]),
        "expiration": str(order.expiration),
        "nonce": int(signature["nonce"]),
        "chain_id": str(chain_id) if chain_id not in (None, "") else "0",
    }


def order_state_json(order: Order) -> dict:
    decimals = order.instrument.base_decimals
    active = order.status == enums.OPEN or order.status == enums.PENDING
    return {
        "status": order.status,
        "reject_reason": order.reject_reason,
        "book_size": [format_scaled(order.remaining if active else 0, decimals)],
        "traded_size": [format_scaled(order.traded, decimals)],
        "update_time": str(order.update_time),
        "avg_fill_price": [format_price(order.avg_fill_price_int())],
    }


def order_json(order: Order, acknowledged: bool = False) -> dict:
    """GRVT `Order`. `acknowledged=True` renders the create-order answer: order_id 0x00 and status PENDING."""
    decimals = order.instrument.base_decimals
    if acknowledged:
        state = {"status": enums.PENDING, "reject_reason": enums.UNSPECIFIED,
                 "book_size": [format_scaled(order.size, decimals)], "traded_size": ["0.0"],
                 "update_time": str(order.create_time), "avg_fill_price": ["0.0"]}
    else:
        state = order_state_json(order)
    return {
        "order_id": "0x00" if acknowledged else order.order_id,
        "sub_account_id": order.sub_account_id,
        "is_market": order.is_market,
        "time_in_force": order.time_in_force,
        "post_only": order.post_only,
        "reduce_only": order.reduce_only,
        "legs": [{
            "instrument": order.instrument.name,
            "size": format_scaled(order.size, decimals),
            "limit_price": format_price(order.price),
            "is_buying_asset": order.is_buy,
        }],
        "signature": _signature_json(order),
        "metadata": {
            "client_order_id": order.client_order_id,
            "create_time": str(order.create_time),
            "trigger": _UNSPECIFIED_TRIGGER,
            "broker": order.broker,
            "is_position_transfer": False,
            "allow_crossing": False,
        },
        "state": state,
        "builder": order.builder,
        "builder_fee": order.builder_fee,
    }


def order_state_feed_json(order: Order) -> dict:
    return {"order_id": order.order_id, "client_order_id": order.client_order_id,
            "order_state": order_state_json(order)}


def fill_json(fill: Fill) -> dict:
    return {
        "event_time": str(fill.event_time),
        "sub_account_id": fill.sub_account_id,
        "instrument": fill.instrument.name,
        "is_buyer": fill.is_buyer,
        "is_taker": fill.is_taker,
        "size": format_scaled(fill.size, fill.instrument.base_decimals),
        "price": format_price(fill.price),
        "mark_price": format_decimal(fill.mark_price),
        "index_price": format_decimal(fill.index_price),
        "interest_rate": "0.0",
        "forward_price": "0.0",
        "realized_pnl": format_decimal(fill.realized_pnl, 6),
        "fee": format_decimal(fill.fee, 6),
        "fee_rate": format_decimal(fill.fee_rate, 6),
        "trade_id": fill.trade_id,
        "order_id": fill.order_id,
        "venue": "ORDERBOOK",
        "is_liquidation": False,
        "client_order_id": fill.client_order_id,
        "signer": fill.signer or ZERO_ADDRESS,
        "broker": "UNSPECIFIED",
        "is_rpi": False,
        "builder": "0x00",
        "builder_fee_rate": "0.0",
        "builder_fee": "0.0",
        "fee_currency": "USDT",
    }


def trade_json(trade: Trade) -> dict:
    return {
        "event_time": str(trade.event_time),
        "instrument": trade.instrument.name,
        "is_taker_buyer": trade.is_taker_buyer,
        "size": format_scaled(trade.size_int, trade.instrument.base_decimals),
        "price": format_price(trade.price_int),
        "mark_price": format_decimal(trade.mark_price),
        "index_price": format_decimal(trade.index_price),
        "interest_rate": "0.0",
        "forward_price": "0.0",
        "trade_id": trade.trade_id,
        "venue": "ORDERBOOK",
        "is_rpi": False,
    }


def position_json(position: Position, exchange: Exchange, now: int, equity: Optional[Decimal] = None) -> dict:
    instrument = position.instrument
    account = exchange.accounts[position.sub_account_id]
    mark = exchange.markets[instrument.name].mark_price
    size = position.size
    unrealized = position.unrealized_pnl(mark)
    leverage = account.leverage_for(instrument)
    total_pnl = unrealized + position.realized_pnl
    entry_notional = abs(size) * position.entry_price  # GRVT: roi = total_pnl / (entry_price * abs(size)) * 100
    roi = total_pnl / entry_notional * HUNDRED if entry_notional else ZERO
    liquidation = ZERO
    if size and equity is not None:
        liquidation = estimated_liquidation_price(size, position.entry_price, equity - unrealized,
                                                  instrument.maintenance_margin_rate)
    return {
        "event_time": str(position.event_time or now),
        "sub_account_id": position.sub_account_id,
        "instrument": instrument.name,
        "size": format_decimal(size, instrument.base_decimals),
        "notional": format_decimal(size * mark, 6),
        "entry_price": format_decimal(position.entry_price),
        "exit_price": format_decimal(position.exit_price),
        "mark_price": format_decimal(mark),
        "unrealized_pnl": format_decimal(unrealized, 6),
        "realized_pnl": format_decimal(position.realized_pnl, 6),
        "total_pnl": format_decimal(total_pnl, 6),
        "roi": format_decimal(roi, 4),
        "quote_index_price": "1.0",
        "est_liquidation_price": format_decimal(liquidation, 2),
        "leverage": format_decimal(leverage),
        "cumulative_fee": format_decimal(position.cumulative_fee, 6),
        "cumulative_realized_funding_payment": format_decimal(position.cumulative_funding_paid, 6),
        "margin_type": "CROSS",
    }


def account_summary_json(account: SubAccount, exchange: Exchange, now: int) -> dict:
    state = exchange.margin(account)
    positions = [position_json(position, exchange, now, state.total_equity)
                 for position in account.positions.values() if position.size]
    return {
        "event_time": str(now),
        "sub_account_id": account.sub_account_id,
        "margin_type": "SIMPLE_CROSS_MARGIN",
        "settle_currency": "USDT",
        "unrealized_pnl": format_decimal(state.unrealized_pnl, 6),
        "total_equity": format_decimal(state.total_equity, 6),
        "initial_margin": format_decimal(state.initial_margin, 6),
        "maintenance_margin": format_decimal(state.maintenance_margin, 6),
        "available_balance": format_decimal(state.available_balance, 6),
        # every SpotBalance field GRVT sends; what can leave the account is the balance not held as margin
        "spot_balances": [{"currency": "USDT", "balance": format_decimal(account.balance, 6), "index_price": "1.0",
                           "entry_price": "1.0", "realized_pnl": "0.0", "unrealized_pnl": "0.0",
                           "available_to_transfer": format_decimal(
                               max(min(account.balance, state.available_balance), ZERO), 6)}],
        "positions": positions,
        "settle_index_price": "1.0",
        "is_vault": False,
        "vault_im_additions": "0.0",
        "derisk_margin": "0.0",
        "derisk_to_maintenance_margin_ratio": "1.0",
        "total_cross_equity": format_decimal(state.total_equity, 6),
        "cross_unrealized_pnl": format_decimal(state.unrealized_pnl, 6),
        "sub_account_mode": "SINGLE_ASSET_MODE",
        "margin_balance": format_decimal(account.balance, 6),
    }


def funding_payment_json(payment: FundingPayment) -> dict:
    return {
        "event_time": str(payment.event_time),
        "sub_account_id": payment.sub_account_id,
        "instrument": payment.instrument.name,
        "currency": payment.currency,
        "amount": format_decimal(payment.amount, 6),
        "tx_id": payment.tx_id,
    }


def funding_rate_json(record: FundingRateRecord) -> dict:
    rate = format_decimal(record.funding_rate, 6)
    return {
        "instrument": record.instrument.name,
        "funding_rate": rate,
        "funding_time": str(record.event_time),
        "mark_price": format_decimal(record.mark_price),
        "funding_rate_8_h_avg": rate,
        "funding_interval_hours": record.funding_interval_hours,
    }


def book_levels_json(levels: List[Tuple[int, int, int]], decimals: int) -> List[dict]:
    return [{"price": format_price(price), "size": format_scaled(size, decimals), "num_orders": count}
            for price, size, count in levels]


def book_json(book: OrderBook, depth: Optional[int], now: int) -> dict:
    decimals = book.instrument.base_decimals
    return {
        "event_time": str(now),
        "instrument": book.instrument.name,
        "bids": book_levels_json(book.bids.top(depth), decimals),
        "asks": book_levels_json(book.asks.top(depth), decimals),
    }


def mini_ticker_json(exchange: Exchange, name: str, now: int) -> Dict[str, str]:
    book = exchange.books[name]
    market = exchange.markets[name]
    decimals = book.instrument.base_decimals
    bid, ask = book.bids.best(), book.asks.best()
    result = {
        "event_time": str(now),
        "instrument": name,
        "mark_price": format_decimal(market.mark_price),
        "index_price": format_decimal(market.index_price),
        "last_price": format_decimal(market.last_price) if market.last_price is not None else "0.0",
        "last_size": format_decimal(market.last_size) if market.last_size is not None else "0.0",
        "mid_price": format_price((bid.price + ask.price) // 2) if bid and ask else "0.0",
        "best_bid_price": format_price(bid.price) if bid else "0.0",
        "best_bid_size": format_scaled(bid.total, decimals) if bid else "0.0",
        "best_ask_price": format_price(ask.price) if ask else "0.0",
        "best_ask_size": format_scaled(ask.total, decimals) if ask else "0.0",
    }
    return result


def ticker_json(exchange: Exchange, name: str, now: int) -> Dict[str, object]:
    mini = mini_ticker_json(exchange, name, now)
    market = exchange.markets[name]
    stats = market.stats_24h(now)
    rate = format_decimal(market.funding_rate, 6)
    longs = shorts = 0
    for account in exchange.accounts:
        position = account.positions.get(name)
        if position is not None and position.size:
            if position.size > 0:
                longs += 1
            else:
                shorts += 1
    last = mini["last_price"]
    return {
        **mini,
        "funding_rate_8h_curr": rate,
        "funding_rate_8h_avg": rate,
        "interest_rate": "0.0",
        "forward_price": "0.0",
        "buy_volume_24h_b": format_decimal(stats["buy_b"]),
        "sell_volume_24h_b": format_decimal(stats["sell_b"]),
        "buy_volume_24h_q": format_decimal(stats["buy_q"], 6),
        "sell_volume_24h_q": format_decimal(stats["sell_q"], 6),
        "high_price": format_decimal(stats["high"]) if stats["high"] is not None else last,
        "low_price": format_decimal(stats["low"]) if stats["low"] is not None else last,
        "open_price": format_decimal(stats["open"]) if stats["open"] is not None else last,
        "open_interest": format_decimal(market.open_interest),
        "long_short_ratio": format_decimal(Decimal(longs) / shorts, 6) if shorts else ("0.0" if not longs else "1.0"),
        "funding_rate": rate,
        "next_funding_time": str(market.next_funding_time),
        "funding_interval_hours": market.instrument.funding_interval_hours,
    }


def candle_json(candle: Candle, width_ns: int, instrument_name: str) -> dict:
    return {
        "open_time": str(candle.open_time),
        "close_time": str(candle.open_time + width_ns),
        "open": format_decimal(candle.open),
        "close": format_decimal(candle.close),
        "high": format_decimal(candle.high),
        "low": format_decimal(candle.low),
        "volume_b": format_decimal(candle.volume_b),
        "volume_q": format_decimal(candle.volume_q, 6),
        "trades": candle.trades,
        "instrument": instrument_name,
    }


def leverage_json(account: SubAccount, instrument: Instrument) -> dict:
    return {
        "instrument": instrument.name,
        "leverage": format_decimal(account.leverage_for(instrument)),
        "min_leverage": "1.0",
        "max_leverage": format_decimal(instrument.max_leverage),
        "margin_type": "CROSS",
    }
