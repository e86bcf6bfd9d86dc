"""The tables of bench/truth_ab.py, from its per-session summaries (so ``--rescore`` needs no engine)."""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from common import machine, rate_text

FASTER, SLOWER, EQUIVALENT = "faster", "slower", "equivalent"
TARGETS = ("Targets (issue 20): a real 5 % slowdown detected in ≥ 95 % of sessions with ≤ 10 s per side; A/A false "
           "alarms ≤ 5 % at the same settings, --until-decided included; with --until-decided, median time to a "
           "verdict for a 10 % difference ≤ 3 s per side.")


def _of(done: list[dict[str, Any]], cell: str, kind: str) -> list[dict[str, Any]]:
    return [r for r in done if r["cell"] == cell and r["kind"] == kind]


def _alarm(verdict: str | None) -> bool:
    return verdict in (FASTER, SLOWER)


def _median_time(times: list[float]) -> str:
    return f"{statistics.median(times):.2f} s" if times else "–"


def _fixed_rows(cell: str, done: list[dict[str, Any]], seconds: float) -> list[str]:
    aa, ab = _of(done, cell, "AA"), _of(done, cell, "AB5")
    lengths = sorted({key for r in aa + ab for key in r if key.replace(".", "").isdigit()}, key=float, reverse=True)
    rows = []
    for length in lengths:
        label = "interleaved, fixed length" + ("" if float(length) == seconds else " (the same sessions' first part)")
        alarms = sum(_alarm(r[length]["verdict"]) for r in aa if length in r)
        found = sum(r[length]["verdict"] == SLOWER for r in ab if length in r)
        wrong = sum(r[length]["verdict"] == FASTER for r in ab if length in r)
        rows.append(f"| {cell} | {label} | {length} s | {rate_text(alarms, len(aa))} | {rate_text(found, len(ab))} | "
                    f"{wrong} | – |")
    return rows


def _sequential_rows(cell: str, done: list[dict[str, Any]], seconds: float) -> list[str]:
    aa, ab, ab10 = _of(done, cell, "AA"), _of(done, cell, "AB5"), _of(done, cell, "AB10")
    rows = []
    if aa or ab:
        alarms = sum(bool(r["replayed"]) and _alarm(r["replayed"]["verdict"]) for r in aa)
        found = sum(bool(r["replayed"]) and r["replayed"]["verdict"] == SLOWER for r in ab)
        wrong = sum(bool(r["replayed"]) and r["replayed"]["verdict"] == FASTER for r in ab)
        times = [r["replayed"]["seconds"] if r["replayed"] else seconds for r in ab]
        rows.append(f"| {cell} | --until-decided (replayed from the fixed sessions) | ≤ {seconds:g} s | "
                    f"{rate_text(alarms, len(aa))} | {rate_text(found, len(ab))} | {wrong} | "
                    f"5 %: {_median_time(times)} |")
    if ab10:
        found = sum(r["verdict"] == SLOWER for r in ab10)
        times = [r["seconds"] if r["decided"] else seconds for r in ab10]
        rows.append(f"| {cell} | --until-decided, live, B 10 % slower | ≤ {seconds:g} s | – | 10 %: "
                    f"{rate_text(found, len(ab10))} | {sum(r['verdict'] == FASTER for r in ab10)} | "
                    f"**10 %: {_median_time(times)}** |")
    return rows


def _rounds_rows(cell: str, done: list[dict[str, Any]], options: argparse.Namespace) -> list[str]:
    aa, ab = _of(done, cell, "rounds-AA"), _of(done, cell, "rounds-AB5")
    if not aa and not ab:
        return []
    alarms = sum(_alarm(r["verdict"]) for r in aa)
    found = sum(r["verdict"] == SLOWER for r in ab)
    wrong = sum(r["verdict"] == FASTER for r in ab)
    return [f"| {cell} | paired process-level rounds ({options.rounds} × {options.seconds / options.rounds:g} s, "
            f"-w 0.1s each) | {options.seconds:g} s | {rate_text(alarms, len(aa))} | {rate_text(found, len(ab))} | "
            f"{wrong} | – |"]


