from collections import namedtuple

from bench.harness import stream_order_status
from bench.sandbox_figures import parse_throughput
from bench.scenarios.order_book import compare_books

Entry = namedtuple("Entry", "price amount")


class FakeBook:
    def __init__(self, bids, asks):
        self._bids, self._asks = bids, asks

    def bid_entries(self):
        return iter(Entry(p, a) for p, a in self._bids)

    def ask_entries(self):
        return iter(Entry(p, a) for p, a in self._asks)


def _levels(pairs):
    return [{"price": price, "size": size, "num_orders": 1} for price, size in pairs]


def test_identical_books_have_nothing_wrong():
    truth = {"bids": _levels([("100.5", "1.0"), ("100.0", "2")]), "asks": _levels([("101.0", "0.5")])}
    result = compare_books(FakeBook([(100.5, 1.0), (100.0, 2.0)], [(101.0, 0.5)]), truth)
    assert result["crossed_or_ghost"] == 0 and result["missing_or_wrong_size"] == 0


def test_ghost_crossed_missing_and_wrong_size_levels_are_counted():
    truth = {"bids": _levels([("100.0", "2"), ("99.0", "1")]), "asks": _levels([("101.0", "0.5")])}
    book = FakeBook(bids=[(101.5, 1.0), (100.0, 3.0)], asks=[(101.0, 0.5)])  # 101.5: ghost and crossed
    result = compare_books(book, truth)
    assert (result["ghost"], result["crossed"], result["crossed_or_ghost"]) == (1, 2, 2)  # the ask 101.0 <= 101.5
    assert (result["missing"], result["wrong_size"]) == (1, 1)


def test_stream_order_status_reads_both_order_streams():
    order = {"stream": "v1.order",
             "feed": {"metadata": {"client_order_id": "9223372036854775809"}, "state": {"status": "OPEN"}}}
    state = {"stream": "v1.state", "feed": {"client_order_id": "42", "order_state": {"status": "CANCELLED"}}}
    assert stream_order_status(order) == ("9223372036854775809", "OPEN")
    assert stream_order_status(state) == ("42", "CANCELLED")
    assert stream_order_status({"stream": "v1.fill", "feed": {}}) == (None, None)
    assert stream_order_status("not a message") == (None, None)


def test_throughput_lines_of_sandbox_throughput_are_parsed():
    text = ("python 3.11.7, 4000 orders per run\n"
            "engine: place + cancel (resting)                 8000 ops in   0.20 s =    40,000 ops/s\n"
            "api: signed create + cancel (in-process)         8000 ops in   1.00 s =     8,000 ops/s\n"
            "websocket JSON-RPC (window 200, errors 0)        4000 ops in   0.80 s =     5,000 ops/s\n"
            "rest (concurrency 16, errors 0)                  1000 ops in   0.50 s =     2,000 ops/s\n")
    assert parse_throughput(text) == {"engine_ops_per_s": 40000.0, "api_ops_per_s": 8000.0,
                                      "websocket_ops_per_s": 5000.0, "rest_ops_per_s": 2000.0}
