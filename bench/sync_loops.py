"""The same OpenVINO call timed by infermeter's loop and by benchmark_app's own loop, in one process.

One compiled model (LATENCY hint, f32) and one request object per loop pair: ``infermeter.scenarios.loops.run_sync``
over infermeter's ``OpenVINOSession`` against ``openvino.tools.benchmark.benchmark.Benchmark.sync_inference`` over
a request of the same compiled model; and ``run_async`` over infermeter's one-slot ``OpenVINOAsyncSession`` against
``Benchmark.async_inference_only`` over an ``AsyncInferQueue`` of one (what ``-hint latency`` gives benchmark_app,
whose default API is async). Rounds of 1 s alternate the two loops in a seeded order; the ratio infermeter /
benchmark_app of calls per second is paired by round (t-interval over rounds of the log ratio).
"""

from __future__ import annotations

import math
import random
import statistics
import time
from array import array
from pathlib import Path
from typing import Any

import numpy as np
from common import CNN_SHAPE

ROUND_S = 1.0


class _Queue:
    """benchmark_app's data queue, as its inference-only loops use it (a batch size per request)."""

    def get_next_batch_size(self) -> int:
        return 1


def _inputs(compiled: Any) -> dict[str, np.ndarray]:
    found = {}
    for port in compiled.inputs:
        shape = tuple(port.get_partial_shape().to_shape())
        found[port.get_any_name()] = np.random.default_rng(0).random(shape).astype(np.float32)
    return found


def _compiled(model: Path) -> Any:
    import openvino as ov

    from infermeter.engines.openvino import shared_core

    core = shared_core()
    read = core.read_model(str(model))
    if model.stem != "bert_base":
        read.reshape([int(d) for d in CNN_SHAPE.strip("[]").split(",")])
    return core.compile_model(read, "CPU", {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32",
                                            "NUM_STREAMS": "1"}), ov


def _loops(model: Path) -> dict[str, dict[str, Any]]:
    from openvino.tools.benchmark.benchmark import Benchmark

    from infermeter.engines.openvino import OpenVINOAsyncSession, OpenVINOSession
    from infermeter.scenarios.loops import run_async, run_sync
    from infermeter.scenarios.recording import SampleBuffer
    from infermeter.scenarios.stop import Stop

    compiled, ov = _compiled(model)
    inputs = _inputs(compiled)
    sync_session = OpenVINOSession(compiled, inputs, [])
    async_session = OpenVINOAsyncSession(compiled, [inputs], [])
    ba_sync = Benchmark("CPU", 1, None, ROUND_S, "sync", True)
    ba_async = Benchmark("CPU", 1, None, ROUND_S, "async", True)
    request = compiled.create_infer_request()
    queue = ov.AsyncInferQueue(compiled, 1)
    for target in (request, queue[0]):
        for name, value in inputs.items():
            target.get_tensor(name).data[:] = value

    def im_sync() -> float:
        buffer = SampleBuffer()
        began = time.perf_counter()
        run_sync(sync_session, time.perf_counter_ns, Stop(0, int(ROUND_S * 1e9)), buffer, array("q", [0]))
        return buffer.count / (time.perf_counter() - began)

    def im_async() -> float:
        buffer = SampleBuffer()
        began = time.perf_counter()
        run_async(async_session, time.perf_counter_ns, Stop(0, int(ROUND_S * 1e9)), buffer, array("q", [0]))
        return buffer.count / (time.perf_counter() - began)

    def ba(benchmark: Any, target: Any, method: str) -> float:
        _, duration, iterations = getattr(benchmark, method)(target, _Queue())
        return float(iterations / duration)

    return {"sync (InferRequest.infer)": {"infermeter": im_sync, "benchmark_app":
                                          lambda: ba(ba_sync, request, "sync_inference"), "keep": (ba_sync, request)},
            "async, 1 request (AsyncInferQueue)": {"infermeter": im_async, "benchmark_app":
                                                   lambda: ba(ba_async, queue, "async_inference_only"),
                                                   "keep": (ba_async, queue)}}


def _paired(im: list[float], ba: list[float]) -> str:
    logs = [math.log(a / b) for a, b in zip(im, ba, strict=True)]
    if len(logs) < 2:
        return f"{math.exp(logs[0]):.3f}" if logs else "–"
    from infermeter.stats.intervals import t_quantile_975

    half = t_quantile_975(len(logs) - 1) * statistics.stdev(logs) / math.sqrt(len(logs))
    centre = statistics.fmean(logs)
    return f"{math.exp(centre):.3f} [{math.exp(centre - half):.3f}, {math.exp(centre + half):.3f}]"


def loop_table(models: list[Path], rounds: int) -> str:
    lines = [f"{rounds} rounds of {ROUND_S:g} s per loop, alternating in a seeded order; the same compiled model "
             "(LATENCY, f32, 1 stream); calls/s median (min–max) and the ratio paired by round with its 95 % "
             "t-interval:", "", "| model | call | benchmark_app's loop | infermeter's loop | infermeter / "
             "benchmark_app [95 % CI] |", "|---|---|---:|---:|---:|"]
    order = random.Random(0)
    for model in models:
        for call, loops in _loops(model).items():
            found: dict[str, list[float]] = {"infermeter": [], "benchmark_app": []}
            for _ in range(rounds):
                sides = ["infermeter", "benchmark_app"]
                order.shuffle(sides)
                for side in sides:
                    found[side].append(loops[side]())
            lines.append(f"| {model.stem} | {call} | {_spread(found['benchmark_app'])} | "
                         f"{_spread(found['infermeter'])} | {_paired(found['infermeter'], found['benchmark_app'])} |")
    return "\n".join(lines)


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.1f} ({min(values):,.1f}–{max(values):,.1f})"
