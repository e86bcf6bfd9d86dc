#!/usr/bin/env python3
"""Harness cost, side by side: infermeter against bare Python loops over the engine's fastest call.

On a trivial model (Y = X + 1, X float32 [1,8]) the engine does almost nothing, so what a harness adds
shows. Per case (ONNX Runtime and OpenVINO, sync and async), in fresh processes interleaved over ``--pairs``
pairs (the order rotates each pair), the same duration each:

  untimed    bench/bare_loops.py: nothing but the fastest call in a loop (the floor)
  timed      bench/bare_loops.py: a hand-written benchmark loop with the fastest call, stamped before and
             after each call (what a user writes to get latencies)
  infermeter ``infermeter run add8.onnx ... -t S`` (its default 1-s warm-up, as the bare loops'), requests/s
             from its JSON
  anchor     ../shared/anchors/scripts/overhead.py, once per pair, for reference (its loops build a feeds
             dict per ORT call and time each call with perf_counter)

Reported: calls/s medians (min–max), the median of the per-pair ratios infermeter / untimed and infermeter /
timed, and the harness cost in ns per call (1e9 / infermeter − 1e9 / untimed). Then, in this process (no
process-to-process differences; the VM's own noise remains, and on these VMs it exceeds the harness): the
same engine call, made by infermeter's own session classes, driven by the untimed, the timed and
infermeter's loop in turn; and the engine-free cost of each loop, a C-level no-op as the call.

Usage: python bench/harness_overhead.py [--pairs 9] [--seconds 3]
Run it alone: two timing jobs on a 2-core machine halve each other.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import (
    HERE,
    SHARED,
    build_trivial_model,
    child_env,
    interleaved,
    machine,
    ratio_text,
    ratios,
    spread,
    write_result,
)

ANCHOR = SHARED / "anchors" / "scripts" / "overhead.py"

# case: (infermeter arguments, the anchor's RESULT name prefix or None)
CASES = {
    "ort-sync": (["-e", "onnxruntime", "-api", "sync", "-nthreads", "1"], "ort_run"),
    "ort-async": (["-e", "onnxruntime", "-api", "async"], None),
    "ov-sync": (["-e", "openvino", "-api", "sync", "-hint", "latency", "-infer_precision", "f32"], "ov_infer_preset"),
    "ov-async": (["-e", "openvino", "-api", "async", "-hint", "throughput", "-infer_precision", "f32",
                  "-nireq", "2"], "ov_asyncq"),
}
LABELS = {
    "ort-sync": "onnxruntime sync (intra-op 1)",
    "ort-async": "onnxruntime async (2 threads, one session)",
    "ov-sync": "openvino sync (LATENCY, f32)",
    "ov-async": "openvino async (THROUGHPUT, f32, 2 requests in flight)",
}


def bare(case: str, model: Path, seconds: float, loop: str) -> float:
    done = subprocess.run([sys.executable, str(HERE / "bare_loops.py"), case, str(model), f"{seconds:g}", loop],
                          capture_output=True, text=True, check=True, env=child_env())
    return float(json.loads(done.stdout.strip().splitlines()[-1])["calls_per_s"])


def infermeter(args: list[str], model: Path, seconds: float, out: Path) -> float:
    subprocess.run([sys.executable, "-m", "infermeter", "run", str(model), *args, "-t", f"{seconds:g}", "-q", "-x",
                    str(out)], check=True, capture_output=True, text=True, env=child_env())
    return float(json.loads(out.read_text())["run"]["requests_per_s"])


def anchor(scratch: Path, seconds: float) -> dict[str, float]:
    done = subprocess.run([sys.executable, str(scratch / "overhead.py"), f"{seconds:g}"], capture_output=True,
                          text=True, check=True, cwd=scratch, env=child_env())
    found = {}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
            found[result["case"]] = float(result["calls_per_s"])
    return found


def engine_free_costs(repeats: int = 7, seconds: float = 0.3) -> dict[str, float]:
    """ns per call each loop adds to a C-level no-op call, medians over ``repeats`` interleaved rounds."""
    from array import array

    from infermeter.scenarios.loops import ThreadedRun, run_sync
    from infermeter.scenarios.recording import SampleBuffer
    from infermeter.scenarios.stop import Stop

    class NoOp:
        infer = "".strip  # a C-level call that does nothing

    def bare_ns() -> float:
        call = NoOp.infer
        began = time.perf_counter()
        count = 0
        while time.perf_counter() - began < seconds:
            for _ in range(4096):
                call()
            count += 4096
        return (time.perf_counter() - began) / count * 1e9

    def sync_ns() -> float:
        buffer = SampleBuffer()
        began = time.perf_counter()
        run_sync(NoOp(), time.perf_counter_ns, Stop(0, int(seconds * 1e9)), buffer, array("q", [0]))
        return (time.perf_counter() - began) / buffer.count * 1e9

    def thread_ns() -> float:
        buffers = [SampleBuffer()]
        run = ThreadedRun([NoOp()], time.perf_counter_ns, Stop(0, int(seconds * 1e9)), buffers, array("q", [0]))
        began = time.perf_counter()
        run.run(lambda finished: [event.wait() for event in finished])
        return (time.perf_counter() - began) / buffers[0].count * 1e9

    def duet_ns() -> float:
        from infermeter.scenarios.interleave import Schedule, UnitRecord, interleave_requests

        record = UnitRecord(2)
        limit = int(seconds * 1e9)
        began = time.perf_counter()
        interleave_requests([NoOp.infer, NoOp.infer], time.perf_counter_ns, Schedule(2, 0), record,
                            lambda r, now: min(r.active_ns) * 2 >= limit)
        return (time.perf_counter() - began) / sum(record.requests) * 1e9

    rounds = interleaved(repeats, {"bare": bare_ns, "sync": sync_ns, "thread": thread_ns, "duet": duet_ns})
    floor = statistics.median(rounds["bare"])
    return {"bare loop, ns per no-op call": floor,
            "infermeter sync loop (run_sync)": statistics.median(rounds["sync"]) - floor,
            "infermeter runner thread (ThreadedRun, one thread)": statistics.median(rounds["thread"]) - floor,
            "infermeter interleaved request loop (two sides, --vs)": statistics.median(rounds["duet"]) - floor}


def same_process_rates(model: Path, rounds: int = 9, seconds: float = 1.0) -> dict[str, dict[str, list[float]]]:
    """calls/s of the same engine call (built by infermeter's own session classes) driven by the bare untimed
    loop, the hand-timed loop and infermeter's ``run_sync``, in this process, interleaved over ``rounds``:
    only the loops differ (the VM's own noise remains)."""
    from array import array

    import bare_loops
    import numpy as np
    import openvino as ov

    from infermeter.engines.onnxruntime import OrtSession
    from infermeter.engines.openvino import OpenVINOSession
    from infermeter.scenarios.loops import run_sync
    from infermeter.scenarios.recording import SampleBuffer
    from infermeter.scenarios.stop import Stop

    inputs = {"X": np.ones((1, 8), np.float32)}
    compiled = ov.Core().compile_model(str(model), "CPU", {"PERFORMANCE_HINT": "LATENCY",
                                                          "INFERENCE_PRECISION_HINT": "f32"})
    sessions = {"onnxruntime sync (IOBinding run)": OrtSession(bare_loops.ort_session(str(model), 1), inputs, True),
                "openvino sync (InferRequest.infer, preset tensor)": OpenVINOSession(compiled, inputs, [])}

    def infermeter_loop(session: object) -> float:
        buffer = SampleBuffer()
        began = time.perf_counter()
        run_sync(session, time.perf_counter_ns, Stop(0, int(seconds * 1e9)), buffer, array("q", [0]))  # type: ignore[arg-type]
        return buffer.count / (time.perf_counter() - began)

    def rate(result: tuple[int, float]) -> float:
        return result[0] / result[1]

    found = {}
    for label, session in sessions.items():
        call = session.infer  # type: ignore[attr-defined]
        bare_loops.warm_up(call)
        found[label] = interleaved(rounds, {
            "untimed": lambda c=call: rate(bare_loops.timed_loop(c, seconds)),
            "timed": lambda c=call: rate(bare_loops.timed_calls(c, seconds)),
            "infermeter": lambda s=session: infermeter_loop(s),
        })
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=9)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--quick", action="store_true", help="1 pair of 1 s (checks the script; numbers mean little)")
    options = parser.parse_args()
    if options.quick:
        options.pairs, options.seconds = 1, 1.0
    cases = [case for case in options.cases.split(",") if case]
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        model = build_trivial_model(scratch / "add8.onnx")
        if ANCHOR.exists():
            (scratch / "models").mkdir()
            shutil.copy(ANCHOR, scratch / "overhead.py")
        anchors = [anchor(scratch, options.seconds) for _ in range(options.pairs)] if ANCHOR.exists() else []
        results = {}
        for case in cases:
            args = CASES[case][0]
            out = scratch / "report.json"
            results[case] = interleaved(options.pairs, {
                "untimed": lambda c=case: bare(c, model, options.seconds, "untimed"),
                "timed": lambda c=case: bare(c, model, options.seconds, "timed"),
                "infermeter": lambda a=args, o=out: infermeter(a, model, options.seconds, o),
            }, progress=case)
        same_process = same_process_rates(model)
    costs = engine_free_costs()
    write_result("harness_overhead.md", render(results, anchors, same_process, costs, options))
    return 0


def render(results: dict[str, dict[str, list[float]]], anchors: list[dict[str, float]],
           same_process: dict[str, dict[str, list[float]]], costs: dict[str, float],
           options: argparse.Namespace) -> str:
    lines = [
        "# Harness cost: infermeter vs bare Python loops (trivial model Y = X + 1, calls/s)",
        "",
        f"Machine: {machine()}.",
        f"{options.pairs} interleaved pairs (order rotating), {options.seconds:g} s per run, fresh processes, "
        "bytecode cached. `python bench/harness_overhead.py`",
        "",
        "| case | untimed loop | timed loop | infermeter | infermeter / untimed | infermeter / timed "
        "| harness ns per call | anchor overhead.py |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case, runs in results.items():
        prefix = CASES[case][1]
        anchor_rates = [value for found in anchors for name, value in found.items()
                        if prefix is not None and name.startswith(prefix)]
        cost = 1e9 / statistics.median(runs["infermeter"]) - 1e9 / statistics.median(runs["untimed"])
        lines.append(
            f"| {LABELS[case]} | {spread(runs['untimed'], 0)} | {spread(runs['timed'], 0)} | "
            f"{spread(runs['infermeter'], 0)} | {ratio_text(ratios(runs['infermeter'], runs['untimed']))} | "
            f"{ratio_text(ratios(runs['infermeter'], runs['timed']))} | {cost:+,.0f} | "
            f"{spread(anchor_rates, 0) if anchor_rates else '–'} |")
    lines += ["", "Same process, same call (made by infermeter's session classes), only the loop differs "
              "(9 interleaved rounds of 1 s): no process-to-process differences, the VM's own noise remains", "",
              "| call | untimed loop | timed loop | infermeter run_sync | infermeter / untimed | infermeter / timed |",
              "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {label} | {spread(runs['untimed'], 0)} | {spread(runs['timed'], 0)} | "
              f"{spread(runs['infermeter'], 0)} | {ratio_text(ratios(runs['infermeter'], runs['untimed']))} | "
              f"{ratio_text(ratios(runs['infermeter'], runs['timed']))} |" for label, runs in same_process.items()]
    lines += ["", "Engine-free: what each timed loop adds to a call, with a C-level no-op as the call (this "
              "process, 7 interleaved rounds of 0.3 s):", "", "| loop | ns per call |", "|---|---:|"]
    lines += [f"| {name} | {value:,.0f} |" for name, value in costs.items()]
    lines += ["", "untimed = the fastest call in a plain loop (ORT: the fastest of `session.run`, the C-level "
              "`_sess.run` and `run_with_iobinding`; OV: the fastest of `request.infer()` and the C-level "
              "`InferRequest.infer`; OV async: `AsyncInferQueue.start_async` in a loop); timed = the same call "
              "with `perf_counter_ns()` before and after and both stamps appended to lists (OV async: "
              "`get_idle_request_id`, stamp, `start_async`, the request's own latency).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
