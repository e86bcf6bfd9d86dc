#!/usr/bin/env python3
"""infermeter vs OpenVINO's benchmark_app, same engine and model, like for like: two tables.

For each model (built by ``../shared/tools/make_models.py``) and hint (latency / throughput), both tools run for
the same time in fresh processes, interleaved over ``--pairs`` pairs (the order alternates: A B, B A, ...):

- **same configuration**: both get ``-d CPU -t S -hint H -api async -nireq N [-infer_precision f32]``, N being
  the requests benchmark_app chooses for that hint (read from its own output in a probe run), and infermeter
  gets ``--no-warmup`` (benchmark_app times from its first request after one first inference; so does
  infermeter then). Only the harness differs.
- **defaults against defaults**: both get only ``-d CPU -t S -hint H [-infer_precision f32]``: each tool's own
  choice of API, requests in flight and warm-up (infermeter: ``-hint latency`` is its sync scenario, one
  request at a time; ``-hint throughput`` keeps 2 × the optimal requests in flight; 1 s warm-up).

Precision: f32, and the device default only when it is not f32 here (when it is, that row would be the same
configuration twice; the script checks what infermeter reports). Each table gives median throughput (min–max),
the median of the per-pair ratios infermeter / benchmark_app, and pools the per-pair ratios *within* a table
and hint (geometric mean, bootstrap interval); tables are never pooled together.

Then, in this process, the loops themselves: the same compiled model and the same request object timed by
infermeter's loop and by benchmark_app's own loop (its ``Benchmark.sync_inference`` /
``async_inference_only``), interleaved in ``--loop-rounds`` rounds, paired by round: whether the latency-hint
gap of earlier runs is the harness or noise.

Usage: python bench/vs_benchmark_app.py [--quick] [--pairs 6] [--seconds 8] [--models resnet50,squeezenet1_1]
Needs: pip install -e ".[openvino]" (benchmark_app ships in the openvino wheel), onnx, ../shared beside the repo.
Run it alone, under the timing lock: two timing jobs on a 2-core machine halve each other.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
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

HINTS = ("latency", "throughput")


def base_args(model: Path, precision: str, hint: str, seconds: float) -> list[str]:
    args = ["-d", "CPU", "-t", f"{seconds:g}", "-hint", hint]
    if precision == "f32":
        args += ["-infer_precision", "f32"]
    if model.stem != "bert_base":
        args += ["-shape", CNN_SHAPE]
    return args


def run_benchmark_app(model: Path, args: list[str]) -> dict[str, object]:
    done = subprocess.run([benchmark_app(), "-m", str(model), *args], capture_output=True, text=True, check=True,
                          env=child_env())
    match = re.search(r"Throughput:\s+([0-9.]+)\s+FPS", done.stdout)
    if match is None:
        raise RuntimeError(f"no throughput in benchmark_app output:\n{done.stdout[-2000:]}")
    precision = re.search(r"INFERENCE_PRECISION_HINT:\s*(?:<Type: ')?([A-Za-z0-9_]+)", done.stdout)
    requests = re.search(r"Start inference (\w+)hronously(?:, (\d+) inference requests)?", done.stdout)
    return {"items_per_s": float(match.group(1)), "precision": precision.group(1) if precision else "?",
            "api": requests.group(1) if requests else "?",
            "nireq": int(requests.group(2)) if requests and requests.group(2) else 1}


def run_infermeter(model: Path, args: list[str], out: Path) -> dict[str, object]:
    subprocess.run([sys.executable, "-m", "infermeter", "run", str(model), "-e", "openvino", *args, "-q", "-x",
                    str(out)], check=True, capture_output=True, text=True, env=child_env())
    report = json.loads(out.read_text())
    return {"items_per_s": float(report["run"]["throughput_items_per_s"]), "precision": report["engine"]["precision"],
            "api": report["run"]["scenario"], "nireq": report["run"]["requests_in_flight"]}


def default_precision(model: Path, out: Path) -> str:
    subprocess.run([sys.executable, "-m", "infermeter", "run", str(model), "-e", "openvino", "-niter", "0", "-q",
                    "-x", str(out), *(["-shape", CNN_SHAPE] if model.stem != "bert_base" else [])],
                   check=True, capture_output=True, text=True, env=child_env())
    return str(json.loads(out.read_text())["engine"]["precision"])


def rows_for(model: Path, options: argparse.Namespace, out: Path) -> dict[tuple[str, str, str], dict[str, list]]:
    precisions = ["f32"] if default_precision(model, out) == "f32" else ["f32", "default"]
    results: dict[tuple[str, str, str], dict[str, list]] = {}
    for precision in precisions:
        for hint in HINTS:
            args = base_args(model, precision, hint, options.seconds)
            probe = run_benchmark_app(model, [*args[:2], "-t", "1", *args[4:]])
            same = [*args, "-api", "async", "-nireq", str(probe["nireq"])]
            results[("same configuration", precision, hint)] = interleaved(options.pairs, {
                "benchmark_app": lambda a=same: run_benchmark_app(model, a),
                "infermeter": lambda a=same: run_infermeter(model, [*a, "--no-warmup"], out),
            }, progress=f"{model.stem} {precision} {hint} same")
            results[("defaults", precision, hint)] = interleaved(options.pairs, {
                "benchmark_app": lambda a=args: run_benchmark_app(model, a),
                "infermeter": lambda a=args: run_infermeter(model, a, out),
            }, progress=f"{model.stem} {precision} {hint} defaults")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 pair of 2 s, squeezenet1_1 (checks the script)")
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--loop-models", default="squeezenet1_1,resnet50")
    parser.add_argument("--loop-rounds", type=int, default=20)
    parser.add_argument("--model-dir", type=Path, default=HERE / "models")
    options = parser.parse_args()
    if options.quick:
        options.pairs, options.seconds, options.models, options.loop_rounds = 1, 2.0, "squeezenet1_1", 2
        options.loop_models = "squeezenet1_1"
    names = [name for name in options.models.split(",") if name]
    ensure_models(options.model_dir, sorted({*names, *options.loop_models.split(",")}))
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.json"
        for name in names:
            for key, runs in rows_for(options.model_dir / f"{name}.onnx", options, out).items():
                results[(name, *key)] = runs
    from sync_loops import loop_table

    loops = loop_table([options.model_dir / f"{name}.onnx" for name in options.loop_models.split(",") if name],
                       options.loop_rounds)
    write_result("vs_benchmark_app.md", render(results, loops, options))
    return 0


def render(results: dict[tuple[str, str, str, str], dict[str, list]], loops: str,
           options: argparse.Namespace) -> str:
    lines = ["# infermeter vs benchmark_app (OpenVINO, CPU, throughput in items/s)", "",
             f"Machine: {machine()}.",
             f"{options.pairs} interleaved pairs per row (order alternating), {options.seconds:g} s each, fresh "
             "processes, bytecode cached. `flock /tmp/infermeter-timing.lock python bench/vs_benchmark_app.py`", ""]
    for table in ("same configuration", "defaults"):
        lines += table_lines(results, table)
    lines += ["", "## The loops, same process, same call", "", loops, ""]
    return "\n".join(lines)


def table_lines(results: dict[tuple[str, str, str, str], dict[str, list]], table: str) -> list[str]:
    title = ("Same configuration: `-api async -nireq N` as benchmark_app chooses it, infermeter `--no-warmup`"
             if table == "same configuration" else "Defaults against defaults: each tool's own API, requests in "
             "flight and warm-up")
    lines = [f"## {title}", "", "| model | precision | hint | API / requests in flight (BA · infermeter) | "
             "benchmark_app | infermeter | infermeter / benchmark_app, median of pairs | precision used (BA / "
             "infermeter) |", "|---|---|---|---|---:|---:|---:|---|"]
    pooled: dict[str, list[float]] = {}
    for (model, kind, precision, hint), runs in results.items():
        if kind != table:
            continue
        ba = [float(str(r["items_per_s"])) for r in runs["benchmark_app"]]
        im = [float(str(r["items_per_s"])) for r in runs["infermeter"]]
        pair_ratios = ratios(im, ba)
        pooled.setdefault(hint, []).extend(pair_ratios)
        first_ba, first_im = runs["benchmark_app"][0], runs["infermeter"][0]
        layout = f"{first_ba['api']} {first_ba['nireq']} · {first_im['api']} {first_im['nireq']}"
        lines.append(f"| {model} | {precision} | {hint} | {layout} | {spread(ba)} | {spread(im)} | "
                     f"{ratio_text(pair_ratios)} | {first_ba['precision']} / {first_im['precision']} |")
    lines += ["", "Pairs pooled within this table (geometric mean of the per-pair ratios, 95 % bootstrap interval):",
              ""]
    lines += [f"- {pooled_text(hint, values)}" for hint, values in pooled.items()]
    return [*lines, ""]


def pooled_text(label: str, pair_ratios: list[float]) -> str:
    """Geometric mean of per-pair ratios and a percentile-bootstrap 95 % interval (fixed seed: reproducible)."""
    logs = np.log(np.asarray(pair_ratios))
    resampled = np.random.default_rng(0).choice(logs, size=(10_000, logs.size)).mean(axis=1)
    low, high = np.exp(np.percentile(resampled, [2.5, 97.5]))
    above = sum(r >= 1.0 for r in pair_ratios)
    return (f"{label}: {np.exp(logs.mean()):.3f} ({low:.3f}–{high:.3f}) over {logs.size} pairs, "
            f"infermeter ahead in {above}")


if __name__ == "__main__":
    raise SystemExit(main())
