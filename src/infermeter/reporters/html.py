"""Self-contained HTML reports of a run, a session (several configurations) or a sweep.

One file each: inline CSS and inline SVG figures (``plots``), no script and no external reference, so it
opens offline and can be attached to a ticket. It shows the same facts as the console (``console``,
``comparison``, ``sweep_console``) plus the figures. Rendering is deterministic: the same input gives
byte-identical HTML. matplotlib is needed (the ``report`` extra); without it a UsageError says so.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from .. import __version__
from ..atomic import write_atomic
from ..errors import UsageError
from ..results.comparison import DEFAULT_THRESHOLD, describe_change
from ..results.report import Report
from ..results.session import Session
from ..results.sweep import AXES, Sweep
from ..units import format_duration, format_rate
from . import plots
from .comparison import SUMMARY_METRICS, format_interval, format_ratio, metric_label, verdict_counts
from .html_parts import (
    Html,
    card,
    counters_section,
    engine_facts,
    environment_facts,
    facts,
    figure,
    findings_list,
    groups_table,
    inputs_table,
    join,
    latencies,
    page,
    phases_facts,
    run_figures,
    section,
    statistics_table,
    summary_cards,
    table,
    tag,
)
from .sweep_console import sweep_findings

FOOTER = (f"Made by infermeter {__version__}. Self-contained: no script, no external resource. Every number is "
          "defined in docs/methodology.md; ± and [low, high] are 95 % confidence intervals.")


def report_html(report: Report) -> str:
    """One run: summary and verdict, figures, statistics, what was timed, set-up, inputs, environment."""
    plots.require_matplotlib()
    run = report.run
    measured = run is not None and run.count > 0
    engine = report.engine
    subtitle = (f"{engine.name} {engine.version} on {engine.device} · "
                f"{report.config.scenario} scenario · report created {report.created_utc}")
    parts = [summary_cards(report), findings_list(report)]
    if report.compile_only:
        parts.append(tag("p", "Compile only (-niter 0): the model was read and compiled; nothing was run.", "note"))
    if run is not None and measured:
        parts += [section("Latency", run_figures(run, "r")), section("Statistics", statistics_table(run)),
                  section("Latency per data shape", groups_table(run))]
    parts += [
        section("What was timed", tag("p", report.timed)),
        section("Set-up phases", phases_facts(report), tag("p", "Measured on their own, never part of the "
                                                                "samples.", "note")),
        section("Engine", engine_facts(report)),
        section("Inputs", inputs_table(report)),
        section("Per-layer counters (average over requests)", counters_section(report)),
        section("Environment", environment_facts(report.environment, run.cpu if run is not None else None)),
    ]
    return page(f"infermeter: {report.model.ref}", subtitle, parts, FOOTER)


def session_html(session: Session) -> str:
    """Several configurations measured interleaved in rounds: per-configuration values with CIs, the paired
    comparisons against the first configuration, and each configuration's latency histogram."""
    plots.require_matplotlib()
    first = next((report for reports in session.reports for report in reports), None)
    model = first.model.ref if first is not None else ""
    done = min((len(reports) for reports in session.reports), default=0)
    state = " · PARTIAL" + (" (interrupted)" if session.interrupted else "") if session.partial else ""
    subtitle = (f"{len(session.labels)} configuration(s) · {done} of {session.rounds} rounds each, interleaved, "
                f"order shuffled per round{state}")
    parts = [
        tag("p", f"error: {session.error}", "error") if session.error else "",
        section("Configurations", _configurations_table(session),
                tag("p", "Values: geometric mean over rounds ± 95 % CI across rounds (one round: the run's own "
                         "CI).", "note"),
                figure(plots.session_figure(session, "s"), "Throughput and median latency per configuration, "
                       "with 95 % confidence intervals.")),
        section(f"Against {session.labels[0]}" if session.labels else "Comparisons", _comparisons_table(session)),
        section("Latency per configuration", *(_configuration_block(session, index)
                                               for index in range(len(session.labels)))),
        section("Environment", environment_facts(first.environment) if first is not None else ""),
    ]
    if session.command:
        parts.append(section("Command", tag("pre", shlex.join(session.command))))
    return page(f"infermeter session: {model}", subtitle, parts, FOOTER)


