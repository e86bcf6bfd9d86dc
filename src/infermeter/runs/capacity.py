"""The capacity search: grow the offered rate until a probe does not meet the SLO (the closed-loop rate, when known, is
presumed not to), then bisect (geometrically) until the bracket is within the tolerance. Every probe is one
measurement by a ``RunPoint`` (by default a fresh ``infermeter run`` process, as in a sweep; a cluster runner can
stand in for it). Once the bracket closes, its low end is measured ``confirm`` times more (fresh processes): the
answer is a rate that met every time it was measured, since a machine's speed can drift between runs by more
than one run's CI shows. An undecided probe whose estimate is within the bound is measured again for twice as long and
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
    confirm: int = 0  # the answer is measured this many times more and must meet every time

    def args(self, rate: float, seconds: float, requests: int | None = None) -> list[str]:
        return ["-s", "server", "--qps", rate_text(rate), "-t", f"{seconds:g}", "-niter",
                str(requests or self.min_requests)]


def rate_text(rate: float) -> str:
    return f"{rate:.6g}"


class Bracket:
    """Where the next probe goes: grow ×2 until one fails, halve until one meets, then bisect geometrically.

    Every outcome is kept: ``high`` is the lowest rate that did not meet at one of its runs at least, ``low`` the
    highest rate below it that met at every run, so a confirmation run that fails at ``low`` moves both down.

    ``ceiling`` (the closed-loop rate of the same engine settings) is presumed not to be met: an open loop at
    or above the engine's closed-loop rate queues without bound. The search bisects below it instead of
    spending a probe there, where a probe is slowest to decide; only if the bracket closes against the
    presumed ceiling is it probed, and if it meets after all, the search grows past it."""

    def __init__(self, start: float, tolerance: float, ceiling: float | None = None) -> None:
        self.start = start
        self.tolerance = tolerance
        self.outcomes: list[tuple[float, bool]] = []  # (rate, met), in the order measured
        self.ceiling = float(rate_text(ceiling)) if ceiling is not None and ceiling > start else None
        self.shrinks = 0

    @property
    def high(self) -> float | None:
        """The lowest rate that did not meet (at any of its runs)."""
        failing = [rate for rate, met in self.outcomes if not met]
        return min(failing) if failing else None

    @property
    def low(self) -> float | None:
        """The highest rate below ``high`` that met."""
        high = self.high
        meeting = [rate for rate, met in self.outcomes if met and (high is None or rate < high)]
        return max(meeting) if meeting else None

    def runs_met(self, rate: float) -> int:
        return sum(1 for measured, met in self.outcomes if met and measured == rate)

    def record(self, rate: float, met: bool) -> None:
        self.outcomes.append((rate, met))
        if self.ceiling is not None and rate >= self.ceiling:
            self.ceiling = None  # probed: from now on what was measured decides

    def next_rate(self) -> float | None:
        """None when done: the bracket is narrow enough, or no rate met down to start / 2**MAX_SHRINKS."""
        low, measured_high = self.low, self.high
        if low is None:
            if measured_high is None:
                return self.start
            self.shrinks += 1
            return measured_high / GROWTH if self.shrinks <= MAX_SHRINKS else None
        high = measured_high if measured_high is not None else self.ceiling
        if high is None:
            return low * GROWTH
        if high / low - 1.0 <= self.tolerance + 1e-12:
            return high if measured_high is None else None  # a presumed ceiling is measured before the search ends
        return float(rate_text(math.sqrt(low * high)))

    def to_confirm(self, runs: int) -> float | None:
        """The bracket's low end while it has met fewer than ``runs`` times (None: nothing left to confirm)."""
        low = self.low
        return low if low is not None and self.runs_met(low) < runs else None


def search(capacity: Capacity, argv_base: list[str], plan: Plan, start_qps: float,
           runner: RunPoint | None = None, on_update: UpdateHook | None = None) -> Capacity:
    """Probe until the bracket closes, then measure its low end ``plan.confirm`` times more: a confirmation run
    that does not meet makes that rate the bracket's high end, and the search goes on below it. Ctrl-C (or a probe
    process interrupted) returns what finished, marked. The closed-loop estimate, when the search started from
    one, is the presumed ceiling (see ``Bracket``)."""
    run_point = runner or sweeps.run_point_subprocess
    bracket = Bracket(float(rate_text(start_qps)), capacity.tolerance, capacity.estimate_qps)
    for _ in range(plan.max_probes):
        rate, confirming = bracket.next_rate(), False
        if rate is None:
            rate, confirming = bracket.to_confirm(1 + plan.confirm), True
        if rate is None:
            break
        try:
            probe = _probe(argv_base, plan, rate, capacity, run_point)
        except KeyboardInterrupt:
            probe = None
        if probe is None:
            return dataclasses.replace(capacity, interrupted=True)
        probe = dataclasses.replace(probe, confirmation=confirming)
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
