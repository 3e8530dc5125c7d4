"""
Public market data of GRVT perpetuals for Hummingbot: order books, trades and funding information.

Streams (market-data socket ``/ws/full``, JSON-RPC ``subscribe``, one selector per request so that a rejected
instrument never takes other pairs down with it):
- ``v1.book.d``: full book on subscribe, then changed levels. Snapshots and deltas travel through ONE queue (the
  diff queue) and are judged in arrival order by ``GrvtPerpetualBookSequencer``; the parser emits SNAPSHOT or DIFF
  messages onto the tracker's diff stream, whose router forwards both kinds in order to the book. Sending stream
  snapshots through the tracker's separate snapshot path would let them overtake or trail deltas, and that path
  waits until every pair is initialised while only 32 diffs are kept for replay. The common payload, the delta
  right after the last one of its book, is judged by the socket reader itself when nothing waits in that queue,
  which keeps the order and saves a queue hop and a task switch per delta.
- ``v1.trade``: public trades; GRVT replays recent trades on every (re)subscribe, so trade ids already seen are
  dropped, and trades replayed on the first subscription that predate it are history, not events.
- ``v1.ticker.s``: mark and index price, funding rate (GRVT reports percent) and next funding time.

Resynchronisation: a gap or a decrease in a book's sequence numbers makes the sequencer drop deltas of that book
until a new snapshot; the data source unsubscribes and resubscribes the book (GRVT sends a fresh snapshot on
subscribe) and, when no snapshot comes in time, falls back to a REST snapshot. A reconnect resets every book: the
first payload of each new subscription is its snapshot. Control markers placed in the diff queue keep these state
changes in order with the payloads around them. A socket silent for WS_SILENCE_TIMEOUT_SECONDS is replaced.
"""
import asyncio
import time
from collections import deque
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Deque, Dict, List, Mapping, NamedTuple, Optional, Set

from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_web_utils as web_utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_book_sequencer import (
    NO_PREVIOUS_SEQUENCE,
    BookSequenceVerdict,
    GrvtPerpetualBookSequencer,
    parse_sequence_number,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_book import (
    GrvtPerpetualOrderBook,
    book_message,
)
from hummingbot.core.data_type.funding_info import FundingInfo, FundingInfoUpdate
from hummingbot.core.data_type.order_book_message import OrderBookMessage, OrderBookMessageType
from hummingbot.core.data_type.perpetual_api_order_book_data_source import PerpetualAPIOrderBookDataSource
from hummingbot.core.utils.async_utils import safe_ensure_future
from hummingbot.core.web_assistant.connections.data_types import WSJSONRequest
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory
from hummingbot.core.web_assistant.ws_assistant import WSAssistant
from hummingbot.logger import HummingbotLogger

if TYPE_CHECKING:
    from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_derivative import GrvtPerpetualDerivative

_SNAPSHOT_SEQUENCE = "0"
_DIFF = OrderBookMessageType.DIFF
_MAX_LOGGED_MESSAGE_CHARS = 300


class MalformedMarketDataError(ValueError):
    """A GRVT market-data payload lacks a field or carries a value that cannot be converted."""


class _ResetBooks(NamedTuple):
    """Control marker: the books of ``instrument`` (every book when None) start over with a new subscription."""
    instrument: Optional[str]


class _ResyncBook(NamedTuple):
    """Control marker: refresh the book of ``instrument`` by resubscribing (hourly refresh)."""
    instrument: str
    trading_pair: str


class _ExternalBookSnapshot(NamedTuple):
    """Control marker: a REST book to apply if the book still waits for a snapshot when the marker is reached."""
    instrument: str
    trading_pair: str
    levels: Mapping[str, Any]


class _PendingRequest(NamedTuple):
    method: str
    stream: str
    selector: str
    trading_pair: str


class _SilenceWatch:
    """
    Cancels the current task once ``ws`` has received nothing for ``timeout`` seconds (``expired`` tells why).
    One timer per ``timeout`` period, re-armed from the socket's last receive time, instead of one per frame.
    """

    __slots__ = ("_ws", "_timeout", "_task", "_loop", "_started", "_handle", "expired")

    def __init__(self, ws: WSAssistant, timeout: float):
        self._ws = ws
        self._timeout = timeout
        self._task = asyncio.current_task()
        self._loop = asyncio.get_running_loop()
        self._started = time.time()
        self.expired = False
        self._handle = self._loop.call_later(timeout, self.check)

    def check(self):
        last_frame = max(self._ws.last_recv_time, self._started)  # same clock as WSConnection's: time.time()
        remaining = last_frame + self._timeout - time.time()
        if remaining > 0:
            self._handle = self._loop.call_later(remaining, self.check)
        else:
            self.expired = True
            self._task.cancel()

    def stop(self):
        self._handle.cancel()


class RecentTradeIds:
    """The last ``capacity`` trade ids of a pair, for dropping replays; O(1) add and lookup."""

    __slots__ = ("_order", "_ids", "_capacity")

    def __init__(self, capacity: int):
        self._order: Deque[str] = deque()
        self._ids: Set[str] = set()
        self._capacity = capacity

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, trade_id: str) -> bool:
        return trade_id in self._ids

    def add(self, trade_id: str) -> bool:
        """Remembers ``trade_id``; False when it was already known."""
        if trade_id in self._ids:
            return False
        if len(self._order) >= self._capacity:
            self._ids.discard(self._order.popleft())
        self._order.append(trade_id)
        self._ids.add(trade_id)
        return True


