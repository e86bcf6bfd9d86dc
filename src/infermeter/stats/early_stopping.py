"""MLPerf LoadGen's early-stopping rule: may a latency-percentile claim be made from the queries measured?

LoadGen treats each query as a Bernoulli trial: "over" its latency bound with probability 1 − p when the claim
"the p-quantile is within the bound" holds at the edge. With ``n`` queries of which ``t`` were over, the claim
passes when seeing at most ``t`` overs would be unlikely were the true over-rate 1 − p, that is when
P(Binomial(n, 1 − p) ≤ t) < 1 − confidence (LoadGen: confidence 0.99, tolerance 0).

- Server (a bound given): ``passes(n, t, p)``.
- SingleStream / MultiStream (no bound): the estimate is the t-th largest latency for the largest t ≥ 1 that
  passes; fewer queries than ``min_queries(p)`` support none (p90: 64, p99: 662 at 99 % confidence).

Pure numeric functions; the binomial CDF comes from ``intervals.binomial_cdf_table``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .intervals import binomial_cdf_table

CONFIDENCE = 0.99


def over_odds(n: int, over: int, p: float) -> float:
    """P(Binomial(n, 1 − p) ≤ over): seeing at most ``over`` slow queries of ``n`` if the over-rate were 1 − p."""
    if over >= n:
        return 1.0
    first, cdf = binomial_cdf_table(n, 1.0 - p)
    if over < first:
        return 0.0
    return float(cdf[over - first]) if over - first < len(cdf) else 1.0


def passes(n: int, over: int, p: float, confidence: float = CONFIDENCE) -> bool:
    """LoadGen's Server check: ``over`` of ``n`` queries above the bound still support "p-quantile ≤ bound"."""
    return n > 0 and over_odds(n, over, p) < 1.0 - confidence


def largest_passing_over(n: int, p: float, confidence: float = CONFIDENCE) -> int:
    """The largest t with P(Binomial(n, 1 − p) ≤ t) < 1 − confidence; 0 when none (t = 0 is not asked)."""
    if n < 1:
        return 0
    first, cdf = binomial_cdf_table(n, 1.0 - p)
    below = int(np.searchsorted(cdf, 1.0 - confidence, side="left"))  # table entries with cdf < 1 − c
    return max(0, first + below - 1)


@lru_cache(maxsize=64)
def min_queries(p: float, confidence: float = CONFIDENCE) -> int:
    """The fewest queries from which an early-stopping estimate exists (one query over the bound allowed)."""
    n = 2
    while not passes(n, 1, p, confidence):
        n = n * 2 if n < 64 else n + max(1, n // 64)
    low = n // 2
    while low < n:  # passes() is monotone in n: the smallest passing n
        middle = (low + n) // 2
        if passes(middle, 1, p, confidence):
            n = middle
        else:
            low = middle + 1
    return n


def estimate(sorted_ns: np.ndarray, p: float, confidence: float = CONFIDENCE) -> int | None:
    """LoadGen's early-stopping estimate of the p-quantile: the t-th largest latency of the sorted samples for the
    largest passing t; None below ``min_queries(p)`` queries."""
    n = len(sorted_ns)
    if n < min_queries(p, confidence):
        return None
    over = largest_passing_over(n, p, confidence)
    return int(sorted_ns[n - over]) if over >= 1 else None
