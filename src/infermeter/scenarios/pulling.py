"""Several engine slots with no admission limit: each runner thread is a server that takes the next request of
the schedule itself (the multi-slot form of ``openloop.run_inline``).

A runner that finishes takes the lowest request number no runner has taken yet (``itertools.count``, atomic
under the GIL), which is a first-in-first-out queue in front of the slots. If that request is not due yet, the
runner is idle: it sleeps and spins until the due time and issues it then (issued = that clock read). If it is
already due, it waited in the queue while every slot was busy: issued = scheduled, and it starts now.

Why not an issuing thread that hands requests to the runners (``openloop.ThreadedOpenLoop``, still used with
``--max-in-flight``, which must decide at each arrival)? When every slot is busy, the engine's threads hold
every core, and a sleeping issuer waits for the scheduler to preempt one of them: milliseconds on 2 cores
(lateness p99 3.7 ms against a 57 ms ResNet-18 request, measured). Here, only an idle runner ever waits for a
due time, and an idle runner's core is free.
"""

from __future__ import annotations

import itertools
import sys
import threading
from array import array
from collections.abc import Callable, Sequence

import numpy as np

from ..clock import Clock
from .openloop import MISSING, SWITCH_INTERVAL_S, OpenLoopRecord, Sink, wait_until

POLL_S = 0.05  # the calling thread publishes progress this often while the runners work


class PullingOpenLoop:
    """Runner threads that take their requests from the schedule (see the module docstring)."""

    def __init__(self, infers: Sequence[Callable[[], None]], clock: Clock, offsets: np.ndarray,
                 progress: array, keep: Sink, lead_ns: int = 1_000_000) -> None:  # type: ignore[type-arg]
        self._infers = infers
        self._clock = clock
        self._offsets = offsets
        self._progress = progress
        self._keep = keep
        self._lead_ns = lead_ns
        self._done = [0] * len(infers)  # per runner: completed requests (each cell written by one thread)
        self._halt = threading.Event()  # set on an interrupt or a failed request; wakes sleeping runners
        self.error: BaseException | None = None

    def run(self) -> None:
        n = len(self._offsets)
        due = (self._offsets + (self._clock() + self._lead_ns)).tolist()
        issued, started, completed = list(due), [MISSING] * n, [MISSING] * n
        claim = itertools.count().__next__
        finished = [threading.Event() for _ in self._infers]
        threads = [threading.Thread(target=self._runner, daemon=True, name=f"infermeter-slot-{index}",
                                    args=(index, finished[index], claim, due, issued, started, completed))
                   for index in range(len(self._infers))]
        interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        try:
            for thread in threads:
                thread.start()
            for event in finished:
                while not event.wait(POLL_S):  # stays interruptible
                    self._progress[0] = sum(self._done)
        finally:
            self._halt.set()  # an interrupt: requests not yet taken are not run
            for event in finished:
                while not event.wait(POLL_S):
                    pass
            sys.setswitchinterval(interval)
            self._progress[0] = sum(self._done)
            self._keep(OpenLoopRecord.of(due, issued, started, completed, 0))
        if self.error is not None:
            raise self.error

    def _runner(self, index: int, finished: threading.Event, claim: Callable[[], int], due: list[int],
                issued: list[int], started: list[int], completed: list[int]) -> None:
        infer, clock, done, halt = self._infers[index], self._clock, self._done, self._halt
        sleep, halted = halt.wait, halt.is_set
        n = len(due)
        try:
            while not halted():
                k = claim()
                if k >= n:
                    return
                if due[k] > clock():  # idle until it arrives: issue it at its time
                    now = wait_until(clock, due[k], sleep)
                    if halted():
                        return
                    issued[k] = now
                started[k] = clock()
                infer()
                completed[k] = clock()
                done[index] += 1
        except BaseException as error:  # surfaces in run(); the other runners stop at their next request
            self.error = error
            halt.set()
        finally:
            finished.set()