def funding_rate_fraction(ticker: Mapping[str, Any]) -> Optional[Decimal]:
    """
    The funding rate of a GRVT ticker as a fraction: GRVT reports percent ("0.01" = 0.01 % = 0.0001). Reads
    ``funding_rate`` and falls back to the deprecated ``funding_rate_8h_curr`` (also percent).
    """
    value = ticker.get("funding_rate")
    if value is None or value == "":
        value = ticker.get("funding_rate_8h_curr")
    if value is None or value == "":
        return None
    return _decimal(value, "funding_rate") * CONSTANTS.FUNDING_RATE_PERCENT_SCALE


def next_funding_timestamp(ticker: Mapping[str, Any]) -> Optional[int]:
    """``next_funding_time`` (unix ns) in whole seconds; None when absent or zero."""
    value = ticker.get("next_funding_time")
    if value is None or value == "":
        return None
    try:
        nanoseconds = int(value)
    except (TypeError, ValueError):
        raise MalformedMarketDataError(f"next_funding_time is not an integer: {value!r}")
    return nanoseconds // CONSTANTS.NANOS_PER_SECOND if nanoseconds > 0 else None


def _decimal(value: Any, field: str) -> Decimal:
    number = None
    if not isinstance(value, bool):
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            pass
    if number is None or not number.is_finite():
        raise MalformedMarketDataError(f"{field} is not a number: {value!r}")
    return number


def _optional_decimal(ticker: Mapping[str, Any], field: str) -> Optional[Decimal]:
    value = ticker.get(field)
    if value is None or value == "":
        return None
    return _decimal(value, field)


def _required_decimal(ticker: Mapping[str, Any], field: str) -> Decimal:
    value = _optional_decimal(ticker, field)
    if value is None:
        raise MalformedMarketDataError(f"GRVT ticker has no {field}: {_shorten(ticker)}")
    return value


def _result(response: Any, what: str) -> Mapping[str, Any]:
    result = response.get("result") if isinstance(response, Mapping) else None
    if not isinstance(result, Mapping):
        raise MalformedMarketDataError(f"GRVT {what} response has no result object: {_shorten(response)}")
    return result


def _shorten(message: Any) -> str:
    text = repr(message)
    if len(text) > _MAX_LOGGED_MESSAGE_CHARS:
        text = text[:_MAX_LOGGED_MESSAGE_CHARS] + "..."
    return text


