"""``infermeter capacity MODEL --slo p99<=15ms [run options]``: the highest offered QPS whose latency percentile
meets the SLO, found by probing ``--scenario server`` runs (each a fresh process, as in a sweep).

Every run option applies to each probe (``--arrival``, ``-nireq``, ``-e``, ...); ``-t`` is each probe's length
(default 5 s, doubled while a probe is undecided with its estimate within the SLO, up to ``--max-probe-time``).
Once the bracket closes, its low end is measured ``--confirm`` times more (default 1) and must meet every time.
Exports (-x, --export-markdown, --export-csv, --html) are rewritten after every probe; the best rate's run config
goes to --save-best PATH, else beside the first file export, and replays with
``infermeter run --load-config PATH``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EXIT_INTERRUPTED, EXIT_NOT_VALID, EXIT_RUNTIME, UsageError
from .options import add_run_options

if TYPE_CHECKING:
    from ..results.capacity import Capacity

CAPACITY_VALUE_FLAGS = ("--slo", "--tolerance", "--start-qps", "--max-probe-time", "--max-probes", "--confirm",
                        "--save-best",
                        "--point-timeout", "-x", "--export-json", "--export_path", "--export-markdown", "--export-csv",
                        "--export-csv-samples", "--html", "-t", "--time", "-niter", "--niter", "--number_iterations",
                        "-api", "--api", "--api_type", "-s", "--scenario", "--qps", "-m", "--model", "--path_to_model")
CAPACITY_BARE_FLAGS = ("--no-save-best", "-q", "--quiet", "--debug")
DEFAULT_PROBE_S = 5.0
ESTIMATE_S = 2.0
DEFAULT_BEST_FILE = "capacity-best.json"


def add_capacity_parser(commands: Any) -> None:
    capacity = commands.add_parser("capacity", help="the highest QPS whose latency percentile meets an SLO",
                                   allow_abbrev=False, description="Find the highest offered load (open loop, "
                                   "--scenario server) whose latency percentile meets --slo, each probe decided by "
                                   "the percentile's 95% CI; every run option applies to each probe.")
    add_run_options(capacity)
    group = capacity.add_argument_group("capacity")
    add = group.add_argument
    add("--slo", metavar="METRIC<=TIME", help="the latency objective, e.g. p99<=15ms (required)")
    add("--tolerance", default="3%", metavar="PCT", help="stop when the bracket is this narrow (default 3%%)")
    add("--start-qps", metavar="RATE", help="the first probe's rate (default: half a short closed-loop run's rate)")
    add("--max-probe-time", metavar="SECONDS", help="longest probe while undecided (default 4 × -t)")
    add("--max-probes", default="40", metavar="N", help="at most N probes (default 40)")
    add("--confirm", default="1", metavar="N", help="once the bracket closes, measure its low end N times more; "
        "the answer must meet every time, else the search goes on below it (default 1; 0: no confirmation)")
    add("--save-best", metavar="PATH", help=f"run config of the best rate (default: {DEFAULT_BEST_FILE} beside the "
        "first file export); replay with infermeter run --load-config PATH")
    add("--no-save-best", action="store_true", help="do not write the best rate's run config")
    add("--point-timeout", metavar="SECONDS", help="a probe that takes longer is killed and the search fails")
    capacity.set_defaults(handler=capacity_command)


def base_arguments(argv: list[str], model: str) -> list[str]:
    """The run options every probe shares: the command line without the model and capacity's own options."""
    kept: list[str] = []
    tokens = iter(argv[1:] if argv and argv[0] == "capacity" else argv)
    model_dropped = False
    for token in tokens:
        name = token.split("=", 1)[0]
        if name in CAPACITY_VALUE_FLAGS:
            if "=" not in token:
                next(tokens, None)
            continue
        if name in CAPACITY_BARE_FLAGS:
            continue
        if token == model and not model_dropped:
            model_dropped = True
            continue
        kept.append(token)
    return kept


def capacity_command(args: argparse.Namespace, argv: list[str]) -> int:
    from ..config.values import parse_fraction, positive_int
    from ..reporters.capacity_console import probe_line, render_capacity
    from ..results.capacity import Capacity
    from ..results.sweep import parse_slo
    from ..runs.capacity import search
    from .console import make_console
    from .options import export_list, split_model_from_flags
    from .run import model_argument

    split_model_from_flags(args)
    model = model_argument(args)
    if args.slo is None:
        raise UsageError("capacity needs --slo METRIC<=TIME, e.g. --slo p99<=15ms")
    slo = parse_slo(args.slo)
    assert slo is not None
    _check_options(args, model)
    exports = export_list(args)
    best_path = _best_path(args, exports)
    plan = _plan(args, slo, positive_int("--max-probes", args.max_probes) or 40)
    base = base_arguments(argv, model)
    capacity = Capacity(model=model, slo=slo, tolerance=parse_fraction("--tolerance", args.tolerance),
                        arrival=args.arrival or "poisson", base_args=tuple(base),
                        probe_args=("-s", "server", "-t", f"{plan.probe_s:g}", "-niter", str(plan.min_requests)),
                        command=("infermeter", *argv), confirm=plan.confirm)
    console = make_console(stderr=any(export.to_stdout for export in exports))
    files = [export for export in exports if not export.to_stdout]
    start = _start_rate(args, [model, *base], plan, console)
    if start is None:
        return EXIT_RUNTIME
    capacity = _with_estimate(capacity, args, start)

    def update(current: Capacity) -> None:
        if not args.quiet:
            console.print(probe_line(current, len(current.probes) - 1), highlight=False, soft_wrap=True)
        _write(current, files)

    try:
        capacity = search(capacity, [model, *base], plan, start, on_update=update)
    except KeyboardInterrupt:
        capacity = _interrupted(capacity)
    _write(capacity, exports)
    render_capacity(capacity, console, quiet=args.quiet)
    _save_best(capacity, best_path, args, console)
    return _outcome(capacity)


