"""The command line's parser: every subcommand, its options and its handler.

Option spellings follow OpenVINO's benchmark_app (single dash: -niter, -nireq, -api, -shape, ...) and
deepsparse.benchmark (-s, -w, -x, -q) so existing command lines work with the program name swapped.
"""

from __future__ import annotations

import argparse

from .. import __version__
from .options import Parser


def build_parser(engine_list: bool = False, run_only: bool = False) -> argparse.ArgumentParser:
    """The command line. ``engine_list``: end run's help with the engines installed (only when help is
    asked for: reading package metadata costs ~30 ms on every start otherwise). ``run_only``: the other
    subcommands are left out (``infermeter run ...`` does not need their parsers or their modules)."""
    parser = Parser(prog="infermeter", allow_abbrev=False,
                     description="Benchmark deep-learning inference with numbers you can trust.")
    parser.add_argument("--version", action="version", version=f"infermeter {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    _add_run(commands.add_parser("run", help="benchmark a model", allow_abbrev=False,
                                 description="Benchmark MODEL: a model file (.onnx .xml .tflite .pb .pdmodel .pt "
                                 ".pt2),\na SavedModel folder, file.py:make_model, or zoo:NAME.",
                                 epilog=_installed_engines() if engine_list else None,
                                 formatter_class=argparse.RawDescriptionHelpFormatter))
    if run_only:
        return parser
    from ..config.benchmark import COMPARE_METRICS
    from .capacity import add_capacity_parser
    from .files import compare_command, show_command
    from .suite import add_suite_parser
    from .sweep import add_sweep_parser
    from .tools import engines_command, peak_command, zoo_command
    from .verify import add_verify_parser

    add_sweep_parser(commands)
    add_suite_parser(commands)
    add_capacity_parser(commands)
    add_verify_parser(commands)
    engines = commands.add_parser("engines", help="list engines, versions and devices")
    engines.add_argument("--refresh", action="store_true", help="look for devices again instead of using what "
                         "was found last time for the same engine versions")
    engines.set_defaults(handler=engines_command)
    peak = commands.add_parser("peak", help="measure this machine's FP32 ceiling (sgemm) for '%% of peak'",
                               allow_abbrev=False)
    peak.add_argument("--threads", metavar="N", help="threads (default: the usable cores)")
    peak.add_argument("--time", default="3", metavar="SECONDS", help="timing budget (default 3 s)")
    peak.add_argument("--size", default="2048", metavar="N", help="matrix size N×N (default 2048)")
    peak.set_defaults(handler=peak_command)
    zoo = commands.add_parser("zoo", help="list the built-in models (generated in code, no download)")
    zoo.set_defaults(handler=zoo_command)
    show = commands.add_parser("show", help="re-render a saved report or session (no engine needed)",
                               allow_abbrev=False)
    show.add_argument("report", help="a report or session written by run -x")
    show.add_argument("-q", "--quiet", action="store_true", help="print only a one-line summary")
    from .options import add_export_options

    add_export_options(show.add_argument)
    show.set_defaults(handler=show_command)
    compare = commands.add_parser("compare", help="is B faster than A? ratio with a 95%% CI and a verdict",
                                  allow_abbrev=False, description="Compare two saved reports or sessions "
                                  "(run -x), or the configurations inside one session: exit 4 when B is slower "
                                  "than A beyond --threshold, 0 when faster or equivalent; inconclusive exits 0 "
                                  "unless --require-decided (then 3).")
    compare.add_argument("baseline", metavar="A.json", help="the baseline (report or session); alone, a session "
                         "whose configurations are compared as run compared them")
    compare.add_argument("candidate", metavar="B.json", nargs="?", help="the candidate")
    compare.add_argument("--metric", choices=COMPARE_METRICS, help="the metric that decides the verdict and exit code "
                         "(default: throughput for async runs, median for sync)")
    compare.add_argument("--threshold", metavar="PCT", help="the band of changes too small to count: faster/slower "
                         "need the whole CI beyond it, equivalent the whole CI inside it (default: the session's, "
                         "else 2%%)")
    compare.add_argument("--require-decided", action="store_true", help="exit 3 when the deciding comparison is "
                         "inconclusive")
    compare.add_argument("--markdown", action="store_true", help="print a Markdown table (pull-request comment)")
    compare.set_defaults(handler=compare_command)
    for sub in (engines, zoo, show, compare, peak):
        sub.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    return parser


def _add_run(run: argparse.ArgumentParser) -> None:
    from .options import add_run_options
    from .run import run_command

    run.set_defaults(handler=run_command)
    add_run_options(run)


def _installed_engines() -> str:
    """For -h: which engines this machine has, from package metadata (no engine is imported)."""
    from ..engines.cache import installed_version
    from ..engines.sdk import SDKS

    found = []
    for name in SDKS:
        installed = installed_version(name)
        found.append(f"{name} {installed.split('+')[0]}" if installed is not None else
                     f"{name} (not installed: pip install 'infermeter[{SDKS[name].extra}]')")
    import shutil
    import textwrap

    width = max(40, shutil.get_terminal_size().columns - 2)
    lines = textwrap.wrap(f"engines on this machine: {', '.join(found)}, fake.", width, break_on_hyphens=False)
    return "\n".join([*lines, "Devices and execution providers: infermeter engines"])

