"""MLPerf's Offline: every request is issued at once and the engine works through them with its requests in
flight; the headline is items/s. It runs the throughput scenario's closed loop over the queue of all requests
(the harness holds it, so the engine sees exactly ``-nireq`` at a time) and reports each request as LoadGen
does: issued at the first start, so its latency is its completion time from then, split into queue delay
(waiting to be handed to the engine) and service."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from ..analysis.checks import window_variance
from ..config.load import Load
from ..results.run import RunResult
from . import timed
from .base import Check, TimedFacts
from .throughput import ThroughputScenario


class OfflineScenario(ThroughputScenario):
    name = "offline"
    headline = "throughput"
    interleaving: ClassVar[str | None] = None  # all requests issued at once: compared in rounds only
    checks: ClassVar[tuple[Check, ...]] = (window_variance,)

    def finish(self, run: RunResult, load: Load) -> RunResult:
        if not run.count:
            return run
        first = np.full(run.count, int(run.start_ns.min()), dtype=np.int64)
        return dataclasses.replace(run, start_ns=first, issued_ns=first.copy(), started_ns=run.start_ns)

    def timed(self, facts: TimedFacts) -> str:
        return ("offline: every request issued at once (at the first start) and handed to the engine "
                f"{facts.requests} at a time as earlier ones complete; latency = completion − that issue time, "
                "queue delay = until handed to the engine, service = handed over → completion "
                f"({_service(facts)}); {timed.THROUGHPUT}; {timed.setup(facts)}.")


def _service(facts: TimedFacts) -> str:
    if "runner threads" in facts.async_mode or facts.input_sets > 0:
        return f"one blocking run call in one of {facts.requests} runner threads, {timed.stamps(facts)}"
    return "submission to completion inside the engine's async queue"
