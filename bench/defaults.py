#!/usr/bin/env python3
"""Defaults that win: infermeter's untuned layout against the best one a grid search finds, per model and engine.

For each model (built by ../shared/tools/make_models.py) and engine:
1. Grid: every configuration below plus the default (``infermeter run MODEL -e ENGINE``, no tuning flags: the
   throughput scenario, the same as ``-api async``), each a fresh process for ``--seconds``, visited in
   ``--repeat`` rounds in a rotating order; a configuration's throughput is the median of its rounds.
     openvino     -hint none -api async with NUM_STREAMS × INFERENCE_NUM_THREADS × nireq:
                  streams 1 or 2, threads 1 or 2 (streams ≤ threads), nireq 1, 2 or 4
     onnxruntime  -api async with runner threads sharing one session (nireq 1-4) × intra-op threads 1 or 2
2. Confirmation: the default against the grid's best, ``--pairs`` interleaved pairs (order alternating);
   the median of the per-pair ratios default / best is the figure (the grid's own maximum is biased upward
   by noise: the best of many noisy runs is luckier than its configuration).
The target is default / best ≥ 0.97. The table also prints the layout the default chose and why, and says
when the grid's best *is* the default's own layout (then default / best compares one layout with itself: it
measures noise, and no "win" is claimed).

Usage: python bench/defaults.py [--models resnet50,squeezenet1_1] [--engines openvino] [--seconds 4]
       [--repeat 2] [--pairs 3]
Run it alone: two timing jobs on a 2-core machine halve each other.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import (
    HERE,
    MODELS,
    child_env,
    ensure_models,
    interleaved,
    machine,
    ratio_text,
    ratios,
    spread,
    write_result,
)

ENGINES = ("openvino", "onnxruntime")
DEFAULT = "default"


def grid(engine: str) -> dict[str, list[str]]:
    return {label: args for label, (args, _) in layouts(engine).items()}


def layouts(engine: str) -> dict[str, tuple[list[str], tuple[int, int | None, int]]]:
    """label: (arguments, (requests in flight, streams, threads)) of each grid point."""
    if engine == "openvino":
        return {f"streams {s} · threads {t} · nireq {n}": (["-hint", "none", "-api", "async", "-nstreams", str(s),
                                                              "-nthreads", str(t), "-nireq", str(n)], (n, s, t))
                for s in (1, 2) for t in (1, 2) if s <= t for n in (1, 2, 4)}
    return {f"{n} runner thread(s) · intra-op {t}": (["-api", "async", "-nireq", str(n), "-nthreads", str(t)],
                                                     (n, None, t))
            for n in (1, 2, 3, 4) for t in (1, 2)}


def measure(model: Path, engine: str, args: list[str], seconds: float, out: Path) -> dict[str, object]:
    subprocess.run([sys.executable, "-m", "infermeter", "run", str(model), "-e", engine, *args, "-t",
                    f"{seconds:g}", "-q", "-x", str(out)], check=True, capture_output=True, text=True,
                   env=child_env())
    report = json.loads(out.read_text())
    engine_record = report["engine"]
    return {"items_per_s": float(report["run"]["throughput_items_per_s"]),
            "layout": f"{engine_record['requests_in_flight']} in flight, streams {engine_record.get('streams')}, "
                      f"threads {engine_record.get('threads')}",
            "shape": (engine_record["requests_in_flight"], engine_record.get("streams") if engine == "openvino"
                      else None, engine_record.get("threads")),
            "why": engine_record.get("choice_reason", "")}


def rate(result: object) -> float:
    assert isinstance(result, dict)
    return float(result["items_per_s"])


def study(model: Path, engine: str, options: argparse.Namespace, out: Path) -> dict[str, object]:
    configs = {DEFAULT: [], **grid(engine)}
    label = f"{model.stem}/{engine}"
    rounds = interleaved(options.repeat, {name: (lambda a=args: measure(model, engine, a, options.seconds, out))
                                          for name, args in configs.items()}, progress=f"{label} grid")
    medians = {name: statistics.median(rate(r) for r in results) for name, results in rounds.items()}
    best = max((name for name in medians if name != DEFAULT), key=lambda name: medians[name])
    confirm = interleaved(options.pairs, {
        DEFAULT: lambda: measure(model, engine, [], options.seconds, out),
        best: lambda: measure(model, engine, configs[best], options.seconds, out),
    }, progress=f"{label} default vs best")
    default_rates = [rate(r) for r in confirm[DEFAULT]]
    best_rates = [rate(r) for r in confirm[best]]
    chosen = rounds[DEFAULT][0]
    assert isinstance(chosen, dict)
    same = tuple(chosen["shape"]) == layouts(engine)[best][1]
    return {"medians": medians, "best": best, "default_rates": default_rates, "best_rates": best_rates,
            "ratios": ratios(default_rates, best_rates), "layout": chosen["layout"], "why": chosen["why"],
            "same": same}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--model-dir", type=Path, default=HERE / "models")
    parser.add_argument("--quick", action="store_true", help="squeezenet1_1, one round of 1 s (checks the script)")
    options = parser.parse_args()
    if options.quick:
        options.models, options.seconds, options.repeat, options.pairs = "squeezenet1_1", 1.0, 1, 1
    names = [name for name in options.models.split(",") if name]
    engines = [name for name in options.engines.split(",") if name]
    ensure_models(options.model_dir, names)
    studies = {}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.json"
        for name in names:
            for engine in engines:
                studies[(name, engine)] = study(options.model_dir / f"{name}.onnx", engine, options, out)
    write_result("defaults.md", render(studies, options))
    return 0


def render(studies: dict[tuple[str, str], dict[str, object]], options: argparse.Namespace) -> str:
    lines = [
        "# Defaults that win: infermeter's untuned layout vs the best of a grid (throughput, items/s)",
        "",
        f"Machine: {machine()}.",
        f"Grid: {options.repeat} rotating rounds of {options.seconds:g} s per configuration (openvino: streams × "
        "threads × nireq with -hint none; onnxruntime: runner threads × intra-op threads); then "
        f"{options.pairs} interleaved pairs default vs the grid's best. `python bench/defaults.py`",
        "",
        "| model | engine | default chose | grid best | default, items/s | best, items/s | default / best "
        "(target ≥ 0.97) |",
        "|---|---|---|---|---:|---:|---:|",
    ]
    whys = []
    for (model, engine), found in studies.items():
        default_rates, best_rates, pair_ratios = found["default_rates"], found["best_rates"], found["ratios"]
        assert isinstance(default_rates, list) and isinstance(best_rates, list) and isinstance(pair_ratios, list)
        best = f"{found['best']} = the default's own layout" if found["same"] else found["best"]
        ratio = f"{ratio_text(pair_ratios)}" + (" (the same layout twice: noise, not a win)" if found["same"] else "")
        lines.append(f"| {model} | {engine} | {found['layout']} | {best} | {spread(default_rates)} | "
                     f"{spread(best_rates)} | {ratio} |")
        whys.append(f"- {model} / {engine}: {found['why']}")
    lines += ["", "Why the default chose its layout (infermeter's own words, from each report):", "", *whys, "",
              "Grid medians (items/s):", ""]
    for (model, engine), found in studies.items():
        medians = found["medians"]
        assert isinstance(medians, dict)
        cells = "; ".join(f"{name} {value:,.1f}" for name, value in sorted(medians.items(), key=lambda kv: -kv[1]))
        lines.append(f"- {model} / {engine}: {cells}")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
