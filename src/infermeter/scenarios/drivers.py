"""The three ways a closed-loop scenario drives a compiled model: one session in the calling thread, the
engine's own async queue driven from the calling thread, or one runner thread per request in flight."""

from __future__ import annotations

import threading
from array import array
from collections.abc import Mapping, Sequence

import numpy as np

from ..clock import Clock
from ..engines.base import AsyncSession, Session
from .base import Pace
from .feed import CyclingSession
from .loops import ThreadedRun, run_async, run_sync
from .recording import SampleBuffer, capacity_for
from .stop import Stop


class SyncDriver:
    """One request at a time on one session (``run_sync``)."""

    in_worker_order = True
    engine_queue = False

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self._clock = clock

    def buffers(self, min_requests: int, ring: bool) -> list[SampleBuffer]:
        return [SampleBuffer(capacity_for(min_requests, 1), ring)]

    def restart(self) -> None:
        _restart([self.session])

    def run(self, stop: Stop, buffers: list[SampleBuffer], progress: array[int], errors: array[int] | None,
            pace: Pace | None) -> None:
        run_sync(self.session, self._clock, stop, buffers[0], progress, errors, pace)


class AsyncDriver:
    """The engine's async queue with a fixed number of slots, driven from this thread (``run_async``)."""

    in_worker_order = False  # completions interleave: a sample's input set is not known from its position
    engine_queue = True

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self._clock = clock

    def buffers(self, min_requests: int, ring: bool) -> list[SampleBuffer]:
        return [SampleBuffer(capacity_for(min_requests, self.session.slots), ring)]

    def restart(self) -> None:
        return None

    def run(self, stop: Stop, buffers: list[SampleBuffer], progress: array[int], errors: array[int] | None,
            pace: Pace | None) -> None:
        run_async(self.session, self._clock, stop, buffers[0], progress, errors, pace)


class ThreadsDriver:
    """One runner thread per request in flight, each looping on its own session (``ThreadedRun``)."""

    in_worker_order = True
    engine_queue = False

    def __init__(self, sessions: Sequence[Session], clock: Clock) -> None:
        self.sessions = sessions
        self._clock = clock

    def buffers(self, min_requests: int, ring: bool) -> list[SampleBuffer]:
        share = capacity_for(min_requests // max(len(self.sessions), 1), 1)
        return [SampleBuffer(share, ring) for _ in self.sessions]

    def restart(self) -> None:
        _restart(self.sessions)

    def run(self, stop: Stop, buffers: list[SampleBuffer], progress: array[int], errors: array[int] | None,
            pace: Pace | None) -> None:
        ThreadedRun(self.sessions, self._clock, stop, buffers, progress, errors, pace).run(join_interruptibly)


def join_interruptibly(finished: list[threading.Event]) -> None:
    """Wait with a timeout so the main thread keeps receiving KeyboardInterrupt."""
    for event in finished:
        while not event.wait(0.1):
            pass


def private_copy(inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Inputs of one request slot of its own (requests in flight never share a buffer)."""
    return {name: array_.copy() for name, array_ in inputs.items()}


def _restart(sessions: Sequence[Session]) -> None:
    for session in sessions:
        if isinstance(session, CyclingSession):
            session.reset()  # request k of each worker is fed set k % K: per-shape statistics rely on it
