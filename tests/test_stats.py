"""Unit tests for infermeter.stats: percentiles, sample minimums, LatencyStats and throughput."""

from __future__ import annotations

import numpy as np
import pytest

from infermeter.stats.latency import REPORTED_PERCENTILES, LatencyStats, min_samples_for, percentile, throughput

# infermeter reproduces numpy's rank arithmetic and two-sided interpolation, so results are bit-identical.


def _numpy(values: np.ndarray, p: float) -> float:
    return float(np.percentile(values, p, method="linear"))


@pytest.mark.parametrize("seed", range(8))
def test_percentile_matches_numpy_on_random_arrays(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n = int(rng.integers(1, 400))
        values = np.sort(rng.integers(0, 10**10, size=n, dtype=np.int64))
        ps = [*rng.uniform(0.0, 100.0, size=6).tolist(), 0.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0]
        for p in ps:
            assert percentile(values, p) == _numpy(values, p), (n, p)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 10, 11, 100, 101, 1000, 1001])
def test_percentile_matches_numpy_even_and_odd_sizes(n: int) -> None:
    rng = np.random.default_rng(1000 + n)
    values = np.sort(rng.integers(1_000, 50_000_000, size=n, dtype=np.int64))
    for p in (0.0, 1.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 100.0):
        assert percentile(values, p) == _numpy(values, p)


def test_percentile_with_duplicates_matches_numpy() -> None:
    rng = np.random.default_rng(7)
    values = np.sort(rng.integers(0, 4, size=257, dtype=np.int64) * 1_000_000)
    for p in np.linspace(0.0, 100.0, 41):
        assert percentile(values, float(p)) == _numpy(values, float(p))
    constant = np.full(9, 5_000_000, dtype=np.int64)
    for p in (0.0, 33.3, 50.0, 99.0, 100.0):
        assert percentile(constant, p) == 5_000_000.0


def test_percentile_single_sample_is_that_sample() -> None:
    one = np.array([123_456], dtype=np.int64)
    for p in (0.0, 50.0, 90.0, 99.9, 100.0):
        assert percentile(one, p) == 123_456.0


def test_percentile_known_answers() -> None:
    values = np.array([1, 2, 3, 4], dtype=np.int64)
    assert percentile(values, 50.0) == 2.5
    assert percentile(values, 90.0) == 3.7
    assert percentile(values, 0.0) == 1.0
    assert percentile(values, 100.0) == 4.0
    assert percentile(np.array([10, 20, 30], dtype=np.int64), 50.0) == 20.0
    assert percentile(np.array([10, 20, 30], dtype=np.int64), 25.0) == 15.0
    assert percentile(np.arange(1, 101, dtype=np.int64), 99.0) == 99.01


def test_percentile_of_no_samples_raises() -> None:
    with pytest.raises(ValueError, match="no samples"):
        percentile(np.array([], dtype=np.int64), 50.0)


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0.0, 1), (25.0, 1), (50.0, 1), (75.0, 4), (80.0, 5), (90.0, 10), (95.0, 20), (99.0, 100), (99.9, 1000),
     (99.99, 10000)],
)
def test_min_samples_for(p: float, expected: int) -> None:
    assert min_samples_for(p) == expected


def test_latency_stats_exact_on_small_array() -> None:
    samples = np.array([4, 1, 3, 2], dtype=np.int64)
    stats = LatencyStats(samples)
    assert stats.count == 4
    assert stats.mean == 2.5
    assert stats.median == 2.5
    assert stats.minimum == 1
    assert stats.maximum == 4
    assert isinstance(stats.minimum, int)
    assert isinstance(stats.maximum, int)
    # sample standard deviation (ddof = 1): sum of squares 5 over n - 1 = 3
    assert stats.std == pytest.approx((5 / 3) ** 0.5, rel=1e-15)
    assert stats.std == float(np.std(samples.astype(np.float64), ddof=1))
    assert stats.sorted_ns.tolist() == [1, 2, 3, 4]
    assert samples.tolist() == [4, 1, 3, 2]  # the caller's array is not sorted in place


