"""Running a sweep: every measurement is a fresh ``infermeter run`` process, so one point cannot disturb the
next (memory, threads, a crash). Repetitions are interleaved: round r measures every point once, in an order
shuffled with a seeded generator. ``on_update`` sees the sweep after every measurement (the CLI rewrites its
exports then, so an interrupted sweep keeps every finished point).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config.axes import AXES
from ..errors import one_line
from ..results.report import Report
from ..results.sweep import Sweep, SweepPoint


@dataclass(frozen=True)
class Outcome:
    report: Report | None
    error: str | None
    interrupted: bool = False


PointRunner = Callable[[list[str], float | None], Outcome]
UpdateHook = Callable[[Sweep, int, Outcome], None]


def grid(axes: dict[str, list[str]]) -> list[dict[str, str]]:
    """Every combination, the first axis varying slowest."""
    keys = list(axes)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(axes[k] for k in keys))]


def point_args(options: dict[str, str]) -> list[str]:
    return [token for key, value in options.items() for token in (AXES[key][0], value)]


def run_sweep(sweep: Sweep, seed: int = 0, timeout_s: float | None = None, on_update: UpdateHook | None = None,
              runner: PointRunner | None = None) -> Sweep:
    """Measure every point ``sweep.repeat`` times, interleaved; Ctrl-C returns what finished, marked."""
    run_point = runner or run_point_subprocess
    points = list(sweep.points)
    for round_index in range(sweep.repeat):
        order = list(range(len(points)))
        random.Random(seed * 1000 + round_index).shuffle(order)
        for index in order:
            argv = [sweep.model, *sweep.base_args, *point_args(points[index].options)]
            try:
                outcome = run_point(argv, timeout_s)
            except KeyboardInterrupt:
                outcome = Outcome(None, None, interrupted=True)
            if outcome.interrupted:
                return dataclasses.replace(sweep, points=tuple(points), interrupted=True)
            points[index] = _with_outcome(points[index], outcome)
            sweep = dataclasses.replace(sweep, points=tuple(points))
            if on_update is not None:
                on_update(sweep, index, outcome)
    return sweep


def _with_outcome(point: SweepPoint, outcome: Outcome) -> SweepPoint:
    if outcome.error is not None or outcome.report is None:
        return dataclasses.replace(point, errors=(*point.errors, outcome.error or "no report"))
    return dataclasses.replace(point, reports=(*point.reports, outcome.report))


def run_point_subprocess(argv: Sequence[str], timeout_s: float | None) -> Outcome:
    """``python -m infermeter run ARGV -x TMP -q`` in a fresh process; its report, or why there is none."""
    with tempfile.TemporaryDirectory(prefix="infermeter-sweep-") as folder:
        export = Path(folder) / "report.json"
        command = [sys.executable, "-m", "infermeter", "run", *argv, "-x", str(export), "-q"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False,
                                  env=_child_environment())
        except subprocess.TimeoutExpired:
            return Outcome(None, f"no result within --point-timeout {timeout_s:g} s (the run was killed)")
        if done.returncode in (130, -2):
            return Outcome(None, None, interrupted=True)
        reason = _last_error_line(done.stderr) or f"exit code {done.returncode}"
        if done.returncode < 0:
            return Outcome(None, f"crashed (signal {-done.returncode}): {reason}")
        if not export.exists():
            return Outcome(None, reason)
        try:
            report = Report.from_dict(json.loads(export.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as error:
            return Outcome(None, f"unreadable report: {one_line(error)}")
        if done.returncode not in (0, 3) or report.partial:
            return Outcome(report, report.error or reason)
        return Outcome(report, None)


def _last_error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("infermeter: error:")]
    text = (errors or lines or [""])[-1]
    return text.removeprefix("infermeter: error: ")


def _child_environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment["COLUMNS"] = "200"  # the child's one-line summary is not read, but keep it unwrapped
    return environment
