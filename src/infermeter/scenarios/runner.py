"""Runs a compiled model through first inference, warm-up and measurement, and returns raw samples.

Scenarios:
  latency     one request at a time (benchmark_app ``-api sync``)
  throughput  N requests kept in flight (``-api async``): the engine's own async queue when it has one
              that adds concurrency, else N runner threads each looping on a session that shares the model.

Interrupts (KeyboardInterrupt) and failing requests during measurement end the run early: what was measured
is kept and the result is marked partial with the reason.
"""

from __future__ import annotations

import threading
import time
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..clock import Clock, FakeClock
from ..config.benchmark import StopRule, Warmup
from ..engines.base import AsyncSession, CompiledModel, RequestFailed, Session
from ..errors import BenchmarkInterrupted, EngineError, InfermeterError, one_line
from .feed import CyclingSession, InputFeed, Pacer
from .loops import ThreadedRun, run_async, run_sync
from .precision import PrecisionCheck
from .recording import SampleBuffer, capacity_for

if TYPE_CHECKING:  # imported when the run ends, not before the first inference
    from ..machine.environment import CpuMeter
    from ..results.run import RunResult

ProgressCallback = Callable[[int, int], None]  # (completed requests, elapsed real ns)
PROGRESS_PERIOD_S = 0.25


@dataclass(frozen=True)
class Measured:
    run: RunResult
    first_inference_ns: int
    error: str | None = None