def test_latency_stats_odd_count_and_constant() -> None:
    stats = LatencyStats(np.array([5_000_000] * 5, dtype=np.int64))
    assert stats.mean == 5_000_000.0
    assert stats.median == 5_000_000.0
    assert stats.std == 0.0
    assert stats.minimum == stats.maximum == 5_000_000
    odd = LatencyStats(np.array([30, 10, 20], dtype=np.int64))
    assert odd.median == 20.0
    assert odd.mean == 20.0
    assert odd.std == 10.0


def test_latency_stats_single_sample() -> None:
    stats = LatencyStats(np.array([7], dtype=np.int64))
    assert stats.mean == 7.0
    assert stats.median == 7.0
    assert stats.std is None  # n - 1 = 0
    assert stats.minimum == stats.maximum == 7
    assert stats.percentiles == {50.0: 7.0, 90.0: None, 95.0: None, 99.0: None}


def test_latency_stats_empty() -> None:
    stats = LatencyStats(np.array([], dtype=np.int64))
    assert stats.count == 0
    assert stats.mean is None
    assert stats.median is None
    assert stats.std is None
    assert stats.minimum is None
    assert stats.maximum is None
    assert all(v is None for v in stats.percentiles.values())


@pytest.mark.parametrize(
    ("count", "present"),
    [(1, {50.0}), (9, {50.0}), (10, {50.0, 90.0}), (19, {50.0, 90.0}), (20, {50.0, 90.0, 95.0}),
     (99, {50.0, 90.0, 95.0}), (100, {50.0, 90.0, 95.0, 99.0})],
)
def test_percentiles_missing_below_their_sample_minimum(count: int, present: set[float]) -> None:
    stats = LatencyStats(np.arange(1, count + 1, dtype=np.int64) * 1000)
    values = stats.percentiles
    assert set(values) == set(REPORTED_PERCENTILES)
    assert {p for p, v in values.items() if v is not None} == present
    for p in present:
        assert values[p] == percentile(stats.sorted_ns, p)


def test_percentile_method_on_stats_respects_minimum() -> None:
    stats = LatencyStats(np.arange(999, dtype=np.int64))
    assert stats.percentile(99.9) is None
    stats = LatencyStats(np.arange(1000, dtype=np.int64))
    assert stats.percentile(99.9) == _numpy(np.arange(1000), 99.9)


def test_as_dict_keys_and_values() -> None:
    stats = LatencyStats(np.array([4, 1, 3, 2], dtype=np.int64))
    data = stats.as_dict()
    assert list(data) == ["count", "mean_ns", "median_ns", "std_ns", "min_ns", "max_ns", "percentiles_ns",
                          "intervals_ns"]
    assert data["count"] == 4
    assert data["mean_ns"] == 2.5
    assert data["median_ns"] == 2.5
    assert data["min_ns"] == 1
    assert data["max_ns"] == 4
    assert data["percentiles_ns"] == {"p50": 2.5, "p90": None, "p95": None, "p99": None}


def test_as_dict_percentile_keys_follow_wanted() -> None:
    stats = LatencyStats(np.arange(1000, dtype=np.int64), percentiles_wanted=(50.0, 99.9))
    keys = stats.as_dict()["percentiles_ns"]
    assert isinstance(keys, dict)
    assert list(keys) == ["p50", "p99.9"]


def test_throughput_exact() -> None:
    assert throughput(100, 500_000_000) == 200.0
    assert throughput(400, 1_000_000_000) == 400.0
    assert throughput(1, 1) == 1e9
    assert throughput(0, 1_000_000_000) == 0.0
    assert throughput(3, 2_000_000_000) == 1.5


def test_throughput_empty_window_is_none() -> None:
    assert throughput(10, 0) is None
    assert throughput(0, 0) is None
    assert throughput(5, -1) is None


def test_p100_does_not_crash() -> None:
    stats = LatencyStats(np.arange(10, dtype=np.int64))
    assert stats.percentile(100.0) in (None, 9.0)
