#!/usr/bin/env python3
"""Harness cost, side by side: infermeter vs the anchors' bare Python loops on a trivial model.

The anchor loops are ``../shared/anchors/scripts/overhead.py`` (run from a scratch copy, since it writes its
model beside itself); infermeter runs the identical graph (Y = X + 1, X float32 [1,8]) through its CLI. Every
measurement is a fresh process; the order is interleaved A B A B ... for ``--pairs`` rounds, and the table
reports the median of the per-round ratios (infermeter / bare), min–max, and the ns per call the harness adds.

Usage: python bench/harness_overhead.py [--pairs 3] [--seconds 3] [--out bench/results/harness_overhead.md]
Needs: pip install -e ".[openvino,onnxruntime]" and ../shared beside the repository. Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import cpu_model, spread

HERE = Path(__file__).resolve().parent
ANCHOR = HERE.parent.parent / "shared" / "anchors" / "scripts" / "overhead.py"

# case: (anchor RESULT name prefix, infermeter arguments)
CASES = {
    "onnxruntime sync (intra-op 1)": ("ort_run", ["-e", "onnxruntime", "-api", "sync", "-nthreads", "1"]),
    "openvino sync (LATENCY, f32)": ("ov_infer_preset", ["-e", "openvino", "-api", "sync", "-hint", "latency",
                                                          "-infer_precision", "f32"]),
    "openvino async (THROUGHPUT, f32)": ("ov_asyncq", ["-e", "openvino", "-api", "async", "-hint", "throughput",
                                                       "-infer_precision", "f32"]),
}


def build_model(path: Path) -> None:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("Add", ["X", "one"], ["Y"])], "add8",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 8])],
        [numpy_helper.from_array(np.ones([1, 8], np.float32), "one")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def run_anchor(scratch: Path, seconds: float) -> dict[str, float]:
    done = subprocess.run([sys.executable, str(scratch / "overhead.py"), str(seconds)], capture_output=True,
                          text=True, check=True, cwd=scratch)
    rates = {}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
            rates[result["case"]] = float(result["calls_per_s"])
    return rates


def run_infermeter(model: Path, args: list[str], seconds: float, scratch: Path) -> float:
    out = scratch / "report.json"
    subprocess.run([sys.executable, "-m", "infermeter", "run", str(model), *args, "-t", str(seconds),
                    "-w", "200it", "-q", "-x", str(out)], check=True, capture_output=True, text=True)
    report = json.loads(out.read_text())
    return float(report["run"]["requests_per_s"])


def anchor_rate(rates: dict[str, float], prefix: str) -> float:
    return next(value for name, value in rates.items() if name.startswith(prefix))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "harness_overhead.md")
    options = parser.parse_args()
    if not ANCHOR.exists():
        raise SystemExit(f"anchor script not found: {ANCHOR} (../shared must sit beside the repository)")
    ratios: dict[str, list[float]] = {case: [] for case in CASES}
    bare: dict[str, list[float]] = {case: [] for case in CASES}
    ours: dict[str, list[float]] = {case: [] for case in CASES}
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        (scratch / "models").mkdir()
        shutil.copy(ANCHOR, scratch / "overhead.py")
        model = scratch / "add8.onnx"
        build_model(model)
        for round_index in range(options.pairs):
            rates = run_anchor(scratch, options.seconds)  # A: every bare loop, one process
            for case, (prefix, args) in CASES.items():  # B: infermeter, one process per case
                a = anchor_rate(rates, prefix)
                b = run_infermeter(model, args, options.seconds, scratch)
                bare[case].append(a)
                ours[case].append(b)
                ratios[case].append(b / a)
                print(f"round {round_index + 1}: {case}: bare {a:,.0f}/s infermeter {b:,.0f}/s ratio {b / a:.3f}",
                      flush=True)
    table = render(bare, ours, ratios, options)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(table)
    print(table)
    return 0


def render(bare: dict[str, list[float]], ours: dict[str, list[float]], ratios: dict[str, list[float]],
           options: argparse.Namespace) -> str:
    import onnxruntime
    import openvino

    lines = [
        "# Harness cost: infermeter vs bare Python loops (trivial model, calls/s)",
        "",
        f"{options.pairs} interleaved rounds (bare loops, then infermeter), {options.seconds:g} s per case, fresh "
        f"processes. Machine: {platform.machine()}, {cpu_model()}, Python {platform.python_version()}, "
        f"onnxruntime {onnxruntime.__version__}, openvino {openvino.get_version().split('-')[0]}.",
        "",
        "| case | bare calls/s, median (min–max) | infermeter calls/s, median (min–max) | ratio, median (min–max) "
        "| harness cost per call |",
        "|---|---|---|---|---|",
    ]
    for case, r in ratios.items():
        a, b = bare[case], ours[case]
        cost_ns = 1e9 / statistics.median(b) - 1e9 / statistics.median(a)
        lines.append(f"| {case} | {spread(a, 0)} | {spread(b, 0)} | {statistics.median(r):.3f} "
                     f"({min(r):.3f}–{max(r):.3f}) | {cost_ns:+,.0f} ns |")
    lines += ["", "Bare loops: `../shared/anchors/scripts/overhead.py` (ORT `session.run(None, {X: x})`; OV "
              "`InferRequest.infer()` with a preset tensor; OV `AsyncInferQueue.start_async()` loop). infermeter: "
              "`infermeter run add8.onnx ... -t S -w 200it`, requests/s from its JSON.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
