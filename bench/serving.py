"""The open-loop generator against its targets (issue 17), every run a fresh `infermeter run` process:

1. Generator ceiling, per engine, on the trivial model (Y = X + 1), one engine slot: the closed-loop calls/s
   (`-s sync`) and, right after it, open-loop constant arrivals at rising shares of that rate; the highest
   share that is *sustained* (lateness p99 ≤ 100 µs, achieved ≥ 97 % of offered, no QUEUE_GROWTH finding).
   Target: ≥ 0.9 × the closed-loop calls/s.
2. ResNet-18 at 80 % of its capacity (closed-loop requests/s with the server's slots), Poisson arrivals:
   lateness p99 / median service time. Target: ≤ 2 %.
3. `infermeter capacity zoo:resnet18 --slo p99<=BOUND` (BOUND = 4 × the closed-loop median latency): its
   wall time (target ≤ 2 minutes), then `run --load-config` replays of its answer: does the replayed p99 meet
   the SLO, and does a second search land inside the first one's interval?

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

from common import build_trivial_model, machine, spread, write_result

SHARES = (0.5, 0.7, 0.8, 0.9, 0.95, 1.0)
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


def ceiling(model: Path, engine: str, seconds: float) -> dict[str, Any]:
    closed = run(str(model), "-e", engine, "-s", "sync", "-t", str(seconds), "-w", "0.5")["run"]
    rate = float(closed["requests_per_s"])
    sustained, ladder = 0.0, []
    for share in SHARES:
        data = run(str(model), "-e", engine, "-s", "server", "--arrival", "constant", "--qps", f"{share * rate:.1f}",
                   "-nireq", "1", "-t", str(seconds), "-w", "0.5")
        result = data["run"]
        late = p99(result["lateness"])
        ok = late <= LATE_NS and result["achieved_qps"] >= 0.97 * result["offered_qps"] and \
            "QUEUE_GROWTH" not in [f["code"] for f in data["findings"]]
        ladder.append((share, late, result["achieved_qps"] / result["offered_qps"], ok))
        if ok:
            sustained = share
    return {"closed": rate, "share": sustained, "ladder": ladder}


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
    options = parser.parse_args()
    pairs, seconds = (1, 1.0) if options.quick else (options.pairs, options.seconds)
    engines = options.engines.split(",")
    lines = ["# Serving: the open-loop generator against its targets", "", f"Machine: {machine()}", ""]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        model = build_trivial_model(folder / "add8.onnx")
        ceilings: dict[str, list[dict[str, Any]]] = {engine: [] for engine in engines}
        eighty: dict[str, list[dict[str, float]]] = {engine: [] for engine in engines}
        for pair in range(pairs):
            order = engines if pair % 2 == 0 else engines[::-1]
            for engine in order:
                ceilings[engine].append(ceiling(model, engine, seconds))
                eighty[engine].append(at_80(engine, seconds))
                print(f"pair {pair + 1}: {engine} ceiling {ceilings[engine][-1]['share']:.2f}×, 80 %: lateness "
                      f"{eighty[engine][-1]['share']:.2%} of service", flush=True)
        lines += _ceiling_table(ceilings) + _eighty_table(eighty)
        lines += _capacity_section(engines[0], seconds, folder, pairs, "10%" if options.quick else "3%")
    write_result("serving.md", "\n".join(lines))


def _ceiling_table(ceilings: dict[str, list[dict[str, Any]]]) -> list[str]:
    lines = ["## 1. Generator ceiling (trivial model, one slot, constant arrivals; target ≥ 0.90×)", "",
             "| engine | closed-loop calls/s | sustained share (per pair) | median | ladder of the last pair "
             "(share: lateness p99, achieved/offered) |", "|---|---:|---|---:|---|"]
    for engine, runs in ceilings.items():
        shares = [r["share"] for r in runs]
        ladder = "; ".join(f"{s:.2f}: {late / 1000:.1f} µs, {ratio:.3f}{'' if ok else ' ✗'}"
                           for s, late, ratio, ok in runs[-1]["ladder"])
        lines.append(f"| {engine} | {spread([r['closed'] for r in runs], 0)} | "
                     f"{', '.join(f'{s:.2f}' for s in shares)} | {statistics.median(shares):.2f}× | {ladder} |")
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
    closed = run("zoo:resnet18", "-e", engine, "-s", "sync", "-t", str(seconds))["run"]
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
            "| search | wall time (s) | probes | max QPS | interval |", "|---|---:|---:|---:|---|",
            *(f"| {name} | {data['wall_s']:.0f} | {len(data['probes'])} | {data['max_qps']} | "
              f"{data['max_qps_interval']} |" for name, data in (("first", first), ("second", second))), "",
            f"The second search's answer is {'inside' if inside else 'OUTSIDE'} the first one's interval. Replays of "
            f"the first answer ({first['max_qps']} QPS, `run --load-config`): p99 "
            f"{', '.join(f'{v:.1f}' for v in replays)} ms against the bound {bound_ms} ms "
            f"({sum(v <= bound_ms for v in replays)} of {len(replays)} meet it).", ""]


if __name__ == "__main__":
    main()
