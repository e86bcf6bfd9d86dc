"""The open-loop generator against its targets (issue 17), every run a fresh `infermeter run` process:

1. Generator ceiling, per engine, on the trivial model (Y = X + 1), one engine slot, in this process with
   infermeter's own session classes and loops: in each round, for each share, the closed-loop calls/s
   (``run_sync``, 1 s) and right after it ``run_inline`` with constant arrivals at that share of it (1 s); a
   share is *sustained* in a round when lateness p99 <= 100 µs and achieved >= 97 % of offered. Also the
   back-to-back open loop (every request due at once) against the closed loop: the loop's own ceiling.
   Target: the highest share sustained in most rounds >= 0.9.
2. ResNet-18 at 80 % of its capacity (closed-loop requests/s with the server's slots), Poisson arrivals:
   lateness p99 / median service time. Target: ≤ 2 %.
3. `infermeter capacity zoo:resnet18 --slo p99<=BOUND` (BOUND = 4 × the median latency of an async closed
   loop, every slot busy): its wall time (target ≤ 2 minutes), then `run --load-config` replays of its
   answer: does the replayed p99 meet the SLO, and does a second search land inside the first one's interval?

Pairs are interleaved (engine A's ladder, engine B's, then B, A, ...); medians and ranges are reported. Run it
alone, under `flock /tmp/infermeter-timing.lock`: two timing jobs on a 2-core machine halve each other.

    python bench/serving.py [--quick] [--pairs 3] [--seconds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import RESULTS, build_trivial_model, machine, spread, write_result

SHARES = (0.8, 0.9, 0.95, 1.0)
LATE_NS = 100_000


def run(*args: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "r.json"
        subprocess.run([sys.executable, "-m", "infermeter", "run", *args, "-q", "-x", str(out)], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        data: dict[str, Any] = json.loads(out.read_text())
        return data


def p99(stats: dict[str, Any]) -> float:
    value = stats["percentiles_ns"]["p99"]
    return float(value if value is not None else stats["max_ns"])


def sessions(model: Path) -> dict[str, Any]:
    """The engines' sync calls as infermeter builds them (latency-tuned, f32, as -nireq 1 is)."""
    import bare_loops
    import numpy as np
    import openvino as ov

    from infermeter.engines.onnxruntime import OrtSession
    from infermeter.engines.openvino import OpenVINOSession

    inputs = {"X": np.ones((1, 8), np.float32)}
    compiled = ov.Core().compile_model(str(model), "CPU", {"PERFORMANCE_HINT": "LATENCY",
                                                          "INFERENCE_PRECISION_HINT": "f32"})
    return {"onnxruntime": OrtSession(bare_loops.ort_session(str(model), 1), inputs, True),
            "openvino": OpenVINOSession(compiled, inputs, [])}


def closed_rate(session: Any, seconds: float) -> float:
    from array import array

    from infermeter.scenarios.loops import run_sync
    from infermeter.scenarios.recording import SampleBuffer
    from infermeter.scenarios.stop import Stop

    buffer = SampleBuffer()
    began = time.perf_counter()
    run_sync(session, time.perf_counter_ns, Stop(0, int(seconds * 1e9)), buffer, array("q", [0]))
    return buffer.count / (time.perf_counter() - began)


def open_run(session: Any, rate: float, seconds: float) -> tuple[float, float]:
    """run_inline at constant ``rate`` (0: every request due at once): (achieved/s, lateness p99 ns)."""
    from array import array

    import numpy as np

    from infermeter.scenarios.openloop import run_inline

    n = max(100, int((rate or 200_000) * seconds))
    offsets = (np.arange(n, dtype=np.float64) * (1e9 / rate if rate else 0.0)).astype(np.int64)
    records: list[Any] = []
    run_inline(session.infer, time.perf_counter_ns, offsets, None, array("q", [0]), records.append)
    record = records[0]
    achieved = len(record.completed) * 1e9 / float(record.completed[-1] - record.scheduled[0])
    return achieved, float(np.percentile(record.issued - record.scheduled, 99))


