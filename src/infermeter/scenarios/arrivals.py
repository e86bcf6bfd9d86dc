"""The open-loop schedule: when each request is due, drawn up front as int64 ns offsets from the first arrival.

Inter-arrival gaps are constant (1 / rate), exponential (Poisson arrivals) or gamma-distributed with a given
coefficient of variation (shape 1/CV², so the mean gap is still 1 / rate; CV 1 is exponential). A trace file
gives the offsets itself, scaled to ``--qps`` when given. Draws come from ``numpy.random.default_rng`` seeded
with (seed, phase): the measurement (phase 0) is reproducible from ``--seed`` and independent of the warm-up
(phase 1). The schedule covers the stop rule exactly: request k is issued when k < the request minimum or its
offset < the time minimum (both are minimums, as in the closed-loop scenarios and in LoadGen).

Random arrivals are drawn for the count the rate gives, n = max(request minimum, ⌈time minimum × rate⌉), and
the n gaps are scaled to sum to exactly n / rate: the offered rate is then exact over every run, not off by
the draw's own error (one seed's Poisson path offered 0.87 × --qps over 20 s, and, the path being the same
at every rate, 0.87 × at every probe of a capacity search). For Poisson arrivals this is the Poisson process
conditioned on its n-th arrival at n / rate (the arrivals between are uniform order statistics); gamma gaps
keep their shape and their CV to within the scaling, which is 1 ± CV / √n.
"""

from __future__ import annotations

import math

import numpy as np

from ..config.load import Load, read_trace, trace_rate

MEASURE_PHASE = 0
WARMUP_PHASE = 1


def schedule(load: Load, seed: int, phase: int, requests: int, duration_ns: int) -> np.ndarray:
    """Offsets (int64 ns, non-decreasing, the first 0) of every request the stop rule issues."""
    if load.arrivals is not None:
        offsets = _trace(load)
        return offsets[:_kept(offsets, requests, duration_ns)] if requests or duration_ns else offsets
    if load.qps is None:
        raise ValueError("an open-loop schedule needs a rate or a trace")
    mean_gap = 1e9 / load.qps
    if load.cv == 0.0:
        count = max(requests, math.ceil(duration_ns / mean_gap)) + 1
        constant = np.rint(np.arange(count, dtype=np.float64) * mean_gap).astype(np.int64)
        return constant[:_kept(constant, requests, duration_ns)]
    rng = np.random.default_rng([seed, phase])
    count = max(1, requests, math.ceil(duration_ns / mean_gap))
    if load.cv == 1.0:
        gaps = rng.exponential(mean_gap, count)
    else:
        shape = 1.0 / (load.cv * load.cv)
        gaps = rng.gamma(shape, mean_gap / shape, count)
    gaps *= count * mean_gap / float(gaps.sum())  # the offered rate exact over the run (see the docstring)
    return np.rint(np.concatenate(([0.0], np.cumsum(gaps[:-1])))).astype(np.int64)


def _kept(offsets: np.ndarray, requests: int, duration_ns: int) -> int:
    """How many requests the stop rule issues: those before the time minimum, and at least the request minimum."""
    before = int(np.searchsorted(offsets, duration_ns, side="left"))
    return min(len(offsets), max(requests, before))


def _trace(load: Load) -> np.ndarray:
    assert load.arrivals is not None
    offsets = read_trace(load.arrivals)
    values = np.asarray(offsets, dtype=np.int64)
    if load.qps is None:
        return values
    scale = trace_rate(offsets) / load.qps
    scaled: np.ndarray = np.rint(values * scale).astype(np.int64)
    return scaled


def offered_rate(load: Load) -> float:
    """Requests per second the schedule offers on average: ``--qps``, else the trace's own mean rate."""
    if load.qps is not None:
        return load.qps
    assert load.arrivals is not None
    return trace_rate(read_trace(load.arrivals))
