"""The median of paired differences (log ratios of neighbouring A and B measurements) with 95 % intervals:
one for a fixed sample size, one that stays valid however often it is looked at (a confidence sequence).

Both are distribution-free: they only use that, at the true median ``m`` of the differences, each one falls
below ``m`` with probability 1/2, so ``S_t(m) = #(d_i ≤ m) − t/2`` is a sum of centred Bernoulli(½) steps.

- ``median_interval``: the sign-test interval, order statistics of the differences at binomial ranks (as
  for any percentile, ``intervals``), widened when consecutive differences are dependent (``dependence``).
- ``median_sequence``: every ``m`` with ``|S_t(m)| < f(t)``, where ``f`` is the two-sided normal-mixture
  boundary of Robbins (1970) for sub-Gaussian steps (a centred Bernoulli(½) is sub-Gaussian with variance
  ½ · ½, so this is exact, not asymptotic): ``f(V) = √((V + ρ)·log((V + ρ)/(ρ·α²)))`` with ``V = τ·t/4``.
  By Ville's inequality the true median is outside the interval at *some* t with probability at most α,
  so stopping the moment the interval is decided (``--until-decided``) keeps the error rate at α. ``ρ``
  only sets where the boundary is tightest (``planned`` steps). The construction follows Howard & Ramdas,
  "Sequential estimation of quantiles with applications to A/B-testing and best-arm identification",
  Bernoulli 28 (2022), and Howard, Ramdas, McAuliffe & Sekhon, "Time-uniform, nonparametric,
  nonasymptotic confidence sequences", Annals of Statistics 49 (2021). The dependence factor τ is the
  one estimated for the fixed interval (an asymptotic allowance: with it the guarantee is approximate).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .dependence import quantile_inflation
from .intervals import Interval, dependent_ranks

ALPHA = 0.05


def median_interval(differences: np.ndarray) -> Interval | None:
    """Median of ``differences`` (in the order taken) with its 95 % sign-test interval; None when too few."""
    n = len(differences)
    if n == 0:
        return None
    ordered = np.sort(differences)
    estimate = float(np.median(ordered))
    ranks = dependent_ranks(n, 0.5, quantile_inflation(differences, estimate))
    if ranks is None:
        return None
    return Interval(estimate, float(ordered[ranks[0] - 1]), float(ordered[ranks[1] - 1]))


@lru_cache(maxsize=64)
def mixture_precision(planned: int, alpha: float = ALPHA) -> float:
    """The ρ that makes the boundary narrowest at ``planned`` steps: ρ = x·V* where x solves
    log((1 + x)/(x·α²)) = 1/x (the derivative of (1 + x)·log((1 + x)/(x·α²)) is zero), by bisection."""
    low, high = 1e-6, 10.0
    for _ in range(100):
        x = (low + high) / 2
        if math.log((1 + x) / (x * alpha * alpha)) > 1 / x:
            high = x
        else:
            low = x
    return max(planned, 1) / 4.0 * (low + high) / 2


def boundary(variance: float, rho: float, alpha: float = ALPHA) -> float:
    """Two-sided normal-mixture boundary: P(∃t: |S_t| ≥ f(V_t)) ≤ α for sub-Gaussian sums with variance V_t."""
    total = variance + rho
    return math.sqrt(total * math.log(total / (rho * alpha * alpha)))


def sequence_ranks(n: int, planned: int, inflation: float = 1.0, alpha: float = ALPHA) -> tuple[int, int] | None:
    """1-based ranks (l, u) of the order statistics that bound the confidence sequence after ``n`` steps:
    the median m is in it when ``n/2 − f < #(d ≤ m) < n/2 + f``; None while a bound is still unbounded."""
    if n < 1:
        return None
    reach = boundary(inflation * n / 4.0, mixture_precision(planned, alpha), alpha)
    lower = math.floor(n / 2 - reach) + 1
    upper = math.ceil(n / 2 + reach)  # the first rank whose count is no longer inside: u' + 1
    if lower < 1 or upper > n:
        return None
    return lower, upper


def median_sequence(differences: np.ndarray, planned: int, alpha: float = ALPHA) -> Interval | None:
    """Median of ``differences`` with its anytime-valid interval after all of them (see the module docstring);
    None while the interval is unbounded on a side."""
    n = len(differences)
    if n == 0:
        return None
    ordered = np.sort(differences)
    estimate = float(np.median(ordered))
    ranks = sequence_ranks(n, planned, quantile_inflation(differences, estimate), alpha)
    if ranks is None:
        return None
    return Interval(estimate, float(ordered[ranks[0] - 1]), float(ordered[ranks[1] - 1]))
