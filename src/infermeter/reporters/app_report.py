"""benchmark_app-compatible ``-report_folder`` files: the same names, sections, labels and ``;`` separator.

``benchmark_report.csv`` (command line, configuration, execution results), the counters reports
(``benchmark_average_counters_report.csv`` / ``benchmark_detailed_counters_report.csv``) and
``benchmark_sorted_report.csv``; with ``-json_stats`` also their JSON variants (benchmark_app writes only
those), and always ``infermeter_report.json``: the full, lossless report with every sample.
Unlike benchmark_app, JSON values are numbers, with exact integer nanoseconds next to every millisecond value.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..errors import UsageError
from ..results.counters import (
    LayerCounter,
    average_counters,
    counters_to_dict,
    sort_counters,
    summarize_counters,
)
from ..results.report import Report
from ..scenarios import api_of
from ..stats.latency import nearest_rank
from .export import to_json

SEPARATOR = ";"
COUNTER_COLUMNS = ("layerName", "execStatus", "layerType", "execType", "realTime (ms)", "cpuTime (ms)")
Section = tuple[str, list["ReportEntry"]]


@dataclass(frozen=True)
class ReportEntry:
    """One report line: benchmark_app's CSV label and JSON name, the value, and its exact ns when a time."""

    label: str
    key: str
    value: str | int | float | None
    ns: int | float | None = None
    decimals: int = 3

    def csv_value(self) -> str:
        if self.value is None:
            return ""
        if isinstance(self.value, float):
            return f"{self.value:.{self.decimals}f}"
        return str(self.value)


def write_app_report(folder: Path, report: Report, report_type: str, average: list[LayerCounter] | None,
                     per_request: list[list[LayerCounter]] | None, sort_mode: str | None, json_stats: bool,
                     percentile: int) -> list[Path]:
    """Write the report files into ``folder`` (created if missing); returns the paths written."""
    if average is None and per_request:
        average = average_counters(per_request)
    sections = report_sections(report, percentile)
    files: list[tuple[str, str]] = [("benchmark_report.csv", _csv_text(_main_rows(sections)))]
    if json_stats:
        files.append(("benchmark_report.json", _json_text(_json_report(sections, average, per_request))))
    counter_sections = _counter_sections(report_type, average, per_request)
    if counter_sections:
        name = f"benchmark_{report_type}_report"
        files.append((f"{name}.csv", _csv_text(_counter_rows(counter_sections))))
        if json_stats:
            files.append((f"{name}.json", _json_text(_json_counters(report_type, counter_sections))))
    if sort_mode is not None and average:
        ordered = sort_counters(average, sort_mode)
        files.append(("benchmark_sorted_report.csv", _csv_text(_sorted_rows(ordered))))
        if json_stats:
            sorted_json = {"report_type": "sorted", "avg_performance": _json_block(ordered, proportions=True)}
            files.append(("benchmark_sorted_report.json", _json_text(sorted_json)))
    files.append(("infermeter_report.json", to_json(report)))
    return [_write(folder, name, text) for name, text in files]


# --- the three sections -----------------------------------------------------------------------------------


def report_sections(report: Report, percentile: int) -> list[Section]:
    """("Command line parameters", ...), ("Configuration setup", ...), ("Execution results", ...)."""
    sections: list[Section] = []
    if report.command is not None:
        entries = [ReportEntry(flag, flag, value) for flag, value in command_line_parameters(report.command)]
        sections.append(("Command line parameters", entries))
    sections.append(("Configuration setup", configuration_setup(report)))
    sections.append(("Execution results", execution_results(report, percentile)))
    return sections


def command_line_parameters(command: Sequence[str]) -> list[tuple[str, str]]:
    """(flag, value) pairs the way benchmark_app lists them: ``-flag value``, ``--flag=value`` and bare flags.
    Words before the first flag (sub-command, model) are listed under "arguments"; argv[0] is skipped."""
    pairs: list[tuple[str, str]] = []
    positional: list[str] = []
    flag: str | None = None
    for word in command[1:]:
        if word.startswith("-") and len(word) > 1:
            if flag is not None:
                pairs.append((flag, ""))
            flag, has_value, value = word.partition("=")
            if has_value:
                pairs.append((flag, value))
                flag = None
        elif flag is not None:
            pairs.append((flag, word))
            flag = None
        else:
            positional.append(word)
    if flag is not None:
        pairs.append((flag, ""))
    return ([("arguments", " ".join(positional))] if positional else []) + pairs


