"""Notebook helpers: results as pandas DataFrames, and a small self-contained HTML summary for Jupyter.

``to_pandas`` gives the rows of ``runs_csv`` (one per measurement) or of ``samples_csv`` (one per request)
with real dtypes: integer nanoseconds stay ``int64`` (nullable ``Int64`` when some are missing), statistics
are ``float64`` (NaN when missing). pandas is imported only when asked for.
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..analysis.compare import default_metric
from ..errors import UsageError
from ..results.comparison import DEFAULT_THRESHOLD
from ..results.report import Report
from ..results.session import Session
from ..results.sweep import Sweep
from ..units import format_duration, format_rate
from .comparison import SUMMARY_METRICS, format_interval, format_ratio, metric_label
from .tables import RUN_COLUMNS, Exportable, Exportables, run_rows, sample_blocks

_VERDICT_COLOUR = {"VALID": "#1a7f37", "UNSTABLE": "#9a6700", "INSUFFICIENT": "#cf222e"}


def _pandas() -> Any:
    try:
        return importlib.import_module("pandas")
    except ImportError:
        raise UsageError("to_pandas needs pandas: pip install pandas") from None


def to_pandas(item: Exportables, samples: bool = False) -> Any:
    """A ``pandas.DataFrame``: one row per measurement (the ``runs_csv`` columns), or with ``samples=True``
    one row per request (label, round, index, start_offset_ns, latency_ns, and group with shape groups)."""
    pandas = _pandas()
    if samples:
        return _samples_frame(pandas, item)
    header, rows = run_rows(item)
    kinds = dict(RUN_COLUMNS)
    columns = {name: _column(pandas, [row[k] for row in rows], kinds.get(name, "str"))
               for k, name in enumerate(header)}
    return pandas.DataFrame(columns, columns=header)


def _column(pandas: Any, values: list[Any], kind: str) -> Any:
    missing = any(value is None for value in values)
    if kind == "int":
        return pandas.array(values, dtype="Int64") if missing else np.array(values, dtype=np.int64)
    if kind == "float":
        return np.array([np.nan if value is None else float(value) for value in values], dtype=np.float64)
    if kind == "bool":
        return pandas.array(values, dtype="boolean") if missing else np.array(values, dtype=np.bool_)
    return pandas.array(values, dtype=object)


def _samples_frame(pandas: Any, item: Exportables) -> Any:
    blocks = sample_blocks(item)
    sizes = [len(block.latency_ns) for block in blocks]

    def joined(parts: Sequence[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)

    columns: dict[str, Any] = {
        "label": pandas.array(np.repeat(np.array([b.label for b in blocks], dtype=object), sizes), dtype=object),
        "round": joined([np.full(size, b.round) for b, size in zip(blocks, sizes, strict=True)]),
        "index": joined([np.arange(size) for size in sizes]),
        "start_offset_ns": joined([b.start_offset_ns for b in blocks]),
        "latency_ns": joined([b.latency_ns for b in blocks]),
    }
    if any(b.group is not None for b in blocks):
        if all(b.group is not None for b in blocks):
            columns["group"] = joined([b.group for b in blocks if b.group is not None])
        else:
            values = [v for b in blocks for v in (b.group.tolist() if b.group is not None else [None] * len(
                b.latency_ns))]
            columns["group"] = pandas.array(values, dtype="Int64")
    return pandas.DataFrame(columns)


# --- HTML for Jupyter ---------------------------------------------------------------------------------------------


def repr_html(item: Exportable) -> str:
    """A small self-contained HTML table (summary and verdict) for ``_repr_html_``; all text escaped."""
    if isinstance(item, Session):
        return _session_html(item)
    if isinstance(item, Sweep):
        return _sweep_html(item)
    if isinstance(item, Report):
        return _report_html(item)
    raise TypeError(f"no HTML summary for a {type(item).__name__}")


def _html_table(caption: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """``caption`` and ``header`` are escaped here; cells must already be HTML (escape them with ``_e``)."""
    head = "".join(f"<th style=\"text-align:left\">{_e(name)}</th>" for name in header)
    body = "".join("<tr>" + "".join(f"<td style=\"text-align:left\">{value}</td>" for value in row) + "</tr>"
                   for row in rows)
    return (f"<table class=\"infermeter\"><caption style=\"text-align:left\">{_e(caption)}</caption>"
            f"{f'<thead><tr>{head}</tr></thead>' if header else ''}<tbody>{body}</tbody></table>")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _verdict_html(verdict: str, codes: Sequence[str]) -> str:
    colour = _VERDICT_COLOUR.get(verdict, "inherit")
    suffix = f" ({_e(', '.join(codes))})" if codes else ""
    return f"<b style=\"color:{colour}\">{_e(verdict)}</b>{suffix}"


def _metric_text(report: Report, metric: str) -> str:
    run = report.run
    if run is None or run.count == 0:
        return "–"
    interval = run.metric_interval(metric)
    if interval is not None:
        return format_interval(metric, interval)
    if metric == "throughput":
        return format_rate(run.throughput)
    return format_duration(run.latency.percentile(50.0 if metric == "median" else float(metric[1:])))


def _report_html(report: Report) -> str:
    engine, run = report.engine, report.run
    caption = (f"infermeter: {report.model.ref} — {engine.name} {engine.version} · {engine.device} · "
               f"{report.config.scenario} · {engine.requests_in_flight} in flight · batch {report.model.batch}")
    if report.partial:
        caption += " — PARTIAL"
    rows = [["throughput (items/s)", _e(_metric_text(report, "throughput"))]]
    rows += [[f"latency {metric}", _e(_metric_text(report, metric))] for metric in ("median", "p99")]
    rows.append(["requests", _e(f"{run.count:,}" if run is not None else "0")])
    codes = [finding.code for finding in report.findings if finding.effect != "info"]
    rows.append(["verdict", _verdict_html(report.verdict, codes)])
    if report.error:
        rows.append(["error", _e(report.error)])
    return _html_table(caption, (), [[_e(name), value] for name, value in rows])


def _session_html(session: Session) -> str:
    metric = default_metric(session)
    comparisons = dict(session.comparisons(metric, DEFAULT_THRESHOLD))
    rows = []
    for index, label in enumerate(session.labels):
        values = [_e(format_interval(metric, session.summary(index, metric))) for metric in SUMMARY_METRICS]
        comparison = comparisons.get(label)
        ratio = "baseline" if index == 0 else format_ratio(comparison) if comparison is not None else "–"
        verdicts = sorted({report.verdict for report in session.reports[index]})
        rows.append([_e(label), *values, _e(ratio), ", ".join(_verdict_html(v, ()) for v in verdicts)])
    done = min((len(r) for r in session.reports), default=0)
    caption = f"infermeter session: {len(session.labels)} configuration(s), {done} of {session.rounds} round(s)"
    caption += " — PARTIAL" if session.partial else ""
    header = ["configuration", *(metric_label(m) for m in SUMMARY_METRICS), f"B/A {metric} [95% CI]",
              "verdicts"]
    return _html_table(caption, header, rows)


def _sweep_html(sweep: Sweep) -> str:
    all_marks = sweep.marks()
    rows = []
    for index in sweep.by_throughput():
        point = sweep.points[index]
        marks = all_marks[index] + ([f"failed: {point.errors[0]}"] if point.errors else [])
        rows.append([_e(point.label), _e(format_rate(point.throughput)),
                     _e(format_duration(point.latency_ns(sweep.metric))), _e(f"{len(point.reports)}/{sweep.repeat}"),
                     _e(", ".join(marks))])
    caption = f"infermeter sweep: {sweep.model}, {len(sweep.points)} point(s)" + (" — PARTIAL" if sweep.partial
                                                                                  else "")
    return _html_table(caption, ["point", "items/s", f"latency {sweep.metric}", "runs", "notes"], rows)
