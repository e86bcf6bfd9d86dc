"""Intervals for statistics of correlated series (an open-loop run's latencies: a request that waits delays the
next), where the i.i.d. intervals of ``intervals`` would be too narrow."""

from __future__ import annotations

import math

import numpy as np

from .intervals import Interval, t_quantile_975

BATCHES = 20


def batch_means_interval(values: np.ndarray, batches: int = BATCHES) -> Interval | None:
    """95 % CI of the mean by non-overlapping batch means: the series (in order) is cut into ``batches``
    consecutive batches and a t-interval taken over their means. Valid for a stationary series whose
    correlation dies out within a batch; None for fewer than 10 values per batch."""
    n = len(values)
    if batches < 2 or n < 10 * batches:
        return None
    size = n // batches
    means = np.asarray(values[: size * batches], dtype=np.float64).reshape(batches, size).mean(axis=1)
    centre = float(np.mean(values, dtype=np.float64))
    half = t_quantile_975(batches - 1) * float(np.std(means, ddof=1)) / math.sqrt(batches)
    return Interval(centre, centre - half, centre + half)
