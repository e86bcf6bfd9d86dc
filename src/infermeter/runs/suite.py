"""Running a suite: every (model, configuration) point — and, in a fleet run, every node — measured ``rounds``
times, each measurement a fresh ``infermeter run`` process (the sweep's point runners: failure isolation,
timeouts, a seeded interleaved order, Ctrl-C keeps what finished). ``on_update`` sees the suite after every
measurement (the CLI rewrites its exports then).

A point's command line is the model, then the suite's options, the configuration's, the model's, and the
command line's own: a later option wins, so the model's shapes beat a configuration's and the command line
beats everything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from ..config.suite import SuiteConfig, SuiteFile, SuiteModel
from ..results.suite import Suite, SuitePoint, SuiteRun
from .points import Outcome, Point, PointRunner
from .sweep import interleaved

UpdateHook = Callable[[Suite, int, Outcome], None]


def new_suite(file: SuiteFile, extra_args: Sequence[str] = (), rounds: int | None = None,
              command: Sequence[str] | None = None, nodes: Sequence[str] = (), cluster: str | None = None) -> Suite:
    """The suite of ``file`` with nothing measured yet; ``nodes``: a fleet run's nodes (every point on each)."""
    fleet: list[str | None] = [*nodes] or [None]
    points = tuple(SuitePoint(model.name, config.name, node) for node in fleet
                   for model in file.models for config in file.configs)
    return Suite(name=file.name, models=file.models, configs=file.configs, points=points,
                 rounds=rounds or file.rounds, seed=file.seed, base_args=file.options, extra_args=tuple(extra_args),
                 command=tuple(command) if command is not None else None, cluster=cluster, nodes=tuple(nodes))


def point_argv(suite: Suite, point: SuitePoint) -> tuple[str, ...]:
    model = _model(suite.models, point.model)
    config = _config(suite.configs, point.config)
    return (model.ref, *suite.base_args, *config.options, *model.options, *suite.extra_args)


def run_suite(suite: Suite, runner: PointRunner, timeout_s: float | None = None,
              on_update: UpdateHook | None = None) -> Suite:
    """Measure every point ``suite.rounds`` times, interleaved; Ctrl-C returns what finished, marked."""
    points = list(suite.points)
    jobs = [Point((round_index, index), point_argv(suite, points[index]), points[index].node)
            for round_index, index in interleaved(len(points), suite.rounds, suite.seed)]
    current = [suite]

    def done(job: Point, outcome: Outcome) -> None:
        round_index, index = job.key
        point = points[index]
        run = SuiteRun(round_index + 1, outcome.report, outcome.error, outcome.placement, outcome.report_json)
        points[index] = dataclasses.replace(point, runs=(*point.runs, run))
        current[0] = dataclasses.replace(current[0], points=tuple(points))
        if on_update is not None:
            on_update(current[0], index, outcome)

    interrupted = runner.run_all(jobs, timeout_s, done)
    return dataclasses.replace(current[0], points=tuple(points), interrupted=interrupted)


def _model(models: Sequence[SuiteModel], name: str) -> SuiteModel:
    return next(model for model in models if model.name == name)


def _config(configs: Sequence[SuiteConfig], name: str) -> SuiteConfig:
    return next(config for config in configs if config.name == name)
