"""Console and Markdown of a suite comparison: per configuration, every model's B/A with its 95 % CI and
verdict, the geometric mean of the ratios, and what differs between the two machines."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..analysis.suite_compare import SuiteComparison
from ..results.comparison import SLOWER, Comparison, describe_change
from .comparison import format_ratio
from .tables import _table, cell

METRIC_NAMES = {"throughput": "throughput", "median": "latency median"}


def print_suite_comparisons(results: Sequence[SuiteComparison], console: Console, markdown: bool = False) -> None:
    if markdown:
        console.print(suite_comparison_markdown(results), markup=False, highlight=False, soft_wrap=True)
        return
    for result in results:
        table = Table(title=f"{result.config}: B/A of {METRIC_NAMES.get(result.metric, result.metric)}",
                      title_justify="left")
        for column in ("model", "B/A [95% CI]", "verdict"):
            table.add_column(column, justify="right" if column == "B/A [95% CI]" else "left")
        for model, comparison in _rows(result):
            style = "bold" if model == "geometric mean" else None
            table.add_row(escape(model), _ratio(comparison), Text(_verdict(comparison),
                                                                   style="red" if _slower(comparison) else ""),
                          style=style)
        console.print(table)
        for line in _notes(result):
            console.print(Text(line, style="dim"), soft_wrap=True)


def suite_comparison_markdown(results: Sequence[SuiteComparison]) -> str:
    lines = []
    for result in results:
        lines += [f"### {cell(result.config)}: B/A of {METRIC_NAMES.get(result.metric, result.metric)}", ""]
        rows = [[f"**{cell(model)}**" if model == "geometric mean" else cell(model), _ratio(comparison),
                 f"**{_verdict(comparison)}**" if _slower(comparison) else _verdict(comparison)]
                for model, comparison in _rows(result)]
        lines += [*_table(["model", "B/A [95% CI]", "verdict"], "lrl", rows), ""]
        lines += [f"- {cell(line)}" for line in _notes(result)]
    return "\n".join(lines) + "\n"


def _rows(result: SuiteComparison) -> list[tuple[str, Comparison | None]]:
    return [*result.models, ("geometric mean", result.geomean)]


def _ratio(comparison: Comparison | None) -> str:
    return format_ratio(comparison) if comparison is not None else "–"


def _verdict(comparison: Comparison | None) -> str:
    return describe_change(comparison) if comparison is not None else "not enough data for a CI"


def _slower(comparison: Comparison | None) -> bool:
    return comparison is not None and comparison.verdict == SLOWER


def _notes(result: SuiteComparison) -> list[str]:
    lines = []
    if result.missing:
        lines.append(f"not measured on both sides (left out): {', '.join(result.missing)}")
    if result.machines:
        lines.append("the machines differ: " + "; ".join(result.machines))
    return lines
