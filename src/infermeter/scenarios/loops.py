"""The timed loops. They only measure: stamp, call, store, check the stop rule.

Nothing in a loop allocates beyond the integers the clock returns, formats, logs or builds a dict. Samples
go into preallocated Python lists that a ``Recorder`` moves into int64 buffers in batches (see
``recording``), which also publishes progress for a monitor thread that reads it at a low rate.

The one-at-a-time loops chain their stamps: one clock read per request, taken right after the call, is
both that request's end and the next one's start, so a request's latency also holds the loop's own
bookkeeping (a list store, an add and two comparisons: about 0.1 µs, measured in bench/harness_overhead.py).
A batch move re-reads the clock, so its cost falls between two requests, in no latency.

Stop rule: both limits are minimums. A request is started only while fewer than ``min_iterations`` have
been started or the clock is before the deadline; requests already in flight are always completed and
counted, so throughput's window ends at the last completion.
"""

from __future__ import annotations

import itertools
import threading
from array import array
from collections.abc import Callable, Sequence

from ..clock import Clock
from ..engines.base import AsyncSession, RequestFailed, Session
from .recording import NEVER, Checkpoint, Recorder, SampleBuffer


def run_sync(session: Session, clock: Clock, min_iterations: int, min_duration_ns: int,
             buffer: SampleBuffer, progress: array, errors: array | None = None,  # type: ignore[type-arg]
             checkpoint: Checkpoint | None = None, pace: Callable[[], None] | None = None) -> None:
    """One request at a time. ``pace`` (``-max_irate``) is called before each request's start is stamped.

    A failing request raises, unless ``errors`` is given (--on-error continue): then it is counted there,
    left out of the samples, and counts towards the iteration minimum as an attempt.
    """
    if errors is not None or pace is not None:
        _run_sync_checked(session, clock, min_iterations, min_duration_ns, buffer, progress, errors, checkpoint,
                          pace)
        return
    infer = session.infer
    recorder = Recorder(buffer, progress, 0, checkpoint, checkpoint.next_at if checkpoint else NEVER, clock(),
                        chained=True)
    stamps = recorder.stamps
    next_at, stop_at = recorder.next_at, min_iterations  # stop_at: the iteration minimum left, in this batch
    deadline = clock() + min_duration_ns
    k = 0
    stamps[0] = clock()
    try:
        while True:  # the hot loop: the call, one clock read, one list store, an add, two comparisons
            infer()
            t = clock()
            k += 1
            stamps[k] = t
            if t >= deadline and k >= stop_at:
                return
            if k >= next_at:
                recorder.flush(k, t)
                k = 0
                if recorder.stop:
                    return
                next_at, stop_at = recorder.next_at, min_iterations - recorder.done
                stamps[0] = clock()  # the batch's bookkeeping is in no request's latency
    finally:
        recorder.finish(k)


def _run_sync_checked(session: Session, clock: Clock, min_iterations: int, min_duration_ns: int,
                      buffer: SampleBuffer, progress: array, errors: array | None,  # type: ignore[type-arg]
                      checkpoint: Checkpoint | None, pace: Callable[[], None] | None) -> None:
    """``run_sync`` with pacing or with failures counted instead of raised."""
    infer = session.infer
    starts, ends = buffer.starts, buffer.ends
    capacity = len(starts)
    n = buffer.count
    attempts = 0
    check_at = checkpoint.next_at if checkpoint is not None else NEVER
    deadline = clock() + min_duration_ns
    try:
        while True:
            if pace is not None:
                pace()
            t0 = clock()
            try:
                infer()
            except Exception:
                if errors is None:
                    raise
                errors[0] += 1
                attempts += 1
                if attempts >= min_iterations and clock() >= deadline:
                    return
                continue
            t1 = clock()
            starts[n] = t0
            ends[n] = t1
            n += 1
            attempts += 1
            progress[0] = n
            if attempts >= min_iterations and t1 >= deadline:
                return
            if n == capacity:
                n = buffer.when_full(n)
                capacity = len(starts)
            if n >= check_at:
                assert checkpoint is not None
                if checkpoint():
                    return
                check_at = checkpoint.next_at
    finally:
        buffer.count = n


