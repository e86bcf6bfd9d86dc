"""Command line: argv -> BenchmarkConfig -> app.run -> console + exports; exceptions -> exit codes.

Option spellings follow OpenVINO's benchmark_app (single dash: -niter, -nireq, -api, -shape, ...) and
deepsparse.benchmark (-s, -w, -x, -q) so existing command lines work with the program name swapped.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .. import __version__
from ..errors import (
    EXIT_INTERRUPTED,
    EXIT_NOT_VALID,
    EXIT_RUNTIME,
    EXIT_TERMINATED,
    InfermeterError,
    UsageError,
    one_line,
)

PIPED_WIDTH = 110


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser(engine_list: bool = False, run_only: bool = False) -> argparse.ArgumentParser:
    """The command line. ``engine_list``: end run's help with the engines installed (only when help is
    asked for: reading package metadata costs ~30 ms on every start otherwise). ``run_only``: the other
    subcommands are left out (``infermeter run ...`` does not need their parsers or their modules)."""
    parser = _Parser(prog="infermeter", allow_abbrev=False,
                     description="Benchmark deep-learning inference with numbers you can trust.")
    parser.add_argument("--version", action="version", version=f"infermeter {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_run(commands.add_parser("run", help="benchmark a model", allow_abbrev=False,
                                 description="Benchmark MODEL: a .onnx file, an OpenVINO .xml, or zoo:NAME.",
                                 epilog=_installed_engines() if engine_list else None))
    if run_only:
        return parser
    from ..config.benchmark import COMPARE_METRICS
    from .files import compare_command, show_command
    from .sweep import add_sweep_parser

    add_sweep_parser(commands)
    engines = commands.add_parser("engines", help="list engines, versions and devices")
    engines.add_argument("--refresh", action="store_true", help="look for devices again instead of using what "
                         "was found last time for the same engine versions")
    engines.set_defaults(handler=_engines)
    peak = commands.add_parser("peak", help="measure this machine's FP32 ceiling (sgemm) for '%% of peak'",
                               allow_abbrev=False)
    peak.add_argument("--threads", metavar="N", help="threads (default: the usable cores)")
    peak.add_argument("--time", default="3", metavar="SECONDS", help="timing budget (default 3 s)")
    peak.add_argument("--size", default="2048", metavar="N", help="matrix size N×N (default 2048)")
    peak.set_defaults(handler=_peak)
    zoo = commands.add_parser("zoo", help="list the built-in models (generated in code, no download)")
    zoo.set_defaults(handler=_zoo)
    show = commands.add_parser("show", help="re-render a saved report or session (no engine needed)",
                               allow_abbrev=False)
    show.add_argument("report", help="a report or session written by run -x")
    show.add_argument("-q", "--quiet", action="store_true", help="print only a one-line summary")
    from .options import add_export_options

    add_export_options(show.add_argument)
    show.set_defaults(handler=show_command)
    compare = commands.add_parser("compare", help="is B faster than A? ratio with a 95%% CI and a verdict",
                                  allow_abbrev=False, description="Compare two saved reports or sessions "
                                  "(run -x): exit 4 when B is slower than A beyond --threshold.")
    compare.add_argument("baseline", metavar="A.json", help="the baseline (report or session)")
    compare.add_argument("candidate", metavar="B.json", help="the candidate")
    compare.add_argument("--metric", choices=COMPARE_METRICS, help="the metric that decides the verdict and exit code "
                         "(default: throughput for async runs, median for sync)")
    compare.add_argument("--threshold", default="2%", metavar="PCT", help="smallest change that counts "
                         "(default 2%%)")
    compare.add_argument("--markdown", action="store_true", help="print a Markdown table (pull-request comment)")
    compare.set_defaults(handler=compare_command)
    for sub in (engines, zoo, show, compare, peak):
        sub.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    return parser


def _add_run(run: argparse.ArgumentParser) -> None:
    from .options import add_run_options

    run.set_defaults(handler=_run)
    add_run_options(run)


def _installed_engines() -> str:
    """For -h: which engines this machine has, from package metadata (no engine is imported)."""
    from ..engines.cache import PACKAGES, installed_version

    found = []
    for name in PACKAGES:
        installed = installed_version(name)
        found.append(f"{name} {installed}" if installed is not None else
                     f"{name} (not installed: pip install 'infermeter[{name}]')")
    return (f"engines on this machine: {', '.join(found)}, fake. Devices and execution providers: "
            "infermeter engines")


class _Termination:
    """SIGTERM is turned into the same KeyboardInterrupt path as Ctrl-C; only the exit code differs."""

    received = False

    @classmethod
    def install(cls) -> None:
        cls.received = False
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, cls._handle)

    @classmethod
    def _handle(cls, signum: int, frame: object) -> None:
        cls.received = True
        raise KeyboardInterrupt

    @classmethod
    def exit_code(cls, code: int) -> int:
        return EXIT_TERMINATED if code == EXIT_INTERRUPTED and cls.received else code


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    if argv is None:  # a real process, not a call from Python code
        _Termination.install()
        from ..engines import use_lean_sdk_imports

        use_lean_sdk_imports()
    try:
        from .options import expand_run_config

        arguments = expand_run_config(arguments)
        help_asked = any(token in ("-h", "--help") for token in arguments)
        run_only = bool(arguments) and arguments[0] == "run"
        args = build_parser(engine_list=help_asked, run_only=run_only).parse_args(arguments)
        if getattr(args, "handler", None) is None:
            build_parser().print_help()
            return 0
        code: int = args.handler(args, arguments)
        return _Termination.exit_code(code)
    except InfermeterError as error:
        return _Termination.exit_code(_fail(error, error.exit_code, str(error), debug))
    except KeyboardInterrupt as error:
        return _Termination.exit_code(_fail(error, EXIT_INTERRUPTED, "interrupted", debug))
    except Exception as error:  # a bug: still one line, traceback on request
        return _fail(error, EXIT_RUNTIME, f"internal error: {type(error).__name__}: {one_line(error)} "
                     "(run with --debug for the traceback)", debug)


def _fail(error: BaseException, code: int, message: str, debug: bool) -> int:
    if debug:
        import traceback

        traceback.print_exception(error)
    print(f"infermeter: error: {message}", file=sys.stderr)
    return code


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    from ..config.variants import expand_configurations
    from ..measure import run as app
    from ..reporters.live import ConsoleObserver
    from .options import export_list, run_options, split_model_from_flags

    split_model_from_flags(args)
    configs, labels = expand_configurations(_model_argument(args), run_options(args))
    rounds = _rounds(args.rounds, len(configs))
    exports = export_list(args)
    stderr = any(export.to_stdout for export in exports)
    output = configs[0].output
    if len(configs) > 1 or rounds > 1:
        _check_session_outputs(output)
        observer = ConsoleObserver(lambda: _console(stderr), quiet=args.quiet, style=output.progress, stderr=stderr)
        return _run_session(args, argv, configs, labels, rounds, observer.console, observer, exports)
    # The console is made, and rich imported, only when something is shown (see reporters.live).
    observer = ConsoleObserver(lambda: _console(stderr), quiet=args.quiet, style=output.progress, header=True,
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
    signal_name = "SIGTERM" if _Termination.received else "Ctrl-C"
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


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH  # logs and CI: wide lines read better than 80-column wrapping
    return console


def _model_argument(args: argparse.Namespace) -> str:
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


def _engines(args: argparse.Namespace, argv: list[str]) -> int:
    from rich.markup import escape
    from rich.table import Table

    from ..engines import FAKE_DETAIL, available_engines, create_engine, is_installed
    from ..engines import cache as engine_cache
    from ..errors import EngineNotInstalled

    table = Table("engine", "version", "devices / execution providers", "status")
    for name in available_engines():
        if name == "fake":  # known without loading it (it would import numpy)
            table.add_row(name, __version__, "CPU", FAKE_DETAIL)
            continue
        if not is_installed(name):
            table.add_row(name, "–", "–", escape(f"not installed: pip install 'infermeter[{name}]'"))
            continue
        cached = None if args.refresh else engine_cache.cached_info(name)
        if cached is not None:
            table.add_row(name, cached["version"], ", ".join(cached["devices"]),
                          escape(f"{cached['detail'] or 'ok'} (as found before: --refresh to look again)"))
            continue
        try:
            from ..config.benchmark import build_config

            info = create_engine(name, build_config("zoo:resnet18", engine=name)).info()
        except EngineNotInstalled as error:
            table.add_row(name, "–", "–", escape(str(error)))
            continue
        engine_cache.remember(name, info.version, info.devices, info.detail)
        table.add_row(name, info.version, ", ".join(info.devices), escape(info.detail or "ok"))
    _console().print(table)
    return 0


def _peak(args: argparse.Namespace, argv: list[str]) -> int:
    from ..config.values import parse_duration, positive_int
    from ..machine.environment import usable_cpu_count
    from ..machine.peak import measure_peak, save_peak

    threads = positive_int("--threads", args.threads) or usable_cpu_count()
    size = positive_int("--size", args.size) or 2048
    seconds = parse_duration("--time", args.time) / 1e9
    peak = measure_peak(threads, size, seconds)
    path = save_peak(peak)
    _console().print(f"FP32 peak (numpy sgemm {size}×{size}, {threads} thread(s), best of {peak.runs}): "
                     f"{peak.gflops:,.1f} GFLOP/s on {peak.cpu}; saved to {path}", highlight=False, soft_wrap=True)
    return 0


def _zoo(args: argparse.Namespace, argv: list[str]) -> int:
    from rich.markup import escape
    from rich.table import Table

    from ..model.zoo import list_models

    table = Table("model", "inputs", "description")
    for model in list_models():
        inputs = ", ".join(f"{i.name} {i.dtype}[{','.join(str(d) for d in (i.dims or ()))}]"
                           for i in model.inputs)
        table.add_row(f"zoo:{model.name}", escape(inputs), escape(model.description))
    _console().print(table)
    return 0
