"""Several configurations of one model, measured interleaved in rounds (A B A B …), and compared.

Every configuration is prepared (read, compiled, inputs made) once; then each round measures every
configuration once, in an order shuffled per round with a seeded generator, so slow drifts and bursts of
load from other processes spread over all configurations instead of favouring whichever ran first. Each
measurement is a complete report (warm-up, first inference, checks). Configurations are compared with the
first one (the baseline) round by round: see ``compare`` ("paired rounds").

An interrupt keeps every finished measurement; the session is then marked partial.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import scenarios
from ..analysis.compare import DEFAULT_THRESHOLD, METRICS, Comparison, compare_runs, metric_values
from ..config.benchmark import BenchmarkConfig
from ..errors import BenchmarkInterrupted, InfermeterError, InputError
from ..events import Observer
from ..measure import run as app
from ..results.report import Report, RunResult, load_report_data, report_from_data
from ..results.views import NotebookViews
from ..stats.intervals import Interval, mean_log_interval

SESSION_SCHEMA = "infermeter.session"
SESSION_VERSION = 1


@dataclass(frozen=True)
class Session(NotebookViews):
    labels: tuple[str, ...]
    rounds: int  # rounds asked for
    order: tuple[tuple[int, ...], ...]  # per round started: configuration indices in the order they ran
    reports: tuple[tuple[Report, ...], ...]  # [configuration][round], finished measurements only
    interrupted: bool = False
    command: tuple[str, ...] | None = None
    error: str | None = None  # what stopped the session early (a measurement that could not run)

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
            "comparisons": {metric: [{"label": label, **(c.to_dict() if c else {"verdict": None})}
                                     for label, c in self.comparisons(metric, DEFAULT_THRESHOLD)]
                            for metric in METRICS},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        return cls(
            labels=tuple(str(label) for label in data["labels"]),
            rounds=int(data["rounds"]),
            order=tuple(tuple(int(i) for i in o) for o in data["order"]),
            reports=tuple(tuple(Report.from_dict(r) for r in reports) for reports in data["reports"]),
            interrupted=bool(data.get("partial", False)),
            command=tuple(data["command"]) if data.get("command") is not None else None,
            error=data.get("error"),
        )


def run_session(configs: Sequence[BenchmarkConfig], labels: Sequence[str], rounds: int, observer: Observer,
                seed: int = 0, command: Sequence[str] | None = None) -> Session:
    prepared = []
    for label, config in zip(labels, configs, strict=True):
        observer.note(f"preparing {label}")
        prepared.append(app.prepare(config, observer))
    shuffle = random.Random(seed)
    order: list[tuple[int, ...]] = []
    reports: list[list[Report]] = [[] for _ in configs]
    interrupted, error = False, None
    try:
        for round_index in range(rounds):
            sequence = list(range(len(configs)))
            shuffle.shuffle(sequence)
            order.append(tuple(sequence))
            for index in sequence:
                observer.note(f"round {round_index + 1}/{rounds}: {labels[index]}")
                report = app.measure(prepared[index], observer, command)
                reports[index].append(report)
                if report.interrupted:
                    raise KeyboardInterrupt
    except (KeyboardInterrupt, BenchmarkInterrupted):
        interrupted = True
    except InfermeterError as failure:  # e.g. a warm-up request failed: keep the rounds already measured
        error = f"{labels[index]}, round {len(order)}: {failure}"
    return Session(tuple(labels), rounds, tuple(order), tuple(tuple(r) for r in reports), interrupted,
                   tuple(command) if command is not None else None, error)


def default_metric(session: Session) -> str:
    """The metric a session is compared on by default: its scenario's headline (median latency or throughput)."""
    first = next((reports[0] for reports in session.reports if reports), None)
    scenario = scenarios.SCENARIOS.get(str(first.config.get("scenario", ""))) if first is not None else None
    return scenario.headline if scenario is not None else "throughput"


def load_session_or_report(path: Path) -> Session:
    """A session file as is; a single report as a session of one configuration and one round."""
    data = load_report_data(path, accept=(SESSION_SCHEMA,))
    if data.get("schema") == SESSION_SCHEMA:
        if data.get("schema_version") != SESSION_VERSION:
            raise InputError(f"{path} has session schema_version {data.get('schema_version')!r}; this infermeter "
                             f"reads {SESSION_VERSION}")
        try:
            return Session.from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
            raise InputError(f"session {path} is malformed ({type(error).__name__}: {str(error)[:80]})") from None
    report = report_from_data(path, data)
    return Session((report.model.get("ref", path.stem),), 1, ((0,),), ((report,),), report.interrupted,
                   report.command)




@dataclass(frozen=True)
class FileComparison:
    """One configuration of file A against its match in file B, on several metrics."""

    label: str
    rows: tuple[tuple[str, Comparison | None], ...]  # (metric, comparison)
    warnings: tuple[str, ...]

    def get(self, metric: str) -> Comparison | None:
        return dict(self.rows).get(metric)


SINGLE_RUN_WARNING = ("each side is a single run: its CI covers noise within the run, not between runs (identical "
                      "single runs differ significantly 40-62 % of the time on a shared VM), so no verdict is given; "
                      "save results of run --rounds 10 (or more) on each side and compare those")


def compare_sessions(a: Session, b: Session, metrics: Sequence[str], threshold: float) -> list[FileComparison]:
    """Configurations matched by label (or the only one on each side), compared unpaired."""
    from ..machine.environment import differences

    if len(a.labels) == 1 and len(b.labels) == 1:
        pairs = [(a.labels[0] if a.labels == b.labels else f"{a.labels[0]} → {b.labels[0]}", 0, 0)]
    else:
        pairs = [(label, a.labels.index(label), b.labels.index(label)) for label in a.labels if label in b.labels]
        if not pairs:
            raise InputError(f"no configuration label is in both files ({', '.join(a.labels)} vs "
                             f"{', '.join(b.labels)})")
    result = []
    for label, i, j in pairs:
        runs_a, runs_b = a.runs(i), b.runs(j)
        rows = tuple((metric, compare_runs(runs_a, runs_b, metric, threshold)) for metric in metrics)
        warnings = []
        if a.reports[i] and b.reports[j]:
            first_a, first_b = a.reports[i][0], b.reports[j][0]
            changed = differences(first_a.environment, first_b.environment)
            if changed:
                warnings.append("the machines differ: " + "; ".join(changed))
            if first_a.engine.get("precision") != first_b.engine.get("precision"):
                warnings.append(f"precision differs: {first_a.engine.get('precision')} vs "
                                f"{first_b.engine.get('precision')}")
        if len(runs_a) == 1 and len(runs_b) == 1:
            warnings.append(SINGLE_RUN_WARNING)
        result.append(FileComparison(label, rows, tuple(warnings)))
    return result
