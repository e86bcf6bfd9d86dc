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

from ..config.benchmark import BenchmarkConfig
from ..errors import BenchmarkInterrupted, InfermeterError
from ..events import Observer
from ..measure import run as app
from ..results.comparison import DEFAULT_THRESHOLD
from ..results.report import Report
from ..results.session import Session


def run_session(configs: Sequence[BenchmarkConfig], labels: Sequence[str], rounds: int, observer: Observer,
                seed: int = 0, command: Sequence[str] | None = None, baselines: Sequence[int] = (),
                threshold: float = DEFAULT_THRESHOLD) -> Session:
    prepared = []
    for label, config in zip(labels, configs, strict=True):
        observer.note(f"preparing {label}")
        prepared.append(app.prepare(config, observer))
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
    return Session(tuple(labels), rounds, tuple(order), tuple(tuple(r) for r in reports), interrupted,
                   tuple(command) if command is not None else None, error, tuple(baselines), threshold)
