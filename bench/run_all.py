#!/usr/bin/env python3
"""Runs every comparison of the suite in sequence (see bench/run.sh) and indexes the tables it wrote.

Each script is run as it would be by hand; its table goes to bench/results/NAME.md. ``--quick`` shortens
every run (for checking the scripts; its numbers mean little). ``--only a,b`` runs some of them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from common import HERE, MODELS, ensure_models, machine, write_result

SUITE = {  # name: (script, full arguments, quick arguments, what it shows)
    "harness_overhead": ("harness_overhead.py", [], ["--quick"],
                         "harness cost against bare loops on a trivial model (target ≥ 0.95×)"),
    "startup_memory": ("startup_memory.py", [], ["--quick"],
                       "start-up to the first inference and peak RSS against benchmark_app (targets ≤ 1×)"),
    "roofline": ("roofline.py", [], ["--quick"], "FP32 ResNet-50 against the sgemm ceiling (target ≥ 90 %)"),
    "defaults": ("defaults.py", [], ["--quick"], "the untuned layout against a grid's best (target ≥ 0.97×)"),
    "vs_benchmark_app": ("vs_benchmark_app.py", [], ["--quick"],
                         "throughput against benchmark_app: same configuration, and defaults against defaults"),
    "truth_ab": ("truth_ab.py", [], ["--quick", "--out", "/tmp/truth_ab-quick.md"],
                 "A/A false alarms, 5 % slowdown detection, time to a verdict (interleaved A/B)"),
    "suite_wall": ("suite_wall.py", [], ["--quick"],
                   "a 4-model suite against its points run one by one (target ≤ 1.05×)"),
    "ray_overhead": ("ray_overhead.py", [], ["--quick"],
                     "Ray's per-point overhead against the local runner, 10-s points (target ≤ 10 %)"),
    "serving": ("serving.py", [], ["--quick"],
                "the open-loop generator's ceiling and lateness, a capacity search and its replay"),
    "loadgen_agreement": ("loadgen_agreement.py", [], ["--quick"],
                          "MLPerf LoadGen against infermeter's own generator: achieved QPS, p99, peak"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(SUITE))
    options = parser.parse_args()
    chosen = [name for name in options.only.split(",") if name]
    ensure_models(HERE / "models", MODELS)
    timings = {}
    for name in chosen:
        script, full, quick, _ = SUITE[name]
        began = time.monotonic()
        subprocess.run([sys.executable, str(HERE / script), *(quick if options.quick else full)], check=True,
                       cwd=HERE)
        timings[name] = time.monotonic() - began
    lines = ["# Performance suite results", "", f"Machine: {machine()}.",
             f"Last run: `bash bench/run.sh{' --quick' if options.quick else ''}`"
             f"{'' if chosen == list(SUITE) else ' --only ' + ','.join(chosen)}.", "",
             "| table | what it shows | minutes |", "|---|---|---:|"]
    lines += [f"| [{name}.md]({name}.md) | {SUITE[name][3]} | {timings[name] / 60:.1f} |" for name in chosen]
    write_result("README.md", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
