"""Serial dependence: detected in the order samples were taken, and percentile and paired intervals widened by it
so that their coverage holds (the review found 90/76/40 % median-CI coverage for AR(1) ρ = 0.3/0.6/0.9)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from infermeter.results.run import RunResult
from infermeter.scenarios.runner import queue_executors
from infermeter.stats.dependence import DETECT_Z, inflation, quantile_inflation
from infermeter.stats.intervals import dependent_ranks, quantile_ci_ranks, window_rates
from infermeter.stats.latency import LatencyStats
from infermeter.stats.paired import (
    boundary,
    median_interval,
    median_sequence,
    mixture_precision,
    sequence_ranks,
)


def ar1(rng: np.random.Generator, n: int, rho: float) -> np.ndarray:
    noise = rng.standard_normal(n) * math.sqrt(1 - rho * rho)
    values = np.empty(n)
    values[0] = rng.standard_normal()
    for index in range(1, n):
        values[index] = rho * values[index - 1] + noise[index]
    return values


def latencies(values: np.ndarray) -> np.ndarray:
    """Lognormal latencies with a true median of exactly 5 ms."""
    return np.rint(5e6 * np.exp(0.2 * values)).astype(np.int64)


@pytest.mark.parametrize("rho", [0.3, 0.6, 0.9])
def test_median_interval_keeps_its_coverage_when_requests_are_correlated(rho: float) -> None:
    rng = np.random.default_rng(1)
    covered = 0
    for _ in range(200):
        interval = LatencyStats(latencies(ar1(rng, 2000, rho))).interval(50.0)
        covered += interval is not None and interval.low <= 5e6 <= interval.high
    assert covered / 200 >= 0.92  # without the widening: about 0.90, 0.76 and 0.40


def test_independent_samples_keep_the_exact_binomial_ranks() -> None:
    samples = latencies(np.random.default_rng(3).standard_normal(1000))
    assert quantile_inflation(samples, float(np.median(samples))) == 1.0
    interval = LatencyStats(samples).interval(50.0)
    ordered = np.sort(samples)
    low, high = quantile_ci_ranks(1000, 0.5)  # type: ignore[misc]
    assert interval is not None and (interval.low, interval.high) == (ordered[low - 1], ordered[high - 1])


def test_detection_needs_a_significant_lag_one_correlation() -> None:
    n = 400
    alternating = np.tile([0.0, 1.0], n // 2)  # negative dependence never widens
    assert inflation(alternating) == 1.0
    runs = np.repeat([0.0, 1.0] * (n // 8), 4)  # runs of four: lag-1 correlation 0.5
    assert inflation(runs) > 2.0
    assert DETECT_Z / math.sqrt(n) < 0.5
    assert inflation(np.ones(10)) == 1.0  # too short, and constant


def test_dependent_ranks_equal_the_exact_ones_without_inflation_and_widen_with_it() -> None:
    assert dependent_ranks(100, 0.5, 1.0) == quantile_ci_ranks(100, 0.5) == (40, 61)
    assert dependent_ranks(100, 0.5, 4.0) == (30, 71)  # 50 ∓ 1.96·√(100·¼·4) = 50 ∓ 19.6
    assert dependent_ranks(10, 0.5, 4.0) is None  # 2.5 effective samples: no interval


def test_sign_interval_of_paired_differences_known_answer() -> None:
    differences = np.random.default_rng(0).permutation(100).astype(np.float64)
    assert quantile_inflation(differences, 49.5) == 1.0
    interval = median_interval(differences)
    assert interval is not None and (interval.estimate, interval.low, interval.high) == (49.5, 39.0, 60.0)


def test_confidence_sequence_ranks_follow_the_normal_mixture_boundary() -> None:
    rho = mixture_precision(400)
    assert rho == pytest.approx(0.12177 * 100, rel=1e-4)  # x solves log((1 + x)/(x·α²)) = 1/x for α = 5 %
    reach = boundary(100.0, rho)
    assert sequence_ranks(400, 400) == (math.floor(200 - reach) + 1, math.ceil(200 + reach))
    assert sequence_ranks(10, 400) is None  # unbounded yet


def test_confidence_sequence_is_wider_than_the_fixed_interval() -> None:
    differences = np.random.default_rng(5).standard_normal(400)
    fixed, sequence = median_interval(differences), median_sequence(differences, 400)
    assert fixed is not None and sequence is not None
    assert sequence.low < fixed.low and sequence.high > fixed.high


def test_confidence_sequence_stays_valid_when_looked_at_after_every_step() -> None:
    """Peeking at a fixed-n interval after every pair finds a "difference" in most A/A series; the confidence
    sequence keeps the chance that it ever excludes the true median under 5 %."""
    rng = np.random.default_rng(11)
    looks = range(20, 1001)
    sequence = [sequence_ranks(n, 400) for n in looks]
    fixed = [quantile_ci_ranks(n, 0.5) for n in looks]
    ever_sequence = ever_fixed = 0
    def excludes(below: np.ndarray, ranks: tuple[int, int] | None, n: int) -> bool:
        """d_(l) > 0 ⟺ fewer than l of the first n differences are ≤ 0; d_(u) < 0 ⟺ at least u are."""
        return ranks is not None and (below[n - 1] < ranks[0] or below[n - 1] >= ranks[1])

    for _ in range(300):
        below = np.cumsum(rng.standard_normal(1000) <= 0)
        ever_sequence += any(excludes(below, ranks, n) for ranks, n in zip(sequence, looks, strict=True))
        ever_fixed += any(excludes(below, ranks, n) for ranks, n in zip(fixed, looks, strict=True))
    assert ever_sequence / 300 <= 0.05
    assert ever_fixed / 300 >= 0.25


# --- throughput windows: credit the work the engine did --------------------------------------------------


def fifo_closed_loop(requests: int, executors: int, service_ns: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """A closed loop of ``requests`` in flight in front of ``executors`` first-in-first-out servers with a
    constant service time: all submitted at 0, each completion submits the next."""
    submitted = np.zeros(count, np.int64)
    completed = np.zeros(count, np.int64)
    for index in range(count):
        if index >= requests:
            submitted[index] = completed[index - requests]
        free = completed[index - executors] if index >= executors else 0
        completed[index] = max(submitted[index], free) + service_ns
    return submitted + 10**12, completed + 10**12


def test_window_rates_credit_service_not_queueing_through_ramp_up_and_drain() -> None:
    starts, ends = fifo_closed_loop(4, 2, 10_000_000, 200)  # 2 executors busy from 0 to the end: 200/s
    assert window_rates(starts, ends, 1.0, executors=2).tolist() == [200.0] * 20
    queued = window_rates(starts, ends, 1.0)  # from submission: the review's defect
    assert (queued[0], queued[-1]) == (220.0, 180.0)


def test_a_short_run_behind_a_queue_shows_no_drift() -> None:
    starts, ends = fifo_closed_loop(4, 2, 10_000_000, 60)
    run = RunResult("throughput", 4, 1, starts, ends, executors=2)
    assert np.allclose(run.window_rates, 200.0)
    assert RunResult.from_dict(run.to_dict()).executors == 2


class _Driver:
    def __init__(self, engine_queue: bool) -> None:
        self.engine_queue = engine_queue


class _Runtime:
    streams = 2


class _Compiled:
    runtime = _Runtime()


@pytest.mark.parametrize(("queue", "requests", "expected"), [(True, 4, 2), (True, 2, None), (False, 4, None)])
def test_executors_are_recorded_only_behind_an_engine_queue(queue: bool, requests: int, expected: int | None) -> None:
    assert queue_executors(_Driver(queue), _Compiled(), requests) == expected  # type: ignore[arg-type]
