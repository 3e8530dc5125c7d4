"""Wire types of GRVT market data: decoding rules, errors naming the field, and every message shape the sandbox's
public streams and market-data routes the connector uses produce, recorded from a running sandbox."""
import asyncio
import json
import time
from decimal import Decimal
from typing import Any, Dict, List

import aiohttp
import msgspec
import pytest

from grvt_sandbox.config import SandboxConfig
from grvt_sandbox.server import SandboxServer
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_market_data_messages import (
    STREAM_FRAME_TYPES,
    BookDeltaFrame,
    BookLevel,
    BookLevels,
    RpcResponse,
    Ticker,
    TickerSnapshotFrame,
    decode_frame,
    frame_from_builtins,
    from_builtins,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_messages import GrvtMessageError
from test.integration.helpers import BEST_ASK, BTC, Liquidity

BOOK_FRAME = {"stream": "v1.book.d", "selector": f"{BTC}@100", "sequence_number": "12",
              "feed": {"event_time": "1767292408400000000", "instrument": BTC,
                       "bids": [{"price": "87000.5", "size": "0.1", "num_orders": 2}],
                       "asks": [{"price": "87010.5", "size": "0", "num_orders": 0}]},
              "prev_sequence_number": "11"}
PUBLIC_SELECTORS = {"v1.book.d": f"{BTC}@50", "v1.trade": f"{BTC}@50", "v1.ticker.s": f"{BTC}@500"}


def with_feed(**feed) -> Dict[str, Any]:
    return dict(BOOK_FRAME, feed=dict(BOOK_FRAME["feed"], **feed))


def test_book_frame_decodes_into_typed_levels_readable_as_order_book_rows():
    frame = decode_frame(json.dumps(BOOK_FRAME).encode())

    assert isinstance(frame, BookDeltaFrame)
    assert (frame.sequence_number, frame.prev_sequence_number) == (12, 11)
    assert (frame.feed.instrument, frame.feed.event_time) == (BTC, 1767292408400000000)
    level = frame.feed.bids[0]
    assert (level.price, level.amount, level.update_id) == (87000.5, 0.1, 0)
    assert frame.feed.asks[0].amount == 0.0


def test_absent_prev_sequence_number_reads_as_minus_one():
    payload = dict(BOOK_FRAME)
    del payload["prev_sequence_number"]
    assert decode_frame(json.dumps(payload)).prev_sequence_number == -1


@pytest.mark.parametrize("payload, field", [
    (with_feed(bids=[{"price": "abc", "size": "1"}]), "$.feed.bids[0].price"),
    (with_feed(asks=[{"price": "1"}]), "$.feed.asks[0]"),
    (dict(BOOK_FRAME, sequence_number="eleven"), "$.sequence_number"),
    (with_feed(instrument=None), "$.feed.instrument"),
    (dict(BOOK_FRAME, feed=None), "$.feed"),
])
def test_malformed_frames_name_the_field(payload, field):
    with pytest.raises(msgspec.ValidationError, match=field.replace("$", r"\$").replace("[", r"\[")):
        decode_frame(json.dumps(payload))


def test_streams_not_read_and_other_messages_are_not_stream_frames():
    for stream in ("v1.rpi.book.d", "v1.book.s", "v1.mini.s", "v1.candle"):
        with pytest.raises(msgspec.ValidationError, match=f"Invalid value '{stream}'"):
            decode_frame(json.dumps(dict(BOOK_FRAME, stream=stream)))
    with pytest.raises(msgspec.ValidationError, match="missing required field `stream`"):
        decode_frame(b'{"jsonrpc": "2.0", "id": 1, "result": {}}')
    with pytest.raises(msgspec.DecodeError):
        decode_frame("pong")


def test_empty_strings_are_nulls_on_the_lenient_path():
    payload = {"stream": "v1.ticker.s", "selector": f"{BTC}@500", "sequence_number": "5", "prev_sequence_number": "",
               "feed": {"instrument": BTC, "mark_price": "1.5", "funding_rate": "", "next_funding_time": ""}}
    with pytest.raises(msgspec.ValidationError, match="got `str`"):
        decode_frame(json.dumps(payload))

    frame = frame_from_builtins(payload)

    assert isinstance(frame, TickerSnapshotFrame)
    assert frame.prev_sequence_number == -1
    feed = frame.feed
    assert (feed.mark_price, feed.funding_rate, feed.next_funding_time) == (Decimal("1.5"), None, None)
    with pytest.raises(GrvtMessageError, match=r"GRVT v1.ticker.s frame is malformed: .*\$.feed.mark_price"):
        frame_from_builtins(dict(payload, feed={"mark_price": "n/a"}))


def test_rest_results_convert_with_errors_naming_the_field():
    ticker = from_builtins({"instrument": BTC, "funding_rate": 0.0125, "last_price": "", "next_funding_time": "7"},
                           Ticker, "ticker")
    assert (ticker.funding_rate, ticker.last_price, ticker.next_funding_time) == (Decimal("0.0125"), None, 7)
    with pytest.raises(GrvtMessageError, match=r"GRVT ticker is malformed: .*\$.index_price"):
        from_builtins({"index_price": "abc"}, Ticker, "ticker")
    with pytest.raises(GrvtMessageError, match=r"\$.bids"):
        from_builtins({"bids": "none"}, BookLevels, "book")


def test_rpc_answers_and_legacy_error_envelopes():
    answer = msgspec.convert({"jsonrpc": "2.0", "id": 3, "method": "subscribe", "result": {
        "stream": "v1.book.d", "subs": [f"{BTC}@100"], "unsubs": [], "num_snapshots": [1],
        "first_sequence_number": ["12"], "latest_sequence_number": ["11"]}}, RpcResponse, strict=False)
    assert answer.rpc_error is None
    assert (answer.id, answer.result.subs, answer.result.first_sequence_number) == (3, [f"{BTC}@100"], [12])

    error = msgspec.convert({"jsonrpc": "2.0", "id": 4, "error": {"code": 3000, "message": "Instrument is invalid"}},
                            RpcResponse).rpc_error
    assert (error.code, error.message) == (3000, "Instrument is invalid")
    legacy = msgspec.convert({"code": 1002, "message": "Internal Server Error", "status": 500}, RpcResponse)
    assert (legacy.rpc_error.code, legacy.rpc_error.message) == (1002, "Internal Server Error")


# Every shape the sandbox produces
def assert_on_the_wire(data: Dict[str, Any], message_type: type, where: str):
    """Every field the connector declares (by wire name) is in the recorded object: none is misnamed."""
    declared = {field.encode_name for field in msgspec.structs.fields(message_type)} - {"update_id"}
    missing = declared - set(data)
    assert not missing, f"{where}: {message_type.__name__} reads {sorted(missing)}, which the wire does not carry"


async def record_public_streams(sandbox: SandboxServer, liquidity: Liquidity) -> Dict[str, List[str]]:
    """Subscribes every public stream of BTC and records frames until each stream sent a snapshot and a live
    message (book, trade, ticker and candle changes are caused by orders and trades of the liquidity accounts)."""
    frames: Dict[str, List[str]] = {stream: [] for stream in PUBLIC_SELECTORS}
    answers: List[str] = []
    async with aiohttp.ClientSession() as session, session.ws_connect(sandbox.ws_url) as socket:
        for request_id, (stream, selector) in enumerate(PUBLIC_SELECTORS.items(), start=1):
            await socket.send_json({"jsonrpc": "2.0", "method": "subscribe", "id": request_id,
                                    "params": {"stream": stream, "selectors": [selector]}})
        await socket.send_json({"jsonrpc": "2.0", "method": "subscribe", "id": 99,
                                "params": {"stream": "v1.book.d", "selectors": ["NOPE_USDT_Perp@100"]}})
        deadline = time.monotonic() + 60.0
        step = 0
        while not all(any('"sequence_number":"0"' not in text for text in texts) for texts in frames.values()):
            assert time.monotonic() < deadline, {stream: len(texts) for stream, texts in frames.items()}
            step += 1
            liquidity.quote(step % 2 == 0, BEST_ASK - Decimal("5") if step % 2 else BEST_ASK - Decimal("15"))
            liquidity.take(True, Decimal("0.01"), BEST_ASK)
            try:
                message = await socket.receive(timeout=0.5)
            except asyncio.TimeoutError:
                continue
            text = message.data
            stream = json.loads(text).get("stream")
            (frames[stream] if stream in frames else answers).append(text)
        frames["rpc"] = answers
    return frames


async def test_every_recorded_message_shape_the_connector_reads_decodes_into_the_declared_types():
    async with SandboxServer(SandboxConfig()) as sandbox:
        liquidity = Liquidity(sandbox)
        liquidity.seed()
        recorded = await record_public_streams(sandbox, liquidity)
        async with aiohttp.ClientSession() as session:
            rest = {}
            for route, body in (("book", {"instrument": BTC, "depth": 10}), ("ticker", {"instrument": BTC}),
                                ("mini", {"instrument": BTC})):
                async with session.post(f"{sandbox.url}/full/v1/{route}", json=body) as response:
                    rest[route] = (await response.json())["result"]

    for stream, texts in recorded.items():
        if stream == "rpc":
            continue
        assert texts, f"no {stream} frame recorded"
        for text in texts:
            frame = decode_frame(text)
            assert type(frame) is STREAM_FRAME_TYPES[stream], text
            data = json.loads(text)
            assert_on_the_wire(data, type(frame), stream)
            assert_on_the_wire(data["feed"], type(frame.feed), stream)
            for side in ("bids", "asks"):
                for level in data["feed"].get(side, ()):
                    assert_on_the_wire(level, BookLevel, stream)

    answers = [msgspec.convert(json.loads(text), RpcResponse, strict=False) for text in recorded["rpc"]]
    assert {answer.id for answer in answers if answer.result is not None} == set(range(1, 4))
    assert all(answer.result.first_sequence_number for answer in answers if answer.result is not None)
    assert [(answer.id, answer.rpc_error.code) for answer in answers if answer.rpc_error] == [(99, 3000)]

    for route, message_type in (("book", BookLevels), ("ticker", Ticker)):
        assert_on_the_wire(rest[route], message_type, route)
        from_builtins(rest[route], message_type, route)
    assert from_builtins(rest["mini"], Ticker, "mini").last_price is not None
