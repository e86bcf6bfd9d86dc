"""Interleaved measurement of several compiled configurations ("duet" benchmarking, Bulej et al. 2020): first
inference of each, an interleaved warm-up, then the interleaved measurement, until the stop rule holds for
every configuration or, with ``--until-decided``, until every comparison is decided.

What ran is returned as one ``RunResult`` per configuration, its requests laid back to back on its own
clock (the units of the other configurations taken out), and the ``Interleaving`` record of every unit
(``results.interleaved``), from which the comparison is computed.
"""

from __future__ import annotations

import dataclasses
import math
import time
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..clock import Clock, FakeClock
from ..config.benchmark import Warmup
from ..engines.base import CompiledModel, RequestFailed
from ..errors import BenchmarkInterrupted, EngineError, InfermeterError, UsageError, one_line
from ..inputs.feed import InputFeed
from ..results.interleaved import REQUEST, Interleaving, Sequential, SideUnits, decide_at, last_round, look_points
from .base import Scenario, Setup
from .interleave import Schedule, UnitRecord, interleave_bursts, interleave_requests
from .sides import QueueSide, Side, SyncSide, side_of

if TYPE_CHECKING:
    from ..machine.environment import CpuMeter
    from ..results.facts import CpuUsage
    from ..results.run import RunResult

BURST_NS = 25_000_000  # a burst lasts about this long on the slowest configuration
PLANNED_NS = 2_000_000_000  # the confidence sequence is tightest after about this long per configuration
PROGRESS_NS = 250_000_000
STOP_MET, DECIDED, UNDECIDED = "stop rule met", "decided", "max time reached before a decision"


@dataclass(frozen=True)
class SideSpec:
    compiled: CompiledModel
    inputs: Mapping[str, np.ndarray]
    feed: InputFeed | None
    scenario: Scenario
    requests: int
    batch: int
    label: str


@dataclass(frozen=True)
class DuetRule:
    """Per configuration: at least ``min_ns`` of its own time and ``min_requests``; with ``until_decided``
    decide from then on (headline ``metric``), at most ``max_ns`` of its own time."""

    min_ns: int
    min_requests: int = 0
    until_decided: bool = False
    max_ns: int = 0
    metric: str = "median"
    threshold: float = 0.02


@dataclass(frozen=True)
class Duet:
    runs: list[RunResult]
    first_inference_ns: list[int]
    record: Interleaving
    stop_reason: str
    error: str | None = None


