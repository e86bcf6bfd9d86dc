"""Running a sweep: every measurement is a fresh ``infermeter run`` process, so one point cannot disturb the
next (memory, threads, a crash). Repetitions are interleaved: round r measures every point once, in an order
shuffled with a seeded generator. ``on_update`` sees the sweep after every measurement (the CLI rewrites its
exports then, so an interrupted sweep keeps every finished point).
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections.abc import Callable

from ..config.axes import AXES
from ..results.sweep import Sweep, SweepPoint
from .points import LocalRunner, Outcome, Point, PointRunner, RunPoint, run_point_subprocess

__all__ = ["Outcome", "Point", "PointRunner", "RunPoint", "grid", "interleaved", "point_args", "run_point_subprocess",
           "run_sweep"]


UpdateHook = Callable[[Sweep, int, Outcome], None]


def grid(axes: dict[str, list[str]]) -> list[dict[str, str]]:
    """Every combination, the first axis varying slowest."""
    keys = list(axes)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(axes[k] for k in keys))]


def point_args(options: dict[str, str]) -> list[str]:
    return [token for key, value in options.items() for token in (AXES[key][0], value)]


def interleaved(count: int, repeat: int, seed: int) -> list[tuple[int, int]]:
    """(round, index) pairs: round r measures every index once, in an order shuffled with a seeded generator."""
    order: list[tuple[int, int]] = []
    for round_index in range(repeat):
        indices = list(range(count))
        random.Random(seed * 1000 + round_index).shuffle(indices)
        order += [(round_index, index) for index in indices]
    return order


def run_sweep(sweep: Sweep, seed: int = 0, timeout_s: float | None = None, on_update: UpdateHook | None = None,
              runner: RunPoint | PointRunner | None = None) -> Sweep:
    """Measure every point ``sweep.repeat`` times, interleaved; Ctrl-C returns what finished, marked."""
    pool = _pool(runner)
    points = list(sweep.points)
    jobs = [Point((round_index, index), (sweep.model, *sweep.base_args, *point_args(points[index].options)))
            for round_index, index in interleaved(len(points), sweep.repeat, seed)]
    current = [sweep]

    def done(job: Point, outcome: Outcome) -> None:
        index = job.key[1]
        points[index] = _with_outcome(points[index], outcome)
        current[0] = dataclasses.replace(current[0], points=tuple(points))
        if on_update is not None:
            on_update(current[0], index, outcome)

    interrupted = pool.run_all(jobs, timeout_s, done)
    return dataclasses.replace(current[0], points=tuple(points), interrupted=interrupted)


def _pool(runner: RunPoint | PointRunner | None) -> PointRunner:
    if runner is None:
        return LocalRunner(run_point_subprocess)  # looked up here, so tests can replace it
    if isinstance(runner, LocalRunner) or hasattr(runner, "run_all"):
        return runner  # a PointRunner
    return LocalRunner(runner)


def _with_outcome(point: SweepPoint, outcome: Outcome) -> SweepPoint:
    if outcome.placement is not None:
        point = dataclasses.replace(point, placements=(*point.placements, outcome.placement))
    if outcome.error is not None or outcome.report is None:
        return dataclasses.replace(point, errors=(*point.errors, outcome.error or "no report"))
    return dataclasses.replace(point, reports=(*point.reports, outcome.report))
