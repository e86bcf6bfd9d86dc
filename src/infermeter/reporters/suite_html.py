"""HTML of a suite: the geometric means as cards, the model × configuration tables, the fleet table, notes."""

from __future__ import annotations

import shlex

from .. import __version__
from ..results.suite import Suite
from .html_parts import Html, card, environment_facts, page, section, table, tag
from .suite_console import cost_text, format_value, geomean_text, node_cpus, suite_notes

FOOTER = (f"Made by infermeter {__version__}. Self-contained: no script, no external resource. ± is the 95 % "
          "confidence interval (docs/methodology.md).")


def suite_html(suite: Suite) -> str:
    subtitle = (f"{len(suite.models)} model(s) × {len(suite.configs)} configuration(s) · {suite.rounds} round(s)"
                + (f" · cluster {suite.cluster}" if suite.cluster else "") + (" · PARTIAL" if suite.partial else ""))
    parts = [_cards(suite)]
    for node in _nodes(suite):
        where = f" on {node}" if node else ""
        parts += [section(f"Throughput (items/s){where}", _metric_table(suite, "throughput", node)),
                  section(f"Latency median{where}", _metric_table(suite, "median", node))]
    if suite.nodes:
        parts.append(section("Fleet: items/s per machine", _fleet(suite)))
    else:
        parts.append(section("Cost: CPU time per item · peak RSS", table(
            ["model", *(c.name for c in suite.configs)],
            [[m.name, *(cost_text(suite.point(m.name, c.name)) for c in suite.configs)] for m in suite.models],
            numeric=tuple(range(1, len(suite.configs) + 1)))))
    notes = suite_notes(suite)
    if notes:
        parts.append(Html('<ul class="findings">' + "".join(tag("li", line, "info") for line in notes) + "</ul>"))
    report = next((r for point in suite.points for r in point.reports), None)
    if report is not None:
        parts.append(section("Environment (first point)", environment_facts(report.environment)))
    if suite.command:
        parts.append(section("Command", tag("pre", shlex.join(suite.command))))
    return page(f"infermeter suite: {suite.name}", subtitle, parts, FOOTER)


def _cards(suite: Suite) -> Html:
    cards = []
    for config in suite.configs:
        found = suite.geomean(config.name, "throughput")
        if found is not None:
            cards.append(card(f"{config.name}: geometric mean", format_value("throughput", found.interval),
                              f"items/s over {len(found.models)} of {found.of} models"))
    return Html('<div class="cards">' + "".join(cards) + "</div>")


def _metric_table(suite: Suite, metric: str, node: str | None) -> Html:
    rows: list[list[object]] = []
    for model in suite.models:
        points = [suite.point(model.name, config.name, node) for config in suite.configs]
        rows.append([model.name, *("failed" if p is not None and p.errors and not p.reports else
                                   format_value(metric, p.interval(metric) if p else None) for p in points)])
    rows.append(["geometric mean", *(geomean_text(suite.geomean(c.name, metric, node), metric)
                                     for c in suite.configs)])
    return table(["model", *(c.name for c in suite.configs)], rows, numeric=tuple(range(1, len(suite.configs) + 1)))


def _fleet(suite: Suite) -> Html:
    config = suite.configs[0].name
    rows: list[list[object]] = []
    for node in suite.nodes:
        found = suite.geomean(config, "throughput", node)
        cpus = node_cpus(suite, node)
        rows.append([node, *(format_value("throughput", p.interval("throughput")) if p else "–"
                             for p in (suite.point(m.name, config, node) for m in suite.models)),
                     geomean_text(found, "throughput"),
                     f"{found.interval.estimate / cpus:,.1f}" if found is not None and cpus else "–",
                     f"{cpus:g}" if cpus else "–"])
    headers = ["machine", *(m.name for m in suite.models), "geomean /node", "geomean /CPU", "CPUs"]
    return table(headers, rows, numeric=tuple(range(1, len(headers))))


def _nodes(suite: Suite) -> list[str | None]:
    return [*suite.nodes] or [None]
