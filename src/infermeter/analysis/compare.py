"""Comparing two saved files (``infermeter compare A B``): configurations matched by label, each compared on
several metrics, with warnings when the two sides are not comparable (other machine, other precision, single
runs). The statistics of one comparison are the data model's (``results.comparison``), re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InputError
from ..results.comparison import (
    DEFAULT_THRESHOLD,
    EQUIVALENT,
    FASTER,
    INCONCLUSIVE,
    METRICS,
    SINGLE_RUNS,
    SLOWER,
    Comparison,
    band_verdict,
    compare_runs,
    describe_change,
    higher_is_better,
    metric_value,
    metric_values,
    welch_log_ratio,
    within_run_ratio,
)
from ..results.session import Session

__all__ = [
    "DEFAULT_THRESHOLD",
    "EQUIVALENT",
    "FASTER",
    "INCONCLUSIVE",
    "METRICS",
    "SINGLE_RUNS",
    "SINGLE_RUN_WARNING",
    "SLOWER",
    "Comparison",
    "FileComparison",
    "band_verdict",
    "compare_runs",
    "compare_sessions",
    "default_metric",
    "describe_change",
    "higher_is_better",
    "metric_value",
    "metric_values",
    "welch_log_ratio",
    "within_run_ratio",
    "within_session",
]


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


def default_metric(session: Session) -> str:
    """The metric a session is compared on by default: the headline its reports name (the scenario's)."""
    first = next((reports[0] for reports in session.reports if reports), None)
    return first.headline if first is not None else "throughput"


def within_session(session: Session, metrics: Sequence[str], threshold: float) -> list[FileComparison]:
    """Each compared configuration of one session against its baseline, as ``run`` compared them (paired by
    round, or by neighbouring units when interleaved)."""
    result = []
    for base, index in session.pairs():
        rows = tuple((metric, session.compare(base, index, metric, threshold)) for metric in metrics)
        result.append(FileComparison(f"{session.labels[index]} vs {session.labels[base]}", rows, ()))
    return result


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
            if first_a.engine.precision != first_b.engine.precision:
                warnings.append(f"precision differs: {first_a.engine.precision} vs {first_b.engine.precision}")
        if len(runs_a) == 1 and len(runs_b) == 1:
            warnings.append(SINGLE_RUN_WARNING)
        result.append(FileComparison(label, rows, tuple(warnings)))
    return result
