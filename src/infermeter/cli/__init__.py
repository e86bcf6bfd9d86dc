"""Command line: argv -> parser -> a subcommand's handler -> exit code; every failure is one line on stderr.

Modules: ``parser`` (every subcommand and option), ``run`` (measurements and sessions), ``files`` (show,
compare), ``sweep``, ``tools`` (engines, peak, zoo), ``options`` (run options -> config values), ``console``,
``signals``. Each imports only the ones after it in that list, never this one.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..errors import InfermeterError, exit_code_for, one_line
from .parser import build_parser
from .signals import Termination, die_with_parent_if_asked


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    if argv is None:  # a real process, not a call from Python code
        Termination.install()
        die_with_parent_if_asked()
        from ..engines import use_lean_sdk_imports

        use_lean_sdk_imports()
    try:
        from .options import expand_run_config

        arguments = expand_run_config(arguments)
        help_asked = any(token in ("-h", "--help") for token in arguments)
        run_only = bool(arguments) and arguments[0] == "run"
        parsed = arguments[:arguments.index("--")] if arguments[:1] == ["suite"] and "--" in arguments else arguments
        args = build_parser(engine_list=help_asked, run_only=run_only).parse_args(parsed)  # suite: run options after --
        if getattr(args, "handler", None) is None:
            build_parser().print_help()
            return 0
        code: int = args.handler(args, arguments)
        return exit_code_for(None, code, terminated=Termination.received)
    except (Exception, KeyboardInterrupt) as error:
        if debug:
            import traceback

            traceback.print_exception(error)
        print(f"infermeter: error: {_message(error)}", file=sys.stderr)
        return exit_code_for(error, terminated=Termination.received)


def _message(error: BaseException) -> str:
    if isinstance(error, InfermeterError):
        return str(error)
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    return f"internal error: {type(error).__name__}: {one_line(error)} (run with --debug for the traceback)"


__all__ = ["build_parser", "main"]
