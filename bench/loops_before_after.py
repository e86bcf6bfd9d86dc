#!/usr/bin/env python3
"""The timed loops before and after the stop rule became an object (architecture issue), side by side.

The loops of an earlier commit (``--before``, default the last commit before the change) are loaded from git
into a scratch package next to today's, and both drive the same C-level no-op call in this process, in
interleaved rounds (order rotating). Reported per loop: ns per call of each version (median, min–max) and the
median of the per-round ratios after / before (< 1: the new loop is cheaper). Engine-free, so the loop's own
bookkeeping is all that is measured; the VM's noise remains, which is why rounds alternate.

Usage: python bench/loops_before_after.py [--rounds 15] [--seconds 0.5] [--before COMMIT] [--quick]
Run it alone (two timing jobs on a 2-core machine halve each other).
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path
from typing import Any

from common import interleaved, machine, ratio_text, spread, write_result

REPO = Path(__file__).resolve().parent.parent
BEFORE = "49586f9"  # main before the architecture issue's changes


class NoOp:
    infer = "".strip  # a C-level call that does nothing


def load_before(commit: str, scratch: Path) -> Any:
    """The old ``scenarios.loops`` and ``scenarios.recording`` as package ``before`` (imports made absolute)."""
    package = scratch / "before"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("loops", "recording"):
        text = subprocess.run(["git", "-C", str(REPO), "show", f"{commit}:src/infermeter/scenarios/{name}.py"],
                              capture_output=True, text=True, check=True).stdout
        text = text.replace("from ..clock import", "from infermeter.clock import")
        text = text.replace("from ..engines.base import", "from infermeter.engines.base import")
        (package / f"{name}.py").write_text(text)
    sys.path.insert(0, str(scratch))
    return importlib.import_module("before.loops"), importlib.import_module("before.recording")


def sides(seconds: float, before: Any) -> dict[str, Any]:
    from infermeter.scenarios.loops import ThreadedRun, run_sync
    from infermeter.scenarios.recording import SampleBuffer
    from infermeter.scenarios.stop import Stop

    old_loops, old_recording = before
    duration = int(seconds * 1e9)

    def per_call(run: Any, buffers: list[Any]) -> float:
        began = time.perf_counter()
        run()
        return (time.perf_counter() - began) / sum(buffer.count for buffer in buffers) * 1e9

    def sync_new() -> float:
        buffer = SampleBuffer()
        return per_call(lambda: run_sync(NoOp(), time.perf_counter_ns, Stop(0, duration), buffer, array("q", [0])),
                        [buffer])

    def sync_old() -> float:
        buffer = old_recording.SampleBuffer()
        return per_call(lambda: old_loops.run_sync(NoOp(), time.perf_counter_ns, 0, duration, buffer,
                                                   array("q", [0])), [buffer])

    def wait(finished: list[Any]) -> None:
        for event in finished:
            event.wait()

    def thread_new() -> float:
        buffers = [SampleBuffer()]
        run = ThreadedRun([NoOp()], time.perf_counter_ns, Stop(0, duration), buffers, array("q", [0]))
        return per_call(lambda: run.run(wait), buffers)

    def thread_old() -> float:
        buffers = [old_recording.SampleBuffer()]
        run = old_loops.ThreadedRun([NoOp()], time.perf_counter_ns, 0, duration, buffers, array("q", [0]))
        return per_call(lambda: run.run(wait), buffers)

    return {"run_sync before": sync_old, "run_sync after": sync_new,
            "runner thread before": thread_old, "runner thread after": thread_new}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--quick", action="store_true", help="3 rounds of 0.1 s (checks the script)")
    options = parser.parse_args()
    rounds, seconds = (3, 0.1) if options.quick else (options.rounds, options.seconds)
    with tempfile.TemporaryDirectory() as scratch:
        results = interleaved(rounds, sides(seconds, load_before(options.before, Path(scratch))))
    lines = [f"# The timed loops before ({options.before}) and after the Stop object: ns per no-op call", "",
             f"Machine: {machine()}.", f"{rounds} interleaved rounds of {seconds:g} s each, one process, "
             "a C-level no-op as the call. `python bench/loops_before_after.py`", "",
             "| loop | before, ns per call | after, ns per call | after / before (median of rounds) |",
             "|---|---:|---:|---:|"]
    for loop in ("run_sync", "runner thread"):
        old, new = results[f"{loop} before"], results[f"{loop} after"]
        lines.append(f"| {loop} | {spread(old)} | {spread(new)} | "
                     f"{ratio_text([n / o for n, o in zip(new, old, strict=True)])} |")
    text = "\n".join(lines) + "\n"
    if options.quick:
        print(text)
    else:
        write_result("loops_before_after.md", text)


if __name__ == "__main__":
    main()
