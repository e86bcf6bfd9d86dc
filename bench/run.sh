#!/usr/bin/env bash
# The whole performance suite, one command, from a clean checkout:  bash bench/run.sh [--quick]
# Makes bench/.venv with infermeter and both engines (benchmark_app comes with the openvino wheel), builds the
# models with ../shared/tools/make_models.py (into bench/models, not committed), then runs every comparison
# in sequence and writes its Markdown table to bench/results/. About an hour on 2 cores (--quick: minutes,
# for checking the scripts, not for the numbers). Run nothing else meanwhile: timing jobs disturb each other.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q -e ".[openvino,onnxruntime,ray]"  # ray: bench/ray_overhead.py
fi
bench/.venv/bin/benchmark_app -h >/dev/null  # the anchor, from the openvino wheel
exec bench/.venv/bin/python bench/run_all.py "$@"
