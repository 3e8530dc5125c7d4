"""
Hummingbot perpetual connector for GRVT. The class coordinates; the order path, REST, the account queries, positions,
signing and market data live in the grvt_perpetual_* modules it builds in its constructor.
"""
import asyncio
from decimal import Decimal
from functools import partial
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple, TypeVar, Union

from hummingbot.connector.constants import s_decimal_NaN
from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_utils as utils,
    grvt_perpetual_web_utils as web_utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_account_client import (
    CoalescingRefresh,
    GrvtFundingPayments,
    GrvtPerpetualAccountClient,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_api_order_book_data_source import (
    GrvtPerpetualAPIOrderBookDataSource,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_auth import GrvtAuthError, GrvtPerpetualAuth
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import (
    GrvtOrderRejectedError,
    GrvtPerpetualAPIError,
    GrvtUnknownTradingPair,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_health import Backoff
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_instruments import (
    perpetual_instruments,
    symbol_map,
    trading_pair_of,
    trading_rule,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import (
    GrvtCancelStatus,
    GrvtFill,
    GrvtInstrument,
    GrvtOrderStateFeed,
    GrvtOrderStatus,
    GrvtPosition,
    GrvtStreamEnvelope,
    is_real_order_id,
    load,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_metrics import GrvtOrderMetrics
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_lifecycle import (
    GrvtClientOrderTracker,
    GrvtOrderLifecycle,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_requests import (
    GrvtOrderArgumentError,
    GrvtSignedOrderFactory,
    checked_order_arguments,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_signer import GrvtPerpetualOrderSigner
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_state_machine import (
    FINAL_STATES,
    trade_update_from_fill,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_transport import (
    GrvtCancelOnDisconnectHeartbeat,
    GrvtPerpetualOrderTransport,
    GrvtPerpetualWsOrderTransport,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_positions import GrvtPositions
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_rest_client import GrvtRestClient
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_user_stream_data_source import (
    RESYNC_EVENT,
    GrvtPerpetualUserStreamDataSource,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_ws_rpc import GrvtWsRpcClient
from hummingbot.connector.exchange_py_base import ExchangePyBase
from hummingbot.connector.perpetual_derivative_py_base import PerpetualDerivativePyBase
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.connector.utils import get_new_numeric_client_order_id
from hummingbot.core.api_throttler.data_types import RateLimit
from hummingbot.core.data_type.cancellation_result import CancellationResult
from hummingbot.core.data_type.common import OrderType, PositionAction, PositionMode, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, TradeUpdate
from hummingbot.core.data_type.limit_order import LimitOrder
from hummingbot.core.data_type.market_order import MarketOrder
from hummingbot.core.data_type.trade_fee import TradeFeeBase
from hummingbot.core.utils.async_utils import safe_ensure_future
from hummingbot.core.utils.estimate_fee import build_perpetual_trade_fee
from hummingbot.core.utils.tracking_nonce import NonceCreator
from hummingbot.core.web_assistant.connections.data_types import RESTMethod
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory

T = TypeVar("T")


class GrvtPerpetualDerivative(PerpetualDerivativePyBase):
    web_utils = web_utils  # type: ignore[assignment]  # the base class reads its server-time helper
    _auth: GrvtPerpetualAuth  # built by the authenticator property
    _order_tracker: GrvtClientOrderTracker  # built by _create_order_tracker
    # the base class declares these abstract properties; for GRVT they are constants
    client_order_id_max_length = CONSTANTS.MAX_ORDER_ID_LEN
    client_order_id_prefix = CONSTANTS.HBOT_ORDER_ID_PREFIX
    trading_rules_request_path = CONSTANTS.INSTRUMENTS_PATH_URL
    trading_pairs_request_path = CONSTANTS.INSTRUMENTS_PATH_URL
    check_network_request_path = CONSTANTS.INSTRUMENTS_PATH_URL
    is_cancel_request_in_exchange_synchronous = False  # GRVT confirms a cancel on its streams

    REST_REQUEST_TIMEOUT = 10.0  # seconds for one HTTP exchange (a create that times out is looked up, not failed)
    WS_REQUEST_TIMEOUT = 10.0
    BALANCE_REFRESH_MIN_INTERVAL = 1.0  # seconds between account_summary calls triggered by fills
    RESYNC_MIN_INTERVAL = 1.0  # seconds between REST reconciliations triggered by reconnects and sequence gaps
    FILL_HISTORY_MARGIN_SECONDS = 60.0  # fills are looked up from this long before an order's creation
    FUNDING_SETTLEMENT_DELAY = 60.0  # payments are looked up this long after each funding settlement
    FUNDING_RETRY_DELAY = 30.0  # a failed payments read is repeated this long after, not at the next settlement

    def __init__(
        self,
        grvt_perpetual_api_key: str = "",
        grvt_perpetual_private_key: str = "",
        grvt_perpetual_trading_account_id: str = "",
        trading_pairs: Optional[List[str]] = None,
        trading_required: bool = True,
        domain: str = CONSTANTS.DEFAULT_DOMAIN,
        balance_asset_limit: Optional[Dict[str, Dict[str, Decimal]]] = None,
        rate_limits_share_pct: Decimal = Decimal("100"),
        grvt_perpetual_order_expiry_seconds: Union[float, str, None] = None,
        grvt_perpetual_cancel_on_disconnect_ms: Union[int, str, None] = 0,
        grvt_perpetual_untracked_open_orders: Optional[str] = utils.UNTRACKED_ORDERS_REPORT,
        grvt_perpetual_funding_paid_is_positive: Union[bool, str, None] = True,
        grvt_perpetual_order_entry: Optional[str] = utils.ORDER_ENTRY_WEBSOCKET,
    ):
        order_expiry_seconds = utils.order_expiry_seconds_option(grvt_perpetual_order_expiry_seconds)
        cancel_on_disconnect_ms = utils.cancel_on_disconnect_ms_option(grvt_perpetual_cancel_on_disconnect_ms)
        self._cancel_untracked = (utils.untracked_open_orders_option(grvt_perpetual_untracked_open_orders)
                                  == utils.UNTRACKED_ORDERS_CANCEL)
        paid_is_positive = utils.funding_paid_is_positive_option(grvt_perpetual_funding_paid_is_positive)
        order_entry = utils.order_entry_option(grvt_perpetual_order_entry)
        self._api_key = grvt_perpetual_api_key or ""
        self._trading_account_id = utils.trading_account_id_option(
            grvt_perpetual_trading_account_id, f"{domain}_trading_account_id", trading_required)
        self._domain = domain
        web_utils.check_transport_security(domain)
        self._trading_required = trading_required
        self._trading_pairs = list(trading_pairs or [])
        self._signer = GrvtPerpetualOrderSigner(grvt_perpetual_private_key, chain_id=web_utils.chain_id(domain))
        self.instruments: Dict[str, GrvtInstrument] = {}
        self._instruments_by_pair: Dict[str, GrvtInstrument] = {}  # the first instrument of a pair, as symbols map
        self._nonce_creator = NonceCreator.for_microseconds()
        self.order_metrics = GrvtOrderMetrics()
        self._fills_swept_since: Dict[str, float] = {}  # pair -> start of its last complete fill-history sweep
        self._rate_limits_share = Decimal(str(rate_limits_share_pct or 100)) / 100  # 0: all, as the throttler reads it
        super().__init__(balance_asset_limit=balance_asset_limit, rate_limits_share_pct=rate_limits_share_pct)
        # GRVT's account summary and the fill-triggered refresh keep balances current: no spot-style in-flight
        # accounting (which would show a negative base-asset balance on a short position).
        self.real_time_balance_update = True

        expiry = order_expiry_seconds if order_expiry_seconds is not None else web_utils.quote_expiry_seconds(domain)
        self.order_factory = GrvtSignedOrderFactory(self._signer, self._trading_account_id, expiry)
        self._rest = GrvtRestClient(domain, self._web_assistants_factory, self._throttler, self._auth,
                                    timeout=lambda: self.REST_REQUEST_TIMEOUT)
        self.account = GrvtPerpetualAccountClient(self._trading_account_id, self._rest.request,
                                                  on_retry=self.order_metrics.count_retry)
        self.order_transport = GrvtPerpetualOrderTransport(
            self._trading_account_id, self._rest.request, self._throttler)
        if order_entry == utils.ORDER_ENTRY_WEBSOCKET:
            rpc = GrvtWsRpcClient(url=lambda: web_utils.private_ws_url(self._domain), auth=self._auth,
                                  on_reconnect=self._on_order_socket_reconnect)
            self.order_transport = GrvtPerpetualWsOrderTransport(
                self._trading_account_id, self._rest.request, rpc, self._throttler, self.WS_REQUEST_TIMEOUT)
        self.order_lifecycle = GrvtOrderLifecycle(
            tracker=self._order_tracker, transport=self.order_transport, account=self.account,
            metrics=self.order_metrics, now=self._now,
            trade_update=self._trade_update, traded_filter=self._traded_filter, logger=self.logger)
        self._heartbeat = (GrvtCancelOnDisconnectHeartbeat(self.order_transport, cancel_on_disconnect_ms)
                           if cancel_on_disconnect_ms > 0 else None)
        self._positions = GrvtPositions(self.account, self._perpetual_trading, self._trading_pairs,
                                        self._trading_pair_for_symbol, self.exchange_symbol_associated_to_pair)
        self._funding = GrvtFundingPayments(self.account, paid_is_positive,
                                            lambda pair: self._perpetual_trading.funding_info.get(pair))
        self._balance_refresh = CoalescingRefresh(self._update_balances, self.BALANCE_REFRESH_MIN_INTERVAL, self.logger)
        self._resync = CoalescingRefresh(self._reconcile_after_resync, self.RESYNC_MIN_INTERVAL, self.logger,
                                         spawn=self.order_lifecycle.spawn)
        self._stream_handlers = {
            CONSTANTS.WS_ORDER_STATE_STREAM: self._on_order_state,
            CONSTANTS.WS_FILL_STREAM: self._on_fill,
            CONSTANTS.WS_POSITION_STREAM: self._on_position,
            CONSTANTS.WS_CANCEL_STREAM: self._on_cancel_notice,
        }

    # Identity and configuration
    @property
    def name(self) -> str:
        return self._domain

    @property
    def authenticator(self) -> GrvtPerpetualAuth:
        return GrvtPerpetualAuth(api_key=self._api_key, trading_account_id=self._trading_account_id,
                                 domain=self._domain, throttler=self._throttler)

    @property
    def rate_limits_rules(self) -> List[RateLimit]:
        return CONSTANTS.build_rate_limits(share=self._rate_limits_share)

    @property
    def domain(self) -> str:
        return self._domain

    @property
    def trading_pairs(self) -> List[str]:
        return self._trading_pairs

    @property
    def is_trading_required(self) -> bool:
        return self._trading_required

    @property
    def status_dict(self) -> Dict[str, bool]:
        status = super().status_dict
        if self.is_trading_required:
            status["order_entry"] = not self.order_lifecycle.circuit.is_open
        return status

    @property
    def funding_fee_poll_interval(self) -> int:
        """Seconds between funding settlements: the shortest funding interval of the traded instruments."""
        hours = [instrument.funding_interval_hours for instrument in self.instruments.values()
                 if instrument.funding_interval_hours and trading_pair_of(instrument) in self._trading_pairs]
        return int(min(hours or [CONSTANTS.DEFAULT_FUNDING_INTERVAL_HOURS]) * 3600)

    def supported_order_types(self) -> List[OrderType]:
        return [OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.MARKET]

    def supported_position_modes(self) -> List[PositionMode]:
        return [PositionMode.ONEWAY]

    def get_buy_collateral_token(self, trading_pair: str) -> str:
        return trading_pair.split("-")[1]  # GRVT margins a perpetual in its quote, as its trading rule says

    get_sell_collateral_token = get_buy_collateral_token

    # Factories
    def _create_web_assistants_factory(self) -> WebAssistantsFactory:
        return web_utils.build_api_factory(throttler=self._throttler, auth=self._auth)

    def _create_order_book_data_source(self) -> GrvtPerpetualAPIOrderBookDataSource:
        return GrvtPerpetualAPIOrderBookDataSource(trading_pairs=self._trading_pairs, connector=self,
                                                   domain=self._domain)

    def _create_order_tracker(self) -> GrvtClientOrderTracker:
        return GrvtClientOrderTracker(connector=self)

    def _create_user_stream_data_source(self) -> GrvtPerpetualUserStreamDataSource:
        return GrvtPerpetualUserStreamDataSource(auth=self._auth, api_factory=self._web_assistants_factory,
                                                 domain=self._domain, on_reconnect=self._count_reconnect)

    # REST
    async def _api_request(self, path_url: str, method: RESTMethod = RESTMethod.GET,
                           data: Optional[Dict[str, Any]] = None, is_auth_required: bool = False, **kwargs: Any) -> Any:
        """The decoded JSON body as Python objects; GRVT errors raise GrvtPerpetualAPIError (also with return_err).
        The base's other options (params, headers, overwrite_url, limit_id: always the path) do not apply to GRVT."""
        return await self._rest.request(path_url, data, is_auth_required=is_auth_required, method=method)

    async def _make_network_check_request(self) -> None:
        await self.account.instruments(limit=1, attempts=1)

    async def _make_trading_rules_request(self) -> List[GrvtInstrument]:
        return perpetual_instruments(await self.account.instruments(), self.logger())

    _make_trading_pairs_request = _make_trading_rules_request

    # Instruments, symbols, trading rules
    def _instruments_of(self, exchange_info: List[GrvtInstrument]) -> List[GrvtInstrument]:
        for instrument in exchange_info:
            self.instruments[instrument.instrument] = instrument
            self._instruments_by_pair.setdefault(trading_pair_of(instrument), instrument)
        return exchange_info

    def _initialize_trading_pair_symbols_from_exchange_info(self, exchange_info: List[GrvtInstrument]) -> None:
        self._set_trading_pair_symbol_map(symbol_map(self._instruments_of(exchange_info)))

    async def _format_trading_rules(self, exchange_info: List[GrvtInstrument]) -> List[TradingRule]:
        return [trading_rule(instrument) for instrument in self._instruments_of(exchange_info)]

    async def _instrument_for_pair(self, trading_pair: str) -> GrvtInstrument:
        # every instrument in the symbol map was recorded with it (_instruments_of)
        return self.instruments[await self.exchange_symbol_associated_to_pair(trading_pair=trading_pair)]

    async def _traded_filter(self) -> Tuple[set, List[str], List[str]]:
        """Instruments of the traded pairs, and their bases and quotes (the cancel-all filter)."""
        symbols = (await self.trading_pair_symbol_map()).inverse
        return ({symbols[pair] for pair in self._trading_pairs if pair in symbols},
                sorted({pair.split("-")[0] for pair in self._trading_pairs}),
                sorted({pair.split("-")[1] for pair in self._trading_pairs}))

    async def exchange_symbol_associated_to_pair(self, trading_pair: str) -> str:
        try:
            return await super().exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        except KeyError:  # Hummingbot's KeyError reads "'FOO-USDT'" in every log line that quotes it
            raise GrvtUnknownTradingPair(f"GRVT lists no active perpetual for {trading_pair}") from None

    async def _trading_pair_for_symbol(self, symbol: str) -> Optional[str]:
        return (await self.trading_pair_symbol_map()).get(symbol)

    async def _update_trading_fees(self) -> None:
        """GRVT reports each fill's fee (negative for a rebate); the configured schema only serves estimates."""

    def _get_fee(self, base_currency: str, quote_currency: str, order_type: OrderType, order_side: TradeType,
                 position_action: PositionAction, amount: Decimal, price: Decimal = s_decimal_NaN,
                 is_maker: Optional[bool] = None) -> TradeFeeBase:
        is_maker = order_type is OrderType.LIMIT_MAKER if is_maker is None else is_maker
        return build_perpetual_trade_fee(
            exchange=self.name, is_maker=is_maker, position_action=position_action, base_currency=base_currency,
            quote_currency=quote_currency, order_type=order_type, order_side=order_side, amount=amount, price=price)

    async def get_last_traded_prices(self, trading_pairs: List[str]) -> Dict[str, float]:
        return await self._orderbook_ds.get_last_traded_prices(trading_pairs=trading_pairs)

    # Order placement
    def buy(self, trading_pair: str, amount: Decimal, order_type: OrderType = OrderType.LIMIT,
            price: Decimal = s_decimal_NaN, **kwargs: Any) -> str:
        return self._start_order(TradeType.BUY, trading_pair, amount, order_type, price, **kwargs)

    def sell(self, trading_pair: str, amount: Decimal, order_type: OrderType = OrderType.LIMIT,
             price: Decimal = s_decimal_NaN, **kwargs: Any) -> str:
        return self._start_order(TradeType.SELL, trading_pair, amount, order_type, price, **kwargs)

    def _start_order(self, trade_type: TradeType, trading_pair: str, amount: Any, order_type: OrderType,
                     price: Any, **kwargs: Any) -> str:
        order_id = self._new_client_order_id()
        self.order_metrics.submitted(order_id)
        position_action = kwargs.get("position_action")
        try:
            amount, price = checked_order_arguments(self._trading_rules, trading_pair, amount, order_type, price,
                                                    position_action, self.supported_order_types())
        except GrvtOrderArgumentError as error:
            self._fail_before_sending(order_id, trade_type, trading_pair, order_type, position_action, error)
            return order_id
        safe_ensure_future(self._create_order(trade_type=trade_type, order_id=order_id, trading_pair=trading_pair,
                                              amount=amount, order_type=order_type, price=price, **kwargs))
        return order_id

    def _fail_before_sending(self, order_id: str, trade_type: TradeType, trading_pair: str, order_type: OrderType,
                             position_action: Any, error: Exception) -> None:
        self.logger().error(f"GRVT order {order_id} refused before sending: {error}")
        self.start_tracking_order(
            order_id=order_id, exchange_order_id=None, trading_pair=trading_pair, trade_type=trade_type,
            price=Decimal("0"), amount=Decimal("0"), order_type=order_type,
            position_action=position_action if isinstance(position_action, PositionAction) else PositionAction.NIL)
        self.order_lifecycle.fail(self._order_tracker.active_orders[order_id], error)

    def _new_client_order_id(self) -> str:
        """A decimal uint64 in GRVT's API-client range [2^63, 2^64 - 1]."""
        number = get_new_numeric_client_order_id(nonce_creator=self._nonce_creator, max_id_bit_count=63)
        return str(number | CONSTANTS.CLIENT_ORDER_ID_MIN)

    def _signed_order(self, order_id: str, instrument: GrvtInstrument, trade_type: TradeType, amount: Decimal,
                      order_type: OrderType, price: Optional[Decimal], position_action: PositionAction,
                      expiry_seconds: Optional[float] = None) -> Dict[str, Any]:
        return self.order_factory.build(
            client_order_id=order_id, instrument=instrument, is_buy=trade_type is TradeType.BUY, amount=amount,
            order_type=order_type, price=price, reduce_only=position_action is PositionAction.CLOSE,
            expiry_seconds=expiry_seconds)

    async def _place_order(self, order_id: str, trading_pair: str, amount: Decimal, trade_type: TradeType,
                           order_type: OrderType, price: Optional[Decimal],
                           position_action: PositionAction = PositionAction.NIL,
                           **kwargs: Any) -> Tuple[Optional[str], float]:
        """The exchange order id is None while GRVT has not assigned it (its create answer says "0x00"): the tracker
        records the real id when the stream or a status query reports it."""
        self.order_lifecycle.check_order_entry()
        instrument = await self._instrument_for_pair(trading_pair)
        body = self._signed_order(order_id, instrument, trade_type, amount, order_type, price, position_action,
                                  kwargs.get("expiration_seconds"))
        transport = self.order_transport
        with self.order_lifecycle.creating(order_id):
            ack = await transport.create_order(
                body, on_sent=lambda: self.order_metrics.sent(order_id, transport.active_name))
        if ack.state is not None and ack.state.status is GrvtOrderStatus.REJECTED:
            raise GrvtOrderRejectedError(ack.state.reject_reason)
        return (ack.order_id if ack.has_exchange_id else None), self._now()

    async def _place_order_and_process_update(self, order: InFlightOrder, **kwargs: Any) -> Optional[str]:
        exchange_order_id, _ = await self._place_order(
            order_id=order.client_order_id, trading_pair=order.trading_pair, amount=order.amount,
            trade_type=order.trade_type, order_type=order.order_type, price=order.price, **kwargs)
        self.order_lifecycle.on_create_acknowledged(order, exchange_order_id)
        return exchange_order_id

    def _on_order_failure(self, order_id: str, trading_pair: str, amount: Decimal, trade_type: TradeType,
                          order_type: OrderType, price: Optional[Decimal], exception: Exception, **kwargs: Any) -> None:
        order = self._order_tracker.fetch_order(order_id)
        if order is not None and (self.order_lifecycle.on_create_failed(order, exception)
                                  or self.order_lifecycle.state_of(order) in FINAL_STATES):
            return  # GRVT may have executed it (it is looked up by client id), or the streams ended it already
        super()._on_order_failure(order_id=order_id, trading_pair=trading_pair, amount=amount, trade_type=trade_type,
                                  order_type=order_type, price=price, exception=exception, **kwargs)

    def _update_order_after_failure(self, order_id: str, trading_pair: str,
                                    exception: Optional[Exception] = None) -> None:
        order = self._order_tracker.fetch_tracked_order(order_id)
        if order is None:  # a lost order GRVT does not know either: the tracker releases it
            super()._update_order_after_failure(order_id=order_id, trading_pair=trading_pair, exception=exception)
        else:
            self.order_lifecycle.fail(order, exception or IOError("order failed"))

    def batch_order_create(self, orders_to_create: List[Union[LimitOrder, MarketOrder]]) -> List[LimitOrder]:
        """Signs and tracks the orders now and sends them in v2/bulk_orders, one request per instrument (up to 100
        orders), with the cancels batch_order_cancel was given in the same tick: a requote is one round trip."""
        created = []
        for order in orders_to_create:
            order = order.copy_with_id(client_order_id=self._new_client_order_id())
            self.order_metrics.submitted(order.client_order_id)
            created.append(order)
            prepared = self._prepare_batch_order(order)
            if prepared is not None:
                self.order_lifecycle.queue_bulk(prepared[0].trading_pair, create=prepared)
        return created

    def batch_order_cancel(self, orders_to_cancel: List[LimitOrder]) -> None:
        """Cancels the orders in v2/bulk_orders, with the creates of the same tick (see batch_order_create)."""
        for limit_order in orders_to_cancel:
            order = self._order_tracker.fetch_tracked_order(limit_order.client_order_id)
            if order is not None:
                self.order_lifecycle.queue_bulk(order.trading_pair, cancel=order)

    def _prepare_batch_order(self,
                             order: Union[LimitOrder, MarketOrder]) -> Optional[Tuple[InFlightOrder, Dict[str, Any]]]:
        """(tracked order, signed body), or None after failing the order for its arguments."""
        order_type = order.order_type() if callable(getattr(order, "order_type", None)) else OrderType.MARKET
        trade_type = TradeType.BUY if order.is_buy else TradeType.SELL
        try:
            amount, price = checked_order_arguments(
                self._trading_rules, order.trading_pair, order.quantity, order_type,
                order.price if order_type is not OrderType.MARKET else s_decimal_NaN, order.position,
                self.supported_order_types())
            instrument = self._instruments_by_pair[order.trading_pair]  # recorded with the pair's trading rule
            amount = self.quantize_order_amount(order.trading_pair, amount)
            price = self.quantize_order_price(order.trading_pair, price) if price.is_finite() else price
            # the minimums a single order is checked against: GRVT refuses such an order, and may refuse its bulk
            rule = self._trading_rules[order.trading_pair]
            if amount <= 0 or amount < rule.min_order_size or (
                    price.is_finite() and amount * price < rule.min_notional_size):
                raise GrvtOrderArgumentError(
                    f"Order amount {amount} at {price} is below the minimum size {rule.min_order_size} or notional "
                    f"{rule.min_notional_size} of {order.trading_pair}.")
        except GrvtOrderArgumentError as error:
            self._fail_before_sending(order.client_order_id, trade_type, order.trading_pair, order_type, order.position,
                                      error)
            return None
        self.start_tracking_order(order_id=order.client_order_id, exchange_order_id=None,
                                  trading_pair=order.trading_pair, trade_type=trade_type, price=price,
                                  amount=amount, order_type=order_type, position_action=order.position)
        return (self._order_tracker.active_orders[order.client_order_id],
                self._signed_order(order.client_order_id, instrument, trade_type, amount, order_type, price,
                                   order.position))

    # Cancels
    async def _place_cancel(self, order_id: str, tracked_order: InFlightOrder) -> bool:
        return await self.order_lifecycle.cancel(tracked_order)

    async def _execute_order_cancel(self, order: InFlightOrder) -> Optional[str]:
        return order.client_order_id if await self.order_lifecycle.cancel(order) else None

    async def cancel_all(self, timeout_seconds: float) -> List[CancellationResult]:
        """One cancel_all_orders for the traded pairs, stream confirmations, then whatever remains one by one."""
        return await self.order_lifecycle.cancel_all(timeout_seconds)

    # Order status and fills through REST
    def _is_request_exception_related_to_time_synchronizer(self, request_exception: Exception) -> bool:
        return False

    def _is_order_not_found_during_status_update_error(self, status_update_exception: Exception) -> bool:
        return isinstance(status_update_exception, GrvtPerpetualAPIError) and status_update_exception.is_not_found

    def _is_order_not_found_during_cancelation_error(self, cancelation_exception: Exception) -> bool:
        return isinstance(cancelation_exception, GrvtPerpetualAPIError) and cancelation_exception.is_not_found

    async def _update_orders(self) -> None:
        # orders whose create is in flight or whose outcome the lifecycle resolves are left to it
        polled = [order for order in self.in_flight_orders.values()
                  if not self.order_lifecycle.is_managed(order.client_order_id)]
        await self._update_orders_with_error_handler(polled, self._handle_update_error_for_active_order)

    async def _request_order_status(self, tracked_order: InFlightOrder) -> None:
        """Applies GRVT's answer as the lifecycle applies every report: the base class gets no update."""
        order = await self.account.order(tracked_order.client_order_id, attempts=1,
                                         order_id=tracked_order.exchange_order_id)
        self.order_lifecycle.on_order_report(tracked_order.client_order_id, order.order_id, order.state)

    async def _handle_update_error_for_active_order(self, order: InFlightOrder, error: Exception) -> None:
        # Only "not found" counts towards declaring an order lost: a timeout, a 5xx or a rate limit during an outage
        # says nothing about the order.
        if self._is_order_not_found_during_status_update_error(error):
            await self._order_tracker.process_order_not_found(order.client_order_id)
        else:
            self.order_metrics.errors += 1
            self.logger().warning(f"Status of order {order.client_order_id} unknown for now: {error}.")

    async def _all_trade_updates_for_order(self, order: InFlightOrder) -> List[TradeUpdate]:
        fills = await self._fills_since(order.trading_pair, order.creation_timestamp)
        return [self._trade_update(fill, order) for fill in fills if _fill_belongs_to(fill, order)]

    async def _update_orders_fills(self, orders: List[InFlightOrder]) -> None:
        """One paginated fill-history sweep per trading pair instead of one request per order. A sweep starts where
        the pair's last complete one started, not at the oldest order's creation: an order resting for days would
        page through every fill of those days at each status poll."""
        orders_by_pair: Dict[str, List[InFlightOrder]] = {}
        for order in orders:
            orders_by_pair.setdefault(order.trading_pair, []).append(order)
        for trading_pair, pair_orders in orders_by_pair.items():
            started = self._now()
            since = max(min(order.creation_timestamp for order in pair_orders),
                        self._fills_swept_since.get(trading_pair, 0.0))
            try:
                fills = await self._fills_since(trading_pair, since)
            except Exception as request_error:
                self.logger().warning(f"Failed to fetch trade updates for orders of {trading_pair}: {request_error}")
                continue
            self._fills_swept_since[trading_pair] = started
            for fill in fills:
                if any(_fill_belongs_to(fill, order) for order in pair_orders):
                    self.order_lifecycle.on_fill(fill)

    async def _fills_since(self, trading_pair: str, since: float) -> List[GrvtFill]:
        """Fills of the pair from shortly before `since` (seconds; orders restored without a time: all pages)."""
        start_ns = web_utils.seconds_to_ns(since - self.FILL_HISTORY_MARGIN_SECONDS) if since and since > 0 else 0
        return await self.account.fills(await self._instrument_for_pair(trading_pair), max(0, start_ns))

    def _trade_update(self, fill: GrvtFill, order: InFlightOrder) -> TradeUpdate:
        return trade_update_from_fill(fill, order, self.trade_fee_schema(), order.quote_asset)

    # Balances, positions, leverage, position mode
    async def _status_polling_loop_fetch_updates(self) -> None:
        try:
            await super()._status_polling_loop_fetch_updates()
        except GrvtAuthError as error:  # no session (e.g. a refused key): its reason, not a traceback every 0.5 s
            self.logger().warning(f"GRVT account updates unavailable: {error}")

    async def _update_balances(self) -> None:
        self._account_balances, self._account_available_balances = (await self.account.account_summary()).balances()

    async def _update_positions(self) -> None:
        await self._positions.refresh()

    async def _fetch_account_position_mode(self) -> Optional[PositionMode]:
        return PositionMode.ONEWAY

    async def _trading_pair_position_mode_set(self, mode: PositionMode, trading_pair: str) -> Tuple[bool, str]:
        # The base class fires the PositionModeChange events (once); firing them here too would double them.
        if mode is PositionMode.ONEWAY:
            return True, ""
        return False, "GRVT supports the one-way position mode only."

    async def _set_trading_pair_leverage(self, trading_pair: str, leverage: int) -> Tuple[bool, str]:
        return await self._positions.set_leverage(trading_pair, leverage)

    # Funding
    async def _init_funding_info(self) -> None:
        # The base reads each ticker once, and a failure ends the funding listener: the connector would never be
        # ready. Each pair's ticker is read again, with backoff, until it answers.
        for trading_pair in self.trading_pairs:
            funding_info = await self._until_done(partial(self._orderbook_ds.get_funding_info, trading_pair),
                                                  f"Reading the GRVT funding info of {trading_pair}")
            self._perpetual_trading.initialize_funding_info(funding_info)

    def tick(self, timestamp: float) -> None:
        # Funding payments are looked up once per settlement, shortly after it (GRVT settles on the hour grid).
        interval = self.funding_fee_poll_interval
        last_tick = int((self._last_timestamp - self.FUNDING_SETTLEMENT_DELAY) / interval)
        current_tick = int((timestamp - self.FUNDING_SETTLEMENT_DELAY) / interval)
        ExchangePyBase.tick(self, timestamp)
        if current_tick > last_tick:
            self._funding_fee_poll_notifier.set()

    async def _update_funding_payment(self, trading_pair: str, fire_event_on_new: bool) -> bool:
        """Reports every payment since the last one seen (paginated); the first pass only records the latest."""
        last_seen = self._last_funding_fee_payment_ts.get(trading_pair) if fire_event_on_new else None
        try:
            symbol = await self.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
            payments = await self._funding.payments(trading_pair, symbol, last_seen)
        except Exception as error:
            if isinstance(error, GrvtAuthError):  # as in _status_polling_loop_fetch_updates
                self.logger().warning(f"Could not fetch funding payments for {trading_pair}: {error}")
            else:
                self.logger().network(
                    f"Unexpected error while fetching funding payments for {trading_pair}.", exc_info=True,
                    app_warning_msg=f"Could not fetch funding payments for {trading_pair}. Check network connection.")
            if fire_event_on_new:
                asyncio.get_running_loop().call_later(self.FUNDING_RETRY_DELAY, self._funding_fee_poll_notifier.set)
            return False
        if not fire_event_on_new:
            self._last_funding_fee_payment_ts[trading_pair] = payments[-1][0] if payments else 0
            return True
        # without a start-up record (its read failed) the latest payment is reported, as the base class does
        for timestamp, rate, amount in payments:  # seconds as floats, as the base's _fetch_last_fee_payment declares
            self._emit_funding_payment_event(trading_pair, timestamp, rate, amount, True)  # type: ignore[arg-type]
        return True

    async def _fetch_last_fee_payment(self, trading_pair: str) -> Tuple[float, Decimal, Decimal]:
        symbol = await self.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        payments = await self._funding.payments(trading_pair, symbol, None)
        return payments[-1] if payments else (0, Decimal("-1"), Decimal("-1"))

    # User stream
    async def _user_stream_event_listener(self) -> None:
        async for event_message in self._iter_user_event_queue():
            try:
                await self._process_user_stream_event(event_message)
            except Exception:
                self.order_metrics.errors += 1
                self.logger().error("Unexpected error in user stream listener loop.", exc_info=True)

    async def _process_user_stream_event(self, event_message: Any) -> None:
        if isinstance(event_message, dict) and event_message.get("stream") == RESYNC_EVENT:
            self.logger().info(f"Reconciling with GRVT through REST ({event_message['feed'].get('reason')}).")
            self._resync.request()
            return
        envelope = load(event_message, GrvtStreamEnvelope)
        handler = self._stream_handlers.get(envelope.stream)
        if handler is not None:
            await handler(envelope.feed)

    async def _on_order_state(self, feed: Any) -> None:
        report = load(feed, GrvtOrderStateFeed)
        self.order_lifecycle.on_order_report(report.client_order_id, report.order_id, report.order_state)

    async def _on_fill(self, feed: Any) -> None:
        self.order_lifecycle.on_fill(load(feed, GrvtFill))
        self._balance_refresh.request()

    async def _on_position(self, feed: Any) -> None:
        position = load(feed, GrvtPosition)
        trading_pair = await self._positions.on_report(position)
        if trading_pair and self._funding.settled(trading_pair, position.cumulative_realized_funding_payment):
            self._funding_fee_poll_notifier.set()  # a settlement happened: fetch its payment now

    async def _on_cancel_notice(self, feed: Any) -> None:
        notice = load(feed, GrvtCancelStatus)
        self.logger().info(f"GRVT cancel notice for order {notice.client_order_id or notice.order_id}: "
                           f"{notice.cancel_status.value} ({notice.reason}).")
        self.order_lifecycle.on_cancel_notice(notice)

    def _count_reconnect(self) -> None:
        self.order_metrics.reconnects += 1

    def _on_order_socket_reconnect(self) -> None:
        self._count_reconnect()
        self._resync.request()

    # Start / stop, reconciliation
    async def start_network(self) -> None:
        await super().start_network()
        if self.is_trading_required:
            self.order_transport.start()
            self.order_lifecycle.spawn(self._startup_sync())
            if self._heartbeat is not None:
                self._heartbeat.start()

    async def stop_network(self) -> None:
        if self._heartbeat is not None:
            await self._heartbeat.stop()
        self._balance_refresh.cancel()
        if self._funding_fee_polling_task is not None:  # Hummingbot's stop_network leaves it waiting for ever
            self._funding_fee_polling_task.cancel()
        await self.order_lifecycle.stop()
        await self.order_transport.stop()
        await super().stop_network()

    async def _startup_sync(self) -> None:
        # Both steps are retried until they succeed: without the reconciliation, orders left open by an earlier run
        # would be neither reported nor cancelled; one step failing for good does not hold the other back.
        await self.trading_pair_symbol_map()
        await asyncio.gather(*(self._until_done(step, f"GRVT start-up sync step {step.__name__}")
                               for step in (self._positions.read_leverage, self._reconcile)))

    async def _reconcile_after_resync(self) -> None:
        try:
            await self._reconcile()
            await asyncio.gather(self._update_positions(), self._update_balances())
        except Exception as exception:
            self.logger().warning(f"GRVT reconciliation failed ({exception}); the status poll will retry.")
            self._poll_notifier.set()

    async def _reconcile(self) -> None:
        """Restored and live orders learn their GRVT state and id; untracked open orders are reported or cancelled.
        Fills come first: an order filled while nobody listened, which GRVT may no longer find by client id, is not
        then taken for cancelled without them."""
        await self._update_orders_fills(list(self._order_tracker.all_fillable_orders.values()))
        await self.order_lifecycle.reconcile(cancel_untracked=self._cancel_untracked)

    # Helpers
    async def _until_done(self, step: Callable[[], Awaitable[T]], what: str) -> T:
        backoff = Backoff(initial=1.0, maximum=30.0)
        while True:
            try:
                return await step()
            except Exception as error:
                delay = backoff.next_delay()
                self.logger().warning(f"{what} failed ({error}); retrying in {delay:.1f} s.")
                await self._sleep(delay)

    def _now(self) -> float:
        timestamp = self.current_timestamp
        return self._time() if timestamp is None or timestamp != timestamp or timestamp <= 0 else timestamp


def _fill_belongs_to(fill: GrvtFill, order: InFlightOrder) -> bool:
    if fill.client_order_id and fill.client_order_id == order.client_order_id:
        return True
    return fill.order_id == order.exchange_order_id and is_real_order_id(order.exchange_order_id)
