"""Commands that look at the machine, not at a model: ``engines``, ``peak`` and ``zoo``."""

from __future__ import annotations

import argparse

from .. import __version__
from .console import make_console


def engines_command(args: argparse.Namespace, argv: list[str]) -> int:
    from rich.markup import escape
    from rich.table import Table

    from ..engines import FAKE_DETAIL, available_engines, create_engine, is_installed
    from ..engines import cache as engine_cache
    from ..engines.sdk import SDKS
    from ..errors import EngineNotInstalled

    table = Table("engine", "version", "devices / execution providers", "status")
    for name in available_engines():
        if name == "fake":  # known without loading it (it would import numpy)
            table.add_row(name, __version__, "CPU", FAKE_DETAIL)
            continue
        if not is_installed(name):
            table.add_row(name, "–", "–", escape(f"not installed: pip install 'infermeter[{SDKS[name].extra}]'"))
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
    make_console().print(table)
    return 0


def peak_command(args: argparse.Namespace, argv: list[str]) -> int:
    from ..config.values import parse_duration, positive_int
    from ..machine.environment import usable_cpu_count
    from ..machine.peak import measure_peak, save_peak

    threads = positive_int("--threads", args.threads) or usable_cpu_count()
    size = positive_int("--size", args.size) or 2048
    seconds = parse_duration("--time", args.time) / 1e9
    peak = measure_peak(threads, size, seconds)
    path = save_peak(peak)
    make_console().print(f"FP32 peak (numpy sgemm {size}×{size}, {threads} thread(s), best of {peak.runs}): "
                     f"{peak.gflops:,.1f} GFLOP/s on {peak.cpu}; saved to {path}", highlight=False, soft_wrap=True)
    return 0


def zoo_command(args: argparse.Namespace, argv: list[str]) -> int:
    from rich.markup import escape
    from rich.table import Table

    from ..model.zoo import list_models

    table = Table("model", "inputs", "description")
    for model in list_models():
        inputs = ", ".join(f"{i.name} {i.dtype}[{','.join(str(d) for d in (i.dims or ()))}]"
                           for i in model.inputs)
        table.add_row(f"zoo:{model.name}", escape(inputs), escape(model.description))
    make_console().print(table)
    return 0