def _configurations_table(session: Session) -> Html:
    rows = [[label, *(format_interval(metric, session.summary(index, metric)) for metric in SUMMARY_METRICS),
             f"{len(session.runs(index))}", verdict_counts(session, index)]
            for index, label in enumerate(session.labels)]
    return table(["configuration", *(metric_label(metric) for metric in SUMMARY_METRICS), "rounds", "verdicts"],
                 rows, numeric=(1, 2, 3, 4))


def _comparisons_table(session: Session) -> Html:
    if len(session.labels) < 2:
        return Html("")
    rows: list[list[object]] = []
    for metric in SUMMARY_METRICS:
        for label, comparison in session.comparisons(metric, DEFAULT_THRESHOLD):
            if comparison is None:
                rows.append([label, metric_label(metric), "–", "not enough data for a CI", ""])
            else:
                rows.append([label, metric_label(metric), format_ratio(comparison), describe_change(comparison),
                             comparison.method])
    return join([table(["configuration (B)", "metric", "ratio B/A [95 % CI]", "verdict", "method"], rows,
                       numeric=(2,)),
                 tag("p", f"A = {session.labels[0]}; ratios paired by round; threshold "
                          f"{DEFAULT_THRESHOLD:.1%}.", "note")])


def _configuration_block(session: Session, index: int) -> Html:
    label, runs, reports = session.labels[index], session.runs(index), session.reports[index]
    heading = tag("h3", label)
    if not runs:
        return join([heading, tag("p", "nothing was measured", "note")])
    engine = reports[0].engine
    described = " · ".join(str(part) for part in (
        f"{engine.name} {engine.version}", f"precision {engine.precision}",
        f"{engine.requests_in_flight} request(s) in flight",
        f"streams {engine.streams}" if engine.streams is not None else "",
        f"threads {engine.threads}" if engine.threads is not None else "") if part)
    samples = latencies(runs)
    svg = plots.latency_histogram(samples, f"s{index}h", title=f"Latency: {label}")
    return join([heading, tag("p", described, "note"),
                 figure(svg, f"{len(samples):,} requests of {len(runs)} round(s), pooled.")])


def sweep_html(sweep: Sweep) -> str:
    """A sweep: the best point and the knee, the throughput–latency curve with its Pareto frontier, every
    point (failed ones with their error), the best configuration's options, and its latency histogram."""
    plots.require_matplotlib()
    axes = " × ".join(f"{AXES[name][0]} {','.join(values)}" for name, values in sweep.axes.items() if name in AXES)
    slo = f", SLO {sweep.slo.text()}" if sweep.slo else ""
    subtitle = (f"{len(sweep.points)} point(s) over {axes} · {sweep.repeat} measurement(s) per point · latency = "
                f"{sweep.metric} · goal {sweep.goal}{slo}" + (" · PARTIAL" if sweep.partial else ""))
    parts = [
        _sweep_cards(sweep),
        Html('<ul class="findings">' + "".join(tag("li", line, "info") for line in sweep_findings(sweep)) + "</ul>"),
        section("Throughput against latency", figure(plots.sweep_figure(sweep, "w"), _curve_caption(sweep))),
        section("Points (by throughput)", _points_table(sweep)),
        _best_section(sweep),
        section("Environment", _sweep_environment(sweep)),
    ]
    if sweep.command:
        parts.append(section("Command", tag("pre", shlex.join(sweep.command))))
    return page(f"infermeter sweep: {sweep.model}", subtitle, parts, FOOTER)


