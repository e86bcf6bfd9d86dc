"""Point runners: how a sweep's, a suite's (and a capacity search's) measurements are run, each one an
``infermeter run`` in a fresh process.

A ``Point`` is the command line of one measurement. A ``PointRunner`` runs a list of them in the order given
and hands each ``Outcome`` back on the caller's thread, as it arrives, so the caller can rewrite its files after
every point. ``LocalRunner`` runs them one at a time on this machine (a subprocess each); ``runs.cluster``'s
runner runs them as Ray tasks, one per node at a time. Ctrl-C: the runner stops, cancels what is running, and
says it was interrupted; every outcome already handed back stays.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..errors import one_line
from ..results.facts import Placement
from ..results.report import Report


@dataclass(frozen=True)
class Outcome:
    report: Report | None
    error: str | None
    interrupted: bool = False
    placement: Placement | None = None  # where it ran (None: this machine, the local runner)
    report_json: str | None = field(default=None, compare=False, repr=False)  # the report file's text


@dataclass(frozen=True)
class Point:
    """One measurement: ``infermeter run ARGV``. ``key`` is the caller's (which point, which round)."""

    key: tuple[int, ...]
    argv: tuple[str, ...]
    node: str | None = None  # run on this node only (fleet runs); None = any node


OutcomeHook = Callable[[Point, Outcome], None]
RunPoint = Callable[[list[str], float | None], Outcome]


class PointRunner(Protocol):
    def run_all(self, points: Sequence[Point], timeout_s: float | None, on_outcome: OutcomeHook) -> bool:
        """Run ``points`` in order, ``on_outcome`` after each; True when interrupted (Ctrl-C)."""
        ...


class LocalRunner:
    """One point at a time on this machine, each in a fresh process (``run_point``: the subprocess runner, or a
    stand-in in tests)."""

    def __init__(self, run_point: RunPoint) -> None:
        self._run_point = run_point

    def run_all(self, points: Sequence[Point], timeout_s: float | None, on_outcome: OutcomeHook) -> bool:
        for point in points:
            try:
                outcome = self._run_point(list(point.argv), timeout_s)
            except KeyboardInterrupt:
                return True
            if outcome.interrupted:
                return True
            on_outcome(point, outcome)
        return False


def run_point_subprocess(argv: Sequence[str], timeout_s: float | None, die_with_parent: bool = False) -> Outcome:
    """``python -m infermeter run ARGV -x TMP -q`` in a fresh process; its report, or why there is none.
    ``die_with_parent``: the child is killed if this process dies (a cluster worker that is killed)."""
    with tempfile.TemporaryDirectory(prefix="infermeter-point-") as folder:
        export = Path(folder) / "report.json"
        command = [sys.executable, "-m", "infermeter", "run", *argv, "-x", str(export), "-q"]
        finished = _run_child(command, timeout_s, die_with_parent)
        if finished is None:
            return Outcome(None, f"no result within --point-timeout {timeout_s:g} s (the run was killed)")
        returncode, stderr = finished
        if returncode in (130, -2):
            return Outcome(None, None, interrupted=True)
        reason = _last_error_line(stderr) or f"exit code {returncode}"
        if returncode < 0:
            return Outcome(None, f"crashed (signal {-returncode}): {reason}")
        if not export.exists():
            return Outcome(None, reason)
        text = export.read_text(encoding="utf-8")
        try:
            report = Report.from_dict(json.loads(text))
        except (ValueError, KeyError, TypeError) as error:
            return Outcome(None, f"unreadable report: {one_line(error)}")
        if returncode not in (0, 3) or report.partial:
            return Outcome(report, report.error or reason, report_json=text)
        return Outcome(report, None, report_json=text)


POLL_S = 0.2  # how often the wait for a child wakes up: an exception sent to this thread lands within it


def _run_child(command: list[str], timeout_s: float | None, die_with_parent: bool) -> tuple[int, str] | None:
    """(exit code, stderr) of ``command``; None when it ran past ``timeout_s`` (it is killed). Any exception
    here (Ctrl-C, a cluster task's cancellation) kills the child before it propagates."""
    deadline = time.monotonic() + timeout_s if timeout_s is not None else None
    environment = _child_environment()
    if die_with_parent:
        environment["INFERMETER_DIE_WITH_PARENT"] = str(os.getpid())  # cli.signals.die_with_parent_if_asked
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env=environment) as child:
        try:
            while True:
                try:
                    _, stderr = child.communicate(timeout=POLL_S)
                    return child.returncode, stderr or ""
                except subprocess.TimeoutExpired:
                    if deadline is not None and time.monotonic() > deadline:
                        child.kill()
                        child.communicate()
                        return None
        except BaseException:
            child.kill()
            child.wait()
            raise


def _last_error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("infermeter: error:")]
    text = (errors or lines or [""])[-1]
    return text.removeprefix("infermeter: error: ")


def _child_environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment["COLUMNS"] = "200"  # the child's one-line summary is not read, but keep it unwrapped
    return environment
