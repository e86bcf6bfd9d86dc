"""``infermeter run``: one measurement, or a session of several configurations in rounds, and its exit code."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import EXIT_INTERRUPTED, EXIT_NOT_VALID, EXIT_RUNTIME, UsageError
from .console import make_console
from .signals import Termination


def run_command(args: argparse.Namespace, argv: list[str]) -> int:
    from ..config.variants import expand_configurations
    from ..measure import run as app
    from ..reporters.live import ConsoleObserver
    from .options import export_list, run_options, split_model_from_flags

    split_model_from_flags(args)
    configs, labels = expand_configurations(model_argument(args), run_options(args))
    rounds = _rounds(args.rounds, len(configs))
    exports = export_list(args)
    stderr = any(export.to_stdout for export in exports)
    output = configs[0].output
    if len(configs) > 1 or rounds > 1:
        _check_session_outputs(output)
        observer = ConsoleObserver(lambda: make_console(stderr), quiet=args.quiet, style=output.progress, stderr=stderr)
        return _run_session(args, argv, configs, labels, rounds, observer.console, observer, exports)
    # The console is made, and rich imported, only when something is shown (see reporters.live).
    observer = ConsoleObserver(lambda: make_console(stderr), quiet=args.quiet, style=output.progress, header=True,
                               stderr=stderr)
    try:
        report = app.run(configs[0], observer=observer, command=["infermeter", *argv])
    finally:
        observer.close()
    from ..reporters.console import render_report
    from ..reporters.export import write_exports
    from ..reporters.extras import render_extras, write_files

    console = observer.console
    render_report(report, console, quiet=args.quiet, header=not observer.header_shown)
    if not args.quiet:
        render_extras(report, console, output)
    for path in write_files(report, output):
        if not args.quiet:
            console.print(f"wrote {path}", style="dim")
    write_exports(exports, report)
    return _outcome(report, require_valid=args.require_valid)


def _run_session(args: argparse.Namespace, argv: list[str], configs: list[Any], labels: list[str], rounds: int,
                 console: Any, observer: Any, exports: list[Any]) -> int:
    from ..reporters.comparison import render_session
    from ..reporters.export import write_exports
    from ..runs.session import run_session

    try:
        session = run_session(configs, labels, rounds, observer, seed=configs[0].seed,
                              command=["infermeter", *argv])
    finally:
        observer.close()
    from .. import scenarios

    metric = scenarios.get(configs[0].scenario).headline
    render_session(session, console, metric, 0.02, quiet=args.quiet)
    write_exports(exports, session)
    if session.interrupted:
        print("infermeter: interrupted: finished rounds are reported, the session is partial", file=sys.stderr)
        return EXIT_INTERRUPTED
    return _session_outcome(session, args.require_valid)


def _check_session_outputs(output: Any) -> None:
    """Report files and extra console sections describe one run; a session is exported with -x."""
    asked = [flag for flag, on in (("-report_folder", output.report_folder is not None),
                                   ("-dump_config", output.dump_config is not None),
                                   ("-pc/-pcsort", output.print_counters or output.counters_sort is not None),
                                   ("-pcseq", output.per_shape),
                                   ("-latency_percentile", output.latency_percentile != 50)) if on]
    if asked:
        raise UsageError(f"{', '.join(asked)} describe one run: drop them with several configurations or "
                         "--rounds (the session's JSON, -x, keeps every run)")


def _session_outcome(session: Any, require_valid: bool) -> int:
    """One stderr line at most: failed measurements first, then (with --require-valid) non-VALID ones."""
    reports = [report for reports in session.reports for report in reports]
    if session.error:
        print(f"infermeter: error: {session.error} (the {len(reports)} measurements before it are reported; the "
              "session is partial)", file=sys.stderr)
        return EXIT_RUNTIME
    failed = [report for report in reports if report.error or (report.run is not None and report.run.errors)]
    if failed:
        reason = failed[0].error or f"{failed[0].run.errors} requests failed (--on-error continue)"
        print(f"infermeter: error: {len(failed)} of {len(reports)} measurements had failures; first: {reason}",
              file=sys.stderr)
        return EXIT_RUNTIME
    not_valid = [report for report in reports if report.verdict != "VALID"]
    if require_valid and not_valid:
        codes = sorted({f.code for report in not_valid for f in report.findings if f.effect != "info"})
        print(f"infermeter: {len(not_valid)} of {len(reports)} measurements not VALID ({', '.join(codes)}); "
              f"exit {EXIT_NOT_VALID} because of --require-valid", file=sys.stderr)
        return EXIT_NOT_VALID
    return 0


def _rounds(value: str | None, configurations: int) -> int:
    if value is None:
        return 3 if configurations > 1 else 1
    try:
        rounds = int(value)
    except ValueError:
        raise UsageError(f"--rounds expects an integer, got {value!r}") from None
    if not 1 <= rounds <= 1000:
        raise UsageError(f"--rounds must be between 1 and 1000, got {rounds}")
    return rounds


def _outcome(report: Any, require_valid: bool = False) -> int:
    """One stderr line and the exit code for a run that produced a report."""
    count = report.run.count if report.run is not None else 0
    signal_name = Termination.signal_name()
    if report.interrupted:
        print(f"infermeter: interrupted ({signal_name}): {count} requests measured, reported as partial",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if report.error:
        print(f"infermeter: error: {report.error} ({count} requests measured before it, reported as partial)",
              file=sys.stderr)
        return EXIT_RUNTIME
    errors = report.run.errors if report.run is not None else 0
    if errors:
        print(f"infermeter: error: {errors} requests failed and were left out (--on-error continue); "
              f"{count} measured", file=sys.stderr)
        return EXIT_RUNTIME
    if require_valid and report.verdict != "VALID":
        codes = ", ".join(f.code for f in report.findings if f.effect != "info")
        print(f"infermeter: verdict {report.verdict} ({codes}); exit {EXIT_NOT_VALID} because of --require-valid",
              file=sys.stderr)
        return EXIT_NOT_VALID
    return 0


def model_argument(args: argparse.Namespace) -> str:
    if args.model and args.model_option and args.model != args.model_option:
        raise UsageError(f"two models given ({args.model} and -m {args.model_option}): keep one")
    model: str | None = args.model or args.model_option
    if not model and args.inputs and _looks_like_model(args.inputs[-1]):
        model = args.inputs.pop()  # `run -i x.npy model.onnx`: -i takes several values and swallowed MODEL
    if not model:
        raise UsageError("no model given: infermeter run MODEL (a .onnx or .xml file, or zoo:NAME)")
    return model


def _looks_like_model(text: str) -> bool:
    return text.startswith("zoo:") or text.lower().endswith((".onnx", ".xml"))

