"""What a scenario is: one type per way of loading the engine, declaring everything that depends on it.

A scenario says how many requests it keeps in flight, builds the ``Driver`` that runs its timed loop over a
compiled model, makes its stop rule, writes its own "what was timed" sentence and names the checks that
apply to it only. The runner (``runner.py``) does what all scenarios share: the first inference, warm-up,
interrupts and failures, CPU metering, merging samples into a ``RunResult``. Adding a scenario is a new
module and one line in ``scenarios/__init__.py``; nothing else compares scenario names.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

import numpy as np

from ..clock import Clock
from ..config.benchmark import StopRule
from ..config.load import Load
from ..engines.base import CompiledModel, RuntimeInfo, Session
from ..inputs.feed import InputFeed
from .recording import Checkpoint, SampleBuffer
from .stop import Stop, stop_for

if TYPE_CHECKING:
    from ..analysis.checks import CheckContext
    from ..results.findings import Finding
    from ..results.run import RunResult
    from .openloop import OpenLoopRecord

Check = Callable[["RunResult", "CheckContext"], "Finding | None"]
Pace = Callable[[], None]


class Driver(Protocol):
    """A scenario's timed loop over sessions that are already created and bound."""

    @property
    def engine_queue(self) -> bool:
        """Requests wait in the engine's own async queue (so fewer may execute at once than are in flight)."""
        ...

    @property
    def in_worker_order(self) -> bool:
        """Each buffer holds one worker's requests in the order it fed its input sets (so the shape group of
        sample k is ``k % K``); false when completions interleave (an engine-driven async queue)."""
        ...

    def buffers(self, min_requests: int, ring: bool) -> list[SampleBuffer]:
        """Empty sample buffers for a run of at least ``min_requests`` (``ring``: warm-up, never grows)."""
        ...

    def restart(self) -> None:
        """Before measuring: input sets start over from the first, as they did in warm-up."""
        ...

    def run(self, stop: Stop, buffers: list[SampleBuffer], progress: array[int], errors: array[int] | None,
            pace: Pace | None) -> None:
        """Run the loop until ``stop`` says so; failures are counted in ``errors`` when given, else raised."""
        ...


@runtime_checkable
class RecordsOpenLoop(Protocol):
    """A driver whose requests were issued on a schedule: it has, besides the samples, when each was issued and
    started (``record`` is None before a run)."""

    def record(self) -> OpenLoopRecord | None: ...


@dataclass(frozen=True)
class Setup:
    """What a driver is built from."""

    compiled: CompiledModel
    inputs: Mapping[str, np.ndarray]
    feed: InputFeed | None
    requests: int
    clock: Clock
    first_session: Session  # created and run once (first inference) with ``inputs``
    load: Load = field(default_factory=Load)  # the offered load (server), samples per query (multistream)
    seed: int = 0  # --seed: the open-loop schedule is drawn from it


@dataclass(frozen=True)
class TimedFacts:
    """What a "what was timed" sentence depends on besides the scenario."""

    requests: int  # in flight
    async_mode: str  # how the engine keeps requests in flight, in words (RuntimeInfo.async_mode)
    warmup: str  # the warm-up, described
    two_stamps: bool  # a clock read before and after each call (pacing or failures counted), not chained
    max_rate: float | None = None  # -max_irate
    outputs_copied: bool = False  # ONNX Runtime without IO binding: each call copies its outputs out
    input_sets: int = 0  # input sets fed in turn (0: one set, bound once)
    copy_in: bool = False  # full mode: each call copies its sample into the bound inputs first
    load: Load | None = None  # the offered load (server), samples per query (multistream)
    seed: int = 0
    virtual: bool = False  # the fake engine's virtual clock


class Scenario(ABC):
    name: ClassVar[str]  # as written in reports: "latency", "throughput", ...
    api: ClassVar[str]  # the benchmark_app API it answers to: "sync" or "async"
    headline: ClassVar[str]  # the metric a one-line summary and a comparison lead with
    goal: ClassVar[str]  # what the engine is tuned for unless -hint says otherwise: "latency" or "throughput"
    checks: ClassVar[tuple[Check, ...]] = ()  # findings that apply to this scenario only
    claim_percentile: ClassVar[float | None] = None  # the percentile LoadGen's early stopping is asked about
    interleaving: ClassVar[str | None] = None  # request | burst: how finely it takes turns (None: rounds only)

    def engine_goal(self, requested: int | None) -> str:
        """What the engine is tuned for, given -nireq (``requested``), unless -hint says otherwise."""
        return self.goal

    @abstractmethod
    def requests_in_flight(self, requested: int | None, runtime: RuntimeInfo) -> int:
        """Requests kept in flight, from -nireq (``requested``) and what the compiled model prefers."""

    @abstractmethod
    def driver(self, setup: Setup) -> Driver: ...

    @abstractmethod
    def timed(self, facts: TimedFacts) -> str:
        """The sentence that says what the latency and throughput numbers include."""

    def engine_async_mode(self, runtime: RuntimeInfo) -> str:
        """How requests are kept in flight, as the report's engine facts state it ("" with one at a time)."""
        return runtime.async_mode

    def stop(self, rule: StopRule, checkpoint: Checkpoint | None) -> Stop:
        return stop_for(rule, checkpoint)

    def finish(self, run: RunResult, load: Load) -> RunResult:
        """The run as this scenario reports it (offline: every request issued at the first start)."""
        return run


class UnknownScenario(KeyError):
    pass


def registry(scenarios: Sequence[Scenario]) -> dict[str, Scenario]:
    found = {scenario.name: scenario for scenario in scenarios}
    if len(found) != len(scenarios):
        raise ValueError("two scenarios share a name")
    return found
