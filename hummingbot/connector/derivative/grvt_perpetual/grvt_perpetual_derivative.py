"""
Hummingbot perpetual connector for GRVT.

The class is a coordinator: signing lives in ``GrvtPerpetualOrderSigner``, order bodies in
``GrvtSignedOrderFactory``, order entry in a ``GrvtPerpetualOrderTransport`` (REST today), account queries in
``GrvtPerpetualAccountClient``, parsing in ``grvt_perpetual_messages``, order-state decisions in
``GrvtOrderStateMachine``, the session in ``GrvtPerpetualAuth`` and market data in the order book data source.

Behaviour worth knowing:
- GRVT answers a create with order id "0x00" and status PENDING; the real id is taken from the private streams,
  order queries and open orders. Cancels are asynchronous: an order stays PENDING_CANCEL until GRVT reports it
  CANCELLED, and fills arriving after the cancel acknowledgement are still applied.
- Private events never trigger a REST call each: positions come from ``v1.position``, balances are refreshed after
  fills at most once per ``BALANCE_REFRESH_MIN_INTERVAL`` and by the status poll. Order entry has its own
  throttler pool, so polling never delays an order.
- When GRVT may have executed a request that failed here (5xx, timeout, unreadable answer), the order is not
  marked failed blindly: its status is checked by client order id first.
- One-way position mode only. Funding payments are read with pagination at each funding settlement of the traded
  instruments; the sign convention of GRVT's ``amount`` is configurable (``grvt_perpetual_funding_paid_is_positive``).
- The ``grvt_perpetual_*`` options of the constructor are connect keys of the config maps in
  ``grvt_perpetual_utils`` (non-secret, never prompted): users set them in conf/connectors/<connector>.yml.
"""
import asyncio
import time
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

import aiohttp
from bidict import bidict

