"""Building blocks of the HTML report: escaping, tables, the page shell, and the sections of one run.

Everything that comes from a report (model names, paths, engine messages) is escaped; only ``Html``
values, built here from escaped parts, are inserted as they are.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..results.facts import CpuUsage, MachineFacts
from ..results.report import Report
from ..results.run import RunResult
from ..stats.intervals import Interval
from ..units import format_duration, format_durations_common, format_rate, format_rate_interval
from . import plots
from .console import verdict_text

COUNTER_ROWS = 20
CSS = """
:root{--ink:#1d232b;--muted:#5b6570;--line:#dde2e7;--soft:#f4f6f8;--blue:#2f5f8f;--ok:#1b7837;--warn:#a86500;
--bad:#b2182b}
*{box-sizing:border-box}
body{margin:0;background:#fff;color:var(--ink);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:1.55rem;margin:0 0 4px;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:32px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:1rem;margin:20px 0 6px}
p{margin:6px 0}
.sub,.note{color:var(--muted);font-size:.9rem;overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px;margin:16px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:var(--soft)}
.card .k{color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:1.15rem;font-weight:650;font-variant-numeric:tabular-nums}
.card .u{color:var(--muted);font-size:.85rem}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;color:#fff;font-weight:650;font-size:.9rem}
.VALID{background:var(--ok)}.UNSTABLE{background:var(--warn)}.INSUFFICIENT,.FAILED{background:var(--bad)}
.findings{list-style:none;padding:0;margin:8px 0}
.findings li{border-left:4px solid var(--warn);background:#fff8ec;padding:6px 10px;margin:6px 0}
.findings li.INSUFFICIENT{border-color:var(--bad);background:#fdf0f0}
.findings li.info{border-color:var(--line);background:var(--soft)}
.remedy{color:var(--muted)}
.error{border-left:4px solid var(--bad);background:#fdf0f0;padding:6px 10px}
table{border-collapse:collapse;margin:8px 0;font-size:.9rem;max-width:100%}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{background:var(--soft);border-bottom:2px solid var(--line)}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody td:first-child,td.k,thead th{white-space:nowrap}
table.facts th{font-weight:600;color:var(--muted);white-space:nowrap}
table.facts td{overflow-wrap:anywhere}
tr.best td{font-weight:650;background:#fff4e6}
tr.failed td{color:var(--bad)}
.wide{overflow-x:auto}
.wide table{width:100%}
figure{margin:14px 0}
figure svg{display:block;width:100%;max-width:100%;height:auto}
figcaption{color:var(--muted);font-size:.85rem;margin-top:2px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:0 24px}
code,pre{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.85rem}
pre{background:var(--soft);padding:8px 10px;border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere}
footer{margin-top:40px;color:var(--muted);font-size:.8rem}
@media print{main{max-width:none}h2{break-after:avoid}figure{break-inside:avoid}}
"""


class Html(str):
    """Markup already escaped: inserted as it is; every other value is escaped."""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def cell(value: object) -> str:
    return value if isinstance(value, Html) else esc("–" if value is None else value)


def join(parts: Iterable[str]) -> Html:
    return Html("\n".join(part for part in parts if part))


def tag(name: str, content: object, css: str = "") -> Html:
    attribute = f' class="{esc(css)}"' if css else ""
    return Html(f"<{name}{attribute}>{cell(content)}</{name}>")


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[int] = (),
          row_classes: Sequence[str] | None = None, nowrap: Sequence[int] = ()) -> Html:
    """A table; the columns in ``numeric`` are right-aligned, those in ``nowrap`` never wrapped."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    lines = []
    for index, row in enumerate(rows):
        css = row_classes[index] if row_classes is not None and row_classes[index] else ""
        cells = "".join(f'<td class="n">{cell(v)}</td>' if k in numeric else
                        f'<td class="k">{cell(v)}</td>' if k in nowrap else f"<td>{cell(v)}</td>"
                        for k, v in enumerate(row))
        lines.append(f'<tr class="{esc(css)}">{cells}</tr>' if css else f"<tr>{cells}</tr>")
    return Html(f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>\n' + "\n".join(lines)
                + "\n</tbody></table></div>")


def facts(rows: Iterable[tuple[str, object]]) -> Html:
    """A two-column table of name and value; rows whose value is None or empty are left out."""
    lines = [f"<tr><th>{esc(name)}</th><td>{cell(value)}</td></tr>" for name, value in rows
             if value is not None and value != ""]
    return Html('<table class="facts"><tbody>\n' + "\n".join(lines) + "\n</tbody></table>") if lines else Html("")


def section(title: str, *parts: str) -> Html:
    body = join(parts)
    return Html(f"<section>\n<h2>{esc(title)}</h2>\n{body}\n</section>") if body else Html("")


def figure(svg: str, caption: str) -> Html:
    return Html(f"<figure>\n{svg}\n<figcaption>{esc(caption)}</figcaption>\n</figure>")


def card(name: str, value: str, unit: str = "") -> Html:
    return Html(f'<div class="card"><div class="k">{esc(name)}</div><div class="v">{cell(value)}</div>'
                f'<div class="u">{cell(unit)}</div></div>')


def page(title: str, subtitle: str, parts: Iterable[str], footer: str) -> str:
    """The whole document: inline CSS, no script, no external reference."""
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            f"<h1>{esc(title)}</h1>\n<p class=\"sub\">{esc(subtitle)}</p>\n{join(parts)}\n"
            f"<footer>{esc(footer)}</footer>\n</main>\n</body>\n</html>\n")


# --- one run ----------------------------------------------------------------------------------------------


def interval_text(metric: str, interval: Interval | None, value: float | None = None) -> str:
    """'195.9 ± 6.0' (throughput) or '5.045 ms ± 210 µs' (latency); the bare value without a CI."""
    if interval is None:
        return format_rate(value) if metric == "throughput" else format_duration(value)
    if metric == "throughput":
        return format_rate_interval(interval.estimate, interval.half_width)
    return f"{format_duration(interval.estimate)} ± {format_duration(interval.half_width, 2)}"


def summary_cards(report: Report) -> Html:
    run = report.run
    cards = []
    if run is not None and run.count:
        latency = run.latency
        p99 = latency.percentile(99)
        cards += [card("throughput", interval_text("throughput", run.throughput_interval, run.throughput),
                       "items/s ± 95 % CI"),
                  card("latency median", interval_text("median", latency.interval(50), latency.median), "± 95 % CI"),
                  card("latency p99", interval_text("p99", latency.interval(99), p99),
                       "± 95 % CI" if latency.interval(99) else
                       (f"no CI: needs more samples ({run.count:,} taken)" if p99 is not None else
                        f"needs more samples ({run.count:,} taken)")),
                  card("requests", f"{run.count:,}", f"in {format_duration(run.window_ns)}"
                       + (f" · {run.stop_reason}, partial" if run.partial else ""))]
    badge = Html(f'<span class="badge {esc(report.verdict)}">{esc(report.verdict)}</span>')
    cards.append(card("verdict", badge, verdict_text(report)))
    return Html('<div class="cards">' + "".join(cards) + "</div>")


def findings_list(report: Report) -> Html:
    items = []
    for finding in report.findings:
        css = "info" if finding.effect == "info" else finding.effect
        effect = "note" if finding.effect == "info" else finding.effect
        items.append(f'<li class="{esc(css)}"><b>{esc(finding.code)}</b> ({esc(effect)}): {esc(finding.saw)}'
                     f'<br><span class="remedy">→ {esc(finding.remedy)}</span></li>')
    parts = [Html('<ul class="findings">' + "".join(items) + "</ul>") if items else
             tag("p", "No finding: nothing suggests the numbers are unreliable.", "note")]
    if report.error:
        parts.append(tag("p", f"error: {report.error}", "error"))
    parts += [tag("p", f"note: {note}", "note") for note in report.notes]
    return join(parts)


def run_figures(run: RunResult, ident: str) -> Html:
    """Histogram, CDF and latency over time of one run."""
    count = f"{run.count:,} requests"
    return join([
        figure(plots.latency_histogram(run.latency_ns, f"{ident}h"),
               f"Latency histogram of {count}; the lines mark the median, p90, p95 and p99."),
        figure(plots.latency_cdf(run.latency_ns, f"{ident}c"),
               f"Cumulative distribution of the latency of {count}."),
        figure(plots.latency_over_time(run.start_ns, run.end_ns, f"{ident}t"),
               "Each request at its submission time (warm-up excluded); the line is a rolling median. A trend or "
               "steps mean the run was not steady (warm-up effects, throttling, other load)."),
    ])


def statistics_table(run: RunResult) -> Html:
    """The same numbers as the console: throughput and latency statistics, each with its 95 % CI."""
    rows: list[list[object]] = [
        ["requests", f"{run.count:,}", "", f"{run.items:,} items (batch {run.batch}) in "
                                           f"{format_duration(run.window_ns)} · {run.stop_reason}"],
        ["throughput", interval_text("throughput", run.throughput_interval, run.throughput),
         _bounds(run.throughput_interval), "items/s"],
        ["requests/s", format_rate(run.requests_per_second), "", ""],
    ]
    if run.errors:
        rows.append(["errors", f"{run.errors:,}", "", "failed requests, left out of the samples"])
    latency = run.latency
    names = ["mean", "median", "std", "min", "max", "p90", "p95", "p99"]
    values = [latency.mean, latency.median, latency.std, latency.minimum, latency.maximum,
              latency.percentile(90), latency.percentile(95), latency.percentile(99)]
    intervals = [None, latency.interval(50), None, None, None, latency.interval(90), latency.interval(95),
                 latency.interval(99)]
    texts, unit = format_durations_common([None if v is None else float(v) for v in values], latency.median)
    for name, text, value, interval in zip(names, texts, values, intervals, strict=True):
        note = unit if value is not None else f"needs more samples ({run.count:,} taken)"
        bounds = format_durations_common([interval.low, interval.high], latency.median)[0] if interval else None
        rows.append([f"latency {name}", text, f"[{bounds[0]}, {bounds[1]}]" if bounds else "–", note])
    return table(["statistic", "value", "95 % CI [low, high]", "unit / note"], rows, numeric=(1, 2))


def _bounds(interval: Interval | None) -> str:
    return "–" if interval is None else f"[{format_rate(interval.low)}, {format_rate(interval.high)}]"


def phases_facts(report: Report) -> Html:
    phases = report.phases
    return facts((name, format_duration(value) if value is not None else None) for name, value in (
        ("read", phases.read_ns), ("prepare inputs", phases.inputs_ns), ("reshape", phases.reshape_ns),
        ("compile", phases.compile_ns), ("compile from the cache", phases.cached_compile_ns),
        ("first inference", phases.first_inference_ns)))


def engine_facts(report: Report) -> Html:
    engine, model = report.engine, report.model
    precision = engine.precision + (f" ({engine.precision_note})" if engine.precision_note else "")
    properties = engine.properties
    return facts([
        ("engine", f"{engine.name} {engine.version}"), ("chosen by", engine.why),
        ("device", engine.device), ("precision", precision),
        ("scenario", report.config.scenario), ("requests in flight", engine.requests_in_flight),
        ("batch", f"{model.batch} ({model.batch_origin})" if model.batch_origin else model.batch),
        ("streams", engine.streams), ("threads", engine.threads), ("hint", engine.hint),
        ("async mode", engine.async_mode), ("why", engine.choice_reason),
        ("model cache", engine.cache),
        ("properties", " · ".join(f"{k}={v}" for k, v in sorted(properties.items(), key=lambda kv: str(kv[0])))),
        ("command", " ".join(report.command) if report.command else None),
    ])


def inputs_table(report: Report) -> Html:
    rows = [[item.name, item.dtype, "×".join(str(d) for d in item.shape) or "scalar", item.fill,
             f"{item.bytes:,}" if item.bytes is not None else None]
            for item in report.model.inputs]
    return table(["input", "type", "shape", "data", "bytes"], rows, numeric=(4,)) if rows else Html("")


def environment_facts(environment: MachineFacts, cpu: CpuUsage | None = None) -> Html:
    memory = environment.memory_bytes
    available = environment.memory_available_bytes
    cores = [f"{value} {word}" for value, word in ((environment.logical_cpus, "logical"),
                                                   (environment.usable_cpus, "usable"),
                                                   (environment.cpus_online, "online")) if value]
    clock = environment.clock
    versions = environment.engine_versions
    governor, boost = environment.cpu_governor, environment.cpu_boost
    return facts([
        ("CPU", environment.cpu_model), ("cores", " · ".join(cores)),
        ("CPU quota", f"{environment.cpu_quota_cores} cores" if environment.cpu_quota_cores else None),
        ("CPU clock", f"{environment.cpu_mhz:.0f} MHz" if environment.cpu_mhz is not None else None),
        ("governor / boost", f"{governor} / {boost}" if governor or boost is not None else None),
        ("memory", _gib(memory) + (f" ({_gib(available)} available)" if available else "") if memory else None),
        ("OS", environment.os), ("container / VM", " · ".join(str(value) for value in (
            environment.container, environment.virtualization) if value)),
        ("Python", f"{environment.python or ''} {environment.python_implementation or ''}".strip()),
        ("numpy", environment.numpy),
        ("engines", " · ".join(f"{name} {version}" for name, version in sorted(versions.items()))),
        ("load average", " ".join(f"{v:.2f}" for v in environment.load_average or [])),
        ("clock", f"{clock.name} ({clock.implementation}), resolution {clock.resolution_ns} ns"
         f", read cost {clock.read_cost_ns} ns" if clock else None),
        ("CPU use while measuring", " · ".join(f"{k} {_number(v)}" for k, v in cpu.to_dict().items()) if cpu
         else None),
        ("host", environment.hostname),
    ])


def _gib(value: Any) -> str:
    return f"{value / 2**30:.1f} GiB" if isinstance(value, (int, float)) else "–"


def _number(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def groups_table(run: RunResult) -> Html:
    groups = run.group_stats()
    if not groups:
        return Html("")
    rows = [[label, f"{count:,}", *(format_duration(v) for v in (stats.median, stats.mean, stats.minimum,
                                                                  stats.maximum, stats.percentile(99)))]
            for label, stats, count in groups]
    return table(["data shape", "requests", "median", "mean", "min", "max", "p99"], rows, numeric=range(1, 7))


def counters_section(report: Report) -> Html:
    """The COUNTER_ROWS slowest layers by real time, with totals and how much of the median they explain."""
    if report.counters is None:
        return Html("")
    from ..results.counters import sort_counters, summarize_counters
    from .counters import coverage_line

    average = report.counters.layers
    if not average:
        return tag("p", "The engine reported no per-layer counters.", "note")
    ordered = sort_counters(average, "sort")
    summary = summarize_counters(ordered)
    cpu_known = any(counter.cpu_ns for counter in ordered)
    rows = [[c.name, c.layer_type, c.exec_type, c.status, f"{c.real_ns / 1e6:.3f}",
             f"{c.cpu_ns / 1e6:.3f}" if cpu_known else "–", f"{share * 100:.2f} %"]
            for c, share in zip(ordered[:COUNTER_ROWS], summary.shares[:COUNTER_ROWS], strict=True)]
    rows.append([Html(f"<b>total ({len(ordered)} layers)</b>"), "", "", "", f"{summary.total_real_ns / 1e6:.3f}",
                 f"{summary.total_cpu_ns / 1e6:.3f}" if cpu_known else "–", "100.00 %"])
    median = report.run.latency.median if report.run is not None and report.run.count else None
    notes = [f"showing the {COUNTER_ROWS} slowest of {len(ordered)} layers" if len(ordered) > COUNTER_ROWS else "",
             coverage_line(ordered, median) if median else ""]
    return join([table(["layer", "type", "exec type", "status", "real (ms)", "CPU (ms)", "share"], rows,
                       numeric=(4, 5, 6)), *(tag("p", note, "note") for note in notes if note)])


def latencies(runs: Sequence[RunResult]) -> np.ndarray:
    """All latency samples of several runs, pooled."""
    return np.concatenate([run.latency_ns for run in runs]) if runs else np.empty(0, dtype=np.int64)
