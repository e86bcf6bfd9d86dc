"""Known answers for the comparison of two setups (ratios, CIs, verdicts)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from infermeter.analysis.compare import (
    EQUIVALENT,
    FASTER,
    INCONCLUSIVE,
    SLOWER,
    Comparison,
    band_verdict,
    compare_runs,
    describe_change,
    metric_value,
    welch_log_ratio,
    within_run_ratio,
)
from infermeter.results.report import RunResult
from infermeter.stats.intervals import Interval, t_quantile_975

MS = 1_000_000


def back_to_back(latencies_ms: list[float], repeat: int = 1) -> RunResult:
    """A latency-scenario run whose requests follow each other without gaps."""
    latencies = np.array([round(v * MS) for v in latencies_ms] * repeat, dtype=np.int64)
    ends = np.cumsum(latencies)
    return RunResult("latency", 1, 1, ends - latencies, ends)


def test_metric_values() -> None:
    run = back_to_back([1, 2, 3, 4], repeat=5)  # 20 samples
    assert metric_value(run, "median") == 2.5 * MS
    assert metric_value(run, "p10") == 1 * MS
    assert metric_value(run, "throughput") == 20 / 0.05


def test_welch_known_answer() -> None:
    interval = welch_log_ratio(np.array([0.0, 0.2]), np.array([0.1, 0.3]))
    assert interval is not None
    half = t_quantile_975(2) * math.sqrt(0.02)  # var/n = 0.01 each side; Welch df = 0.02² / (2 · 0.01²) = 2
    assert interval.estimate == pytest.approx(math.exp(0.1), rel=1e-12)
    assert interval.low == pytest.approx(math.exp(0.1 - half), rel=1e-12)
    assert interval.high == pytest.approx(math.exp(0.1 + half), rel=1e-12)


def test_welch_without_spread_is_a_point() -> None:
    interval = welch_log_ratio(np.log([2.0, 2.0]), np.log([3.0, 3.0]))
    assert interval is not None
    assert interval.estimate == pytest.approx(1.5, rel=1e-12)
    assert interval.low == interval.high == interval.estimate


def test_paired_rounds_known_answer() -> None:
    a = [back_to_back([10.0], 50) for _ in range(3)]
    b = [back_to_back([v], 50) for v in (11.0, 12.1, 10.0)]  # per-round ratios 1.1, 1.21, 1.0
    comparison = compare_runs(a, b, "median", paired=True)
    assert comparison is not None
    logs = np.log([1.1, 1.21, 1.0])
    half = t_quantile_975(2) * float(np.std(logs, ddof=1)) / math.sqrt(3)
    assert comparison.ratio.estimate == pytest.approx(math.exp(logs.mean()), rel=1e-12)
    assert comparison.ratio.low == pytest.approx(math.exp(logs.mean() - half), rel=1e-12)
    assert comparison.method == "paired rounds (3)"
    assert comparison.a == pytest.approx(10 * MS)
    assert comparison.b == pytest.approx(math.exp(np.log([11, 12.1, 10]).mean()) * MS)


def test_single_runs_with_exact_cis_give_an_exact_ratio() -> None:
    comparison = compare_runs([back_to_back([5.0], 400)], [back_to_back([5.5], 400)], "median")
    assert comparison is not None
    assert comparison.method == "within-run CIs (single runs)"
    assert comparison.ratio.estimate == pytest.approx(1.1, rel=1e-12)
    assert comparison.ratio.low == comparison.ratio.high == comparison.ratio.estimate
    assert comparison.verdict == INCONCLUSIVE and not comparison.decisive
    assert describe_change(comparison) == ("inconclusive from single runs (B's speed -9.1%, within-run CI -9.1% to "
                                           "-9.1%)")


def test_within_run_ratio_combines_log_errors() -> None:
    a = back_to_back([1, 2, 3], 100)
    b = back_to_back([1, 2, 4], 100)
    interval = within_run_ratio(a, b, "p90")
    ia, ib = a.latency.interval(90), b.latency.interval(90)
    assert ia is not None and ib is not None and interval is not None
    se = math.hypot(math.log(ia.high / ia.low), math.log(ib.high / ib.low)) / (2 * 1.959963984540054)
    centre = math.log(ib.estimate / ia.estimate)
    assert interval.low == pytest.approx(math.exp(centre - 1.959963984540054 * se), rel=1e-12)


def test_not_enough_data_gives_none() -> None:
    assert compare_runs([back_to_back([1.0], 3)], [back_to_back([1.0], 3)], "median") is None
    assert compare_runs([], [back_to_back([1.0], 10)], "median") is None
    assert compare_runs([back_to_back([1.0], 10)] * 2, [back_to_back([1.0], 10)], "median") is None


@pytest.mark.parametrize(("metric", "ratio", "verdict"), [
    ("throughput", Interval(0.95, 0.94, 0.96), SLOWER),
    ("throughput", Interval(1.05, 1.04, 1.06), FASTER),
    ("throughput", Interval(1.01, 1.005, 1.015), EQUIVALENT),  # significant, but inside ±2 %
    ("throughput", Interval(0.95, 0.90, 1.001), INCONCLUSIVE),
    ("median", Interval(1.05, 1.04, 1.06), SLOWER),  # latency up = slower
    ("median", Interval(0.95, 0.94, 0.96), FASTER),
    ("median", Interval(1.0, 1.0, 1.0), EQUIVALENT),
    # the README's old example passed a gate: a point estimate beyond the threshold with a CI of ±30 %
    ("median", Interval(1.082, 0.810, 1.446), INCONCLUSIVE),
    ("throughput", Interval(1.05, 1.01, 1.09), INCONCLUSIVE),  # excludes 1 but straddles 1.02
    ("throughput", Interval(1.0, 0.99, 1.021), INCONCLUSIVE),  # straddles the upper edge
])
def test_verdicts_against_the_threshold_band(metric: str, ratio: Interval, verdict: str) -> None:
    assert Comparison(metric, 1.0, ratio.estimate, ratio, "test", 0.02).verdict == verdict


def test_a_bound_on_the_band_edge_counts_as_beyond_it() -> None:
    exact = Comparison("throughput", 1.0, 1.03, Interval(1.03, 1.02, 1.04), "test", 0.02)
    assert exact.verdict == FASTER
    slower = Comparison("throughput", 1.0, 0.97, Interval(0.97, 0.96, 1 / 1.02), "test", 0.02)
    assert slower.verdict == SLOWER


def test_a_zero_band_decides_on_excluding_one_only() -> None:
    assert band_verdict(Interval(1.001, 1.0005, 1.002), 0.0) == FASTER
    assert band_verdict(Interval(1.0, 1.0, 1.0), 0.0) == INCONCLUSIVE  # never equivalent
    assert band_verdict(Interval(0.99, 0.98, 1.0), 0.0) == INCONCLUSIVE


def test_describe_change_names_the_band() -> None:
    assert describe_change(Comparison("throughput", 1.0, 1.05, Interval(1.05, 1.04, 1.06), "t", 0.02)) == \
        "B is 5.0% faster (CI 4.0% to 6.0%, beyond ±2.0%)"
    assert describe_change(Comparison("throughput", 1.0, 1.0, Interval(1.0, 0.99, 1.01), "t", 0.02)) == \
        "equivalent within ±2.0% (B's speed +0.0%, CI -1.0% to +1.0%)"
    assert describe_change(Comparison("throughput", 1.0, 1.0, Interval(1.0, 0.97, 1.03), "t", 0.02)) == \
        "inconclusive: the CI straddles the ±2.0% band (B's speed +0.0%, CI -3.0% to +3.0%)"


def test_speedup_of_a_latency_metric_inverts_the_interval() -> None:
    comparison = Comparison("median", 1.0, 2.0, Interval(2.0, 1.6, 2.5), "test", 0.02)
    assert comparison.speedup == Interval(0.5, 0.4, 0.625)
