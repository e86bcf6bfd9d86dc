"""Sweeps: one model measured over a grid of configurations, each point in its own process.

A point is one combination of the swept options (``--nireq 1,2,4 -b 1,8`` gives six). Each is measured
``repeat`` times, the repetitions interleaved over the grid in a seeded shuffled order, every measurement a
fresh ``infermeter run`` subprocess (a crash or a hang marks that point failed and the sweep goes on). The
analysis is pure: the throughput–latency **Pareto frontier**, its **knee**, and the **best point** for a goal
under an optional SLO. Nothing here prints.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config.axes import AXES, LATENCY_METRICS, RUN_CONFIG_SCHEMA, SWEEP_SCHEMA, SWEEP_VERSION
from ..errors import UsageError
from .codec import from_data, to_data
from .facts import Placement
from .report import Report
from .views import NotebookViews

__all__ = ["AXES", "LATENCY_METRICS", "RUN_CONFIG_SCHEMA", "Slo", "Sweep", "SweepPoint", "best_point", "knee_point",
           "pareto_frontier", "parse_axis", "parse_slo"]


@dataclass(frozen=True)
class Slo:
    """``p99<=20ms``: a latency metric and its upper bound (ns)."""

    metric: str
    limit_ns: int

    def text(self) -> str:
        return f"{self.metric} <= {self.limit_ns / 1e6:g} ms"


@dataclass(frozen=True)
class SweepPoint:
    options: dict[str, str]  # swept option -> value, e.g. {"nireq": "4", "batch": "1"}
    reports: tuple[Report, ...] = ()  # finished repetitions
    errors: tuple[str, ...] = ()  # repetitions that failed, one line each
    placements: tuple[Placement, ...] = ()  # --cluster: the node of each measurement, in the order they ended

    @property
    def label(self) -> str:
        return " ".join(f"{AXES[key][0]} {value}" for key, value in self.options.items())

    @property
    def ok(self) -> bool:
        return bool(self._runs()) and not self.errors

    def _runs(self) -> list[Any]:
        return [r.run for r in self.reports if r.run is not None and r.run.count and not r.partial]

    @property
    def throughput(self) -> float | None:
        """Median over repetitions of items/s."""
        values = [run.throughput for run in self._runs() if run.throughput is not None]
        return _median(values)

    def latency_ns(self, metric: str = "median") -> float | None:
        """Median over repetitions of a latency statistic."""
        values = []
        for run in self._runs():
            stats = run.latency
            value = stats.mean if metric == "mean" else stats.percentile(50.0 if metric == "median" else
                                                                          float(metric[1:]))
            if value is not None:
                values.append(float(value))
        return _median(values)

    def to_dict(self) -> dict[str, Any]:
        return {"options": dict(self.options), "label": self.label, "throughput_items_per_s": self.throughput,
                "latency_median_ns": self.latency_ns("median"), "latency_p99_ns": self.latency_ns("p99"),
                "errors": list(self.errors), "reports": [report.to_dict() for report in self.reports],
                **({"placements": [to_data(p) for p in self.placements]} if self.placements else {})}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepPoint:
        reports = data.get("reports", [])
        if not isinstance(reports, list):
            raise TypeError("sweep point reports: expected a list")
        return cls(from_data(dict[str, str], data["options"], "point.options"),
                   tuple(Report.from_dict(item) for item in reports),
                   from_data(tuple[str, ...], data.get("errors", []), "point.errors"),
                   from_data(tuple[Placement, ...], data.get("placements", []), "point.placements"))


@dataclass(frozen=True)
class Sweep(NotebookViews):
    model: str
    axes: dict[str, list[str]]
    points: tuple[SweepPoint, ...]
    repeat: int = 1
    metric: str = "median"  # the latency axis of the frontier
    goal: str = "throughput"
    slo: Slo | None = None
    command: tuple[str, ...] | None = None
    interrupted: bool = False
    base_args: tuple[str, ...] = field(default=())  # run options shared by every point

    @property
    def partial(self) -> bool:
        return self.interrupted or any(len(p.reports) + len(p.errors) < self.repeat for p in self.points)

    def measured(self) -> list[int]:
        """Indices of points with a throughput and a latency."""
        return [i for i, p in enumerate(self.points)
                if p.ok and p.throughput is not None and p.latency_ns(self.metric) is not None]

    def pareto(self) -> list[int]:
        return pareto_frontier([(self.points[i].throughput or 0.0, self.points[i].latency_ns(self.metric) or 0.0)
                                for i in self.measured()], self.measured())

    def knee(self) -> int | None:
        frontier = self.pareto()
        return knee_point([(self.points[i].throughput or 0.0, self.points[i].latency_ns(self.metric) or 0.0)
                           for i in frontier], frontier)

    def best(self) -> int | None:
        return best_point(self.points, self.measured(), self.goal, self.metric, self.slo)

    def by_throughput(self) -> list[int]:
        """Point indices, highest throughput first (unmeasured points last, ties in grid order)."""
        return sorted(range(len(self.points)), key=lambda i: (-(self.points[i].throughput or -1.0), i))

    def marks(self) -> dict[int, list[str]]:
        """Per point: "best", "knee", "frontier" where they apply, in that order (what every table shows)."""
        best, knee, frontier = self.best(), self.knee(), set(self.pareto())
        return {index: [mark for mark, on in (("best", index == best), ("knee", index == knee),
                                              ("frontier", index in frontier)) if on]
                for index in range(len(self.points))}

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SWEEP_SCHEMA, "schema_version": SWEEP_VERSION, "model": self.model,
                "command": list(self.command) if self.command else None, "partial": self.partial,
                "interrupted": self.interrupted,
                "axes": self.axes, "repeat": self.repeat, "metric": self.metric, "goal": self.goal,
                "slo": {"metric": self.slo.metric, "limit_ns": self.slo.limit_ns} if self.slo else None,
                "base_args": list(self.base_args), "pareto": self.pareto(), "knee": self.knee(),
                "best": self.best(), "points": [point.to_dict() for point in self.points]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sweep:
        """A sweep of schema 2 (``results.loader`` reads and upgrades earlier versions)."""
        if data.get("schema") != SWEEP_SCHEMA or data.get("schema_version") != SWEEP_VERSION:
            raise ValueError(f"not an infermeter sweep of schema version {SWEEP_VERSION}")
        slo, points = data.get("slo"), data["points"]
        if not isinstance(points, list):
            raise TypeError("sweep points: expected a list")
        return cls(model=from_data(str, data["model"], "model"),
                   axes=from_data(dict[str, list[str]], data["axes"], "axes"),
                   points=tuple(SweepPoint.from_dict(p) for p in points),
                   repeat=from_data(int, data["repeat"], "repeat"),
                   metric=from_data(str, data.get("metric", "median"), "metric"),
                   goal=from_data(str, data.get("goal", "throughput"), "goal"),
                   slo=Slo(from_data(str, slo["metric"], "slo.metric"), from_data(int, slo["limit_ns"], "slo")) if slo
                   else None,
                   command=from_data(tuple[str, ...], data["command"], "command") if data.get("command") else None,
                   interrupted=from_data(bool, data.get("interrupted", False), "interrupted"),
                   base_args=from_data(tuple[str, ...], data.get("base_args", []), "base_args"))

    def run_config(self, index: int) -> dict[str, Any]:
        """A config file that ``infermeter run --load-config`` replays: the shared options plus the point's."""
        point = self.points[index]
        return {"schema": RUN_CONFIG_SCHEMA, "schema_version": 1, "model": self.model,
                "options": dict(point.options), "args": list(self.base_args),
                "measured": {"throughput_items_per_s": point.throughput,
                             f"latency_{self.metric}_ns": point.latency_ns(self.metric),
                             "repeat": len(point.reports), "goal": self.goal, "sweep_partial": self.partial,
                             "slo": self.slo.text() if self.slo else None}}


