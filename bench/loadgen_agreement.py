"""infermeter's open-loop generator against MLPerf LoadGen, driving one compiled model at one offered QPS.

ResNet-18 is read and compiled once; then PAIRS interleaved pairs (infermeter first, then LoadGen first, ...),
each side a Poisson run at half the model's closed-loop capacity (``--load``) with the same engine slots: achieved QPS
(with its 95 % CI) and p99 latency (with its distribution-free 95 % CI) from each side's per-request stamps, and
LoadGen's own figures from its log. Agreement = the two CIs overlap. Then LoadGen's FindPeakPerformance (it
doubles and bisects on single raw p99 values) beside `infermeter capacity`'s interval for the same SLO.
Needs the loadgen extra. Run it alone, under `flock /tmp/infermeter-timing.lock`.

    python bench/loadgen_agreement.py [--quick] [--pairs 3] [--seconds 10] [--load 0.5] [--engine onnxruntime]

At 70 % load on these VMs a p99 has no CI on 30-s sides (bursts of slow requests make the latencies too
dependent for one), and a missing CI cannot show agreement: hence half load by default.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import machine, write_result

from infermeter.config.benchmark import build_config
from infermeter.events import NullObserver
from infermeter.measure.run import Prepared, measure, prepare
from infermeter.results.run import RunResult


def config(engine: str, seconds: float, qps: float, slots: int | None, loadgen: str | None) -> Any:
    return build_config("zoo:resnet18", engine=engine, qps=qps, nireq=slots, time=seconds, warmup="1",
                        loadgen=loadgen)


def side(prepared: Prepared, cfg: Any) -> RunResult:
    run = measure(dataclasses.replace(prepared, config=cfg), NullObserver()).run
    assert run is not None
    return run


def ci(interval: Any, scale: float = 1.0, digits: int = 1, estimate: float | None = None) -> str:
    if interval is None:
        return "–" if estimate is None else f"{estimate / scale:.{digits}f} (no CI)"
    low, high = interval.low / scale, interval.high / scale
    return f"{interval.estimate / scale:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def latency(run: RunResult, p: float) -> str:
    return ci(run.latency.interval(p), 1e6, 2, run.latency.percentile(p))


def overlap(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a.low <= b.high and b.low <= a.high


def find_peak(prepared: Prepared, engine: str, slots: int, start: float, bound_ns: int, seconds: float,
              folder: Path) -> tuple[float | None, float]:
    """LoadGen's own peak search (FindPeakPerformance) on the same compiled model and slots."""
    import mlperf_loadgen as lg

    from infermeter.scenarios import loadgen

    folder.mkdir(parents=True, exist_ok=True)
    sessions = [prepared.compiled.create_session({k: v.array for k, v in prepared.ready.inputs.items()})
                for _ in range(slots)]
    test = loadgen.settings(start, int(seconds * 1e9), 0, 0)
    test.mode = lg.TestMode.FindPeakPerformance
    test.server_target_latency_ns = bound_ns
    test.server_target_latency_percentile = 0.99
    began = time.perf_counter()
    from array import array

    loadgen.LoadGenServer([s.infer for s in sessions], prepared.clock).run(test, folder, array("q", [0]))
    wall = time.perf_counter() - began
    text = (folder / "mlperf_log_detail.txt").read_text(encoding="utf-8")
    found = re.search(r"Found peak performance field: ([0-9.]+)", text)
    return (float(found.group(1)) if found else None), wall


