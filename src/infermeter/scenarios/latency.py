"""The latency scenario (benchmark_app ``-api sync``): one request at a time, on one session."""

from __future__ import annotations

from typing import ClassVar

from ..analysis.checks import latency_variance
from ..engines.base import RuntimeInfo
from . import timed
from .base import Check, Driver, Scenario, Setup, TimedFacts
from .drivers import SyncDriver
from .feed import CyclingSession


class LatencyScenario(Scenario):
    name = "latency"
    api = "sync"
    headline = "median"
    goal = "latency"
    interleaving: ClassVar[str | None] = "request"
    checks: ClassVar[tuple[Check, ...]] = (latency_variance,)

    def requests_in_flight(self, requested: int | None, runtime: RuntimeInfo) -> int:
        return 1

    def driver(self, setup: Setup) -> Driver:
        session = CyclingSession(setup.compiled, setup.feed) if setup.feed is not None else setup.first_session
        return SyncDriver(session, setup.clock)

    def timed(self, facts: TimedFacts) -> str:
        return (f"latency = one blocking infer call, {timed.stamps(facts)}; one request at a time; "
                f"{timed.THROUGHPUT}; {timed.setup(facts)}.")

    def engine_async_mode(self, runtime: RuntimeInfo) -> str:
        return ""
