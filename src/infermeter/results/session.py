"""A session: several configurations of one model, measured interleaved in rounds (``runs.session`` runs it).

``reports[configuration][round]`` holds the finished measurements. Configurations are compared with the first
one (the baseline) round by round (``comparisons``, "paired rounds"); the JSON carries those comparisons for
readers, and every report with its samples, so nothing is lost (session schema 2: reports of schema 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..stats.intervals import Interval, mean_log_interval
from .codec import from_data
from .comparison import DEFAULT_THRESHOLD, METRICS, Comparison, compare_runs, metric_values
from .report import Report, RunResult
from .views import NotebookViews

SESSION_SCHEMA = "infermeter.session"
SESSION_VERSION = 2
READABLE_SESSION_VERSIONS = (1, 2)  # results.upgrade brings 1 to 2


@dataclass(frozen=True)
class Session(NotebookViews):
    labels: tuple[str, ...]
    rounds: int  # rounds asked for
    order: tuple[tuple[int, ...], ...]  # per round started: configuration indices in the order they ran
    reports: tuple[tuple[Report, ...], ...]  # [configuration][round], finished measurements only
    interrupted: bool = False
    command: tuple[str, ...] | None = None
    error: str | None = None  # what stopped the session early (a measurement that could not run)
    notes: tuple[str, ...] = ()  # what was done before timing (inputs shared across engines) and warnings
    agreement: tuple[str, ...] = ()  # one line per configuration: its outputs against the first's (after timing)

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

    def comparisons(self, metric: str, threshold: float) -> list[tuple[str, Comparison | None]]:
        """Each configuration after the first against the first, paired by round."""
        baseline = self.runs(0)
        result = []
        for index in range(1, len(self.labels)):
            runs = self.runs(index)
            common = min(len(baseline), len(runs))
            result.append((self.labels[index], compare_runs(baseline[:common], runs[:common], metric, threshold,
                                                            paired=True)))
        return result

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
            "notes": list(self.notes),
            "agreement": list(self.agreement),
            "comparisons": {metric: [{"label": label, **(c.to_dict() if c else {"verdict": None})}
                                     for label, c in self.comparisons(metric, DEFAULT_THRESHOLD)]
                            for metric in METRICS},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        """A session of schema 2 (the ``comparisons`` are recomputed, not read)."""
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
            notes=from_data(tuple[str, ...], data.get("notes", []), "notes"),
            agreement=from_data(tuple[str, ...], data.get("agreement", []), "agreement"),
        )
