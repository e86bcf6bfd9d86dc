"""Console rendering of a suite: model × configuration tables of throughput, latency and cost, the geometric
mean of each configuration with its 95 % CI, failed points; a fleet run's machine × model table."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..results.suite import SINGLE_RUNS, Geomean, Suite, SuitePoint
from ..stats.intervals import Interval
from ..units import format_duration, format_rate, format_rate_interval

METRIC_TITLES = {"throughput": "throughput (items/s)", "median": "latency median"}
WIDE = 1.5  # an interval whose high / low is more than this is shown as [low, high] (log-scale CIs are skewed)


def render_suite(suite: Suite, console: Console, quiet: bool = False) -> None:
    if quiet:
        console.print(suite_summary_line(suite), soft_wrap=True, highlight=False)
        return
    if suite.nodes:
        for config in suite.configs:
            console.print(fleet_table(suite, config.name))
    else:
        for metric in ("throughput", "median"):
            console.print(metric_table(suite, metric))
        console.print(cost_table(suite))
    for line in suite_notes(suite):
        console.print(Text(line), soft_wrap=True)


def format_value(metric: str, interval: Interval | None) -> str:
    if interval is None:
        return "–"
    interval = Interval(*(float(f"{v:.12g}") for v in (interval.estimate, interval.low, interval.high)))  # exp∘log
    show = format_rate if metric == "throughput" else format_duration
    if interval.low > 0 and interval.high / interval.low > WIDE:  # far from symmetric: the bounds, not ±
        return f"{show(interval.estimate)} [{show(interval.low)}, {show(interval.high)}]"
    if metric == "throughput":
        return format_rate_interval(interval.estimate, interval.half_width)
    return f"{format_duration(interval.estimate)} ± {format_duration(interval.half_width)}"


def metric_table(suite: Suite, metric: str, node: str | None = None) -> Table:
    table = Table(title=f"{METRIC_TITLES[metric]}: {suite.name}, {suite.rounds} round(s) per point"
                  + (" — PARTIAL" if suite.partial else ""), title_justify="left")
    table.add_column("model")
    for config in suite.configs:
        table.add_column(config.name, justify="right")
    for model in suite.models:
        cells = [_cell(suite.point(model.name, config.name, node), metric) for config in suite.configs]
        table.add_row(escape(model.name), *cells)
    table.add_row(Text("geometric mean", style="bold"), *(Text(geomean_text(
        suite.geomean(config.name, metric, node), metric), style="bold") for config in suite.configs))
    return table


def _cell(point: SuitePoint | None, metric: str) -> str:
    if point is None:
        return ""
    if point.errors and not point.reports:
        return "failed"
    return escape(format_value(metric, point.interval(metric)))


def geomean_text(found: Geomean | None, metric: str) -> str:
    if found is None:
        return "–"
    text = format_value(metric, found.interval)
    if len(found.models) < found.of:
        text += f" ({len(found.models)} of {found.of} models)"
    return text + (" (within-run CIs)" if found.method == SINGLE_RUNS else "")


def cost_table(suite: Suite) -> Table:
    """Per point: CPU time per item and peak RSS (the median over rounds)."""
    table = Table(title="cost: CPU time per item · peak RSS", title_justify="left", min_width=48)
    table.add_column("model")
    for config in suite.configs:
        table.add_column(config.name, justify="right")
    for model in suite.models:
        table.add_row(escape(model.name), *(cost_text(suite.point(model.name, config.name)) for config in
                                            suite.configs))
    return table


def cost_text(point: SuitePoint | None) -> str:
    from .console import format_bytes

    reports = point.reports if point is not None else ()
    cpu = _median([r.cost.cpu_ns_per_item for r in reports])
    rss = _median([r.cost.memory.peak_bytes if r.cost.memory is not None else None for r in reports])
    if cpu is None and rss is None:
        return "–"
    return " · ".join(text for text in (format_duration(cpu) if cpu is not None else None,
                                        format_bytes(int(rss)) if rss is not None else None) if text)


def fleet_table(suite: Suite, config: str) -> Table:
    """Machine × model: items/s of every model in ``config``, the geometric mean per node and per CPU."""
    table = Table(title=f"fleet: items/s per machine, configuration {config}" + (" — PARTIAL" if suite.partial
                                                                                  else ""), title_justify="left")
    for column in ("machine", *(model.name for model in suite.models), "geomean /node", "geomean /CPU", "CPUs"):
        table.add_column(escape(column), justify="left" if column == "machine" else "right")
    for node in suite.nodes:
        cells = [_cell(suite.point(model.name, config, node), "throughput") for model in suite.models]
        found = suite.geomean(config, "throughput", node)
        cpus = node_cpus(suite, node)
        per_cpu = format_rate(found.interval.estimate / cpus) if found is not None and cpus else "–"
        table.add_row(escape(node), *cells, geomean_text(found, "throughput"), per_cpu,
                      f"{cpus:g}" if cpus else "–")
    return table


def node_cpus(suite: Suite, node: str) -> float | None:
    for point in suite.points:
        for run in point.runs:
            if point.node == node and run.placement is not None and run.placement.cpus:
                return run.placement.cpus
    return None


def suite_notes(suite: Suite) -> list[str]:
    lines = []
    for point in suite.failed():
        lines.append(f"failed: {point.label}: {point.errors[0]}" + (f" ({len(point.errors)} of {len(point.runs)} "
                                                                    "runs)" if len(point.runs) > 1 else ""))
    for point in suite.points:
        for run in point.runs:
            placement = run.placement
            if placement is not None and placement.attempts > 1:
                lines.append(f"retried: {point.label} round {run.round} ran again on {placement.node}: "
                             f"{placement.retry_reason}")
    single = any(g is not None and g.method == SINGLE_RUNS for g in
                 (suite.geomean(c.name, "throughput") for c in suite.configs))
    if single:
        lines.append("one round per point: each CI covers noise inside its run only; give the suite rounds = 3 "
                     "(or more) for CIs across runs")
    if suite.partial:
        lines.append("the suite is partial: not every point was measured as often as asked")
    return lines


def suite_summary_line(suite: Suite) -> str:
    measured = sum(1 for point in suite.points if point.reports)
    text = f"{measured} of {len(suite.points)} points measured"
    failed = len(suite.failed())
    text += f", {failed} failed" if failed else ""
    for config in suite.configs:
        found = suite.geomean(config.name, "throughput")
        if found is not None:
            text += f" · {config.name}: geomean {format_value('throughput', found.interval)} items/s"
    return text


def _median(values: list[float | int | None]) -> float | None:
    found = sorted(float(v) for v in values if v is not None)
    if not found:
        return None
    middle = len(found) // 2
    return found[middle] if len(found) % 2 else (found[middle - 1] + found[middle]) / 2