def ceiling(session: Any, seconds: float, rounds: int) -> dict[str, Any]:
    import bare_loops

    bare_loops.warm_up(session.infer)
    closed, backlog = [], []
    ladder: dict[float, list[tuple[float, float, bool]]] = {share: [] for share in SHARES}
    for _ in range(rounds):
        rate = closed_rate(session, seconds)
        closed.append(rate)
        backlog.append(open_run(session, 0.0, seconds)[0] / rate)
        for share in SHARES:
            rate = closed_rate(session, seconds)
            achieved, late = open_run(session, share * rate, seconds)
            ratio = achieved / (share * rate)
            ladder[share].append((ratio, late, late <= LATE_NS and ratio >= 0.97))
    sustained = [share for share in SHARES if sum(ok for _, _, ok in ladder[share]) * 2 > rounds]
    return {"closed": closed, "backlog": backlog, "ladder": ladder, "share": max(sustained, default=0.0)}


def at_80(engine: str, seconds: float) -> dict[str, float]:
    closed = run("zoo:resnet18", "-e", engine, "-s", "async", "-t", str(seconds))
    slots = closed["engine"]["optimal_requests"]
    capacity = run("zoo:resnet18", "-e", engine, "-s", "async", "-nireq", str(slots), "-t", str(seconds))
    rate = float(capacity["run"]["requests_per_s"])
    result = run("zoo:resnet18", "-e", engine, "-s", "server", "--qps", f"{0.8 * rate:.2f}", "-nireq", str(slots),
                 "-t", str(seconds * 2))["run"]
    service = float(result["service"]["median_ns"])
    return {"capacity": rate, "slots": slots, "lateness_p99": p99(result["lateness"]), "service": service,
            "share": p99(result["lateness"]) / service}


def capacity(engine: str, slo: str, seconds: float, folder: Path, name: str, tolerance: str) -> dict[str, Any]:
    out = folder / f"{name}.json"
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "infermeter", "capacity", "zoo:resnet18", "-e", engine, "--slo", slo,
                    "-t", str(seconds), "--tolerance", tolerance, "-q", "-x", str(out), "--save-best",
                    str(folder / f"{name}-best.json")],
                   check=False, stdout=subprocess.DEVNULL)
    data: dict[str, Any] = json.loads(out.read_text())
    data["wall_s"] = time.perf_counter() - began
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one pair, short runs (checks the script)")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--engines", default="onnxruntime,openvino")
    parser.add_argument("--capacity-only", action="store_true",
                        help="rerun section 3 alone and replace it in the existing serving.md")
    options = parser.parse_args()
    pairs, seconds = (1, 1.0) if options.quick else (options.pairs, options.seconds)
    engines = options.engines.split(",")
    if options.capacity_only:
        with tempfile.TemporaryDirectory() as scratch:
            section = _capacity_section(engines[0], seconds, Path(scratch), pairs, "10%" if options.quick else "3%")
        old = (RESULTS / "serving.md").read_text(encoding="utf-8").split("## 3. ")[0]
        write_result("serving.md", old + "\n".join([*section[:2], f"Rerun alone on {machine()}.", "", *section[2:]]))
        return
    lines = ["# Serving: the open-loop generator against its targets", "", f"Machine: {machine()}", ""]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        model = build_trivial_model(folder / "add8.onnx")
        built = sessions(model)
        ceilings = {engine: ceiling(built[engine], 0.5 if options.quick else 1.0, 1 if options.quick else 5)
                    for engine in engines}
        for engine in engines:
            print(f"{engine}: ceiling {ceilings[engine]['share']:.2f}x", flush=True)
        eighty: dict[str, list[dict[str, float]]] = {engine: [] for engine in engines}
        for pair in range(pairs):
            order = engines if pair % 2 == 0 else engines[::-1]
            for engine in order:
                eighty[engine].append(at_80(engine, seconds))
                print(f"pair {pair + 1}: {engine} 80 %: lateness {eighty[engine][-1]['share']:.2%} of service",
                      flush=True)
        lines += _ceiling_table(ceilings) + _eighty_table(eighty)
        lines += _capacity_section(engines[0], seconds, folder, pairs, "10%" if options.quick else "3%")
    write_result("serving.md", "\n".join(lines))