def capacity(engine: str, slots: int, slo: str, seconds: float, folder: Path) -> tuple[dict[str, Any], float]:
    out = folder / "capacity.json"
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "infermeter", "capacity", "zoo:resnet18", "-e", engine, "-nireq",
                    str(slots), "--slo", slo, "-t", f"{seconds:g}", "-q", "-x", str(out), "--no-save-best"],
                   check=False, stdout=subprocess.DEVNULL)
    data: dict[str, Any] = json.loads(out.read_text())
    return data, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one pair, short runs, no peak searches")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--engine", default="onnxruntime")
    parser.add_argument("--load", type=float, default=0.5, help="offered rate as a share of the closed loop's")
    options = parser.parse_args()
    pairs, seconds = (1, 3.0) if options.quick else (options.pairs, options.seconds)
    engine = options.engine
    probe = build_config("zoo:resnet18", engine=engine, api="async", time=seconds)
    prepared = prepare(probe, NullObserver())
    slots = prepared.compiled.runtime.optimal_requests
    closed = measure(dataclasses.replace(prepared, config=build_config(
        "zoo:resnet18", engine=engine, api="async", nireq=slots, time=seconds)), NullObserver()).run
    assert closed is not None and closed.requests_per_second
    rate = options.load * closed.requests_per_second
    rows, agree = [], []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for pair in range(pairs):
            sides = {"infermeter": None, "loadgen": str(folder / f"lg{pair}")}
            order = list(sides) if pair % 2 == 0 else list(sides)[::-1]
            runs = {name: side(prepared, config(engine, seconds, rate, slots, sides[name])) for name in order}
            from infermeter.scenarios.loadgen import read_results

            own = read_results(folder / f"lg{pair}")
            ours, theirs = runs["infermeter"], runs["loadgen"]
            same = (overlap(ours.throughput_interval, theirs.throughput_interval),
                    overlap(ours.latency.interval(90), theirs.latency.interval(90)),
                    overlap(ours.latency.interval(99), theirs.latency.interval(99)))
            agree.append(same)
            rows.append(f"| {pair + 1} ({' then '.join(order)}) | {ci(ours.throughput_interval)} | "
                        f"{ci(theirs.throughput_interval)} ({own.completed_qps:.1f} in its log) | "
                        f"{latency(ours, 90)} | {latency(theirs, 90)} | {latency(ours, 99)} | "
                        f"{latency(theirs, 99)} ({(own.p99_ns or 0) / 1e6:.2f} in its log) | "
                        + " / ".join("yes" if value else "NO" for value in same) + " |")
            print(rows[-1], flush=True)
        bound_ns = round(4 * closed.latency.median / 1e6) * 1_000_000 if closed.latency.median else 0
        peak_lines = ["(skipped with --quick)"]
        if not options.quick:
            peak, peak_wall = find_peak(prepared, engine, slots, rate / 2, bound_ns, seconds, folder / "peak")
            cap, cap_wall = capacity(engine, slots, f"p99<={bound_ns // 1_000_000}ms", seconds / 2, folder)
            peak_lines = ["| search | answer (QPS) | interval | runs | wall time (s) |", "|---|---:|---|---:|---:|",
                          f"| LoadGen FindPeakPerformance | {peak} | none (single raw p99 per run) | – | "
                          f"{peak_wall:.0f} |",
                          f"| infermeter capacity | {cap['max_qps']} | {cap['max_qps_interval']} | "
                          f"{len(cap['probes'])} | {cap_wall:.0f} |"]
    lines = ["# infermeter's open-loop generator against MLPerf LoadGen", "", f"Machine: {machine()}", "",
             f"ResNet-18 on {engine}, {slots} engine slot(s), compiled once; Poisson arrivals at {rate:.1f} QPS "
             f"({options.load:.0%} of the closed-loop {closed.requests_per_second:.1f} req/s), {seconds:g} s per side; "
             "estimates with 95 % CIs from each side's own per-request stamps.", "",
             "| pair | infermeter achieved QPS | LoadGen achieved QPS | infermeter p90 (ms) | LoadGen p90 (ms) | "
             "infermeter p99 (ms) | LoadGen p99 (ms) | CIs overlap (QPS / p90 / p99) |",
             "|---|---|---|---|---|---|---|---|", *rows, "",
             f"Agreement (the two CIs overlap; no CI on a side cannot show agreement): QPS in "
             f"{sum(a for a, _, _ in agree)} of {len(agree)} pairs, p90 in {sum(b for _, b, _ in agree)}, p99 in "
             f"{sum(c for _, _, c in agree)}.", "",
             f"## Peak search under p99 <= {bound_ns / 1e6:.0f} ms", "", *peak_lines, ""]
    write_result("loadgen_agreement.md", "\n".join(lines))


if __name__ == "__main__":
    main()
