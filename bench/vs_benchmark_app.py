#!/usr/bin/env python3
"""infermeter vs OpenVINO's benchmark_app, same engine, same model, same config, side by side.

For each model (built by ``../shared/tools/make_models.py``), precision (f32 / the device default) and hint
(latency / throughput), both tools run for the same time in fresh processes, interleaved over ``--pairs``
pairs (the order alternates: A B, B A, ...). The table gives median throughput (min–max) per tool and the
median of the per-pair ratios infermeter / benchmark_app, and each tool's reported precision.

Usage: python bench/vs_benchmark_app.py [--pairs 4] [--seconds 8] [--models resnet50,squeezenet1_1]
Needs: pip install -e ".[openvino]" (benchmark_app ships in the openvino wheel), onnx, ../shared beside the repo.
Run it alone: two timing jobs on a 2-core machine halve each other.
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


def common_args(model: Path, precision: str, hint: str, seconds: float) -> list[str]:
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
    return {"items_per_s": float(match.group(1)), "precision": precision.group(1) if precision else "?"}


def run_infermeter(model: Path, args: list[str], out: Path) -> dict[str, object]:
    subprocess.run([sys.executable, "-m", "infermeter", "run", str(model), "-e", "openvino", *args, "-q", "-x",
                    str(out)], check=True, capture_output=True, text=True, env=child_env())
    report = json.loads(out.read_text())
    return {"items_per_s": float(report["run"]["throughput_items_per_s"]), "precision": report["engine"]["precision"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--model-dir", type=Path, default=HERE / "models")
    options = parser.parse_args()
    names = [name for name in options.models.split(",") if name]
    ensure_models(options.model_dir, names)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.json"
        for name in names:
            model = options.model_dir / f"{name}.onnx"
            for precision in ("f32", "default"):
                for hint in ("latency", "throughput"):
                    args = common_args(model, precision, hint, options.seconds)
                    results[(name, precision, hint)] = interleaved(options.pairs, {
                        "benchmark_app": lambda a=args, m=model: run_benchmark_app(m, a),
                        "infermeter": lambda a=args, m=model: run_infermeter(m, a, out),
                    }, progress=f"{name} {precision} {hint}")
    write_result("vs_benchmark_app.md", render(results, options))
    return 0


def render(results: dict[tuple[str, str, str], dict[str, list[dict[str, object]]]],
           options: argparse.Namespace) -> str:
    lines = [
        "# infermeter vs benchmark_app (OpenVINO, CPU, throughput in items/s)",
        "",
        f"Machine: {machine()}.",
        f"{options.pairs} interleaved pairs per configuration (order alternating), {options.seconds:g} s each, "
        "fresh processes, bytecode cached. Precision 'default' = no -infer_precision (the device default; the "
        "column shows what each tool reported). `python bench/vs_benchmark_app.py`",
        "",
        "| model | precision | hint | benchmark_app | infermeter | ratio infermeter / benchmark_app "
        "(target ≥ 1.00) | precision used (BA / infermeter) |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    by_hint: dict[str, list[float]] = {}
    for (model, precision, hint), runs in results.items():
        ba = [float(str(r["items_per_s"])) for r in runs["benchmark_app"]]
        im = [float(str(r["items_per_s"])) for r in runs["infermeter"]]
        pair_ratios = ratios(im, ba)
        by_hint.setdefault(hint, []).extend(pair_ratios)
        used = f"{runs['benchmark_app'][0]['precision']} / {runs['infermeter'][0]['precision']}"
        lines.append(f"| {model} | {precision} | {hint} | {spread(ba)} | {spread(im)} | {ratio_text(pair_ratios)} "
                     f"| {used} |")
    lines += ["", "All pairs pooled (geometric mean of the per-pair ratios, 95 % bootstrap interval):", ""]
    lines += [f"- {pooled_text(label, values)}" for label, values in
              [*by_hint.items(), ("all", [r for values in by_hint.values() for r in values])]]
    lines += ["", "Both get the same `-d CPU -t S -hint H [-infer_precision f32] [-shape [1,3,224,224]]`; "
              "infermeter adds `-e openvino -q -x report.json`. benchmark_app measures from its first request "
              "(no warm-up beyond one inference); infermeter warms up for 1 s first, outside its window.", ""]
    return "\n".join(lines)


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
