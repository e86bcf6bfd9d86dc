"""``infermeter peak``: this machine's practical FP32 ceiling, for the "% of machine peak" of every run.

The probe is a float32 matrix multiply (numpy's sgemm) on all usable cores, timed in a fresh subprocess
with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment: some machines set them for
older OpenBLAS builds, and they halve a current numpy's sgemm. The best of several timed repetitions is the
ceiling (a ceiling is what the machine *can* do; noise only ever lowers a repetition). The result is kept in
``~/.cache/infermeter/peak.json`` per CPU model and thread count, and runs read it from there.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..errors import EngineError
from ..paths import cache_root
from ..results.facts import Peak

__all__ = ["BLAS_OVERRIDES", "PROBE", "THREAD_VARIABLES", "Peak", "cache_path", "cached_peak", "measure_peak",
           "save_peak"]

PROBE = r"""
import json, sys, time
import numpy as np
size, seconds = int(sys.argv[1]), float(sys.argv[2])
rng = np.random.default_rng(0)
a = rng.standard_normal((size, size), dtype=np.float32)
b = rng.standard_normal((size, size), dtype=np.float32)
out = np.empty((size, size), dtype=np.float32)
np.matmul(a, b, out=out)  # warm-up: thread pool and caches
best, runs, began = float("inf"), 0, time.perf_counter()
while runs < 3 or time.perf_counter() - began < seconds:
    t0 = time.perf_counter_ns(); np.matmul(a, b, out=out); best = min(best, time.perf_counter_ns() - t0)
    runs += 1
print(json.dumps({"best_ns": best, "runs": runs, "numpy": np.__version__}))
"""
BLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def measure_peak(threads: int, size: int = 2048, seconds: float = 3.0) -> Peak:
    environment = {k: v for k, v in os.environ.items() if k not in BLAS_OVERRIDES}
    environment.update({name: str(threads) for name in THREAD_VARIABLES})
    done = subprocess.run([sys.executable, "-c", PROBE, str(size), str(seconds)], capture_output=True, text=True,
                          env=environment, check=False, timeout=seconds * 10 + 60)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise EngineError(f"the sgemm probe failed: {last}")
    result = json.loads(done.stdout)
    gflops = 2.0 * size**3 / result["best_ns"]
    from .environment import cpu_model_name

    return Peak(gflops, threads, size, int(result["runs"]), cpu_model_name(), result["numpy"],
                datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))


def cache_path() -> Path:
    return cache_root() / "peak.json"


def save_peak(peak: Peak) -> Path:
    path = cache_path()
    known = _read_cache(path)
    known[_key(peak.cpu, peak.threads)] = asdict(peak)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, json.dumps(known, indent=2, sort_keys=True) + "\n")


def cached_peak(cpu: str, threads: int) -> Peak | None:
    """The peak measured earlier on this CPU model with this many threads, if any."""
    entry = _read_cache(cache_path()).get(_key(cpu, threads))
    if not isinstance(entry, dict):
        return None
    try:
        return Peak(**entry)
    except TypeError:
        return None


def _key(cpu: str, threads: int) -> str:
    return f"{cpu} / {threads} threads"


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