def _sweep_cards(sweep: Sweep) -> Html:
    best, knee = sweep.best(), sweep.knee()
    failed = sum(1 for point in sweep.points if point.errors)
    cards = [card("points measured", f"{len(sweep.measured())} of {len(sweep.points)}",
                  f"{failed} failed" if failed else "none failed")]
    if best is None:
        cards.append(card(f"best ({sweep.goal})", "none", "no measured point meets the goal" + (
            f" and SLO {sweep.slo.text()}" if sweep.slo else "")))
    else:
        point = sweep.points[best]
        cards += [card(f"best ({sweep.goal})", point.label, "meets the SLO " + sweep.slo.text() if sweep.slo else
                       "no SLO given"),
                  card("best throughput", format_rate(point.throughput), "items/s"),
                  card(f"best latency {sweep.metric}", format_duration(point.latency_ns(sweep.metric)),
                       f"p99 {format_duration(point.latency_ns('p99'))}")]
    if knee is not None:
        cards.append(card("knee", sweep.points[knee].label, "past it, each step buys less throughput"))
    return Html('<div class="cards">' + "".join(cards) + "</div>")


def _curve_caption(sweep: Sweep) -> str:
    return (f"Every measured point (median over its repetitions) at its latency {sweep.metric} and throughput. The "
            "line joins the Pareto frontier: points no other point beats on both. Failed points are listed, not "
            "plotted.")


def _points_table(sweep: Sweep) -> Html:
    all_marks = sweep.marks()
    rows, classes = [], []
    for index in sweep.by_throughput():
        point = sweep.points[index]
        marks = ", ".join(all_marks[index])
        errors = "; ".join(point.errors)
        rows.append([point.label, format_rate(point.throughput), format_duration(point.latency_ns(sweep.metric)),
                     format_duration(point.latency_ns("p99")), f"{len(point.reports)}/{sweep.repeat}", marks,
                     f"failed: {errors}" if errors else ""])
        classes.append("best" if "best" in all_marks[index] else "failed" if point.errors else "")
    headers = ["point", "items/s", f"latency {sweep.metric}", "latency p99", "runs", "marks", "error"]
    if not any(point.errors for point in sweep.points):
        headers, rows = headers[:-1], [row[:-1] for row in rows]
    return table(headers, rows, numeric=(1, 2, 3, 4), row_classes=classes, nowrap=(5,))


def _best_section(sweep: Sweep) -> Html:
    best = sweep.best()
    if best is None:
        return Html("")
    point = sweep.points[best]
    command = ["infermeter", "run", sweep.model, *sweep.base_args]
    for name, value in point.options.items():
        command += [AXES[name][0] if name in AXES else f"--{name}", value]
    report = point.reports[0]
    parts = [facts([(name, value) for name, value in point.options.items()]),
             tag("p", "Measure it again with:", "note"), tag("pre", shlex.join(command)),
             tag("h3", "Engine of this point"), engine_facts(report)]
    runs = [r.run for r in point.reports if r.run is not None and r.run.count]
    if runs:
        samples = latencies(runs)
        parts.append(figure(plots.latency_histogram(samples, "wb", title=f"Latency: {point.label}"),
                            f"{len(samples):,} requests of the best point ({len(runs)} measurement(s), pooled)."))
    return section(f"Best configuration: {point.label}", *parts)


def _sweep_environment(sweep: Sweep) -> Html:
    report = next((report for point in sweep.points for report in point.reports), None)
    return environment_facts(report.environment) if report is not None else Html("")


def write_html(path: str | os.PathLike[str], html: str) -> Path:
    """Write atomically (a temp file in the same folder, then rename); any failure is a UsageError naming
    the path, and leaves an existing file untouched."""
    target = Path(path)
    try:
        write_atomic(target, html)
    except OSError as error:
        raise UsageError(f"cannot write the HTML report {target}: {error.strerror or error}") from None
    return target


from .suite_html import suite_html  # noqa: E402  (the renderer export.py looks up by name)

__all__ = ["report_html", "session_html", "suite_html", "sweep_html", "write_html"]
