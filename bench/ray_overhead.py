"""Ray's per-point overhead against the local runner, for 10-s points, in one interleaved run.

A Ray test cluster on this machine (tests/ray_cluster.py: a head without CPUs and ONE worker node holding both
cores, loopback only) is started once and connected once; then, alternating (local, ray, then ray, local, ...),
the same point — `infermeter run zoo:resnet18 -e onnxruntime -t SECONDS` — runs through the local runner
(a fresh subprocess) and through the Ray runner (a task that holds the node and runs the same subprocess there).
Each side's time is the driver's wall time from handing the point to the runner to getting its report back.
Overhead = ray − local; target: median overhead ≤ 10 % of the local wall time. Connecting (once per suite, not
per point) is reported apart. On a 2-core machine the nodes share the cores: what this measures is Ray's
scheduling, task start and result transfer, not scaling.

    flock /tmp/infermeter-timing.lock python bench/ray_overhead.py [--pairs 3] [--seconds 10] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from common import interleaved, machine, ratio_text, spread, write_result

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seconds", default="10")
    parser.add_argument("--quick", action="store_true", help="1 pair of 2-s points (checks the script)")
    options = parser.parse_args()
    if options.quick:
        options.pairs, options.seconds = 1, "2"
    import ray_cluster
    from infermeter.runs.cluster import connect
    from infermeter.runs.cluster_nodes import ClusterOptions
    from infermeter.runs.points import LocalRunner, Point, run_point_subprocess

    test = ray_cluster.start([])
    test.add("node", cpus=2)
    test.cluster.wait_for_nodes()
    os.environ.update(test.environ)  # this process drives the cluster: loopback, like the nodes
    try:
        began = time.perf_counter()
        runner = connect(ClusterOptions(test.address))
        connect_s = time.perf_counter() - began
        point = Point((0,), ("zoo:resnet18", "-e", "onnxruntime", "-t", options.seconds, "-w", "1"))
        run_point_subprocess(["zoo:resnet18", "-e", "onnxruntime", "-niter", "1", "-w", "0"], None)  # zoo build

        def through(pool: object) -> float:
            got: list[object] = []
            started = time.perf_counter()
            pool.run_all([point], None, lambda p, outcome: got.append(outcome))  # type: ignore[attr-defined]
            assert got and got[0].error is None, got  # type: ignore[attr-defined]
            return time.perf_counter() - started

        through(runner)  # the node's first worker process starts once, like a suite's first point
        results = interleaved(options.pairs, {"local": lambda: through(LocalRunner(run_point_subprocess)),
                                              "ray": lambda: through(runner)}, progress="ray_overhead")
        runner.close()  # type: ignore[attr-defined]
    finally:
        test.close()
    overhead = [r - loc for r, loc in zip(results["ray"], results["local"], strict=True)]
    shares = [o / loc for o, loc in zip(overhead, results["local"], strict=True)]
    lines = ["# Ray's per-point overhead against the local runner", "", f"Machine: {machine()}.", "",
             f"Point: `infermeter run zoo:resnet18 -e onnxruntime -t {options.seconds} -w 1`; one 2-CPU node of a "
             f"Ray test cluster on this machine; {options.pairs} interleaved pair(s). Connecting to the cluster "
             f"(once per command): {connect_s:.2f} s.", "",
             "| pair | local (s) | ray (s) | overhead (s) | overhead / local |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {k + 1} | {loc:.2f} | {r:.2f} | {o:+.3f} | {s:+.1%} |" for k, (loc, r, o, s) in
              enumerate(zip(results["local"], results["ray"], overhead, shares, strict=True))]
    lines += ["", f"Local {spread(results['local'], 2)} s, Ray {spread(results['ray'], 2)} s; overhead "
              f"{statistics.median(overhead):+.3f} s median, {ratio_text([1 + s for s in shares])} as ray / local "
              "(target: overhead ≤ 10 % of local, i.e. ratio ≤ 1.10)."]
    write_result("ray_overhead.md", "\n".join(lines))


if __name__ == "__main__":
    main()
