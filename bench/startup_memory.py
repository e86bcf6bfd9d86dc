#!/usr/bin/env python3
"""Start-up time and peak memory: infermeter vs OpenVINO's benchmark_app, same model, side by side.

For each model, interleaved A B A B over ``--pairs`` rounds, fresh processes under ``/usr/bin/time``:
1. start-up: the whole process, start to exit, with one measured inference (``-niter 1 -api sync``, no warm-up
   for infermeter; benchmark_app always does its one warm-up inference): imports, read, compile, first
   inference and the report;
2. memory: peak RSS of a normal run (``-api async -hint throughput -t SECONDS``).
The table gives medians (min–max) and the median of the per-round ratios infermeter / benchmark_app
(< 1 = infermeter faster / smaller). Run it alone: two timing jobs on a 2-core machine disturb each other.

Usage: python bench/startup_memory.py [--pairs 3] [--seconds 5] [--models resnet50,bert_base]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import cpu_model, ensure_models, spread

HERE = Path(__file__).resolve().parent
MODELS = ("resnet50", "mobilenetv2", "squeezenet1_1", "bert_base")


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one process."""
    with tempfile.NamedTemporaryFile(suffix=".time") as stats:
        subprocess.run(["/usr/bin/time", "-o", stats.name, "-f", "%e %M", *command], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall, rss_kib = Path(stats.name).read_text().split()[-2:]
    return float(wall), int(rss_kib) / 1024.0


def commands(model: Path, seconds: float) -> dict[str, tuple[list[str], list[str]]]:
    tool = shutil.which("benchmark_app") or str(Path(sys.executable).parent / "benchmark_app")
    shape = [] if model.stem == "bert_base" else ["-shape", "[1,3,224,224]"]
    mine = [sys.executable, "-m", "infermeter", "run", str(model), "-e", "openvino", "-q", *shape]
    theirs = [tool, "-m", str(model), "-d", "CPU", *shape]
    return {
        "startup": ([*theirs, "-niter", "1", "-api", "sync", "-hint", "latency"],
                    [*mine, "-niter", "1", "-api", "sync", "-hint", "latency", "--no-warmup"]),
        "memory": ([*theirs, "-t", f"{seconds:g}", "-api", "async", "-hint", "throughput"],
                   [*mine, "-t", f"{seconds:g}", "-api", "async", "-hint", "throughput"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--model-dir", type=Path, default=HERE / "models")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "startup_memory.md")
    options = parser.parse_args()
    names = [name for name in options.models.split(",") if name]
    ensure_models(options.model_dir, names)
    results: dict[str, dict[str, list[float]]] = {name: {k: [] for k in ("ba_s", "im_s", "ba_mb", "im_mb")}
                                                  for name in names}
    for round_index in range(options.pairs):
        for name in names:
            runs = commands(options.model_dir / f"{name}.onnx", options.seconds)
            ba_s, _ = timed(runs["startup"][0])
            im_s, _ = timed(runs["startup"][1])
            _, ba_mb = timed(runs["memory"][0])
            _, im_mb = timed(runs["memory"][1])
            for key, value in (("ba_s", ba_s), ("im_s", im_s), ("ba_mb", ba_mb), ("im_mb", im_mb)):
                results[name][key].append(value)
            print(f"round {round_index + 1} {name}: start-up {ba_s:.2f} s vs {im_s:.2f} s; peak RSS "
                  f"{ba_mb:.0f} MiB vs {im_mb:.0f} MiB", flush=True)
    write_table(options, names, results)
    return 0


def write_table(options: argparse.Namespace, names: list[str], results: dict[str, dict[str, list[float]]]) -> None:
    lines = [
        "# Start-up and peak memory: infermeter vs benchmark_app (OpenVINO, CPU)",
        "",
        f"{options.pairs} interleaved pairs per model, fresh processes under /usr/bin/time. Machine: "
        f"{cpu_model()}, 2 cores. Start-up = whole process with one inference (`-niter 1 -api sync`); memory = "
        f"peak RSS of a `-t {options.seconds:g} -api async -hint throughput` run. Ratio = infermeter / "
        "benchmark_app (below 1: infermeter faster or smaller).",
        "",
        "| model | start-up s, benchmark_app | start-up s, infermeter | ratio | peak RSS MiB, benchmark_app "
        "| peak RSS MiB, infermeter | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        r = results[name]
        time_ratio = statistics.median(a / b for a, b in zip(r["im_s"], r["ba_s"], strict=True))
        rss_ratio = statistics.median(a / b for a, b in zip(r["im_mb"], r["ba_mb"], strict=True))
        lines.append(f"| {name} | {spread(r['ba_s'], 2)} | {spread(r['im_s'], 2)} | {time_ratio:.3f} | "
                     f"{spread(r['ba_mb'], 0)} | {spread(r['im_mb'], 0)} | {rss_ratio:.3f} |")
    options.out.parent.mkdir(exist_ok=True)
    options.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
