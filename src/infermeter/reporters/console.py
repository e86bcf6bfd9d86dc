"""Console rendering (rich) of a report: header, results, histogram, what was timed, verdict.

While a benchmark runs, ``live.ConsoleObserver`` shows the status line (updated from the progress monitor
thread at ≤ 4 Hz, only on a terminal; the timed loop never touches it) and prints the header early.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..results.report import Report
from ..scenarios import api_of
from ..stats.intervals import Interval
from ..units import format_duration, format_durations_common, format_rate, format_rate_interval


def render_report(report: Report, console: Console, quiet: bool = False, header: bool = True) -> None:
    """``header=False``: the header was printed already (``ConsoleObserver.ready``)."""
    if quiet:
        console.print(summary_line(report), soft_wrap=True)
        return
    if header:
        console.print(header_table(report))
    if report.compile_only:
        console.print(Text("compile only (-niter 0): the model was read and compiled; nothing was run"))
        return
    console.print(_results(report))
    if report.run is not None and report.run.count >= HISTOGRAM_MIN_SAMPLES:
        from .histogram import latency_histogram

        console.print(latency_histogram(report.run.latency_ns, width=min(console.width, 100)))
    console.print(Text(f"What was timed: {report.timed}", style="dim"))
    console.print(verdict_block(report))
    if report.error:
        console.print(Text(f"error: {report.error}", style="red"))


HISTOGRAM_MIN_SAMPLES = 20
_VERDICT_STYLE = {"VALID": "bold green", "UNSTABLE": "bold yellow", "INSUFFICIENT": "bold red"}


def verdict_block(report: Report) -> Table:
    """The verdict and each finding: what was seen, and (→) what to do about it."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row(Text("Verdict"), Text(verdict_text(report), style=_VERDICT_STYLE.get(report.verdict, "")))
    for finding in report.findings:
        label = finding.code + ("" if finding.effect != "info" else " (note)")
        table.add_row(Text(label, style="yellow" if finding.effect != "info" else "dim"),
                      Text(f"{finding.saw}\n→ {finding.remedy}"))
    return table


def summary_line(report: Report) -> str:
    run = report.run
    if report.compile_only:
        phases = report.phases
        return (f"compile only (-niter 0) · read {format_duration(phases.read_ns)} · compile "
                f"{format_duration(phases.compile_ns)}")
    if run is None or run.count == 0:
        return "no requests completed"
    latency = run.latency
    state = f" ({run.stop_reason}, partial)" if run.partial else ""
    state += f" · errors {run.errors}" if run.errors else ""
    return (f"throughput {format_rate(run.throughput)} items/s · latency median "
            f"{format_duration(latency.median)} · p99 {format_duration(latency.percentile(99))} · "
            f"{run.count:,} requests{state} · {verdict_text(report)}")


def verdict_text(report: Report) -> str:
    codes = [f.code for f in report.findings if f.effect != "info"]
    return report.verdict + (f" ({', '.join(codes)})" if codes else "")


def header_table(report: Report) -> Table:
    engine, model, phases = report.engine, report.model, report.phases
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("model", escape(f"{model.ref} ({model.format})"))
    if engine.frontend:
        table.add_row("read by", escape(engine.frontend))
    table.add_row("engine", escape(f"{engine.name} {engine.version} — {engine.why}"))
    precision = engine.precision + (f" ({engine.precision_note})" if engine.precision_note else "")
    table.add_row("device", escape(f"{engine.device} · precision {precision}"))
    table.add_row("scenario", escape(_scenario_text(report)))
    if engine.choice_reason:
        table.add_row("", Text(f"why: {engine.choice_reason}", style="dim"))
    for item in model.inputs:
        shape = "×".join(str(d) for d in item.shape) or "scalar"
        table.add_row("input", escape(f"{item.name} {item.dtype}[{shape}] ← {item.fill}"))
    table.add_row("phases", " · ".join(f"{name} {format_duration(value)}" for name, value in (
        ("read", phases.read_ns), ("reshape", phases.reshape_ns), ("compile", phases.compile_ns),
        ("first inference", phases.first_inference_ns),
        ("compile from the cache", phases.cached_compile_ns)) if value is not None))
    if engine.cache:
        table.add_row("", Text(f"model cache: {engine.cache}", style="dim"))
    for note in report.notes:
        table.add_row("note", escape(str(note)))
    return table


