"""Geometric means with 95 % CIs, on the log scale: a mean of logs, the variance of that mean and its degrees of
freedom, combined linearly (Welch–Satterthwaite) and turned back into an interval by ``exp``.

- one item measured over rounds (``from_rounds``): the mean of the rounds' logs, variance s²/r, r − 1 degrees
  of freedom (the t-interval of ``intervals.mean_log_interval``);
- one item measured once (``from_interval``): the run's own 95 % CI read as a normal interval on the log scale,
  se = (log high − log low) / (2 · 1.96), infinite degrees of freedom. It covers noise inside the run only;
- a suite's geometric mean (``average``): the mean of the items' log means, variance Σ vᵢ / n², degrees of
  freedom (Σ vᵢ)² / Σ (vᵢ² / dfᵢ). The interval is about *these* items measured again (measurement noise), not
  about other items one might have chosen: the items are fixed, as a benchmark suite's models are;
- a ratio B / A (``difference``): log B − log A, variances added, Welch–Satterthwaite degrees of freedom.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .intervals import Z_975, Interval, t_quantile_975


@dataclass(frozen=True)
class LogMean:
    """A mean of log values, the variance of that mean, and its degrees of freedom (``math.inf``: normal)."""

    mean: float
    variance: float
    dof: float
    single: bool = False  # rests (in part) on a single run's own CI: noise inside a run only

    def interval(self) -> Interval:
        """exp(mean ± t₀.₉₇₅(dof) · √variance)."""
        half = _quantile(self.dof) * math.sqrt(self.variance) if self.variance > 0 else 0.0
        return Interval(math.exp(self.mean), math.exp(self.mean - half), math.exp(self.mean + half))


def from_rounds(values: Sequence[float]) -> LogMean:
    """The geometric mean of positive ``values`` (≥ 2) over rounds."""
    logs = np.log(np.asarray(values, dtype=np.float64))
    if len(logs) < 2:
        raise ValueError("from_rounds needs at least two values")
    return LogMean(float(np.mean(logs)), float(np.var(logs, ddof=1)) / len(logs), float(len(logs) - 1))


def from_interval(interval: Interval) -> LogMean:
    """One run's estimate and 95 % CI (all positive) on the log scale."""
    se = (math.log(interval.high) - math.log(interval.low)) / (2 * Z_975)
    return LogMean(math.log(interval.estimate), se * se, math.inf, single=True)


def average(items: Sequence[LogMean]) -> LogMean:
    """The mean of ``items`` (the log of their geometric mean), with the variance of that mean."""
    if not items:
        raise ValueError("average of nothing")
    n = len(items)
    variance = sum(item.variance for item in items) / (n * n)
    return LogMean(sum(item.mean for item in items) / n, variance,
                   _satterthwaite([item.variance for item in items], [item.dof for item in items]),
                   any(item.single for item in items))


def difference(a: LogMean, b: LogMean) -> LogMean:
    """log B − log A: the log of the ratio B / A."""
    return LogMean(b.mean - a.mean, a.variance + b.variance, _satterthwaite([a.variance, b.variance],
                                                                              [a.dof, b.dof]), a.single or b.single)


def _satterthwaite(variances: Sequence[float], dofs: Sequence[float]) -> float:
    """(Σ vᵢ)² / Σ (vᵢ² / dfᵢ); infinite when every term is (all normal, or no variance at all)."""
    total = sum(variances)
    denominator = sum(v * v / df for v, df in zip(variances, dofs, strict=True) if v > 0 and math.isfinite(df))
    return total * total / denominator if denominator > 0 else math.inf


def _quantile(dof: float) -> float:
    """t₀.₉₇₅ for fractional degrees of freedom: rounded down (conservative), at least 1; z when infinite."""
    return Z_975 if math.isinf(dof) else t_quantile_975(max(1, math.floor(dof)))
