"""The open-loop loops: requests arrive on a schedule and wait in a FIFO queue for a free engine slot.

Each request gets four int-ns stamps: scheduled (the schedule's), issued (the generator handed it over),
started (an engine slot took it) and completed. Arrivals that find ``max_in_flight`` requests admitted and
not yet completed are dropped and counted, never delayed. Three loops, one behaviour:

- ``simulate``: the fake engine's virtual clock. An event-driven loop over the schedule and the engine's
  completions (``VirtualAsyncSession.peek_ns``); a completion at the same instant as an arrival comes first,
  so constant arrivals at exactly the service rate never queue. Exact and reproducible; issued = scheduled.
- ``run_inline``: one engine slot on a real clock. The issuing thread is the server: it sleeps until shortly
  before the next due time, spins the rest (``SPIN_NS``), stamps and runs the request. A request that comes
  due while the engine is busy is queued by the schedule itself (issued = scheduled) and started right after
  the request before it completes; the loop's bookkeeping between the two falls in its queue delay, not in
  any service time.
- ``ThreadedOpenLoop``: several slots on a real clock with ``--max-in-flight`` (without it, ``pulling``). One
  runner thread per slot pulls request numbers from a ``queue.SimpleQueue`` and stamps started/completed around
  its blocking call; the issuing thread only waits, stamps ``issued`` and admits (or drops) at each arrival, so
  it is off the measured path (its lateness is measured).

Per request nothing is allocated beyond the integers the clock returns: the stamps go into preallocated lists
(numpy arrays afterwards), nothing is formatted or logged.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..clock import Clock, FakeClock
from ..engines.base import VirtualAsyncSession

SPIN_NS = 1_000_000  # a waiting thread spins this long before a due time (on a VM a sleep overshoots by
# 0.1 ms typically and up to ~0.9 ms at p99, measured; the spin only ever runs on a core with no request on it)
SWITCH_INTERVAL_S = 2e-5  # while runner threads stamp completions, the GIL changes hands at least this often
NEVER = 1 << 62
MISSING = -1
PUBLISH_EVERY = 64  # completed count published for the progress monitor every so many requests


@dataclass(frozen=True)
class OpenLoopRecord:
    """The completed requests of one open-loop run, in schedule order (int64 ns, absolute clock values)."""

    scheduled: np.ndarray
    issued: np.ndarray
    started: np.ndarray
    completed: np.ndarray
    dropped: int
    offered: int  # requests the schedule held (completed, dropped, or cut off by an interrupt)

    @classmethod
    def of(cls, due: Sequence[int], issued: Sequence[int], started: Sequence[int], completed: Sequence[int],
           dropped: int) -> OpenLoopRecord:
        done = np.asarray(completed, dtype=np.int64)
        keep = done != MISSING
        return cls(np.asarray(due, dtype=np.int64)[keep], np.asarray(issued, dtype=np.int64)[keep],
                   np.asarray(started, dtype=np.int64)[keep], done[keep], dropped, len(due))


class _Admission:
    """--max-in-flight, decided at each arrival from the completions known by then (FIFO order is not assumed)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.dropped = 0

    def refuse(self, in_flight: int) -> bool:
        if self.limit is not None and in_flight >= self.limit:
            self.dropped += 1
            return True
        return False


Sink = Callable[[OpenLoopRecord], None]


def simulate(session: VirtualAsyncSession, clock: FakeClock, offsets: np.ndarray, max_in_flight: int | None,
             progress: array, keep: Sink) -> None:  # type: ignore[type-arg]
    """The schedule against the fake engine's slots in virtual time (see the module docstring). ``keep`` gets
    the record when the loop ends, also when it ends early (an interrupt, a failed request)."""
    idle = [session.next_idle() for _ in range(session.slots)][::-1]  # never-used slots: no time passes
    t0 = clock()
    due = (offsets + t0).tolist()
    n = len(due)
    started, completed = [MISSING] * n, [MISSING] * n
    serving = [MISSING] * session.slots
    waiting: list[int] = []
    head = in_flight = k = 0
    admission = _Admission(max_in_flight)
    try:
        while k < n or in_flight:
            arrival = due[k] if k < n else NEVER
            if session.peek_ns() <= arrival:  # a completion first: it frees a slot for a simultaneous arrival
                slot = session.next_idle()
                completed[serving[slot]] = session.end_ns(slot, 0)
                in_flight -= 1
                if head < len(waiting):
                    serving[slot] = request = waiting[head]
                    head += 1
                    started[request] = clock()
                    session.start(slot)
                else:
                    idle.append(slot)
                continue
            clock.advance_to(arrival)
            if not admission.refuse(in_flight):
                in_flight += 1
                if idle:
                    slot = idle.pop()
                    serving[slot] = k
                    started[k] = arrival
                    session.start(slot)
                else:
                    waiting.append(k)
            k += 1
    finally:
        session.wait_all()
        progress[0] = n - completed.count(MISSING)
        keep(OpenLoopRecord.of(due, due, started, completed, admission.dropped))


def wait_until(clock: Clock, due: int, sleep: Callable[[float], object] = time.sleep) -> int:
    """Sleep until ``SPIN_NS`` before ``due``, spin the rest; the first clock value at or past ``due``."""
    now = clock()
    if due - now > SPIN_NS:
        sleep((due - now - SPIN_NS) * 1e-9)
        now = clock()
    while now < due:
        now = clock()
    return now