def configuration_setup(report: Report) -> list[ReportEntry]:
    config, engine, model = report.config, report.engine, report.model
    device = engine.device
    entries = [
        ReportEntry("benchmark mode", "benchmark_mode", "full" if config.full_mode else "inference only"),
        ReportEntry("topology", "topology", model.zoo or Path(model.ref).stem),
        ReportEntry("target device", "target_device", device),
        ReportEntry("API", "api", api_of(config.scenario)),
        ReportEntry("engine", "engine", f"{engine.name} {engine.version}".strip()),
        ReportEntry("precision", "precision", engine.precision),
        ReportEntry("batch size", "batch_size", model.batch),
        ReportEntry("number of iterations", "iterations_num", config.stop.min_iterations),
        ReportEntry("number of parallel infer requests", "nireq", engine.requests_in_flight),
        _time_entry("duration (ms)", "duration", config.stop.min_duration_ns),
    ]
    if engine.streams is not None:
        key = f"{device.lower().replace(' ', '_')}_streams_num"
        entries.append(ReportEntry(f"number of {device} streams", key, engine.streams))
    return entries


def execution_results(report: Report, percentile: int) -> list[ReportEntry]:
    phases = report.phases
    entries = [
        _time_entry("read model time (ms)", "read_model_time", phases.read_ns),
        _time_entry("reshape model time (ms)", "reshape_model_time", phases.reshape_ns),
        _time_entry("compile model time (ms)", "compile_model_time", phases.compile_ns),
        _time_entry("first inference time (ms)", "first_inference_time", phases.first_inference_ns),
    ]
    entries = [entry for entry in entries if entry.ns is not None]
    run = report.run
    if run is not None and run.count > 0:
        entries += _run_entries(report, percentile)
    if report.error:
        entries.append(ReportEntry("error", "error", report.error))
    return entries


def _run_entries(report: Report, percentile: int) -> list[ReportEntry]:
    run = report.run
    assert run is not None
    latency = run.latency
    label = "Median latency (ms)" if percentile == 50 else f"latency ({percentile} percentile) (ms)"
    entries = [
        _time_entry("total execution time (ms)", "execution_time", run.window_ns),
        ReportEntry("total number of iterations", "iterations_num", run.count),
        _time_entry(label, "latency_median", nearest_rank(latency.sorted_ns, percentile)),
        ReportEntry("Percentile boundary", "percentile_boundary", percentile),
        _time_entry(f"latency ({percentile} percentile, interpolated) (ms)", "latency_percentile_interpolated",
                    latency.percentile(float(percentile))),
    ]
    if percentile != 50:
        entries.append(_time_entry("median latency, interpolated (ms)", "latency_median_interpolated",
                                   latency.median))
    entries += [
        _time_entry("Average latency (ms)", "latency_avg", latency.mean),
        _time_entry("Min latency (ms)", "latency_min", latency.minimum),
        _time_entry("Max latency (ms)", "latency_max", latency.maximum),
        ReportEntry("throughput", "throughput", run.throughput, decimals=2),
    ]
    for index, (label_text, stats, count) in enumerate(run.group_stats()):  # benchmark_app's latency groups
        key = f"group_{index}"
        entries += [
            ReportEntry("group", f"{key}_shape", label_text),
            ReportEntry(f"group {label_text} iterations", f"{key}_iterations", count),
            _time_entry(f"group {label_text} median latency (ms)", f"{key}_latency_median", stats.median),
            _time_entry(f"group {label_text} average latency (ms)", f"{key}_latency_avg", stats.mean),
            _time_entry(f"group {label_text} min latency (ms)", f"{key}_latency_min", stats.minimum),
            _time_entry(f"group {label_text} max latency (ms)", f"{key}_latency_max", stats.maximum),
        ]
    return entries


def _time_entry(label: str, key: str, ns: int | float | None) -> ReportEntry:
    if ns is not None and isinstance(ns, float) and ns.is_integer():
        ns = int(ns)
    return ReportEntry(label, key, ns / 1e6 if ns is not None else None, ns)


# --- CSV --------------------------------------------------------------------------------------------------


