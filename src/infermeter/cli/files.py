"""Commands that read saved files, no engine needed: ``show`` (re-render and re-export a report, session or
sweep) and ``compare`` (is B faster than A?)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import EXIT_REGRESSION, UsageError


def show_command(args: argparse.Namespace, argv: list[str]) -> int:
    from pathlib import Path

    from ..analysis.compare import default_metric
    from ..reporters.comparison import render_session
    from ..reporters.console import render_report
    from ..reporters.export import write_exports
    from .console import make_console
    from .options import export_list

    exports = export_list(args)
    console = make_console(stderr=any(export.to_stdout for export in exports))
    shown = _load_shown(Path(args.report))
    from ..results.suite import Suite

    if isinstance(shown, Suite):
        from ..reporters.suite_console import render_suite

        render_suite(shown, console, quiet=args.quiet)
        write_exports(exports, shown)
        return 0
    if not isinstance(shown, tuple):  # a sweep or a capacity search
        from ..reporters.capacity_console import render_capacity
        from ..reporters.sweep_console import render_sweep
        from ..results.capacity import Capacity

        if isinstance(shown, Capacity):
            render_capacity(shown, console, quiet=args.quiet)
        else:
            render_sweep(shown, console, quiet=args.quiet)
        write_exports(exports, shown)
        return 0
    session, single = shown
    if single is not None:
        render_report(single, console, quiet=args.quiet)
    else:
        render_session(session, console, default_metric(session), 0.02, quiet=args.quiet)
    write_exports(exports, single if single is not None else session)
    return 0


def _load_shown(path: Any) -> Any:
    """A sweep, a suite or a capacity search, or (session, the single report when the file holds one run)."""
    from ..results.capacity import Capacity
    from ..results.suite import Suite
    from ..results.sweep import Sweep
    from ..runs.files import load_saved

    session = load_saved(path)
    if isinstance(session, (Sweep, Suite, Capacity)):
        return session
    single = session.reports[0][0] if len(session.labels) == 1 and session.rounds == 1 and session.reports[0] \
        else None
    return session, single


def compare_command(args: argparse.Namespace, argv: list[str]) -> int:
    from pathlib import Path

    from ..analysis.compare import compare_sessions, default_metric, within_session
    from ..config.comparison import parse_threshold
    from ..reporters.comparison import print_file_comparisons
    from ..runs.files import load_session_or_report
    from .console import make_console
    from .run import comparison_gate, session_metric

    if _is_suite(Path(args.baseline)) or (args.candidate is not None and _is_suite(Path(args.candidate))):
        return _compare_suites(args, parse_threshold(args.threshold))
    baseline = load_session_or_report(Path(args.baseline))
    if args.candidate is None:
        if len(baseline.pairs()) == 0:
            raise UsageError(f"{args.baseline} holds one configuration: give a second file to compare it with")
        threshold = parse_threshold(args.threshold) if args.threshold is not None else baseline.threshold
        metric = args.metric or session_metric(baseline)
        results = within_session(baseline, _metrics(metric), threshold)
    else:
        threshold = parse_threshold(args.threshold)
        candidate = load_session_or_report(Path(args.candidate))
        metric = args.metric or default_metric(baseline)
        results = compare_sessions(baseline, candidate, _metrics(metric), threshold)
    print_file_comparisons(results, make_console(), metric, markdown=args.markdown)
    rows = [(result.label, result.get(metric)) for result in results]
    return comparison_gate(rows, metric, threshold, True, args.require_decided)


def _metrics(metric: str) -> list[str]:
    return [metric] + [m for m in ("throughput", "median", "p99") if m != metric]


def _is_suite(path: Any) -> bool:
    from ..results.loader import SUITE_SCHEMA, read_json

    try:
        return read_json(path, accept=(SUITE_SCHEMA,)).get("schema") == SUITE_SCHEMA
    except Exception:
        return False  # the normal path says what is wrong with the file


def _compare_suites(args: argparse.Namespace, threshold: float) -> int:
    """Two suites: per-model ratios and the geometric mean's, exit 4 naming what regressed."""
    from pathlib import Path

    from ..analysis.suite_compare import compare_suites
    from ..reporters.suite_compare import print_suite_comparisons
    from ..runs.files import load_suite
    from .console import make_console

    if args.candidate is None:
        raise UsageError(f"{args.baseline} is a suite: give a second suite file to compare it with")
    baseline, candidate = load_suite(Path(args.baseline)), load_suite(Path(args.candidate))
    metric = args.metric or "throughput"
    results = compare_suites(baseline, candidate, metric, threshold)
    print_suite_comparisons(results, make_console(), markdown=args.markdown)
    regressed = [f"{result.config}: {', '.join(result.regressed())}" for result in results if result.regressed()]
    if regressed:
        print(f"infermeter: regression: B is slower than A on {metric} beyond {threshold:.1%} "
              f"({'; '.join(regressed)})", file=sys.stderr)
        return EXIT_REGRESSION
    return 0
