"""The sandbox's exchange engine. Internal API (stable; used by `grvt_sandbox.market` and tests).

    from decimal import Decimal
    from grvt_sandbox.engine import Exchange

    exchange = server.exchange            # or Exchange(SandboxConfig()) without any server
    exchange.instruments                  # InstrumentRegistry: .get(name), [name], iteration, .names()
    exchange.accounts                     # AccountRegistry: .get(sub_account_id), iteration
    exchange.add_account("1000001", balance=Decimal("1e9"), record_history=False, check_margin=False,
                         max_open_orders=None)   # check_margin=False: no margin or max-position checks;
                                                 # max_open_orders None = the config's cap (500)

    order = exchange.submit_internal_order(
        "1000001", "BTC_USDT_Perp", is_buy=True, size=Decimal("0.5"), price=Decimal("89990.0"),
        time_in_force="GOOD_TILL_TIME",    # or "IMMEDIATE_OR_CANCEL" / "FILL_OR_KILL"
        post_only=False, reduce_only=False, client_order_id=None, delay_s=0.0)
    # price=None -> market order. No signature needed. With delay_s=0 it is matched before returning:
    # order.status in PENDING/OPEN/FILLED/CANCELLED/REJECTED, order.reject_reason, order.order_id,
    # order.remaining_decimal, order.traded_decimal, order.price_decimal, order.is_buy.
    # Synchronous rule violations raise grvt_sandbox.errors.GrvtApiError (.code as GRVT's: 2062 ...).

    exchange.cancel_internal("1000001", order_id=order.order_id)       # or client_order_id=...  -> bool
    exchange.cancel_all_internal("1000001", instrument=None)           # -> number cancelled
    exchange.book_snapshot("BTC_USDT_Perp", depth=10)   # BookSnapshot(bids=[(price, size, num_orders)], asks=...)
    exchange.best_bid("BTC_USDT_Perp"), exchange.best_ask(...), exchange.mid_price(...)   # Decimal | None
    exchange.set_index_price("BTC_USDT_Perp", Decimal("90010.5"), mark_price=None)   # mark follows index
    exchange.markets["BTC_USDT_Perp"].index_price / .mark_price / .last_price
    exchange.now_ns()                                   # the exchange clock (exchange.clock.advance(s) in tests)
    exchange.position("1000001", "BTC_USDT_Perp")       # Position | None (.size signed Decimal, .entry_price)

    # Observers: callbacks run synchronously inside the engine; each add_* returns a remover.
    exchange.add_trade_listener(lambda trade: ...)      # Trade: instrument_name, price, size (Decimal),
                                                        # is_taker_buyer, taker/maker_sub_account_id, trade_id
    exchange.add_order_listener(lambda order: ...)      # every order state change
    exchange.add_book_listener(lambda instrument, is_bid, price_int: ...)   # a level changed
    exchange.events.fill / .position / .price / .funding / .cancel_status   # Listeners (add/emit)

    exchange.settle_funding("BTC_USDT_Perp", rate=None) # pay funding now (rate in percent)
    exchange.place_order(request, speed_bump_s)         # an OrderRequest (the gateways' signed order entry)
    exchange.accept_order(request) / exchange.reject_order(order, reason)   # accept without matching / reject it
    exchange.forget_orders(keep_internal=False)         # drop every active order silently (a restart's amnesia)

Fault injection and the de-duplication of repeated signed payloads live in the gateway (grvt_sandbox.gateway),
not here: the engine is matching, accounts and funding.

Everything runs on the event loop thread; nothing here is thread-safe or async.
"""
from grvt_sandbox.engine.book import BookSide, OrderBook, PriceLevel
from grvt_sandbox.engine.exchange import BookSnapshot, Exchange
from grvt_sandbox.engine.order import Order
from grvt_sandbox.engine.records import Fill, FundingPayment, Trade
from grvt_sandbox.engine.validation import OrderRequest

__all__ = ["BookSide", "BookSnapshot", "Exchange", "Fill", "FundingPayment", "Order", "OrderBook", "OrderRequest",
           "PriceLevel", "Trade"]
