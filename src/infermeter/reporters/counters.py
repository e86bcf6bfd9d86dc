"""Console table of per-layer counters (-pc / -pcsort), with how much of the measured latency they explain."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..results.counters import CounterSummary, LayerCounter, counters_coverage, summarize_counters

LOW_COVERAGE = 0.9  # below: time is spent outside the layers
HIGH_COVERAGE = 1.1  # above: layers ran in parallel, their times overlap


def render_counters(console: Console, counters: Sequence[LayerCounter], title: str, latency_ns: float | None,
                    limit: int | None = None) -> None:
    """Print the counters in the given order (at most ``limit`` rows), totals, and a coverage line."""
    if not counters:
        console.print(Text(f"{title}: no per-layer counters were reported", style="dim"))
        return
    summary = summarize_counters(counters)
    console.print(_table(summary, title, limit))
    if limit is not None and len(counters) > limit:
        console.print(Text(f"showing {limit} of {len(counters)} layers", style="dim"))
    if latency_ns is not None and latency_ns > 0:
        console.print(Text(coverage_line(counters, latency_ns)))


def coverage_line(counters: Sequence[LayerCounter], latency_ns: float) -> str:
    """'layers sum to X ms = Y % of the median latency (Z ms)' plus what a gap means."""
    coverage = counters_coverage(counters, latency_ns)
    total_ms = summarize_counters(counters).total_real_ns / 1e6
    line = (f"layers sum to {total_ms:.3f} ms = {coverage * 100:.1f} % of the median latency "
            f"({latency_ns / 1e6:.3f} ms)")
    if coverage < LOW_COVERAGE:
        line += "; the rest is framework overhead outside the layers"
    elif coverage > HIGH_COVERAGE:
        line += "; counters overlap (parallel layers)"
    return line


def _table(summary: CounterSummary, title: str, limit: int | None) -> Table:
    cpu_known = any(counter.cpu_ns for counter in summary.counters)
    table = Table(title=escape(title), show_footer=True, title_justify="left")
    table.add_column("layer", footer=f"total ({len(summary.counters)} layers)", overflow="fold")
    table.add_column("type")
    table.add_column("exec type")
    table.add_column("status")
    table.add_column("real (ms)", justify="right", footer=_ms(summary.total_real_ns))
    table.add_column("CPU (ms)", justify="right", footer=_ms(summary.total_cpu_ns) if cpu_known else "–")
    table.add_column("share", justify="right", footer="100.00 %" if summary.total_real_ns else "–")
    shown = zip(summary.counters, summary.shares, strict=True)
    for index, (counter, share) in enumerate(shown):
        if limit is not None and index >= limit:
            break
        table.add_row(escape(counter.name), escape(counter.layer_type), escape(counter.exec_type),
                      _status(counter.status), _ms(counter.real_ns), _ms(counter.cpu_ns) if cpu_known else "–",
                      f"{share * 100:.2f} %")
    return table


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.3f}"


def _status(status: str) -> str:
    style = {"EXECUTED": "green", "NOT_RUN": "dim", "OPTIMIZED_OUT": "dim"}.get(status, "")
    text = escape(status)
    return f"[{style}]{text}[/{style}]" if style else text