def run_async(session: AsyncSession, clock: Clock, min_iterations: int, min_duration_ns: int,
              buffer: SampleBuffer, progress: array, errors: array | None = None,  # type: ignore[type-arg]
              checkpoint: Checkpoint | None = None, pace: Callable[[], None] | None = None) -> None:
    """Keep every slot busy until the stop rule is met, then collect what is in flight.

    A failed request raises, unless ``errors`` is given: then it is counted and its slot reused.
    """
    next_idle, start, end_ns = session.next_idle, session.start, session.end_ns
    slots = session.slots
    busy = [False] * slots
    started_at = [0] * slots
    recorder = Recorder(buffer, progress, 0, checkpoint, checkpoint.next_at if checkpoint else NEVER, clock())
    starts, ends = recorder.starts, recorder.ends
    next_at = recorder.next_at
    k = submitted = 0
    checked = errors is not None or pace is not None
    deadline = clock() + min_duration_ns
    try:
        while True:
            slot = _next_idle_checked(next_idle, errors, busy) if checked else next_idle()
            if busy[slot]:
                t0 = started_at[slot]
                t1 = end_ns(slot, t0)
                starts[k] = t0
                ends[k] = t1
                k += 1
                if k >= next_at:
                    recorder.flush(k, t1)
                    k = 0
                    next_at = recorder.next_at
                    if recorder.stop:
                        busy[slot] = False  # recorded: not in flight
                        break
            if pace is not None:
                pace()
            now = clock()
            if now >= deadline and submitted >= min_iterations:
                busy[slot] = False  # recorded above (or never used): not in flight
                break
            started_at[slot] = now
            start(slot)
            busy[slot] = True
            submitted += 1
    finally:
        recorder.finish(k)
        session.wait_all()
        _collect_in_flight(busy, started_at, end_ns, buffer)
        progress[0] = buffer.count


def _next_idle_checked(next_idle: Callable[[], int], errors: array | None,  # type: ignore[type-arg]
                       busy: list[bool]) -> int:
    """``next_idle`` with a failed request counted (--on-error continue) and its slot reused."""
    try:
        return next_idle()
    except RequestFailed as failure:
        if errors is None or failure.slot is None:
            raise
        errors[0] += 1
        busy[failure.slot] = False
        return failure.slot


def _collect_in_flight(busy: list[bool], started_at: list[int], end_ns: Callable[[int, int], int],
                       buffer: SampleBuffer) -> None:
    for slot, was_busy in enumerate(busy):
        if not was_busy:
            continue
        end = end_ns(slot, started_at[slot])
        busy[slot] = False
        if end >= started_at[slot]:
            if buffer.count == len(buffer.starts):
                buffer.count = buffer.when_full(buffer.count)
            buffer.starts[buffer.count] = started_at[slot]
            buffer.ends[buffer.count] = end
            buffer.count += 1


