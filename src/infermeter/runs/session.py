"""Several configurations of one model, measured interleaved in rounds (A B A B …), and compared.

Every configuration is prepared (read, compiled, inputs made) once; then each round measures every
configuration once, in an order shuffled per round with a seeded generator, so slow drifts and bursts of
load from other processes spread over all configurations instead of favouring whichever ran first. Each
measurement is a complete report (warm-up, first inference, checks). Configurations are compared with the
first one (the baseline) round by round: see ``results.session`` (the data) and ``results.comparison``.

An interrupt keeps every finished measurement; the session is then marked partial.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from ..analysis.agreement import summary_line
from ..config.benchmark import BenchmarkConfig
from ..engines import choose_engine
from ..errors import BenchmarkInterrupted, InfermeterError
from ..events import Observer
from ..measure import run as app
from ..model.files import resolve_model
from ..results.comparison import DEFAULT_THRESHOLD
from ..results.report import Report
from ..results.session import Session
from .agreement import agreement, precision_warning, share_inputs


def run_session(configs: Sequence[BenchmarkConfig], labels: Sequence[str], rounds: int, observer: Observer,
                seed: int = 0, command: Sequence[str] | None = None, baselines: Sequence[int] = (),
                threshold: float = DEFAULT_THRESHOLD) -> Session:
    for config in configs:  # every engine can read the model, before any of them spends time on it
        choose_engine(config.engine, resolve_model(config.model).format, config.model)
    prepared = []
    for label, config in zip(labels, configs, strict=True):
        observer.note(f"preparing {label}")
        prepared.append(app.prepare(config, observer))
    shared = share_inputs(prepared, labels)
    notes = precision_notes(prepared, labels, shared)
    shuffle = random.Random(seed)
    order: list[tuple[int, ...]] = []
    reports: list[list[Report]] = [[] for _ in configs]
    interrupted, error = False, None
    try:
        for round_index in range(rounds):
            sequence = list(range(len(configs)))
            shuffle.shuffle(sequence)
            order.append(tuple(sequence))
            for index in sequence:
                observer.note(f"round {round_index + 1}/{rounds}: {labels[index]}")
                report = app.measure(prepared[index], observer, command)
                reports[index].append(report)
                if report.interrupted:
                    raise KeyboardInterrupt
    except (KeyboardInterrupt, BenchmarkInterrupted):
        interrupted = True
    except InfermeterError as failure:  # e.g. a warm-up request failed: keep the rounds already measured
        error = f"{labels[index]}, round {len(order)}: {failure}"
    lines = () if interrupted or error else agreement_lines(prepared, labels)
    return Session(tuple(labels), rounds, tuple(order), tuple(tuple(r) for r in reports), interrupted,
                   tuple(command) if command is not None else None, error, tuple(baselines), threshold,
                   notes=tuple(notes), agreement=lines)


def precision_notes(prepared: Sequence[app.Prepared], labels: Sequence[str], shared: Sequence[str] = ()) -> list[str]:
    """Where engines differ: the inputs shared and the precision each computed in; a precision warning."""
    notes: list[str] = []
    if len({p.info.name for p in prepared}) > 1:
        notes = [*shared, "precision computed in: " + ", ".join(
            f"{label} {p.compiled.runtime.precision}" for label, p in zip(labels, prepared, strict=True))]
    warning = precision_warning(prepared, labels)
    if warning is not None:
        notes.append(f"warning: {warning}")
    return notes


def agreement_lines(prepared: Sequence[app.Prepared], labels: Sequence[str]) -> tuple[str, ...]:
    """After timing: each configuration's outputs against the first's, one line each. Nothing when an engine
    returns no outputs (the fake engine computes nothing)."""
    if len(prepared) < 2 or any(p.info.name == "fake" for p in prepared):
        return ()
    try:
        return tuple(f"outputs: {summary_line(found)}" for found in agreement(prepared, labels))
    except InfermeterError as failure:
        return (f"outputs: not compared ({failure})",)
