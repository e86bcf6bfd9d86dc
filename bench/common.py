"""Helpers shared by the bench scripts (not part of the package).

Every comparison in bench/ runs its sides in fresh processes, interleaved (A B, then B A, ...), and reports
medians, min–max and the median of the per-pair ratios: on these machines identical runs differ by 5-40 %.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
MAKE_MODELS = SHARED / "tools" / "make_models.py"
RESULTS = HERE / "results"
MODELS = ("resnet50", "mobilenetv2", "squeezenet1_1", "bert_base")
CNN_SHAPE = "[1,3,224,224]"


def ensure_models(folder: Path, names: Sequence[str]) -> None:
    """Build the named models with ../shared/tools/make_models.py unless they are already there."""
    missing = [name for name in names if not (folder / f"{name}.onnx").exists()]
    if missing:
        if not MAKE_MODELS.exists():
            raise SystemExit(f"{MAKE_MODELS} not found: ../shared must sit beside the repository")
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(MAKE_MODELS), str(folder), "--only", ",".join(missing)], check=True)


def build_trivial_model(path: Path) -> Path:
    """Y = X + 1 with X float32 [1,8]: the engine does almost nothing, so the harness is what is measured."""
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
    return path


def build_chain_model(path: Path, layers: int, size: int = 256, rows: int = 64, seed: int = 0) -> Path:
    """A chain of ``layers`` MatMul [rows, size] × [size, size] + Relu (input X, output Y), weights from ``seed``.
    Layer k has the same weights in every chain, so a chain of 21 does exactly 5 % more work than one of 20."""
    if path.exists():
        return path
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes, weights, current = [], [], "X"
    for layer in range(layers):
        matrix = (rng.standard_normal((size, size)) / np.sqrt(size)).astype(np.float32)
        weights.append(numpy_helper.from_array(matrix, f"W{layer}"))
        nodes += [helper.make_node("MatMul", [current, f"W{layer}"], [f"M{layer}"]),
                  helper.make_node("Relu", [f"M{layer}"], [f"R{layer}"])]
        current = f"R{layer}"
    nodes.append(helper.make_node("Identity", [current], ["Y"]))
    graph = helper.make_graph(nodes, f"chain{layers}",
                              [helper.make_tensor_value_info("X", TensorProto.FLOAT, [rows, size])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [rows, size])], weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def child_env() -> dict[str, str]:
    """The environment for measured processes: bytecode caching on (PYTHONDONTWRITEBYTECODE removed), so both
    tools start from cached bytecode as they do after a normal pip install."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def benchmark_app() -> str:
    """benchmark_app from the openvino wheel installed beside this Python."""
    tool = Path(sys.executable).parent / "benchmark_app"
    found = str(tool) if tool.exists() else shutil.which("benchmark_app")
    if not found:
        raise SystemExit("benchmark_app not found: pip install -e '.[openvino]' (it ships in the openvino wheel)")
    return found


def interleaved(pairs: int, sides: dict[str, Callable[[], Any]], progress: str = "") -> dict[str, list[Any]]:
    """Run every side once per pair, rotating which goes first (A B C, B C A, ...), fresh order each pair."""
    names = list(sides)
    results: dict[str, list[Any]] = {name: [] for name in names}
    for pair in range(pairs):
        order = names[pair % len(names):] + names[:pair % len(names)]
        for name in order:
            results[name].append(sides[name]())
        if progress:
            shown = ", ".join(f"{name} {_short(results[name][-1])}" for name in names)
            print(f"{progress} pair {pair + 1}/{pairs}: {shown}", flush=True)
    return results


def _short(value: Any) -> str:
    if isinstance(value, dict) and "items_per_s" in value:
        value = value["items_per_s"]
    return f"{value:,.4g}" if isinstance(value, float) else str(value)


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    return [a / b for a, b in zip(numerators, denominators, strict=True)]


def spread(values: Sequence[float], digits: int = 1) -> str:
    """'median (min–max)'."""
    return f"{statistics.median(values):,.{digits}f} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"


def ratio_text(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X ≤ k) for X ~ Binomial(n, p), exactly."""
    import math

    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper–Pearson) interval of a binomial proportion k / n, by bisection on the binomial CDF."""
    tail = (1 - confidence) / 2

    def solve(target: float, below: bool) -> float:
        low, high = 0.0, 1.0
        for _ in range(60):
            mid = (low + high) / 2
            value = binomial_tail(k, n, mid) if below else 1 - binomial_tail(k - 1, n, mid)
            # P(X ≤ k) falls with p; P(X ≥ k) rises with p
            if (value > target) == below:
                low = mid
            else:
                high = mid
        return (low + high) / 2

    lower = 0.0 if k == 0 else solve(tail, below=False)
    upper = 1.0 if k == n else solve(tail, below=True)
    return lower, upper


def rate_text(k: int, n: int) -> str:
    """'3/40 = 7.5 % [1.6, 20.4]' (exact 95 % interval)."""
    if n == 0:
        return "–"
    low, high = clopper_pearson(k, n)
    return f"{k}/{n} = {100 * k / n:.1f} % [{100 * low:.1f}, {100 * high:.1f}]"


def cpu_model() -> str:
    info = cpu_info()
    return info.get("model name") or platform.processor() or "unknown CPU"


def cpu_info() -> dict[str, str]:
    found: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            found.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return found


def machine() -> str:
    """One line: CPU (family/model), cores, the ISA that matters here, OS, Python and engine versions."""
    info = cpu_info()
    flags = set(info.get("flags", "").split())
    isa = ", ".join(flag for flag in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if flag in flags) or "?"
    versions = []
    for package in ("openvino", "onnxruntime", "torch", "ai-edge-litert", "numpy"):
        try:
            from importlib.metadata import version

            versions.append(f"{package} {version(package)}")
        except Exception:  # not installed
            continue
    return (f"{cpu_model()} (family {info.get('cpu family', '?')}, model {info.get('model', '?')}), "
            f"{os.cpu_count()} cores, {isa}; {platform.system()} {platform.release()}; Python "
            f"{platform.python_version()}; {', '.join(versions)}")


def write_result(name: str, text: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(text if text.endswith("\n") else text + "\n")
    print(text)
    return path
