"""A capacity search as Markdown, CSV and self-contained HTML with the latency-versus-load curve (the "hockey
stick"): p50 and p99 at each offered rate, the SLO's bound, and the answer's interval."""

from __future__ import annotations

import shlex
from typing import Any

from ..results.capacity import Capacity, slo_interval
from ..units import format_duration, format_rate
from . import plots
from .capacity_console import answer_text, drift_text, interval_text
from .html import FOOTER
from .html_parts import Html, card, engine_facts, environment_facts, figure, page, section, table, tag
from .tables import _csv, _table, cell, csv_value

CSV_COLUMNS = ("offered_qps", "achieved_qps", "verdict", "attempts", "confirmation", "latency_p50_ns", "latency_p99_ns",
               "slo_ci_low_ns", "slo_ci_high_ns", "dropped", "lateness_p99_ns", "goodput_qps",
               "loadgen_early_stopping_passes", "error")


def _rows(capacity: Capacity) -> list[list[Any]]:
    rows = []
    for index in capacity.by_rate():
        probe = capacity.probes[index]
        interval = slo_interval(probe.report, capacity.slo) if probe.report is not None else None
        rows.append([probe.offered_qps, probe.achieved_qps, probe.verdict, probe.attempts, probe.confirmation,
                     probe.latency_ns(50.0),
                     probe.latency_ns(99.0), interval.low if interval else None, interval.high if interval else None,
                     probe.dropped, probe.lateness_p99_ns, probe.goodput(capacity.slo),
                     probe.loadgen_passes(capacity.slo), probe.error])
    return rows


def capacity_csv(capacity: Capacity) -> str:
    """One row per probe, by offered rate; numbers in full precision."""
    return _csv([list(CSV_COLUMNS), *([csv_value(value) for value in row] for row in _rows(capacity))])


def capacity_markdown(capacity: Capacity) -> str:
    state = " — PARTIAL" if capacity.partial else ""
    lines = [f"### infermeter capacity: {cell(capacity.model)} under {capacity.slo.text()}{state}", "",
             f"**{cell(answer_text(capacity))}** · {capacity.arrival} arrivals · tolerance {capacity.tolerance:.0%}",
             ""]
    drift = drift_text(capacity)
    if drift is not None:
        lines += [f"> {cell(drift)}", ""]
    rows = []
    for row in _rows(capacity):
        offered, achieved, verdict, _, confirming, p50, p99, low, high, dropped, late, goodput, passes, error = row
        ci = interval_text(low, high) if low is not None else "–"
        rows.append([format_rate(offered), format_rate(achieved), format_duration(p50), format_duration(p99),
                     ci, str(dropped), format_duration(late), format_rate(goodput),
                     "–" if passes is None else "pass" if passes else "fail",
                     cell(error or verdict + (" (confirmation)" if confirming else ""))])
    lines += _table(("offered QPS", "achieved", "p50", "p99", f"{capacity.slo.metric} CI", "dropped",
                     "lateness p99", "goodput", "LoadGen ES", "verdict"), "rrrrrrrrll", rows)
    return "\n".join(lines) + "\n"


def capacity_html(capacity: Capacity) -> str:
    plots.require_matplotlib()
    interval = capacity.max_qps_interval
    cards = [card("max QPS", format_rate(capacity.max_qps), f"meets {capacity.slo.text()}"),
             card("interval", f"[{format_rate(interval[0])}, {format_rate(interval[1])})" if interval else "–",
                  f"QPS; tolerance {capacity.tolerance:.0%}"),
             card("probes", str(len(capacity.probes)), f"{capacity.arrival} arrivals")]
    rows = [[format_rate(r[0]), format_rate(r[1]), format_duration(r[5]), format_duration(r[6]),
             f"{r[9]}", format_duration(r[10]), format_rate(r[11]), r[13] or r[2] + (" (confirmation)" if r[4] else "")]
            for r in _rows(capacity)]
    parts = [Html('<div class="cards">' + "".join(cards) + "</div>"),
             tag("p", answer_text(capacity)),
             *([tag("p", drift)] if (drift := drift_text(capacity)) is not None else []),
             section("Latency against offered load", figure(capacity_figure(capacity, "c"), _caption(capacity))),
             section("Probes (by offered rate)", table(["offered QPS", "achieved", "p50", "p99", "dropped",
                                                       "lateness p99", "goodput", "verdict"], rows,
                                                      numeric=(0, 1, 2, 3, 4, 5, 6)))]
    report = next((probe.report for probe in capacity.probes if probe.report is not None), None)
    if report is not None:
        parts += [section("Engine", engine_facts(report)),
                  section("Environment", environment_facts(report.environment))]
    if capacity.command:
        parts.append(section("Command", tag("pre", shlex.join(capacity.command))))
    return page(f"infermeter capacity: {capacity.model}", f"{capacity.slo.text()} · {capacity.arrival} arrivals",
                parts, FOOTER)


def _caption(capacity: Capacity) -> str:
    return ("Each probe's latency p50 and p99 (measured from the scheduled time) at its offered rate; the dashed "
            "line is the SLO's bound, the band the answer's interval. Latency stays near the service time until "
            "the engine saturates, then climbs: the hockey stick.")


def capacity_figure(capacity: Capacity, ident: str) -> str:
    order = [i for i in capacity.by_rate() if capacity.probes[i].latency_ns(50.0) is not None]
    rates = [capacity.probes[i].offered_qps for i in order]
    p50 = [capacity.probes[i].latency_ns(50.0) or 0.0 for i in order]
    p99 = [capacity.probes[i].latency_ns(99.0) for i in order]
    unit, scale = plots.time_unit(capacity.slo.limit_ns)
    with plots.rendering() as new_figure:
        fig = new_figure(7.4, 4.0)
        axes = fig.add_subplot()
        axes.plot(rates, [v / scale for v in p50], marker="o", markersize=3.5, color="#1b7837", label="p50")
        known = [(rate, value) for rate, value in zip(rates, p99, strict=True) if value is not None]
        if known:
            axes.plot([r for r, _ in known], [v / scale for _, v in known], marker="o", markersize=3.5,
                      color="#b2182b", label="p99")
        axes.axhline(capacity.slo.limit_ns / scale, color="#555555", linestyle="--", linewidth=1.0,
                     label=f"SLO {capacity.slo.text()}")
        interval = capacity.max_qps_interval
        if interval is not None:
            axes.axvspan(interval[0], interval[1], color="#4c78a8", alpha=0.2, label="max QPS interval")
        values = [v for v in p50 + [v for v in p99 if v is not None] if v > 0]
        if values and plots.long_tail(min(values), max(values)):
            plots.log_scale(axes, "y")
        axes.set_xlabel("offered load (QPS)")
        axes.set_ylabel(f"latency from the scheduled time ({unit})")
        axes.legend(loc="upper left", frameon=True, framealpha=0.9)
        return plots.to_svg(fig, ident)
