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
    "BenchmarkConfig": "config", "build_config": "config",
    "BenchmarkInterrupted": "errors", "EngineError": "errors", "EngineNotInstalled": "errors",
    "InfermeterError": "errors", "InputError": "errors", "UsageError": "errors",
    "NullObserver": "events", "Observer": "events",
    "SCHEMA_VERSION": "results", "PhaseTimes": "results", "Report": "results", "RunResult": "results",
    "load_report": "results",
    "LatencyStats": "stats",
}

if TYPE_CHECKING:
    from .clock import Clock, FakeClock
    from .config import BenchmarkConfig, build_config
    from .errors import (
        BenchmarkInterrupted,
        EngineError,
        EngineNotInstalled,
        InfermeterError,
        InputError,
        UsageError,
    )
    from .events import NullObserver, Observer
    from .results import SCHEMA_VERSION, PhaseTimes, Report, RunResult, load_report
    from .stats import LatencyStats


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
    from . import app
    from .config import build_config

    config = build_config(model, **options)
    return app.run(config, observer=observer, clock=clock)


__all__ = [
    "SCHEMA_VERSION",
    "BenchmarkConfig",
    "BenchmarkInterrupted",
    "Clock",
    "EngineError",
    "EngineNotInstalled",
    "FakeClock",
    "InfermeterError",
    "InputError",
    "LatencyStats",
    "NullObserver",
    "Observer",
    "PhaseTimes",
    "Report",
    "RunResult",
    "UsageError",
    "__version__",
    "benchmark",
    "build_config",
    "load_report",
]
