#!/usr/bin/env python3
"""Roofline: how close FP32 inference gets to this machine's practical FP32 ceiling, measured side by side.

Per round (``--pairs``, interleaved): the ceiling, then each configuration, fresh processes:
  ceiling     ``infermeter.peak.measure_peak``: numpy float32 sgemm on all cores, in a subprocess with
              OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE removed, the best repetition of ``--ceiling-seconds`` at each of
              ``--sizes`` (best of them: one size can be unlucky with the cache or the blocking)
  configs     ``infermeter run MODEL`` with FP32 settings (OpenVINO ``-infer_precision f32``, throughput hint;
              ONNX Runtime's default layout); achieved GFLOP/s = the FLOPs infermeter counts per request
              (Conv, MatMul, Gemm, ...) per item × items/s; batch 1 and batch 8 (larger GEMMs: the best
              configuration may well batch)
The ceiling of the whole run is the best of every round's (a ceiling is what the machine can do; noise only
lowers a measurement of it); the share is taken against it, with the spread of the per-round achieved values,
and within each round against that round's ceiling (min–max). A share above 100 % means a round's ceiling was
measured low, and is flagged. Target: FP32 ResNet-50 ≥ 90 % with the best configuration.

Usage: python bench/roofline.py [--models resnet50] [--pairs 3] [--seconds 8] [--size 4096]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import HERE, child_env, ensure_models, interleaved, machine, spread, write_result

CONFIGS = {  # label: (arguments, batch size)
    "openvino f32, -hint throughput": (["-e", "openvino", "-infer_precision", "f32", "-hint", "throughput"], 1),
    "openvino f32, -hint latency": (["-e", "openvino", "-infer_precision", "f32", "-hint", "latency"], 1),
    "onnxruntime, default layout": (["-e", "onnxruntime"], 1),
    "openvino f32, -hint throughput, batch 8": (["-e", "openvino", "-infer_precision", "f32", "-hint",
                                                 "throughput"], 8),
    "onnxruntime, default layout, batch 8": (["-e", "onnxruntime"], 8),
}


def flops_per_request(model: Path) -> int:
    """FLOPs of one batch-1 request, counted by infermeter from the graph with ONNX shape inference (runs of
    ONNX Runtime on files over 64 MB skip this count to keep start-up short, so it is done once here)."""
    from infermeter.model.flops import model_flops

    shapes = {} if model.stem == "bert_base" else {"input": (1, 3, 224, 224)}
    counted = model_flops(model, shapes)
    if counted is None:
        raise SystemExit(f"cannot count the FLOPs of {model}: pip install onnx")
    return counted.flops


def run(model: Path, args: list[str], batch: int, seconds: float, out: Path, flops: int) -> float:
    """Achieved GFLOP/s of one run: FLOPs of one batch-1 item × items/s."""
    shape = [] if model.stem == "bert_base" else ["-shape", f"[{batch},3,224,224]"]
    subprocess.run([sys.executable, "-m", "infermeter", "run", str(model), *args, *shape, "-t", f"{seconds:g}", "-q",
                    "-x", str(out)], check=True, capture_output=True, text=True, env=child_env())
    report = json.loads(out.read_text())
    counted = (report["model"].get("flops_per_request") or {}).get("flops")
    if counted is not None and counted != flops * batch:
        raise RuntimeError(f"{model.name}: the run counted {counted} FLOPs per request, the graph {flops * batch}")
    return float(flops * report["run"]["throughput_items_per_s"] / 1e9)


def ceiling(sizes: list[int], seconds: float) -> float:
    from infermeter.machine.environment import usable_cpu_count
    from infermeter.machine.peak import measure_peak

    return max(measure_peak(usable_cpu_count(), size, seconds).gflops for size in sizes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="resnet50")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--sizes", default="1024,2048,3072,4096")
    parser.add_argument("--ceiling-seconds", type=float, default=3.0, help="repetitions per size, seconds")
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s, one size (checks the script)")
    parser.add_argument("--model-dir", type=Path, default=HERE / "models")
    options = parser.parse_args()
    if options.quick:
        options.pairs, options.seconds, options.sizes, options.ceiling_seconds = 1, 2.0, "2048", 1.0
    sizes = [int(size) for size in options.sizes.split(",") if size]
    names = [name for name in options.models.split(",") if name]
    ensure_models(options.model_dir, names)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.json"
        for name in names:
            model = options.model_dir / f"{name}.onnx"
            flops = flops_per_request(model)
            sides = {"ceiling": lambda: ceiling(sizes, options.ceiling_seconds)}
            sides.update({label: (lambda a=args, b=batch, f=flops, m=model: run(m, a, b, options.seconds, out, f))
                          for label, (args, batch) in CONFIGS.items()
                          if batch == 1 or name != "bert_base"})
            results[name] = interleaved(options.pairs, sides, progress=f"{name} GFLOP/s")
    write_result("roofline.md", render(results, options))
    return 0


def render(results: dict[str, dict[str, list[float]]], options: argparse.Namespace) -> str:
    lines = [
        "# Roofline: FP32 inference against this machine's sgemm ceiling",
        "",
        f"Machine: {machine()}.",
        f"{options.pairs} interleaved rounds: the ceiling (numpy sgemm at {options.sizes}, all cores, BLAS "
        f"overrides removed, the best repetition of {options.ceiling_seconds:g} s at each size), then each "
        f"configuration for {options.seconds:g} s. `flock /tmp/infermeter-timing.lock python bench/roofline.py`",
        "",
        "| model | configuration | achieved GFLOP/s, median (min–max) | share of the ceiling (best of all rounds) "
        "| share within each round, median (min–max) |",
        "|---|---|---:|---:|---:|",
    ]
    best_lines = []
    for model, runs in results.items():
        ceilings = runs["ceiling"]
        top = max(ceilings)
        labels = [label for label in CONFIGS if label in runs]
        for label in labels:
            within = [100 * a / c for a, c in zip(runs[label], ceilings, strict=True)]
            shares = [100 * a / top for a in runs[label]]
            flag = " (a round's ceiling was low)" if max(within) > 100 else ""
            lines.append(f"| {model} | {label} | {spread(runs[label])} | {statistics.median(shares):.0f} % "
                         f"({min(shares):.0f}–{max(shares):.0f} %) | {statistics.median(within):.0f} % "
                         f"({min(within):.0f}–{max(within):.0f} %){flag} |")
        best = max(labels, key=lambda label: statistics.median(runs[label]))
        share = 100 * statistics.median(runs[best]) / top
        best_lines.append(f"- {model}: ceiling {top:.1f} GFLOP/s (rounds: {spread(ceilings)}); best configuration "
                          f"{best}, {share:.0f} % of it (target for ResNet-50: ≥ 90 %)")
    lines += ["", *best_lines, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
