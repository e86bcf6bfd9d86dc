"""Does `infermeter suite` cost wall time? A 4-model suite against the same four points run one by one.

A = `infermeter suite four.toml` (4 models × 1 configuration, 1 round: four fresh `infermeter run` processes,
plus reading the file, checking every point and writing the suite's JSON after each point);
B = the same four `infermeter run MODEL OPTIONS -x FILE -q` commands, one after the other.
Sides alternate (A B, B A, ...) for PAIRS pairs; each side's wall time is from the first process start to the
last exit. Target: A ≤ B × 1.05 (median of the per-pair ratios).

    flock /tmp/infermeter-timing.lock python bench/suite_wall.py [--pairs 3] [--seconds 3] [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import build_trivial_model, child_env, interleaved, machine, ratio_text, ratios, spread, write_result

MODELS = {"resnet18": "zoo:resnet18", "mobilenet": "zoo:mobilenet-v2-small", "bert": "zoo:bert-mini"}


def suite_file(folder: Path, seconds: str) -> Path:
    models = {**MODELS, "add8": str(build_trivial_model(folder / "add8.onnx"))}
    text = "".join(f'[[model]]\nname = "{name}"\npath = "{path}"\n\n' for name, path in models.items())
    text += f'[[config]]\nname = "ort"\noptions = ["-e", "onnxruntime", "-t", "{seconds}", "-w", "0.5"]\n'
    path = folder / "four.toml"
    path.write_text(text)
    return path


def timed(command: list[list[str]]) -> float:
    began = time.perf_counter()
    for argv in command:
        subprocess.run([sys.executable, "-m", "infermeter", *argv], check=True, stdout=subprocess.DEVNULL,
                       env=child_env())
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seconds", default="3")
    parser.add_argument("--quick", action="store_true", help="1 pair of 0.5-s points (checks the script)")
    options = parser.parse_args()
    if options.quick:
        options.pairs, options.seconds = 1, "0.5"
    work = Path(tempfile.mkdtemp(prefix="suite-wall-"))
    suite = suite_file(work, options.seconds)
    models = {**MODELS, "add8": str(work / "add8.onnx")}
    one_by_one = [["run", path, "-e", "onnxruntime", "-t", options.seconds, "-w", "0.5", "-x",
                   str(work / f"{name}.json"), "-q"] for name, path in models.items()]
    subprocess.run([sys.executable, "-m", "infermeter", "suite", str(suite), "-q", "--", "-niter", "1", "-w", "0"],
                   check=True, stdout=subprocess.DEVNULL)  # builds the zoo models once, outside the timing
    results = interleaved(options.pairs, {
        "suite": lambda: timed([["suite", str(suite), "-x", str(work / "suite.json"), "-q"]]),
        "one by one": lambda: timed(one_by_one)}, progress="suite_wall")
    ratio = ratios(results["suite"], results["one by one"])
    lines = ["# A 4-model suite against the same points run one by one", "", f"Machine: {machine()}.", "",
             f"4 models (zoo:resnet18, zoo:mobilenet-v2-small, zoo:bert-mini, a trivial Add) on onnxruntime, "
             f"`-t {options.seconds} -w 0.5` each; {options.pairs} interleaved pair(s).", "",
             "| pair | suite (s) | one by one (s) | ratio |", "|---|---:|---:|---:|"]
    lines += [f"| {k + 1} | {a:.2f} | {b:.2f} | {a / b:.3f} |"
              for k, (a, b) in enumerate(zip(results["suite"], results["one by one"], strict=True))]
    lines += ["", f"Suite {spread(results['suite'], 2)} s, one by one {spread(results['one by one'], 2)} s; "
              f"ratio suite / one by one {ratio_text(ratio)} (target ≤ 1.05)."]
    write_result("suite_wall.md", "\n".join(lines))


if __name__ == "__main__":
    main()
