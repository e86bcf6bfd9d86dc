"""The timed loops. They only measure: stamp, call, store, check the stop rule.

Nothing in a loop allocates beyond the integers the clock returns, formats, logs or builds a dict. Samples
go into preallocated Python lists that a ``Recorder`` moves into int64 buffers in batches (see
``recording``), which also publishes progress for a monitor thread that reads it at a low rate.

The one-at-a-time loops chain their stamps: one clock read per request, taken right after the call, is
both that request's end and the next one's start, so a request's latency also holds the loop's own
bookkeeping (a list store, an add and two comparisons: about 0.1 µs, measured in bench/harness_overhead.py).
A batch move re-reads the clock, so its cost falls between two requests, in no latency.

When to stop is the ``Stop`` object's to say (``stop``): a loop holds its ``deadline`` and a due count in
locals, compares them with the clock and its count (two integer comparisons per request) and asks the
``Stop`` only when one of them is reached.
"""

from __future__ import annotations

import itertools
import threading
from array import array
from collections.abc import Callable, Sequence

from ..clock import Clock
from ..engines.base import AsyncSession, RequestFailed, Session, call_scope
from .recording import NEVER, Recorder, SampleBuffer
from .stop import Stop


def run_sync(session: Session, clock: Clock, stop: Stop, buffer: SampleBuffer,
             progress: array, errors: array | None = None,  # type: ignore[type-arg]
             pace: Callable[[], None] | None = None) -> None:
    """One request at a time. ``pace`` (``-max_irate``) is called before each request's start is stamped.

    A failing request raises, unless ``errors`` is given (--on-error continue): then it is counted there,
    left out of the samples, and counts towards the request minimum as an attempt.
    """
    with call_scope(session):  # e.g. pytorch's inference_mode: entered once, not per call
        if errors is not None or pace is not None:
            _run_sync_checked(session, clock, stop, buffer, progress, errors, pace)
        else:
            _run_sync_fast(session, clock, stop, buffer, progress)


def _run_sync_fast(session: Session, clock: Clock, stop: Stop, buffer: SampleBuffer,
                   progress: array) -> None:  # type: ignore[type-arg]
    infer = session.infer
    checkpoint = stop.checkpoint
    recorder = Recorder(buffer, progress, 0, checkpoint, checkpoint.next_at if checkpoint else NEVER, clock(),
                        chained=True)
    stamps = recorder.stamps
    deadline = stop.begin(clock())
    k = 0
    stamps[0] = t = clock()
    more = stop.ask(0, t)
    if more < 0:
        return
    next_at = min(recorder.next_at, more)
    try:
        while True:  # the hot loop: the call, one clock read, one list store, an add, two comparisons
            infer()
            t = clock()
            k += 1
            stamps[k] = t
            if t >= deadline or k >= next_at:
                more = stop.ask(recorder.done + k, t)
                if more < 0:
                    return
                deadline = stop.deadline
                if k >= recorder.next_at:
                    recorder.flush(k, t)
                    k = 0
                    if recorder.stop:
                        return
                    stamps[0] = clock()  # the batch's bookkeeping is in no request's latency
                next_at = min(recorder.next_at, k + more)
    finally:
        recorder.finish(k)


def _run_sync_checked(session: Session, clock: Clock, stop: Stop, buffer: SampleBuffer,
                      progress: array, errors: array | None,  # type: ignore[type-arg]
                      pace: Callable[[], None] | None) -> None:
    """``run_sync`` with pacing or with failures counted instead of raised."""
    infer = session.infer
    n = buffer.count
    attempts = due = 0
    checkpoint = stop.checkpoint
    check_at = checkpoint.next_at if checkpoint is not None else NEVER
    deadline = stop.begin(clock())
    try:
        while True:
            now = clock()
            if now >= deadline or attempts >= due:  # asked before pacing: a pause never delays the end
                more = stop.ask(attempts, now)
                if more < 0:
                    return
                deadline, due = stop.deadline, attempts + more
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
                continue
            n = buffer.put(n, t0, clock())
            attempts += 1
            progress[0] = n
            if n >= check_at:
                assert checkpoint is not None
                if checkpoint():
                    return
                check_at = checkpoint.next_at
    finally:
        buffer.count = n


