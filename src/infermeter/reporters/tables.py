"""Markdown and CSV renderings of a report, a session or a sweep: text people paste and load (pure functions).

Markdown is for pull-request comments and READMEs (rounded, with units). CSV is for loading: numbers in full
precision (integer nanoseconds stay integers, floats round-trip), an empty cell when a value is missing.

- ``runs_csv``: one row per measurement. A report is one row; a session one per configuration × round; a
  sweep one per point × repetition (a failed repetition is a row with only its ``error``), with the swept
  options as ``option_<name>`` columns.
- ``samples_csv``: one row per request: its start offset from the run's first submission and its latency.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, TypeAlias

import numpy as np

from ..analysis.compare import default_metric
from ..results.comparison import DEFAULT_THRESHOLD, SLOWER, describe_change
from ..results.report import Report
from ..results.session import Session
from ..results.suite import Suite
from ..results.sweep import Sweep
from ..units import format_duration, format_durations_common, format_rate, format_rate_interval
from .comparison import SUMMARY_METRICS, format_interval, format_ratio, metric_label, verdict_counts
from .sweep_console import sweep_findings

Exportable: TypeAlias = "Report | Session | Sweep | Suite"
Exportables: TypeAlias = "Report | Session | Sweep | Suite | Sequence[Report | Session | Sweep | Suite]"

# name -> type of the value: str | int | float | bool (numbers are empty when missing)
RUN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("label", "str"), ("round", "int"), ("engine", "str"), ("device", "str"), ("precision", "str"),
    ("scenario", "str"), ("requests_in_flight", "int"), ("batch", "int"), ("count", "int"), ("window_ns", "int"),
    ("throughput_items_per_s", "float"), ("throughput_ci_low", "float"), ("throughput_ci_high", "float"),
    ("latency_mean_ns", "float"), ("latency_median_ns", "float"), ("latency_p90_ns", "float"),
    ("latency_p95_ns", "float"), ("latency_p99_ns", "float"), ("latency_min_ns", "int"), ("latency_max_ns", "int"),
    ("latency_median_ci_low_ns", "float"), ("latency_median_ci_high_ns", "float"), ("cpu_ns_per_item", "float"),
    ("machine_busy_share", "float"), ("peak_rss_read_bytes", "int"), ("peak_rss_compile_bytes", "int"),
    ("peak_rss_measure_bytes", "int"), ("verdict", "str"),
    ("partial", "bool"), ("error", "str"),
)
SAMPLE_COLUMNS = ("label", "round", "index", "start_offset_ns", "latency_ns")
OPTION_PREFIX = "option_"


# --- measurements: what every export iterates over ----------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """One measurement: its label, round (1-based), report (None when it failed) and the swept options."""

    label: str
    round: int
    report: Report | None
    options: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def measurements(items: Exportables) -> list[Measurement]:
    """Every measurement of a report, a session, a sweep, or a sequence of them, in order."""
    if isinstance(items, (Report, Session, Sweep, Suite)):
        return _measurements(items)
    return [m for item in items for m in _measurements(item)]


def _measurements(item: Exportable) -> list[Measurement]:
    if isinstance(item, Report):
        return [Measurement(item.model.ref, 1, item)]
    if isinstance(item, Session):
        return [Measurement(label, number, report) for label, reports in zip(item.labels, item.reports, strict=True)
                for number, report in enumerate(reports, start=1)]
    if isinstance(item, Sweep):
        found = []
        for point in item.points:
            done = len(point.reports)
            found += [Measurement(point.label, k, r, dict(point.options)) for k, r in enumerate(point.reports, 1)]
            found += [Measurement(point.label, done + k, None, dict(point.options), error)
                      for k, error in enumerate(point.errors, 1)]
        return found
    if isinstance(item, Suite):
        return [Measurement(point.label, run.round, run.report if run.error is None else None,
                            {"model": point.model, "config": point.config, **({"node": point.node} if point.node
                                                                              else {})}, run.error)
                for point in item.points for run in point.runs]
    raise TypeError(f"cannot export a {type(item).__name__}: expected a Report, Session, Sweep or Suite")


# --- CSV ------------------------------------------------------------------------------------------------------


def run_rows(items: Exportables) -> tuple[list[str], list[list[Any]]]:
    """Column names and one row of typed values (None when missing) per measurement."""
    found = measurements(items)
    options = list(dict.fromkeys(key for m in found for key in m.options))
    header = [name for name, _ in RUN_COLUMNS] + [OPTION_PREFIX + key for key in options]
    rows = []
    for measurement in found:
        values = run_values(measurement)
        rows.append([values.get(name) for name, _ in RUN_COLUMNS] + [measurement.options.get(k) for k in options])
    return header, rows


def run_values(measurement: Measurement) -> dict[str, Any]:
    """The RUN_COLUMNS of one measurement that it has."""
    values: dict[str, Any] = {"label": measurement.label, "round": measurement.round, "error": measurement.error}
    report = measurement.report
    if report is None:
        return values
    engine = report.engine
    values.update(engine=engine.name, device=engine.device, precision=engine.precision,
                  scenario=report.config.scenario, requests_in_flight=engine.requests_in_flight,
                  batch=report.model.batch, verdict=report.verdict, partial=report.partial,
                  error=report.error)
    cost = report.cost
    if cost.memory is not None:
        values.update(peak_rss_read_bytes=cost.memory.read_bytes, peak_rss_compile_bytes=cost.memory.compile_bytes,
                      peak_rss_measure_bytes=cost.memory.measure_bytes)
    values.update(cpu_ns_per_item=cost.cpu_ns_per_item, machine_busy_share=cost.machine_busy_share)
    run = report.run
    if run is None:
        return values
    values.update(scenario=run.scenario, requests_in_flight=run.requests, batch=run.batch, count=run.count,
                  window_ns=run.window_ns, throughput_items_per_s=run.throughput)
    if run.count == 0:
        return values
    throughput_ci, latency = run.throughput_interval, run.latency
    median_ci = latency.median_interval
    values.update(throughput_ci_low=throughput_ci.low if throughput_ci else None,
                  throughput_ci_high=throughput_ci.high if throughput_ci else None,
                  latency_mean_ns=latency.mean, latency_median_ns=latency.median,
                  latency_p90_ns=latency.percentile(90.0), latency_p95_ns=latency.percentile(95.0),
                  latency_p99_ns=latency.percentile(99.0), latency_min_ns=latency.minimum,
                  latency_max_ns=latency.maximum, latency_median_ci_low_ns=median_ci.low if median_ci else None,
                  latency_median_ci_high_ns=median_ci.high if median_ci else None)
    return values


def runs_csv(items: Exportables) -> str:
    """One row per measurement (see the module doc); ``\\n`` line endings."""
    header, rows = run_rows(items)
    return _csv([header, *([csv_value(value) for value in row] for row in rows)])


def csv_value(value: Any) -> str:
    """Empty when missing; ``true``/``false``; ints as ints; floats round-trip exact (non-finite: empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


@dataclass(frozen=True)
class SampleBlock:
    """The samples of one measurement: start offsets from its first submission and latencies (int64 ns)."""

    label: str
    round: int
    start_offset_ns: np.ndarray
    latency_ns: np.ndarray
    group: np.ndarray | None = None  # shape group index of each sample (-data_shape)


def sample_blocks(items: Exportables) -> list[SampleBlock]:
    blocks = []
    for measurement in measurements(items):
        run = measurement.report.run if measurement.report is not None else None
        if run is None or run.count == 0:
            continue
        starts = np.asarray(run.start_ns, dtype=np.int64)
        blocks.append(SampleBlock(measurement.label, measurement.round, starts - starts.min(),
                                  np.asarray(run.latency_ns, dtype=np.int64),
                                  np.asarray(run.groups, dtype=np.int64) if run.groups is not None else None))
    return blocks


def samples_csv(items: Exportables) -> str:
    """One row per request: label, round, index, start_offset_ns, latency_ns (+ group with shape groups)."""
    blocks = sample_blocks(items)
    grouped = any(block.group is not None for block in blocks)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*SAMPLE_COLUMNS, *(["group"] if grouped else [])])
    for block in blocks:
        count = len(block.latency_ns)
        columns: list[Iterable[Any]] = [repeat(block.label, count), repeat(block.round, count), range(count),
                                        block.start_offset_ns.tolist(), block.latency_ns.tolist()]
        if grouped:
            columns.append(block.group.tolist() if block.group is not None else repeat("", count))
        writer.writerows(zip(*columns, strict=False))  # repeat() is endless: range(count) bounds it
    return buffer.getvalue()


