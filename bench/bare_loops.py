#!/usr/bin/env python3
"""Bare Python loops over each engine's fastest call: what infermeter's harness is measured against.

Two loops per case, after the same preparation infermeter does (inputs built and bound once, outside it)
and the same warm-up (1 s of calls, as infermeter's default ``-w 1``):
  untimed   nothing but the call in a ``for`` loop (threads: a loop per thread): the floor
  timed     a hand-written benchmark loop: ``perf_counter_ns()`` before and after each call, both stamps
            appended to lists (async: the completion time from the request's own latency, as infermeter)

  ort-sync     ONNX Runtime, one session (intra-op threads 1): the faster of ``session.run(names, feeds)``,
               the C-level ``session._sess.run(names, feeds, None)`` and ``run_with_iobinding``
  ort-async    ONNX Runtime, N Python threads sharing one session (intra-op 1 each): the faster of the
               C-level run and a C-level run_with_iobinding with one IOBinding per thread
  ov-sync      OpenVINO (LATENCY hint, f32), one InferRequest with its input tensor set once: the faster of
               ``request.infer()`` and the C-level ``InferRequest.infer(request, {}, True, False)``
  ov-async     OpenVINO (THROUGHPUT hint, f32), AsyncInferQueue of N requests (THREADS, default 2; infermeter
               gets the same -nireq), tensors set once per request: ``start_async`` in a loop (the queue
               hands out idle requests itself), ``wait_all`` at the end

Usage: python bench/bare_loops.py CASE MODEL.onnx SECONDS [untimed|timed] [THREADS]
Prints one JSON line: {"case", "loop", "calls", "seconds", "calls_per_s", "variant"}.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import time
from collections.abc import Callable

import numpy as np

WARMUP_SECONDS = 1.0  # as infermeter's default warm-up (-w 1)


def warm_up(call: Callable[[], object]) -> None:
    end = time.perf_counter() + WARMUP_SECONDS
    while time.perf_counter() < end:
        for _ in range(64):
            call()


def timed_loop(call: Callable[[], object], seconds: float) -> tuple[int, float]:
    """Calls in a plain loop for about ``seconds``: batches sized from a first timing, clock read per batch."""
    batch = 64
    began = time.perf_counter()
    calls = 0
    end = began + seconds
    while True:
        for _ in range(batch):
            call()
        calls += batch
        now = time.perf_counter()
        if now >= end:
            return calls, now - began
        batch = min(batch * 2, 65536) if now - began < seconds / 20 else batch


def timed_calls(call: Callable[[], object], seconds: float) -> tuple[int, float]:
    """A hand-written benchmark loop: each call stamped before and after, stamps kept in lists."""
    clock = time.perf_counter_ns
    starts: list[int] = []
    ends: list[int] = []
    add_start, add_end = starts.append, ends.append
    began = clock()
    end = began + int(seconds * 1e9)
    t1 = began
    while t1 < end:
        t0 = clock()
        call()
        t1 = clock()
        add_start(t0)
        add_end(t1)
    return len(ends), (t1 - began) / 1e9


LOOPS = {"untimed": timed_loop, "timed": timed_calls}


def fastest(variants: dict[str, Callable[[], object]], seconds: float, loop: str = "untimed") -> dict[str, object]:
    """Every variant for a short trial, then the fastest one for the full time."""
    trial = {name: timed_loop(call, min(0.5, seconds / 4)) for name, call in variants.items()}
    best = max(trial, key=lambda name: trial[name][0] / trial[name][1])
    warm_up(variants[best])
    calls, elapsed = LOOPS[loop](variants[best], seconds)
    return {"calls": calls, "seconds": elapsed, "calls_per_s": calls / elapsed, "variant": best}


def threads_loop(call_for: Callable[[int], Callable[[], object]], threads: int,
                 seconds: float, timed: bool = False) -> tuple[int, float]:
    """``threads`` threads, thread i calling ``call_for(i)`` in a plain loop; total calls and elapsed time."""
    counts = [0] * threads
    warmed, go = threading.Barrier(threads + 1), threading.Barrier(threads + 1)
    stop_at = [0.0]

    def worker(index: int) -> None:
        call = call_for(index)
        warm_up(call)
        warmed.wait()
        go.wait()
        n = 0
        end = stop_at[0]
        if timed:
            clock, end_ns = time.perf_counter_ns, int(end * 1e9)
            starts: list[int] = []
            ends: list[int] = []
            t1 = 0
            while t1 < end_ns:
                t0 = clock()
                call()
                t1 = clock()
                starts.append(t0)
                ends.append(t1)
            counts[index] = len(ends)
            return
        while True:
            for _ in range(64):
                call()
            n += 64
            if time.perf_counter() >= end:
                counts[index] = n
                return

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    warmed.wait()
    began = time.perf_counter()
    stop_at[0] = began + seconds  # set before the second barrier releases the workers
    go.wait()
    for thread in pool:
        thread.join()
    return sum(counts), time.perf_counter() - began


def ort_session(path: str, intra: int) -> object:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = intra
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def ort_feeds(session: object) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {i.name: rng.standard_normal([d if isinstance(d, int) else 1 for d in i.shape]).astype(np.float32)
            for i in session.get_inputs()}  # type: ignore[attr-defined]


def ort_sync(path: str, seconds: float, loop: str) -> dict[str, object]:
    session = ort_session(path, 1)
    feeds = ort_feeds(session)
    names = [o.name for o in session.get_outputs()]  # type: ignore[attr-defined]
    binding = session.io_binding()  # type: ignore[attr-defined]
    for name, array in feeds.items():
        binding.bind_cpu_input(name, array)
    for name in names:
        binding.bind_output(name)
    return fastest({
        "session.run(names, feeds)": functools.partial(session.run, names, feeds),  # type: ignore[attr-defined]
        "session._sess.run(names, feeds, None)": functools.partial(session._sess.run, names, feeds, None),  # type: ignore[attr-defined]
        "_sess.run_with_iobinding": functools.partial(session._sess.run_with_iobinding, binding._iobinding, None),  # type: ignore[attr-defined]
    }, seconds, loop)


def ort_bound_run(session: object, feeds: dict[str, np.ndarray]) -> Callable[[], object]:
    """The C-level run over an IOBinding made for one caller (one per thread)."""
    binding = session.io_binding()  # type: ignore[attr-defined]
    for name, array in feeds.items():
        binding.bind_cpu_input(name, array)
    for output in session.get_outputs():  # type: ignore[attr-defined]
        binding.bind_output(output.name)
    return functools.partial(session._sess.run_with_iobinding, binding._iobinding, None)  # type: ignore[attr-defined]


def ort_async(path: str, seconds: float, threads: int, loop: str) -> dict[str, object]:
    session = ort_session(path, 1)
    feeds = ort_feeds(session)
    names = [o.name for o in session.get_outputs()]  # type: ignore[attr-defined]
    trials = {}
    plain = functools.partial(session._sess.run, names, feeds, None)  # type: ignore[attr-defined]
    bound = [ort_bound_run(session, feeds) for _ in range(threads)]
    variants = {"session._sess.run": lambda index: plain, "_sess.run_with_iobinding": lambda index: bound[index]}
    for name, pick in variants.items():
        calls, elapsed = threads_loop(pick, threads, min(0.5, seconds / 4))
        trials[name] = calls / elapsed
    best = max(trials, key=lambda name: trials[name])
    calls, elapsed = threads_loop(variants[best], threads, seconds, timed=loop == "timed")
    return {"calls": calls, "seconds": elapsed, "calls_per_s": calls / elapsed,
            "variant": f"{threads} threads × {best} on one session"}


def ov_compiled(path: str, hint: str) -> object:
    import openvino as ov

    core = ov.Core()
    return core.compile_model(path, "CPU", {"PERFORMANCE_HINT": hint, "INFERENCE_PRECISION_HINT": "f32"})


def ov_tensor(compiled: object) -> object:
    import openvino as ov

    port = compiled.inputs[0]  # type: ignore[attr-defined]
    shape = list(port.get_shape())
    return ov.Tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))


def ov_sync(path: str, seconds: float, loop: str) -> dict[str, object]:
    from openvino._pyopenvino import InferRequest

    compiled = ov_compiled(path, "LATENCY")
    request = compiled.create_infer_request()  # type: ignore[attr-defined]
    request.set_tensor(compiled.inputs[0], ov_tensor(compiled))  # type: ignore[attr-defined]
    return fastest({
        "request.infer()": request.infer,
        "InferRequest.infer(request, {}, True, False)": functools.partial(InferRequest.infer, request, {}, True,
                                                                          False),
    }, seconds, loop)


def ov_async(path: str, seconds: float, nireq: int, loop: str) -> dict[str, object]:
    import openvino as ov
    from openvino._pyopenvino import AsyncInferQueue, InferRequest

    compiled = ov_compiled(path, "THROUGHPUT")
    queue = ov.AsyncInferQueue(compiled, nireq)
    for index in range(nireq):
        queue[index].set_tensor(compiled.inputs[0], ov_tensor(compiled))  # type: ignore[attr-defined]
    start = functools.partial(AsyncInferQueue.start_async, queue, {}, None)
    warm_up(start)
    queue.wait_all()
    if loop == "untimed":
        calls, elapsed = timed_loop(start, seconds)
        queue.wait_all()
        return {"calls": calls, "seconds": elapsed, "calls_per_s": calls / elapsed,
                "variant": f"AsyncInferQueue({nireq}) start_async loop"}
    idle = functools.partial(AsyncInferQueue.get_idle_request_id, queue)
    start_slot = functools.partial(AsyncInferQueue.start_async, queue, {})
    latency = InferRequest.latency.__get__
    requests = [queue[index] for index in range(nireq)]
    clock = time.perf_counter_ns
    submitted = [0] * nireq
    busy = [False] * nireq
    starts: list[int] = []
    ends: list[int] = []
    began = clock()
    end = began + int(seconds * 1e9)
    while True:
        slot = idle()
        if busy[slot]:
            t0 = submitted[slot]
            starts.append(t0)
            ends.append(t0 + round(latency(requests[slot]) * 1e6))
        now = clock()
        if now >= end:
            break
        submitted[slot] = now
        start_slot(slot)
        busy[slot] = True
    queue.wait_all()
    calls = len(ends) + sum(busy) - 1
    return {"calls": calls, "seconds": (clock() - began) / 1e9, "calls_per_s": calls / ((clock() - began) / 1e9),
            "variant": f"AsyncInferQueue({nireq}): get_idle_request_id, stamp, start_async, latency per request"}


def main() -> None:
    case, path, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    loop = sys.argv[4] if len(sys.argv) > 4 else "untimed"
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 2
    runs = {"ort-sync": lambda: ort_sync(path, seconds, loop),
            "ort-async": lambda: ort_async(path, seconds, threads, loop),
            "ov-sync": lambda: ov_sync(path, seconds, loop), "ov-async": lambda: ov_async(path, seconds, threads, loop)}
    result = runs[case]()
    print(json.dumps({"case": case, "loop": loop, **result}))


if __name__ == "__main__":
    main()
