"""A session: several configurations measured together, interleaved in rounds (``runs.session``) or unit by
unit in one measurement (``runs.interleaved``, with its ``Interleaving`` record).

``reports[configuration][round]`` holds the finished measurements (one "round" when interleaved). Each
configuration is compared with its baseline (``baselines``; by default the first configuration), paired
round by round ("paired rounds") or by neighbouring units (``results.interleaved``); the JSON carries those
comparisons for readers, and every report with its samples (and, interleaved, every unit), so nothing is
lost (session schema 3: reports of schema 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..stats.intervals import Interval, mean_log_interval
from . import interleaved
from .codec import from_data
from .comparison import DEFAULT_THRESHOLD, METRICS, Comparison, compare_runs, metric_values
from .interleaved import Interleaving
from .report import Report, RunResult
from .views import NotebookViews

SESSION_SCHEMA = "infermeter.session"
SESSION_VERSION = 3
READABLE_SESSION_VERSIONS = (1, 2, 3)  # results.upgrade brings 1 and 2 to 3


@dataclass(frozen=True)
class Session(NotebookViews):
    labels: tuple[str, ...]
    rounds: int  # rounds asked for
    order: tuple[tuple[int, ...], ...]  # per round started: configuration indices in the order they ran
    reports: tuple[tuple[Report, ...], ...]  # [configuration][round], finished measurements only
    interrupted: bool = False
    command: tuple[str, ...] | None = None
    error: str | None = None  # what stopped the session early (a measurement that could not run)
    baselines: tuple[int, ...] = ()  # per configuration, the one it is compared with (itself: none); () = the first
    threshold: float = DEFAULT_THRESHOLD  # the band the verdicts are read against
    interleaving: Interleaving | None = None  # the units, when the configurations took turns in one measurement
    notes: tuple[str, ...] = ()  # what was done before timing (inputs shared across engines) and warnings
    agreement: tuple[str, ...] = ()  # one line per configuration: its outputs against the first's (after timing)

    def pairs(self) -> list[tuple[int, int]]:
        """(baseline, configuration) for every configuration that is compared, in configuration order."""
        baselines = self.baselines or (0,) * len(self.labels)
        return [(base, index) for index, base in enumerate(baselines) if base != index]

    @property
    def partial(self) -> bool:
        if self.interrupted or self.error is not None:
            return True
        return any(len(r) < self.rounds or any(x.partial for x in r) for r in self.reports)

    def runs(self, index: int) -> list[RunResult]:
        return [report.run for report in self.reports[index] if report.run is not None and report.run.count]

    def summary(self, index: int, metric: str) -> Interval | None:
        """A configuration's value over its rounds: geometric mean with a t-interval across rounds; with one
        round, that run's own CI."""
        runs = self.runs(index)
        if len(runs) == 1:
            return runs[0].metric_interval(metric)
        values = metric_values(runs, metric)
        return mean_log_interval(np.log(values)) if values is not None else None

    def paired_runs(self, a: int, b: int) -> tuple[list[RunResult], list[RunResult]]:
        """The runs of configurations ``a`` and ``b`` in the rounds where both have one, paired by round index
        (a round that measured nothing for one side drops that round only, not every later pairing)."""
        pairs = [(x.run, y.run) for x, y in zip(self.reports[a], self.reports[b], strict=False)
                 if x.run is not None and x.run.count and y.run is not None and y.run.count]
        return [pair[0] for pair in pairs], [pair[1] for pair in pairs]

    def comparisons(self, metric: str, threshold: float | None = None) -> list[tuple[str, Comparison | None]]:
        """Each compared configuration against its baseline (``threshold``: the session's own when None)."""
        band = self.threshold if threshold is None else threshold
        result = []
        for base, index in self.pairs():
            result.append((self.labels[index], self.compare(base, index, metric, band)))
        return result

    def compare(self, base: int, index: int, metric: str, threshold: float) -> Comparison | None:
        """Configuration ``index`` against ``base``: paired by neighbouring units when interleaved, else by
        round."""
        if self.interleaving is not None:
            runs = [reports[0].run if reports else None for reports in self.reports]
            return interleaved.compare(self.interleaving, runs, base, index, metric, threshold)
        baseline, runs_b = self.paired_runs(base, index)
        return compare_runs(baseline, runs_b, metric, threshold, paired=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SESSION_SCHEMA,
            "schema_version": SESSION_VERSION,
            "command": list(self.command) if self.command is not None else None,
            "partial": self.partial,
            "error": self.error,
            "labels": list(self.labels),
            "rounds": self.rounds,
            "order": [list(o) for o in self.order],
            "reports": [[report.to_dict() for report in reports] for reports in self.reports],
            "baselines": list(self.baselines),
            "threshold": self.threshold,
            "interleaving": self.interleaving.to_dict() if self.interleaving is not None else None,
            "notes": list(self.notes),
            "agreement": list(self.agreement),
            "comparisons": {metric: [{"label": label, **(c.to_dict() if c else {"verdict": None})}
                                     for label, c in self.comparisons(metric)]
                            for metric in METRICS},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        """A session of the current schema (the ``comparisons`` are recomputed, not read)."""
        if data.get("schema") != SESSION_SCHEMA or data.get("schema_version") != SESSION_VERSION:
            raise ValueError(f"not an infermeter session of schema version {SESSION_VERSION}")
        reports = data["reports"]
        if not isinstance(reports, list) or not all(isinstance(r, list) for r in reports):
            raise TypeError("session reports: expected a list of lists")
        return cls(
            labels=from_data(tuple[str, ...], data["labels"], "labels"),
            rounds=from_data(int, data["rounds"], "rounds"),
            order=from_data(tuple[tuple[int, ...], ...], data["order"], "order"),
            reports=tuple(tuple(Report.from_dict(r) for r in round_reports) for round_reports in reports),
            interrupted=from_data(bool, data.get("partial", False), "partial"),
            command=from_data(tuple[str, ...] | None, data.get("command"), "command"),
            error=from_data(str | None, data.get("error"), "error"),
            baselines=from_data(tuple[int, ...], data.get("baselines", []), "baselines"),
            threshold=from_data(float, data.get("threshold", DEFAULT_THRESHOLD), "threshold"),
            interleaving=Interleaving.from_dict(data["interleaving"]) if data.get("interleaving") else None,
            notes=from_data(tuple[str, ...], data.get("notes", []), "notes"),
            agreement=from_data(tuple[str, ...], data.get("agreement", []), "agreement"),
        )