def _csv_text(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _main_rows(sections: list[Section]) -> list[list[str]]:
    rows: list[list[str]] = []
    for title, entries in sections:
        rows.append([title])
        rows += [[entry.label, entry.csv_value()] for entry in entries]
        rows.append([])
    return rows


def _counter_sections(report_type: str, average: list[LayerCounter] | None,
                      per_request: list[list[LayerCounter]] | None) -> list[list[LayerCounter]]:
    if report_type == "average_counters" and average:
        return [average]
    if report_type == "detailed_counters" and per_request:
        return [list(run) for run in per_request]
    return []


def _counter_rows(sections: list[list[LayerCounter]]) -> list[list[str]]:
    rows: list[list[str]] = []
    for counters in sections:
        summary = summarize_counters(counters)
        rows.append(list(COUNTER_COLUMNS))
        rows += [[c.name, c.status, c.layer_type, c.exec_type, _ms(c.real_ns), _ms(c.cpu_ns)] for c in counters]
        rows.append(["Total", "", "", "", _ms(summary.total_real_ns), _ms(summary.total_cpu_ns)])
        rows.append([])
    return rows


def _sorted_rows(counters: list[LayerCounter]) -> list[list[str]]:
    """Shares are of the listed layers' total, so they add up to 100 % (as benchmark_app's sorted report)."""
    summary = summarize_counters(counters)
    rows = [[*COUNTER_COLUMNS, "proportion (%)"]]
    for counter, share in zip(counters, summary.shares, strict=True):
        rows.append([counter.name, counter.status, counter.layer_type, counter.exec_type, _ms(counter.real_ns),
                     _ms(counter.cpu_ns), f"{share * 100:.2f}"])
    rows.append(["Total", "", "", "", _ms(summary.total_real_ns), _ms(summary.total_cpu_ns),
                 "100.00" if summary.total_real_ns else "0.00"])
    return rows


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.3f}"


# --- JSON -------------------------------------------------------------------------------------------------

_JSON_SECTION_KEYS = {"Command line parameters": "cmd_options", "Configuration setup": "configuration_setup",
                      "Execution results": "execution_results"}


def _json_report(sections: list[Section], average: list[LayerCounter] | None,
                 per_request: list[list[LayerCounter]] | None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for title, entries in sections:
        block: dict[str, Any] = {}
        for entry in entries:
            block[entry.key] = entry.value
            if entry.ns is not None:
                block[f"{entry.key}_ns"] = entry.ns
        data[_JSON_SECTION_KEYS[title]] = block
    if average:
        data["counters"] = counters_to_dict(average, per_request)
    return data


def _json_counters(report_type: str, sections: list[list[LayerCounter]]) -> dict[str, Any]:
    if report_type == "average_counters":
        return {"report_type": "average", "avg_performance": _json_block(sections[0], proportions=False)}
    return {"report_type": "detailed",
            "detailed_performance": [_json_block(counters, proportions=False) for counters in sections]}


def _json_block(counters: Sequence[LayerCounter], proportions: bool) -> dict[str, Any]:
    """benchmark_app's "nodes" block (times in ms) with exact ``*_ns`` integers alongside."""
    summary = summarize_counters(counters)
    nodes = []
    for counter, share in zip(counters, summary.shares, strict=True):
        node: dict[str, Any] = {"name": counter.name, "status": counter.status, "node_type": counter.layer_type,
                                "exec_type": counter.exec_type, "real_time": counter.real_ns / 1e6,
                                "cpu_time": counter.cpu_ns / 1e6, "real_time_ns": counter.real_ns,
                                "cpu_time_ns": counter.cpu_ns}
        if proportions:
            node["%"] = share * 100
        nodes.append(node)
    return {"nodes": nodes, "total_real_time": summary.total_real_ns / 1e6,
            "total_cpu_time": summary.total_cpu_ns / 1e6, "total_real_time_ns": summary.total_real_ns,
            "total_cpu_time_ns": summary.total_cpu_ns}


def _json_text(data: dict[str, Any]) -> str:
    return json.dumps(_finite(data), indent=4, ensure_ascii=False, allow_nan=False) + "\n"


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


# --- files ------------------------------------------------------------------------------------------------


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UsageError(f"-report_folder {folder}: cannot write {name} ({reason})") from None
    return path