def pareto_frontier(values: Sequence[tuple[float, float]], ids: Sequence[int]) -> list[int]:
    """Points no other point beats on both (higher throughput, lower latency), by increasing latency."""
    order = sorted(range(len(values)), key=lambda k: (values[k][1], -values[k][0]))
    frontier: list[int] = []
    best_throughput = -math.inf
    for k in order:
        if values[k][0] > best_throughput:
            frontier.append(ids[k])
            best_throughput = values[k][0]
    return frontier


def knee_point(values: Sequence[tuple[float, float]], ids: Sequence[int]) -> int | None:
    """The frontier point farthest above the straight line from its first to its last point, both axes
    scaled to [0, 1] (Kneedle): beyond it, each step buys less throughput for more latency."""
    if len(values) < 3:
        return None
    throughputs = [v[0] for v in values]
    latencies = [v[1] for v in values]
    t_low, t_span = min(throughputs), (max(throughputs) - min(throughputs)) or 1.0
    l_low, l_span = min(latencies), (max(latencies) - min(latencies)) or 1.0
    scaled = [((lat - l_low) / l_span, (thr - t_low) / t_span) for thr, lat in values]
    (x0, y0), (x1, y1) = scaled[0], scaled[-1]
    gaps = [(y - (y0 + (y1 - y0) * (x - x0) / ((x1 - x0) or 1.0))) for x, y in scaled]
    best = max(range(len(gaps)), key=lambda k: gaps[k])
    return ids[best] if gaps[best] > 1e-12 else None