class InterleavedRunner:
    def __init__(self, specs: Sequence[SideSpec], mode: str, reason: str, clock: Clock, seed: int,
                 baselines: Sequence[int], progress: Callable[[int, int], None] | None = None,
                 cpu_meter: CpuMeter | None = None) -> None:
        self._specs, self._mode, self._reason, self._clock, self._seed = specs, mode, reason, clock, seed
        self._baselines = tuple(baselines)
        self._progress = progress
        self._cpu_meter = cpu_meter
        self._sides: list[Side] = []

    def execute(self, rule: DuetRule, warmup: Warmup) -> Duet:
        try:
            firsts = [self._prepare(spec) for spec in self._specs]
            pace = self._per_request_ns(self._warm_up(warmup) if warmup.enabled else None, firsts)
            self._check_max_time(rule, pace)
            size = self._burst_size(pace)
            planned = self._planned(size, pace)
            sequential = Sequential(rule.metric, rule.min_ns, rule.max_ns) if rule.until_decided else None
            return self._measure(rule, size, planned, sequential, firsts)
        finally:
            for side in self._sides:
                side.close()

    def _prepare(self, spec: SideSpec) -> int:
        """Create the side's sessions and run its first inference; returns that inference's duration."""
        try:
            session = spec.compiled.create_session(spec.inputs)
            began = self._clock()
            session.infer()
            first = self._clock() - began
            driver = spec.scenario.driver(Setup(spec.compiled, spec.inputs, spec.feed, spec.requests, self._clock,
                                                session))
            driver.restart()
        except KeyboardInterrupt:
            raise BenchmarkInterrupted("interrupted before measuring; nothing was measured") from None
        except InfermeterError:
            raise
        except Exception as failure:
            raise EngineError(f"{spec.label}: the first inference failed: {one_line(failure)}") from None
        self._sides.append(side_of(driver, self._clock))
        return first

    def _run(self, record: UnitRecord, size: int, done: Callable[[UnitRecord, int], bool], seed: int) -> None:
        schedule = Schedule(len(self._sides), seed)
        if self._mode == REQUEST:
            infers = [side.infer for side in self._sides if isinstance(side, SyncSide)]
            assert len(infers) == len(self._sides), "request interleaving needs sides that run one at a time"
            interleave_requests(infers, self._clock, schedule, record, done)
        else:
            interleave_bursts(self._sides, self._clock, schedule, size, record, done)

    def _warm_up(self, warmup: Warmup) -> UnitRecord:
        record = UnitRecord(len(self._sides))

        def done(record: UnitRecord, now: int) -> bool:
            return min(record.active_ns) >= warmup.duration_ns and min(record.units) >= warmup.iterations

        try:
            self._run(record, self._initial_size(), done, self._seed + 1)
        except KeyboardInterrupt:
            raise BenchmarkInterrupted("interrupted during warm-up; nothing was measured") from None
        except Exception as failure:
            raise EngineError(f"a warm-up request failed: {one_line(failure)}") from None
        return record

    def _initial_size(self) -> int:
        return 1 if self._mode == REQUEST else 2 * max(side.requests for side in self._sides)

    def _burst_size(self, pace: list[float]) -> int:
        """Requests per burst: enough for about BURST_NS on the slowest side, at least two per request in
        flight and at most 64 per request in flight."""
        if self._mode == REQUEST:
            return 1
        widest = max(side.requests for side in self._sides)
        wanted = math.ceil(BURST_NS / max(*pace, 1.0))
        return max(2 * widest, min(64 * widest, wanted))

    def _per_request_ns(self, warm: UnitRecord | None, firsts: list[int]) -> list[float]:
        """Each side's time per completed request (its throughput's inverse), from the warm-up, else from the
        first inference."""
        if warm is None or min(warm.requests) == 0:
            return [first / side.requests for first, side in zip(firsts, self._sides, strict=True)]
        return [warm.active_ns[index] / warm.requests[index] for index in range(len(self._sides))]

    def _check_max_time(self, rule: DuetRule, pace: list[float]) -> None:
        slowest = max(range(len(pace)), key=lambda index: pace[index] * self._sides[index].requests)
        one = pace[slowest] * self._sides[slowest].requests  # one request's latency, about
        if rule.until_decided and rule.max_ns < one:
            raise UsageError(f"--max-time {rule.max_ns / 1e9:g} s is shorter than one request of "
                             f"{self._specs[slowest].label} (about {one / 1e6:.3g} ms): give a longer --max-time")

    def _planned(self, size: int, pace: list[float]) -> int:
        """Where a confidence sequence is tightest, fixed before measuring from the warm-up alone (and recorded,
        so that a saved session of any length replays --until-decided exactly): the rounds in about PLANNED_NS
        per configuration at the warm-up's pace."""
        unit = max(max(pace) * size, 1.0)
        return max(1, round(PLANNED_NS / unit))

    def _measure(self, rule: DuetRule, size: int, planned: int, sequential: Sequential | None,
                 firsts: list[int]) -> Duet:
        record = UnitRecord(len(self._sides))
        watch = _Watch(self, rule, size, planned, sequential, self._progress, self._clock)
        stop_reason, error = STOP_MET, None
        if self._cpu_meter is not None:
            self._cpu_meter.start()
        try:
            self._run(record, size, watch, self._seed)
            if sequential is not None:
                stop_reason = DECIDED if watch.decided_at is not None else UNDECIDED
        except KeyboardInterrupt:
            stop_reason = "interrupted"
        except RequestFailed as failure:
            stop_reason, error = f"request failed at call {failure.call_index}", str(failure)
        except Exception as failure:
            stop_reason, error = "engine error", f"{type(failure).__name__}: {one_line(failure)}"
        usage = self._cpu_meter.stop() if self._cpu_meter is not None else None
        if sequential is not None:
            sequential = dataclasses.replace(sequential, decided_at=watch.decided_at)
        runs, interleaving = self._results(record, size, planned, sequential, stop_reason, usage, rule.threshold)
        return Duet(runs, firsts, interleaving, stop_reason, error)

    def _results(self, record: UnitRecord, size: int, planned: int, sequential: Sequential | None,
                 stop_reason: str, usage: CpuUsage | None, threshold: float) -> tuple[list[RunResult], Interleaving]:
        from ..results.run import RunResult

        sides, starts, durations, counts = record.arrays()
        partial = stop_reason not in (STOP_MET, DECIDED, UNDECIDED)
        runs = []
        for index, spec in enumerate(self._specs):
            mine = sides == index
            run_starts, run_ends = back_to_back(record.samples[index].arrays(), starts[mine], durations[mine],
                                                counts[mine])
            runs.append(RunResult(spec.scenario.name, spec.requests, spec.batch, run_starts, run_ends, stop_reason,
                                  partial, cpu=usage, executors=_executors(spec, self._sides[index])))
        origin = int(starts[0]) if len(starts) else 0
        interleaving = Interleaving(self._mode, self._reason, self._seed, size, sides, starts - origin, counts,
                                    planned, threshold, sequential)
        return runs, interleaving