def _scenario_text(report: Report) -> str:
    engine = report.engine
    scenario = report.config.scenario
    api = api_of(scenario)
    parts = [f"{scenario} (-api {api})", f"{engine.requests_in_flight} request(s) in flight",
             f"batch {report.model.batch}"]
    for value, label in ((engine.streams, "streams"), (engine.threads, "threads"), (engine.hint, "hint")):
        if value is not None:
            parts.append(f"{label} {value}")
    applied = engine.properties
    if report.config.tuning.pinning and "ENABLE_CPU_PINNING" in applied:
        parts.append(f"pinning {applied['ENABLE_CPU_PINNING']} (ENABLE_CPU_PINNING)")
    if engine.async_mode and not report.compile_only:
        parts.append(engine.async_mode)
    return " · ".join(parts)


def _results(report: Report) -> Any:
    run = report.run
    title = "Results" + (f" — PARTIAL ({run.stop_reason})" if run is not None and run.partial else "")
    table = Table(title=title, title_justify="left", show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_column()
    if run is None or run.count == 0:
        table.add_row("requests", "0", "nothing was measured")
        return table
    stopped = "" if run.stop_reason == "stop rule met" or run.partial else f" · {run.stop_reason}"
    table.add_row("requests", f"{run.count:,}", f"{run.items:,} items (batch {run.batch}) in "
                  f"{format_duration(run.window_ns)}{stopped}")
    table.add_row("throughput", _with_interval(run.throughput, run.throughput_interval), "items/s")
    compute = compute_text(report)
    if compute is not None:
        table.add_row("compute", compute[0], compute[1])
    if run.errors:
        table.add_row("errors", f"{run.errors:,}", "failed requests, left out of the samples (--on-error continue)")
    latency = run.latency
    values = [latency.mean, latency.median, latency.std, latency.minimum, latency.maximum,
              latency.percentile(90), latency.percentile(95), latency.percentile(99)]
    intervals = [None, latency.interval(50), None, None, None, latency.interval(90), latency.interval(95),
                 latency.interval(99)]
    halves = [interval.half_width if interval is not None else None for interval in intervals]
    texts, unit = format_durations_common([None if v is None else float(v) for v in values], latency.median)
    half_texts, _ = format_durations_common(halves, latency.median)
    labels = ["mean", "median", "std", "min", "max", "p90", "p95", "p99"]
    for index, (label, text, value) in enumerate(zip(labels, texts, values, strict=True)):
        shown = f"{text} ± {half_texts[index]}" if halves[index] is not None else text
        note = unit if value is not None else f"needs more samples ({run.count} taken)"
        table.add_row(f"latency {label}", shown, note)
    return table


def compute_text(report: Report) -> tuple[str, str] | None:
    """Achieved GFLOP/s from the graph's FLOPs per request, and the share of the machine's measured peak."""
    work = report.model.flops_per_request
    flops = work.flops if work is not None else None
    run = report.run
    if not flops or run is None or not run.requests_per_second:
        return None
    achieved = flops * run.requests_per_second / 1e9
    peak = report.environment.fp32_peak
    if peak is not None and peak.gflops:
        share = f"GFLOP/s = {achieved / peak.gflops:.0%} of this machine's FP32 peak ({peak.gflops:,.0f} " \
                f"GFLOP/s, infermeter peak)"
    else:
        share = "GFLOP/s (run infermeter peak once for the share of this machine's FP32 peak)"
    return f"{achieved:,.1f}", share


def _with_interval(value: float | None, interval: Interval | None) -> str:
    if interval is None:
        return format_rate(value)
    return format_rate_interval(value, interval.half_width)