def _effects(cell: str, done: list[dict[str, Any]], seconds: float) -> str:
    key = f"{seconds:g}"
    aa, ab = _of(done, cell, "AA"), _of(done, cell, "AB5")
    ab10 = [r["ratio"] for r in _of(done, cell, "AB10") if r.get("ratio")]
    ratio_ab = [r[key]["ratio"] for r in ab if key in r]
    ratio_aa = [r[key]["ratio"] for r in aa if key in r]
    width = [(r[key]["high"] - r[key]["low"]) / 2 for r in aa if key in r]
    spread = (f"{statistics.median(ratio_aa):.4f} ({min(ratio_aa):.4f}–{max(ratio_aa):.4f})" if ratio_aa else "–")
    return (f"| {cell} | {statistics.median(ratio_ab):.4f} | " if ratio_ab else f"| {cell} | – | ") + \
        (f"{statistics.median(ab10):.4f} | " if ab10 else "– | ") + \
        f"{spread} | {100 * statistics.median(width):.2f} % |" if width else "– |"


def _absolute(cell: str, done: list[dict[str, Any]]) -> str | None:
    lone = [r["value"] for r in _of(done, cell, "lone")]
    inter = [r["a_value"] for r in _of(done, cell, "AA")]
    if not lone or not inter:
        return None
    sync = cell.endswith("sync") and not cell.endswith("async")
    unit, scale = ("ms (median latency)", 1e-6) if sync else ("items/s (throughput)", 1.0)
    return (f"| {cell} | {statistics.median(lone) * scale:,.4g} ({len(lone)} runs) | "
            f"{statistics.median(inter) * scale:,.4g} ({len(inter)} sessions) | "
            f"{statistics.median(inter) / statistics.median(lone):.3f} | {unit} |")


def _noise(done: list[dict[str, Any]]) -> str:
    loads = [r["load_before"] for r in done]
    busy = [r for r in done if "findings" in r]
    flagged = sum("BUSY_MACHINE" in r["findings"] for r in busy)
    return (f"Load average (1 min) before each session: median {statistics.median(loads):.2f}, "
            f"{min(loads):.2f}–{max(loads):.2f} on {machine().split(';')[0].split(',')[-1].strip()}; "
            f"BUSY_MACHINE (other processes ≥ 0.1 cores during the measurement) in {flagged} of {len(busy)} sessions. "
            "Other helpers' test suites ran on the same two cores during this run." if loads else "")


def render_tables(done: list[dict[str, Any]], options: argparse.Namespace, previous: str) -> str:
    seconds = options.seconds
    cells = [cell for cell in options.cells if any(r["cell"] == cell for r in done)]
    lines = ["# A/A false alarms, 5 % slowdown detection and time to a verdict (interleaved A/B)", "",
             f"Machine: {machine()}.", "",
             f"`flock /tmp/infermeter-timing.lock python bench/truth_ab.py --sessions {options.sessions} --seconds "
             f"{seconds:g} --cells {','.join(options.cells)} --rounds-cells {','.join(options.rounds_cells)}` · "
             "A = 20 × (MatMul [64,256]×[256,256] + Relu), B5 = 21 layers (5 % more work), B10 = 22 · threshold ±2 % "
             "· engine defaults · rates with exact 95 % intervals", "", TARGETS, "",
             "| cell | method | time per side | A/A: false alarms (faster or slower) | A/B 5 %: detected as slower | "
             "A/B: called faster | median time to a verdict |", "|---|---|---|---|---|---|---|"]
    for cell in cells:
        lines += [*_fixed_rows(cell, done, seconds), *_sequential_rows(cell, done, seconds),
                  *_rounds_rows(cell, done, options)]
    lines += ["", f"For comparison, {previous}.", "",
              "Rows of one cell are the same sessions scored differently, never summed. --until-decided "
              "(replayed) stops at the first look after 1 s per side at which the anytime-valid interval lies "
              "wholly inside or beyond ±2 %; undecided sessions count as the full length in its median time. "
              "The live rows ran --until-decided itself.", "",
              "Measured effects (median over sessions of the B/A ratio of the headline metric: median latency for "
              "sync, throughput for async; the 95 % half-width is the fixed-length interval's):", "",
              "| cell | A/B 5 % ratio | A/B 10 % ratio (live) | A/A ratio, median (range) | A/A CI half-width, "
              "median |", "|---|---:|---:|---:|---:|"]
    lines += [_effects(cell, done, seconds) for cell in cells]
    absolute = [row for row in (_absolute(cell, done) for cell in cells) if row]
    if absolute:
        lines += ["", "Interleaved against a lone run: A's own numbers in the A/A sessions (A took turns with a "
                  "second compiled copy) and A measured alone for the same time, medians:", "",
                  "| cell | alone | interleaved (A's side of A/A) | interleaved / alone | unit |",
                  "|---|---:|---:|---:|---|", *absolute]
    lines += ["", _noise(done), ""]
    return "\n".join(lines)
