"""Comparing two sets of runs: ratio B/A of a metric with a 95 % CI, and a verdict a CI job can act on.

Four ways to get the CI, chosen by what the data holds (the method is always reported):

- ``interleaved``: A and B alternated request by request (or burst by burst) in one process
  (``results.interleaved``): the median of the log ratios of neighbouring measurements with a sign-test
  interval, or with ``--until-decided`` an anytime-valid confidence sequence.
- ``paired rounds``: A and B ran interleaved in the same rounds (``run --rounds``). Per round, the log of
  B's value over A's; a t-interval over rounds. Load that drifts between rounds hits both sides alike.
- ``rounds (Welch)``: each side has several runs, not paired. Welch's t-interval on the difference of the
  mean logs (unequal variances, Welch–Satterthwaite degrees of freedom).
- ``within-run CIs``: each side is one run. The two runs' own CIs (order statistics, per-window rates) are
  combined on the log scale. This covers noise *inside* each run only: two identical runs on a noisy
  machine differ by more than it says (bench/truth_ab.py: 40-62 % false alarms on a shared 2-core VM), so
  this interval is shown for information and the verdict is ``inconclusive``: it never claims a difference.

A metric is ``throughput`` (higher is better) or a latency statistic ``median``/``p10``/``p90``/``p95``/
``p99`` (lower is better). Interference from other processes only ever adds time, so it tends to move the
upper percentiles more than the lower ones; whether ``p10`` then decides sooner is a question for
``bench/truth_ab.py``, not an assumption.

The verdict is read against the threshold band ``[1/(1 + threshold), 1 + threshold]`` of B's speed relative to
A's: ``faster`` / ``slower`` when the whole CI lies beyond the band on that side, ``equivalent`` when the whole
CI lies inside it, ``inconclusive`` when it straddles an edge of the band (or for single runs, whose CI does
not cover the difference between runs). A point estimate beyond the threshold is not enough: a wide CI
such as [0.81, 1.45] decides nothing.

This is part of the data model (a session's comparisons are in its JSON); comparing two saved files, with
their machines, is ``analysis.compare``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..config.benchmark import COMPARE_METRICS
from ..stats.intervals import Z_975, Interval, mean_log_interval, t_quantile_975
from .run import RunResult

METRICS = COMPARE_METRICS
SLOWER, FASTER, EQUIVALENT, INCONCLUSIVE = "slower", "faster", "equivalent", "inconclusive"
VERDICTS = (FASTER, SLOWER, EQUIVALENT, INCONCLUSIVE)
SINGLE_RUNS = "within-run CIs (single runs)"
DEFAULT_THRESHOLD = 0.02


def metric_value(run: RunResult, metric: str) -> float | None:
    if metric == "throughput":
        return run.throughput
    return run.latency.percentile(50.0 if metric == "median" else float(metric[1:]))


def higher_is_better(metric: str) -> bool:
    return metric == "throughput"


@dataclass(frozen=True)
class Comparison:
    metric: str
    a: float  # the value for A (a geometric mean over runs when there are several)
    b: float
    ratio: Interval  # B / A
    method: str
    threshold: float

    @property
    def speedup(self) -> Interval:
        """B's speed relative to A's (> 1 = B faster), whatever the metric's direction."""
        if higher_is_better(self.metric):
            return self.ratio
        return Interval(1.0 / self.ratio.estimate, 1.0 / self.ratio.high, 1.0 / self.ratio.low)

    @property
    def decisive(self) -> bool:
        """False for single runs: their CI does not cover the difference between runs."""
        return self.method != SINGLE_RUNS

    @property
    def verdict(self) -> str:
        return band_verdict(self.speedup, self.threshold) if self.decisive else INCONCLUSIVE

    def to_dict(self) -> dict[str, object]:
        return {"metric": self.metric, "a": self.a, "b": self.b, "ratio": self.ratio.to_dict(),
                "method": self.method, "threshold": self.threshold, "verdict": self.verdict}


def band_verdict(speed: Interval, threshold: float) -> str:
    """The verdict of a CI of B's speed relative to A's against the band ±``threshold`` (see the module
    docstring). A bound exactly on the band's edge counts as beyond it; with a zero threshold the band is 1
    itself, so only a CI that excludes 1 decides."""
    upper, lower = 1.0 + threshold, 1.0 / (1.0 + threshold)
    if speed.low >= upper and speed.low > 1.0:
        return FASTER
    if speed.high <= lower and speed.high < 1.0:
        return SLOWER
    if lower < speed.low and speed.high < upper:
        return EQUIVALENT
    return INCONCLUSIVE


