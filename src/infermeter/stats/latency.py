"""Statistics as pure functions of raw integer-nanosecond samples.

Percentiles use linear interpolation between closest ranks (numpy's default, "method 7"). A percentile
p is only reported when there are at least ceil(100 / (100 - p)) samples (p90: 10, p95: 20, p99: 100);
below that it is missing, never invented. The median needs one sample.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .intervals import Interval, interpolate, neighbours, percentile_interval

REPORTED_PERCENTILES = (50.0, 90.0, 95.0, 99.0)


def min_samples_for(percentile: float) -> int:
    if not 0.0 <= percentile <= 100.0:
        raise ValueError(f"percentile {percentile} is outside 0..100")
    if percentile <= 50.0:
        return 1
    if percentile >= 100.0:
        return 1  # the maximum
    return math.ceil(100.0 / (100.0 - percentile) - 1e-9)


def percentile(sorted_ns: np.ndarray, p: float) -> float:
    """Linear-interpolation percentile of sorted samples, computed the way ``numpy.percentile`` does
    (same rank arithmetic and the same two-sided interpolation), so the results are bit-identical."""
    n = len(sorted_ns)
    if n == 0:
        raise ValueError("percentile of no samples")
    low, high, weight = neighbours(n, p)
    return interpolate(int(sorted_ns[low]), int(sorted_ns[high]), weight)


@dataclass(frozen=True)
class LatencyStats:
    """Summary of latency samples (ns). Sample standard deviation (n - 1)."""

    samples_ns: np.ndarray = field(repr=False)
    percentiles_wanted: Sequence[float] = REPORTED_PERCENTILES

    @cached_property
    def sorted_ns(self) -> np.ndarray:
        return np.sort(self.samples_ns)

    @property
    def count(self) -> int:
        return len(self.samples_ns)

    @cached_property
    def mean(self) -> float | None:
        return float(np.mean(self.samples_ns, dtype=np.float64)) if self.count else None

    @cached_property
    def std(self) -> float | None:
        if self.count < 2:
            return None
        return float(np.std(self.samples_ns.astype(np.float64), ddof=1))

    @cached_property
    def minimum(self) -> int | None:
        return int(self.sorted_ns[0]) if self.count else None

    @cached_property
    def maximum(self) -> int | None:
        return int(self.sorted_ns[-1]) if self.count else None

    @cached_property
    def median(self) -> float | None:
        return self.percentile(50.0)

    def percentile(self, p: float) -> float | None:
        if self.count < min_samples_for(p) or self.count == 0:
            return None
        return percentile(self.sorted_ns, p)

    @cached_property
    def percentiles(self) -> dict[float, float | None]:
        return {p: self.percentile(p) for p in self.percentiles_wanted}

    def interval(self, p: float) -> Interval | None:
        """95 % distribution-free CI of the p-th percentile, widened when consecutive samples are dependent
        (``samples_ns`` in the order taken); None when too few samples (see intervals)."""
        if p not in self._intervals:
            estimate = self.percentile(p)
            self._intervals[p] = None if estimate is None else \
                percentile_interval(self.sorted_ns, p, estimate, in_order=self.samples_ns)
        return self._intervals[p]

    def interval_at(self, p: float, threshold: float) -> Interval | None:
        """The same CI with serial dependence measured at ``threshold`` (the bound a test asks about) rather
        than at the estimate: whether the p-th percentile lies below ``threshold`` is a question about the
        series ``1[x_i ≤ threshold]``, and only its dependence widens that answer."""
        estimate = self.percentile(p)
        if estimate is None:
            return None
        return percentile_interval(self.sorted_ns, p, estimate, in_order=self.samples_ns, at=threshold)

    @cached_property
    def _intervals(self) -> dict[float, Interval | None]:
        return {}

    @cached_property
    def median_interval(self) -> Interval | None:
        return self.interval(50.0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "mean_ns": self.mean,
            "median_ns": self.median,
            "std_ns": self.std,
            "min_ns": self.minimum,
            "max_ns": self.maximum,
            "percentiles_ns": {_percentile_key(p): v for p, v in self.percentiles.items()},
            "intervals_ns": {_percentile_key(p): _interval_dict(self.interval(p)) for p in self.percentiles_wanted},
        }


def _interval_dict(interval: Interval | None) -> dict[str, float] | None:
    return interval.to_dict() if interval is not None else None


def _percentile_key(p: float) -> str:
    return f"p{p:g}"


def throughput(items: int, window_ns: int) -> float | None:
    """Items per second over a window; None when the window is empty."""
    if window_ns <= 0:
        return None
    return items * 1e9 / window_ns


def nearest_rank(sorted_ns: np.ndarray, p: float) -> int | None:
    """benchmark_app's percentile: ``values[ceil(n·p/100) − 1]`` of the sorted values (a sample, not interpolated)."""
    n = len(sorted_ns)
    if n == 0:
        return None
    if not 0 < p <= 100:
        raise ValueError(f"nearest-rank percentile {p} is not in (0, 100]")
    rank = -(-n * int(p) // 100) if float(p).is_integer() else math.ceil(n * p / 100.0)  # exact for whole p
    return int(sorted_ns[max(rank, 1) - 1])
