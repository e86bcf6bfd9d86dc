"""A capacity search: the highest offered load (QPS) whose latency percentile meets an SLO, with its interval.

Each probe is one ``infermeter run --scenario server`` at an offered rate, decided from the CI of the SLO's
percentile against the bound: **meets** (the whole CI within it), **misses** (the whole CI above it) or
**undecided** (a longer run is asked for while the estimate is within the bound; still undecided at the longest,
or with the estimate over the bound, it counts as not meeting). The
answer is the highest rate that met, ``max_qps``, at every one of its runs (the search measures it ``confirm``
times more once the bracket closes); the lowest rate that did not meet at one of its runs closes
``max_qps_interval``: the true capacity (under the schedule and engine settings used) lies between the two.
Nothing here prints; the search itself is in ``runs.capacity``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..config.axes import CAPACITY_SCHEMA, CAPACITY_VERSION, RUN_CONFIG_SCHEMA
from ..stats import early_stopping
from ..stats.intervals import Interval
from .codec import from_data
from .report import Report
from .sweep import Slo, knee_point

MEETS, MISSES, UNDECIDED = "meets", "misses", "undecided"
VERDICTS = (MEETS, MISSES, UNDECIDED)


def slo_percentile(slo: Slo) -> float | None:
    """The percentile (0..100) an SLO bounds; None for the mean."""
    if slo.metric == "mean":
        return None
    return 50.0 if slo.metric == "median" else float(slo.metric[1:])


def slo_interval(report: Report, slo: Slo) -> Interval | None:
    """The 95 % CI of the SLO's statistic in a probe (the mean: batch means, the latencies are correlated)."""
    return _interval(report, slo, at_bound=False)


def verdict_interval(report: Report, slo: Slo) -> Interval | None:
    """The CI a probe's verdict is read from. For a percentile its serial dependence is measured at the bound,
    not at the estimate: whether the percentile lies below the bound is a question about which requests were
    within it, and a queue's clusters of slow requests far above the bound do not blur that answer."""
    return _interval(report, slo, at_bound=True)


def _interval(report: Report, slo: Slo, at_bound: bool) -> Interval | None:
    run = report.run
    if run is None or not run.count:
        return None
    percentile = slo_percentile(slo)
    if percentile is None:
        from ..stats.series import batch_means_interval

        return batch_means_interval(run.latency_ns)
    if at_bound:
        return run.latency.interval_at(percentile, float(slo.limit_ns))
    return run.latency.interval(percentile)


def over_bound(report: Report | None, slo: Slo) -> int | None:
    """How many of a probe's requests took longer than the SLO's bound."""
    run = report.run if report is not None else None
    return None if run is None else int((run.latency_ns > slo.limit_ns).sum())


def verdict_of(report: Report, slo: Slo) -> str:
    """meets / misses / undecided, from the CI against the bound; drops (--max-in-flight) miss."""
    run = report.run
    if run is not None and run.dropped:
        return MISSES
    interval = verdict_interval(report, slo)
    if interval is None:  # too few requests, or latencies so dependent (a growing queue) that no CI is honest
        return MISSES if run is not None and _most_over(run.latency_ns, slo) else UNDECIDED
    if interval.high <= slo.limit_ns:
        return MEETS
    return MISSES if interval.low > slo.limit_ns else UNDECIDED


def could_meet(report: Report | None, slo: Slo) -> bool:
    """Whether the SLO's statistic, as estimated by this probe, lies within the bound: only then can a longer run
    of an undecided probe turn it into *meets* (the one outcome that changes the search; *misses* and undecided
    both count as not meeting). Too few requests for an estimate: it could."""
    run = report.run if report is not None else None
    if run is None:
        return False
    percentile = slo_percentile(slo)
    estimate = run.latency.mean if percentile is None else run.latency.percentile(percentile)
    return estimate is None or estimate <= slo.limit_ns


def _most_over(latency_ns: Any, slo: Slo) -> bool:
    """At least 100 requests and half of them over the bound: a percentile at or above the median cannot meet it
    (for a tail SLO such a run is past saturation whatever the dependence between requests)."""
    percentile = slo_percentile(slo)
    return (percentile is not None and percentile >= 50.0 and len(latency_ns) >= 100
            and int((latency_ns > slo.limit_ns).sum()) * 2 > len(latency_ns))