class ThreadedRun:
    """N runner threads, each looping on its own session (for engines whose async adds no concurrency).

    A shared ticket counter (``itertools.count``, atomic under the GIL) makes the iteration minimum exact.
    """

    def __init__(self, sessions: Sequence[Session], clock: Clock, min_iterations: int, min_duration_ns: int,
                 buffers: Sequence[SampleBuffer], progress: array,  # type: ignore[type-arg]
                 errors: array | None = None, checkpoint: Checkpoint | None = None,  # type: ignore[type-arg]
                 pace: Callable[[], None] | None = None) -> None:
        self._sessions = sessions
        self._pace = pace
        self._clock = clock
        self._min_iterations = min_iterations
        self._min_duration_ns = min_duration_ns
        self._buffers = buffers
        self._progress = progress
        self._errors = errors
        self._checkpoint = checkpoint
        self._halt = False
        self.error: BaseException | None = None

    def run(self, wait: Callable[[list[threading.Event]], None]) -> None:
        """Start the workers and let ``wait`` wait for them (so the caller stays interruptible).

        Completion is signalled with events, not ``Thread.join``: a KeyboardInterrupt that lands inside
        ``join`` can leave the thread looking finished while it still runs (CPython).
        """
        tickets = itertools.count()
        deadline = self._clock() + self._min_duration_ns
        finished = [threading.Event() for _ in self._sessions]
        worker = self._worker_checked if self._errors is not None or self._pace is not None else self._worker
        threads = [
            threading.Thread(target=worker, args=(index, tickets, deadline, finished[index]), daemon=True,
                             name=f"infermeter-request-{index}")
            for index in range(len(self._sessions))
        ]
        for thread in threads:
            thread.start()
        try:
            wait(finished)
        finally:
            self._halt = True
            for event in finished:
                event.wait()
            for thread in threads:
                thread.join()
        if self.error is not None:
            raise self.error

    def _worker(self, index: int, tickets: itertools.count[int], deadline: int, finished: threading.Event) -> None:
        """The fast path (no pacing, failures raise), with chained stamps like ``run_sync``; ``halt`` is looked
        at between batches, which come about every ``Recorder.PUBLISH_NS``."""
        infer = self._sessions[index].infer
        clock = self._clock
        min_iterations = self._min_iterations
        checkpoint = self._checkpoint
        workers = len(self._sessions)
        recorder = Recorder(self._buffers[index], self._progress, index, checkpoint,
                            checkpoint.next_at // workers if checkpoint is not None else NEVER, clock(), workers,
                            chained=True)
        stamps = recorder.stamps
        next_at = recorder.next_at
        k = 0
        try:
            t = stamps[0] = clock()
            while True:  # the hot loop: a ticket, the call, one clock read, one list store, an add, two comparisons
                ticket = next(tickets)
                if t >= deadline and ticket >= min_iterations:
                    return
                infer()
                t = clock()
                k += 1
                stamps[k] = t
                if k >= next_at:
                    recorder.flush(k, t)
                    k = 0
                    if recorder.stop or self._halt:
                        self._halt = True
                        return
                    next_at = recorder.next_at
                    t = stamps[0] = clock()
        except BaseException as error:  # surfaces in run(); the other workers stop at their next batch
            self.error = error
            self._halt = True
        finally:
            recorder.finish(k)
            finished.set()

    def _worker_checked(self, index: int, tickets: itertools.count[int], deadline: int,
                        finished: threading.Event) -> None:
        """A worker with pacing, or with failures counted instead of raised."""
        infer = self._sessions[index].infer
        clock = self._clock
        buffer = self._buffers[index]
        starts, ends = buffer.starts, buffer.ends
        capacity = len(starts)
        progress = self._progress
        min_iterations = self._min_iterations
        checkpoint = self._checkpoint
        workers = len(self._sessions)
        check_at = checkpoint.next_at // workers if checkpoint is not None else NEVER
        pace = self._pace
        n = 0
        try:
            while not self._halt:
                ticket = next(tickets)
                if pace is not None:
                    pace()
                t0 = clock()
                if ticket >= min_iterations and t0 >= deadline:
                    return
                try:
                    infer()
                except Exception:
                    if self._errors is None:
                        raise
                    self._errors[index] += 1
                    continue
                t1 = clock()
                starts[n] = t0
                ends[n] = t1
                n += 1
                progress[index] = n
                if n == capacity:
                    n = buffer.when_full(n)
                    capacity = len(starts)
                if n >= check_at:
                    assert checkpoint is not None
                    if checkpoint():
                        self._halt = True
                        return
                    check_at = n + max(1, checkpoint.step // workers)
        except BaseException as error:  # surfaces in run(); the other workers stop at their next request
            self.error = error
            self._halt = True
        finally:
            buffer.count = n
            finished.set()
