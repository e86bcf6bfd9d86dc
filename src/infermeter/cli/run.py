"""``infermeter run``: one measurement, or a session of several configurations (interleaved unit by unit, or in
rounds), and its exit code."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import EXIT_INTERRUPTED, EXIT_NOT_VALID, EXIT_REGRESSION, EXIT_RUNTIME, UsageError
from .console import make_console
from .signals import Termination

COMPARING_FLAGS = (("--until-decided", "until_decided"), ("--interleave", "interleave"),
                   ("--require-decided", "require_decided"), ("--fail-on-regression", "fail_on_regression"),
                   ("--threshold", "threshold"))


def run_command(args: argparse.Namespace, argv: list[str]) -> int:
    from ..config.variants import expand_configurations
    from ..measure import run as app
    from ..reporters.live import ConsoleObserver
    from .options import comparison_options, export_list, run_options, split_model_from_flags

    split_model_from_flags(args)
    model = model_argument(args)
    options = run_options(args)
    configs, labels = expand_configurations(model, options)
    baselines: list[int] = []
    if args.vs is not None:
        configs, labels, baselines = _with_vs(model, args, options, configs, labels)
    elif args.fake_vs_latency is not None:
        raise UsageError("--fake-vs-latency is the latency of the --vs model: give --vs MODEL")
    comparison = comparison_options(args, configs[0].stop.min_duration_ns)
    rounds = _rounds(args.rounds, len(configs))
    exports = export_list(args)
    stderr = any(export.to_stdout for export in exports)
    output = configs[0].output
    if len(configs) == 1:
        _refuse_comparing_flags(args)
    if len(configs) > 1 or rounds > 1:
        _check_session_outputs(output)
        observer = ConsoleObserver(lambda: make_console(stderr), quiet=args.quiet, style=output.progress, stderr=stderr)
        if args.vs is not None and args.vs == model and args.fake_vs_latency is None:
            observer.note(f"--vs {args.vs} is A itself: an A/A comparison of two separately compiled copies")
        return _run_session(args, argv, configs, labels, baselines, rounds, comparison, observer, exports)
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


def _with_vs(model: str, args: argparse.Namespace, options: dict[str, Any], configs: list[Any],
             labels: list[str]) -> tuple[list[Any], list[str], list[int]]:
    """A's configurations, then B's (the --vs model with the same options), each B compared with its A. On the
    fake engine B draws its latencies from a stream of its own, as a second model would."""
    import dataclasses

    from ..config.variants import expand_configurations
    from ..errors import InputError
    from ..model.files import resolve_model

    try:
        resolve_model(args.vs)
    except InputError as error:
        raise InputError(f"--vs: {error}") from None
    fake = {"fake_latency": args.fake_vs_latency} if args.fake_vs_latency is not None else {}
    configs_b, labels_b = expand_configurations(args.vs, {**options, **fake})
    configs_b = [dataclasses.replace(config, fake=dataclasses.replace(config.fake, stream=1)) for config in configs_b]
    varied = len(configs) > 1
    names = ("A", "B") if _short(model) == _short(args.vs) else (_short(model), _short(args.vs))
    labels_a = [f"{names[0]} {label}" if varied else names[0] for label in labels]
    labels_b = [f"{names[1]} {label}" if varied else names[1] for label in labels_b]
    count = len(configs)
    return [*configs, *configs_b], [*labels_a, *labels_b], [*range(count), *range(count)]


def _short(model: str) -> str:
    from pathlib import Path

    return model if model.startswith("zoo:") else Path(model).name


def _refuse_comparing_flags(args: argparse.Namespace) -> None:
    given = [flag for flag, name in COMPARING_FLAGS if getattr(args, name) not in (None, False)]
    if given:
        raise UsageError(f"{given[0]} compares configurations: give --vs B.onnx or a comma list (e.g. "
                         "-e openvino,onnxruntime)")


def _run_session(args: argparse.Namespace, argv: list[str], configs: list[Any], labels: list[str],
                 baselines: list[int], rounds: int, comparison: Any, observer: Any, exports: list[Any]) -> int:
    from ..config.comparison import choose_interleaving
    from ..reporters.comparison import render_session
    from ..reporters.export import write_exports
    from ..runs.interleaved import run_interleaved
    from ..runs.session import run_session

    mode, reason = ("round", "one configuration in rounds") if len(configs) == 1 else \
        choose_interleaving(configs, comparison, args.rounds is not None)
    command = ["infermeter", *argv]
    try:
        if mode == "round":
            session = run_session(configs, labels, rounds, observer, seed=configs[0].seed, command=command,
                                  baselines=baselines, threshold=comparison.threshold)
        else:
            session = run_interleaved(configs, labels, baselines or [0] * len(configs), mode, reason, comparison,
                                      observer, seed=configs[0].seed, command=command)
    finally:
        observer.close()
    metric = session_metric(session)
    render_session(session, observer.console, metric, comparison.threshold, quiet=args.quiet)
    write_exports(exports, session)
    if session.interrupted:
        print("infermeter: interrupted: what was measured is reported, the session is partial", file=sys.stderr)
        return EXIT_INTERRUPTED
    return _session_outcome(session, args.require_valid, metric, comparison)


def session_metric(session: Any) -> str:
    """The deciding metric: the headline of an interleaved session's unit (median latency for requests,
    throughput for bursts), else of the first configuration's scenario."""
    from ..analysis.compare import default_metric

    if session.interleaving is not None:
        return "median" if session.interleaving.mode == "request" else "throughput"
    return default_metric(session)


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


def _session_outcome(session: Any, require_valid: bool, metric: str, comparison: Any) -> int:
    """One stderr line at most: failed measurements first, then the gates (--fail-on-regression,
    --require-decided), then (with --require-valid) non-VALID measurements."""
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
    gate = comparison_gate(session.comparisons(metric, comparison.threshold), metric, comparison.threshold,
                           comparison.fail_on_regression, comparison.require_decided)
    if gate:
        return gate
    not_valid = [report for report in reports if report.verdict != "VALID"]
    if require_valid and not_valid:
        codes = sorted({f.code for report in not_valid for f in report.findings if f.effect != "info"})
        print(f"infermeter: {len(not_valid)} of {len(reports)} measurements not VALID ({', '.join(codes)}); "
              f"exit {EXIT_NOT_VALID} because of --require-valid", file=sys.stderr)
        return EXIT_NOT_VALID
    return 0


def comparison_gate(rows: list[tuple[str, Any]], metric: str, threshold: float, fail_on_regression: bool,
                    require_decided: bool) -> int:
    """Exit 4 for a regression (with ``fail_on_regression``), 3 for an undecided comparison (with
    ``require_decided``), else 0; one stderr line when a gate closes."""
    from ..results.comparison import INCONCLUSIVE, SLOWER

    slower = [label for label, found in rows if found is not None and found.verdict == SLOWER]
    if fail_on_regression and slower:
        print(f"infermeter: regression: B is slower than A on {metric} beyond ±{threshold:.1%} "
              f"({', '.join(slower)})", file=sys.stderr)
        return EXIT_REGRESSION
    undecided = [label for label, found in rows if found is None or found.verdict == INCONCLUSIVE]
    if require_decided and undecided:
        print(f"infermeter: undecided: {', '.join(undecided)} on {metric} (the CI straddles ±{threshold:.1%} or "
              f"there is none); exit {EXIT_NOT_VALID} because of --require-decided", file=sys.stderr)
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

