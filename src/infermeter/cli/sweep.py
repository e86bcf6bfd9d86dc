"""``infermeter sweep MODEL --nireq 1,2,4,8 -b 1,4 [run options]``: the command line of a sweep.

Every run option is accepted and passed to each point's ``infermeter run``; the swept options take lists
(``1,2,4``) or ranges (``1..8``, ``1..64:x2``). The sweep's own exports (-x, --export-markdown, --export-csv,
--html) are rewritten after every measurement. The best point's run config goes to --save-best PATH, else to
best-config.json beside the sweep's own file (never into the current folder unasked), else nowhere.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.axes import AXES, LATENCY_METRICS
from ..errors import EXIT_INTERRUPTED, EXIT_RUNTIME, UsageError
from .cluster import CLUSTER_VALUE_FLAGS, add_cluster_options
from .options import add_run_options, run_option_parser

if TYPE_CHECKING:
    from ..results.sweep import Sweep, SweepPoint

SWEEP_VALUE_FLAGS = ("--repeat", "--goal", "--slo", "--metric", "--save-best", "--point-timeout", "--seed-order",
                     "-x", "--export-json", "--export_path", "--export-markdown", "--export-csv",
                     "--export-csv-samples", "--html", *CLUSTER_VALUE_FLAGS)
SWEEP_BARE_FLAGS = ("--no-save-best", "-q", "--quiet", "--debug")
DEFAULT_BEST_FILE = "best-config.json"


def add_sweep_parser(commands: Any) -> None:
    sweep = commands.add_parser("sweep", help="measure a grid of configurations; Pareto frontier, knee, best",
                                allow_abbrev=False, description="Measure MODEL over lists or ranges of -e, "
                                "-nireq, -nstreams, -nthreads, -b, -hint, -infer_precision (e.g. --nireq 1,2,4,8 "
                                "-b 1..8:x2), each point in a fresh process; every run option applies to all.")
    add_run_options(sweep)
    group = sweep.add_argument_group("sweep")
    add = group.add_argument
    add("--repeat", default="1", metavar="N", help="measure every point N times, interleaved (default 1)")
    add("--goal", default="throughput", choices=("throughput", "latency"),
        help="best = highest throughput (default) or lowest latency, among points meeting --slo")
    add("--slo", metavar="METRIC<=TIME", help="e.g. p99<=20ms: points above it cannot be best")
    add("--metric", default="median", choices=LATENCY_METRICS, help="latency axis of the frontier (default "
        "median)")
    add("--save-best", metavar="PATH", help="config file of the best point, replayed by infermeter run "
        f"--load-config PATH (default: {DEFAULT_BEST_FILE} beside the sweep's own file, that of -x, else of the "
        "first of --export-markdown, --export-csv, --export-csv-samples, --html; none when the sweep writes no "
        "file)")
    add("--no-save-best", action="store_true", help="do not write the best configuration")
    add("--point-timeout", metavar="SECONDS", help="a point that takes longer is killed and marked failed")
    add("--seed-order", default="0", metavar="N", help="seed of the shuffled order of each round (default 0)")
    add_cluster_options(sweep)
    sweep.set_defaults(handler=run_sweep_command)


def axes_from(args: argparse.Namespace) -> dict[str, list[str]]:
    """The swept options: every axis option given a list or a range (single values stay run options)."""
    from ..results.sweep import parse_axis

    axes = {}
    for key, (flag, _) in AXES.items():
        value = getattr(args, key, None)
        if value is None:
            continue
        values = parse_axis(flag, str(value))
        if len(values) > 1 or values != [str(value)]:  # a list, or a range (even of one value)
            axes[key] = values
    if not any(len(values) > 1 for values in axes.values()):
        raise UsageError("sweep: nothing to sweep; give a list or range, e.g. --nireq 1,2,4,8 or -b 1..8:x2")
    return axes


def base_arguments(argv: list[str], axes: dict[str, list[str]], model: str) -> list[str]:
    """The run options every point shares: the command line without the model, the swept options and the
    sweep's own options."""
    swept = {spelling for key in axes for spelling in AXES[key][1]}
    kept: list[str] = []
    tokens = iter(argv)
    model_dropped = False
    for token in tokens:
        name = token.split("=", 1)[0]
        if name in swept or name in SWEEP_VALUE_FLAGS or name in ("-m", "--model", "--path_to_model"):
            if "=" not in token:
                next(tokens, None)
            continue
        if _attached_short_value(token, swept):  # -xout.json, -b8: the value is part of the token
            continue
        if name in SWEEP_BARE_FLAGS:
            continue
        if token == model and not model_dropped:
            model_dropped = True
            continue
        kept.append(token)
    return kept[1:] if kept and kept[0] == "sweep" else kept


def _attached_short_value(token: str, swept: set[str]) -> bool:
    """``-xout.json`` or ``-b1..4``: a one-letter flag of the sweep's own or a swept one, its value attached
    (argparse's short-option form), and not some longer flag that happens to start with the same letter."""
    flag = token[:2]
    stripped = {"-x", "-m"} | {spelling for spelling in swept if len(spelling) == 2}
    if flag not in stripped or len(token) <= 2 or token.startswith("--"):
        return False
    return token.split("=", 1)[0] not in _run_option_strings()


def _run_option_strings() -> set[str]:
    return {option for action in run_option_parser()._actions for option in action.option_strings}