class Runner:
    def __init__(self, compiled: CompiledModel, inputs: Mapping[str, np.ndarray], scenario: str, requests: int,
                 batch: int, clock: Clock, progress: ProgressCallback | None = None,
                 continue_on_error: bool = False, cpu_meter: CpuMeter | None = None,
                 feed: InputFeed | None = None, max_rate: float | None = None,
                 on_first_inference: Callable[[int], None] | None = None) -> None:
        self._on_first_inference = on_first_inference  # called with its duration, before warm-up
        self._feed = feed
        self._pace = Pacer(max_rate, clock) if max_rate else None
        self._compiled = compiled
        self._inputs = inputs
        self._scenario = scenario
        self._requests = requests
        self._batch = batch
        self._clock = clock
        self._progress_callback = progress
        self._continue = continue_on_error
        self._cpu_meter = cpu_meter
        self._async: AsyncSession | None = None
        self._sessions: list[Session] = []

    def execute(self, stop: StopRule, warmup: Warmup) -> Measured:
        try:
            first_session = self._compiled.create_session(self._inputs)
            first_ns = self._first_inference(first_session)
            self._prepare_sessions(first_session)
        except KeyboardInterrupt:
            raise BenchmarkInterrupted("interrupted while creating requests; nothing was measured") from None
        except InfermeterError:
            raise
        except Exception as failure:  # the engine refused to create or bind a request
            raise EngineError(f"could not create an inference request: {one_line(failure)}") from None
        if self._on_first_inference is not None:
            try:
                self._on_first_inference(first_ns)
            except KeyboardInterrupt:
                raise BenchmarkInterrupted("interrupted after the first inference; nothing was measured") from None
        if warmup.enabled:
            self._warm_up(warmup)
        for session in self._sessions:
            if isinstance(session, CyclingSession):
                session.reset()  # request k of each worker is fed set k % K: per-shape statistics rely on it
        buffers = self._new_buffers(stop.min_iterations)
        errors = array("q", bytes(8 * len(buffers)))
        progress = array("q", bytes(8 * len(buffers)))
        check = self._precision_check(stop, buffers, progress)
        stop_reason, error = "stop rule met", None
        if self._cpu_meter is not None:
            self._cpu_meter.start()
        try:
            if check is None:
                self._measure(stop.min_iterations, stop.min_duration_ns, buffers, errors, progress, True)
            else:
                check.start()
                self._measure(0, stop.max_duration_ns, buffers, errors, progress, True, check)
                stop_reason = PRECISION_MET if check.met else PRECISION_MISSED
        except KeyboardInterrupt:
            stop_reason = "interrupted"
        except RequestFailed as failure:
            stop_reason, error = f"request failed at call {failure.call_index}", str(failure)
        except Exception as failure:  # an engine's own exception type from inside a request
            stop_reason, error = "engine error", f"{type(failure).__name__}: {one_line(failure)}"
        usage = self._cpu_meter.stop() if self._cpu_meter is not None else None
        starts, ends, groups = _merge(buffers, self._groups(buffers, sum(errors)))
        del buffers  # their spare capacity goes now, before statistics allocate
        partial = stop_reason not in ("stop rule met", PRECISION_MET, PRECISION_MISSED)
        from ..results.run import RunResult

        run = RunResult(self._scenario, self._requests, self._batch, starts, ends, stop_reason, partial,
                        errors=sum(errors), cpu=usage,
                        groups=groups, group_labels=tuple(self._feed.labels) if groups is not None and
                        self._feed is not None else (),
                        group_batches=tuple(self._feed.group_batches) if groups is not None and
                        self._feed is not None else ())
        return Measured(run, first_ns, error)

    def _groups(self, buffers: list[SampleBuffer], errors: int) -> list[np.ndarray] | None:
        """Shape group of every sample, per buffer; None when there is one group or failures broke the order."""
        feed = self._feed
        if feed is None or len(feed.labels) < 2 or errors or self._async is not None:
            return None
        return [feed.group_of_index(buffer.count) for buffer in buffers]

    def _precision_check(self, stop: StopRule, buffers: list[SampleBuffer],
                         progress: array) -> PrecisionCheck | None:  # type: ignore[type-arg]
        if stop.rel_precision is None:
            return None
        return PrecisionCheck(stop.rel_precision, stop.precision_metric, self._batch, self._clock,
                              stop.min_iterations, stop.min_duration_ns, buffers, progress)

    def _first_inference(self, session: Session) -> int:
        try:
            t0 = self._clock()
            session.infer()
            return self._clock() - t0
        except KeyboardInterrupt:
            raise BenchmarkInterrupted("interrupted during the first inference; nothing was measured") from None
        except Exception as failure:
            raise EngineError(f"the first inference failed: {one_line(failure)}") from None

    def _prepare_sessions(self, first_session: Session) -> None:
        if self._feed is not None and isinstance(self._clock, FakeClock) and self._scenario == "throughput":
            # Racing runner threads cannot share a virtual clock deterministically; the fake engine ignores
            # input values, so its own virtual-parallel requests run the feed's first set (no per-shape stats).
            self._async = self._compiled.create_async_session([_private_copy(self._inputs)] * self._requests)
            if self._async is not None:
                return
        if self._feed is not None:  # varying inputs: one cycling session per worker, runner threads for async
            workers = 1 if self._scenario == "latency" else self._requests
            self._sessions = [CyclingSession(self._compiled, self._feed) for _ in range(workers)]
            return
        if self._scenario == "latency":
            self._sessions = [first_session]
            return
        slot_inputs = [_private_copy(self._inputs) for _ in range(self._requests)]
        self._async = self._compiled.create_async_session(slot_inputs)
        if self._async is None:
            self._sessions = [self._compiled.create_session(inputs) for inputs in slot_inputs]

    def _warm_up(self, warmup: Warmup) -> None:
        try:
            buffers = self._new_buffers(0, ring=True)
            counts = array("q", bytes(8 * len(buffers)))
            self._measure(warmup.iterations, warmup.duration_ns, buffers, array("q", bytes(8 * len(buffers))), counts,
                          False)
        except KeyboardInterrupt:
            raise BenchmarkInterrupted("interrupted during warm-up; nothing was measured") from None
        except Exception as failure:
            raise EngineError(f"a warm-up request failed: {one_line(failure)}") from None

    def _new_buffers(self, min_iterations: int, ring: bool = False) -> list[SampleBuffer]:
        if self._scenario == "throughput" and self._async is None:
            share = capacity_for(min_iterations // max(self._requests, 1), 1)
            return [SampleBuffer(share, ring) for _ in range(self._requests)]
        return [SampleBuffer(capacity_for(min_iterations, self._requests), ring)]

    def _measure(self, min_iterations: int, min_duration_ns: int, buffers: list[SampleBuffer],
                 errors: array, progress: array, report_progress: bool,  # type: ignore[type-arg]
                 check: PrecisionCheck | None = None) -> None:
        failures = errors if self._continue else None
        monitor = _ProgressMonitor(progress, self._progress_callback) if report_progress else None
        if monitor is not None:
            monitor.start()
        try:
            if self._scenario == "latency":
                run_sync(self._sessions[0], self._clock, min_iterations, min_duration_ns, buffers[0], progress,
                         failures, check, self._pace)
            elif self._async is not None:
                run_async(self._async, self._clock, min_iterations, min_duration_ns, buffers[0], progress,
                          failures, check, self._pace)
            else:
                threaded = ThreadedRun(self._sessions, self._clock, min_iterations, min_duration_ns, buffers,
                                       progress, failures, check, self._pace)
                threaded.run(_join_interruptibly)
        finally:
            if monitor is not None:
                monitor.stop()


PRECISION_MET = "precision target met"
PRECISION_MISSED = "max time reached before the precision target"


def _join_interruptibly(finished: list[threading.Event]) -> None:
    """Wait with a timeout so the main thread keeps receiving KeyboardInterrupt."""
    for event in finished:
        while not event.wait(0.1):
            pass


def _private_copy(inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: array_.copy() for name, array_ in inputs.items()}


def _merge(buffers: list[SampleBuffer], groups: list[np.ndarray] | None = None,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """All samples in submission order, with as few full-size temporaries as possible (long runs)."""
    merged_groups = None
    if len(buffers) == 1:
        starts, ends = buffers[0].arrays()
        merged_groups = groups[0] if groups is not None else None
    else:
        pairs = [buffer.arrays() for buffer in buffers]
        starts = np.concatenate([p[0] for p in pairs]) if pairs else np.empty(0, np.int64)
        ends = np.concatenate([p[1] for p in pairs]) if pairs else np.empty(0, np.int64)
        merged_groups = np.concatenate(groups) if groups is not None else None
    if len(starts) > 1 and bool(np.any(starts[1:] < starts[:-1])):
        order = np.argsort(starts, kind="stable")
        starts, ends = starts[order], ends[order]
        merged_groups = merged_groups[order] if merged_groups is not None else None
    return starts, ends, merged_groups


class _ProgressMonitor:
    """Reads the completed count at a low rate on its own thread and hands it to the observer."""

    def __init__(self, counts: array, callback: ProgressCallback | None) -> None:  # type: ignore[type-arg]
        self._counts = counts
        self._callback = callback
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._callback is None:
            return
        self._thread = threading.Thread(target=self._loop, daemon=True, name="infermeter-progress")
        self._thread.start()

    def _loop(self) -> None:
        assert self._callback is not None
        began = time.perf_counter_ns()
        while not self._stopped.wait(PROGRESS_PERIOD_S):
            self._callback(sum(self._counts), time.perf_counter_ns() - began)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
