#!/usr/bin/env python3
"""Start-up time and peak memory: infermeter vs OpenVINO's benchmark_app, same model, side by side.

For each model, interleaved over ``--pairs`` pairs (order alternating), fresh processes, bytecode cached:
1. start-up, one measured inference (``-niter 1 -api sync -hint latency``; infermeter ``--no-warmup``):
   - process start → first inference: from just before the process is started to the arrival of the line
     each tool prints right after its first inference (benchmark_app: ``First inference took``; infermeter:
     its header's ``phases`` line, printed as soon as the first inference is done);
   - the whole process, start to exit (imports, read, compile, first inference, report, teardown);
2. memory: peak RSS (``getrusage`` of the child) of a normal run (``-api async -hint throughput -t SECONDS``).
The table gives medians (min–max) and the median of the per-pair ratios infermeter / benchmark_app
(< 1 = infermeter faster / smaller). ``infermeter --help`` and ``infermeter engines`` are timed too (target
< 0.3 s). Run it alone: two timing jobs on a 2-core machine disturb each other.

Usage: python bench/startup_memory.py [--pairs 5] [--seconds 4] [--models resnet50,bert_base]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from common import (
    CNN_SHAPE,
    HERE,
    MODELS,
    benchmark_app,
    child_env,
    ensure_models,
    interleaved,
    machine,
    ratio_text,
    ratios,
    spread,
    write_result,
)

MARKERS = {"benchmark_app": "First inference took", "infermeter": "phases "}


def first_inference(command: list[str], marker: str) -> tuple[float, float]:
    """(seconds to the marker line, seconds to exit) of one process."""
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=child_env())
    assert process.stdout is not None
    seen = None
    for line in process.stdout:
        if seen is None and marker in line:
            seen = time.perf_counter() - began
    if process.wait() != 0 or seen is None:
        raise RuntimeError(f"{command[0]} failed or printed no {marker!r} line")
    return seen, time.perf_counter() - began


def peak_rss_mib(command: list[str]) -> float:
    """Peak RSS of one child process (wait4's rusage: that child only)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env())
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}")
    return usage.ru_maxrss / 1024.0


def commands(model: Path, seconds: float) -> dict[str, dict[str, list[str]]]:
    shape = [] if model.stem == "bert_base" else ["-shape", CNN_SHAPE]
    mine = [sys.executable, "-m", "infermeter", "run", str(model), "-e", "openvino", *shape]
    theirs = [benchmark_app(), "-m", str(model), "-d", "CPU", *shape]
    once = ["-niter", "1", "-api", "sync", "-hint", "latency"]
    load = ["-t", f"{seconds:g}", "-api", "async", "-hint", "throughput"]
    return {"benchmark_app": {"startup": [*theirs, *once], "memory": [*theirs, *load]},
            "infermeter": {"startup": [*mine, *once, "--no-warmup"], "memory": [*mine, *load, "-q"]}}


def time_command(args: list[str], repeats: int) -> list[float]:
    found = []
    for _ in range(repeats):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "infermeter", *args], check=True, stdout=subprocess.DEVNULL,
                       env=child_env())
        found.append(time.perf_counter() - began)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--model-dir", type=Path, default=HERE / "models")
    parser.add_argument("--quick", action="store_true", help="1 pair of 2 s, squeezenet1_1 (checks the script)")
    options = parser.parse_args()
    if options.quick:
        options.pairs, options.seconds, options.models = 1, 2.0, "squeezenet1_1"
    names = [name for name in options.models.split(",") if name]
    ensure_models(options.model_dir, names)
    for tool, runs in commands(options.model_dir / f"{names[0]}.onnx", options.seconds).items():
        first_inference(runs["startup"], MARKERS[tool])  # writes bytecode caches; not counted
    results = {}
    for name in names:
        runs = commands(options.model_dir / f"{name}.onnx", options.seconds)
        startup = interleaved(options.pairs, {tool: (lambda c=runs[tool]["startup"], t=tool:
                                                     first_inference(c, MARKERS[t])) for tool in runs},
                              progress=f"{name} start-up")
        memory = interleaved(options.pairs, {tool: (lambda c=runs[tool]["memory"]: peak_rss_mib(c))
                                             for tool in runs}, progress=f"{name} memory")
        results[name] = (startup, memory)
    light = {"--help": time_command(["--help"], 5), "engines": time_command(["engines"], 5)}
    write_result("startup_memory.md", render(results, light, options))
    return 0


def render(results: dict[str, tuple[dict[str, list[tuple[float, float]]], dict[str, list[float]]]],
           light: dict[str, list[float]], options: argparse.Namespace) -> str:
    lines = [
        "# Start-up and peak memory: infermeter vs benchmark_app (OpenVINO, CPU)",
        "",
        f"Machine: {machine()}.",
        f"{options.pairs} interleaved pairs per model (order alternating), fresh processes, bytecode cached "
        "(PYTHONDONTWRITEBYTECODE unset for both). Start-up: `-niter 1 -api sync -hint latency` (infermeter "
        "`--no-warmup`); first inference = process start to the line each tool prints after it. Memory: peak "
        f"RSS of `-t {options.seconds:g} -api async -hint throughput`. Ratio = infermeter / benchmark_app, "
        "median of the pairs (< 1: infermeter faster or smaller). `python bench/startup_memory.py`",
        "",
        "| model | start → first inference, s: BA | infermeter | ratio (target ≤ 1) | whole process, s: BA "
        "| infermeter | ratio | peak RSS MiB: BA | infermeter | ratio (target ≤ 1) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (startup, memory) in results.items():
        ba_first = [first for first, _ in startup["benchmark_app"]]
        im_first = [first for first, _ in startup["infermeter"]]
        ba_all = [whole for _, whole in startup["benchmark_app"]]
        im_all = [whole for _, whole in startup["infermeter"]]
        lines.append(
            f"| {name} | {spread(ba_first, 2)} | {spread(im_first, 2)} | {ratio_text(ratios(im_first, ba_first))} "
            f"| {spread(ba_all, 2)} | {spread(im_all, 2)} | {ratio_text(ratios(im_all, ba_all))} "
            f"| {spread(memory['benchmark_app'], 0)} | {spread(memory['infermeter'], 0)} "
            f"| {ratio_text(ratios(memory['infermeter'], memory['benchmark_app']))} |")
    lines += ["", "Commands that load no engine (5 runs each, target < 0.3 s):", ""]
    lines += [f"- `infermeter {args}`: {spread(values, 3)} s (median, min–max)"
              for args, values in light.items()]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