def run_async(session: AsyncSession, clock: Clock, stop: Stop, buffer: SampleBuffer,
              progress: array, errors: array | None = None,  # type: ignore[type-arg]
              pace: Callable[[], None] | None = None) -> None:
    """Keep every slot busy until the stop rule is met, then collect what is in flight.

    A failed request raises, unless ``errors`` is given: then it is counted and its slot reused.
    """
    next_idle, start, end_ns = session.next_idle, session.start, session.end_ns
    slots = session.slots
    busy = [False] * slots
    started_at = [0] * slots
    checkpoint = stop.checkpoint
    recorder = Recorder(buffer, progress, 0, checkpoint, checkpoint.next_at if checkpoint else NEVER, clock())
    starts, ends = recorder.starts, recorder.ends
    next_at = recorder.next_at
    k = submitted = due = 0
    checked = errors is not None or pace is not None
    deadline = stop.begin(clock())
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
            if now >= deadline or submitted >= due:
                more = stop.ask(submitted, now)
                if more < 0:
                    busy[slot] = False  # recorded above (or never used): not in flight
                    break
                deadline, due = stop.deadline, submitted + more
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

    def __init__(self, sessions: Sequence[Session], clock: Clock, stop: Stop, buffers: Sequence[SampleBuffer],
                 progress: array, errors: array | None = None,  # type: ignore[type-arg]
                 pace: Callable[[], None] | None = None) -> None:
        self._sessions = sessions
        self._pace = pace
        self._clock = clock
        self._stop = stop
        self._buffers = buffers
        self._progress = progress
        self._errors = errors
        self._checkpoint = stop.checkpoint
        self._halt = False
        self.error: BaseException | None = None

    def run(self, wait: Callable[[list[threading.Event]], None]) -> None:
        """Start the workers and let ``wait`` wait for them (so the caller stays interruptible).

        Completion is signalled with events, not ``Thread.join``: a KeyboardInterrupt that lands inside
        ``join`` can leave the thread looking finished while it still runs (CPython).
        """
        tickets = itertools.count()
        self._stop.begin(self._clock())
        finished = [threading.Event() for _ in self._sessions]
        worker = self._worker_checked if self._errors is not None or self._pace is not None else self._worker
        threads = [
            threading.Thread(target=worker, args=(index, tickets, finished[index]), daemon=True,
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

    def _worker(self, index: int, tickets: itertools.count[int], finished: threading.Event) -> None:
        with call_scope(self._sessions[index]):  # entered in this thread, once
            self._worker_fast(index, tickets, finished)

    def _worker_fast(self, index: int, tickets: itertools.count[int], finished: threading.Event) -> None:
        """The fast path (no pacing, failures raise), with chained stamps like ``run_sync``; ``halt`` is looked
        at between batches, which come about every ``Recorder.PUBLISH_NS``. A request's ticket is the number
        started before it by all workers, so the request minimum is exact."""
        infer = self._sessions[index].infer
        clock = self._clock
        stop = self._stop
        checkpoint = self._checkpoint
        workers = len(self._sessions)
        recorder = Recorder(self._buffers[index], self._progress, index, checkpoint,
                            checkpoint.next_at // workers if checkpoint is not None else NEVER, clock(), workers,
                            chained=True)
        stamps = recorder.stamps
        next_at = recorder.next_at
        deadline, due = stop.deadline, 0
        counted = stop.requests > 0  # a request minimum: tickets make it exact; a time-only run takes none
        k = ticket = 0
        try:
            t = stamps[0] = clock()
            while True:  # the hot loop: the call, one clock read, one list store, an add, three comparisons
                if counted:
                    ticket = next(tickets)
                if t >= deadline or ticket >= due:
                    more = stop.ask(ticket, t)
                    if more < 0:
                        return
                    deadline, due = stop.deadline, ticket + more
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

    def _worker_checked(self, index: int, tickets: itertools.count[int], finished: threading.Event) -> None:
        """A worker with pacing, or with failures counted instead of raised."""
        with call_scope(self._sessions[index]):
            self._worker_checked_body(index, tickets, finished)

    def _worker_checked_body(self, index: int, tickets: itertools.count[int], finished: threading.Event) -> None:
        infer = self._sessions[index].infer
        clock = self._clock
        buffer = self._buffers[index]
        progress = self._progress
        stop = self._stop
        checkpoint = self._checkpoint
        workers = len(self._sessions)
        check_at = checkpoint.next_at // workers if checkpoint is not None else NEVER
        pace = self._pace
        deadline, due = stop.deadline, 0
        n = 0
        try:
            while not self._halt:
                ticket = next(tickets)
                if pace is not None:
                    pace()
                t0 = clock()
                if t0 >= deadline or ticket >= due:
                    more = stop.ask(ticket, t0)
                    if more < 0:
                        return
                    deadline, due = stop.deadline, ticket + more
                try:
                    infer()
                except Exception:
                    if self._errors is None:
                        raise
                    self._errors[index] += 1
                    continue
                n = buffer.put(n, t0, clock())
                progress[index] = n
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
