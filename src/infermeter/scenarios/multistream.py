"""MLPerf's MultiStream: queries of ``--samples-per-query`` requests issued together, the next query when the
last sample of the one before completes; latency per query (issue → its last completion), headline p99, with
LoadGen's early-stopping check of that claim. Items per query = batch × samples per query."""

from __future__ import annotations

import dataclasses
import threading
from array import array
from collections.abc import Sequence

from ..analysis.load_checks import early_stopping
from ..clock import Clock
from ..config.load import Load
from ..engines.base import AsyncSession, RuntimeInfo, Session
from ..results.run import RunResult
from . import timed
from .base import Driver, Pace, Scenario, Setup, TimedFacts
from .drivers import private_copy
from .feed import CyclingSession
from .recording import SampleBuffer, capacity_for
from .stop import Stop


class MultiStreamScenario(Scenario):
    name = "multistream"
    api = "async"
    headline = "p99"
    goal = "throughput"
    checks = (early_stopping(99.0),)
    claim_percentile = 99.0

    def requests_in_flight(self, requested: int | None, runtime: RuntimeInfo) -> int:
        return requested or runtime.optimal_requests  # the config sets it to --samples-per-query

    def driver(self, setup: Setup) -> Driver:
        slots = [private_copy(setup.inputs) for _ in range(setup.requests)]
        queue = setup.compiled.create_async_session(slots) if setup.feed is None else None
        if queue is not None:
            return QueryDriver(AsyncQueries(queue, setup.clock))
        sessions = [CyclingSession(setup.compiled, setup.feed) if setup.feed is not None else
                    setup.compiled.create_session(inputs) for inputs in slots]
        return QueryDriver(ThreadQueries(sessions, setup.clock))

    def finish(self, run: RunResult, load: Load) -> RunResult:
        return dataclasses.replace(run, batch=run.batch * load.samples_per_query)

    def timed(self, facts: TimedFacts) -> str:
        how = ("started one after another on the engine's async queue, each completion timed by the engine"
               if "runner threads" not in facts.async_mode and facts.input_sets == 0 else
               "released together to one runner thread each (a barrier), each completion stamped by its thread")
        return (f"multistream: queries of {facts.requests} samples, {how}; latency = per query, from its issue to "
                "its last sample's completion; the next query is issued when the one before completes; throughput "
                f"= batch × samples per query × completed queries / (last completion − first issue); "
                f"{timed.setup(facts)}.")


class AsyncQueries:
    """One query = every slot of an async session started (each on the idle slot the session names), then all
    waited for; each sample's completion as the session times it."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session = session
        self._clock = self.clock = clock
        self._slots = [0] * session.slots
        self._stamps = [0] * session.slots

    def query(self) -> tuple[int, int]:
        session, clock, slots, stamps = self._session, self._clock, self._slots, self._stamps
        first = clock()
        for index in range(len(slots)):
            slots[index] = slot = session.next_idle()
            stamps[index] = clock()
            session.start(slot)
        session.wait_all()
        end = first
        for index, slot in enumerate(slots):
            end = max(end, session.end_ns(slot, stamps[index]))
        return first, end

    def close(self) -> None:
        self._session.wait_all()


class ThreadQueries:
    """One query = one blocking call in each of N runner threads, released together by a barrier."""

    def __init__(self, sessions: Sequence[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = self.clock = clock
        self._go = threading.Barrier(len(sessions) + 1)
        self._done = threading.Barrier(len(sessions) + 1)
        self._ends = [0] * len(sessions)
        self._halt = False
        self.error: BaseException | None = None
        self._threads = [threading.Thread(target=self._worker, args=(index,), daemon=True,
                                          name=f"infermeter-stream-{index}") for index in range(len(sessions))]
        for thread in self._threads:
            thread.start()

    def _worker(self, index: int) -> None:
        infer, clock = self._sessions[index].infer, self._clock
        try:
            while True:
                self._go.wait()
                if self._halt:
                    return
                try:
                    infer()
                except BaseException as error:
                    self.error = error
                self._ends[index] = clock()
                self._done.wait()
        except threading.BrokenBarrierError:
            return

    def query(self) -> tuple[int, int]:
        first = self._clock()
        self._go.wait()
        self._done.wait()
        if self.error is not None:
            raise self.error
        return first, max(self._ends)

    def close(self) -> None:
        self._halt = True
        self._go.abort()
        self._done.abort()
        for thread in self._threads:
            thread.join()


class QueryDriver:
    """Queries one after another until the stop rule (its counts are queries) says stop."""

    in_worker_order = False
    engine_queue = False  # per-request service is timed around blocking calls: no throughput credit

    def __init__(self, queries: AsyncQueries | ThreadQueries) -> None:
        self._queries = queries

    def buffers(self, min_requests: int, ring: bool) -> list[SampleBuffer]:
        return [SampleBuffer(capacity_for(min_requests, 1), ring)]

    def restart(self) -> None:
        return None

    def run(self, stop: Stop, buffers: list[SampleBuffer], progress: array[int], errors: array[int] | None,
            pace: Pace | None) -> None:
        buffer, clock, query = buffers[0], self._queries.clock, self._queries.query
        n = buffer.count
        issued = 0
        deadline, due = stop.begin(clock()), 0
        try:
            while True:
                now = clock()
                if now >= deadline or issued >= due:
                    more = stop.ask(issued, now)
                    if more < 0:
                        return
                    deadline, due = stop.deadline, issued + more
                start, end = query()
                issued += 1
                n = buffer.put(n, start, end)
                progress[0] = n
        finally:
            buffer.count = n
            if not buffer.ring:
                self._queries.close()