def compare_runs(a: Sequence[RunResult], b: Sequence[RunResult], metric: str, threshold: float = DEFAULT_THRESHOLD,
                 paired: bool = False) -> Comparison | None:
    """B relative to A; None when a side has no value for the metric or too little data for a CI."""
    values_a = metric_values(a, metric)
    values_b = metric_values(b, metric)
    if values_a is None or values_b is None:
        return None
    if paired and len(values_a) == len(values_b) and len(values_a) >= 2:
        ratio = mean_log_interval(np.log(values_b) - np.log(values_a))
        method = f"paired rounds ({len(values_a)})"
    elif len(values_a) >= 2 and len(values_b) >= 2:
        ratio = welch_log_ratio(np.log(values_a), np.log(values_b))
        method = f"rounds, Welch ({len(values_a)} vs {len(values_b)} runs)"
    elif len(a) == 1 and len(b) == 1:
        ratio = within_run_ratio(a[0], b[0], metric)
        method = SINGLE_RUNS
    else:
        return None
    if ratio is None:
        return None
    geo_a, geo_b = float(np.exp(np.mean(np.log(values_a)))), float(np.exp(np.mean(np.log(values_b))))
    return Comparison(metric, geo_a, geo_b, ratio, method, threshold)


def metric_values(runs: Sequence[RunResult], metric: str) -> np.ndarray | None:
    """The metric of each run; None when any run lacks it (too few samples) or it is not positive."""
    values = [metric_value(run, metric) for run in runs]
    if not values or any(v is None or v <= 0 for v in values):
        return None
    return np.array(values, dtype=np.float64)


def welch_log_ratio(log_a: np.ndarray, log_b: np.ndarray) -> Interval | None:
    """exp of Welch's t-interval for mean(log b) − mean(log a)."""
    var_a, var_b = float(np.var(log_a, ddof=1)) / len(log_a), float(np.var(log_b, ddof=1)) / len(log_b)
    centre = float(np.mean(log_b) - np.mean(log_a))
    spread = var_a + var_b
    if spread == 0:
        return Interval(math.exp(centre), math.exp(centre), math.exp(centre))
    freedom = spread**2 / (var_a**2 / (len(log_a) - 1) + var_b**2 / (len(log_b) - 1))
    half = t_quantile_975(max(1, math.floor(freedom))) * math.sqrt(spread)
    return Interval(math.exp(centre), math.exp(centre - half), math.exp(centre + half))


def within_run_ratio(a: RunResult, b: RunResult, metric: str) -> Interval | None:
    """Combine each run's own CI on the log scale: se(log x) ≈ (log high − log low) / (2 · 1.96)."""
    interval_a, interval_b = a.metric_interval(metric), b.metric_interval(metric)
    if interval_a is None or interval_b is None:
        return None
    if min(interval_a.low, interval_b.low, interval_a.estimate, interval_b.estimate) <= 0:
        return None
    se_a = (math.log(interval_a.high) - math.log(interval_a.low)) / (2 * Z_975)
    se_b = (math.log(interval_b.high) - math.log(interval_b.low)) / (2 * Z_975)
    centre = math.log(interval_b.estimate) - math.log(interval_a.estimate)
    half = Z_975 * math.hypot(se_a, se_b)
    return Interval(math.exp(centre), math.exp(centre - half), math.exp(centre + half))


def describe_change(comparison: Comparison) -> str:
    """'B is 4.8% slower (CI 3.9% to 5.6%)' style text for a comparison, against its threshold band."""
    speed = comparison.speedup
    verdict = comparison.verdict
    band = f"±{comparison.threshold:.1%}"
    signed = f"B's speed {_signed(speed.estimate)}, CI {_signed(speed.low)} to {_signed(speed.high)}"
    if not comparison.decisive:
        return f"inconclusive from single runs (B's speed {_signed(speed.estimate)}, within-run CI " \
               f"{_signed(speed.low)} to {_signed(speed.high)})"
    if verdict == EQUIVALENT:
        return f"equivalent within {band} ({signed})"
    if verdict == INCONCLUSIVE:
        return f"inconclusive: the CI straddles the {band} band ({signed})"
    word = "faster" if verdict == FASTER else "slower"
    size = abs(speed.estimate - 1.0)
    low, high = sorted((abs(speed.low - 1.0), abs(speed.high - 1.0)))
    return f"B is {size:.1%} {word} (CI {low:.1%} to {high:.1%}, beyond {band})"


def _signed(speed: float) -> str:
    return f"{speed - 1.0:+.1%}"