class GrvtPerpetualAPIOrderBookDataSource(PerpetualAPIOrderBookDataSource):
    RESYNC_SNAPSHOT_TIMEOUT_SECONDS = 5.0  # wait this long for the resubscribe snapshot before using REST
    SILENCE_TIMEOUT_SECONDS = CONSTANTS.WS_SILENCE_TIMEOUT_SECONDS  # reconnect when no frame came for this long
    TRADE_IDS_REMEMBERED_PER_PAIR = 4096  # above GRVT's largest replay (1000)

    _logger: Optional[HummingbotLogger] = None

    def __init__(
        self,
        trading_pairs: List[str],
        connector: "GrvtPerpetualDerivative",
        api_factory: WebAssistantsFactory,
        domain: str = CONSTANTS.DEFAULT_DOMAIN,
        book_rate_ms: int = CONSTANTS.WS_BOOK_DELTA_RATE_MS,
        trade_limit: int = CONSTANTS.WS_TRADE_LIMIT,
        ticker_rate_ms: int = CONSTANTS.WS_TICKER_SNAPSHOT_RATE_MS,
        snapshot_depth: int = CONSTANTS.ORDER_BOOK_SNAPSHOT_DEPTH,
    ):
        super().__init__(trading_pairs)
        for value, allowed, name in (
            (book_rate_ms, CONSTANTS.WS_BOOK_DELTA_RATES_MS, "book_rate_ms"),
            (trade_limit, CONSTANTS.WS_TRADE_LIMITS, "trade_limit"),
            (ticker_rate_ms, CONSTANTS.WS_TICKER_SNAPSHOT_RATES_MS, "ticker_rate_ms"),
            (snapshot_depth, CONSTANTS.ORDER_BOOK_DEPTHS, "snapshot_depth"),
        ):
            if value not in allowed:
                raise ValueError(f"GRVT {name} must be one of {allowed}, got {value}.")
        self._connector = connector
        self._api_factory = api_factory
        self._domain = domain
        self._book_rate_ms = book_rate_ms
        self._trade_limit = trade_limit
        self._ticker_rate_ms = ticker_rate_ms
        self._snapshot_depth = snapshot_depth
        self.order_book_create_function = GrvtPerpetualOrderBook

        self._sequencer = GrvtPerpetualBookSequencer()
        self._instrument_to_pair: Dict[str, str] = {}
        self._pending_requests: Dict[int, _PendingRequest] = {}
        self._last_request_id = 0
        self._recent_trade_ids: Dict[str, RecentTradeIds] = {}
        self._history_cutoff_ns: Dict[str, int] = {}  # per pair: replayed trades older than this are history
        self._snapshot_events: Dict[str, asyncio.Event] = {}
        self._resync_tasks: Dict[str, asyncio.Task] = {}
        self._book_output: Optional[asyncio.Queue] = None  # the tracker's diff stream, once it listens
        self._book_payload_in_progress = False
        self.duplicate_trades = 0
        self.malformed_messages = 0
        self.rejected_subscriptions = 0

    # ------------------------------------------------------------------------------------------------------------
    # Public API
    # ------------------------------------------------------------------------------------------------------------
    @property
    def sequencer(self) -> GrvtPerpetualBookSequencer:
        return self._sequencer

    def market_data_stats(self) -> Dict[str, int]:
        """Counters for metrics and benchmarks: book sequencing plus dropped trades and messages."""
        stats = self._sequencer.stats()
        stats["duplicate_trades"] = self.duplicate_trades
        stats["malformed_messages"] = self.malformed_messages
        stats["rejected_subscriptions"] = self.rejected_subscriptions
        return stats

    async def get_last_traded_prices(self, trading_pairs: List[str], domain: Optional[str] = None) -> Dict[str, float]:
        results = await asyncio.gather(
            *(self.get_last_traded_price(trading_pair) for trading_pair in trading_pairs), return_exceptions=True)
        prices: Dict[str, float] = {}
        for trading_pair, result in zip(trading_pairs, results):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, BaseException):
                self.logger().warning(f"Could not read the last traded price of {trading_pair} from GRVT: {result}")
            elif result is not None:
                prices[trading_pair] = result
        return prices

    async def get_last_traded_price(self, trading_pair: str) -> Optional[float]:
        """Last trade price from the REST mini ticker; None when GRVT has no trade for the instrument."""
        instrument = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        response = await self._connector._api_post(
            path_url=CONSTANTS.MINI_TICKER_PATH_URL,
            data={"instrument": instrument},
            is_auth_required=False,
            limit_id=CONSTANTS.MINI_TICKER_PATH_URL,
        )
        last_price = _result(response, "mini ticker").get("last_price")
        if last_price is None or last_price == "":
            return None
        return float(last_price)

    async def get_funding_info(self, trading_pair: str) -> FundingInfo:
        instrument = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        response = await self._connector._api_post(
            path_url=CONSTANTS.TICKER_PATH_URL,
            data={"instrument": instrument},
            is_auth_required=False,
            limit_id=CONSTANTS.TICKER_PATH_URL,
        )
        ticker = _result(response, "ticker")
        rate = funding_rate_fraction(ticker)
        if rate is None:
            raise MalformedMarketDataError(f"GRVT ticker of {trading_pair} has no funding rate: {_shorten(ticker)}")
        return FundingInfo(
            trading_pair=trading_pair,
            index_price=_required_decimal(ticker, "index_price"),
            mark_price=_required_decimal(ticker, "mark_price"),
            next_funding_utc_timestamp=next_funding_timestamp(ticker) or 0,
            rate=rate,
        )

    async def subscribe_to_trading_pair(self, trading_pair: str) -> bool:
        ws = self._ws_assistant
        if ws is None:
            self.logger().warning(f"Cannot subscribe to {trading_pair}: the GRVT market-data socket is not connected.")
            return False
        instrument = None
        try:
            instrument = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
            self._message_queue[self._diff_messages_queue_key].put_nowait(_ResetBooks(instrument))
            self._instrument_to_pair[instrument] = trading_pair
            self._history_cutoff_ns[trading_pair] = time.time_ns()
            self.add_trading_pair(trading_pair)
            await self._subscribe_instrument(ws, instrument, trading_pair)
            self.logger().info(f"Subscribed to GRVT public streams of {trading_pair}.")
            return True
        except asyncio.CancelledError:
            raise
        except Exception as exception:
            if instrument is not None:
                self._forget_instrument(instrument, trading_pair)
            self.logger().error(f"Error subscribing to GRVT public streams of {trading_pair}: {exception}")
            return False

    async def unsubscribe_from_trading_pair(self, trading_pair: str) -> bool:
        ws = self._ws_assistant
        if ws is None:
            self.logger().warning(
                f"Cannot unsubscribe from {trading_pair}: the GRVT market-data socket is not connected.")
            return False
        try:
            instrument = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
            for stream, selector in self._selectors(instrument):
                await self._send_request(ws, CONSTANTS.WS_RPC_UNSUBSCRIBE, stream, selector, trading_pair)
            self._forget_instrument(instrument, trading_pair)
            self.logger().info(f"Unsubscribed from GRVT public streams of {trading_pair}.")
            return True
        except asyncio.CancelledError:
            raise
        except Exception as exception:
            self.logger().error(f"Error unsubscribing from GRVT public streams of {trading_pair}: {exception}")
            return False

    # ------------------------------------------------------------------------------------------------------------
    # REST snapshots
    # ------------------------------------------------------------------------------------------------------------
    async def _request_order_book_snapshot(self, trading_pair: str) -> Mapping[str, Any]:
        instrument = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        response = await self._connector._api_post(
            path_url=CONSTANTS.ORDER_BOOK_PATH_URL,
            data={"instrument": instrument, "depth": self._snapshot_depth},
            is_auth_required=False,
            limit_id=CONSTANTS.ORDER_BOOK_PATH_URL,
        )
        levels = _result(response, "order book")
        if not isinstance(levels.get("bids", []), list) or not isinstance(levels.get("asks", []), list):
            raise MalformedMarketDataError(f"GRVT order book response has no level lists: {_shorten(response)}")
        return levels

    async def _order_book_snapshot(self, trading_pair: str) -> OrderBookMessage:
        levels = await self._request_order_book_snapshot(trading_pair)
        instrument = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        # A REST book has no sequence number. It takes the id of the stream's current snapshot, so the tracker
        # rejects none of the stream payloads of this epoch still on their way (the stream snapshot among them
        # replaces this book when it arrives).
        return GrvtPerpetualOrderBook.snapshot_message_from_exchange(
            levels, trading_pair, self._sequencer.snapshot_update_id(instrument))

    async def _request_order_book_snapshots(self, output: asyncio.Queue):
        """Hourly refresh of the base class: resubscribe every book (REST only if the stream snapshot fails)."""
        for trading_pair in list(self._trading_pairs):
            instrument = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
            self._message_queue[self._diff_messages_queue_key].put_nowait(_ResyncBook(instrument, trading_pair))

    # ------------------------------------------------------------------------------------------------------------
    # Socket and subscriptions
    # ------------------------------------------------------------------------------------------------------------
    async def _connected_websocket_assistant(self) -> WSAssistant:
        ws: WSAssistant = await self._api_factory.get_ws_assistant()
        # No message_timeout: it arms a timer around every frame read; _SilenceWatch checks silence instead.
        await ws.connect(
            ws_url=web_utils.public_ws_url(self._domain),
            ping_timeout=CONSTANTS.WS_HEARTBEAT_INTERVAL_SECONDS,
        )
        return ws

    async def _subscribe_channels(self, ws: WSAssistant):
        try:
            self._pending_requests.clear()
            # Ordered with the payloads: everything of the old socket is judged before the books start over.
            self._message_queue[self._diff_messages_queue_key].put_nowait(_ResetBooks(None))
            first_subscription_ns = time.time_ns()
            for trading_pair in list(self._trading_pairs):
                try:
                    instrument = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
                except asyncio.CancelledError:
                    raise
                except Exception as exception:
                    self.logger().error(f"GRVT has no instrument for {trading_pair}, not subscribing it: {exception}")
                    continue
                self._instrument_to_pair[instrument] = trading_pair
                self._history_cutoff_ns.setdefault(trading_pair, first_subscription_ns)
                await self._subscribe_instrument(ws, instrument, trading_pair)
            self.logger().info("Subscribed to GRVT public order book, trade and ticker streams.")
        except asyncio.CancelledError:
            raise
        except Exception:
            self.logger().error("Unexpected error subscribing to GRVT public streams.", exc_info=True)
            raise

    async def _subscribe_instrument(self, ws: WSAssistant, instrument: str, trading_pair: str):
        for stream, selector in self._selectors(instrument):
            await self._send_request(ws, CONSTANTS.WS_RPC_SUBSCRIBE, stream, selector, trading_pair)

    def _selectors(self, instrument: str):
        return (
            (CONSTANTS.WS_BOOK_DELTA_STREAM, self._book_selector(instrument)),
            (CONSTANTS.WS_TRADE_STREAM, web_utils.public_selector(instrument, self._trade_limit)),
            (CONSTANTS.WS_TICKER_SNAPSHOT_STREAM, web_utils.public_selector(instrument, self._ticker_rate_ms)),
        )

    def _book_selector(self, instrument: str) -> str:
        return web_utils.public_selector(instrument, self._book_rate_ms)

    async def _send_request(self, ws: WSAssistant, method: str, stream: str, selector: str, trading_pair: str):
        self._last_request_id += 1
        request_id = self._last_request_id
        self._pending_requests[request_id] = _PendingRequest(method, stream, selector, trading_pair)
        await ws.send(WSJSONRequest(payload={
            "jsonrpc": CONSTANTS.JSON_RPC_VERSION,
            "method": method,
            "params": {"stream": stream, "selectors": [selector]},
            "id": request_id,
        }))

    def _forget_instrument(self, instrument: str, trading_pair: str):
        self._instrument_to_pair.pop(instrument, None)
        self._recent_trade_ids.pop(trading_pair, None)
        self._history_cutoff_ns.pop(trading_pair, None)
        task = self._resync_tasks.pop(instrument, None)
        if task is not None:
            task.cancel()
        self.remove_trading_pair(trading_pair)

    async def _on_order_stream_interruption(self, websocket_assistant: Optional[WSAssistant] = None):
        # The reconnect resubscribes every book, which makes pending resyncs pointless.
        for task in self._resync_tasks.values():
            task.cancel()
        self._resync_tasks.clear()
        await super()._on_order_stream_interruption(websocket_assistant=websocket_assistant)

    # ------------------------------------------------------------------------------------------------------------
    # Routing
    # ------------------------------------------------------------------------------------------------------------
    def _stream_queue_keys(self) -> Dict[str, str]:
        return {
            CONSTANTS.WS_BOOK_DELTA_STREAM: self._diff_messages_queue_key,
            CONSTANTS.WS_TRADE_STREAM: self._trade_messages_queue_key,
            CONSTANTS.WS_TICKER_SNAPSHOT_STREAM: self._funding_info_messages_queue_key,
        }

    def _channel_originating_message(self, event_message: Dict[str, Any]) -> str:
        if type(event_message) is not dict:
            return ""
        stream = event_message.get("stream")
        return self._stream_queue_keys().get(stream, "") if type(stream) is str else ""

    async def _process_websocket_messages(self, websocket_assistant: WSAssistant):
        """
        The base loop, routed through one dict lookup per message (the base class builds its list of queue keys
        for every message), and watched for silence: no frame for ``SILENCE_TIMEOUT_SECONDS`` ends the socket
        with a ConnectionError, so the listener reconnects.
        """
        queues = {stream: self._message_queue[key] for stream, key in self._stream_queue_keys().items()}
        book_queue = queues[CONSTANTS.WS_BOOK_DELTA_STREAM]
        watch = _SilenceWatch(websocket_assistant, self.SILENCE_TIMEOUT_SECONDS)
        try:
            async for ws_response in websocket_assistant.iter_messages():
                data = ws_response.data
                if type(data) is dict:
                    stream = data.get("stream")
                    queue = queues.get(stream) if type(stream) is str else None
                    if queue is book_queue and self._apply_delta_inline(data, book_queue):
                        continue
                    if queue is not None:
                        queue.put_nowait(data)
                        continue
                if data is not None:  # None when the socket is disconnected
                    await self._process_message_for_unknown_channel(
                        event_message=data, websocket_assistant=websocket_assistant)
        except asyncio.CancelledError:
            if watch.expired and asyncio.current_task().uncancel() == 0:
                raise ConnectionError(
                    f"no GRVT market data for {self.SILENCE_TIMEOUT_SECONDS:g} s; reconnecting") from None
            raise
        finally:
            watch.stop()

    async def _process_message_for_unknown_channel(self, event_message: Any, websocket_assistant: WSAssistant):
        """JSON-RPC answers to our subscribe/unsubscribe requests, error notices, and anything unexpected."""
        if type(event_message) is not dict:
            # e.g. a text answer to a text ping; nothing to act on
            self.logger().debug(f"Ignoring non-JSON frame from GRVT market data: {_shorten(event_message)}")
            return
        request_id = event_message.get("id")
        request = self._pending_requests.pop(request_id, None) if request_id is not None else None
        error = event_message.get("error")
        if error is None and "code" in event_message and "result" not in event_message:
            error = event_message  # legacy error envelope {"code", "message", "status"}
        if error is not None:
            self._log_request_error(request, error)
            return
        if request is None:
            if "stream" in event_message:
                self.logger().debug(f"Ignoring GRVT stream {event_message.get('stream')!r} nobody subscribed to.")
            else:
                self.logger().debug(f"Ignoring unexpected GRVT market-data message: {_shorten(event_message)}")
            return
        if request.method == CONSTANTS.WS_RPC_SUBSCRIBE:
            result = event_message.get("result")
            subs = result.get("subs") if isinstance(result, Mapping) else None
            if isinstance(subs, list) and request.selector not in subs:
                self.logger().warning(
                    f"GRVT did not confirm the {request.stream} subscription {request.selector} "
                    f"of {request.trading_pair}: {_shorten(result)}")
            elif request.stream == CONSTANTS.WS_BOOK_DELTA_STREAM and isinstance(subs, list):
                self._expect_first_book_delta(request, subs, result)

    def _expect_first_book_delta(self, request: "_PendingRequest", subs: list, result: Mapping):
        firsts = result.get("first_sequence_number")
        if not isinstance(firsts, list):
            return
        index = subs.index(request.selector)
        try:
            first_sequence_number = parse_sequence_number(firsts[index])
        except (IndexError, TypeError, ValueError):
            return
        instrument = request.selector.split("@", 1)[0]
        self._sequencer.expect_first_delta(instrument, first_sequence_number)

    def _log_request_error(self, request: Optional[_PendingRequest], error: Any):
        code = error.get("code") if isinstance(error, Mapping) else None
        message = error.get("message") if isinstance(error, Mapping) else error
        if request is None:
            if code == CONSTANTS.ERROR_MALFORMED_REQUEST:
                self.logger().debug(f"GRVT market data answered a frame with error {code}: {message}")
            else:
                self.logger().warning(f"GRVT market-data error {code}: {message}")
            return
        if request.method == CONSTANTS.WS_RPC_SUBSCRIBE:
            self.rejected_subscriptions += 1
        hint = " (the instrument is unknown to GRVT)" if code == CONSTANTS.ERROR_INVALID_INSTRUMENT else ""
        self.logger().error(
            f"GRVT rejected {request.method} {request.stream} {request.selector} for {request.trading_pair}: "
            f"error {code} {message}{hint}. Other pairs are unaffected.")

    async def _trading_pair_for(self, instrument: str) -> Optional[str]:
        trading_pair = self._instrument_to_pair.get(instrument)
        if trading_pair is None:
            try:
                trading_pair = await self._connector.trading_pair_associated_to_exchange_symbol(symbol=instrument)
            except asyncio.CancelledError:
                raise
            except Exception:
                return None
            if trading_pair not in self._trading_pairs:
                return None
            self._instrument_to_pair[instrument] = trading_pair
        return trading_pair

    def _drop_malformed(self, kind: str, raw_message: Any, error: Exception):
        self.malformed_messages += 1
        self.logger().warning(f"Dropped a malformed GRVT {kind} message ({error}): {_shorten(raw_message)}")

    # ------------------------------------------------------------------------------------------------------------
    # Order book payloads (snapshots and deltas, in arrival order)
    # ------------------------------------------------------------------------------------------------------------
    async def listen_for_order_book_diffs(self, ev_loop: asyncio.AbstractEventLoop, output: asyncio.Queue):
        """The base loop, remembering ``output`` and whether a payload is being judged (see _apply_delta_inline)."""
        message_queue = self._message_queue[self._diff_messages_queue_key]
        self._book_output = output
        try:
            while True:
                try:
                    diff_event = await message_queue.get()
                    self._book_payload_in_progress = True
                    try:
                        await self._parse_order_book_diff_message(raw_message=diff_event, message_queue=output)
                    finally:
                        self._book_payload_in_progress = False
                except asyncio.CancelledError:
                    raise
                except Exception:
                    self.logger().exception("Unexpected error when processing public order book updates from GRVT")
        finally:
            if self._book_output is output:
                self._book_output = None

    def _apply_delta_inline(self, payload: Dict[str, Any], book_queue: asyncio.Queue) -> bool:
        """
        Applies the common in-sequence delta straight from the socket reader, saving a queue hop and a task
        switch per delta. Only when nothing is ahead of it (the diff queue is empty and its listener is not in the
        middle of a payload), so book payloads and control markers keep their order; False otherwise, or when
        the payload is anything but the next delta, and the payload then takes the queue.
        """
        output = self._book_output
        if output is None or self._book_payload_in_progress or book_queue.qsize():
            return False
        return self._apply_in_sequence_delta(payload, output)

    async def _parse_order_book_diff_message(self, raw_message: Any, message_queue: asyncio.Queue):
        if type(raw_message) is dict:
            if not self._apply_in_sequence_delta(raw_message, message_queue):
                await self._process_book_payload(raw_message, message_queue)
        elif isinstance(raw_message, _ResetBooks):
            self._reset_books(raw_message.instrument)
        elif isinstance(raw_message, _ResyncBook):
            self._begin_resync(raw_message.instrument, raw_message.trading_pair)
        elif isinstance(raw_message, _ExternalBookSnapshot):
            self._apply_external_snapshot(raw_message, message_queue)
        else:
            self._drop_malformed("order book", raw_message, TypeError("not a JSON object"))

    async def _parse_order_book_snapshot_message(self, raw_message: Any, message_queue: asyncio.Queue):
        # Stream snapshots are handled with the deltas (see the module docstring); nothing is routed here.
        await self._parse_order_book_diff_message(raw_message, message_queue)

    def _apply_in_sequence_delta(self, raw_message: Dict[str, Any], message_queue: asyncio.Queue) -> bool:
        """
        Fast path for the common payload, the delta that directly follows the last one of a subscribed book:
        queues its message and returns True. For anything else (or anything odd) it returns False having changed
        nothing, and ``_process_book_payload`` handles the payload in full.
        """
        try:
            feed = raw_message["feed"]
            instrument = feed["instrument"]
            trading_pair = self._instrument_to_pair.get(instrument)
            if trading_pair is None:
                return False
            prev_sequence_number = raw_message.get("prev_sequence_number")
            if not self._sequencer.accept_next_delta(
                    instrument,
                    int(raw_message["sequence_number"]),
                    NO_PREVIOUS_SEQUENCE if prev_sequence_number is None else int(prev_sequence_number)):
                return False
        except (KeyError, TypeError, ValueError, AttributeError):
            return False
        try:
            message = book_message(_DIFF, feed, trading_pair, self._sequencer.last_update_id)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            # Counted but cannot be applied: the book misses it, so it must be rebuilt.
            self._drop_malformed("order book", raw_message, error)
            self._begin_resync(instrument, trading_pair, already_requested=False)
            return True
        message_queue.put_nowait(message)
        return True

    async def _process_book_payload(self, raw_message: Dict[str, Any], message_queue: asyncio.Queue):
        try:
            feed = raw_message["feed"]
            instrument = feed["instrument"]
            sequence_number = parse_sequence_number(raw_message["sequence_number"])
            prev_sequence_number = parse_sequence_number(raw_message.get("prev_sequence_number"))
        except (KeyError, TypeError, ValueError) as error:
            self._drop_malformed("order book", raw_message, error)
            self._resync_after_loss(raw_message)
            return
        trading_pair = self._instrument_to_pair.get(instrument) or await self._trading_pair_for(instrument)
        if trading_pair is None:
            return

        verdict = self._sequencer.on_message(instrument, sequence_number, prev_sequence_number)
        if verdict is BookSequenceVerdict.DELTA or verdict is BookSequenceVerdict.SNAPSHOT:
            update_id = self._sequencer.update_id(instrument)
            try:
                if verdict is BookSequenceVerdict.DELTA:
                    message = GrvtPerpetualOrderBook.diff_message_from_exchange(feed, trading_pair, update_id)
                else:
                    message = GrvtPerpetualOrderBook.snapshot_message_from_exchange(feed, trading_pair, update_id)
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                # The payload was counted but cannot be applied: the book misses it, so it must be rebuilt.
                self._drop_malformed("order book", raw_message, error)
                self._begin_resync(instrument, trading_pair, already_requested=False)
                return
            message_queue.put_nowait(message)
            if verdict is BookSequenceVerdict.SNAPSHOT:
                self._snapshot_event(instrument).set()
        elif verdict is BookSequenceVerdict.GAP:
            self.logger().warning(
                f"GRVT {trading_pair} book sequence broken (received {sequence_number}, previous "
                f"{prev_sequence_number}); resubscribing for a fresh snapshot.")
            self._begin_resync(instrument, trading_pair, already_requested=True)

    def _resync_after_loss(self, raw_message: Dict[str, Any]):
        feed = raw_message.get("feed")
        instrument = feed.get("instrument") if isinstance(feed, Mapping) else None
        trading_pair = self._instrument_to_pair.get(instrument) if isinstance(instrument, str) else None
        if trading_pair is not None:
            self._begin_resync(instrument, trading_pair, already_requested=False)

    def _reset_books(self, instrument: Optional[str]):
        if instrument is None:
            self._sequencer.reset_all()
        else:
            self._sequencer.reset(instrument)

    def _snapshot_event(self, instrument: str) -> asyncio.Event:
        event = self._snapshot_events.get(instrument)
        if event is None:
            event = self._snapshot_events[instrument] = asyncio.Event()
        return event

    def _begin_resync(self, instrument: str, trading_pair: str, already_requested: bool = False):
        """Deltas of ``instrument`` are dropped from now on until a snapshot; fetches one unless in progress."""
        if not already_requested:
            self._sequencer.request_resync(instrument)
        self._snapshot_event(instrument).clear()
        task = self._resync_tasks.get(instrument)
        if task is None or task.done():
            self._resync_tasks[instrument] = safe_ensure_future(self._resync_book(instrument, trading_pair))

    async def _resync_book(self, instrument: str, trading_pair: str):
        """Resubscribes the book; REST snapshot if the stream's does not come. Retries until the book has one."""
        event = self._snapshot_event(instrument)
        try:
            while not event.is_set():
                try:
                    await self._resubscribe_book(instrument, trading_pair)
                    try:
                        await asyncio.wait_for(event.wait(), timeout=self.RESYNC_SNAPSHOT_TIMEOUT_SECONDS)
                        return
                    except asyncio.TimeoutError:
                        self.logger().warning(
                            f"No GRVT {trading_pair} book snapshot {self.RESYNC_SNAPSHOT_TIMEOUT_SECONDS:.0f} s "
                            f"after resubscribing; using a REST snapshot.")
                    levels = await self._request_order_book_snapshot(trading_pair)
                    self._message_queue[self._diff_messages_queue_key].put_nowait(
                        _ExternalBookSnapshot(instrument, trading_pair, levels))
                    return
                except asyncio.CancelledError:
                    raise
                except Exception:
                    self.logger().exception(f"Error resynchronising the GRVT {trading_pair} order book; retrying.")
                    await self._sleep(self.RESYNC_SNAPSHOT_TIMEOUT_SECONDS)
        finally:
            if self._resync_tasks.get(instrument) is asyncio.current_task():
                del self._resync_tasks[instrument]

    async def _resubscribe_book(self, instrument: str, trading_pair: str):
        ws = self._ws_assistant
        if ws is None:
            return  # the reconnect subscribes afresh; REST covers the meantime
        selector = self._book_selector(instrument)
        for method in (CONSTANTS.WS_RPC_UNSUBSCRIBE, CONSTANTS.WS_RPC_SUBSCRIBE):
            await self._send_request(ws, method, CONSTANTS.WS_BOOK_DELTA_STREAM, selector, trading_pair)

    def _apply_external_snapshot(self, snapshot: _ExternalBookSnapshot, message_queue: asyncio.Queue):
        if not self._sequencer.is_awaiting_snapshot(snapshot.instrument):
            return  # the stream's own snapshot arrived first
        if snapshot.instrument not in self._instrument_to_pair:
            return  # unsubscribed meanwhile
        update_id = self._sequencer.apply_external_snapshot(snapshot.instrument)
        message_queue.put_nowait(
            GrvtPerpetualOrderBook.snapshot_message_from_exchange(snapshot.levels, snapshot.trading_pair, update_id))
        self._snapshot_event(snapshot.instrument).set()

    # ------------------------------------------------------------------------------------------------------------
    # Trades and funding
    # ------------------------------------------------------------------------------------------------------------
    async def _parse_trade_message(self, raw_message: Dict[str, Any], message_queue: asyncio.Queue):
        try:
            trade = raw_message["feed"]
            instrument = trade["instrument"]
            trade_id = str(trade["trade_id"])
        except (KeyError, TypeError) as error:
            self._drop_malformed("trade", raw_message, error)
            return
        trading_pair = self._instrument_to_pair.get(instrument) or await self._trading_pair_for(instrument)
        if trading_pair is None:
            return
        recent_ids = self._recent_trade_ids.get(trading_pair)
        if recent_ids is None:
            recent_ids = self._recent_trade_ids[trading_pair] = RecentTradeIds(self.TRADE_IDS_REMEMBERED_PER_PAIR)
        if trade_id in recent_ids:
            self.duplicate_trades += 1
            return
        try:
            message = GrvtPerpetualOrderBook.trade_message_from_exchange(trade, trading_pair)
        except (KeyError, TypeError, ValueError) as error:
            self._drop_malformed("trade", raw_message, error)
            return
        recent_ids.add(trade_id)
        if self._is_history_replay(trading_pair, raw_message, message):
            return
        message_queue.put_nowait(message)

    def _is_history_replay(self, trading_pair: str, raw_message: Dict[str, Any], message: OrderBookMessage) -> bool:
        """A trade replayed on subscribe that happened before the pair's first subscription."""
        cutoff_ns = self._history_cutoff_ns.get(trading_pair)
        if cutoff_ns is None or str(raw_message.get("sequence_number")) != _SNAPSHOT_SEQUENCE:
            return False
        return message.timestamp * CONSTANTS.NANOS_PER_SECOND < cutoff_ns

    async def _parse_funding_info_message(self, raw_message: Dict[str, Any], message_queue: asyncio.Queue):
        try:
            ticker = raw_message["feed"]
            instrument = ticker["instrument"]
            update_fields = {
                "index_price": _optional_decimal(ticker, "index_price"),
                "mark_price": _optional_decimal(ticker, "mark_price"),
                "next_funding_utc_timestamp": next_funding_timestamp(ticker),
                "rate": funding_rate_fraction(ticker),
            }
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            self._drop_malformed("ticker", raw_message, error)
            return
        trading_pair = await self._trading_pair_for(instrument)
        if trading_pair is None:
            return
        message_queue.put_nowait(FundingInfoUpdate(trading_pair=trading_pair, **update_fields))
