"""The server scenario (MLPerf LoadGen's Server): open loop, requests arrive on a schedule (``--qps``, ``--arrival``,
``--arrivals``) whether or not earlier ones finished, and queue for the engine's slots (``-nireq``, default the
engine's optimal number). Latency is measured from each request's scheduled time; see ``openloop`` for the
loops and ``arrivals`` for the schedule."""

from __future__ import annotations

from array import array

from ..analysis.load_checks import early_stopping, generator_late, offered_not_achieved, queue_growth
from ..clock import FakeClock
from ..engines.base import RuntimeInfo, Session, VirtualAsyncSession
from . import timed
from .arrivals import MEASURE_PHASE, WARMUP_PHASE, schedule
from .base import Driver, Pace, Scenario, Setup, TimedFacts
from .drivers import private_copy
from .feed import CyclingSession
from .openloop import SPIN_NS, OpenLoopRecord, ThreadedOpenLoop, run_inline, simulate
from .pulling import PullingOpenLoop
from .recording import SampleBuffer
from .stop import Stop


class ServerScenario(Scenario):
    name = "server"
    api = "async"
    headline = "p99"
    goal = "throughput"
    checks = (generator_late, offered_not_achieved, queue_growth, early_stopping(99.0))
    claim_percentile = 99.0

    def engine_goal(self, requested: int | None) -> str:
        """One engine slot (-nireq 1) runs one request at a time: tuned for latency, every core on it, as the
        closed-loop sync scenario is; several slots (the default) are tuned for throughput."""
        return "latency" if requested == 1 else self.goal

    def requests_in_flight(self, requested: int | None, runtime: RuntimeInfo) -> int:
        """Engine slots: -nireq, else one per request the engine runs at once (a second one per stream would
        wait inside the engine, where its wait would count as service)."""
        return requested or runtime.optimal_requests

    def driver(self, setup: Setup) -> Driver:
        if setup.load.loadgen is not None and not isinstance(setup.clock, FakeClock):
            from .loadgen import LoadGenDriver

            return LoadGenDriver(setup, setup.load.loadgen)
        return OpenLoopDriver(setup)

    def engine_async_mode(self, runtime: RuntimeInfo) -> str:
        return "open loop: scheduled requests queue for the engine slots"

    def timed(self, facts: TimedFacts) -> str:
        load = facts.load
        assert load is not None
        bound = (f"at most {load.max_in_flight} requests admitted and not completed, arrivals beyond are dropped "
                 "and counted" if load.max_in_flight is not None else "the queue is unbounded")
        return (f"open loop: {load.describe()} (seed {facts.seed}), each request issued at its scheduled time "
                "whether or not earlier ones finished; latency = completion − scheduled time (coordinated-omission "
                "safe) = queue delay (scheduled → an engine slot starts it) + service (start → completion, a clock "
                f"read just before and after the call); lateness = issue − scheduled; {_slots(facts)}; {bound}; "
                "achieved QPS = completed requests / (last completion − first scheduled time); "
                f"{timed.setup(facts)}, the warm-up at the same load.")


def _slots(facts: TimedFacts) -> str:
    if facts.load is not None and facts.load.loadgen is not None:
        return (f"MLPerf LoadGen schedules and issues the requests from its own thread (its logs in "
                f"{facts.load.loadgen}; it does not expose the scheduled times, so here latency is from its issue "
                f"and lateness is not known); {facts.requests} runner thread(s) take them from a queue")
    if facts.virtual:
        return (f"{facts.requests} engine slot(s) simulated event by event in virtual time (exact; issued = "
                "scheduled)")
    spin = f"sleeps until {SPIN_NS // 1000} µs before a due time and spins the rest"
    if facts.requests == 1:
        return (f"one engine slot, run by the issuing thread, which {spin}; a request due while the engine is "
                "busy waits in the queue (issued = scheduled) and starts when the one before it completes")
    if facts.load is not None and facts.load.max_in_flight is not None:
        return (f"{facts.requests} engine slots, each a runner thread that takes the next request from a queue; "
                f"the issuing thread {spin}, then only stamps and enqueues (or drops)")
    return (f"{facts.requests} engine slots, each a runner thread that, when free, takes the next request of the "
            f"schedule: if it is not due yet, the runner {spin} and issues it; if it is, it waited in the queue "
            "(issued = scheduled) and starts now")


class OpenLoopDriver:
    """Runs the schedule on the fake engine's virtual slots, on one slot inline, or on runner threads."""

    in_worker_order = False  # drops and several slots break "sample k used input set k % K"
    engine_queue = False  # per-request service is timed around blocking calls: no throughput credit

    def __init__(self, setup: Setup) -> None:
        self._setup = setup
        self._phase = WARMUP_PHASE
        self._record: OpenLoopRecord | None = None
        self._virtual: VirtualAsyncSession | None = None
        self._sessions: list[Session] = []
        compiled, feed, slots = setup.compiled, setup.feed, setup.requests
        if isinstance(setup.clock, FakeClock):
            queue = compiled.create_async_session([private_copy(setup.inputs)] * slots)
            if isinstance(queue, VirtualAsyncSession):
                self._virtual = queue
                return
        if feed is not None:
            self._sessions = [CyclingSession(compiled, feed) for _ in range(slots)]
        else:
            self._sessions = [setup.first_session, *(compiled.create_session(private_copy(setup.inputs))
                                                     for _ in range(slots - 1))]

    def buffers(self, min_requests: int, ring: bool) -> list[SampleBuffer]:
        return [SampleBuffer(ring=ring)]

    def restart(self) -> None:
        self._phase = MEASURE_PHASE
        for session in self._sessions:
            if isinstance(session, CyclingSession):
                session.reset()

    def record(self) -> OpenLoopRecord | None:
        return self._record

    def run(self, stop: Stop, buffers: list[SampleBuffer], progress: array[int], errors: array[int] | None,
            pace: Pace | None) -> None:
        setup = self._setup
        offsets = schedule(setup.load, setup.seed, self._phase, stop.requests, stop.duration_ns)
        limit = setup.load.max_in_flight

        def keep(record: OpenLoopRecord) -> None:
            self._record = record
            buffers[0].extend(record.scheduled, record.completed)

        if self._virtual is not None:
            assert isinstance(setup.clock, FakeClock)
            simulate(self._virtual, setup.clock, offsets, limit, progress, keep)
        elif len(self._sessions) == 1:
            run_inline(self._sessions[0].infer, setup.clock, offsets, limit, progress, keep)
        elif limit is None:
            PullingOpenLoop([session.infer for session in self._sessions], setup.clock, offsets, progress, keep).run()
        else:
            ThreadedOpenLoop([session.infer for session in self._sessions], setup.clock, offsets, limit, progress,
                             keep).run()
