"""infermeter: benchmark deep-learning inference (OpenVINO, ONNX Runtime) with numbers you can trust.

    >>> import infermeter
    >>> report = infermeter.benchmark("zoo:resnet18", engine="fake", api="sync", niter=100,
    ...                               fake_latency="5ms", no_warmup=True)
    >>> report.run.latency.median, report.run.throughput
    (5000000.0, 200.0)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public names are imported on first use, so `infermeter --help` does not pay for numpy and friends.
_LAZY = {
    "Clock": "clock", "FakeClock": "clock",
    "BenchmarkConfig": "config.benchmark", "build_config": "config.benchmark",
    "BenchmarkInterrupted": "errors", "EngineError": "errors", "EngineNotInstalled": "errors",
    "InfermeterError": "errors", "InputError": "errors", "UsageError": "errors",
    "NullObserver": "events", "Observer": "events",
    "SCHEMA_VERSION": "results.report", "PhaseTimes": "results.report", "Report": "results.report",
    "RunResult": "results.run", "load_report": "runs.files",
    "LatencyStats": "stats.latency",
    "Finding": "results.findings", "check_run": "scenarios",
    "Interval": "stats.intervals",
    "Comparison": "results.comparison", "compare_runs": "results.comparison",
    "Session": "results.session", "load_session_or_report": "runs.files",
    "register_engine": "engines",
}

if TYPE_CHECKING:
    from .clock import Clock, FakeClock
    from .config.benchmark import BenchmarkConfig, build_config
    from .engines import register_engine
    from .errors import (
        BenchmarkInterrupted,
        EngineError,
        EngineNotInstalled,
        InfermeterError,
        InputError,
        UsageError,
    )
    from .events import NullObserver, Observer
    from .results.comparison import Comparison, compare_runs
    from .results.findings import Finding
    from .results.report import SCHEMA_VERSION, PhaseTimes, Report
    from .results.run import RunResult
    from .results.session import Session
    from .runs.files import load_report, load_session_or_report
    from .scenarios import check_run
    from .stats.intervals import Interval
    from .stats.latency import LatencyStats


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'infermeter' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def benchmark(model: str, *, observer: Observer | None = None, clock: Clock | None = None,
              **options: Any) -> Report:
    """Benchmark ``model`` (a .onnx/.xml path or ``zoo:NAME``) and return the full ``Report``.

    ``options`` are the long command-line option names: engine, device, api, nireq, hint, niter, time,
    warmup, no_warmup, batch, shape, dim, inputs, seed, infer_precision, nthreads, on_error, fake_latency, ...
    Invalid options raise ``UsageError`` before anything is loaded.
    """
    from .config.benchmark import build_config
    from .measure import run as app

    config = build_config(model, **options)
    return app.run(config, observer=observer, clock=clock)


def compare_configurations(model: str, variants: list[dict[str, Any]], *, rounds: int = 3, seed: int = 0,
                           observer: Observer | None = None, interleave: str = "round", until_decided: bool = False,
                           threshold: float | str = 0.02, max_time: float | str | None = None,
                           **common: Any) -> Session:
    """Measure several configurations of ``model`` and compare each with the first.

    Each variant is a dict of options that differ (e.g. ``{"engine": "openvino"}``, or ``{"model": "b.onnx"}``
    for another model); ``common`` holds the options they share. ``interleave="round"`` (the default) measures
    them in ``rounds`` with the order shuffled per round; ``"request"`` or ``"burst"`` makes them take turns in one
    measurement (``run --vs``), where ``until_decided`` stops once every comparison is decided, within
    ``max_time`` per configuration. ``seed`` orders the rounds or units and seeds the synthetic inputs (as
    ``--seed``). ``session.comparisons("throughput")`` gives each against the first.
    """
    from .config.benchmark import build_config
    from .config.comparison import build_comparison_options, choose_interleaving
    from .config.variants import configuration_labels
    from .events import NullObserver
    from .runs.interleaved import run_interleaved
    from .runs.session import run_session

    if not variants:
        raise ValueError("compare_configurations needs at least one variant")
    configs = [build_config(variant.get("model", model), **{"seed": seed, **common,
                                                            **{k: v for k, v in variant.items() if k != "model"}})
               for variant in variants]
    labels = configuration_labels([[(k, str(v)) for k, v in variant.items()] for variant in variants])
    options = build_comparison_options(interleave=interleave, until_decided=until_decided, threshold=threshold,
                                       max_time=max_time, min_time_ns=configs[0].stop.min_duration_ns)
    mode, reason = choose_interleaving(configs, options, rounds_given=interleave == "round")
    if mode == "round":
        return run_session(configs, labels, rounds, observer or NullObserver(), seed=seed,
                           threshold=options.threshold)
    return run_interleaved(configs, labels, [0] * len(configs), mode, reason, options, observer or NullObserver(),
                           seed=seed)


__all__ = [
    "SCHEMA_VERSION",
    "BenchmarkConfig",
    "BenchmarkInterrupted",
    "Clock",
    "Comparison",
    "EngineError",
    "EngineNotInstalled",
    "FakeClock",
    "Finding",
    "InfermeterError",
    "InputError",
    "Interval",
    "LatencyStats",
    "NullObserver",
    "Observer",
    "PhaseTimes",
    "Report",
    "RunResult",
    "Session",
    "UsageError",
    "__version__",
    "benchmark",
    "build_config",
    "check_run",
    "compare_configurations",
    "compare_runs",
    "load_report",
    "load_session_or_report",
    "register_engine",
]