def _interrupted(capacity: Capacity) -> Capacity:
    import dataclasses

    return dataclasses.replace(capacity, interrupted=True)


def _with_estimate(capacity: Capacity, args: argparse.Namespace, start: float) -> Capacity:
    import dataclasses

    return capacity if args.start_qps is not None else dataclasses.replace(capacity, estimate_qps=start * 2)


def _check_options(args: argparse.Namespace, model: str) -> None:
    """Every run option checked now, as a probe will see it (a bad --arrival fails before any probe runs)."""
    from ..config.load import parse_qps
    from ..config.scenario import SCENARIO_ALIASES
    from ..config.variants import expand_configurations
    from .options import run_options

    if args.qps is not None:
        raise UsageError("capacity chooses the offered rate itself: drop --qps (--start-qps sets the first probe)")
    if args.api is not None and SCENARIO_ALIASES.get(args.api.strip().lower()) != "server":
        raise UsageError(f"capacity probes --scenario server; -s/--scenario {args.api} does not apply")
    if args.arrivals is not None:
        raise UsageError("capacity varies the rate of --arrival; --arrivals (a fixed trace) does not apply")
    parse_qps(args.start_qps)
    options = {**run_options(args), "api": "server", "qps": args.start_qps or "1", "time": args.time or "1"}
    configs, _ = expand_configurations(model, options)
    if len(configs) > 1:
        raise UsageError("capacity measures one configuration: give single values, not lists")


def _plan(args: argparse.Namespace, slo: Any, max_probes: int) -> Any:
    from ..config.values import non_negative_int, parse_duration
    from ..results.capacity import slo_percentile
    from ..runs.capacity import Plan
    from ..stats.intervals import min_samples_for_ci

    probe_s = parse_duration("-t", args.time) / 1e9 if args.time is not None else DEFAULT_PROBE_S
    if probe_s <= 0:
        raise UsageError("-t must be more than 0 for capacity probes")
    longest = parse_duration("--max-probe-time", args.max_probe_time) / 1e9 if args.max_probe_time else 4 * probe_s
    if longest < probe_s:
        raise UsageError(f"--max-probe-time {longest:g} s is shorter than a probe (-t {probe_s:g} s)")
    percentile = slo_percentile(slo)
    needed = min_samples_for_ci(percentile / 100.0) if percentile is not None else 200
    given = non_negative_int("-niter", args.niter) if args.niter is not None else 0
    timeout = parse_duration("--point-timeout", args.point_timeout) / 1e9 if args.point_timeout else None
    if timeout == 0:
        raise UsageError("--point-timeout must be more than 0")
    confirm = non_negative_int("--confirm", args.confirm)
    return Plan(probe_s, longest, max(needed, given), max_probes, timeout, confirm)


def _start_rate(args: argparse.Namespace, argv_base: list[str], plan: Any, console: Any) -> float | None:
    from ..config.load import parse_qps
    from ..runs.capacity import closed_loop_estimate

    given = parse_qps(args.start_qps)
    if given is not None:
        return given
    rate, error = closed_loop_estimate(argv_base, ESTIMATE_S, timeout_s=plan.timeout_s)
    if rate is None or not rate > 0:
        print(f"infermeter: error: the closed-loop run that picks the first rate failed: {error}", file=sys.stderr)
        return None
    if not args.quiet:
        console.print(f"closed loop: {rate:,.1f} requests/s, presumed too many; the search starts at half of it",
                      highlight=False)
    return rate / 2


def _best_path(args: argparse.Namespace, exports: list[Any]) -> Path | None:
    from ..reporters.export import check_export_path

    if args.no_save_best:
        return None
    if args.save_best is not None:
        check_export_path(args.save_best, "--save-best")
        return Path(args.save_best)
    files = [export for export in exports if not export.to_stdout]
    return Path(files[0].path).parent / DEFAULT_BEST_FILE if files else None


def _save_best(capacity: Capacity, path: Path | None, args: argparse.Namespace, console: Any) -> None:
    config = capacity.run_config()
    if config is None or path is None:
        return
    from ..reporters.export import write_text

    write_text(str(path), json.dumps(config, indent=2) + "\n")
    if not args.quiet:
        console.print(f"best rate saved to {path}: replay it with infermeter run --load-config {path}",
                      highlight=False, soft_wrap=True)


def _write(capacity: Capacity, exports: list[Any]) -> None:
    from ..reporters.export import write_exports

    write_exports(exports, capacity)


def _outcome(capacity: Capacity) -> int:
    if capacity.interrupted:
        print(f"infermeter: interrupted: the {len(capacity.probes)} finished probes are reported, the search is "
              "partial", file=sys.stderr)
        return EXIT_INTERRUPTED
    if capacity.error is not None:
        print(f"infermeter: error: {capacity.error}", file=sys.stderr)
        return EXIT_RUNTIME
    if capacity.max_qps is None:
        print(f"infermeter: no offered rate tried met {capacity.slo.text()}", file=sys.stderr)
        return EXIT_NOT_VALID
    if not capacity.converged:
        print(f"infermeter: the search stopped before the bracket was within {capacity.tolerance:.0%}",
              file=sys.stderr)
        return EXIT_NOT_VALID
    return 0
