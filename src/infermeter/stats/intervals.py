"""Confidence intervals (95 %) as pure functions of raw samples.

- Percentiles (median included): distribution-free, from order statistics. The interval between the l-th
  and u-th smallest samples covers the true p-quantile with probability P(l ≤ B ≤ u − 1), B ~ Binomial(n, p);
  l and u are chosen so that each tail has at most 2.5 %. Below a model-free minimum n (6 for the median,
  368 for p99) no such ranks exist and the interval is missing. This assumes independent samples; given the
  samples in the order they were taken, serial dependence is detected and the ranks widened by its variance
  inflation (``dependence``): the samples then count as n / τ independent ones.
- Throughput: the measured window is cut into equal time windows; a t-interval over the per-window rates.
- Ratios between runs or configurations: on the log scale (see ``compare``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .dependence import quantile_inflation

CONFIDENCE = 0.95
_TAIL = (1.0 - CONFIDENCE) / 2.0
Z_975 = 1.959963984540054
# Student t quantile 0.975 for 1..30 degrees of freedom.
_T_975 = (12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010, 2.1788,
          2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639,
          2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423)
MAX_RATE_WINDOWS = 20
MIN_COMPLETIONS_PER_WINDOW = 5


@dataclass(frozen=True)
class Interval:
    """A point estimate with a 95 % confidence interval [low, high]."""

    estimate: float
    low: float
    high: float

    @property
    def half_width(self) -> float:
        """The larger distance from the estimate to a bound (the ± printed; conservative when skewed)."""
        return max(self.estimate - self.low, self.high - self.estimate)

    @property
    def relative_half_width(self) -> float | None:
        return self.half_width / abs(self.estimate) if self.estimate else None

    def excludes(self, value: float) -> bool:
        return value < self.low or value > self.high

    def to_dict(self) -> dict[str, float]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


def t_quantile_975(degrees_of_freedom: int) -> float:
    """Student t 0.975 quantile: a table up to 30, then a Cornish–Fisher expansion (error < 1e-4)."""
    if degrees_of_freedom < 1:
        raise ValueError("a t quantile needs at least one degree of freedom")
    if degrees_of_freedom <= len(_T_975):
        return _T_975[degrees_of_freedom - 1]
    z, df = Z_975, float(degrees_of_freedom)
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def binomial_cdf_table(n: int, p: float) -> tuple[int, np.ndarray]:
    """(first k, P(B ≤ k) for k = first..last) for B ~ Binomial(n, p), over the range that holds all but
    ~1e-20 of the mass; below the range the CDF is 0 and above it 1 (to double precision)."""
    if n < 1 or not 0.0 < p < 1.0:
        raise ValueError("binomial_cdf_table needs n ≥ 1 and 0 < p < 1")
    spread = 10.0 * math.sqrt(n * p * (1.0 - p)) + 10.0
    first = max(0, math.floor(n * p - spread))
    last = min(n, math.ceil(n * p + spread))
    k = np.arange(first, last + 1, dtype=np.float64)
    log_first = (math.lgamma(n + 1) - math.lgamma(first + 1) - math.lgamma(n - first + 1)
                 + first * math.log(p) + (n - first) * math.log1p(-p))
    # log pmf(k+1) - log pmf(k) = log((n - k) / (k + 1)) + log(p / (1 - p))
    steps = np.log((n - k[:-1]) / (k[:-1] + 1.0)) + math.log(p / (1.0 - p))
    log_pmf = log_first + np.concatenate(([0.0], np.cumsum(steps)))
    cdf = np.cumsum(np.exp(log_pmf - log_pmf.max())) * math.exp(log_pmf.max())
    return first, np.minimum(cdf, 1.0)


@lru_cache(maxsize=512)
def quantile_ci_ranks(n: int, p: float) -> tuple[int, int] | None:
    """1-based ranks (l, u) with P(x_(l) ≤ true p-quantile ≤ x_(u)) ≥ 95 %, or None when n is too small."""
    if n < 1 or not 0.0 < p < 1.0:
        return None
    first, cdf = binomial_cdf_table(n, p)

    def cdf_at(k: int) -> float:
        if k < first:
            return 0.0
        return float(cdf[k - first]) if k - first < len(cdf) else 1.0

    # l: the largest rank with P(B ≤ l - 1) ≤ 2.5 %; u: the smallest with P(B ≤ u - 1) ≥ 97.5 %.
    below = int(np.searchsorted(cdf, _TAIL, side="right"))  # entries of cdf ≤ tail
    lower = first + below  # cdf_at(lower - 1) ≤ tail < cdf_at(lower)
    above = int(np.searchsorted(cdf, 1.0 - _TAIL, side="left"))
    upper = first + above + 1  # cdf_at(upper - 1) ≥ 1 - tail
    if lower < 1 or upper > n or cdf_at(lower - 1) > _TAIL:
        return None
    return lower, upper


@lru_cache(maxsize=64)
def min_samples_for_ci(p: float) -> int:
    """The smallest n for which ``quantile_ci_ranks(n, p)`` exists."""
    n = 1
    while quantile_ci_ranks(n, p) is None:
        n += 1
    return n


def neighbours(n: int, p: float) -> tuple[int, int, float]:
    """numpy's rank arithmetic for the p-th percentile (0..100) of n sorted samples: the two 0-based
    indices to interpolate between and the weight of the upper one."""
    rank = (n - 1) * (p / 100.0)
    low = math.floor(rank)
    return low, min(low + 1, n - 1), rank - low


def interpolate(below: int, above: int, weight: float) -> float:
    """numpy's linear interpolation between neighbouring order statistics (two-sided, so that the result
    is bit-identical to ``numpy.percentile``)."""
    difference = above - below
    if weight >= 0.5:
        return above - difference * (1.0 - weight)
    return below + difference * weight


def dependent_ranks(n: int, p: float, inflation: float = 1.0) -> tuple[int, int] | None:
    """``quantile_ci_ranks`` for samples whose count below the quantile has ``inflation`` × the binomial
    variance (serial dependence): normal-approximation ranks ``n·p ∓ z·√(n·p·(1 − p)·τ)`` (they equal the exact
    ranks at τ = 1 for n ≥ ~50), clipped to the sample; None when n / τ is below the minimum for a CI."""
    if inflation <= 1.0:
        return quantile_ci_ranks(n, p)
    if n < 1 or not 0.0 < p < 1.0 or n / inflation < min_samples_for_ci(p):
        return None
    centre, half = n * p, Z_975 * math.sqrt(n * p * (1.0 - p) * inflation)
    return max(1, math.floor(centre - half)), min(n, math.ceil(centre + half) + 1)


def percentile_interval(sorted_ns: np.ndarray, p: float, estimate: float,
                        in_order: np.ndarray | None = None, at: float | None = None) -> Interval | None:
    """CI of the p-th percentile (0..100) around its linear-interpolation estimate, from sorted samples;
    ``in_order`` (the same samples in the order taken) lets serial dependence widen it, measured at the
    estimate or, given ``at``, at that value (a test of the percentile against a bound)."""
    threshold = estimate if at is None else at
    inflation = quantile_inflation(in_order, threshold) if in_order is not None else 1.0
    ranks = dependent_ranks(len(sorted_ns), p / 100.0, inflation)
    if ranks is None:
        return None
    return Interval(estimate, float(sorted_ns[ranks[0] - 1]), float(sorted_ns[ranks[1] - 1]))


def percentile_interval_unsorted(samples_ns: np.ndarray, p: float) -> Interval | None:
    """The same from samples in the order taken, in O(n) (for checks while a run is still going)."""
    n = len(samples_ns)
    ranks = quantile_ci_ranks(n, p / 100.0)
    if ranks is None:
        return None
    low_index, high_index, weight = neighbours(n, p)
    middle = np.partition(samples_ns, sorted({low_index, high_index}))
    estimate = interpolate(int(middle[low_index]), int(middle[high_index]), weight)
    ranks = dependent_ranks(n, p / 100.0, quantile_inflation(samples_ns, estimate))
    if ranks is None:
        return None
    picks = sorted({ranks[0] - 1, ranks[1] - 1})
    part = np.partition(samples_ns, picks)
    return Interval(estimate, float(part[ranks[0] - 1]), float(part[ranks[1] - 1]))


def window_rates(start_ns: np.ndarray, end_ns: np.ndarray, batch: float,
                 executors: int | None = None) -> np.ndarray:
    """Items per second in each of K equal time windows of the run (first submission → last completion).

    Each request counts as work done at a steady pace while the engine worked on it, so a window is credited
    with the fraction of every request that falls inside it; the window rates average exactly to the overall
    throughput, and a steady run gives equal rates however completions bunch up. When the engine executes
    fewer requests at once (``executors``: OpenVINO's streams) than are in flight, a request waits in a queue
    after its submission, and that wait is not work: its service is taken to start when an executor became
    free, ``max(submission, the completion ``executors`` places before its own)`` (a first-in-first-out queue in
    front of ``executors`` servers). Without that, ramp-up (every request submitted at once) over-credits
    the first window and the drain under-credits the last.
    K = min(20, completions // 5); empty when fewer than 15 requests completed (K < 3).
    """
    count = len(end_ns)
    windows = min(MAX_RATE_WINDOWS, count // MIN_COMPLETIONS_PER_WINDOW)
    origin = int(start_ns.min()) if count else 0
    span = int(end_ns.max()) - origin if count else 0
    if windows < 3 or span <= 0:
        return np.empty(0, dtype=np.float64)
    begun = service_starts(start_ns, end_ns, executors)
    edges = origin + np.arange(windows + 1, dtype=np.float64) * (span / windows)
    done = np.empty(windows + 1, dtype=np.float64)  # work finished by each edge, in requests
    for index, edge in enumerate(edges):
        done[index] = _work_done_by(begun, end_ns, edge)
    done[0] = 0.0  # nothing is done before the first submission (a 0-ns request there belongs to window 0)
    done[-1] = count  # exact at the last completion
    return np.diff(done) * batch * 1e9 / (span / windows)


def service_starts(start_ns: np.ndarray, end_ns: np.ndarray, executors: int | None) -> np.ndarray:
    """When the engine began each request: its submission, or with ``executors`` servers behind a
    first-in-first-out queue, the later of its submission and the completion ``executors`` places earlier."""
    if executors is None or executors < 1 or executors >= len(end_ns):
        return start_ns
    order = np.argsort(end_ns, kind="stable")
    ends_sorted = end_ns[order]
    freed = np.empty(len(end_ns), dtype=np.int64)
    freed[order] = np.concatenate((np.full(executors, np.iinfo(np.int64).min), ends_sorted[:-executors]))
    begun: np.ndarray = np.maximum(start_ns, freed)
    return begun


def _work_done_by(start_ns: np.ndarray, end_ns: np.ndarray, edge: float) -> float:
    """Requests finished by ``edge`` plus the finished fraction of those running across it. Only boolean
    temporaries over all samples, so it stays cheap in memory for runs of millions of requests."""
    finished = int(np.count_nonzero(end_ns <= edge))
    running = (start_ns < edge) & (end_ns > edge)
    if not running.any():
        return float(finished)
    starts, ends = start_ns[running].astype(np.float64), end_ns[running].astype(np.float64)
    return finished + float(np.sum((edge - starts) / (ends - starts)))


def throughput_interval(start_ns: np.ndarray, end_ns: np.ndarray, batch: float,
                        rates: np.ndarray | None = None) -> Interval | None:
    """Overall throughput (items / window) ± t(K−1) · sd(window rates) / √K; None below 3 windows.
    ``rates`` = ``window_rates(start_ns, end_ns, batch)`` when the caller already has them."""
    rates = window_rates(start_ns, end_ns, batch) if rates is None else rates
    if len(rates) < 3:
        return None
    span = int(end_ns.max()) - int(start_ns.min())
    estimate = len(end_ns) * batch * 1e9 / span
    half = t_quantile_975(len(rates) - 1) * float(np.std(rates, ddof=1)) / math.sqrt(len(rates))
    return Interval(estimate, estimate - half, estimate + half)


def mean_log_interval(log_values: np.ndarray) -> Interval | None:
    """exp of a t-interval on the mean of log values (a geometric mean and its CI); None below 2 values."""
    n = len(log_values)
    if n < 2:
        return None
    centre = float(np.mean(log_values))
    half = t_quantile_975(n - 1) * float(np.std(log_values, ddof=1)) / math.sqrt(n)
    return Interval(math.exp(centre), math.exp(centre - half), math.exp(centre + half))