def _ceiling_table(ceilings: dict[str, dict[str, Any]]) -> list[str]:
    rounds = len(next(iter(ceilings.values()))["closed"])
    lines = ["## 1. Generator ceiling (trivial model, one slot, constant arrivals; target ≥ 0.90×)", "",
             f"In one process, {rounds} rounds; in each, per share, a closed-loop run then an open-loop run at that "
             "share of it. Sustained: lateness p99 ≤ 100 µs and achieved ≥ 0.97 × offered. Cells: rounds "
             "sustained, achieved/offered median (range), lateness p99 median.", "",
             "| engine | closed-loop calls/s | back-to-back open / closed | "
             + " | ".join(f"{share:.2f}×" for share in SHARES) + " | highest share sustained in most rounds |",
             "|---|---:|---:|" + "---|" * len(SHARES) + "---:|"]
    for engine, result in ceilings.items():
        cells = []
        for share in SHARES:
            runs = result["ladder"][share]
            cells.append(f"{sum(ok for _, _, ok in runs)}/{len(runs)}, {spread([r for r, _, _ in runs], 3)}, "
                         f"{statistics.median(late for _, late, _ in runs) / 1000:.1f} µs")
        lines.append(f"| {engine} | {spread(result['closed'], 0)} | {spread(result['backlog'], 3)} | "
                     + " | ".join(cells) + f" | {result['share']:.2f}× |")
    return [*lines, ""]


def _eighty_table(eighty: dict[str, list[dict[str, float]]]) -> list[str]:
    lines = ["## 2. ResNet-18 at 80 % of capacity, Poisson arrivals (target: lateness p99 ≤ 2 % of median "
             "service)", "", "| engine | slots | capacity (req/s) | lateness p99 (µs) | median service (ms) | "
             "lateness / service |", "|---|---:|---:|---:|---:|---:|"]
    for engine, runs in eighty.items():
        lines.append(f"| {engine} | {int(runs[0]['slots'])} | {spread([r['capacity'] for r in runs])} | "
                     f"{spread([r['lateness_p99'] / 1000 for r in runs])} | "
                     f"{spread([r['service'] / 1e6 for r in runs], 2)} | "
                     f"{spread([100 * r['share'] for r in runs], 3)} % |")
    return [*lines, ""]


def _capacity_section(engine: str, seconds: float, folder: Path, pairs: int, tolerance: str) -> list[str]:
    # the bound is 4 x the median latency of the closed loop the search itself starts from (the server's slots,
    # all busy): a single-request latency would set the bound below the service time of two requests at once
    closed = run("zoo:resnet18", "-e", engine, "-s", "async", "-t", str(seconds))["run"]
    bound_ms = round(4 * closed["latency"]["median_ns"] / 1e6)
    slo = f"p99<={bound_ms}ms"
    first = capacity(engine, slo, max(seconds, 3.0), folder, "first", tolerance)
    second = capacity(engine, slo, max(seconds, 3.0), folder, "second", tolerance)
    low, high = first["max_qps_interval"] or (None, None)
    replays = []
    for _ in range(pairs):
        replay = run("--load-config", str(folder / "first-best.json"))["run"]
        replays.append(p99(replay["latency"]) / 1e6)
    inside = low is not None and second["max_qps"] is not None and low <= second["max_qps"] <= high
    return [f"## 3. Capacity search on ResNet-18 ({engine}, {slo}, tolerance {tolerance}; target ≤ 120 s, replays "
            "within the interval)", "",
            "| search | wall time (s) | probes | runs (retries included) | max QPS | interval |",
            "|---|---:|---:|---:|---:|---|",
            *(f"| {name} | {data['wall_s']:.0f} | {len(data['probes'])} | "
              f"{sum(p['attempts'] for p in data['probes'])} | {data['max_qps']} | "
              f"{data['max_qps_interval']} |" for name, data in (("first", first), ("second", second))), "",
            *(f"{name}: closed loop {data['estimate_qps']:.1f} QPS; probes "
              + ", ".join(_probe_text(p) for p in data["probes"]) + "."
              for name, data in (("first", first), ("second", second)) if data.get("estimate_qps")), "",
            f"The second search's answer is {'inside' if inside else 'OUTSIDE'} the first one's interval. Replays of "
            f"the first answer ({first['max_qps']} QPS, `run --load-config`): p99 "
            f"{', '.join(f'{v:.1f}' for v in replays)} ms against the bound {bound_ms} ms "
            f"({sum(v <= bound_ms for v in replays)} of {len(replays)} meet it).", ""]


def _probe_text(probe: dict[str, Any]) -> str:
    runs = f" ({probe['attempts']} runs)" if probe["attempts"] > 1 else ""
    again = " (confirmation)" if probe.get("confirmation") else ""
    return f"{probe['offered_qps']:g} {probe['verdict']}{again}{runs}"


if __name__ == "__main__":
    main()
