"""The capacity search: grow the offered rate until a probe does not meet the SLO (the closed-loop rate, when known, is
presumed not to), then bisect (geometrically) until the bracket is within the tolerance. Every probe is one
measurement by a ``RunPoint`` (by default a fresh ``infermeter run`` process, as in a sweep; a cluster runner can
stand in for it); an undecided probe whose estimate is within the bound is measured again for twice as long and
twice as many requests, up to the longest probe time; still undecided there, or undecided with its estimate over
the bound (a longer run could only confirm that it does not meet), it counts as not meeting. ``on_update`` sees
the search after every probe (the CLI rewrites its exports then, so Ctrl-C keeps every finished probe)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

from ..results.capacity import MEETS, UNDECIDED, Capacity, Probe, could_meet, verdict_of
from ..results.report import Report
from . import sweep as sweeps
from .sweep import Outcome, RunPoint

GROWTH = 2.0
MAX_SHRINKS = 12  # the first rate halved at most this often before the search gives up
UpdateHook = Callable[[Capacity], None]


@dataclass(frozen=True)
class Plan:
    """How each probe is run: ``probe_s`` seconds (doubled while undecided, up to ``max_probe_s``) and at least
    ``min_requests`` requests (enough for the SLO percentile's CI)."""

    probe_s: float
    max_probe_s: float
    min_requests: int
    max_probes: int = 40
    timeout_s: float | None = None

    def args(self, rate: float, seconds: float, requests: int | None = None) -> list[str]:
        return ["-s", "server", "--qps", rate_text(rate), "-t", f"{seconds:g}", "-niter",
                str(requests or self.min_requests)]


def rate_text(rate: float) -> str:
    return f"{rate:.6g}"


class Bracket:
    """Where the next probe goes: grow ×2 until one fails, halve until one meets, then bisect geometrically.

    ``ceiling`` (the closed-loop rate of the same engine settings) is presumed not to be met: an open loop at
    or above the engine's closed-loop rate queues without bound. The search bisects below it instead of
    spending a probe there, where a probe is slowest to decide; only if the bracket closes against the
    presumed ceiling is it probed, and if it meets after all, the search grows past it."""

    def __init__(self, start: float, tolerance: float, ceiling: float | None = None) -> None:
        self.start = start
        self.tolerance = tolerance
        self.low: float | None = None  # highest rate that met
        self.high: float | None = None  # lowest rate that did not
        self.ceiling = float(rate_text(ceiling)) if ceiling is not None and ceiling > start else None
        self.shrinks = 0

    def record(self, rate: float, met: bool) -> None:
        if met:
            self.low = rate if self.low is None else max(self.low, rate)
        else:
            self.high = rate if self.high is None else min(self.high, rate)
        if self.ceiling is not None and rate >= self.ceiling:
            self.ceiling = None  # probed: from now on what was measured decides

    def next_rate(self) -> float | None:
        """None when done: the bracket is narrow enough, or no rate met down to start / 2**MAX_SHRINKS."""
        if self.low is None:
            if self.high is None:
                return self.start
            self.shrinks += 1
            return self.high / GROWTH if self.shrinks <= MAX_SHRINKS else None
        high = self.high if self.high is not None else self.ceiling
        if high is None:
            return self.low * GROWTH
        if high / self.low - 1.0 <= self.tolerance + 1e-12:
            return high if self.high is None else None  # a presumed ceiling is measured before the search ends
        return float(rate_text(math.sqrt(self.low * high)))


def search(capacity: Capacity, argv_base: list[str], plan: Plan, start_qps: float,
           runner: RunPoint | None = None, on_update: UpdateHook | None = None) -> Capacity:
    """Probe until the bracket closes; Ctrl-C (or a probe process interrupted) returns what finished, marked.
    The closed-loop estimate, when the search started from one, is the presumed ceiling (see ``Bracket``)."""
    run_point = runner or sweeps.run_point_subprocess
    bracket = Bracket(float(rate_text(start_qps)), capacity.tolerance, capacity.estimate_qps)
    for _ in range(plan.max_probes):
        rate = bracket.next_rate()
        if rate is None:
            break
        try:
            probe = _probe(argv_base, plan, rate, capacity, run_point)
        except KeyboardInterrupt:
            probe = None
        if probe is None:
            return dataclasses.replace(capacity, interrupted=True)
        capacity = dataclasses.replace(capacity, probes=(*capacity.probes, probe))
        if probe.error is not None:
            return dataclasses.replace(capacity, error=f"the probe at {rate_text(rate)} QPS failed: {probe.error}")
        bracket.record(rate, probe.verdict == MEETS)
        if on_update is not None:
            on_update(capacity)
    return capacity


def _probe(argv_base: list[str], plan: Plan, rate: float, capacity: Capacity, run_point: RunPoint) -> Probe | None:
    """One rate, measured longer while undecided with its estimate within the bound (twice the time and twice the
    requests: at a low rate the request minimum, not the time, sets a probe's length, and queueing makes
    latencies dependent, so a percentile's CI needs more requests than independent ones would); None when
    interrupted."""
    seconds, requests, attempts = plan.probe_s, plan.min_requests, 0
    while True:
        attempts += 1
        outcome: Outcome = run_point([*argv_base, *plan.args(rate, seconds, requests)], plan.timeout_s)
        if outcome.interrupted:
            return None
        if outcome.error is not None or outcome.report is None:
            return Probe(rate, UNDECIDED, outcome.report, attempts, outcome.error or "no report")
        verdict = verdict_of(outcome.report, capacity.slo)
        longer = verdict == UNDECIDED and could_meet(outcome.report, capacity.slo)
        if not longer or seconds * 2 > plan.max_probe_s + 1e-9:
            return Probe(rate, verdict, outcome.report, attempts)
        seconds, requests = seconds * 2, requests * 2


OPEN_LOOP_FLAGS = ("--arrival", "--max-in-flight")


def _closed_loop(argv: list[str]) -> list[str]:
    """The command line without the open-loop options (a closed loop refuses them)."""
    kept: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token.split("=", 1)[0] in OPEN_LOOP_FLAGS:
            if "=" not in token:
                next(tokens, None)
            continue
        kept.append(token)
    return kept


def closed_loop_estimate(argv_base: list[str], seconds: float, runner: RunPoint | None = None,
                         timeout_s: float | None = None) -> tuple[float | None, str | None]:
    """Requests per second of a short closed-loop run with the same engine settings: where the search starts."""
    run_point = runner or sweeps.run_point_subprocess
    outcome = run_point([*_closed_loop(argv_base), "-s", "async", "-t", f"{seconds:g}"], timeout_s)
    if outcome.interrupted:
        raise KeyboardInterrupt
    report: Report | None = outcome.report
    if outcome.error is not None or report is None or report.run is None:
        return None, outcome.error or "no report"
    return report.run.requests_per_second, None