def run_sweep_command(args: argparse.Namespace, argv: list[str]) -> int:
    from ..config.values import parse_duration, positive_int
    from ..reporters.sweep_console import render_sweep
    from ..results.sweep import Sweep, SweepPoint, parse_slo
    from ..runs.sweep import grid
    from .console import make_console
    from .options import split_model_from_flags
    from .run import model_argument

    split_model_from_flags(args)
    model = model_argument(args)
    axes = axes_from(args)
    repeat = positive_int("--repeat", args.repeat) or 1
    exports = _exports(args)
    best_path = best_config_path(args, exports)
    sweep = Sweep(model=model, axes=axes, points=tuple(SweepPoint(options) for options in grid(axes)),
                  repeat=repeat, metric=args.metric, goal=args.goal, slo=parse_slo(args.slo),
                  command=("infermeter", *argv), base_args=tuple(base_arguments(argv, axes, model)))
    console = make_console(stderr=any(export.to_stdout for export in exports))
    total = len(sweep.points) * repeat

    def update(current: Sweep, index: int, outcome: Any) -> None:
        done = sum(len(p.reports) + len(p.errors) for p in current.points)
        point = current.points[index]
        state = f"failed: {outcome.error}" if outcome.error else _point_text(point)
        if not args.quiet:
            console.print(f"[{done}/{total}] {point.label}: {state}", highlight=False, soft_wrap=True)
        _write_exports(current, [export for export in exports if not export.to_stdout])  # files only: stdout once

    timeout = parse_duration("--point-timeout", args.point_timeout) / 1e9 if args.point_timeout else None
    if timeout == 0:
        raise UsageError("--point-timeout must be more than 0")
    sweep = _measure(sweep, args, timeout, update)
    _write_exports(sweep, exports)
    render_sweep(sweep, console, quiet=args.quiet)
    _save_best(sweep, best_path, args, console)
    return _sweep_outcome(sweep)


def _measure(sweep: Sweep, args: argparse.Namespace, timeout: float | None, update: Any) -> Sweep:
    """The points measured here, one at a time, or on the cluster of --cluster."""
    import dataclasses

    from ..config.values import non_negative_int
    from ..runs.sweep import point_args, run_sweep
    from .cluster import absolute_argv, close_runner, cluster_runner

    seed = non_negative_int("--seed-order", args.seed_order)
    if args.cluster:
        sweep = dataclasses.replace(sweep, model=absolute_argv([sweep.model])[0],
                                    base_args=absolute_argv(sweep.base_args))
    runner = cluster_runner(args, [(sweep.model, *sweep.base_args, *point_args(p.options)) for p in sweep.points])
    try:
        return run_sweep(sweep, seed=seed, timeout_s=timeout, on_update=update, runner=runner)
    finally:
        close_runner(runner)


def _point_text(point: SweepPoint) -> str:
    from ..units import format_duration, format_rate

    return f"{format_rate(point.throughput)} items/s, median {format_duration(point.latency_ns('median'))}"


def best_config_path(args: argparse.Namespace, exports: list[Any]) -> Path | None:
    """Where the best point's run config goes: --save-best, else beside the sweep's first file export (-x
    first), else nowhere. Checked before the sweep, so a path that cannot be written fails now, not at the end."""
    from ..reporters.export import check_export_path

    if args.no_save_best:
        return None
    files = [export for export in exports if not export.to_stdout]
    if args.save_best is not None:
        check_export_path(args.save_best, "--save-best")
        path = Path(args.save_best)
    elif files:
        path = Path(files[0].path).parent / DEFAULT_BEST_FILE
    else:
        return None
    for export in files:
        if Path(export.path).resolve() == path.resolve():
            what = f"--save-best {path}" if args.save_best is not None else f"the best configuration's file {path}"
            raise UsageError(f"{what} is also the file of {export.flag}: give the best configuration another file "
                             "with --save-best PATH")
    return path


def _save_best(sweep: Sweep, path: Path | None, args: argparse.Namespace, console: Any) -> None:
    best = sweep.best()
    if best is None or args.no_save_best:
        return
    label = sweep.points[best].label
    if path is None:
        if not args.quiet:
            console.print(f"best configuration ({label}) not saved: the sweep writes no file; keep it with "
                          "--save-best PATH, replayed by infermeter run --load-config PATH", highlight=False,
                          soft_wrap=True)
        return
    from ..reporters.export import write_text

    write_text(str(path), json.dumps(sweep.run_config(best), indent=2) + "\n")
    if not args.quiet:
        console.print(f"best configuration ({label}) saved to {path}: replay it with infermeter run "
                      f"--load-config {path}", highlight=False, soft_wrap=True)


def _sweep_outcome(sweep: Sweep) -> int:
    return points_outcome("sweep", sweep.interrupted, [p for p in sweep.points if p.errors], len(sweep.points))


def points_outcome(kind: str, interrupted: bool, failed: Sequence[Any], total: int) -> int:
    """The exit code of a sweep or a suite, and its one line: Ctrl-C, else the first failed point of ``failed``
    (each with ``label`` and ``errors``)."""
    if interrupted:
        print(f"infermeter: interrupted: finished points are reported, the {kind} is partial", file=sys.stderr)
        return EXIT_INTERRUPTED
    if failed:
        print(f"infermeter: error: {len(failed)} of {total} points failed; first: "
              f"{failed[0].label}: {failed[0].errors[0]}", file=sys.stderr)
        return EXIT_RUNTIME
    return 0


def _exports(args: argparse.Namespace) -> list[Any]:
    from .options import export_list

    return export_list(args)


def _write_exports(sweep: Sweep, exports: list[Any]) -> None:
    from ..reporters.export import write_exports

    write_exports(exports, sweep)
