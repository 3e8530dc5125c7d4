"""
Public market data of GRVT perpetuals for Hummingbot: order books (``v1.book.d``), trades (``v1.trade``) and funding
information (``v1.ticker.s``) from the market-data socket, REST snapshots and tickers besides.

Book events (frames and the steps reset, resync and REST book) keep their order through the tracker's diff stream,
stream snapshots included: the tracker's separate snapshot path would let them overtake or trail deltas, and it waits
until every pair is initialised while only 32 diffs are kept for replay.
"""
import asyncio
import time
from collections import OrderedDict, defaultdict
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, DefaultDict, Dict, List, NamedTuple, Optional, Sequence, Union, cast

import msgspec

from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_web_utils as web_utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_book_sequencer import (
    BookSequenceVerdict,
    GrvtPerpetualBookSequencer,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_errors import excerpt
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_health import Backoff
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_market_data_messages import (
    STREAM_FRAME_TYPES,
    BookDeltaFrame,
    BookLevels,
    RpcResponse,
    StreamFrame,
    Ticker,
    TickerSnapshotFrame,
    TradeFrame,
    decode_frame,
    frame_from_builtins,
    from_builtins,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_market_data_socket import (
    GrvtPerpetualMarketDataSocket,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import GrvtMessageError
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_order_book import (
    GrvtPerpetualOrderBook,
    book_message,
    trade_message,
)
from hummingbot.core.data_type.funding_info import FundingInfo, FundingInfoUpdate
from hummingbot.core.data_type.order_book_message import OrderBookMessage, OrderBookMessageType
from hummingbot.core.data_type.perpetual_api_order_book_data_source import PerpetualAPIOrderBookDataSource
from hummingbot.core.utils.async_utils import safe_ensure_future
from hummingbot.logger import HummingbotLogger

if TYPE_CHECKING:
    from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_derivative import GrvtPerpetualDerivative

_SNAPSHOT, _DIFF = OrderBookMessageType.SNAPSHOT, OrderBookMessageType.DIFF
BookEvent = Union[BookDeltaFrame, Callable[[], None]]  # a frame, or a step: reset, resync, REST book


class _PendingRequest(NamedTuple):
    method: str
    stream: str
    selector: str
    trading_pair: str


def _current_task() -> asyncio.Task:
    return cast(asyncio.Task, asyncio.current_task())  # never None inside a coroutine


class _SilenceWatch:
    """
    Cancels the current task once ``ws`` has received nothing for ``timeout`` seconds (``expired`` tells why).
    One timer per ``timeout`` period, re-armed from the socket's last receive time, instead of one per frame.
    """

    def __init__(self, ws: GrvtPerpetualMarketDataSocket, timeout: float):
        self._ws = ws
        self._timeout = timeout
        self._task = _current_task()
        self._loop = asyncio.get_running_loop()
        self._started = time.time()
        self.expired = False
        self._handle = self._loop.call_later(timeout, self.check)

    def check(self) -> None:
        last_frame = max(self._ws.last_recv_time, self._started)  # the socket's clock: time.time()
        remaining = last_frame + self._timeout - time.time()
        if remaining > 0:
            self._handle = self._loop.call_later(remaining, self.check)
        else:
            self.expired = True
            self._task.cancel()

    def stop(self) -> None:
        self._handle.cancel()


def funding_rate_fraction(ticker: Ticker) -> Optional[Decimal]:
    rate = ticker.funding_rate if ticker.funding_rate is not None else ticker.funding_rate_8h_curr
    return None if rate is None else rate * CONSTANTS.FUNDING_RATE_PERCENT_SCALE


def next_funding_timestamp(ticker: Ticker) -> Optional[int]:
    nanoseconds = ticker.next_funding_time
    return nanoseconds // CONSTANTS.NANOS_PER_SECOND if nanoseconds else None


class GrvtPerpetualAPIOrderBookDataSource(PerpetualAPIOrderBookDataSource):
    RESYNC_SNAPSHOT_TIMEOUT_SECONDS = 5.0  # wait this long for the resubscribe snapshot before using REST
    SILENCE_TIMEOUT_SECONDS = CONSTANTS.WS_SILENCE_TIMEOUT_SECONDS
    TRADE_IDS_REMEMBERED_PER_PAIR = 4096  # above GRVT's largest replay (1000)
    LAST_PRICE_RETRY_SECONDS = 5.0  # as long as the order book tracker waits after a price it could read

    _logger: Optional[HummingbotLogger] = None
    # the base class keeps whatever _connected_websocket_assistant returns: this socket, not a WSAssistant
    _ws_assistant: Optional[GrvtPerpetualMarketDataSocket]  # type: ignore[assignment]

    def __init__(
        self,
        trading_pairs: List[str],
        connector: "GrvtPerpetualDerivative",  # REST goes through the connector; the socket is this data source's
        domain: str = CONSTANTS.DEFAULT_DOMAIN,
    ):
        super().__init__(trading_pairs)
        self._connector = connector
        self._domain = domain
        self._stream_selectors = {
            CONSTANTS.WS_BOOK_DELTA_STREAM: CONSTANTS.WS_BOOK_DELTA_RATE_MS,
            CONSTANTS.WS_TRADE_STREAM: CONSTANTS.WS_TRADE_LIMIT,
            CONSTANTS.WS_TICKER_SNAPSHOT_STREAM: CONSTANTS.WS_TICKER_SNAPSHOT_RATE_MS,
        }
        self.order_book_create_function = GrvtPerpetualOrderBook

        self._sequencer = GrvtPerpetualBookSequencer()
        self._instrument_to_pair: Dict[str, str] = {}
        self._pending_requests: Dict[int, _PendingRequest] = {}
        self._last_request_id = 0
        self._recent_trade_ids: DefaultDict[str, OrderedDict] = defaultdict(OrderedDict)  # per pair, oldest first
        self._history_cutoff_ns: Dict[str, int] = {}  # per pair: replayed trades older than this are history
        self._snapshot_events: DefaultDict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._resync_tasks: Dict[str, asyncio.Task] = {}
        self._deltas_during_rest_book: Dict[str, List[BookDeltaFrame]] = {}  # per instrument, replayed on the REST book
        self._book_output: Optional[asyncio.Queue] = None  # the tracker's diff stream, once it listens
        self._reconnect_backoff = Backoff(initial=0.5, maximum=30.0)
        self._price_retry_at: Dict[str, float] = {}  # per pair left without a last traded price: monotonic time

        self._frame_handlers: Dict[type, Callable[[Any], None]] = {
            BookDeltaFrame: self._on_book_event,
            TradeFrame: self._message_queue[self._trade_messages_queue_key].put_nowait,
            TickerSnapshotFrame: self._message_queue[self._funding_info_messages_queue_key].put_nowait,
        }

    # Public API
    async def get_last_traded_prices(self, trading_pairs: List[str], domain: Optional[str] = None) -> Dict[str, float]:
        # Hummingbot's order book tracker asks again at once for a pair left without a price (no trade yet, or a
        # failed read): such a pair is read again only after LAST_PRICE_RETRY_SECONDS, not in a tight REST loop.
        wait = max((self._price_retry_at.get(pair, 0.0) for pair in trading_pairs), default=0.0) - time.monotonic()
        if wait > 0:
            await self._sleep(wait)
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
            if trading_pair in prices:
                self._price_retry_at.pop(trading_pair, None)
            else:
                self._price_retry_at[trading_pair] = time.monotonic() + self.LAST_PRICE_RETRY_SECONDS
        return prices

    async def get_last_traded_price(self, trading_pair: str) -> Optional[float]:
        """None when GRVT has no trade for the instrument: its mini ticker answers "0.0" or nothing."""
        last_price = (await self._request_market_data(trading_pair, CONSTANTS.MINI_TICKER_PATH_URL, Ticker)).last_price
        return float(last_price) if last_price else None

    async def get_funding_info(self, trading_pair: str) -> FundingInfo:
        ticker = await self._request_market_data(trading_pair, CONSTANTS.TICKER_PATH_URL, Ticker)
        rate = funding_rate_fraction(ticker)
        if ticker.index_price is None or ticker.mark_price is None or rate is None:
            missing = [name for name, value in (("index_price", ticker.index_price), ("mark_price", ticker.mark_price),
                                                ("funding_rate", rate)) if value is None]
            raise GrvtMessageError(
                f"GRVT ticker of {trading_pair} has no {' or '.join(missing)}: {excerpt(repr(ticker))}")
        return FundingInfo(trading_pair=trading_pair, index_price=ticker.index_price, mark_price=ticker.mark_price,
                           next_funding_utc_timestamp=next_funding_timestamp(ticker) or 0, rate=rate)

    async def subscribe_to_trading_pair(self, trading_pair: str) -> bool:
        ws = self._ws_assistant
        if ws is None:
            self.logger().warning(f"Cannot subscribe to {trading_pair}: the GRVT market-data socket is not connected.")
            return False
        instrument = None
        try:
            instrument = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
            self.add_trading_pair(trading_pair)
            await self._subscribe(ws, instrument, trading_pair)
        except Exception as exception:
            if instrument is not None:
                self._forget_instrument(instrument, trading_pair)
            self.logger().error(f"Error subscribing to GRVT public streams of {trading_pair}: {exception}")
            return False
        self.logger().info(f"Subscribed to GRVT public streams of {trading_pair}.")
        return True

    async def unsubscribe_from_trading_pair(self, trading_pair: str) -> bool:
        """Forgets the pair even without a socket, or the next socket would subscribe it again."""
        ws = self._ws_assistant
        try:
            instrument = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
            try:
                if ws is not None:
                    await self._send_requests(ws, CONSTANTS.WS_RPC_UNSUBSCRIBE, instrument, trading_pair)
            finally:
                self._forget_instrument(instrument, trading_pair)
        except Exception as exception:
            self.logger().error(f"Error unsubscribing from GRVT public streams of {trading_pair}: {exception}")
            return False
        self.logger().info(f"Unsubscribed from GRVT public streams of {trading_pair}.")
        return True

    # REST
    async def _request_market_data(self, trading_pair: str, path_url: str, message_type: type, **params: Any) -> Any:
        instrument = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        response = await self._connector._api_post(
            path_url=path_url, data={"instrument": instrument, **params}, is_auth_required=False, limit_id=path_url)
        what = path_url.rsplit("/", 1)[-1]
        if not isinstance(response, dict) or not isinstance(response.get("result"), dict):
            raise GrvtMessageError(f"GRVT {what} response has no result object: {excerpt(repr(response))}")
        return from_builtins(response["result"], message_type, what)

    async def _request_order_book_snapshot(self, trading_pair: str) -> BookLevels:
        return await self._request_market_data(
            trading_pair, CONSTANTS.ORDER_BOOK_PATH_URL, BookLevels, depth=CONSTANTS.ORDER_BOOK_SNAPSHOT_DEPTH)

    async def _order_book_snapshot(self, trading_pair: str) -> OrderBookMessage:
        levels = await self._request_order_book_snapshot(trading_pair)
        instrument = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        # A REST book has no sequence number: with the id of the stream's current snapshot, the tracker keeps every
        # payload of this epoch still on its way (the stream snapshot among them replaces this book).
        return book_message(_SNAPSHOT, levels, trading_pair, self._sequencer.snapshot_update_id(instrument))

    async def _request_order_book_snapshots(self, output: asyncio.Queue) -> None:
        """Hourly refresh of the base class: resubscribe every book (REST only if the stream snapshot fails)."""
        for instrument, trading_pair in list(self._instrument_to_pair.items()):
            self._on_book_event(partial(self._begin_resync, instrument, trading_pair))

    # Socket and subscriptions
    async def _connected_websocket_assistant(self) -> GrvtPerpetualMarketDataSocket:
        socket = GrvtPerpetualMarketDataSocket()
        await socket.connect(web_utils.public_ws_url(self._domain), heartbeat=CONSTANTS.WS_HEARTBEAT_INTERVAL_SECONDS,
                             timeout=CONSTANTS.WS_CONNECT_TIMEOUT_SECONDS)
        return socket

    async def _subscribe_channels(self, ws: GrvtPerpetualMarketDataSocket) -> None:
        self._pending_requests.clear()
        for trading_pair in list(self._trading_pairs):
            try:
                instrument = await self._connector.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
            except Exception as exception:
                self.logger().error(f"GRVT has no instrument for {trading_pair}, not subscribing it: {exception}")
                continue
            await self._subscribe(ws, instrument, trading_pair)
        self.logger().info("Subscribed to GRVT public order book, trade and ticker streams.")

    async def _subscribe(self, ws: GrvtPerpetualMarketDataSocket, instrument: str, trading_pair: str) -> None:
        # Ordered with the payloads: everything of the old subscription is judged before the book starts over.
        self._on_book_event(partial(self._sequencer.reset, instrument))
        self._history_cutoff_ns.setdefault(trading_pair, time.time_ns())
        self._instrument_to_pair[instrument] = trading_pair
        await self._send_requests(ws, CONSTANTS.WS_RPC_SUBSCRIBE, instrument, trading_pair)

    async def _send_requests(self, ws: GrvtPerpetualMarketDataSocket, method: str, instrument: str,
                             trading_pair: str, streams: Optional[Sequence[str]] = None) -> None:
        for stream in streams or self._stream_selectors:  # one selector a request: a rejected one hits one pair
            selector = f"{instrument}@{self._stream_selectors[stream]}"  # rate in ms, or replay limit for trades
            self._last_request_id += 1
            self._pending_requests[self._last_request_id] = _PendingRequest(method, stream, selector, trading_pair)
            await ws.send_json(web_utils.json_rpc_request(
                method, {"stream": stream, "selectors": [selector]}, self._last_request_id))

    def _forget_instrument(self, instrument: str, trading_pair: str) -> None:
        self._instrument_to_pair.pop(instrument, None)
        self._recent_trade_ids.pop(trading_pair, None)
        self._history_cutoff_ns.pop(trading_pair, None)
        self._deltas_during_rest_book.pop(instrument, None)
        task = self._resync_tasks.pop(instrument, None)
        if task is not None:
            task.cancel()
        self.remove_trading_pair(trading_pair)

    async def _on_order_stream_interruption(
        self, websocket_assistant: Optional[GrvtPerpetualMarketDataSocket] = None
    ) -> None:
        # The reconnect resubscribes every book, which makes pending resyncs pointless.
        for task in self._resync_tasks.values():
            task.cancel()
        self._resync_tasks.clear()
        await super()._on_order_stream_interruption(websocket_assistant)  # type: ignore[arg-type]  # it disconnects
        # A socket GRVT keeps closing (or that never opens) must not be reopened in a tight loop.
        if websocket_assistant is not None and websocket_assistant.last_recv_time > 0:
            self._reconnect_backoff.reset()
        if not _current_task().cancelling():  # stopping: nothing to reconnect
            await self._sleep(self._reconnect_backoff.next_delay())

    # Frames
    async def _process_websocket_messages(self, websocket_assistant: GrvtPerpetualMarketDataSocket) -> None:
        """Dispatches frames until the socket closes or stays silent: a ConnectionError, so the listener reconnects."""
        receive, on_frame = websocket_assistant.receive, self._on_frame
        watch = _SilenceWatch(websocket_assistant, self.SILENCE_TIMEOUT_SECONDS)
        try:
            while True:
                on_frame(await receive())
        except asyncio.CancelledError:
            if watch.expired and _current_task().uncancel() == 0:
                raise ConnectionError(
                    f"no GRVT market data for {self.SILENCE_TIMEOUT_SECONDS:g} s; reconnecting") from None
            raise
        finally:
            watch.stop()

    def _on_frame(self, raw: Union[str, bytes]) -> None:
        frame: Optional[StreamFrame]
        try:
            frame = decode_frame(raw)
        except msgspec.MsgspecError:
            frame = self._frame_after_error(raw)
            if frame is None:
                return
        self._frame_handlers[type(frame)](frame)

    def _frame_after_error(self, raw: Union[str, bytes]) -> Optional[StreamFrame]:
        """The stream frame when only its "" fields kept it from decoding; None for anything else, handled here."""
        try:
            data = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            self.logger().debug(f"Ignoring non-JSON frame from GRVT market data: {excerpt(repr(raw))}")
            return None
        if not isinstance(data, dict) or "stream" not in data:
            self._on_rpc_response(data)
            return None
        stream = data["stream"]
        if not isinstance(stream, str) or stream not in STREAM_FRAME_TYPES:
            self.logger().debug(f"Ignoring GRVT stream {stream!r} nobody subscribed to.")
            return None
        try:
            return frame_from_builtins(data)
        except GrvtMessageError as error:
            self.logger().warning(f"{error}; dropped: {excerpt(repr(raw))}")
        if stream == CONSTANTS.WS_BOOK_DELTA_STREAM:
            feed = data.get("feed")
            instrument = feed.get("instrument") if isinstance(feed, dict) else None
            if isinstance(instrument, str) and instrument in self._instrument_to_pair:
                self._on_book_event(partial(self._begin_resync, instrument, self._instrument_to_pair[instrument]))
        return None

    def _on_rpc_response(self, data: Any) -> None:
        try:
            response = from_builtins(data, RpcResponse, "market-data answer")
        except GrvtMessageError as error:
            self.logger().warning(f"{error}; dropped: {excerpt(repr(data))}")
            return
        request = self._pending_requests.pop(response.id, None) if response.id is not None else None
        rpc_error = response.rpc_error
        if rpc_error is not None and request is None:
            if rpc_error.code == CONSTANTS.ERROR_MALFORMED_REQUEST:
                self.logger().debug(f"GRVT market data answered a frame with error {rpc_error.code}: "
                                    f"{rpc_error.message}")
            else:
                self.logger().warning(f"GRVT market-data error {rpc_error.code}: {rpc_error.message}")
        elif rpc_error is not None and request is not None:
            unknown = rpc_error.code == CONSTANTS.ERROR_INVALID_INSTRUMENT
            hint = " (the instrument is unknown to GRVT)" if unknown else ""
            self.logger().error(
                f"GRVT rejected {request.method} {request.stream} {request.selector} for {request.trading_pair}: "
                f"error {rpc_error.code} {rpc_error.message}{hint}. Other pairs are unaffected.")
        elif request is None or response.result is None:
            self.logger().debug(f"Ignoring unexpected GRVT market-data message: {excerpt(repr(data))}")
        elif request.method == CONSTANTS.WS_RPC_SUBSCRIBE:
            result = response.result
            if request.selector not in result.subs:
                self.logger().warning(f"GRVT did not confirm the {request.stream} subscription {request.selector} "
                                      f"of {request.trading_pair}: {excerpt(repr(data.get('result')))}")
            elif request.stream == CONSTANTS.WS_BOOK_DELTA_STREAM:
                # Book events keep their order: the announcement is for the snapshot after a reset still queued.
                # Absent figures announce nothing: a single snapshot, any first delta.
                index = result.subs.index(request.selector)
                num_snapshots = result.num_snapshots[index] if index < len(result.num_snapshots) else 1
                first = result.first_sequence_number[index] if index < len(result.first_sequence_number) else 0
                instrument = request.selector.split("@", 1)[0]
                self._on_book_event(partial(self._sequencer.announce_snapshot, instrument, num_snapshots, first))

    # Order book events
    def _on_book_event(self, event: BookEvent) -> None:
        queue = self._message_queue[self._diff_messages_queue_key]
        if self._book_output is None or queue.qsize():
            queue.put_nowait(event)
        else:
            self._judge_book_event(event)

    async def listen_for_order_book_diffs(self, ev_loop: asyncio.AbstractEventLoop, output: asyncio.Queue) -> None:
        """The base loop over the diff queue, remembering ``output``: every book event, queued or not, goes there."""
        self._book_output = output
        try:
            await super().listen_for_order_book_diffs(ev_loop, output)
        finally:
            if self._book_output is output:
                self._book_output = None

    async def _parse_order_book_diff_message(self, raw_message: BookEvent, message_queue: asyncio.Queue) -> None:
        self._judge_book_event(raw_message)  # message_queue is self._book_output

    def _judge_book_event(self, event: BookEvent) -> None:
        if isinstance(event, BookDeltaFrame):
            self._apply_book_frame(event)
        else:
            event()

    def _apply_book_frame(self, frame: BookDeltaFrame) -> None:
        feed = frame.feed
        instrument = feed.instrument
        trading_pair = self._instrument_to_pair.get(instrument)
        if trading_pair is None:
            return
        sequencer = self._sequencer
        verdict = sequencer.on_message(instrument, frame.sequence_number, frame.prev_sequence_number)
        if verdict is BookSequenceVerdict.DELTA:
            self._book_output.put_nowait(  # type: ignore[union-attr]  # set while book events are judged
                book_message(_DIFF, feed, trading_pair, sequencer.last_update_id))
        elif verdict is BookSequenceVerdict.SNAPSHOT:
            self._book_output.put_nowait(  # type: ignore[union-attr]
                book_message(_SNAPSHOT, feed, trading_pair, sequencer.last_update_id))
            self._snapshot_events[instrument].set()
            self._deltas_during_rest_book.pop(instrument, None)  # a REST book still on its way is older
        elif verdict is BookSequenceVerdict.GAP:
            self.logger().warning(
                f"GRVT {trading_pair} book sequence broken (received {frame.sequence_number}, previous "
                f"{frame.prev_sequence_number}); resubscribing for a fresh snapshot.")
            self._begin_resync(instrument, trading_pair)
        elif verdict is BookSequenceVerdict.STALE and instrument in self._deltas_during_rest_book:
            self._deltas_during_rest_book[instrument].append(frame)

    def _begin_resync(self, instrument: str, trading_pair: str) -> None:
        self._sequencer.request_resync(instrument)
        self._snapshot_events[instrument].clear()
        task = self._resync_tasks.get(instrument)
        if task is None or task.done():
            self._resync_tasks[instrument] = safe_ensure_future(self._resync_book(instrument, trading_pair))

    async def _resync_book(self, instrument: str, trading_pair: str) -> None:
        event = self._snapshot_events[instrument]
        try:
            while not event.is_set():
                try:
                    ws = self._ws_assistant
                    if ws is not None:  # without a socket, the reconnect subscribes afresh; REST covers meanwhile
                        for method in (CONSTANTS.WS_RPC_UNSUBSCRIBE, CONSTANTS.WS_RPC_SUBSCRIBE):
                            await self._send_requests(
                                ws, method, instrument, trading_pair, streams=(CONSTANTS.WS_BOOK_DELTA_STREAM,))
                    try:
                        async with asyncio.timeout(self.RESYNC_SNAPSHOT_TIMEOUT_SECONDS):
                            await event.wait()
                        continue  # a gap judged before this task woke up cleared the event again: resubscribe
                    except TimeoutError:
                        self.logger().warning(
                            f"No GRVT {trading_pair} book snapshot {self.RESYNC_SNAPSHOT_TIMEOUT_SECONDS:.0f} s "
                            f"after resubscribing; using a REST snapshot.")
                    deltas = self._deltas_during_rest_book[instrument] = []
                    levels = await self._request_order_book_snapshot(trading_pair)
                    self._on_book_event(partial(self._apply_rest_book, instrument, trading_pair, levels, deltas))
                    return
                except Exception:
                    self.logger().exception(f"Error resynchronising the GRVT {trading_pair} order book; retrying.")
                    await self._sleep(self.RESYNC_SNAPSHOT_TIMEOUT_SECONDS)
        finally:
            if self._resync_tasks.get(instrument) is asyncio.current_task():
                del self._resync_tasks[instrument]

    def _apply_rest_book(self, instrument: str, trading_pair: str, levels: BookLevels,
                         deltas: List[BookDeltaFrame]) -> None:
        """A REST book unless a stream snapshot came meanwhile, the pair was unsubscribed or a newer REST book was
        requested; then the deltas received since it was requested, in order: a REST book has no sequence number,
        but level sizes are absolute, so replaying deltas it already holds changes nothing, and a break in their
        numbers resynchronises again."""
        if self._deltas_during_rest_book.get(instrument) is not deltas:
            return
        del self._deltas_during_rest_book[instrument]
        self._snapshot_events[instrument].set()
        update_id = self._sequencer.apply_external_snapshot(instrument)
        self._book_output.put_nowait(  # type: ignore[union-attr]
            book_message(_SNAPSHOT, levels, trading_pair, update_id))
        for frame in deltas:
            self._apply_book_frame(frame)

    # Trades and funding
    async def _parse_trade_message(self, raw_message: TradeFrame, message_queue: asyncio.Queue) -> None:
        trade = raw_message.feed
        trading_pair = self._instrument_to_pair.get(trade.instrument)
        if trading_pair is None:
            return
        recent_ids = self._recent_trade_ids[trading_pair]
        if trade.trade_id in recent_ids:  # GRVT replays recent trades on every (re)subscribe
            return
        recent_ids[trade.trade_id] = None
        if len(recent_ids) > self.TRADE_IDS_REMEMBERED_PER_PAIR:
            recent_ids.popitem(last=False)
        cutoff_ns = self._history_cutoff_ns.get(trading_pair)
        if cutoff_ns is not None and raw_message.sequence_number == 0 and trade.event_time < cutoff_ns:
            return  # replayed on subscribe, from before the pair's first subscription: history, not an event
        message_queue.put_nowait(trade_message(trade, trading_pair))

    async def _parse_funding_info_message(self, raw_message: TickerSnapshotFrame, message_queue: asyncio.Queue) -> None:
        ticker = raw_message.feed
        trading_pair = self._instrument_to_pair.get(ticker.instrument)
        if trading_pair is not None:
            message_queue.put_nowait(FundingInfoUpdate(
                trading_pair=trading_pair,
                index_price=ticker.index_price,
                mark_price=ticker.mark_price,
                next_funding_utc_timestamp=next_funding_timestamp(ticker),
                rate=funding_rate_fraction(ticker),
            ))
