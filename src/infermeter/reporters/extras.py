"""Console sections printed on request: the benchmark_app-style percentile, statistics per data shape
(-pcseq), per-layer counters (-pc / -pcsort). Also the files -report_folder and -dump_config write.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..atomic import write_atomic
from ..config.output import OutputOptions
from ..errors import UsageError
from ..results.facts import PropertyValue
from ..results.report import Report
from ..stats.latency import nearest_rank
from ..units import format_duration


def render_extras(report: Report, console: Console, output: OutputOptions) -> None:
    run = report.run
    if run is None or run.count == 0:
        return
    if output.latency_percentile != 50:
        p = output.latency_percentile
        console.print(Text(f"latency p{p}: {format_duration(nearest_rank(run.latency.sorted_ns, p))} "
                           f"(nearest rank, as benchmark_app) · {format_duration(run.latency.percentile(p))} "
                           "(interpolated)"))
    if output.per_shape:
        render_groups(report, console)
    if (output.print_counters or output.counters_sort) and report.counters is not None:
        from ..results.counters import sort_counters
        from .counters import render_counters

        shown = sort_counters(report.counters.layers, output.counters_sort or "no_sort")
        render_counters(console, shown, "Per-layer counters (average over requests)",
                        int(run.latency.median or 0))
    elif output.print_counters:
        console.print(Text("per-layer counters: the engine returned none", style="yellow"))


def render_groups(report: Report, console: Console) -> None:
    """Latency per -data_shape group (benchmark_app's -pcseq)."""
    run = report.run
    groups = run.group_stats() if run is not None else []
    if not groups:
        console.print(Text("statistics per shape: one shape only, or failed requests broke the order", style="dim"))
        return
    table = Table("data shape", "requests", "median", "mean", "min", "max", title="Latency per data shape",
                  title_justify="left")
    for label, stats, count in groups:
        table.add_row(escape(label), f"{count:,}", format_duration(stats.median), format_duration(stats.mean),
                      format_duration(stats.minimum), format_duration(stats.maximum))
    console.print(table)


def write_files(report: Report, output: OutputOptions) -> list[Path]:
    """-report_folder (benchmark_app's CSV report, counters, JSON) and -dump_config."""
    written: list[Path] = []
    if output.report_folder is not None:
        from .app_report import write_app_report

        counters = report.counters
        average = list(counters.layers) if counters is not None else None
        per_request = [list(run) for run in counters.per_request] if counters and counters.per_request else None
        written += write_app_report(Path(output.report_folder), report, output.report_type, average, per_request,
                                    output.counters_sort, output.json_stats, output.latency_percentile)
    if output.dump_config is not None:
        written.append(dump_config(report, Path(output.dump_config)))
    return written


def dump_config(report: Report, path: Path) -> Path:
    """The properties the engine applied, per device, as text in -load_config form (as benchmark_app writes
    them: booleans YES / NO); without a settable record, the properties read back, as text."""
    engine = report.engine
    if engine.device_config:
        config = {device: {key: _settable(value) for key, value in entries.items()}
                  for device, entries in engine.device_config.items()}
    else:
        config = {engine.device: {key: str(value) for key, value in engine.properties.items()}}
    try:
        write_atomic(path, json.dumps(config, indent=2, sort_keys=True) + "\n")
    except OSError as error:
        raise UsageError(f"-dump_config {path}: cannot write ({error.strerror})") from None
    return path


def _settable(value: PropertyValue) -> str:
    if isinstance(value, bool):
        return "YES" if value else "NO"
    return str(value)
