"""Known-answer tests for infermeter.intervals: order-statistic CIs, t quantiles, window rates, log-scale CIs.

Ranks are checked against an exact binomial computed here with ``math.comb`` and ``fractions.Fraction``
(independent of the lgamma-based table in the module).
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache

import numpy as np
import pytest

from infermeter.stats.intervals import (
    Interval,
    binomial_cdf_table,
    mean_log_interval,
    min_samples_for_ci,
    percentile_interval,
    percentile_interval_unsorted,
    quantile_ci_ranks,
    t_quantile_975,
    throughput_interval,
    window_rates,
)
from infermeter.stats.latency import LatencyStats, percentile

TAIL = Fraction(1, 40)  # 2.5 % in each tail
PROBABILITIES = (0.5, 0.9, 0.95, 0.99)
MS = 1_000_000


# --- an exact reference -----------------------------------------------------------------------------------


@cache
def exact_cdf(n: int, p: float) -> tuple[Fraction, ...]:
    """P(B ≤ k) for k = 0..n, B ~ Binomial(n, p), with p taken as the decimal it is written as (0.9 = 9/10)."""
    q = Fraction(str(p))
    total, cdf = Fraction(0), []
    for k in range(n + 1):
        total += math.comb(n, k) * q**k * (1 - q) ** (n - k)
        cdf.append(total)
    return tuple(cdf)


def reference_ranks(n: int, p: float) -> tuple[int, int] | None:
    """l = largest k in 1..n with P(B ≤ k-1) ≤ 2.5 %; u = smallest k in 1..n with P(B ≤ k-1) ≥ 97.5 %."""
    cdf = exact_cdf(n, p)
    lows = [k for k in range(1, n + 1) if cdf[k - 1] <= TAIL]
    highs = [k for k in range(1, n + 1) if cdf[k - 1] >= 1 - TAIL]
    if not lows or not highs:
        return None
    return max(lows), min(highs)


# --- quantile_ci_ranks -------------------------------------------------------------------------------------


def test_median_ranks_for_10_samples() -> None:
    assert quantile_ci_ranks(10, 0.5) == (2, 9)


def test_median_ranks_for_100_samples() -> None:
    assert quantile_ci_ranks(100, 0.5) == (40, 61)


def test_median_ranks_for_6_samples_are_min_and_max() -> None:
    assert quantile_ci_ranks(6, 0.5) == (1, 6)


def test_median_ranks_for_5_samples_do_not_exist() -> None:
    # P(B ≤ 0) = 1/32 = 3.1 % > 2.5 %: even the minimum is too likely to lie above the median
    assert quantile_ci_ranks(5, 0.5) is None


def test_ranks_for_invalid_arguments_are_none() -> None:
    assert quantile_ci_ranks(0, 0.5) is None
    assert quantile_ci_ranks(10, 0.0) is None
    assert quantile_ci_ranks(10, 1.0) is None


@pytest.mark.parametrize(("p", "expected"), [(0.5, 6), (0.9, 36), (0.95, 72), (0.99, 368)])
def test_min_samples_for_ci(p: float, expected: int) -> None:
    assert min_samples_for_ci(p) == expected


@pytest.mark.parametrize(("p", "expected"), [(0.5, 6), (0.9, 36), (0.95, 72), (0.99, 368)])
def test_min_samples_for_ci_matches_exact_binomial(p: float, expected: int) -> None:
    # at n = expected both tails fit; one sample fewer, the minimum is above the quantile too often
    # (P(B ≤ 0) = (1 - p)^n > 2.5 %) or the maximum below it (P(B ≤ n - 1) = 1 - p^n < 97.5 %)
    assert reference_ranks(expected, p) is not None
    assert reference_ranks(expected - 1, p) is None
    q = Fraction(str(p))
    assert (1 - q) ** expected <= TAIL and 1 - q**expected >= 1 - TAIL
    assert (1 - q) ** (expected - 1) > TAIL or 1 - q ** (expected - 1) < 1 - TAIL


@pytest.mark.parametrize("p", PROBABILITIES)
@pytest.mark.parametrize("n", range(1, 300, 3))
def test_ranks_match_exact_binomial(n: int, p: float) -> None:
    assert quantile_ci_ranks(n, p) == reference_ranks(n, p)


def test_median_ranks_for_a_million_samples_match_normal_approximation() -> None:
    n = 10**6
    ranks = quantile_ci_ranks(n, 0.5)
    assert ranks is not None
    low, high = ranks
    half = 1.959963984540054 * math.sqrt(n * 0.5 * 0.5)  # z · sqrt(n p (1-p)) = 1.96 · sqrt(n) / 2
    assert abs(low - (n / 2 - half)) <= 2
    assert abs(high - (n / 2 + half)) <= 2


@pytest.mark.parametrize("p", PROBABILITIES)
@pytest.mark.parametrize("n", [6, 36, 72, 100, 368, 500, 1000])
def test_rank_interval_covers_at_least_95_percent(n: int, p: float) -> None:
    ranks = quantile_ci_ranks(n, p)
    if ranks is None:
        assert n < min_samples_for_ci(p)
        return
    low, high = ranks
    cdf = exact_cdf(n, p)
    below_low = cdf[low - 2] if low >= 2 else Fraction(0)  # P(B ≤ l - 1)
    coverage = cdf[high - 1] - below_low  # P(l ≤ B ≤ u - 1)
    assert coverage >= Fraction(95, 100)


# --- binomial_cdf_table ------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9, 0.99])
@pytest.mark.parametrize("n", [1, 2, 5, 10, 37])
def test_binomial_cdf_table_matches_math_comb(n: int, p: float) -> None:
    first, cdf = binomial_cdf_table(n, p)
    spread = 10.0 * math.sqrt(n * p * (1 - p)) + 10.0  # the table covers n p ± spread, clipped to 0..n
    last = min(n, math.ceil(n * p + spread))
    assert first == max(0, math.floor(n * p - spread))
    assert len(cdf) == last - first + 1
    exact = [float(value) for value in exact_cdf(n, p)]
    assert cdf.tolist() == pytest.approx(exact[first : last + 1], rel=1e-12, abs=1e-15)
    # outside the table the CDF is 0 below and 1 above, to far better than double precision
    assert all(value < 1e-20 for value in exact[:first])
    assert all(value > 1.0 - 1e-16 for value in exact[last:])


def test_binomial_cdf_table_pmf_sums_to_one() -> None:
    first, cdf = binomial_cdf_table(20, 0.3)
    pmf = np.diff(np.concatenate(([0.0], cdf)))
    exact = [math.comb(20, k) * 0.3**k * 0.7 ** (20 - k) for k in range(21)]
    assert first == 0
    assert pmf.tolist() == pytest.approx(exact, abs=1e-15)
    assert float(pmf.sum()) == pytest.approx(1.0, rel=1e-12)


def test_binomial_cdf_table_for_large_n_starts_in_the_bulk() -> None:
    n, p = 10_000, 0.5
    first, cdf = binomial_cdf_table(n, p)
    spread = 10.0 * math.sqrt(n * p * (1 - p)) + 10.0  # 10 standard deviations + 10
    assert first == math.floor(n * p - spread)
    assert len(cdf) == math.ceil(n * p + spread) - first + 1
    assert cdf[0] < 1e-20
    # lgamma(10001) ≈ 8e4 carries ~1e-11 absolute error into every log pmf, so the CDF is good to ~1e-10
    assert cdf[-1] == pytest.approx(1.0, abs=1e-9)
    # symmetric: P(B ≤ n/2) = 1/2 + P(B = n/2) / 2
    assert cdf[n // 2 - first] == pytest.approx(float(Fraction(1, 2) + Fraction(math.comb(n, n // 2), 2 ** (n + 1))),
                                                  rel=1e-9)


@pytest.mark.parametrize(("n", "p"), [(0, 0.5), (-1, 0.5), (10, 0.0), (10, 1.0), (10, -0.1), (10, 1.5)])
def test_binomial_cdf_table_rejects_bad_arguments(n: int, p: float) -> None:
    with pytest.raises(ValueError, match="n ≥ 1 and 0 < p < 1"):
        binomial_cdf_table(n, p)


# --- t_quantile_975 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("df", "expected"), [(1, 12.7062), (2, 4.3027), (10, 2.2281), (30, 2.0423)])
def test_t_quantile_table_values(df: int, expected: float) -> None:
    assert t_quantile_975(df) == expected


@pytest.mark.parametrize(("df", "expected"), [(40, 2.0211), (60, 2.0003), (120, 1.9799)])
def test_t_quantile_beyond_table_matches_known_values(df: int, expected: float) -> None:
    assert t_quantile_975(df) == pytest.approx(expected, abs=2e-4)


def test_t_quantile_continues_the_table_and_tends_to_z() -> None:
    assert 2.0423 > t_quantile_975(31) > t_quantile_975(40) > t_quantile_975(1000) > 1.959963984540054
    assert t_quantile_975(10**9) == pytest.approx(1.959963984540054, abs=1e-8)


@pytest.mark.parametrize("df", [0, -3])
def test_t_quantile_needs_a_degree_of_freedom(df: int) -> None:
    with pytest.raises(ValueError, match="degree of freedom"):
        t_quantile_975(df)


# --- percentile_interval -----------------------------------------------------------------------------------


def test_percentile_interval_bounds_are_order_statistics() -> None:
    samples = np.arange(100, dtype=np.int64) * 10  # x_(k) = 10 (k - 1)
    interval = percentile_interval(samples, 50.0, 495.0)
    # ranks (40, 61) → x_(40) = 390, x_(61) = 600
    assert interval == Interval(495.0, 390.0, 600.0)


def test_percentile_interval_p90_bounds_are_order_statistics() -> None:
    samples = np.arange(100, dtype=np.int64) * 10
    ranks = quantile_ci_ranks(100, 0.9)
    assert ranks == reference_ranks(100, 0.9) == (84, 96)
    estimate = percentile(samples, 90.0)  # 891 up to rounding (numpy's two-sided interpolation)
    interval = percentile_interval(samples, 90.0, estimate)
    assert interval == Interval(estimate, 830.0, 950.0)  # x_(84) = 830, x_(96) = 950


def test_percentile_interval_passes_the_estimate_through() -> None:
    samples = np.arange(10, dtype=np.int64)
    interval = percentile_interval(samples, 50.0, 123.25)
    assert interval is not None
    assert interval.estimate == 123.25
    assert (interval.low, interval.high) == (1.0, 8.0)  # ranks (2, 9)


def test_percentile_interval_too_few_samples_is_none() -> None:
    assert percentile_interval(np.arange(5, dtype=np.int64), 50.0, 2.0) is None
    assert percentile_interval(np.arange(35, dtype=np.int64), 90.0, 30.6) is None


def _shuffled(kind: str, n: int) -> np.ndarray:
    rng = np.random.default_rng(n)
    if kind == "arange":
        values = np.arange(n, dtype=np.int64) * 1000 + 7
    elif kind == "duplicates":
        values = (np.arange(n, dtype=np.int64) // 3) * 10
    else:  # "random"
        values = rng.integers(1_000_000, 2_000_000, n, dtype=np.int64)
    return rng.permutation(values)


@pytest.mark.parametrize("kind", ["arange", "duplicates", "random"])
@pytest.mark.parametrize("n", [6, 7, 36, 50, 72, 100, 101, 368, 400, 1000, 2001])
@pytest.mark.parametrize("p", [50.0, 90.0, 95.0, 99.0])
def test_unsorted_interval_bounds_equal_sorted_interval_bounds(kind: str, n: int, p: float) -> None:
    samples = _shuffled(kind, n)
    ordered = np.sort(samples)
    unsorted = percentile_interval_unsorted(samples, p)
    expected = percentile_interval(ordered, p, float(np.percentile(ordered, p)), in_order=samples)
    if expected is None:
        assert unsorted is None
        return
    assert unsorted is not None
    assert (unsorted.low, unsorted.high) == (expected.low, expected.high)


@pytest.mark.parametrize("kind", ["arange", "duplicates", "random"])
@pytest.mark.parametrize("n", [6, 7, 50, 100, 101, 1000, 2001])
def test_unsorted_median_estimate_equals_numpy_percentile(kind: str, n: int) -> None:
    samples = _shuffled(kind, n)
    interval = percentile_interval_unsorted(samples, 50.0)
    assert interval is not None
    assert interval.estimate == float(np.percentile(samples, 50.0))
    assert interval.estimate == percentile(np.sort(samples), 50.0)


@pytest.mark.parametrize(("kind", "n", "p"), [("arange", 100, 90.0), ("duplicates", 100, 90.0),
                                              ("arange", 400, 95.0), ("arange", 2000, 90.0)])
def test_unsorted_estimate_equals_numpy_percentile(kind: str, n: int, p: float) -> None:
    samples = _shuffled(kind, n)
    interval = percentile_interval_unsorted(samples, p)
    assert interval is not None
    assert interval.estimate == float(np.percentile(samples, p))


def test_unsorted_interval_too_few_samples_is_none() -> None:
    assert percentile_interval_unsorted(np.arange(5, dtype=np.int64), 50.0) is None


def test_unsorted_interval_does_not_modify_its_input() -> None:
    samples = _shuffled("random", 200)
    copy = samples.copy()
    percentile_interval_unsorted(samples, 90.0)
    assert np.array_equal(samples, copy)


# --- window_rates / throughput_interval ------------------------------------------------------------------
# Each request is credited to the windows it overlaps, in proportion to the overlap (steady work from
# submission to completion); K = min(20, completions // 5) windows of equal length from the first
# submission to the last completion.


def _back_to_back(count: int, latency_ns: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    start = offset + np.arange(count, dtype=np.int64) * latency_ns
    return start, start + latency_ns


@pytest.mark.parametrize("batch", [1, 4])
def test_window_rates_back_to_back_run_has_equal_windows(batch: int) -> None:
    # 100 requests of 1 ms back to back from t=0: 100 ms, 20 windows of 5 ms holding 5 requests each
    start, end = _back_to_back(100, MS)
    assert window_rates(start, end, batch).tolist() == [1000.0 * batch] * 20


def test_window_rates_measure_from_the_first_submission() -> None:
    start, end = _back_to_back(100, MS, offset=123_456_789_000)
    assert window_rates(start, end, 1).tolist() == [1000.0] * 20


def test_window_rates_bunched_completions_give_equal_rates() -> None:
    # 4 requests in flight, 4 ms each, all four completing together every 4 ms: 100 requests in 100 ms;
    # each 5 ms window holds 4 × 5/4 = 5 requests of work although 4 or 8 complete in it
    start = np.repeat(np.arange(25, dtype=np.int64) * 4 * MS, 4)
    end = start + 4 * MS
    assert window_rates(start, end, 1).tolist() == [1000.0] * 20


def test_window_rates_window_count_is_completions_over_five_capped_at_20() -> None:
    assert len(window_rates(*_back_to_back(15, MS), 1)) == 3
    assert len(window_rates(*_back_to_back(19, MS), 1)) == 3
    assert len(window_rates(*_back_to_back(99, MS), 1)) == 19
    assert len(window_rates(*_back_to_back(1000, MS), 1)) == 20


@pytest.mark.parametrize("count", [0, 1, 5, 14])
def test_window_rates_need_15_completions(count: int) -> None:
    start, end = _back_to_back(count, MS)
    assert window_rates(start, end, 1).size == 0
    if count:
        assert throughput_interval(start, end, 1) is None


def test_window_rates_zero_span_is_empty() -> None:
    start = np.zeros(20, dtype=np.int64)
    assert window_rates(start, start.copy(), 1).size == 0


def _uneven_run() -> tuple[np.ndarray, np.ndarray]:
    """15 requests over 15 ms (3 windows of 5 ms): window 0 holds 3 requests and half of [4, 6] ms, window 1
    the other half and 4 requests, window 2 seven requests, the last one ending exactly at 15 ms."""
    intervals_us = [(0, 1000), (1000, 2000), (2000, 3000), (4000, 6000), (6000, 7000), (7000, 8000),
                    (8000, 9000), (9000, 10000), (10000, 10500), (10500, 11000), (11000, 11500),
                    (11500, 12000), (12000, 12500), (12500, 13000), (14500, 15000)]
    start = np.array([a for a, _ in intervals_us], dtype=np.int64) * 1000
    end = np.array([b for _, b in intervals_us], dtype=np.int64) * 1000
    return start, end


def test_window_rates_uneven_run_splits_a_straddling_request() -> None:
    start, end = _uneven_run()
    # work 3.5, 4.5, 7 requests per 5 ms window → 700, 900, 1400 requests/s; batch 2 doubles that
    assert window_rates(start, end, 2).tolist() == [1400.0, 1800.0, 2800.0]


def test_throughput_interval_uneven_run_by_hand() -> None:
    start, end = _uneven_run()
    interval = throughput_interval(start, end, 2)
    assert interval is not None
    rates = [1400.0, 1800.0, 2800.0]
    k = len(rates)
    mean = sum(rates) / k  # 2000
    sd = math.sqrt(sum((r - mean) ** 2 for r in rates) / (k - 1))  # sqrt(1_040_000 / 2)
    half = 4.3027 * sd / math.sqrt(k)  # t_975(K - 1 = 2) = 4.3027
    estimate = 15 * 2 * 1e9 / (15 * MS)  # items / window
    assert estimate == mean == 2000.0
    assert interval.estimate == estimate
    assert interval.low == pytest.approx(estimate - half, rel=1e-12)
    assert interval.high == pytest.approx(estimate + half, rel=1e-12)
    assert interval.half_width == pytest.approx(half, rel=1e-12)


def test_throughput_interval_of_a_steady_run_has_zero_width() -> None:
    start, end = _back_to_back(100, MS)
    assert throughput_interval(start, end, 3) == Interval(3000.0, 3000.0, 3000.0)


def _random_run(seed: int, count: int = 500, streams: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """``streams`` requests in flight, each stream back to back with random latencies of 0.2–3 ms."""
    rng = np.random.default_rng(seed)
    latencies = rng.integers(200_000, 3_000_000, count, dtype=np.int64)
    stream = np.arange(count) % streams
    start = np.empty(count, dtype=np.int64)
    for s in range(streams):
        mine = latencies[stream == s]
        start[stream == s] = 1_000_000_000 + np.concatenate(([0], np.cumsum(mine)[:-1]))
    return start, start + latencies


@pytest.mark.parametrize("seed", range(5))
def test_window_rates_average_to_the_overall_throughput(seed: int) -> None:
    start, end = _random_run(seed)
    rates = window_rates(start, end, 8)
    interval = throughput_interval(start, end, 8)
    assert interval is not None
    assert interval.estimate == 500 * 8 * 1e9 / (int(end.max()) - int(start.min()))
    assert float(np.mean(rates)) == pytest.approx(interval.estimate, rel=1e-12)
    half = t_quantile_975(19) * float(np.std(rates, ddof=1)) / math.sqrt(20)
    assert interval.half_width == pytest.approx(half, rel=1e-12)


def test_window_rates_count_a_zero_duration_first_request() -> None:
    start = np.arange(15, dtype=np.int64) * MS  # instantaneous requests (a coarse clock) at 0, 1, ..., 14 ms
    rates = window_rates(start, start.copy(), 1)
    assert float(np.mean(rates)) == pytest.approx(15 * 1e9 / (14 * MS), rel=1e-12)


# --- mean_log_interval -------------------------------------------------------------------------------------


def test_mean_log_interval_is_a_geometric_mean() -> None:
    values = np.array([1.0, 2.0, 4.0])
    interval = mean_log_interval(np.log(values))
    assert interval is not None
    # logs 0, ln 2, 2 ln 2: mean ln 2, sample sd ln 2; half = t_975(2) · ln 2 / sqrt(3)
    half = 4.3027 * math.log(2.0) / math.sqrt(3.0)
    assert interval.estimate == pytest.approx(2.0, rel=1e-15)
    assert interval.low == pytest.approx(2.0 * math.exp(-half), rel=1e-12)
    assert interval.high == pytest.approx(2.0 * math.exp(half), rel=1e-12)
    assert interval.low == pytest.approx(0.357455, rel=1e-5)  # 2 · exp(-1.721852)
    assert interval.high == pytest.approx(11.19021, rel=1e-5)  # 2 · exp(+1.721852)


def test_mean_log_interval_of_equal_values_has_zero_width() -> None:
    interval = mean_log_interval(np.log(np.array([1.5, 1.5, 1.5, 1.5])))
    assert interval is not None
    assert interval.low == interval.estimate == interval.high == pytest.approx(1.5, rel=1e-15)


@pytest.mark.parametrize("count", [0, 1])
def test_mean_log_interval_needs_two_values(count: int) -> None:
    assert mean_log_interval(np.zeros(count)) is None


# --- Interval ----------------------------------------------------------------------------------------------


def test_half_width_is_the_larger_side() -> None:
    assert Interval(10.0, 7.0, 12.0).half_width == 3.0
    assert Interval(10.0, 9.0, 14.0).half_width == 4.0
    assert Interval(10.0, 10.0, 10.0).half_width == 0.0


def test_relative_half_width() -> None:
    assert Interval(10.0, 7.0, 12.0).relative_half_width == 0.3
    assert Interval(-10.0, -12.0, -9.0).relative_half_width == 0.2
    assert Interval(0.0, -1.0, 1.0).relative_half_width is None


def test_excludes_is_strictly_outside_the_bounds() -> None:
    interval = Interval(10.0, 7.0, 12.0)
    assert interval.excludes(6.9)
    assert interval.excludes(12.1)
    assert not interval.excludes(7.0)
    assert not interval.excludes(12.0)
    assert not interval.excludes(10.0)


def test_interval_to_dict() -> None:
    assert Interval(1.0, 0.5, 2.0).to_dict() == {"estimate": 1.0, "low": 0.5, "high": 2.0}


# --- LatencyStats intervals --------------------------------------------------------------------------------


def _fifty_samples() -> np.ndarray:
    return np.random.default_rng(3).permutation(np.arange(50, dtype=np.int64) * 10)  # sorted: 0, 10, ..., 490


def test_latency_stats_median_interval() -> None:
    stats = LatencyStats(_fifty_samples())
    assert quantile_ci_ranks(50, 0.5) == reference_ranks(50, 0.5) == (18, 33)
    expected = Interval(245.0, 170.0, 320.0)  # median (240 + 250) / 2; x_(18) = 170, x_(33) = 320
    assert stats.interval(50.0) == expected
    assert stats.median_interval == expected


def test_latency_stats_p90_interval() -> None:
    stats = LatencyStats(_fifty_samples())
    assert quantile_ci_ranks(50, 0.9) == reference_ranks(50, 0.9) == (41, 50)
    # rank 49 · 0.9 = 44.1 → 440 + 0.1 · 10; x_(41) = 400, x_(50) = 490
    assert stats.interval(90.0) == Interval(441.0, 400.0, 490.0)


def test_latency_stats_interval_missing_with_too_few_samples() -> None:
    stats = LatencyStats(_fifty_samples())
    assert stats.percentile(95.0) == 465.5  # the estimate exists (≥ 20 samples) ...
    assert stats.interval(95.0) is None  # ... but its CI needs 72
    assert stats.interval(99.0) is None  # neither exists below 100 samples


def test_latency_stats_as_dict_intervals_for_fifty_samples() -> None:
    intervals = LatencyStats(_fifty_samples()).as_dict()["intervals_ns"]
    assert intervals == {
        "p50": {"estimate": 245.0, "low": 170.0, "high": 320.0},
        "p90": {"estimate": 441.0, "low": 400.0, "high": 490.0},
        "p95": None,
        "p99": None,
    }


def test_latency_stats_median_interval_missing_below_six_samples() -> None:
    stats = LatencyStats(np.array([5, 1, 4, 2, 3], dtype=np.int64))
    assert stats.median == 3.0
    assert stats.median_interval is None
    assert LatencyStats(np.array([6, 5, 1, 4, 2, 3], dtype=np.int64)).median_interval == Interval(3.5, 1.0, 6.0)


def test_latency_stats_empty_has_no_intervals() -> None:
    stats = LatencyStats(np.empty(0, dtype=np.int64))
    assert stats.median_interval is None
    assert stats.as_dict()["intervals_ns"] == {"p50": None, "p90": None, "p95": None, "p99": None}
