"""Rendering of sessions (several configurations × rounds) and comparisons: rich tables and Markdown."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..analysis.compare import FileComparison
from ..results.comparison import FASTER, SLOWER, Comparison, describe_change, higher_is_better
from ..results.session import Session
from ..stats.intervals import Interval
from ..units import format_duration, format_rate, format_rate_interval

SUMMARY_METRICS = ("throughput", "median", "p99")
_VERDICT_STYLE = {SLOWER: "bold red", FASTER: "bold green"}


def metric_label(metric: str) -> str:
    return "throughput (items/s)" if metric == "throughput" else f"latency {metric}"


def format_interval(metric: str, interval: Interval | None) -> str:
    if interval is None:
        return "–"
    if metric == "throughput":
        return format_rate_interval(interval.estimate, interval.half_width)
    return f"{format_duration(interval.estimate)} ± {format_duration(interval.half_width, 2)}"


def format_ratio(comparison: Comparison) -> str:
    ratio = comparison.ratio
    return f"{ratio.estimate:.3f}× [{ratio.low:.3f}, {ratio.high:.3f}]"


def render_session(session: Session, console: Console, metric: str, threshold: float, quiet: bool = False) -> None:
    """Per-configuration summary over rounds, then each configuration against the first."""
    if quiet:
        for line in [*session_lines(session, metric, threshold), *session.agreement]:
            console.print(line, soft_wrap=True)
        return
    table = Table(title=session_title(session), title_justify="left")
    table.add_column("configuration")
    for name in SUMMARY_METRICS:
        table.add_column(metric_label(name), justify="right")
    table.add_column("verdicts")
    for index, label in enumerate(session.labels):
        cells = [format_interval(name, session.summary(index, name)) for name in SUMMARY_METRICS]
        table.add_row(escape(label), *cells, escape(verdict_counts(session, index)))
    console.print(table)
    if len(session.labels) > 1:
        console.print(comparison_table(comparison_rows(session, metric, threshold), baseline_name(session), metric))
    console.print(Text(session_footer(session), style="dim"))
    for note in session.notes:
        console.print(Text(note, style="yellow" if note.startswith("warning") else "dim"))
    for line in session.agreement:
        console.print(Text(line, style="bold" if "DISAGREE" in line else ""))


def session_title(session: Session) -> str:
    state = " — PARTIAL (interrupted)" if session.partial else ""
    record = session.interleaving
    if record is None:
        done = min((len(r) for r in session.reports), default=0)
        return f"Configurations: {done} of {session.rounds} rounds each, interleaved, order shuffled per round{state}"
    return f"Configurations: interleaved {record.reason}{stopped(session)}{state}"


def stopped(session: Session) -> str:
    """With --until-decided: when it stopped and why."""
    record = session.interleaving
    if record is None or record.sequential is None:
        return ""
    sequential = record.sequential
    spent = max((report.run.window_ns for reports in session.reports for report in reports if report.run), default=0)
    if sequential.decided_at is not None:
        return (f"; --until-decided: decided after {sequential.decided_at} rounds ({spent / 1e9:.1f} s per "
                "configuration)")
    return f"; --until-decided: undecided when --max-time ({sequential.max_ns / 1e9:g} s per configuration) ran out"


def session_footer(session: Session) -> str:
    record = session.interleaving
    if record is None:
        return ("values: geometric mean over rounds ± 95% CI across rounds (one round: the run's own CI); ratios: "
                "paired by round")
    unit = "requests" if record.mode == "request" else "bursts"
    kind = "anytime-valid confidence sequence" if record.sequential is not None else "sign-test CI"
    return (f"values: each configuration's own requests, back to back, ± the run's CI; ratios: median of the ratios "
            f"of neighbouring {unit} ({kind}); verdicts against ±{session.threshold:.1%}")


def baseline_name(session: Session) -> str:
    pairs = session.pairs()
    bases = {base for base, _ in pairs}
    return session.labels[pairs[0][0]] if len(bases) == 1 and pairs else "its baseline"


def comparison_rows(session: Session, metric: str, threshold: float) -> list[tuple[str, Comparison | None]]:
    """Rows labelled by B alone when every row has the same baseline, else as 'B vs A'."""
    pairs = session.pairs()
    single = len({base for base, _ in pairs}) == 1
    return [(session.labels[index] if single else f"{session.labels[index]} vs {session.labels[base]}",
             session.compare(base, index, metric, threshold)) for base, index in pairs]


def verdict_counts(session: Session, index: int) -> str:
    counts = Counter(report.verdict for report in session.reports[index])
    codes = Counter(f.code for report in session.reports[index] for f in report.findings if f.effect != "info")
    text = ", ".join(f"{verdict} ×{count}" for verdict, count in sorted(counts.items()))
    return text + (f" ({', '.join(sorted(codes))})" if codes else "")


def comparison_table(rows: Sequence[tuple[str, Comparison | None]], baseline: str, metric: str) -> Table:
    direction = "higher is better" if higher_is_better(metric) else "lower is better"
    table = Table(title=f"Against {baseline}: {metric_label(metric)}, B/A ({direction})", title_justify="left")
    for column in ("B", "ratio B/A [95% CI]", "verdict", "method"):
        table.add_column(column)
    for label, comparison in rows:
        if comparison is None:
            table.add_row(escape(label), "–", "not enough data for a CI", "")
            continue
        table.add_row(escape(label), format_ratio(comparison),
                      Text(describe_change(comparison), style=_VERDICT_STYLE.get(comparison.verdict, "")),
                      comparison.method)
    return table


def session_lines(session: Session, metric: str, threshold: float) -> list[str]:
    lines = []
    for index, label in enumerate(session.labels):
        value = format_interval(metric, session.summary(index, metric))
        lines.append(f"{label}: {metric_label(metric)} {value} · {verdict_counts(session, index)}")
    for (base, _), (label, comparison) in zip(session.pairs(), session.comparisons(metric, threshold), strict=True):
        change = describe_change(comparison) if comparison is not None else "not enough data for a CI"
        lines.append(f"{label} vs {session.labels[base]}: {change}")
    if stopped(session):
        lines.append(stopped(session).removeprefix("; "))
    return lines


def comparison_markdown(rows: Sequence[tuple[str, Comparison]], warnings: Sequence[str]) -> str:
    """A Markdown table for a pull-request comment."""
    lines = ["| metric | A | B | B/A [95% CI] | verdict |", "|---|---|---|---|---|"]
    for name, comparison in rows:
        a, b = _value_text(comparison.metric, comparison.a), _value_text(comparison.metric, comparison.b)
        verdict = describe_change(comparison)
        if comparison.verdict == SLOWER:
            verdict = f"**{verdict}**"
        lines.append(f"| {name} | {a} | {b} | {format_ratio(comparison)} | {verdict} |")
    method = rows[0][1].method if rows else ""
    notes = [f"CI method: {method}; threshold {rows[0][1].threshold:.1%}." if rows else ""]
    notes += [f"> ⚠ {warning}" for warning in warnings]
    return "\n".join(lines + [""] + [n for n in notes if n]) + "\n"


def _value_text(metric: str, value: float) -> str:
    return f"{format_rate(value)} items/s" if metric == "throughput" else format_duration(value)


def print_file_comparisons(results: Sequence[FileComparison], console: Console, metric: str,
                           markdown: bool = False) -> None:
    for result in results:
        rows = [(name, c) for name, c in result.rows if c is not None]
        if markdown:
            print(f"**{result.label}**\n")
            print(comparison_markdown(rows, result.warnings))
            continue
        table = Table(title=f"{result.label}: B against A (the verdict and exit code follow {metric})",
                      title_justify="left")
        for column in ("metric", "A", "B", "B/A [95% CI]", "verdict", "method"):
            table.add_column(column)
        for name, comparison in result.rows:
            if comparison is None:
                table.add_row(metric_label(name), "–", "–", "–", "not enough data for a CI", "")
                continue
            table.add_row(metric_label(name), _value_text(name, comparison.a), _value_text(name, comparison.b),
                          format_ratio(comparison),
                          Text(describe_change(comparison), style=_VERDICT_STYLE.get(comparison.verdict, "")),
                          comparison.method)
        console.print(table)
        for warning in result.warnings:
            console.print(Text(f"warning: {warning}", style="yellow"))
