"""Console rendering of a sweep: the points sorted by throughput, the frontier, the knee and the best point."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..results.sweep import Sweep
from ..units import format_duration, format_rate


def render_sweep(sweep: Sweep, console: Console, quiet: bool = False) -> None:
    if quiet:
        console.print(sweep_summary_line(sweep), soft_wrap=True, highlight=False)
        return
    table = Table(title=f"Sweep of {sweep.model} ({sweep.repeat} measurement(s) per point, latency = "
                        f"{sweep.metric})", title_justify="left")
    for column in ("point", "items/s", f"latency {sweep.metric}", "latency p99", "runs", "notes"):
        table.add_column(column, justify="right" if column not in ("point", "notes") else "left")
    marks = sweep.marks()
    for index in sweep.by_throughput():
        point = sweep.points[index]
        notes = ", ".join(marks[index])
        if point.errors:
            notes = (notes + "; " if notes else "") + f"failed: {point.errors[0]}"
        table.add_row(escape(point.label), format_rate(point.throughput),
                      format_duration(point.latency_ns(sweep.metric)), format_duration(point.latency_ns("p99")),
                      f"{len(point.reports)}/{sweep.repeat}", escape(notes),
                      style="bold" if "best" in marks[index] else None)
    console.print(table)
    for line in sweep_findings(sweep):
        console.print(Text(line), soft_wrap=True)


def sweep_findings(sweep: Sweep) -> list[str]:
    """The frontier, the knee and the best point, in words."""
    lines = []
    frontier = sweep.pareto()
    if frontier:
        lines.append("Pareto frontier (no other point has both more throughput and less latency): "
                     + " → ".join(sweep.points[i].label for i in frontier))
    knee = sweep.knee()
    if knee is not None:
        lines.append(f"knee: {sweep.points[knee].label} — past it, each step buys less throughput per unit "
                     "of added latency")
    best = sweep.best()
    goal = f"goal {sweep.goal}" + (f", SLO {sweep.slo.text()}" if sweep.slo else "")
    if best is None:
        unknown = sweep.slo is not None and all(sweep.points[i].latency_ns(sweep.slo.metric) is None
                                                for i in sweep.measured())
        reason = (f"the {sweep.slo.metric} is unknown for every point (too few requests per run: measure longer "
                  "with -t or -niter)" if unknown and sweep.slo is not None else "no measured point meets it")
        lines.append(f"best ({goal}): {reason}")
    else:
        point = sweep.points[best]
        lines.append(f"best ({goal}): {point.label} — {format_rate(point.throughput)} items/s, {sweep.metric} "
                     f"{format_duration(point.latency_ns(sweep.metric))}")
    if sweep.partial:
        lines.append("the sweep is partial: not every point was measured as often as asked")
    return lines


def sweep_summary_line(sweep: Sweep) -> str:
    best = sweep.best()
    measured = len(sweep.measured())
    failed = sum(1 for p in sweep.points if p.errors)
    text = f"{measured} of {len(sweep.points)} points measured"
    text += f", {failed} failed" if failed else ""
    if best is not None:
        point = sweep.points[best]
        text += (f" · best ({sweep.goal}): {point.label} {format_rate(point.throughput)} items/s, "
                 f"{sweep.metric} {format_duration(point.latency_ns(sweep.metric))}")
    return text