from hummingbot.connector.constants import s_decimal_NaN
from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_utils as utils,
    grvt_perpetual_web_utils as web_utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_account_client import (
    CoalescingRefresh,
    GrvtPerpetualAccountClient,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_api_order_book_data_source import (
    GrvtPerpetualAPIOrderBookDataSource,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_auth import GrvtPerpetualAuth
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import (
    GrvtOrderRejectedError,
    GrvtPerpetualAPIError,
    error_from_response,
    parse_json_body,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import (
    GrvtCancelStatus,
    GrvtFill,
    GrvtFundingPayment,
    GrvtInstrument,
    GrvtMessageError,
    GrvtOrder,
    GrvtOrderState,
    GrvtOrderStateFeed,
    GrvtPosition,
    GrvtStreamMessage,
    is_real_order_id,
    result_list,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_signer import GrvtPerpetualOrderSigner
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_state_machine import (
    GrvtOrderStateMachine,
    hummingbot_order_state,
    trade_update_from_fill,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_transport import (
    GrvtCancelOnDisconnectHeartbeat,
    GrvtOrderEntryRequests,
    GrvtPerpetualOrderTransport,
    GrvtPerpetualRestOrderTransport,
    GrvtSignedOrderFactory,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_user_stream_data_source import (
    RESYNC_EVENT,
    GrvtPerpetualUserStreamDataSource,
)
from hummingbot.connector.derivative.position import Position
from hummingbot.connector.exchange_py_base import ExchangePyBase
from hummingbot.connector.perpetual_derivative_py_base import PerpetualDerivativePyBase
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.connector.utils import combine_to_hb_trading_pair, get_new_numeric_client_order_id
from hummingbot.core.api_throttler.data_types import RateLimit
from hummingbot.core.data_type.cancellation_result import CancellationResult
from hummingbot.core.data_type.common import OrderType, PositionAction, PositionMode, PositionSide, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate, TradeUpdate
from hummingbot.core.data_type.trade_fee import TradeFeeBase
from hummingbot.core.utils.async_utils import safe_ensure_future, safe_gather
from hummingbot.core.utils.estimate_fee import build_perpetual_trade_fee
from hummingbot.core.utils.tracking_nonce import NonceCreator
from hummingbot.core.web_assistant.connections.data_types import RESTMethod
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory

UNTRACKED_ORDERS_REPORT = utils.UNTRACKED_ORDERS_REPORT
UNTRACKED_ORDERS_CANCEL = utils.UNTRACKED_ORDERS_CANCEL
_NANOS = 1_000_000_000


class GrvtPerpetualDerivative(PerpetualDerivativePyBase):
    web_utils = web_utils

    REST_REQUEST_TIMEOUT = 10.0  # seconds for one HTTP exchange (a create that times out is checked, not failed)
    BALANCE_REFRESH_MIN_INTERVAL = 1.0  # seconds between account_summary calls triggered by fills
    UNCERTAIN_ORDER_CHECK_DELAY = 2.0  # wait before looking up an order whose create outcome is unknown
    CANCEL_ALL_CONFIRMATION_SHARE = 0.5  # share of the cancel_all timeout spent waiting for stream confirmations
    CANCEL_ALL_POLL_INTERVAL = 0.05
    FILL_HISTORY_MARGIN_SECONDS = 60.0  # fills are looked up from this long before an order's creation
    FUNDING_SETTLEMENT_DELAY = 60.0  # payments are looked up this long after each funding settlement
    DEFAULT_MIN_NOTIONAL = Decimal("0")  # instruments without min_notional: GRVT checks it on submission

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
        grvt_perpetual_untracked_open_orders: Optional[str] = UNTRACKED_ORDERS_REPORT,
        grvt_perpetual_funding_paid_is_positive: Union[bool, str, None] = True,
    ):
        """
        The four options are validated like the config map fields; None or "" means the default (Hummingbot builds
        non-trading instances with "" for every config field).

        :param grvt_perpetual_order_expiry_seconds: lifetime of order signatures (= of GTT orders on GRVT), 10 s to
            30 days. Defaults to the quote lifetime (10 minutes; GRVT_PERPETUAL_QUOTE_EXPIRY_SECONDS overrides);
            a single order can pass `expiration_seconds=` to buy/sell.
        :param grvt_perpetual_cancel_on_disconnect_ms: 0 = off; 1000-300000 arms GRVT's dead-man switch, re-armed
            by a heartbeat every third of the countdown while the connector runs.
        :param grvt_perpetual_untracked_open_orders: what to do at start with open orders GRVT holds that this bot
            does not track: "report" (log them) or "cancel".
        :param grvt_perpetual_funding_paid_is_positive: GRVT's spec says a positive funding `amount` is paid by the
            account; live samples suggest the opposite (UNVERIFIED). Hummingbot's events use negative = paid.
        """
        order_expiry_seconds = utils.order_expiry_seconds_option(grvt_perpetual_order_expiry_seconds)
        cancel_on_disconnect_ms = utils.cancel_on_disconnect_ms_option(grvt_perpetual_cancel_on_disconnect_ms)
        untracked_open_orders = utils.untracked_open_orders_option(grvt_perpetual_untracked_open_orders)
        funding_paid_is_positive = utils.funding_paid_is_positive_option(grvt_perpetual_funding_paid_is_positive)
        self._api_key = grvt_perpetual_api_key or ""
        self._trading_account_id = (grvt_perpetual_trading_account_id or "").strip()
        self._domain = domain
        self._trading_required = trading_required
        self._trading_pairs = list(trading_pairs or [])
        self._untracked_orders_policy = untracked_open_orders
        self._funding_sign = Decimal(-1) if funding_paid_is_positive else Decimal(1)
        self._cancel_on_disconnect_countdown_ms = cancel_on_disconnect_ms
        self._signer = GrvtPerpetualOrderSigner(grvt_perpetual_private_key, chain_id=web_utils.chain_id(domain))
        self._instruments: Dict[str, GrvtInstrument] = {}
        self._nonce_creator = NonceCreator.for_microseconds()
        self._state_machine = GrvtOrderStateMachine()
        self._startup_task: Optional[asyncio.Task] = None
        super().__init__(balance_asset_limit=balance_asset_limit, rate_limits_share_pct=rate_limits_share_pct)
        self.real_time_balance_update = False  # balances come from account_summary polls, not from a stream

        expiry = order_expiry_seconds if order_expiry_seconds is not None else web_utils.quote_expiry_seconds(domain)
        requests = GrvtOrderEntryRequests(self._trading_account_id)
        self._order_factory = GrvtSignedOrderFactory(self._signer, self._trading_account_id, expiry)
        self._account = GrvtPerpetualAccountClient(self._trading_account_id, self._private_post, self._public_post)
        self._order_transport: GrvtPerpetualOrderTransport = GrvtPerpetualRestOrderTransport(
            requests=requests, post=self._private_post, throttler=self._throttler)
        self._heartbeat: Optional[GrvtCancelOnDisconnectHeartbeat] = None
        if self._cancel_on_disconnect_countdown_ms > 0:
            self._heartbeat = GrvtCancelOnDisconnectHeartbeat(
                self._order_transport, self._cancel_on_disconnect_countdown_ms)
        self._balance_refresh = CoalescingRefresh(
            self._update_balances, self.BALANCE_REFRESH_MIN_INTERVAL, self.logger)

    # ==============================================================================================================
    # Identity and configuration
    # ==============================================================================================================
    @property
    def name(self) -> str:
        return self._domain

    @property
    def authenticator(self) -> GrvtPerpetualAuth:
        return GrvtPerpetualAuth(
            api_key=self._api_key,
            trading_account_id=self._trading_account_id,
            domain=self._domain,
            throttler=self._throttler,
        )

    @property
    def rate_limits_rules(self) -> List[RateLimit]:
        return CONSTANTS.RATE_LIMITS

    @property
    def domain(self) -> str:
        return self._domain

    @property
    def client_order_id_max_length(self) -> int:
        return CONSTANTS.MAX_ORDER_ID_LEN

    @property
    def client_order_id_prefix(self) -> str:
        return CONSTANTS.HBOT_ORDER_ID_PREFIX

    @property
    def trading_rules_request_path(self) -> str:
        return CONSTANTS.INSTRUMENTS_PATH_URL

    @property
    def trading_pairs_request_path(self) -> str:
        return CONSTANTS.INSTRUMENTS_PATH_URL

    @property
    def check_network_request_path(self) -> str:
        return CONSTANTS.INSTRUMENTS_PATH_URL

    @property
    def trading_pairs(self) -> List[str]:
        return self._trading_pairs

    @property
    def is_cancel_request_in_exchange_synchronous(self) -> bool:
        return False

    @property
    def is_trading_required(self) -> bool:
        return self._trading_required

    @property
    def order_transport(self) -> GrvtPerpetualOrderTransport:
        return self._order_transport

    @property
    def order_factory(self) -> GrvtSignedOrderFactory:
        return self._order_factory

    @property
    def account(self) -> GrvtPerpetualAccountClient:
        """Typed REST queries about the sub-account (orders, fills, positions, leverage, funding payments)."""
        return self._account

    @property
    def instruments(self) -> Dict[str, GrvtInstrument]:
        """GRVT instruments by exchange symbol, as of the last trading-rules update."""
        return self._instruments

    @property
    def funding_fee_poll_interval(self) -> int:
        """Seconds between funding settlements: the shortest funding interval of the traded instruments."""
        hours = [
            instrument.funding_interval_hours
            for instrument in self._instruments.values()
            if instrument.funding_interval_hours and self._is_traded_instrument(instrument)
        ]
        return int(min(hours or [CONSTANTS.DEFAULT_FUNDING_INTERVAL_HOURS]) * 3600)

    def supported_order_types(self) -> List[OrderType]:
        return [OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.MARKET]

    def supported_position_modes(self) -> List[PositionMode]:
        return [PositionMode.ONEWAY]

    def get_buy_collateral_token(self, trading_pair: str) -> str:
        rule = self._trading_rules.get(trading_pair)
        return rule.buy_order_collateral_token if rule is not None else trading_pair.split("-")[1]

    def get_sell_collateral_token(self, trading_pair: str) -> str:
        rule = self._trading_rules.get(trading_pair)
        return rule.sell_order_collateral_token if rule is not None else trading_pair.split("-")[1]

    def set_order_transport(self, transport: GrvtPerpetualOrderTransport):
        """Swaps the order-entry transport (e.g. JSON-RPC over the trades socket with REST fallback)."""
        self._order_transport = transport
        if self._heartbeat is not None:
            self._heartbeat = GrvtCancelOnDisconnectHeartbeat(transport, self._cancel_on_disconnect_countdown_ms)

    # ==============================================================================================================
    # Factories
    # ==============================================================================================================
    def _create_web_assistants_factory(self) -> WebAssistantsFactory:
        return web_utils.build_api_factory(
            throttler=self._throttler,
            time_synchronizer=self._time_synchronizer,
            domain=self._domain,
            auth=self._auth,
        )

    def _create_order_book_data_source(self) -> GrvtPerpetualAPIOrderBookDataSource:
        return GrvtPerpetualAPIOrderBookDataSource(
            trading_pairs=self._trading_pairs,
            connector=self,
            api_factory=self._web_assistants_factory,
            domain=self._domain,
        )

    def _create_user_stream_data_source(self) -> GrvtPerpetualUserStreamDataSource:
        return GrvtPerpetualUserStreamDataSource(
            auth=self._auth,
            api_factory=self._web_assistants_factory,
            domain=self._domain,
        )

    # ==============================================================================================================
    # REST
    # ==============================================================================================================
    async def _api_request(
        self,
        path_url,
        overwrite_url: Optional[str] = None,
        method: RESTMethod = RESTMethod.GET,
        params: Optional[Dict[str, Any]] = None,
        data: Optional[Dict[str, Any]] = None,
        is_auth_required: bool = False,
        return_err: bool = False,
        limit_id: Optional[str] = None,
        headers: Optional[Dict[str, Any]] = None,
        **kwargs,
    ) -> Any:
        """
        Returns the decoded body; raises GrvtPerpetualAPIError for GRVT error envelopes and HTTP errors (also when
        `return_err` is set: callers get typed errors, never raw error bodies). Private calls that fail with an
        expired session (401 / 1000) log in again and are retried once.
        """
        url = overwrite_url or await self._api_request_url(path_url=path_url, is_auth_required=is_auth_required)

        async def request_once():
            rest_assistant = await self._web_assistants_factory.get_rest_assistant()
            response = await rest_assistant.execute_request_and_get_response(
                url=url,
                throttler_limit_id=limit_id or path_url,
                params=params,
                data=data,
                method=method,
                is_auth_required=is_auth_required,
                return_err=True,
                timeout=self.REST_REQUEST_TIMEOUT,
                headers=headers,
            )
            body = await response.text()
            error = error_from_response(response.status, body, path=path_url)
            if error is not None:
                raise error
            return parse_json_body(body)

        if is_auth_required:
            return await self._auth.run_with_session_retry(request_once)
        return await request_once()

    async def _private_post(self, path_url: str, data: Dict[str, Any]) -> Any:
        return await self._api_post(path_url=path_url, data=data, is_auth_required=True, limit_id=path_url)

    async def _public_post(self, path_url: str, data: Dict[str, Any]) -> Any:
        return await self._api_post(path_url=path_url, data=data, limit_id=path_url)

    async def _make_network_check_request(self):
        await self._api_post(path_url=self.check_network_request_path, data=self._instruments_request(limit=1))

    async def _make_trading_rules_request(self) -> Any:
        return await self._api_post(path_url=self.trading_rules_request_path, data=self._instruments_request())

    async def _make_trading_pairs_request(self) -> Any:
        return await self._api_post(path_url=self.trading_pairs_request_path, data=self._instruments_request())

    @staticmethod
    def _instruments_request(limit: int = 1000) -> Dict[str, Any]:
        return {"kind": [CONSTANTS.PERPETUAL_KIND], "is_active": True, "limit": limit}

    # ==============================================================================================================
    # Instruments, symbols, trading rules
    # ==============================================================================================================
    def _parse_instruments(self, exchange_info: Any, log_errors: bool) -> List[GrvtInstrument]:
        instruments = []
        for raw in result_list(exchange_info, "instruments response"):
            try:
                instrument = GrvtInstrument.from_json(raw)
            except GrvtMessageError:
                if log_errors:
                    self.logger().exception(f"Error parsing the trading pair rule {raw}. Skipping.")
                continue
            if instrument.is_perpetual and instrument.settlement_period in ("", CONSTANTS.PERPETUAL_KIND):
                instruments.append(instrument)
        return instruments

    def _initialize_trading_pair_symbols_from_exchange_info(self, exchange_info: Any):
        mapping = bidict()
        for instrument in self._parse_instruments(exchange_info, log_errors=False):
            trading_pair = combine_to_hb_trading_pair(base=instrument.base, quote=instrument.quote)
            if trading_pair in mapping.inverse:
                self.logger().debug(f"Ignoring {instrument.instrument}: {trading_pair} is already mapped.")
                continue
            mapping[instrument.instrument] = trading_pair
            self._instruments[instrument.instrument] = instrument
        self._set_trading_pair_symbol_map(mapping)

    async def _format_trading_rules(self, exchange_info_dict: Any) -> List[TradingRule]:
        rules = []
        for instrument in self._parse_instruments(exchange_info_dict, log_errors=True):
            self._instruments[instrument.instrument] = instrument
            trading_pair = combine_to_hb_trading_pair(base=instrument.base, quote=instrument.quote)
            rule_fields = {}
            if instrument.max_position_size is not None and instrument.max_position_size > 0:
                rule_fields["max_order_size"] = instrument.max_position_size
            rules.append(TradingRule(
                trading_pair=trading_pair,
                min_order_size=instrument.min_size,
                min_price_increment=instrument.tick_size,
                min_base_amount_increment=instrument.min_size,
                min_notional_size=(instrument.min_notional if instrument.min_notional is not None
                                   else self.DEFAULT_MIN_NOTIONAL),
                buy_order_collateral_token=instrument.quote,
                sell_order_collateral_token=instrument.quote,
                **rule_fields,
            ))
        return rules

    async def _instrument_for_pair(self, trading_pair: str) -> GrvtInstrument:
        symbol = await self.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        instrument = self._instruments.get(symbol)
        if instrument is None:
            await self._update_trading_rules()
            instrument = self._instruments.get(symbol)
        if instrument is None:
            raise ValueError(f"GRVT instrument {symbol} of {trading_pair} is unknown or inactive.")
        return instrument

    def _is_traded_instrument(self, instrument: GrvtInstrument) -> bool:
        return combine_to_hb_trading_pair(instrument.base, instrument.quote) in self._trading_pairs

    async def _trading_pair_for_symbol(self, symbol: str) -> Optional[str]:
        try:
            return await self.trading_pair_associated_to_exchange_symbol(symbol=symbol)
        except KeyError:
            return None

    async def _update_trading_fees(self):
        """GRVT reports the fee charged on every fill; the configured schema only serves estimates."""

    def _get_fee(
        self,
        base_currency: str,
        quote_currency: str,
        order_type: OrderType,
        order_side: TradeType,
        position_action: PositionAction,
        amount: Decimal,
        price: Decimal = s_decimal_NaN,
        is_maker: Optional[bool] = None,
    ) -> TradeFeeBase:
        is_maker = order_type is OrderType.LIMIT_MAKER if is_maker is None else is_maker
        return build_perpetual_trade_fee(
            exchange=self.name,
            is_maker=is_maker,
            position_action=position_action,
            base_currency=base_currency,
            quote_currency=quote_currency,
            order_type=order_type,
            order_side=order_side,
            amount=amount,
            price=price,
        )

    async def get_last_traded_prices(self, trading_pairs: List[str]) -> Dict[str, float]:
        return await self._orderbook_ds.get_last_traded_prices(trading_pairs=trading_pairs)

    async def _get_last_traded_price(self, trading_pair: str) -> float:
        return await self._orderbook_ds.get_last_traded_price(trading_pair)

    # ==============================================================================================================
    # Order placement
    # ==============================================================================================================
    def buy(self, trading_pair: str, amount: Decimal, order_type=OrderType.LIMIT, price: Decimal = s_decimal_NaN,
            **kwargs) -> str:
        return self._start_order(TradeType.BUY, trading_pair, amount, order_type, price, **kwargs)

    def sell(self, trading_pair: str, amount: Decimal, order_type=OrderType.LIMIT, price: Decimal = s_decimal_NaN,
             **kwargs) -> str:
        return self._start_order(TradeType.SELL, trading_pair, amount, order_type, price, **kwargs)

    def _start_order(self, trade_type: TradeType, trading_pair: str, amount: Decimal, order_type: OrderType,
                     price: Decimal, **kwargs) -> str:
        """Creates the order in the background under a fresh client order id, which it returns at once."""
        order_id = self._new_client_order_id()
        safe_ensure_future(self._create_order(
            trade_type=trade_type, order_id=order_id, trading_pair=trading_pair, amount=amount,
            order_type=order_type, price=price, **kwargs))
        return order_id

    def _new_client_order_id(self) -> str:
        """A decimal uint64 in GRVT's API-client range [2^63, 2^64 - 1]."""
        number = get_new_numeric_client_order_id(nonce_creator=self._nonce_creator, max_id_bit_count=63)
        return str(number | CONSTANTS.CLIENT_ORDER_ID_MIN)

    async def _place_order(
        self,
        order_id: str,
        trading_pair: str,
        amount: Decimal,
        trade_type: TradeType,
        order_type: OrderType,
        price: Decimal,
        position_action: PositionAction = PositionAction.NIL,
        **kwargs,
    ) -> Tuple[Optional[str], float]:
        """
        Returns (None, timestamp) while GRVT has not assigned the order id (its create answer says "0x00"): the
        tracker records the real id when the streams or a status query report it.
        """
        instrument = await self._instrument_for_pair(trading_pair)
        order = self._order_factory.build(
            client_order_id=order_id,
            instrument=instrument,
            is_buy=trade_type is TradeType.BUY,
            amount=amount,
            order_type=order_type,
            price=price,
            reduce_only=position_action is PositionAction.CLOSE,
            expiry_seconds=kwargs.get("expiration_seconds"),
        )
        acknowledged = await self._order_transport.create_order(order)
        if acknowledged.state is not None and acknowledged.state.status == CONSTANTS.ORDER_STATUS_REJECTED:
            raise GrvtOrderRejectedError(acknowledged.state.reject_reason)
        exchange_order_id = acknowledged.order_id if acknowledged.has_exchange_id else None
        return exchange_order_id, self._now()

    async def _place_order_and_process_update(self, order: InFlightOrder, **kwargs) -> Optional[str]:
        exchange_order_id, update_timestamp = await self._place_order(
            order_id=order.client_order_id,
            trading_pair=order.trading_pair,
            amount=order.amount,
            trade_type=order.trade_type,
            order_type=order.order_type,
            price=order.price,
            **kwargs,
        )
        # The streams can report the order (even fill it) before the create answer arrives: never move it back.
        if order.current_state is OrderState.PENDING_CREATE and not self._state_machine.is_finished(
                order.client_order_id):
            self._order_tracker.process_order_update(OrderUpdate(
                client_order_id=order.client_order_id,
                exchange_order_id=exchange_order_id,
                trading_pair=order.trading_pair,
                update_timestamp=update_timestamp,
                new_state=OrderState.OPEN,
            ))
        elif exchange_order_id is not None and not is_real_order_id(order.exchange_order_id):
            order.update_exchange_order_id(exchange_order_id)
        return exchange_order_id

    def _on_order_failure(
        self,
        order_id: str,
        trading_pair: str,
        amount: Decimal,
        trade_type: TradeType,
        order_type: OrderType,
        price: Optional[Decimal],
        exception: Exception,
        **kwargs,
    ):
        if self._is_create_outcome_unknown(exception):
            self.logger().warning(
                f"The outcome of {trade_type.name} {order_type.name} order {order_id} on {trading_pair} is unknown "
                f"({exception}); checking its status on GRVT before deciding.")
            safe_ensure_future(self._resolve_uncertain_order(order_id))
            return
        super()._on_order_failure(
            order_id=order_id, trading_pair=trading_pair, amount=amount, trade_type=trade_type,
            order_type=order_type, price=price, exception=exception, **kwargs)

    @staticmethod
    def _is_create_outcome_unknown(exception: Exception) -> bool:
        if isinstance(exception, GrvtPerpetualAPIError):
            return exception.is_outcome_unknown
        if isinstance(exception, aiohttp.ClientConnectorError):
            return False  # the connection was never made: nothing reached GRVT
        return isinstance(exception, (asyncio.TimeoutError, aiohttp.ClientError, GrvtMessageError))

    async def _resolve_uncertain_order(self, order_id: str):
        await self._sleep(self.UNCERTAIN_ORDER_CHECK_DELAY)
        order = self._order_tracker.fetch_tracked_order(order_id)
        if order is None or not order.is_pending_create:
            return
        try:
            self._order_tracker.process_order_update(await self._request_order_status(order))
        except asyncio.CancelledError:
            raise
        except Exception as exception:
            if self._is_order_not_found_during_status_update_error(exception):
                self._update_order_after_failure(order_id=order_id, trading_pair=order.trading_pair,
                                                 exception=exception)
            else:
                self.logger().warning(f"Could not resolve order {order_id} yet ({exception}); the status poll will.")

    # ==============================================================================================================
    # Cancels
    # ==============================================================================================================
    async def _place_cancel(self, order_id: str, tracked_order: InFlightOrder) -> bool:
        """Cancels by client order id (always known, even before GRVT assigns the order id)."""
        return await self._order_transport.cancel_order(client_order_id=tracked_order.client_order_id)

    async def cancel_all(self, timeout_seconds: float) -> List[CancellationResult]:
        """
        One cancel_all_orders call for the traded pairs, then waits for the streams to confirm; orders still live
        after a share of the timeout get individual cancels. Success = the order is done, or its cancel acked.
        """
        orders = [order for order in self.in_flight_orders.values() if not order.is_done]
        if not orders:
            # Still sweep the traded pairs: orders whose tracking was lost must not stay on the book after a stop.
            try:
                await asyncio.wait_for(self._cancel_all_on_exchange(), timeout=timeout_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exception:
                self.logger().warning(f"GRVT cancel_all_orders failed: {exception}")
            return []
        deadline = time.monotonic() + timeout_seconds
        acknowledged = set()
        try:
            if await self._cancel_all_on_exchange():
                for order in orders:
                    self._mark_pending_cancel(order)
                await self._wait_until_done(orders, timeout_seconds * self.CANCEL_ALL_CONFIRMATION_SHARE)
        except asyncio.CancelledError:
            raise
        except Exception as exception:
            self.logger().warning(f"GRVT cancel_all_orders failed ({exception}); cancelling orders one by one.")

        remaining = [order for order in orders if not order.is_done]
        if remaining:
            try:
                results = await asyncio.wait_for(
                    safe_gather(*(self._execute_order_cancel(order) for order in remaining), return_exceptions=True),
                    timeout=max(0.0, deadline - time.monotonic()))
                acknowledged = {result for result in results if isinstance(result, str)}
            except asyncio.TimeoutError:
                self.logger().warning("Timed out cancelling GRVT orders one by one.")
        return [
            CancellationResult(order.client_order_id, order.is_done or order.client_order_id in acknowledged)
            for order in orders
        ]

    async def _cancel_all_on_exchange(self) -> bool:
        bases = sorted({pair.split("-")[0] for pair in self._trading_pairs}) or None
        quotes = sorted({pair.split("-")[1] for pair in self._trading_pairs}) or None
        return await self._order_transport.cancel_all_orders(base=bases, quote=quotes)

    def _mark_pending_cancel(self, order: InFlightOrder):
        if not order.is_done and order.current_state is not OrderState.PENDING_CANCEL:
            self._order_tracker.process_order_update(OrderUpdate(
                client_order_id=order.client_order_id,
                trading_pair=order.trading_pair,
                update_timestamp=self._now(),
                new_state=OrderState.PENDING_CANCEL,
            ))

    async def _wait_until_done(self, orders: Iterable[InFlightOrder], timeout: float):
        deadline = time.monotonic() + timeout
        while any(not order.is_done for order in orders) and time.monotonic() < deadline:
            await asyncio.sleep(self.CANCEL_ALL_POLL_INTERVAL)

    async def cancel_untracked_open_orders(self, untracked: Optional[List[GrvtOrder]] = None) -> List[str]:
        """Cancels the open orders of the traded pairs that this bot does not track; returns their GRVT ids."""
        if untracked is None:
            untracked = await self._untracked_open_orders(await self._account.open_orders())
        cancelled = []
        for order in untracked:
            try:
                if await self._order_transport.cancel_order(order_id=order.order_id):
                    cancelled.append(order.order_id)
            except asyncio.CancelledError:
                raise
            except Exception as exception:
                self.logger().warning(f"Could not cancel untracked GRVT order {order.order_id}: {exception}")
        return cancelled

    # ==============================================================================================================
    # Order status and fills through REST
    # ==============================================================================================================
    def _is_request_exception_related_to_time_synchronizer(self, request_exception: Exception) -> bool:
        return False

    def _is_order_not_found_during_status_update_error(self, status_update_exception: Exception) -> bool:
        return isinstance(status_update_exception, GrvtPerpetualAPIError) and status_update_exception.is_not_found

    def _is_order_not_found_during_cancelation_error(self, cancelation_exception: Exception) -> bool:
        return isinstance(cancelation_exception, GrvtPerpetualAPIError) and cancelation_exception.is_not_found

    async def _request_order_status(self, tracked_order: InFlightOrder) -> OrderUpdate:
        order = await self._account.order(tracked_order.client_order_id)
        return self._order_update_for(tracked_order, order.state, order.order_id) or OrderUpdate(
            client_order_id=tracked_order.client_order_id,
            trading_pair=tracked_order.trading_pair,
            update_timestamp=self._now(),
            new_state=tracked_order.current_state,
        )

    async def _handle_update_error_for_active_order(self, order: InFlightOrder, error: Exception):
        # Only "not found" (and a missing exchange id) count towards declaring an order lost; a 5xx or a rate limit
        # during an outage must not make Hummingbot forget live orders.
        if self._is_order_not_found_during_status_update_error(error) or isinstance(error, asyncio.TimeoutError):
            await self._order_tracker.process_order_not_found(order.client_order_id)
        else:
            self.logger().warning(f"Error fetching status update for the active order {order.client_order_id}: "
                                  f"{error}.")

    async def _all_trade_updates_for_order(self, order: InFlightOrder) -> List[TradeUpdate]:
        fills = await self._fills_since(order.trading_pair, order.creation_timestamp)
        return [self._trade_update(fill, order) for fill in fills if self._fill_belongs_to(fill, order)]

    async def _update_orders_fills(self, orders: List[InFlightOrder]):
        """One paginated fill-history sweep per trading pair instead of one request per order."""
        orders_by_pair: Dict[str, List[InFlightOrder]] = {}
        for order in orders:
            orders_by_pair.setdefault(order.trading_pair, []).append(order)
        for trading_pair, pair_orders in orders_by_pair.items():
            try:
                fills = await self._fills_since(trading_pair, min(order.creation_timestamp for order in pair_orders))
            except asyncio.CancelledError:
                raise
            except Exception as request_error:
                self.logger().warning(
                    f"Failed to fetch trade updates for orders of {trading_pair}. Error: {request_error}",
                    exc_info=request_error)
                continue
            for fill in fills:
                order = next((order for order in pair_orders if self._fill_belongs_to(fill, order)), None)
                if order is not None:
                    self._order_tracker.process_trade_update(self._trade_update(fill, order))

    async def _fills_since(self, trading_pair: str, since: float) -> List[GrvtFill]:
        """Fills of the pair from shortly before `since` (seconds; orders restored without a time: all pages)."""
        start_ns = int((since - self.FILL_HISTORY_MARGIN_SECONDS) * _NANOS) if since and since > 0 else 0
        return await self._account.fills(await self._instrument_for_pair(trading_pair), max(0, start_ns))

    @staticmethod
    def _fill_belongs_to(fill: GrvtFill, order: InFlightOrder) -> bool:
        if fill.client_order_id and fill.client_order_id == order.client_order_id:
            return True
        return is_real_order_id(fill.order_id) and fill.order_id == order.exchange_order_id

    def _trade_update(self, fill: GrvtFill, order: InFlightOrder) -> TradeUpdate:
        return trade_update_from_fill(fill, order, self.trade_fee_schema(), order.quote_asset)

    def _order_update_for(
        self, order: InFlightOrder, state: GrvtOrderState, exchange_order_id: Optional[str]
    ) -> Optional[OrderUpdate]:
        if order.client_order_id in self._order_tracker.lost_orders:
            # Lost orders are already FAILED locally; the tracker only needs the final state to release them.
            return OrderUpdate(
                client_order_id=order.client_order_id,
                exchange_order_id=exchange_order_id if is_real_order_id(exchange_order_id) else None,
                trading_pair=order.trading_pair,
                update_timestamp=state.update_timestamp or self._now(),
                new_state=hummingbot_order_state(state),
            )
        return self._state_machine.order_update(order, state, exchange_order_id, self._now())

    # ==============================================================================================================
    # Balances, positions, leverage, position mode
    # ==============================================================================================================
    async def _update_balances(self):
        summary = await self._account.account_summary()
        seen = set()
        for balance in summary.spot_balances:
            seen.add(balance.currency)
            self._account_balances[balance.currency] = balance.balance
            if balance.currency == summary.settle_currency:
                available = summary.available_balance
            elif balance.available_to_transfer is not None:
                available = balance.available_to_transfer
            else:
                available = balance.balance
            self._account_available_balances[balance.currency] = available
        for asset in set(self._account_balances) - seen:
            self._account_balances.pop(asset, None)
            self._account_available_balances.pop(asset, None)

    async def _update_positions(self):
        reported = set()
        for position in await self._account.positions():
            trading_pair = await self._apply_position(position)
            if trading_pair is not None:
                reported.add(trading_pair)
        for key, position in list(self.account_positions.items()):
            if position.trading_pair not in reported:
                self._perpetual_trading.remove_position(key)

    async def _apply_position(self, position: GrvtPosition) -> Optional[str]:
        trading_pair = await self._trading_pair_for_symbol(position.instrument)
        if trading_pair is None:
            return None
        key = self._perpetual_trading.position_key(trading_pair)
        if position.size == 0:
            self._perpetual_trading.remove_position(key)
            return trading_pair
        leverage = position.leverage if position.leverage else Decimal(self.get_leverage(trading_pair))
        self._perpetual_trading.set_position(key, Position(
            trading_pair=trading_pair,
            position_side=PositionSide.LONG if position.size > 0 else PositionSide.SHORT,
            unrealized_pnl=position.unrealized_pnl,
            entry_price=position.entry_price,
            amount=position.size,
            leverage=leverage,
        ))
        return trading_pair

    async def _fetch_account_position_mode(self) -> Optional[PositionMode]:
        return PositionMode.ONEWAY

    async def _trading_pair_position_mode_set(self, mode: PositionMode, trading_pair: str) -> Tuple[bool, str]:
        # The base class fires the PositionModeChange events (once); firing them here too would double them.
        if mode is PositionMode.ONEWAY:
            return True, ""
        return False, "GRVT supports the one-way position mode only."

    async def _set_trading_pair_leverage(self, trading_pair: str, leverage: int) -> Tuple[bool, str]:
        try:
            symbol = await self.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
            confirmed = await self._account.set_initial_leverage(symbol, leverage)
        except asyncio.CancelledError:
            raise
        except Exception as exception:
            return False, str(exception)
        if confirmed:
            return True, ""
        return False, f"GRVT did not confirm leverage {leverage} for {trading_pair}."

    async def _sync_initial_leverage(self):
        """Reads the leverage GRVT applies to each traded instrument (set in the UI or by an earlier run)."""
        for setting in await self._account.initial_leverages():
            trading_pair = await self._trading_pair_for_symbol(setting.instrument)
            if trading_pair in self._trading_pairs:
                self._perpetual_trading.set_leverage(trading_pair, int(setting.leverage))

    # ==============================================================================================================
    # Funding
    # ==============================================================================================================
    def tick(self, timestamp: float):
        # Funding payments are looked up once per settlement, shortly after it (GRVT settles on the hour grid).
        interval = self.funding_fee_poll_interval
        last_tick = int((self._last_timestamp - self.FUNDING_SETTLEMENT_DELAY) / interval)
        current_tick = int((timestamp - self.FUNDING_SETTLEMENT_DELAY) / interval)
        ExchangePyBase.tick(self, timestamp)
        if current_tick > last_tick:
            self._funding_fee_poll_notifier.set()

    async def _update_funding_payment(self, trading_pair: str, fire_event_on_new: bool) -> bool:
        """Reports every payment since the last one seen (paginated); the first pass only records the latest."""
        initialized = trading_pair in self._last_funding_fee_payment_ts
        try:
            symbol = await self.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
            if fire_event_on_new and initialized:
                after_ns = int(self._last_funding_fee_payment_ts[trading_pair] * _NANOS)
                payments = await self._account.funding_payments(symbol, after_ns=after_ns)
            else:
                payments = await self._account.funding_payments(symbol, latest_only=True)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.logger().network(
                f"Unexpected error while fetching funding payments for {trading_pair}.", exc_info=True,
                app_warning_msg=f"Could not fetch funding payments for {trading_pair}. Check network connection.")
            return False
        if not (fire_event_on_new and initialized):
            self._last_funding_fee_payment_ts[trading_pair] = payments[-1].timestamp if payments else 0
            return True
        for payment in payments:
            rate = await self._funding_rate_of(trading_pair, payment)
            self._emit_funding_payment_event(
                trading_pair, payment.timestamp, rate, payment.amount * self._funding_sign, True)
        return True

    async def _fetch_last_fee_payment(self, trading_pair: str) -> Tuple[float, Decimal, Decimal]:
        symbol = await self.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        payments = await self._account.funding_payments(symbol, latest_only=True)
        if not payments:
            return 0, Decimal("-1"), Decimal("-1")
        payment = payments[-1]
        rate = await self._funding_rate_of(trading_pair, payment)
        return payment.timestamp, rate, payment.amount * self._funding_sign

    async def _funding_rate_of(self, trading_pair: str, payment: GrvtFundingPayment) -> Decimal:
        """The rate of the settlement a payment belongs to; the streamed funding info when GRVT cannot tell."""
        try:
            rate = await self._account.funding_rate_at(payment.instrument, payment.event_time_ns)
            if rate is not None:
                return rate
        except asyncio.CancelledError:
            raise
        except Exception as exception:
            self.logger().debug(f"GRVT funding rate lookup failed: {exception}")
        funding_info = self._perpetual_trading.funding_info.get(trading_pair)
        return funding_info.rate if funding_info is not None else s_decimal_NaN

    # ==============================================================================================================
    # User stream
    # ==============================================================================================================
    async def _user_stream_event_listener(self):
        async for event_message in self._iter_user_event_queue():
            try:
                await self._process_user_stream_event(event_message)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.logger().error("Unexpected error in user stream listener loop.", exc_info=True)

    async def _process_user_stream_event(self, event_message: Any):
        message = GrvtStreamMessage.from_json(event_message)
        stream = message.stream
        if stream == CONSTANTS.WS_ORDER_STATE_STREAM:
            feed = GrvtOrderStateFeed.from_json(message.feed)
            self._apply_order_report(feed.client_order_id, feed.order_id, feed.state)
        elif stream == CONSTANTS.WS_ORDER_STREAM:
            order = GrvtOrder.from_json(message.feed)
            if order.state is not None:
                self._apply_order_report(order.client_order_id, order.order_id, order.state)
        elif stream == CONSTANTS.WS_FILL_STREAM:
            self._apply_fill(GrvtFill.from_json(message.feed))
        elif stream == CONSTANTS.WS_POSITION_STREAM:
            await self._apply_position(GrvtPosition.from_json(message.feed))
        elif stream == CONSTANTS.WS_CANCEL_STREAM:
            notice = GrvtCancelStatus.from_json(message.feed)
            self.logger().info(f"GRVT cancel notice for order {notice.client_order_id or notice.order_id}: "
                               f"{notice.cancel_status} ({notice.reason}).")
        elif stream == RESYNC_EVENT:
            self.logger().info(f"Reconciling with GRVT through REST ({message.feed.get('reason')}).")
            self._poll_notifier.set()

    def _tracked_order(self, client_order_id: str, exchange_order_id: Optional[str]) -> Optional[InFlightOrder]:
        tracker = self._order_tracker
        order = tracker.fetch_tracked_order(client_order_id) if client_order_id else None
        if order is None and client_order_id:
            order = tracker.fetch_lost_order(client_order_id=client_order_id)
        if order is None and is_real_order_id(exchange_order_id):
            order = next((candidate for candidate in tracker.active_orders.values()
                          if candidate.exchange_order_id == exchange_order_id), None)
            order = order or tracker.fetch_lost_order(exchange_order_id=exchange_order_id)
        return order

    def _apply_order_report(self, client_order_id: str, exchange_order_id: str, state: GrvtOrderState):
        order = self._tracked_order(client_order_id, exchange_order_id)
        if order is None:
            return
        update = self._order_update_for(order, state, exchange_order_id)
        if update is not None:
            self._order_tracker.process_order_update(update)

    def _apply_fill(self, fill: GrvtFill):
        tracker = self._order_tracker
        order = tracker.all_fillable_orders.get(fill.client_order_id) if fill.client_order_id else None
        if order is None and is_real_order_id(fill.order_id):
            order = tracker.all_fillable_orders_by_exchange_order_id.get(fill.order_id)
        if order is not None:
            tracker.process_trade_update(self._trade_update(fill, order))
        self._balance_refresh.request()

    # ==============================================================================================================
    # Start / stop, reconciliation
    # ==============================================================================================================
    async def start_network(self):
        await super().start_network()
        if self.is_trading_required:
            self._startup_task = safe_ensure_future(self._startup_sync())
            if self._heartbeat is not None:
                self._heartbeat.start()

    async def stop_network(self):
        if self._startup_task is not None:
            self._startup_task.cancel()
            self._startup_task = None
        if self._heartbeat is not None:
            await self._heartbeat.stop()
        self._balance_refresh.cancel()
        await super().stop_network()

    async def _startup_sync(self):
        await self.trading_pair_symbol_map()
        for step in (self._sync_initial_leverage, self._reconcile_open_orders):
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception as exception:
                self.logger().warning(f"GRVT start-up sync step {step.__name__} failed: {exception}")

    async def _untracked_open_orders(self, exchange_orders: List[GrvtOrder]) -> List[GrvtOrder]:
        traded = set()
        for trading_pair in self._trading_pairs:
            try:
                traded.add(await self.exchange_symbol_associated_to_pair(trading_pair=trading_pair))
            except KeyError:
                continue
        return [
            order for order in exchange_orders
            if order.instrument in traded and self._tracked_order(order.client_order_id, order.order_id) is None
        ]

    async def _reconcile_open_orders(self):
        """
        Start-up reconciliation: restored orders learn their GRVT state and id; open orders GRVT holds for the
        traded pairs that no tracked order matches are reported, and cancelled if so configured.
        """
        exchange_orders = await self._account.open_orders()
        for exchange_order in exchange_orders:
            if exchange_order.state is not None:
                self._apply_order_report(exchange_order.client_order_id, exchange_order.order_id, exchange_order.state)
        if self.in_flight_orders:
            # restored orders GRVT no longer lists ended while the bot was away: let the status poll settle them
            self._poll_notifier.set()
        untracked = await self._untracked_open_orders(exchange_orders)
        for order in untracked:
            self.logger().warning(
                f"GRVT holds an open order this bot does not track: {order.order_id} (client id "
                f"{order.client_order_id}) {'BUY' if order.is_buying_asset else 'SELL'} {order.size} "
                f"{order.instrument} @ {order.limit_price}.")
        if untracked and self._untracked_orders_policy == UNTRACKED_ORDERS_CANCEL:
            await self.cancel_untracked_open_orders(untracked)

    # ==============================================================================================================
    # Helpers
    # ==============================================================================================================
    def _now(self) -> float:
        timestamp = self.current_timestamp
        return self._time() if timestamp is None or timestamp != timestamp or timestamp <= 0 else timestamp
