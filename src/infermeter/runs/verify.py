"""One verification: prepare every configuration (read, inputs, reshape, compile), give all of them the first
one's input bytes, call each once and compare its outputs with the first's. Nothing is timed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..analysis.agreement import EngineRun, Verification
from ..config.benchmark import BenchmarkConfig
from ..engines import choose_engine
from ..events import NullObserver
from ..measure import run as app
from ..model.files import resolve_model
from .agreement import agreement, share_inputs


class _Notes(NullObserver):
    """Progress of the preparation as dim lines (or nothing with -q)."""

    def __init__(self, console: Any, quiet: bool) -> None:
        self._console = console
        self._quiet = quiet

    def note(self, text: str) -> None:
        if not self._quiet and self._console is not None:
            self._console.print(text, style="dim", highlight=False)


def verify(configs: Sequence[BenchmarkConfig], labels: Sequence[str], atol: float | None, rtol: float | None,
           quiet: bool = False, console: Any = None) -> Verification:
    for config in configs:  # every engine can read the model, before any of them spends time on it
        choose_engine(config.engine, resolve_model(config.model).format, config.model)
    observer = _Notes(console, quiet)
    prepared = []
    for label, config in zip(labels, configs, strict=True):
        observer.note(f"preparing {label}")
        prepared.append(app.prepare(config, observer))
    notes = share_inputs(prepared, labels)
    results = agreement(prepared, labels, atol, rtol)
    engines = tuple(EngineRun(label, p.info.name, p.info.version, p.compiled.runtime.precision,
                              p.compiled.runtime.frontend) for label, p in zip(labels, prepared, strict=True))
    source = "--atol/--rtol" if atol is not None and rtol is not None else \
        "default for the precision" if atol is None and rtol is None else "--atol/--rtol, the other by precision"
    return Verification(configs[0].model, engines, tuple(notes), tuple(results), source)
