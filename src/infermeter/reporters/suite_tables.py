"""Markdown of a suite: model × configuration tables (throughput and median latency ± 95 % CI, with the
geometric mean of each configuration), the cost table, a fleet's machine × model table, and the notes."""

from __future__ import annotations

from ..results.suite import Suite
from .suite_console import cost_text, format_value, geomean_text, node_cpus, suite_notes
from .tables import _table, cell

TITLES = {"throughput": "throughput (items/s)", "median": "latency median"}


def suite_markdown(suite: Suite) -> str:
    state = " — PARTIAL" if suite.partial else ""
    lines = [f"### infermeter suite: {cell(suite.name)}, {len(suite.models)} model(s) × {len(suite.configs)} "
             f"configuration(s), {suite.rounds} round(s){state}", ""]
    for node in _nodes(suite):
        if node is not None:
            lines += [f"#### node {cell(node)}", ""]
        for metric in ("throughput", "median"):
            lines += [f"**{TITLES[metric]}**", "", *_metric_table(suite, metric, node), ""]
    if suite.nodes:
        lines += ["**fleet**", "", *_fleet_table(suite), ""]
    else:
        lines += ["**cost: CPU time per item · peak RSS**", "", *_table(
            ["model", *(cell(c.name) for c in suite.configs)], "l" + "r" * len(suite.configs),
            [[cell(m.name), *(cell(cost_text(suite.point(m.name, c.name))) for c in suite.configs)]
             for m in suite.models]), ""]
    lines.append("± is the 95% CI: per model over its rounds; the geometric mean's covers the measurement noise "
                 "of these models (docs/methodology.md).")
    lines += [f"- {cell(line)}" for line in suite_notes(suite)]
    return "\n".join(lines) + "\n"


def _metric_table(suite: Suite, metric: str, node: str | None) -> list[str]:
    rows = []
    for model in suite.models:
        values = []
        for config in suite.configs:
            point = suite.point(model.name, config.name, node)
            failed = point is not None and point.errors and not point.reports
            values.append("failed" if failed else cell(format_value(metric, point.interval(metric) if point else None)))
        rows.append([cell(model.name), *values])
    rows.append(["**geometric mean**", *(f"**{cell(geomean_text(suite.geomean(c.name, metric, node), metric))}**"
                                         for c in suite.configs)])
    return _table(["model", *(cell(c.name) for c in suite.configs)], "l" + "r" * len(suite.configs), rows)


def _fleet_table(suite: Suite) -> list[str]:
    config = suite.configs[0].name
    rows = []
    for node in suite.nodes:
        found = suite.geomean(config, "throughput", node)
        cpus = node_cpus(suite, node)
        rows.append([cell(node), *(cell(format_value("throughput", p.interval("throughput")) if p else "–")
                                   for p in (suite.point(m.name, config, node) for m in suite.models)),
                     cell(geomean_text(found, "throughput")),
                     f"{found.interval.estimate / cpus:,.1f}" if found is not None and cpus else "–",
                     f"{cpus:g}" if cpus else "–"])
    header = ["machine", *(cell(m.name) for m in suite.models), "geomean items/s per node", "per CPU", "CPUs"]
    return _table(header, "l" + "r" * (len(header) - 1), rows)


def _nodes(suite: Suite) -> list[str | None]:
    return [*suite.nodes] or [None]
