"""Does the best configuration a sweep finds, replayed with `run --load-config`, reproduce its throughput?

1. `infermeter sweep MODEL --nireq 1,2,4 --repeat R -t T` on a real engine (each point a fresh process,
   repetitions interleaved), saving the best configuration.
2. Then PAIRS pairs, interleaved: A = `infermeter run --load-config best.json` (the replay), B = the same
   configuration typed out (`infermeter run MODEL <shared options> -nireq N`), fresh processes, same duration.

Reported: the sweep's best point (median over its repetitions, and each repetition's own 95 % CI), every
replay's throughput and whether it lies inside the best point's CIs, and the median ratio replay / typed-out.
Run it alone: two timing jobs on a 2-core machine halve each other.

    python bench/sweep_replay.py [--engine onnxruntime] [--model zoo:resnet18] [--time 3] [--repeat 3] [--pairs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import cpu_model, spread

RESULTS = Path(__file__).resolve().parent / "results"


def infermeter(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "infermeter", *args], check=True, stdout=subprocess.DEVNULL)


def throughput_of(path: Path) -> tuple[float, list[float] | None]:
    run = json.loads(path.read_text())["run"]
    interval = run.get("throughput_interval")
    return run["throughput_items_per_s"], [interval["low"], interval["high"]] if interval else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="onnxruntime")
    parser.add_argument("--model", default="zoo:resnet18")
    parser.add_argument("--time", default="3")
    parser.add_argument("--repeat", default="3")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1 pair, 1 s points, 1 repeat (checks the script)")
    options = parser.parse_args()
    if options.quick:
        options.pairs, options.time, options.repeat = 1, "1", "1"
    work = Path(tempfile.mkdtemp(prefix="sweep-replay-"))
    shared = ["-e", options.engine, "-t", options.time, "-w", "1"]
    infermeter("sweep", options.model, *shared, "--nireq", "1,2,4", "--repeat", options.repeat,
               "-x", str(work / "sweep.json"), "--save-best", str(work / "best.json"), "-q")
    sweep = json.loads((work / "sweep.json").read_text())
    best = sweep["points"][sweep["best"]]
    nireq = best["options"]["nireq"]
    intervals = [[r["run"]["throughput_interval"]["low"], r["run"]["throughput_interval"]["high"]]
                 for r in best["reports"] if r["run"].get("throughput_interval")]
    replays, typed = [], []
    for pair in range(options.pairs):
        infermeter("run", "--load-config", str(work / "best.json"), "-x", str(work / f"replay{pair}.json"), "-q")
        infermeter("run", options.model, *shared, "-nireq", nireq, "-x", str(work / f"typed{pair}.json"), "-q")
        replays.append(throughput_of(work / f"replay{pair}.json")[0])
        typed.append(throughput_of(work / f"typed{pair}.json")[0])
    write_table(options, sweep, best, nireq, intervals, replays, typed)


def write_table(options: argparse.Namespace, sweep: dict, best: dict, nireq: str, intervals: list[list[float]],
                replays: list[float], typed: list[float]) -> None:
    inside = [any(low <= value <= high for low, high in intervals) for value in replays]
    ratios = [a / b for a, b in zip(replays, typed, strict=True)]
    lines = [
        f"# Sweep best configuration, replayed ({options.engine}, {options.model})",
        "",
        f"Machine: {cpu_model()}, 2 cores. Sweep: `--nireq 1,2,4 --repeat {options.repeat} -t {options.time}`, "
        "each point a fresh process, repetitions interleaved.",
        "",
        "| point | items/s (median of repetitions) | marks |",
        "|---|---:|---|",
    ]
    for index, point in enumerate(sweep["points"]):
        marks = ", ".join(m for m, on in (("best", index == sweep["best"]), ("knee", index == sweep["knee"]),
                                          ("frontier", index in sweep["pareto"])) if on)
        lines.append(f"| -nireq {point['options']['nireq']} | {point['throughput_items_per_s']:,.2f} | {marks} |")
    lines += [
        "",
        f"Best: -nireq {nireq}; its repetitions' 95 % CIs: "
        + ", ".join(f"[{low:,.2f}, {high:,.2f}]" for low, high in intervals),
        "",
        f"{options.pairs} interleaved pairs: A = `run --load-config best.json`, B = the same options typed out.",
        "",
        "| pair | replay items/s | inside a best-point CI | typed-out items/s | ratio A/B |",
        "|---|---:|---|---:|---:|",
    ]
    for pair, (value, hit, other, ratio) in enumerate(zip(replays, inside, typed, ratios, strict=True)):
        lines.append(f"| {pair + 1} | {value:,.2f} | {'yes' if hit else 'no'} | {other:,.2f} | {ratio:.3f} |")
    lines += ["", f"Replay: {spread(replays, 2)} items/s; sweep best point: {best['throughput_items_per_s']:,.2f}; "
              f"median ratio replay / typed-out {statistics.median(ratios):.3f}; "
              f"{sum(inside)} of {len(inside)} replays inside a best-point CI.", ""]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sweep_replay.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