@dataclass(frozen=True)
class Probe:
    """One offered rate, measured ``attempts`` times (longer each time while undecided); ``report`` is the last."""

    offered_qps: float
    verdict: str
    report: Report | None
    attempts: int = 1
    error: str | None = None
    confirmation: bool = False  # a repeat of the bracket's low end once it had closed

    def latency_ns(self, p: float) -> float | None:
        run = self.report.run if self.report is not None else None
        return run.latency.percentile(p) if run is not None and run.count else None

    @property
    def achieved_qps(self) -> float | None:
        run = self.report.run if self.report is not None else None
        return run.achieved_qps if run is not None else None

    @property
    def dropped(self) -> int:
        run = self.report.run if self.report is not None else None
        return run.dropped if run is not None else 0

    @property
    def lateness_p99_ns(self) -> float | None:
        run = self.report.run if self.report is not None else None
        return run.lateness.percentile(99.0) if run is not None and run.open_loop else None

    def goodput(self, slo: Slo) -> float | None:
        """Requests per second that completed within the SLO's bound."""
        run = self.report.run if self.report is not None else None
        if run is None or not run.window_ns:
            return None
        return int((run.latency_ns <= slo.limit_ns).sum()) * 1e9 / run.window_ns

    def loadgen_passes(self, slo: Slo) -> bool | None:
        """LoadGen's Server early-stopping check of the SLO (binomial, 99 % confidence), for comparison."""
        run = self.report.run if self.report is not None else None
        percentile = slo_percentile(slo)
        if run is None or not run.count or percentile is None:
            return None
        return early_stopping.passes(run.count, over_bound(self.report, slo) or 0, percentile / 100.0)

    def to_dict(self, slo: Slo) -> dict[str, Any]:
        interval = slo_interval(self.report, slo) if self.report is not None else None
        tested = verdict_interval(self.report, slo) if self.report is not None else None
        return {"offered_qps": self.offered_qps, "verdict": self.verdict, "attempts": self.attempts,
                "confirmation": self.confirmation, "error": self.error, "achieved_qps": self.achieved_qps,
                "latency_p50_ns": self.latency_ns(50.0), "latency_p99_ns": self.latency_ns(99.0),
                "slo_interval_ns": interval.to_dict() if interval else None,
                "verdict_interval_ns": tested.to_dict() if tested else None,
                "requests_over_bound": over_bound(self.report, slo),
                "dropped": self.dropped, "lateness_p99_ns": self.lateness_p99_ns, "goodput_qps": self.goodput(slo),
                "loadgen_early_stopping_passes": self.loadgen_passes(slo),
                "report": self.report.to_dict() if self.report is not None else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Probe:
        report = data.get("report")
        return cls(from_data(float, data["offered_qps"], "probe.offered_qps"),
                   _verdict(from_data(str, data["verdict"], "probe.verdict")),
                   Report.from_dict(report) if report is not None else None,
                   from_data(int, data.get("attempts", 1), "probe.attempts"),
                   from_data(str | None, data.get("error"), "probe.error"),
                   from_data(bool, data.get("confirmation", False), "probe.confirmation"))


def _verdict(text: str) -> str:
    if text not in VERDICTS:
        raise ValueError(f"probe verdict {text!r} is not one of {', '.join(VERDICTS)}")
    return text


@dataclass(frozen=True)
class Capacity:
    model: str
    slo: Slo
    tolerance: float  # the bracket's relative width at which the search stops
    probes: tuple[Probe, ...] = ()  # in the order measured
    arrival: str = "poisson"
    estimate_qps: float | None = None  # the closed-loop throughput the search started from
    base_args: tuple[str, ...] = field(default=())  # run options every probe shares
    probe_args: tuple[str, ...] = field(default=())  # the probes' own (-t, -niter): the replay uses them too
    command: tuple[str, ...] | None = None
    interrupted: bool = False
    error: str | None = None
    confirm: int = 0  # runs of the answer beyond the first that must meet too

    @property
    def partial(self) -> bool:
        return self.interrupted or self.error is not None

    @property
    def max_qps(self) -> float | None:
        """The highest offered rate that met the SLO below every rate that did not (at one of its runs or more)."""
        ceiling = self._lowest_failing()
        meeting = [p.offered_qps for p in self.probes if p.verdict == MEETS and p.offered_qps < ceiling]
        return max(meeting) if meeting else None

    @property
    def max_qps_interval(self) -> tuple[float, float] | None:
        """[max_qps, the lowest rate above it that did not meet]; None until both are known."""
        low, high = self.max_qps, self._lowest_failing()
        return (low, high) if low is not None and math.isfinite(high) else None

    @property
    def max_qps_runs(self) -> int:
        """How many times the answer was measured (it met every time)."""
        best = self.max_qps
        return sum(1 for p in self.probes if p.offered_qps == best and p.verdict == MEETS)

    @property
    def confirmations(self) -> tuple[int, int]:
        """(confirmation runs that did not meet, confirmation runs): a failed one means a rate met once and then
        not, i.e. the latency tail moved between runs by more than a run's CI."""
        runs = [p for p in self.probes if p.confirmation and p.report is not None]
        return sum(1 for p in runs if p.verdict != MEETS), len(runs)

    @property
    def converged(self) -> bool:
        """The bracket within the tolerance and its low end met at 1 + ``confirm`` runs."""
        interval = self.max_qps_interval
        return (interval is not None and interval[1] / interval[0] - 1.0 <= self.tolerance + 1e-12
                and self.max_qps_runs >= 1 + self.confirm)

    def _lowest_failing(self) -> float:
        failing = [p.offered_qps for p in self.probes if p.verdict != MEETS and p.report is not None]
        return min(failing) if failing else math.inf

    def by_rate(self) -> list[int]:
        return sorted(range(len(self.probes)), key=lambda i: (self.probes[i].offered_qps, i))

    def knee(self) -> int | None:
        """The probe where latency starts to climb (Kneedle over offered load vs the SLO's percentile)."""
        order = [i for i in self.by_rate() if self.probes[i].latency_ns(self._p()) is not None]
        values = [(self.probes[i].offered_qps, self.probes[i].latency_ns(self._p()) or 0.0) for i in order]
        return knee_point(values, order)

    def _p(self) -> float:
        return slo_percentile(self.slo) or 50.0

    def best_probe(self) -> int | None:
        best = self.max_qps
        return next((i for i, p in enumerate(self.probes) if p.offered_qps == best and p.verdict == MEETS), None)

    def to_dict(self) -> dict[str, Any]:
        interval = self.max_qps_interval
        return {"schema": CAPACITY_SCHEMA, "schema_version": CAPACITY_VERSION, "model": self.model,
                "command": list(self.command) if self.command else None, "partial": self.partial,
                "interrupted": self.interrupted, "error": self.error,
                "slo": {"metric": self.slo.metric, "limit_ns": self.slo.limit_ns}, "tolerance": self.tolerance,
                "arrival": self.arrival, "estimate_qps": self.estimate_qps, "max_qps": self.max_qps,
                "max_qps_interval": list(interval) if interval else None, "converged": self.converged,
                "confirm": self.confirm, "max_qps_runs": self.max_qps_runs,
                "confirmations_failed": self.confirmations[0], "confirmations": self.confirmations[1],
                "knee": self.knee(), "base_args": list(self.base_args), "probe_args": list(self.probe_args),
                "probes": [probe.to_dict(self.slo) for probe in self.probes]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Capacity:
        if data.get("schema") != CAPACITY_SCHEMA or data.get("schema_version") != CAPACITY_VERSION:
            raise ValueError(f"not an infermeter capacity search of schema version {CAPACITY_VERSION}")
        slo, probes = data["slo"], data["probes"]
        if not isinstance(probes, list):
            raise TypeError("capacity probes: expected a list")
        return cls(model=from_data(str, data["model"], "model"),
                   slo=Slo(from_data(str, slo["metric"], "slo.metric"), from_data(int, slo["limit_ns"], "slo")),
                   tolerance=from_data(float, data["tolerance"], "tolerance"),
                   probes=tuple(Probe.from_dict(item) for item in probes),
                   arrival=from_data(str, data.get("arrival", "poisson"), "arrival"),
                   estimate_qps=from_data(float | None, data.get("estimate_qps"), "estimate_qps"),
                   base_args=from_data(tuple[str, ...], data.get("base_args", []), "base_args"),
                   probe_args=from_data(tuple[str, ...], data.get("probe_args", []), "probe_args"),
                   command=from_data(tuple[str, ...] | None, data.get("command"), "command"),
                   interrupted=from_data(bool, data.get("interrupted", False), "interrupted"),
                   error=from_data(str | None, data.get("error"), "error"),
                   confirm=from_data(int, data.get("confirm", 0), "confirm"))

    def run_config(self) -> dict[str, Any] | None:
        """The best probe as a config that ``infermeter run --load-config`` replays (None before one met)."""
        best = self.max_qps
        if best is None:
            return None
        interval = self.max_qps_interval
        return {"schema": RUN_CONFIG_SCHEMA, "schema_version": 1, "model": self.model,
                "options": {"qps": f"{best:.6g}"}, "args": [*self.base_args, *self.probe_args],
                "measured": {"max_qps": best, "max_qps_interval": list(interval) if interval else None,
                             "slo": self.slo.text(), "capacity_partial": self.partial}}