def _csv(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


# --- Markdown --------------------------------------------------------------------------------------------------


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell: no pipes, no line breaks."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _table(header: Sequence[str], align: str, rows: Iterable[Sequence[str]]) -> list[str]:
    """``align``: one character per column, ``l`` or ``r``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def report_markdown(report: Report) -> str:
    """Setup, results ± 95 % CI, verdict with findings codes and what was timed, for a pull request."""
    run, engine = report.run, report.engine
    state = f" — PARTIAL ({run.stop_reason if run is not None else 'nothing measured'})" if report.partial else ""
    batch = run.batch if run is not None else report.model.batch
    setup = [cell(report.model.ref), cell(f"{engine.name} {engine.version}"), cell(engine.device),
             cell(engine.precision), cell(report.config.scenario), cell(engine.requests_in_flight), cell(batch)]
    lines = [f"### infermeter: {cell(report.model.ref)}{state}", ""]
    lines += _table(("model", "engine", "device", "precision", "scenario", "requests in flight", "batch"),
                    "lllllrr", [setup])
    lines += ["", *_results_markdown(report), "", verdict_markdown(report)]
    if report.error:
        lines.append(f"\nerror: {cell(report.error)}")
    if report.timed:
        lines += ["", f"What was timed: {report.timed}"]
    return "\n".join(lines) + "\n"


def _results_markdown(report: Report) -> list[str]:
    run = report.run
    if report.compile_only:
        return ["compile only (-niter 0): the model was read and compiled; nothing was run"]
    if run is None or run.count == 0:
        return ["nothing was measured"]
    latency = run.latency
    names = ("median", "p90", "p95", "p99", "mean", "min", "max")
    values = [latency.median, latency.percentile(90), latency.percentile(95), latency.percentile(99), latency.mean,
              latency.minimum, latency.maximum]
    intervals = [latency.interval(p) for p in (50.0, 90.0, 95.0, 99.0)] + [None, None, None]
    texts, unit = format_durations_common([None if v is None else float(v) for v in values], latency.median)
    halves, _ = format_durations_common([i.half_width if i else None for i in intervals], latency.median)
    throughput = run.throughput_interval
    rows = [["throughput", format_rate_interval(run.throughput, throughput.half_width) if throughput
             else format_rate(run.throughput), "items/s"]]
    for index, name in enumerate(names):
        shown = f"{texts[index]} ± {halves[index]}" if intervals[index] is not None else texts[index]
        note = unit if values[index] is not None else f"needs more samples ({run.count} taken)"
        rows.append([f"latency {name}", shown, note])
    from .console import cost_rows

    rows += [list(row) for row in cost_rows(report)]
    footer = (f"{run.count:,} requests ({run.items:,} items) in {format_duration(run.window_ns)}; "
              "± is the 95% confidence interval")
    return [*_table(("metric", "value", "unit"), "lrl", rows), "", footer]


def verdict_markdown(report: Report) -> str:
    problems = [f.code for f in report.findings if f.effect != "info"]
    notes = [f.code for f in report.findings if f.effect == "info"]
    text = f"**Verdict: {report.verdict}**" + (f" ({', '.join(problems)})" if problems else "")
    return text + (f"; notes: {', '.join(notes)}" if notes else "")


def session_markdown(session: Session, metric: str | None = None, threshold: float = DEFAULT_THRESHOLD) -> str:
    """One row per configuration (value ± CI across rounds) and its ratio to the first, paired by round."""
    metric = metric or default_metric(session)
    done = min((len(r) for r in session.reports), default=0)
    state = " — PARTIAL" if session.partial else ""
    comparisons = dict(session.comparisons(metric, threshold))
    baseline = session.labels[0] if session.labels else ""
    header = ["configuration", *(metric_label(name) for name in SUMMARY_METRICS),
              f"B/A {metric} [95% CI]", "verdict", "runs"]
    rows, methods = [], set()
    for index, label in enumerate(session.labels):
        cells = [cell(label), *(format_interval(name, session.summary(index, name)) for name in SUMMARY_METRICS)]
        comparison = comparisons.get(label)
        if index == 0:
            cells += ["baseline", ""]
        elif comparison is None:
            cells += ["–", "not enough data for a CI"]
        else:
            methods.add(comparison.method)
            change = describe_change(comparison)
            cells += [format_ratio(comparison), f"**{change}**" if comparison.verdict == SLOWER else change]
        rows.append([*cells, cell(verdict_counts(session, index))])
    lines = [f"### infermeter session: {len(session.labels)} configuration(s), {done} of {session.rounds} "
             f"round(s) each{state}", "", *_table(header, "lrrrrll", rows), ""]
    lines.append("Values: geometric mean over rounds ± 95% CI across rounds (one round: the run's own CI). "
                 f"Ratios B/A: B = the row's configuration, A = {cell(baseline)}"
                 + (f", {', '.join(sorted(methods))}" if methods else "") + f"; threshold {threshold:.1%}.")
    if session.error:
        lines.append(f"\nstopped early: {cell(session.error)}")
    return "\n".join(lines) + "\n"


def sweep_markdown(sweep: Sweep) -> str:
    """Points by throughput (highest first) with best / knee / frontier marks, failed points, and the findings."""
    all_marks = sweep.marks()
    rows = []
    for index in sweep.by_throughput():
        point = sweep.points[index]
        marks = all_marks[index]
        notes = ", ".join(marks) + ("; " if marks and point.errors else "")
        notes += f"failed ({len(point.errors)}): {point.errors[0]}" if point.errors else ""
        label = f"**{cell(point.label)}**" if "best" in marks else cell(point.label)
        rows.append([label, format_rate(point.throughput), format_duration(point.latency_ns(sweep.metric)),
                     format_duration(point.latency_ns("p99")), f"{len(point.reports)}/{sweep.repeat}", cell(notes)])
    state = " — PARTIAL" if sweep.partial else ""
    lines = [f"### infermeter sweep: {cell(sweep.model)}, {len(sweep.points)} point(s), {sweep.repeat} "
             f"measurement(s) each{state}", ""]
    lines += _table(("point", "items/s", f"latency {sweep.metric}", "latency p99", "runs", "notes"), "lrrrrl", rows)
    lines += ["", *(f"- {cell(line)}" for line in sweep_findings(sweep))]
    return "\n".join(lines) + "\n"
