#!/usr/bin/env python3
"""Does infermeter's A/B verdict tell the truth on this noisy machine? A/A false alarms, detection of a real 5 %
slowdown, and the time --until-decided takes to decide a 10 % one.

Models, built in code (bench/models, not committed): chains of MatMul [64,256]×[256,256] + Relu. A has 20
layers; B5 has 21 (5 % more work, the same first 20 layers), B10 22 (10 %). No sleeps, no busy-waits: B does
more arithmetic. Cells: onnxruntime and openvino, -api sync and async, engine defaults otherwise.

Per cell, ``--sessions`` of each, in a rotation (A/A, A/B5, A/B10, ...), each with its own seed:
  A/A     ``run A --vs A`` (two separately compiled copies), interleaved (request by request for sync, bursts
          for async), a fixed ``--seconds`` per side. Any "faster" or "slower" verdict is a false alarm.
  A/B5    ``run A --vs B5``, the same. "slower" is a detection; "faster" a wrong one.
  A/B10   ``run A --vs B10 --until-decided --max-time SECONDS``, live: time to the verdict.
  lone    every 8th rotation, A alone for ``--seconds`` (its absolute numbers beside A's side of the A/A).
  rounds  in the ``--rounds-cells``: A/A and A/B5 with ``--interleave round --rounds R -t SECONDS/R`` (paired
          process-level rounds: the method truth_ab measured before), for the table's comparison.
Scored from each fixed session: the verdict at ``--seconds`` per side, at shorter prefixes of the same sessions
(fixed in advance, so each is a valid fixed-length interval; rows of one cell are the same sessions, not
independent), and --until-decided replayed from the saved units (min 1 s, max ``--seconds``), which is exactly
what a live run with the same seed does (tests/test_interleaved.py checks it). Rates with exact (Clopper–Pearson)
95 % intervals.

Every session's summary goes to bench/results/truth_ab.json as it finishes (``--resume`` continues from it, so a
long run can be stopped and restarted); ``--rescore`` rewrites the tables from it. Run it alone, under the
timing lock: ``flock /tmp/infermeter-timing.lock python bench/truth_ab.py``. Full: about 3 h on 2 cores.

Usage: python bench/truth_ab.py [--quick] [--sessions 40] [--seconds 10] [--cells ort-sync,ort-async,ov-sync,ov-async]
       [--rounds-cells ort-sync] [--resume] [--rescore] [--raw DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import time
from pathlib import Path
from typing import Any

from common import HERE, build_chain_model, machine

import infermeter
from infermeter.results.comparison import INCONCLUSIVE, Comparison
from infermeter.results.interleaved import Sequential, differences, replay, side_units
from infermeter.stats.intervals import Interval
from infermeter.stats.paired import median_interval

CELLS = {"ort-sync": ("onnxruntime", "sync"), "ort-async": ("onnxruntime", "async"),
         "ov-sync": ("openvino", "sync"), "ov-async": ("openvino", "async")}
PREFIXES = (2.0, 5.0)  # shorter fixed lengths scored from the same sessions (seconds per side)
MIN_DECIDE_NS = 1_000_000_000
RESULTS = HERE / "results"
PREVIOUS = ("previous truth_ab (2026-11-23): zoo:resnet18, B = A + a 5 % busy-wait per call, ONNX Runtime sync, "
            "10 paired rounds × 1.5 s = 15 s per side, old verdict rule (point estimate beyond 2 %, CI excluding 1): "
            "A/A 0/40, A/B 18/40 (45 %) on the median; 2/40 and 21/40 on p10; 0/40 and 18/40 on throughput")


def models() -> dict[str, Path]:
    folder = HERE / "models"
    return {name: build_chain_model(folder / f"chain{layers}.onnx", layers)
            for name, layers in (("A", 20), ("B5", 21), ("B10", 22))}


def metric_of(api: str) -> str:
    return "median" if api == "sync" else "throughput"


def verdict_of(metric: str, interval: Interval | None, threshold: float = 0.02) -> tuple[str, float, float, float]:
    """(verdict, ratio, low, high) of a log-ratio interval."""
    if interval is None:
        return INCONCLUSIVE, float("nan"), float("nan"), float("nan")
    import math

    ratio = Interval(math.exp(interval.estimate), math.exp(interval.low), math.exp(interval.high))
    comparison = Comparison(metric, 1.0, ratio.estimate, ratio, "interleaved", threshold)
    return comparison.verdict, ratio.estimate, ratio.low, ratio.high


def score_fixed(session: Any, metric: str, seconds: float) -> dict[str, Any]:
    """The fixed-length verdicts at each prefix and at the full length, and the replayed --until-decided."""
    import numpy as np

    record = session.interleaving
    runs = [reports[0].run for reports in session.reports]
    units = [side_units(record, runs, index) for index in range(len(runs))]
    elapsed = [np.cumsum(side.durations) for side in units]
    rounds = min(side.rounds for side in units)
    found: dict[str, Any] = {}
    for prefix in (*[p for p in PREFIXES if p < seconds], seconds):
        reach = [int(np.searchsorted(spent, prefix * 1e9, side="left")) + 1 for spent in elapsed]
        used = min(rounds, max(reach))
        verdict, ratio, low, high = verdict_of(metric, median_interval(differences(units[0], units[1], metric,
                                                                                   record.burst, used)))
        found[f"{prefix:g}"] = {"verdict": verdict, "ratio": ratio, "low": low, "high": high, "rounds": used}
    sequential = Sequential(metric, MIN_DECIDE_NS, int(seconds * 1e9))
    at = replay(record, runs, [(0, 1)], sequential, 0.02)
    decided = None
    if at is not None:
        replayed = dataclasses.replace(record, sequential=dataclasses.replace(sequential, decided_at=at))
        comparison = dataclasses.replace(session, interleaving=replayed).compare(0, 1, metric, 0.02)
        decided = {"verdict": comparison.verdict if comparison else INCONCLUSIVE, "rounds": at,
                   "seconds": max(float(spent[at - 1]) for spent in elapsed) / 1e9}
    found["replayed"] = decided
    return found


def common_options(engine: str, api: str, seconds: float) -> dict[str, Any]:
    return {"engine": engine, "api": api, "time": seconds}


def one(kind: str, cell: str, rep: int, paths: dict[str, Path], options: argparse.Namespace) -> dict[str, Any]:
    engine, api = CELLS[cell]
    metric, seconds, seed = metric_of(api), options.seconds, 1000 * rep + list(CELLS).index(cell)
    load = os.getloadavg()[0]
    began = time.monotonic()
    result: dict[str, Any] = {"cell": cell, "kind": kind, "rep": rep, "seed": seed, "load_before": load}
    if kind == "lone":
        report = infermeter.benchmark(str(paths["A"]), **common_options(engine, api, seconds), seed=seed)
        run = report.run
        assert run is not None
        result["value"] = run.latency.median if metric == "median" else run.throughput
        result["findings"] = [f.code for f in report.findings if f.effect != "info"]
        return {**result, "wall_s": time.monotonic() - began}
    b = {"AA": "A", "AB5": "B5", "AB10": "B10", "rounds-AA": "A", "rounds-AB5": "B5"}[kind]
    variants = [{}, {"model": str(paths[b])}]
    if kind.startswith("rounds"):
        session = infermeter.compare_configurations(str(paths["A"]), variants, rounds=options.rounds, seed=seed,
                                                    interleave="round", warmup="0.1s",
                                                    **common_options(engine, api, seconds / options.rounds))
        (_, comparison), = session.comparisons(metric)
        result["verdict"] = comparison.verdict if comparison else INCONCLUSIVE
        result["ratio"] = comparison.ratio.estimate if comparison else None
        return {**result, "wall_s": time.monotonic() - began}
    until = kind == "AB10"
    session = infermeter.compare_configurations(
        str(paths["A"]), variants, seed=seed, interleave="burst" if api == "async" else "request",
        until_decided=until, max_time=seconds if until else None,
        **common_options(engine, api, 1.0 if until else seconds))
    runs = [reports[0].run for reports in session.reports]
    result["a_value"] = runs[0].latency.median if metric == "median" else runs[0].throughput
    result["findings"] = sorted({f.code for reports in session.reports for f in reports[0].findings
                                 if f.effect != "info"})
    if until:
        (_, comparison), = session.comparisons(metric)
        record = session.interleaving
        result["verdict"] = comparison.verdict if comparison else INCONCLUSIVE
        result["ratio"] = comparison.ratio.estimate if comparison else None
        result["decided"] = record.sequential.decided_at is not None
        result["seconds"] = max(run.window_ns for run in runs) / 1e9
    else:
        result.update(score_fixed(session, metric, seconds))
    if options.raw:
        options.raw.mkdir(parents=True, exist_ok=True)
        (options.raw / f"{cell}-{kind}-{rep}.json").write_text(json.dumps(session.to_dict()))
    return {**result, "wall_s": time.monotonic() - began}


def plan(options: argparse.Namespace) -> list[tuple[str, str, int]]:
    jobs = []
    for cell in options.cells:
        for rep in range(options.sessions):
            kinds = ["AA", "AB5", "AB10"]
            if cell in options.rounds_cells:
                kinds += ["rounds-AA", "rounds-AB5"]
            if rep % 8 == 0:
                kinds.append("lone")
            shift = rep % len(kinds)
            jobs += [(kind, cell, rep) for kind in kinds[shift:] + kinds[:shift]]
    return jobs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 sessions of each, 2 s per side (checks the script)")
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=10, help="rounds of the paired-rounds sessions")
    parser.add_argument("--cells", default=",".join(CELLS))
    parser.add_argument("--rounds-cells", default="ort-sync")
    parser.add_argument("--out", type=Path, default=RESULTS / "truth_ab.md")
    parser.add_argument("--resume", action="store_true", help="keep the finished sessions in the JSON beside --out")
    parser.add_argument("--rescore", action="store_true", help="only rewrite the tables from the JSON")
    parser.add_argument("--raw", type=Path, help="also keep every session's full JSON here")
    options = parser.parse_args()
    if options.quick:
        options.sessions, options.seconds = 3, 2.0
    options.cells = [cell for cell in options.cells.split(",") if cell]
    options.rounds_cells = [cell for cell in options.rounds_cells.split(",") if cell]
    store = options.out.with_suffix(".json")
    done: list[dict[str, Any]] = json.loads(store.read_text())["sessions"] if (options.resume or options.rescore) \
        and store.exists() else []
    if not options.rescore:
        paths = models()
        finished = {(r["kind"], r["cell"], r["rep"]) for r in done}
        jobs = [job for job in plan(options) if job not in finished]
        for index, (kind, cell, rep) in enumerate(jobs):
            result = one(kind, cell, rep, paths, options)
            done.append(result)
            print(f"[{index + 1}/{len(jobs)}] {cell} {kind} #{rep}: {short(result)}", flush=True)
            store.write_text(json.dumps({"options": settings(options), "sessions": done}))
    options.out.write_text(render(done, options))
    print(options.out.read_text())
    return 0


def settings(options: argparse.Namespace) -> dict[str, Any]:
    return {"sessions": options.sessions, "seconds": options.seconds, "rounds": options.rounds,
            "cells": options.cells, "rounds_cells": options.rounds_cells, "machine": machine(),
            "date": str(datetime.date.today()), "version": infermeter.__version__}


def short(result: dict[str, Any]) -> str:
    if "verdict" in result:
        extra = f" in {result['seconds']:.2f} s/side" if "seconds" in result else ""
        return f"{result['verdict']} (ratio {result.get('ratio') or float('nan'):.4f}){extra}"
    if "value" in result:
        return f"alone: {result['value']:.6g}"
    full = result[f"{max(float(k) for k in result if k.replace('.', '').isdigit()):g}"]
    replayed = result["replayed"]
    decided = f"; until-decided {replayed['verdict']} at {replayed['seconds']:.2f} s" if replayed else \
        "; until-decided: undecided"
    return f"{full['verdict']} ratio {full['ratio']:.4f} [{full['low']:.4f}, {full['high']:.4f}]{decided}"


def render(done: list[dict[str, Any]], options: argparse.Namespace) -> str:
    from truth_ab_tables import render_tables

    return render_tables(done, options, PREVIOUS)


if __name__ == "__main__":
    raise SystemExit(main())
