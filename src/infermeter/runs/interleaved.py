"""Several configurations measured in one process, taking turns request by request or burst by burst, and
compared by pairing neighbouring units (``scenarios.duet`` measures, ``results.interleaved`` compares).

Every configuration is prepared (read, compiled, inputs generated from the same seed) before anything is
measured; then one scheduler alternates between them in a seeded random order. Each configuration's report is
a complete one (first inference, findings) of its own requests laid back to back; the session keeps every
unit so the comparison can be redone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import scenarios
from ..clock import Clock, FakeClock
from ..config.benchmark import BenchmarkConfig
from ..config.comparison import ComparisonOptions
from ..errors import BenchmarkInterrupted
from ..events import Observer
from ..measure import run as app
from ..results.report import Report
from ..results.session import Session
from ..scenarios.duet import DuetRule, InterleavedRunner, SideSpec
from ..scenarios.runner import Measured
from .session import agreement_lines, precision_notes

if TYPE_CHECKING:
    from ..machine.environment import CpuMeter


def run_interleaved(configs: Sequence[BenchmarkConfig], labels: Sequence[str], baselines: Sequence[int], mode: str,
                    reason: str, options: ComparisonOptions, observer: Observer, seed: int = 0,
                    command: Sequence[str] | None = None) -> Session:
    clock: Clock | None = FakeClock() if any(config.engine == "fake" for config in configs) else None
    prepared = []
    for label, config in zip(labels, configs, strict=True):
        observer.note(f"preparing {label}")
        prepared.append(app.prepare(config, observer, clock))
    for line in input_differences(prepared, labels, baselines):
        observer.note(line)
    specs = [SideSpec(p.compiled, {name: item.array for name, item in p.ready.inputs.items()}, p.ready.feed,
                      scenarios.get(p.config.scenario), app.requests_in_flight(p), p.plan.batch, label)
             for p, label in zip(prepared, labels, strict=True)]
    first = configs[0]
    fake = isinstance(prepared[0].clock, FakeClock)
    runner = InterleavedRunner(specs, mode, reason, prepared[0].clock, seed, baselines,
                               progress=observer.progress if observer.wants_progress and not fake else None,
                               cpu_meter=None if fake else _cpu_meter())
    rule = DuetRule(first.stop.min_duration_ns, first.stop.min_iterations, options.until_decided,
                    options.max_time_ns, "median" if mode == "request" else "throughput", options.threshold)
    observer.note(f"measuring, interleaved {reason}")
    duet = runner.execute(rule, first.warmup)
    reports: list[tuple[Report, ...]] = []
    for index, (item, label) in enumerate(zip(prepared, labels, strict=True)):
        measured = Measured(duet.runs[index], duet.first_inference_ns[index], duet.error)
        note = interleaving_note(mode, label, labels, duet.record.burst)
        reports.append((app.report_of(item, measured, command, [note]),))
    if duet.stop_reason == "interrupted" and all(not report.run or not report.run.count for (report,) in reports):
        raise BenchmarkInterrupted("interrupted before a round was measured; nothing was measured")
    return Session(tuple(labels), 1, (tuple(range(len(configs))),), tuple(reports),
                   interrupted=duet.stop_reason == "interrupted",
                   command=tuple(command) if command is not None else None, error=duet.error,
                   baselines=tuple(baselines), threshold=options.threshold, interleaving=duet.record,
                   notes=tuple(precision_notes(prepared, labels)),
                   agreement=() if duet.stop_reason == "interrupted" or duet.error else
                   agreement_lines(prepared, labels))


def _cpu_meter() -> CpuMeter:
    from ..machine import environment

    return environment.CpuMeter()


def interleaving_note(mode: str, label: str, labels: Sequence[str], burst: int) -> str:
    others = ", ".join(other for other in labels if other != label) or "itself"
    unit = "request by request" if mode == "request" else f"in bursts of {burst} requests"
    return (f"measured interleaved with {others}, {unit}, in a seeded random order: these are {label}'s own "
            "requests laid back to back (the time the others ran is left out); caches and the machine were "
            "shared with them, so absolute numbers can differ from a run of its own")


def input_differences(prepared: Sequence[app.Prepared], labels: Sequence[str], baselines: Sequence[int]) -> list[str]:
    """One line per compared pair whose models take inputs of other names or shapes."""
    lines = []
    for index, base in enumerate(baselines):
        if base == index:
            continue
        mine, theirs = _signature(prepared[index]), _signature(prepared[base])
        if mine != theirs:
            lines.append(f"warning: {labels[index]} and {labels[base]} take different inputs: "
                         f"{_text(theirs)} vs {_text(mine)}")
    return lines


def _signature(prepared: app.Prepared) -> tuple[tuple[str, tuple[int, ...]], ...]:
    return tuple((name, tuple(item.array.shape)) for name, item in sorted(prepared.ready.inputs.items()))


def _text(signature: tuple[tuple[str, tuple[int, ...]], ...]) -> str:
    return ", ".join(f"{name}[{','.join(str(d) for d in shape)}]" for name, shape in signature)
