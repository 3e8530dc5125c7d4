import pytest

from bench.stats import advantage, median, p50, p99, percentile


def test_median_of_odd_and_even_counts():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    assert median([]) is None


def test_nearest_rank_percentiles():
    samples = list(range(1, 1001))  # 1..1000
    assert p50(samples) == 500
    assert p99(samples) == 990
    assert percentile(samples, 100) == 1000
    assert p99([7.0]) == 7.0
    assert p50([]) is None


def test_percentile_rejects_out_of_range():
    with pytest.raises(ValueError):
        percentile([1, 2], 0)
    with pytest.raises(ValueError):
        percentile([1, 2], 101)


def test_advantage_points_the_same_way_for_rates_and_times():
    assert advantage(200.0, 100.0, higher_is_better=True) == 2.0  # twice the rate
    assert advantage(5.0, 20.0, higher_is_better=False) == 4.0  # a quarter of the time
    assert advantage(20.0, 5.0, higher_is_better=False) == 0.25
    assert advantage(None, 5.0, higher_is_better=False) is None
    assert advantage(0.0, 5.0, higher_is_better=False) is None
