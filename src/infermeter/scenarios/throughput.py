"""The throughput scenario (benchmark_app ``-api async``): N requests kept in flight, closed loop.

The engine's own async queue is used when it has one that adds concurrency (OpenVINO's AsyncInferQueue, the
fake engine's virtual requests); otherwise, and whenever the inputs vary from request to request, N runner
threads each loop on a session of their own that shares the compiled model.
"""

from __future__ import annotations

from typing import ClassVar

from ..analysis.checks import queueing, window_variance
from ..clock import FakeClock
from ..engines.base import RuntimeInfo
from . import timed
from .base import Check, Driver, Scenario, Setup, TimedFacts
from .drivers import AsyncDriver, ThreadsDriver, private_copy
from .feed import CyclingSession

RUNNER_THREADS = "runner threads"


class ThroughputScenario(Scenario):
    name = "throughput"
    api = "async"
    headline = "throughput"
    goal = "throughput"
    interleaving: ClassVar[str | None] = "burst"
    checks: ClassVar[tuple[Check, ...]] = (window_variance, queueing)

    def requests_in_flight(self, requested: int | None, runtime: RuntimeInfo) -> int:
        return requested or runtime.default_requests or runtime.optimal_requests

    def driver(self, setup: Setup) -> Driver:
        compiled, feed, requests = setup.compiled, setup.feed, setup.requests
        if feed is not None and isinstance(setup.clock, FakeClock):
            # Racing runner threads cannot share a virtual clock deterministically; the fake engine ignores
            # input values, so its own virtual-parallel requests run the feed's first set (no per-shape stats).
            queue = compiled.create_async_session([private_copy(setup.inputs)] * requests)
            if queue is not None:
                return AsyncDriver(queue, setup.clock)
        if feed is not None:  # varying inputs: one cycling session per runner thread
            return ThreadsDriver([CyclingSession(compiled, feed) for _ in range(requests)], setup.clock)
        slot_inputs = [private_copy(setup.inputs) for _ in range(requests)]
        queue = compiled.create_async_session(slot_inputs)
        if queue is not None:
            return AsyncDriver(queue, setup.clock)
        return ThreadsDriver([compiled.create_session(inputs) for inputs in slot_inputs], setup.clock)

    def timed(self, facts: TimedFacts) -> str:
        threads = RUNNER_THREADS in facts.async_mode or facts.input_sets > 0  # varying inputs use threads
        if threads:
            latency = (f"latency = one blocking run call in one of {facts.requests} runner threads that share the "
                       f"model (includes waiting for a free core), {timed.stamps(facts)}")
        else:
            latency = ("latency = submission to completion, including queueing inside the engine "
                       f"with {facts.requests} requests in flight")
        return f"{latency}; {timed.THROUGHPUT}; {timed.setup(facts)}."