def run_inline(infer: Callable[[], None], clock: Clock, offsets: np.ndarray, max_in_flight: int | None,
               progress: array, keep: Sink, lead_ns: int = 1_000_000) -> None:  # type: ignore[type-arg]
    """One engine slot, run by the issuing thread itself (see the module docstring)."""
    due = (offsets + (clock() + lead_ns)).tolist()
    n = len(due)
    issued, started, completed = list(due), [MISSING] * n, [MISSING] * n
    admission = _Admission(max_in_flight)
    try:
        if max_in_flight is None:
            _serve_all(infer, clock, due, issued, started, completed, progress)
        else:
            _serve_admitted(infer, clock, due, issued, started, completed, progress, admission)
    finally:
        progress[0] = n - completed.count(MISSING)
        keep(OpenLoopRecord.of(due, issued, started, completed, admission.dropped))


def _serve_all(infer: Callable[[], None], clock: Clock, due: list[int], issued: list[int], started: list[int],
               completed: list[int], progress: array) -> None:  # type: ignore[type-arg]
    """No admission limit: every request is served, in schedule order. One due after the previous request
    completed finds the engine idle and is issued at its time; one due before waited in the queue (issued =
    scheduled) and starts now. Per request: one comparison, two clock reads and the call."""
    last = MISSING
    for k in range(len(due)):
        if due[k] > last:
            issued[k] = wait_until(clock, due[k])
        started[k] = clock()
        infer()
        completed[k] = last = clock()
        if not k % PUBLISH_EVERY:
            progress[0] = k


def _serve_admitted(infer: Callable[[], None], clock: Clock, due: list[int], issued: list[int], started: list[int],
                    completed: list[int], progress: array, admission: _Admission) -> None:  # type: ignore[type-arg]
    """--max-in-flight: arrivals that find the limit admitted and not completed are dropped (a FIFO of the
    admitted: admitted[head:tail] wait, admitted[:head] were served)."""
    n = len(due)
    admitted = [0] * n
    head = tail = finished = k = 0
    while k < n or head < tail:
        if head == tail:  # idle: wait for the next arrival and issue it now
            now = wait_until(clock, due[k])
            issued[k] = now
            admitted[tail] = k
            tail += 1
            k += 1
        else:
            now = clock()
        while k < n and due[k] <= now:  # arrived while the engine was busy: queued by the schedule
            arrival = due[k]
            while finished < head and completed[admitted[finished]] <= arrival:
                finished += 1
            if not admission.refuse(tail - finished):
                admitted[tail] = k
                tail += 1
            k += 1
        request = admitted[head]
        head += 1
        started[request] = clock()
        infer()
        completed[request] = clock()
        if not head % PUBLISH_EVERY:
            progress[0] = head


class ThreadedOpenLoop:
    """Several engine slots: runner threads pull request numbers from a queue (see the module docstring)."""

    def __init__(self, infers: Sequence[Callable[[], None]], clock: Clock, offsets: np.ndarray,
                 max_in_flight: int | None, progress: array, keep: Sink,  # type: ignore[type-arg]
                 lead_ns: int = 1_000_000) -> None:
        self._infers = infers
        self._clock = clock
        self._offsets = offsets
        self._admission = _Admission(max_in_flight)
        self._progress = progress
        self._lead_ns = lead_ns
        self._keep = keep
        self._queue: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._done = [0] * len(infers)  # per runner: completed requests (each cell written by one thread)
        self._halt = False
        self.error: BaseException | None = None

    def run(self) -> None:
        n = len(self._offsets)
        self._started, self._completed = [MISSING] * n, [MISSING] * n
        finished = [threading.Event() for _ in self._infers]
        threads = [threading.Thread(target=self._runner, args=(index, finished[index]), daemon=True,
                                    name=f"infermeter-slot-{index}") for index in range(len(self._infers))]
        interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        for thread in threads:
            thread.start()
        due = (self._offsets + (self._clock() + self._lead_ns)).tolist()
        issued = list(due)
        try:
            self._issue(due, issued)
        except BaseException:
            self._halt = True  # requests still queued are not run
            raise
        finally:
            for _ in threads:
                self._queue.put(MISSING)
            for event in finished:
                while not event.wait(0.1):  # stays interruptible
                    pass
            sys.setswitchinterval(interval)
            self._progress[0] = sum(self._done)
            self._keep(OpenLoopRecord.of(due, issued, self._started, self._completed, self._admission.dropped))
        if self.error is not None:
            raise self.error

    def _issue(self, due: list[int], issued: list[int]) -> None:
        clock, put, done, admission = self._clock, self._queue.put, self._done, self._admission
        limited = admission.limit is not None
        admitted = 0
        for k, when in enumerate(due):
            now = wait_until(clock, when)
            if self._halt:
                return
            if limited and admission.refuse(admitted - sum(done)):
                continue
            issued[k] = now
            admitted += 1
            put(k)
            if not k % PUBLISH_EVERY:
                self._progress[0] = sum(done)

    def _runner(self, index: int, finished: threading.Event) -> None:
        infer, clock, get = self._infers[index], self._clock, self._queue.get
        started, completed, done = self._started, self._completed, self._done
        try:
            while True:
                request = get()
                if request < 0:
                    return
                if self._halt:
                    continue
                started[request] = clock()
                infer()
                completed[request] = clock()
                done[index] += 1
        except BaseException as error:  # surfaces in run(); the issuing thread stops at its next request
            self.error = error
            self._halt = True
        finally:
            finished.set()
