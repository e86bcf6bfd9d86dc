"""One side of an interleaved measurement: a compiled configuration that runs one unit at a time when told to.

A unit is one request (``--interleave request``: sync configurations, ``SyncSide.infer``) or a burst of
``size`` requests (``--interleave burst``): a sync configuration runs them one after another, an engine's
async queue keeps its slots busy until ``size`` have been started and then waits for all of them, and runner
threads share ``size`` tickets. A burst writes each request's submission and completion stamp into the lists
it is given, from index ``n``, and returns the next index; nothing in a burst allocates beyond the integers
the clock returns. Between bursts a side is idle (threads wait on a barrier), so only one side runs at a time.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from ..clock import Clock
from ..engines.base import AsyncSession, Session
from .base import Driver
from .drivers import AsyncDriver, SyncDriver, ThreadsDriver


class Side(Protocol):
    requests: int  # kept in flight within a burst

    def burst(self, size: int, clock: Clock, starts: list[int], ends: list[int], n: int) -> int: ...

    def close(self) -> None: ...


class SyncSide:
    """One request at a time; ``infer`` is the session's own call (the request-by-request loop calls it)."""

    requests = 1

    def __init__(self, session: Session) -> None:
        self.infer: Callable[[], None] = session.infer

    def burst(self, size: int, clock: Clock, starts: list[int], ends: list[int], n: int) -> int:
        infer = self.infer
        last = n + size
        t = clock()
        while n < last:  # chained stamps, as run_sync: one clock read ends a request and starts the next
            starts[n] = t
            infer()
            t = clock()
            ends[n] = t
            n += 1
        return n

    def close(self) -> None:
        return None


class QueueSide:
    """The engine's async queue: slots kept busy until ``size`` requests were started, then drained."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.requests = session.slots
        self._busy = [False] * session.slots
        self._started = [0] * session.slots

    def burst(self, size: int, clock: Clock, starts: list[int], ends: list[int], n: int) -> int:
        session, busy, started = self._session, self._busy, self._started
        next_idle, start, end_ns = session.next_idle, session.start, session.end_ns
        submitted = 0
        while submitted < size:
            slot = next_idle()
            if busy[slot]:
                began = started[slot]
                starts[n] = began
                ends[n] = end_ns(slot, began)
                n += 1
            started[slot] = clock()
            start(slot)
            busy[slot] = True
            submitted += 1
        return self._drain(starts, ends, n)

    def _drain(self, starts: list[int], ends: list[int], n: int) -> int:
        self._session.wait_all()
        for slot, was_busy in enumerate(self._busy):
            if was_busy:
                self._busy[slot] = False
                began = self._started[slot]
                end = self._session.end_ns(slot, began)
                if end >= began:  # -1: it failed
                    starts[n] = began
                    ends[n] = end
                    n += 1
        return n

    def close(self) -> None:
        self._session.wait_all()


class ThreadSide:
    """Runner threads, each on a session of its own; a burst releases them to share ``size`` tickets."""

    def __init__(self, sessions: Sequence[Session], clock: Clock) -> None:
        self.requests = len(sessions)
        self._infers = [session.infer for session in sessions]
        self._clock = clock
        self._go = threading.Barrier(len(sessions) + 1)
        self._done = threading.Barrier(len(sessions) + 1)
        self._tickets: itertools.count[int] = itertools.count()
        self._size = 0
        self._base = 0
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._closing = False
        self.error: BaseException | None = None
        self._threads = [threading.Thread(target=self._work, args=(index,), daemon=True,
                                          name=f"infermeter-burst-{index}") for index in range(len(sessions))]
        for thread in self._threads:
            thread.start()

    def burst(self, size: int, clock: Clock, starts: list[int], ends: list[int], n: int) -> int:
        self._tickets, self._size, self._base, self._starts, self._ends = itertools.count(), size, n, starts, ends
        try:
            self._go.wait()
            self._done.wait()
        except BaseException:  # KeyboardInterrupt in the wait: release the workers, they stop
            self._go.abort()
            self._done.abort()
            raise
        if self.error is not None:
            raise self.error
        return n + size

    def _work(self, index: int) -> None:
        infer, clock = self._infers[index], self._clock
        while True:
            try:
                self._go.wait()
            except threading.BrokenBarrierError:
                return
            if self._closing:
                return
            starts, ends, base, size, tickets = self._starts, self._ends, self._base, self._size, self._tickets
            try:
                ticket = next(tickets)
                while ticket < size:
                    began = clock()
                    infer()
                    ends[base + ticket] = clock()
                    starts[base + ticket] = began
                    ticket = next(tickets)
            except BaseException as error:  # surfaces in burst(); the burst still ends for everyone
                self.error = error
            try:
                self._done.wait()
            except threading.BrokenBarrierError:
                return

    def close(self) -> None:
        self._closing = True
        self._go.abort()
        self._done.abort()
        for thread in self._threads:
            while thread.is_alive():  # a timeout keeps the main thread receiving KeyboardInterrupt
                thread.join(0.1)


def side_of(driver: Driver, clock: Clock) -> Side:
    """The interleaving side that runs what a scenario's driver would run, on the same sessions."""
    if isinstance(driver, SyncDriver):
        return SyncSide(driver.session)
    if isinstance(driver, AsyncDriver):
        return QueueSide(driver.session)
    if isinstance(driver, ThreadsDriver):
        return ThreadSide(driver.sessions, clock)
    raise TypeError(f"no interleaving side for {type(driver).__name__}")