def _executors(spec: SideSpec, side: Side) -> int | None:
    """As ``runner.queue_executors``: the engine's streams behind its own queue, when fewer than in flight."""
    streams = spec.compiled.runtime.streams
    return streams if isinstance(side, QueueSide) and streams is not None and streams < spec.requests else None


def back_to_back(samples: tuple[np.ndarray, np.ndarray], unit_starts: np.ndarray, durations: np.ndarray,
                 counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A side's requests with the time between its units taken out: unit k is moved to begin where unit k − 1
    ended (the first stays where it was); inside a unit, requests keep their times and are ordered by start."""
    starts, ends = samples
    if len(starts) == 0:
        return starts, ends
    begins = int(unit_starts[0]) + np.concatenate(([0], np.cumsum(durations)[:-1]))
    shift = np.repeat(unit_starts - begins, counts)
    order = np.lexsort((starts, np.repeat(np.arange(len(counts)), counts)))
    return (starts - shift)[order], (ends - shift)[order]


class _Watch:
    """The controller of the measurement: the stop rule per side, ``--until-decided`` and progress."""

    def __init__(self, runner: InterleavedRunner, rule: DuetRule, size: int, planned: int,
                 sequential: Sequential | None, progress: Callable[[int, int], None] | None, clock: Clock) -> None:
        self._rule, self._size, self._planned, self._sequential = rule, size, planned, sequential
        self._progress = None if isinstance(clock, FakeClock) else progress
        self._pairs = [(base, index) for index, base in enumerate(runner._baselines) if base != index]
        self._batches = [float(spec.batch) for spec in runner._specs]
        sides = len(runner._specs)
        self._durations = [array("q") for _ in range(sides)]
        self._counts = [array("q") for _ in range(sides)]
        self._seen = 0
        self._looks = iter(look_points(1 << 40)) if sequential is not None else iter(())
        self._next_look = next(self._looks, None)
        self._began = self._shown = time.perf_counter_ns()
        self.decided_at: int | None = None

    def __call__(self, record: UnitRecord, now: int) -> bool:
        self._show(record)
        rule = self._rule
        if self._sequential is None:
            return min(record.active_ns) >= rule.min_ns and min(record.requests) >= rule.min_requests
        self._take(record)
        return self._decide(record)

    def _show(self, record: UnitRecord) -> None:
        if self._progress is None:
            return
        now = time.perf_counter_ns()
        if now - self._shown >= PROGRESS_NS:
            self._shown = now
            self._progress(sum(record.requests), now - self._began)

    def _take(self, record: UnitRecord) -> None:
        """Copy the units added since the last call into per-side columns (O(new units))."""
        sides = np.frombuffer(record.unit_sides, dtype=np.int8)[self._seen:].copy()
        durations = np.frombuffer(record.unit_durations, dtype=np.int64)[self._seen:].copy()
        counts = np.frombuffer(record.unit_counts, dtype=np.int64)[self._seen:].copy()
        self._seen += len(sides)
        for side in range(len(self._durations)):
            mine = sides == side
            self._durations[side].frombytes(durations[mine].tobytes())
            self._counts[side].frombytes(counts[mine].tobytes())

    def _decide(self, record: UnitRecord) -> bool:
        """Every look point reached, in order (``results.interleaved.decide_at``); O(n) work only at looks
        (they come every 5 % more rounds) or once the time limit is reached."""
        sequential = self._sequential
        assert sequential is not None
        reachable = self._next_look is not None and self._next_look <= min(record.units)
        if not reachable and max(record.active_ns) < sequential.max_ns:
            return False
        units = [SideUnits(np.array(d, dtype=np.int64), np.array(c, dtype=np.int64), np.empty(0, np.int64), batch)
                 for d, c, batch in zip(self._durations, self._counts, self._batches, strict=True)]
        last = last_round(units, sequential.max_ns)
        limit = min(side.rounds for side in units) if last is None else min(last, *(u.rounds for u in units))
        looks = []
        while self._next_look is not None and self._next_look <= limit:
            looks.append(self._next_look)
            self._next_look = next(self._looks, None)
        self.decided_at = decide_at(units, self._pairs, self._size, self._planned, sequential,
                                    self._rule.threshold, looks)
        return self.decided_at is not None or (last is not None and min(u.rounds for u in units) >= last)
