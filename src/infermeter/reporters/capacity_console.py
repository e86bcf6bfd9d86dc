"""Console rendering of a capacity search: every probe by offered rate, the answer with its interval, the knee."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..results.capacity import Capacity, Probe, over_bound, slo_interval, slo_percentile
from ..units import format_duration, format_durations_common, format_rate

_STYLE = {"meets": "green", "misses": "red", "undecided": "yellow"}


def probe_line(capacity: Capacity, index: int) -> str:
    """``[3] 400 QPS: misses · achieved 200.0 QPS · p99 1.005 s (CI 0.99–1.01 s) · 900 of 900 over 15.00 ms ·
    0 dropped``."""
    probe = capacity.probes[index]
    if probe.error is not None:
        return f"[{index + 1}] {format_rate(probe.offered_qps)} QPS: failed: {probe.error}"
    again = " (confirmation)" if probe.confirmation else ""
    return (f"[{index + 1}] {format_rate(probe.offered_qps)} QPS{again}: {probe.verdict} · achieved "
            f"{format_rate(probe.achieved_qps)} QPS · {capacity.slo.metric} {_slo_text(capacity, probe)} · "
            f"{_over_text(capacity, probe)}{probe.dropped} dropped"
            + (f" · {probe.attempts} runs" if probe.attempts > 1 else ""))


def _over_text(capacity: Capacity, probe: Probe) -> str:
    """``3 of 368 over 15.00 ms · ``: what a percentile verdict counts (nothing for a mean SLO)."""
    over, run = over_bound(probe.report, capacity.slo), probe.report.run if probe.report is not None else None
    if over is None or run is None or slo_percentile(capacity.slo) is None:
        return ""
    return f"{over:,} of {run.count:,} over {format_duration(capacity.slo.limit_ns)} · "


def _slo_text(capacity: Capacity, probe: Probe) -> str:
    interval = slo_interval(probe.report, capacity.slo) if probe.report is not None else None
    if interval is None:
        return _no_ci_text(capacity, probe)
    return f"{format_duration(interval.estimate)} (CI {format_duration(interval.low)}–{format_duration(interval.high)})"


def _no_ci_text(capacity: Capacity, probe: Probe) -> str:
    """Why a probe has no CI: too few requests for one at all, or requests too dependent (a queue) for one."""
    from ..stats.intervals import min_samples_for_ci

    run = probe.report.run if probe.report is not None else None
    percentile = slo_percentile(capacity.slo)
    estimate = run.latency.percentile(percentile) if run is not None and percentile is not None else None
    if run is None or percentile is None:
        return "– (too few requests for its CI)"
    if estimate is None:
        return f"– ({run.count} requests, too few for a {capacity.slo.metric})"
    needed = min_samples_for_ci(percentile / 100.0)
    why = f"{run.count} requests, a CI needs {needed}" if run.count < needed else \
        f"no CI: {run.count} requests, but queued latencies depend on each other too much for one"
    return f"{format_duration(estimate)} ({why})"


def interval_text(low: float, high: float) -> str:
    """``[47.86, 48.72] ms``: both bounds in one unit."""
    texts, unit = format_durations_common([low, high], high)
    return f"[{texts[0]}, {texts[1]}] {unit}"


def answer_text(capacity: Capacity) -> str:
    best, interval = capacity.max_qps, capacity.max_qps_interval
    if best is None:
        return f"no offered rate tried met {capacity.slo.text()}"
    bracket = (f" (the capacity lies in [{format_rate(interval[0])}, {format_rate(interval[1])}) QPS)" if interval
               else " (no rate above it missed: the search stopped early)")
    runs = capacity.max_qps_runs
    times = f", met in {runs} of {runs} runs" if runs > 1 else ""
    return f"max QPS meeting {capacity.slo.text()}: {format_rate(best)}{times}{bracket}"


def drift_text(capacity: Capacity) -> str | None:
    """A warning when a rate met once and then not on its confirmation: the answer is less repeatable than its
    interval (which is the search's resolution) suggests."""
    failed, runs = capacity.confirmations
    if not failed:
        return None
    return (f"{failed} of {runs} confirmation runs did not meet a rate that had met: the latency tail moved "
            "between runs by more than a run's CI, so a later search may land outside this interval")


def render_capacity(capacity: Capacity, console: Console, quiet: bool = False) -> None:
    if quiet:
        console.print(answer_text(capacity), soft_wrap=True, highlight=False)
        return
    table = Table(title=f"Capacity of {capacity.model} under {capacity.slo.text()} ({capacity.arrival} arrivals)",
                  title_justify="left")
    for column in ("offered QPS", "achieved", "p50", "p99", f"{capacity.slo.metric} CI", "dropped", "lateness p99",
                   "goodput", "LoadGen ES", "verdict"):
        table.add_column(column, justify="left" if column in ("verdict",) else "right")
    knee = capacity.knee()
    for index in capacity.by_rate():
        probe = capacity.probes[index]
        interval = slo_interval(probe.report, capacity.slo) if probe.report is not None else None
        ci = interval_text(interval.low, interval.high) if interval else "–"
        passes = probe.loadgen_passes(capacity.slo)
        verdict = (probe.error and f"failed: {probe.error}") or probe.verdict + (
            " (confirmation)" if probe.confirmation else "") + (" (knee)" if index == knee else "")
        table.add_row(format_rate(probe.offered_qps), format_rate(probe.achieved_qps),
                      format_duration(probe.latency_ns(50.0)), format_duration(probe.latency_ns(99.0)), ci,
                      f"{probe.dropped:,}", format_duration(probe.lateness_p99_ns),
                      format_rate(probe.goodput(capacity.slo)),
                      "–" if passes is None else "pass" if passes else "fail",
                      Text(verdict, style=_STYLE.get(probe.verdict, "")))
    console.print(table)
    console.print(Text(answer_text(capacity), style="bold" if capacity.max_qps is not None else "red"), soft_wrap=True)
    drift = drift_text(capacity)
    if drift is not None:
        console.print(Text(drift, style="yellow"), soft_wrap=True)
    if knee is not None:
        console.print(f"knee: {format_rate(capacity.probes[knee].offered_qps)} QPS — past it latency climbs faster "
                      "than the load", highlight=False, soft_wrap=True)
    if capacity.partial:
        console.print("the search is partial: " + (capacity.error or "interrupted"), highlight=False, soft_wrap=True)
