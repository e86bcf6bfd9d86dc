"""Comparing two suites (``infermeter compare A.json B.json``): per configuration, each model's ratio B/A with
its CI and verdict (``results.comparison.compare_runs``: Welch over rounds, or single runs' within-run CIs,
which give no verdict), and the geometric mean of the per-model ratios with its CI, judged by the same
``Comparison.verdict``. Works across machines: the environments' differences are listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..results.comparison import SINGLE_RUNS, SLOWER, Comparison, compare_runs
from ..results.report import Report
from ..results.suite import Suite, SuitePoint
from ..stats import geomean


@dataclass(frozen=True)
class SuiteComparison:
    """One configuration of suite A against its match in suite B, on one metric."""

    config: str  # "ort", or "ort → ov" when the two suites' only configurations have different names
    metric: str
    models: tuple[tuple[str, Comparison | None], ...]  # per model measured on both sides
    geomean: Comparison | None  # of the per-model ratios
    missing: tuple[str, ...]  # models not measured on both sides
    machines: tuple[str, ...]  # what differs between the machines (first measurement of each side)

    def regressed(self) -> list[str]:
        """The models — and "geometric mean" — whose verdict is slower."""
        found = [model for model, comparison in self.models if comparison is not None and comparison.verdict == SLOWER]
        if self.geomean is not None and self.geomean.verdict == SLOWER:
            found.append("geometric mean")
        return found


def compare_suites(a: Suite, b: Suite, metric: str, threshold: float) -> list[SuiteComparison]:
    from ..machine.environment import differences

    if len(a.configs) == 1 and len(b.configs) == 1:
        pairs = [(a.configs[0].name, b.configs[0].name)]
    else:
        pairs = [(config.name, config.name) for config in a.configs if any(c.name == config.name for c in b.configs)]
        if not pairs:
            raise InputError(f"no configuration is in both suites ({', '.join(c.name for c in a.configs)} vs "
                             f"{', '.join(c.name for c in b.configs)})")
    result = []
    for name_a, name_b in pairs:
        rows, logs, missing = [], [], []
        for model in a.models:
            point_a, point_b = a.point(model.name, name_a), b.point(model.name, name_b)
            if point_a is None or point_b is None or not point_a.reports or not point_b.reports:
                missing.append(model.name)
                continue
            rows.append((model.name, _compare(point_a, point_b, metric, threshold)))
            log_a, log_b = point_a.log_mean(metric), point_b.log_mean(metric)
            if log_a is not None and log_b is not None:
                logs.append(geomean.difference(log_a, log_b))
        first_a, first_b = _first(a, name_a), _first(b, name_b)
        machines = tuple(differences(first_a.environment, first_b.environment)) if first_a and first_b else ()
        label = name_a if name_a == name_b else f"{name_a} → {name_b}"
        result.append(SuiteComparison(label, metric, tuple(rows), _geomean(a, b, name_a, name_b, metric, logs,
                                                                            threshold), tuple(missing), machines))
    return result


def _compare(point_a: SuitePoint, point_b: SuitePoint, metric: str, threshold: float) -> Comparison | None:
    runs_a = [r.run for r in point_a.reports if r.run is not None]
    runs_b = [r.run for r in point_b.reports if r.run is not None]
    return compare_runs(runs_a, runs_b, metric, threshold)


def _geomean(a: Suite, b: Suite, name_a: str, name_b: str, metric: str, logs: list[geomean.LogMean],
             threshold: float) -> Comparison | None:
    if not logs:
        return None
    ratio = geomean.average(logs)
    single = ratio.single
    value_a, value_b = a.geomean(name_a, metric), b.geomean(name_b, metric)
    method = SINGLE_RUNS if single else f"geometric mean of {len(logs)} model ratios, rounds (Welch–Satterthwaite)"
    return Comparison(metric, value_a.interval.estimate if value_a else float("nan"),
                      value_b.interval.estimate if value_b else float("nan"), ratio.interval(), method, threshold)


def _first(suite: Suite, config: str) -> Report | None:
    return next((r for p in suite.points if p.config == config for r in p.reports), None)
