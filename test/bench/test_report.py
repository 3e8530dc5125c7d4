import json

from bench.report import FIGURES, build_rows, markdown, write_results


def _row(rows, key):
    return next(row for row in rows if row.key == key)


def test_rows_take_the_median_of_the_runs_and_the_advantage():
    runs = {"latency": {
        "ours": [{"ack_p50_ms": 2.0}, {"ack_p50_ms": 4.0}, {"ack_p50_ms": 3.0}],
        "upstream": [{"ack_p50_ms": 9.0}, {"ack_p50_ms": 6.0}, {"ack_p50_ms": 12.0}],
    }}
    row = _row(build_rows(runs), "latency.ack_p50_ms")
    assert (row.ours, row.upstream) == (3.0, 9.0)
    assert row.advantage == 3.0
    assert row.samples["ours"] == [2.0, 4.0, 3.0]


def test_a_failed_side_reports_its_error_instead_of_a_number():
    runs = {"cancel_all": {"ours": [{"error": "TimeoutError: the private stream never reported an order OPEN"}],
                           "upstream": [{"book_clear_ms": 2000.0}]}}
    rows = build_rows(runs)
    row = _row(rows, "cancel_all.book_clear_ms")
    assert row.ours is None and row.advantage is None
    assert "never reported" in row.errors["ours"]
    text = markdown({"python": "3.11"}, rows, ["a note"])
    line = next(line for line in text.splitlines() if line.startswith(f"| {row.label}"))
    assert "n/a: TimeoutError: the private stream never reported an order OPEN" in line
    assert "2,000" in line
    assert "- a note" in text


def test_every_figure_has_one_row_and_files_are_written(tmp_path):
    rows = build_rows({})
    assert [row.key for row in rows] == [figure.key for figure in FIGURES]
    paths = write_results(tmp_path / "results", {"cores": 2}, rows, [], raw={})
    assert paths["markdown"].read_text().startswith("# GRVT connector benchmark")
    document = json.loads(paths["json"].read_text())
    assert document["header"] == {"cores": 2}
    assert len(document["rows"]) == len(FIGURES)


def test_book_ratio_pairs_each_repeat_with_its_own_reference():
    runs = {
        "order_book": {"ours": [{"deltas_per_s": 30.0}, {"deltas_per_s": 80.0}, {"error": "timed out"}],
                       "upstream": [{"deltas_per_s": 20.0}, {"deltas_per_s": 40.0}, {"deltas_per_s": 10.0}]},
        "book_ceiling": {"ours": [{"deltas_per_s": 50.0}, {"deltas_per_s": 100.0}, {"deltas_per_s": 100.0}]},
    }
    row = _row(build_rows(runs), "book_ratio.percent_of_ceiling")
    assert row.samples == {"ours": [60.0, 80.0], "upstream": [40.0, 40.0, 10.0]}
    assert (row.ours, row.upstream) == (70.0, 40.0)
    assert row.advantage == 1.75
