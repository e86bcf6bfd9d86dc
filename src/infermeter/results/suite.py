"""Suites: many models × configurations, each point measured ``rounds`` times in fresh processes, and the
geometric mean over models of each configuration's throughput and latency, with a 95 % CI.

A point's value is the geometric mean over its rounds (with two or more, a t-interval on the rounds' logs; with
one, the run's own CI). A configuration's geometric mean is over the models measured in it; its CI covers the
measurement noise of these models (``stats.geomean``: the per-model log means averaged, their variances
combined, Welch–Satterthwaite degrees of freedom), not the choice of models. Nothing here prints.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config.suite import SuiteConfig, SuiteModel
from ..stats import geomean
from ..stats.intervals import Interval
from .codec import from_data, from_dict, to_data
from .comparison import metric_value
from .facts import Placement
from .report import Report

SUITE_SCHEMA = "infermeter.suite"
SUITE_VERSION = 1
READABLE_SUITE_VERSIONS = (1,)
SUITE_METRICS = ("throughput", "median")  # what the tables show: items/s and median latency
ROUNDS, SINGLE_RUNS = "rounds", "within-run CIs (single runs)"


class ReportText(str):
    """A report's JSON text as its run wrote it: ``Suite.to_dict(texts=True)`` hands it over instead of a dict,
    so the exporter splices it in rather than serialising every sample again after every point."""


@dataclass(frozen=True)
class SuiteRun:
    """One measurement of a point: its report, or why there is none, and the node it ran on (cluster runs)."""

    round: int  # 1-based
    report: Report | None = None
    error: str | None = None
    placement: Placement | None = None
    report_json: str | None = field(default=None, compare=False, repr=False)  # the report's own file text

    @property
    def good(self) -> bool:
        run = self.report.run if self.report is not None else None
        return self.error is None and run is not None and run.count > 0 and not self.report.partial  # type: ignore[union-attr]

    def to_dict(self, texts: bool = False) -> dict[str, Any]:
        report = None if self.report is None else ReportText(self.report_json) if texts and self.report_json \
            else self.report.to_dict()
        return {"round": self.round, "error": self.error,
                "placement": to_data(self.placement) if self.placement is not None else None, "report": report}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuiteRun:
        report, placement = data.get("report"), data.get("placement")
        return cls(from_data(int, data["round"], "run.round"), Report.from_dict(report) if report else None,
                   from_data(str | None, data.get("error"), "run.error"),
                   from_dict(Placement, placement, "run.placement") if placement is not None else None)


@dataclass(frozen=True)
class SuitePoint:
    model: str
    config: str
    node: str | None = None  # fleet runs (--each-node): the node this point is pinned to
    runs: tuple[SuiteRun, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.model} · {self.config}" + (f" @ {self.node}" if self.node else "")

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(run.error for run in self.runs if run.error is not None)

    @property
    def reports(self) -> tuple[Report, ...]:
        return tuple(run.report for run in self.runs if run.good and run.report is not None)

    def log_mean(self, metric: str) -> geomean.LogMean | None:
        """log of this point's value (geometric mean over rounds) with its variance; None when unmeasured."""
        reports = self.reports
        values = [metric_value(report.run, metric) for report in reports if report.run is not None]
        if not values or any(value is None or value <= 0 for value in values):
            return None
        if len(values) >= 2:
            return geomean.from_rounds([float(v) for v in values if v is not None])
        run = reports[0].run
        interval = run.metric_interval(metric) if run is not None else None
        if interval is None or min(interval.low, interval.estimate) <= 0:
            return geomean.LogMean(math.log(float(values[0] or 0)), 0.0, math.inf, single=True)
        return geomean.from_interval(interval)

    def interval(self, metric: str) -> Interval | None:
        estimate = self.log_mean(metric)
        return estimate.interval() if estimate is not None else None

    def to_dict(self, texts: bool = False) -> dict[str, Any]:
        summary = {metric: _as_dict(self.interval(metric)) for metric in SUITE_METRICS}
        return {"model": self.model, "config": self.config, "node": self.node, "summary": summary,
                "runs": [run.to_dict(texts) for run in self.runs]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuitePoint:
        runs = data.get("runs", [])
        if not isinstance(runs, list):
            raise TypeError("suite point runs: expected a list")
        return cls(from_data(str, data["model"], "point.model"), from_data(str, data["config"], "point.config"),
                   from_data(str | None, data.get("node"), "point.node"), tuple(SuiteRun.from_dict(r) for r in runs))


@dataclass(frozen=True)
class Geomean:
    """A configuration's geometric mean over models, its 95 % CI, and what it rests on."""

    interval: Interval
    method: str  # ROUNDS when every model has rounds, else SINGLE_RUNS
    models: tuple[str, ...]  # the models it is over (measured ones)
    of: int  # the models of the suite

    def to_dict(self) -> dict[str, Any]:
        return {**self.interval.to_dict(), "method": self.method, "models": list(self.models), "of": self.of}


def geometric_mean(points: Sequence[SuitePoint], metric: str, of: int) -> Geomean | None:
    measured = [(point.model, point.log_mean(metric)) for point in points]
    found = [(model, estimate) for model, estimate in measured if estimate is not None]
    if not found:
        return None
    combined = geomean.average([estimate for _, estimate in found])
    return Geomean(combined.interval(), SINGLE_RUNS if combined.single else ROUNDS, tuple(m for m, _ in found), of)


@dataclass(frozen=True)
class Suite:
    name: str
    models: tuple[SuiteModel, ...]
    configs: tuple[SuiteConfig, ...]
    points: tuple[SuitePoint, ...]  # model-major: every config of the first model, then the next model…
    rounds: int = 1
    seed: int = 0
    base_args: tuple[str, ...] = ()  # run options of every point: the suite file's ([suite] options)
    extra_args: tuple[str, ...] = ()  # and the command line's (after --), which win over every other
    command: tuple[str, ...] | None = None
    interrupted: bool = False
    cluster: str | None = None  # the cluster's address, when run on one
    nodes: tuple[str, ...] = field(default=())  # fleet runs: the nodes, in table order

    @property
    def partial(self) -> bool:
        return self.interrupted or any(len(p.runs) < self.rounds for p in self.points)

    def point(self, model: str, config: str, node: str | None = None) -> SuitePoint | None:
        return next((p for p in self.points if (p.model, p.config, p.node) == (model, config, node)), None)

    def geomean(self, config: str, metric: str, node: str | None = None) -> Geomean | None:
        chosen = [p for p in self.points if p.config == config and p.node == node]
        return geometric_mean(chosen, metric, len(self.models))

    def failed(self) -> list[SuitePoint]:
        return [point for point in self.points if point.errors]

    def to_dict(self, texts: bool = False) -> dict[str, Any]:
        """``texts``: reports that kept their file's text come as ``ReportText`` (for ``reporters.export``)."""
        nodes: list[str | None] = [*self.nodes] or [None]
        geomeans = {f"{config.name}@{node}" if node else config.name: {
            metric: _as_dict(self.geomean(config.name, metric, node)) for metric in SUITE_METRICS}
            for config in self.configs for node in nodes}
        return {"schema": SUITE_SCHEMA, "schema_version": SUITE_VERSION, "name": self.name,
                "command": list(self.command) if self.command else None, "partial": self.partial,
                "interrupted": self.interrupted, "rounds": self.rounds, "seed": self.seed,
                "cluster": self.cluster, "nodes": list(self.nodes), "base_args": list(self.base_args),
                "extra_args": list(self.extra_args),
                "models": [to_data(model) for model in self.models],
                "configs": [to_data(config) for config in self.configs],
                "geomeans": geomeans, "points": [point.to_dict(texts) for point in self.points]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Suite:
        if data.get("schema") != SUITE_SCHEMA or data.get("schema_version") != SUITE_VERSION:
            raise ValueError(f"not an infermeter suite of schema version {SUITE_VERSION}")
        points = data["points"]
        if not isinstance(points, list):
            raise TypeError("suite points: expected a list")
        return cls(name=from_data(str, data["name"], "name"),
                   models=from_data(tuple[SuiteModel, ...], data["models"], "models"),
                   configs=from_data(tuple[SuiteConfig, ...], data["configs"], "configs"),
                   points=tuple(SuitePoint.from_dict(point) for point in points),
                   rounds=from_data(int, data["rounds"], "rounds"), seed=from_data(int, data.get("seed", 0), "seed"),
                   base_args=from_data(tuple[str, ...], data.get("base_args", []), "base_args"),
                   extra_args=from_data(tuple[str, ...], data.get("extra_args", []), "extra_args"),
                   command=from_data(tuple[str, ...] | None, data.get("command"), "command"),
                   interrupted=from_data(bool, data.get("interrupted", False), "interrupted"),
                   cluster=from_data(str | None, data.get("cluster"), "cluster"),
                   nodes=from_data(tuple[str, ...], data.get("nodes", []), "nodes"))


def _as_dict(value: Interval | Geomean | None) -> dict[str, Any] | None:
    return value.to_dict() if value is not None else None
