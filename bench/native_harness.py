#!/usr/bin/env python3
"""Harness cost of the native engines, side by side: infermeter against a bare loop over each one's fastest call.

On a trivial model (y = x + 1, x float32 [1, 8]) the engine does almost nothing, so what a harness adds shows.
Per engine, in fresh processes interleaved over ``--pairs`` pairs (the order alternates each pair), the same
duration each, both at ONE thread (torch.set_num_threads(1) / num_threads=1 and -nthreads 1; note that
torch.utils.benchmark.Timer would also default to one thread):

  bare       nothing but the fastest call in a loop, after a 1-s warm-up:
             pytorch: ``module(x)`` of an eager nn.Module, all calls inside one ``torch.inference_mode()`` block
             litert:  the interpreter's C++ ``Invoke`` (``interpreter._interpreter.Invoke``, what ``invoke()`` calls
                      after its Python-side check), tensors set once
  timed      the same loop with ``perf_counter_ns()`` read after each call and appended to a list (the least a
             benchmark loop that reports latencies does; infermeter's sync loop does the same: one clock read and
             one store per call)
  infermeter ``infermeter run MODEL -e ENGINE -api sync -nthreads 1 -t S`` (its 1-s warm-up), requests/s from -x

Reported: calls/s medians (min–max) and the median (min–max) of the per-pair ratios infermeter / bare (the goal
is ≥ 0.95) and infermeter / timed. A timed loop cannot reach 0.95 of an untimed one when the call itself takes
less than about 20 times a clock read and a store (~5 µs here): then the ratio shows the cost of timing, not of
the harness.

Usage: flock /tmp/infermeter-timing.lock python bench/native_harness.py [--pairs 5] [--seconds 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import child_env, machine, write_result  # noqa: E402

FACTORY = '''import torch


class AddOne(torch.nn.Module):
    infermeter_inputs = {"x": ("float32", (1, 8))}

    def forward(self, x):
        return x + 1


class Dense(torch.nn.Module):
    infermeter_inputs = {"x": ("float32", (1, 512))}

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.fc = torch.nn.Linear(512, 512)

    def forward(self, x):
        return self.fc(x)


def make_model():
    return AddOne().eval()


def make_dense():
    return Dense().eval()
'''
CASES = {"pytorch": "pytorch", "pytorch-dense": "pytorch", "litert": "litert", "litert-dense": "litert"}


def build_models(folder: Path) -> dict[str, str]:
    (folder / "add_one.py").write_text(FACTORY, encoding="utf-8")
    return {"pytorch": f"{folder / 'add_one.py'}:make_model", "pytorch-dense": f"{folder / 'add_one.py'}:make_dense",
            "litert": str(build_tflite(folder / "add_one.tflite")),
            "litert-dense": str(build_dense_tflite(folder / "dense.tflite"))}


def build_dense_tflite(path: Path) -> Path:
    """FULLY_CONNECTED(x [1, 512], W [512, 512], b [512]) -> y: a call of some microseconds."""
    import flatbuffers
    import numpy as np
    from ai_edge_litert import schema_py_generated as schema

    weight = np.random.default_rng(0).standard_normal((512, 512)).astype(np.float32) / 20
    model = schema.ModelT()
    model.version = 3
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.FULLY_CONNECTED
    code.version = 1
    model.operatorCodes = [code]
    buffers = []
    for data in (None, None, weight, np.zeros(512, np.float32), None):
        buffer = schema.BufferT()
        buffer.data = None if data is None else list(data.tobytes())
        buffers.append(buffer)
    model.buffers = buffers
    tensors = []
    for name, shape, buffer in (("x", [1, 512], 1), ("w", [512, 512], 2), ("b", [512], 3), ("y", [1, 512], 4)):
        tensor = schema.TensorT()
        tensor.shape, tensor.type, tensor.buffer, tensor.name = shape, schema.TensorType.FLOAT32, buffer, name
        tensors.append(tensor)
    graph = schema.SubGraphT()
    graph.tensors, graph.inputs, graph.outputs, graph.name = tensors, [0], [3], "main"
    operator = schema.OperatorT()
    operator.opcodeIndex, operator.inputs, operator.outputs = 0, [0, 1, 2], [3]
    operator.builtinOptionsType = schema.BuiltinOptions.FullyConnectedOptions
    operator.builtinOptions = schema.FullyConnectedOptionsT()
    graph.operators = [operator]
    model.subgraphs = [graph]
    builder = flatbuffers.Builder(1 << 21)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path.write_bytes(bytes(builder.Output()))
    return path


def build_tflite(path: Path) -> Path:
    """ADD(x [1, 8], ones [1, 8]) -> y, with the flatbuffer schema ai-edge-litert ships."""
    import flatbuffers
    import numpy as np
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT()
    model.version = 3
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.ADD
    code.version = 1
    model.operatorCodes = [code]
    buffers = []
    for data in (None, None, np.ones(8, np.float32), None):
        buffer = schema.BufferT()
        buffer.data = None if data is None else list(data.tobytes())
        buffers.append(buffer)
    model.buffers = buffers
    tensors = []
    for name, buffer in (("x", 1), ("one", 2), ("y", 3)):
        tensor = schema.TensorT()
        tensor.shape, tensor.type, tensor.buffer, tensor.name = [1, 8], schema.TensorType.FLOAT32, buffer, name
        tensors.append(tensor)
    graph = schema.SubGraphT()
    graph.tensors, graph.inputs, graph.outputs, graph.name = tensors, [0], [2], "main"
    operator = schema.OperatorT()
    operator.opcodeIndex, operator.inputs, operator.outputs = 0, [0, 1], [2]
    operator.builtinOptionsType = schema.BuiltinOptions.AddOptions
    operator.builtinOptions = schema.AddOptionsT()
    graph.operators = [operator]
    model.subgraphs = [graph]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path.write_bytes(bytes(builder.Output()))
    return path


def bare_loop(engine: str, model: str, seconds: float, timed: bool = False) -> float:
    """In this (child) process: the fastest call in a loop; calls per second after a 1-s warm-up."""
    if CASES[engine] == "pytorch":
        import importlib.util

        import torch

        torch.set_num_threads(1)
        path, _, function = model.rpartition(":")
        spec = importlib.util.spec_from_file_location("add_one", path)
        assert spec is not None and spec.loader is not None
        code = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(code)
        module = getattr(code, function)()
        x = torch.rand(*module.infermeter_inputs["x"][1])
        with torch.inference_mode():
            return _loop(lambda: module(x), seconds, timed)
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=model, num_threads=1)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    interpreter.set_tensor(detail["index"], np.random.rand(*detail["shape"]).astype(np.float32))
    return _loop(interpreter._interpreter.Invoke, seconds, timed)


def _loop(call: object, seconds: float, timed: bool) -> float:
    assert callable(call)
    clock = time.perf_counter
    end = clock() + 1.0
    while clock() < end:
        call()
    count, start = 0, clock()
    end = start + seconds
    stamp = time.perf_counter_ns
    while True:
        if timed:
            stamps = [0] * 1000
            for i in range(1000):
                call()
                stamps[i] = stamp()
        else:
            for _ in range(1000):
                call()
        count += 1000
        if clock() >= end:
            return count / (clock() - start)


def bare(engine: str, model: str, seconds: float, timed: bool) -> float:
    done = subprocess.run([sys.executable, __file__, "--bare", engine, model, f"{seconds:g}", str(int(timed))],
                          capture_output=True, text=True, check=True, env=child_env())
    return float(done.stdout.strip().splitlines()[-1])


def infermeter(engine: str, model: str, seconds: float, out: Path) -> float:
    subprocess.run([sys.executable, "-m", "infermeter", "run", model, "-e", CASES[engine], "-api", "sync",
                    "-nthreads", "1", "-t", f"{seconds:g}", "-q", "-x", str(out)], check=True, capture_output=True,
                   text=True, env=child_env())
    return float(json.loads(out.read_text())["run"]["requests_per_s"])


def spread(values: list[float], digits: str = ",.0f") -> str:
    return f"{format(statistics.median(values), digits)} ({format(min(values), digits)}–{format(max(values), digits)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--quick", action="store_true", help="3 pairs of 1 s: checks the script, not the numbers")
    parser.add_argument("--bare", nargs=4, metavar=("ENGINE", "MODEL", "SECONDS", "TIMED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        print(bare_loop(args.bare[0], args.bare[1], float(args.bare[2]), args.bare[3] == "1"))
        return
    pairs, seconds = (3, 1.0) if args.quick else (args.pairs, args.seconds)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        models = build_models(Path(folder))
        for engine, model in models.items():
            found: dict[str, list[float]] = {"bare": [], "timed": [], "infermeter": []}
            for pair in range(pairs):
                sides = ["bare", "timed", "infermeter"]
                for side in sides[pair % 3:] + sides[:pair % 3]:  # the order rotates each pair
                    value = infermeter(engine, model, seconds, Path(folder) / "out.json") if side == "infermeter" \
                        else bare(engine, model, seconds, side == "timed")
                    found[side].append(value)
                print(f"{engine} pair {pair + 1}: " + ", ".join(f"{k} {v[-1]:,.0f}" for k, v in found.items()),
                      file=sys.stderr)
            rows.append((engine, found))
    lines = ["# Harness cost of the native engines: infermeter vs a bare loop over the fastest call (calls/s)", "",
             f"Machine: {machine()}.",
             f"{pairs} interleaved rounds (order rotating), {seconds:g} s per run, fresh processes, one thread on "
             f"both sides. `flock /tmp/infermeter-timing.lock python bench/native_harness.py"
             f"{' --quick' if args.quick else ''}`", "",
             "| engine (fastest call) | bare loop | timed loop | infermeter -api sync -nthreads 1 | infermeter / bare "
             "| infermeter / timed |", "|---|---:|---:|---:|---:|---:|"]
    calls = {"pytorch": "y = x + 1: eager `module(x)` inside one inference_mode block",
             "pytorch-dense": "Linear(512, 512): the same call",
             "litert": "y = x + 1: interpreter `_interpreter.Invoke`",
             "litert-dense": "FULLY_CONNECTED 512×512: the same call"}
    for engine, found in rows:
        to_bare = [i / b for i, b in zip(found["infermeter"], found["bare"], strict=True)]
        to_timed = [i / b for i, b in zip(found["infermeter"], found["timed"], strict=True)]
        lines.append(f"| {engine} ({calls[engine]}) | {spread(found['bare'])} | {spread(found['timed'])} | "
                     f"{spread(found['infermeter'])} | {spread(to_bare, '.3f')} | {spread(to_timed, '.3f')} |")
    lines += ["", "Models: y = x + 1 on x float32 [1, 8] (trivial), and a dense 512×512 layer on [1, 512] (a call of "
              "microseconds); factory files for pytorch, .tflite files written with the schema ai-edge-litert ships. "
              "Values: median (min–max) over the rounds; the ratios are the medians of the per-round ratios. Goal: "
              "infermeter / bare ≥ 0.95.", ""]
    print(write_result("native_harness.md", "\n".join(lines)))


if __name__ == "__main__":
    main()
