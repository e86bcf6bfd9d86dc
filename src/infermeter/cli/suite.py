"""``infermeter suite SUITE.toml [options] [-- RUN OPTIONS]``: many models × configurations, each point a fresh
``infermeter run``; tables model × configuration and the geometric mean of each configuration with its CI.

Everything is checked before the first point runs: the suite file (syntax with line and column, unknown keys
with the closest known one, duplicate names, missing model files), every point's run options, and the export
paths. The exports (-x, --export-markdown, --export-csv, --html) are rewritten after every measurement.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from .cluster import absolute_argv, add_cluster_options, close_runner, cluster_runner

if TYPE_CHECKING:
    from ..results.suite import Suite


def add_suite_parser(commands: Any) -> None:
    from .options import add_export_options

    suite = commands.add_parser("suite", help="benchmark many models × configurations; geometric means with CIs",
                                allow_abbrev=False, description="Measure every model of SUITE.toml in every "
                                "configuration, each point in a fresh process, interleaved over rounds. Run "
                                "options after -- apply to every point (and win over the file's).")
    suite.add_argument("suite_file", metavar="SUITE.toml", help="the suite: [[model]] and [[config]] tables")
    add = suite.add_argument
    add("--rounds", metavar="N", help="measure every point N times, interleaved (default: the file's, else 1)")
    add("--seed-order", metavar="N", help="seed of the shuffled order of each round (default: the file's, else 0)")
    add("--point-timeout", metavar="SECONDS", help="a point that takes longer is killed and marked failed")
    add("-q", "--quiet", action="store_true", help="print only a one-line summary")
    add("--debug", action="store_true", help=argparse.SUPPRESS)
    add_export_options(add)
    add_cluster_options(suite, each_node=True)
    suite.set_defaults(handler=suite_command)


def suite_command(args: argparse.Namespace, argv: list[str]) -> int:
    from pathlib import Path

    from ..config.suite import read_suite
    from ..config.values import non_negative_int, parse_duration, positive_int
    from ..runs.suite import new_suite, point_argv
    from .options import export_list

    extra = tuple(argv[argv.index("--") + 1:]) if "--" in argv else ()  # cli.main parsed what is before it
    file = read_suite(Path(args.suite_file))
    rounds = positive_int("--rounds", args.rounds) if args.rounds else None
    suite = new_suite(file, extra, rounds, command=("infermeter", *argv))
    if args.seed_order is not None:
        suite = _with_seed(suite, non_negative_int("--seed-order", args.seed_order))
    for point in suite.points:
        check_point(point_argv(suite, point), point.label)
    timeout_text = args.point_timeout or file.point_timeout
    timeout = parse_duration("--point-timeout", timeout_text) / 1e9 if timeout_text else None
    if timeout == 0:
        raise UsageError("--point-timeout must be more than 0")
    exports = export_list(args)
    suite = _absolute(suite)
    runner = cluster_runner(args, (point_argv(suite, point) for point in suite.points))
    try:
        if runner is not None and args.each_node:
            suite = new_suite(file, extra, rounds, command=suite.command, cluster=args.cluster,
                              nodes=[node.name for node in runner.nodes])  # type: ignore[attr-defined]
            suite = _absolute(_with_seed(suite, suite.seed if args.seed_order is None else
                                         non_negative_int("--seed-order", args.seed_order)))
        elif runner is not None:
            suite = _with_cluster(suite, args.cluster)
        return _run(suite, runner, timeout, exports, args)
    finally:
        close_runner(runner)


def _run(suite: Suite, runner: Any, timeout: float | None, exports: list[Any], args: argparse.Namespace) -> int:
    from ..reporters.export import write_exports
    from ..reporters.suite_console import render_suite
    from ..runs.points import LocalRunner
    from ..runs.suite import run_suite
    from ..runs.sweep import run_point_subprocess
    from .console import make_console

    console = make_console(stderr=any(export.to_stdout for export in exports))
    total = len(suite.points) * suite.rounds
    files = [export for export in exports if not export.to_stdout]

    def update(current: Suite, index: int, outcome: Any) -> None:
        done = sum(len(point.runs) for point in current.points)
        if not args.quiet:
            console.print(f"[{done}/{total}] {current.points[index].label}: {_state(outcome)}", highlight=False,
                          soft_wrap=True)
        write_exports(files, current)

    suite = run_suite(suite, runner or LocalRunner(run_point_subprocess), timeout, update)
    write_exports(exports, suite)
    render_suite(suite, console, quiet=args.quiet)
    return _outcome(suite)


def _state(outcome: Any) -> str:
    from ..units import format_duration, format_rate

    if outcome.error is not None:
        return f"failed: {outcome.error}"
    run = outcome.report.run
    where = f" on {outcome.placement.node}" if outcome.placement is not None else ""
    return f"{format_rate(run.throughput)} items/s, median {format_duration(run.latency.median)}{where}"


def _outcome(suite: Suite) -> int:
    from .sweep import points_outcome

    return points_outcome("suite", suite.interrupted, suite.failed(), len(suite.points))


def check_point(argv: tuple[str, ...], label: str) -> None:
    """A point's command line is a valid single run, refused now (naming the point) if not."""
    from ..config.variants import expand_configurations
    from .options import run_option_parser, run_options, split_model_from_flags
    from .run import model_argument

    try:
        args = run_option_parser().parse_args(list(argv))
        split_model_from_flags(args)
        own = [flag for flag, given in (("-x/--export-json", args.export_json), ("--rounds", args.rounds is not None),
                                        ("--html", args.html)) if given]
        if own:
            raise UsageError(f"{own[0]} is the suite's own option: give it to infermeter suite, not in the file")
        configs, _ = expand_configurations(model_argument(args), run_options(args))
    except UsageError as error:
        raise UsageError(f"suite point {label}: {error}") from None
    if len(configs) > 1:
        raise UsageError(f"suite point {label}: a point is one configuration (the options list several); write "
                         "each as its own [[config]]")


def _with_seed(suite: Suite, seed: int) -> Suite:
    import dataclasses

    return dataclasses.replace(suite, seed=seed)


def _with_cluster(suite: Suite, address: str) -> Suite:
    import dataclasses

    return dataclasses.replace(suite, cluster=address)


def _absolute(suite: Suite) -> Suite:
    """Paths in options (``-i x.npy``) made absolute, so every point's process (here or on a node) finds them."""
    import dataclasses

    models = tuple(dataclasses.replace(model, options=absolute_argv(model.options)) for model in suite.models)
    configs = tuple(dataclasses.replace(config, options=absolute_argv(config.options)) for config in suite.configs)
    return dataclasses.replace(suite, models=models, configs=configs, base_args=absolute_argv(suite.base_args),
                               extra_args=absolute_argv(suite.extra_args))
