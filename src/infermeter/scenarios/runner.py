"""Runs a compiled model through first inference, warm-up and measurement, and returns raw samples.

What depends on the scenario (how many requests are in flight, which sessions, which loop, the stop rule)
is the ``Scenario``'s (``scenarios/base.py``); this module does what every scenario shares.

Interrupts (KeyboardInterrupt) and failing requests during measurement end the run early: what was measured
is kept and the result is marked partial with the reason.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..clock import Clock
from ..config.benchmark import StopRule, Warmup
from ..config.load import Load
from ..engines.base import CompiledModel, RequestFailed, Session, call_scope
from ..errors import BenchmarkInterrupted, EngineError, InfermeterError, one_line
from ..inputs.feed import InputFeed
from .base import Driver, RecordsOpenLoop, Scenario, Setup
from .feed import Pacer
from .precision import PrecisionCheck
from .recording import SampleBuffer
from .stop import Stop, warmup_stop

if TYPE_CHECKING:  # imported when the run ends, not before the first inference
    from ..machine.environment import CpuMeter
    from ..results.facts import CpuUsage
    from ..results.run import RunResult

ProgressCallback = Callable[[int, int], None]  # (completed requests, elapsed real ns)
PROGRESS_PERIOD_S = 0.25


@dataclass(frozen=True)
class Measured:
    run: RunResult
    first_inference_ns: int
    error: str | None = None


class Runner:
    def __init__(self, compiled: CompiledModel, inputs: Mapping[str, np.ndarray], scenario: Scenario,
                 requests: int, batch: int, clock: Clock, progress: ProgressCallback | None = None,
                 continue_on_error: bool = False, cpu_meter: CpuMeter | None = None,
                 feed: InputFeed | None = None, max_rate: float | None = None,
                 on_first_inference: Callable[[int], None] | None = None, load: Load | None = None,
                 seed: int = 0) -> None:
        self._load = load or Load()
        self._seed = seed
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
        self._driver: Driver | None = None

    def execute(self, stop: StopRule, warmup: Warmup) -> Measured:
        try:
            first_session = self._compiled.create_session(self._inputs)
            first_ns = self._first_inference(first_session)
            driver = self._driver = self._scenario.driver(Setup(self._compiled, self._inputs, self._feed,
                                                                self._requests, self._clock, first_session,
                                                                self._load, self._seed))
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
            self._warm_up(driver, warmup)
        driver.restart()
        buffers = driver.buffers(stop.min_iterations, ring=False)
        errors = array("q", bytes(8 * len(buffers)))
        progress = array("q", bytes(8 * len(buffers)))
        check = self._precision_check(stop, buffers, progress)
        stop_reason, error = "stop rule met", None
        if self._cpu_meter is not None:
            self._cpu_meter.start()
        try:
            if check is not None:
                check.start()
            self._measure(driver, self._scenario.stop(stop, check), buffers, errors, progress, True)
            if check is not None:
                stop_reason = PRECISION_MET if check.met else PRECISION_MISSED
        except KeyboardInterrupt:
            stop_reason = "interrupted"
        except RequestFailed as failure:
            stop_reason, error = f"request failed at call {failure.call_index}", str(failure)
        except Exception as failure:  # an engine's own exception type from inside a request
            stop_reason, error = "engine error", f"{type(failure).__name__}: {one_line(failure)}"
        usage = self._cpu_meter.stop() if self._cpu_meter is not None else None
        return Measured(self._result(buffers, errors, stop_reason, usage), first_ns, error)

    def _result(self, buffers: list[SampleBuffer], errors: array[int], stop_reason: str,
                usage: CpuUsage | None) -> RunResult:
        from ..results.run import RunResult

        starts, ends, groups = _merge(buffers, self._groups(buffers, sum(errors)))
        buffers.clear()  # their spare capacity goes now, before statistics allocate
        partial = stop_reason not in ("stop rule met", PRECISION_MET, PRECISION_MISSED)
        feed = self._feed if groups is not None else None
        run = RunResult(self._scenario.name, self._requests, self._batch, starts, ends, stop_reason, partial,
                        errors=sum(errors), cpu=usage,
                        groups=groups, group_labels=tuple(feed.labels) if feed is not None else (),
                        group_batches=tuple(feed.group_batches) if feed is not None else (),
                        executors=self._executors())
        return self._scenario.finish(self._open_loop(run), self._load)

    def _open_loop(self, run: RunResult) -> RunResult:
        """A scheduled run with its issue and start times (the driver's record, in the samples' order)."""
        record = self._driver.record() if isinstance(self._driver, RecordsOpenLoop) else None
        if record is None:
            return run
        from .arrivals import offered_rate

        return dataclasses.replace(run, start_ns=record.scheduled, end_ns=record.completed, issued_ns=record.issued,
                                   started_ns=record.started, dropped=record.dropped,
                                   offered_qps=offered_rate(self._load))

    def _executors(self) -> int | None:
        """The engine's parallel executors when its own queue holds more requests than it runs at once."""
        return queue_executors(self._driver, self._compiled, self._requests)

    def _groups(self, buffers: list[SampleBuffer], errors: int) -> list[np.ndarray] | None:
        """Shape group of every sample, per buffer; None when there is one group or failures broke the order."""
        feed = self._feed
        if feed is None or len(feed.labels) < 2 or errors or self._driver is None or \
                not self._driver.in_worker_order:
            return None
        return [feed.group_of_index(buffer.count) for buffer in buffers]

    def _precision_check(self, stop: StopRule, buffers: list[SampleBuffer],
                         progress: array[int]) -> PrecisionCheck | None:
        if stop.rel_precision is None:
            return None
        metric = stop.precision_metric or self._scenario.headline
        return PrecisionCheck(stop.rel_precision, metric, self._batch, self._clock,
                              stop.min_iterations, stop.min_duration_ns, buffers, progress)

    def _first_inference(self, session: Session) -> int:
        try:
            with call_scope(session):
                t0 = self._clock()
                session.infer()
                return self._clock() - t0
        except KeyboardInterrupt:
            raise BenchmarkInterrupted("interrupted during the first inference; nothing was measured") from None
        except Exception as failure:
            raise EngineError(f"the first inference failed: {one_line(failure)}") from None

    def _warm_up(self, driver: Driver, warmup: Warmup) -> None:
        try:
            buffers = driver.buffers(0, ring=True)
            cells = array("q", bytes(8 * len(buffers)))
            self._measure(driver, warmup_stop(warmup), buffers, array("q", bytes(8 * len(buffers))), cells, False)
        except KeyboardInterrupt:
            raise BenchmarkInterrupted("interrupted during warm-up; nothing was measured") from None
        except Exception as failure:
            raise EngineError(f"a warm-up request failed: {one_line(failure)}") from None

    def _measure(self, driver: Driver, stop: Stop, buffers: list[SampleBuffer], errors: array[int],
                 progress: array[int], report_progress: bool) -> None:
        monitor = _ProgressMonitor(progress, self._progress_callback) if report_progress else None
        if monitor is not None:
            monitor.start()
        try:
            driver.run(stop, buffers, progress, errors if self._continue else None, self._pace)
        finally:
            if monitor is not None:
                monitor.stop()


def queue_executors(driver: Driver | None, compiled: CompiledModel, requests: int) -> int | None:
    """Requests the engine executes at once behind its own async queue (OpenVINO: its streams), when that is
    fewer than are in flight; None otherwise (one at a time, runner threads, or no queueing)."""
    streams = compiled.runtime.streams
    if driver is None or not driver.engine_queue or streams is None or streams >= requests:
        return None
    return streams


PRECISION_MET = "precision target met"
PRECISION_MISSED = "max time reached before the precision target"


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
