"""``infermeter verify MODEL -e a,b,c``: the same inputs through every engine, every output compared with the first
engine's; exit 5 when one disagrees beyond the tolerance."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import EXIT_DISAGREE, UsageError
from .console import make_console

DESCRIPTION = ("Run the same inputs (synthetic, or -i files) through every engine of -e and compare every output "
               "with the first engine's: max absolute and relative error, cosine similarity and, for 2-D score "
               "outputs, top-1/top-5 agreement. Exit 5 when an engine disagrees beyond --atol/--rtol (defaults "
               "depend on the precision the engines computed in). Takes run's model, shape, input and engine "
               "options; nothing is timed.")


def add_verify_parser(commands: Any) -> None:
    from .options import add_run_options

    verify = commands.add_parser("verify", help="do the engines compute the same outputs? (exit 5 if not)",
                                 allow_abbrev=False, description=DESCRIPTION)
    add_run_options(verify)
    group = verify.add_argument_group("verify")
    group.add_argument("--atol", metavar="X", help="absolute tolerance (default by precision: f32 1e-4, f16 1e-2, "
                       "bf16 5e-2, int8 1e-1)")
    group.add_argument("--rtol", metavar="X", help="relative tolerance (default by precision: f32 1e-3, f16 1e-2, "
                       "bf16 5e-2, int8 1e-1)")
    verify.set_defaults(handler=verify_command)


def tolerance(flag: str, text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected a number, e.g. 1e-4") from None
    if not value >= 0 or value == float("inf"):
        raise UsageError(f"{flag} {text}: must be a finite number ≥ 0")
    return value


def verify_command(args: argparse.Namespace, argv: list[str]) -> int:
    from ..config.variants import expand_configurations
    from ..reporters.agreement import render_verification
    from .options import run_options, split_model_from_flags
    from .run import model_argument

    split_model_from_flags(args)
    atol, rtol = tolerance("--atol", args.atol), tolerance("--rtol", args.rtol)
    unsupported = [flag for flag, value in (("--export-csv", args.export_csv), ("--export-csv-samples",
                   args.export_csv_samples), ("--html", args.html)) if value]
    if unsupported:
        raise UsageError(f"{unsupported[0]}: verify writes -x (JSON) and --export-markdown only")
    options = {**run_options(args), "niter": "1", "warmup": None, "no_warmup": True}
    configs, labels = expand_configurations(model_argument(args), options)
    if len(configs) < 2:
        raise UsageError("verify compares engines: give two or more with -e, e.g. -e openvino,onnxruntime (the "
                         "first is the reference), or a comma list such as -infer_precision f32,bf16")
    labels = [label.replace("engine=", "") for label in labels]
    stderr = args.export_json == "-" or args.export_markdown == "-"
    console = make_console(stderr)
    from ..runs.verify import verify

    verification = verify(configs, labels, atol, rtol, quiet=args.quiet, console=console)
    render_verification(verification, console, quiet=args.quiet)
    _write_exports(args, verification)
    if not verification.agrees:
        return EXIT_DISAGREE
    return 0


def _write_exports(args: argparse.Namespace, verification: Any) -> None:
    import json

    from ..atomic import write_atomic
    from ..reporters.agreement import verification_markdown

    for target, kind in ((args.export_json, "json"), (args.export_markdown, "markdown")):
        if not target:
            continue
        text = json.dumps(verification.to_dict(), indent=2) + "\n" if kind == "json" else \
            verification_markdown(verification)
        if target == "-":
            sys.stdout.write(text)
            continue
        try:
            write_atomic(target, text)
        except OSError as error:
            raise UsageError(f"cannot write {target}: {error.strerror or error}") from None