def best_point(points: Sequence[SweepPoint], measured: Sequence[int], goal: str, metric: str,
               slo: Slo | None) -> int | None:
    """``throughput``: the highest throughput; ``latency``: the lowest latency (of the SLO's metric, else
    ``metric``); both among the points that meet the SLO. Ties go to the earlier point."""
    candidates = [i for i in measured if slo is None or (points[i].latency_ns(slo.metric) or math.inf)
                  <= slo.limit_ns]
    if not candidates:
        return None
    if goal == "latency":
        key_metric = slo.metric if slo is not None else metric
        return min(candidates, key=lambda i: (points[i].latency_ns(key_metric) or math.inf, i))
    return max(candidates, key=lambda i: (points[i].throughput or 0.0, -i))


def parse_slo(text: str | None) -> Slo | None:
    """``p99<=20ms``, ``median<=5ms``, ``p95 <= 1.5s``."""
    if text is None:
        return None
    from ..units import parse_duration_ns

    match = re.fullmatch(r"\s*(median|mean|p\d{1,2}(?:\.\d+)?)\s*<=?\s*(\S+)\s*", text.lower())
    if not match:
        raise UsageError(f"--slo {text!r}: expected METRIC<=TIME, e.g. p99<=20ms (metrics: median, mean, pNN)")
    try:
        limit = parse_duration_ns(match.group(2))
    except ValueError as error:
        raise UsageError(f"--slo {text!r}: {error}") from None
    metric = match.group(1)
    if metric.startswith("p") and not 0 < float(metric[1:]) < 100:
        raise UsageError(f"--slo {text!r}: percentile must be between 0 and 100")
    if limit <= 0:
        raise UsageError(f"--slo {text!r}: the latency bound must be more than 0")
    return Slo(metric, limit)


def parse_axis(flag: str, text: str) -> list[str]:
    """``1,2,4`` (list), ``1..4`` (every integer), ``2..8:2`` (step), ``1..64:x2`` (times 2)."""
    values: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            raise UsageError(f"{flag} {text!r}: empty item in the list")
        match = re.fullmatch(r"(\d+)\.\.(\d+)(?::(x?)(\d+))?", item)
        if not match:
            values.append(item)
            continue
        low, high = int(match.group(1)), int(match.group(2))
        step, times = int(match.group(4) or 1), match.group(3) == "x"
        if low > high or step < 1 or (times and (step < 2 or low < 1)):
            raise UsageError(f"{flag} {item!r}: expected LOW..HIGH, LOW..HIGH:STEP or LOW..HIGH:xFACTOR")
        value = low
        while value <= high:
            values.append(str(value))
            value = value * step if times else value + step
    if len(values) > len(set(values)):
        raise UsageError(f"{flag} {text!r}: a value is listed twice")
    return values


def _median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0
