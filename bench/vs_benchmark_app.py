#!/usr/bin/env python3
"""infermeter vs OpenVINO's benchmark_app, same engine, same model, same config, side by side.

For each model (built by ``../shared/tools/make_models.py``), precision (f32 / the device default) and hint
(latency / throughput), both tools run for the same time in fresh processes, interleaved A B A B ... over
``--pairs`` rounds. The table gives median throughput (min–max) per tool and the median of the per-round
ratios infermeter / benchmark_app.

Usage: python bench/vs_benchmark_app.py [--pairs 3] [--seconds 10] [--models resnet50,squeezenet1_1]
Needs: pip install -e ".[openvino]" (benchmark_app ships in the openvino wheel), onnx, ../shared beside the repo.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import cpu_model, ensure_models, spread

HERE = Path(__file__).resolve().parent
MODELS = ("resnet50", "mobilenetv2", "squeezenet1_1", "bert_base")
CNN_SHAPE = "[1,3,224,224]"


def common_args(model: Path, precision: str, hint: str, seconds: float) -> list[str]:
    args = ["-d", "CPU", "-t", f"{seconds:g}", "-hint", hint]
    if precision == "f32":
        args += ["-infer_precision", "f32"]
    if model.stem != "bert_base":
        args += ["-shape", CNN_SHAPE]
    return args


def run_benchmark_app(model: Path, args: list[str]) -> float:
    tool = shutil.which("benchmark_app") or str(Path(sys.executable).parent / "benchmark_app")
    done = subprocess.run([tool, "-m", str(model), *args], capture_output=True, text=True, check=True)
    match = re.search(r"Throughput:\s+([0-9.]+)\s+FPS", done.stdout)
    if match is None:
        raise RuntimeError(f"no throughput in benchmark_app output:\n{done.stdout[-2000:]}")
    return float(match.group(1))


def run_infermeter(model: Path, args: list[str], out: Path) -> float:
    subprocess.run([sys.executable, "-m", "infermeter", "run", str(model), "-e", "openvino", *args, "-q", "-x",
                    str(out)], check=True, capture_output=True, text=True)
    return float(json.loads(out.read_text())["run"]["throughput_items_per_s"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--model-dir", type=Path, default=HERE / "models")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "vs_benchmark_app.md")
    options = parser.parse_args()
    names = [name for name in options.models.split(",") if name]
    ensure_models(options.model_dir, names)
    configs = [(name, precision, hint) for name in names for precision in ("f32", "default")
               for hint in ("latency", "throughput")]
    results: dict[tuple[str, str, str], dict[str, list[float]]] = {c: {"ba": [], "im": []} for c in configs}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.json"
        for round_index in range(options.pairs):
            for config in configs:
                model = options.model_dir / f"{config[0]}.onnx"
                args = common_args(model, config[1], config[2], options.seconds)
                ba = run_benchmark_app(model, args)
                im = run_infermeter(model, args, out)
                results[config]["ba"].append(ba)
                results[config]["im"].append(im)
                print(f"round {round_index + 1} {config}: benchmark_app {ba:.1f} infermeter {im:.1f} "
                      f"ratio {im / ba:.3f}", flush=True)
    table = render(results, options)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(table)
    print(table)
    return 0


def render(results: dict[tuple[str, str, str], dict[str, list[float]]], options: argparse.Namespace) -> str:
    import openvino

    lines = [
        "# infermeter vs benchmark_app (OpenVINO, CPU, throughput in items/s)",
        "",
        f"{options.pairs} interleaved pairs per configuration, {options.seconds:g} s each, fresh processes. "
        f"Machine: {cpu_model()}, Python {platform.python_version()}, openvino "
        f"{openvino.get_version().split('-')[0]}. Precision 'default' = no -infer_precision (the device "
        "default, which both tools report).",
        "",
        "| model | precision | hint | benchmark_app, median (min–max) | infermeter, median (min–max) "
        "| ratio, median (min–max) |",
        "|---|---|---|---|---|---|",
    ]
    for (model, precision, hint), runs in results.items():
        ratios = [b / a for a, b in zip(runs["ba"], runs["im"], strict=True)]
        lines.append(f"| {model} | {precision} | {hint} | {spread(runs['ba'])} | {spread(runs['im'])} | "
                     f"{statistics.median(ratios):.3f} ({min(ratios):.3f}–{max(ratios):.3f}) |")
    lines += ["", "Both get the same `-d CPU -t S -hint H [-infer_precision f32] [-shape [1,3,224,224]]`; "
              "infermeter adds `-e openvino -q -x report.json`.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
