"""The timed loops. They only measure: stamp, call, store two integers, check the stop rule.

Nothing in a loop allocates beyond the integers the clock returns, formats, logs or builds a dict. Samples
go into preallocated ``array('q')`` buffers that grow by half their size (rarely). Progress is published by
writing the completed count into a shared cell that a monitor thread reads at a low rate.

Stop rule: both limits are minimums. A request is started only while fewer than ``min_iterations`` have
been started or the clock is before the deadline; requests already in flight are always completed and
counted, so throughput's window ends at the last completion.
"""

from __future__ import annotations

import itertools
import threading
from array import array
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from ..clock import Clock
from ..engines.base import AsyncSession, RequestFailed, Session

INITIAL_CAPACITY = 4096
NEVER = 1 << 62


class Checkpoint(Protocol):
    """Asked by a loop, between two requests, once its completed count reaches ``next_at``: stop now?"""

    next_at: int
    step: int  # requests until the next checkpoint (loops that count per thread use a share of it)

    def __call__(self) -> bool: ...


class SampleBuffer:
    """Submission and completion times of finished requests (int64 ns).

    A ``ring`` buffer (warm-up) never grows: when full it starts over, so a long warm-up costs no memory.
    """

    def __init__(self, capacity: int = INITIAL_CAPACITY, ring: bool = False) -> None:
        self.starts = array("q", bytes(8 * max(capacity, 1)))
        self.ends = array("q", bytes(8 * max(capacity, 1)))
        self.count = 0
        self.ring = ring

    def when_full(self, n: int) -> int:
        """Called by a loop when ``n`` samples fill the buffer; returns where the loop writes next."""
        if self.ring:
            self.count = 0
            return 0
        self.count = n
        extra = bytes(8 * (len(self.starts) // 2 + 1))  # grow by 1.5x: less slack on very long runs
        self.starts.frombytes(extra)
        self.ends.frombytes(extra)
        return n

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact-size copies (the buffers keep spare capacity, which is freed with them)."""
        n = self.count
        starts = np.frombuffer(self.starts, dtype=np.int64, count=n).copy()
        ends = np.frombuffer(self.ends, dtype=np.int64, count=n).copy()
        return starts, ends


def capacity_for(min_iterations: int, slots: int) -> int:
    return max(INITIAL_CAPACITY, min_iterations + slots)


def run_sync(session: Session, clock: Clock, min_iterations: int, min_duration_ns: int,
             buffer: SampleBuffer, progress: array, errors: array | None = None,  # type: ignore[type-arg]
             checkpoint: Checkpoint | None = None, pace: Callable[[], None] | None = None) -> None:
    """One request at a time; ``buffer.count`` is always up to date. ``pace`` (``-max_irate``) is called
    before each request's start is stamped.

    A failing request raises, unless ``errors`` is given (--on-error continue): then it is counted there,
    left out of the samples, and counts towards the iteration minimum as an attempt.
    """
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
    next_idle, start, done_ns = session.next_idle, session.start, session.completed_ns
    slots = session.slots
    busy = [False] * slots
    started_at = [0] * slots
    starts, ends = buffer.starts, buffer.ends
    capacity = len(starts)
    n = buffer.count
    submitted = 0
    check_at = checkpoint.next_at if checkpoint is not None else NEVER
    deadline = clock() + min_duration_ns
    try:
        while True:
            try:
                slot = next_idle()
            except RequestFailed as failure:
                if errors is None or failure.slot is None:
                    raise
                errors[0] += 1
                slot = failure.slot
                busy[slot] = False
            if busy[slot]:
                busy[slot] = False
                starts[n] = started_at[slot]
                ends[n] = done_ns[slot]
                n += 1
                progress[0] = n
                if n == capacity:
                    n = buffer.when_full(n)
                    capacity = len(starts)
                if n >= check_at:
                    assert checkpoint is not None
                    if checkpoint():
                        break
                    check_at = checkpoint.next_at
            if pace is not None:
                pace()
            now = clock()
            if submitted >= min_iterations and now >= deadline:
                break
            started_at[slot] = now
            start(slot, now)
            busy[slot] = True
            submitted += 1
    finally:
        buffer.count = n
        session.wait_all()
        _collect_in_flight(busy, started_at, done_ns, buffer)
        progress[0] = buffer.count


def _collect_in_flight(busy: list[bool], started_at: list[int], done_ns: Sequence[int],
                       buffer: SampleBuffer) -> None:
    for slot, was_busy in enumerate(busy):
        if was_busy and done_ns[slot] >= started_at[slot]:
            if buffer.count == len(buffer.starts):
                buffer.count = buffer.when_full(buffer.count)
            buffer.starts[buffer.count] = started_at[slot]
            buffer.ends[buffer.count] = done_ns[slot]
            buffer.count += 1
            busy[slot] = False


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
        threads = [
            threading.Thread(target=self._worker, args=(index, tickets, deadline, finished[index]), daemon=True,
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
