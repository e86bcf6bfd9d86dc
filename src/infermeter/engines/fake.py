"""A deterministic engine on a virtual clock, so end-to-end tests can assert exact statistics.

It reads real model signatures (zoo entries, ONNX files, OpenVINO IR .xml) so shape resolution and input
generation are exercised for real, but "inference" only advances the virtual clock by a modelled latency:

  5ms                     constant
  cycle:1ms,2ms,3ms       call k takes the (k mod n)-th value
  lognormal:5ms,0.2       seeded lognormal with median 5 ms and sigma 0.2 (of the log)

plus a first-call penalty and a failure at call k. Calls are counted from 1 across the whole run (first
inference, warm-up and measurement alike).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..clock import FakeClock
from ..config.fakespec import parse_latency_spec
from ..errors import UsageError
from ..model.files import ModelRef, describe_model_file
from ..results.counters import LayerCounter
from .base import (
    AsyncSession,
    Clock,
    EngineInfo,
    EngineOptions,
    InputDescription,
    OutputDescription,
    RequestFailed,
    RuntimeInfo,
    Session,
)
from .sdk import FAKE_DETAIL

FAKE_OPTIMAL_REQUESTS = 2


class LatencyModel:
    """Latency in ns of call number k (1-based)."""

    def __init__(self, values_ns: list[int] | None = None, lognormal: tuple[int, float] | None = None,
                 seed: int = 0) -> None:
        self._values = values_ns or []
        self._lognormal = lognormal
        self._rng = np.random.default_rng(seed)

    def __call__(self, call_index: int) -> int:
        if self._lognormal is not None:
            median_ns, sigma = self._lognormal
            return max(1, round(median_ns * float(np.exp(sigma * self._rng.standard_normal()))))
        return self._values[(call_index - 1) % len(self._values)]


def parse_latency_model(spec: str, seed: int) -> LatencyModel:
    """Parse ``5ms`` / ``cycle:1ms,2ms`` / ``lognormal:5ms,0.2`` (grammar in config.fakespec); ValueError says why."""
    parsed = parse_latency_spec(spec)
    return LatencyModel(list(parsed.values_ns), parsed.lognormal, seed)


@dataclass
class _CallCounter:
    """Shared by every session of one compiled model so 'call k' means the k-th call of the run."""

    latency: LatencyModel
    first_call_ns: int
    fail_at: int | None
    calls: int = 0
    contention: float = 0.0  # each other request in flight adds this share of the latency (async only)

    def next_call(self) -> tuple[int, int]:
        self.calls += 1
        extra = self.first_call_ns if self.calls == 1 else 0
        return self.calls, self.latency(self.calls) + extra


class FakeSession:
    def __init__(self, counter: _CallCounter, clock: FakeClock) -> None:
        self._counter = counter
        self._clock = clock

    def infer(self) -> None:
        index, latency_ns = self._counter.next_call()
        if index == self._counter.fail_at:
            raise RequestFailed(index, f"fake engine: request failed at call {index} (--fake-fail-at)")
        self._clock.advance(latency_ns)


class FakeAsyncSession:
    """Every slot runs in parallel; completions come back in order of their virtual end time."""

    def __init__(self, counter: _CallCounter, clock: FakeClock, slots: int) -> None:
        self._counter = counter
        self._clock = clock
        self._slots = slots
        self._idle = list(range(slots - 1, -1, -1))  # popped from the end: slot 0 first
        self._pending: list[tuple[int, int, int, bool]] = []  # (end_ns, call_index, slot, failed)
        self._completed_ns = [0] * slots  # per slot: when its last request completed, -1 if it failed

    @property
    def slots(self) -> int:
        return self._slots

    def next_idle(self) -> int:
        if self._idle:
            return self._idle.pop()
        end_ns, index, slot, failed = heapq.heappop(self._pending)
        self._clock.advance_to(end_ns)
        if failed:
            self._completed_ns[slot] = -1
            raise RequestFailed(index, f"fake engine: request failed at call {index} (--fake-fail-at)", slot)
        self._completed_ns[slot] = end_ns
        return slot

    def end_ns(self, slot: int, submitted_ns: int) -> int:
        return self._completed_ns[slot]

    def start(self, slot: int) -> None:
        index, latency_ns = self._counter.next_call()
        if self._counter.contention:  # a constructed load curve: latency grows with requests in flight
            latency_ns = round(latency_ns * (1.0 + self._counter.contention * len(self._pending)))
        failed = index == self._counter.fail_at
        heapq.heappush(self._pending, (self._clock() + latency_ns, index, slot, failed))

    def wait_all(self) -> None:
        while self._pending:
            end_ns, _, slot, failed = heapq.heappop(self._pending)
            self._clock.advance_to(end_ns)
            self._completed_ns[slot] = -1 if failed else end_ns
        self._idle = list(range(self._slots - 1, -1, -1))


def _choice_reason(options: EngineOptions) -> str:
    if options.goal == "latency":
        return "fake engine: one request at a time"
    if options.requests:
        return f"fake engine: -nireq {options.requests}"
    return f"fake engine: {FAKE_OPTIMAL_REQUESTS} requests in flight unless -nireq is given"


class FakeCompiledModel:
    def __init__(self, counter: _CallCounter, clock: FakeClock, options: EngineOptions) -> None:
        self._counter = counter
        self._clock = clock
        hint = options.hint or options.goal
        self.runtime = RuntimeInfo(
            precision="none (fake engine)",
            optimal_requests=FAKE_OPTIMAL_REQUESTS,
            streams=None,
            threads=None,
            hint=hint,
            async_mode="virtual requests in parallel on a virtual clock",
            choice_reason=_choice_reason(options),
        )

    def create_session(self, inputs: Mapping[str, np.ndarray]) -> Session:
        return FakeSession(self._counter, self._clock)

    def finish(self) -> None:
        return None  # nothing to write

    def layer_counters(self) -> list[list[LayerCounter]]:
        return []  # the fake engine has no layers

    def create_async_session(self, slot_inputs: Sequence[Mapping[str, np.ndarray]]) -> AsyncSession | None:
        return FakeAsyncSession(self._counter, self._clock, len(slot_inputs))


class FakeModel:
    def __init__(self, inputs: list[InputDescription], outputs: list[OutputDescription],
                 clock: FakeClock, counter: _CallCounter) -> None:
        self.inputs = inputs
        self.outputs = outputs
        self._clock = clock
        self._counter = counter

    def reshape(self, shapes: Mapping[str, tuple[int | None, ...]]) -> None:
        return None

    def compile(self, options: EngineOptions) -> FakeCompiledModel:
        return FakeCompiledModel(self._counter, self._clock, options)


class FakeEngine:
    name = "fake"

    def __init__(self, latency: str = "1ms", first_call_ns: int = 0, fail_at: int | None = None,
                 seed: int = 0, contention: float = 0.0) -> None:
        try:
            model = parse_latency_model(latency, seed)
        except ValueError as error:
            raise UsageError(f"--fake-latency {latency!r}: {error}") from None
        self._counter = _CallCounter(model, first_call_ns, fail_at, contention=contention)

    def info(self, devices: bool = True) -> EngineInfo:
        return EngineInfo("fake", __version__, ("CPU",), FAKE_DETAIL)

    def check_device(self, device: str) -> None:
        if device.upper() != "CPU":
            raise UsageError(f"-d {device}: the fake engine has one device, CPU")

    def read(self, model: ModelRef, clock: Clock) -> FakeModel:
        if not isinstance(clock, FakeClock):
            raise UsageError("the fake engine runs on a virtual clock: pass clock=FakeClock() or none")
        inputs, outputs = describe_model(model)
        return FakeModel(inputs, outputs, clock, self._counter)


def describe_model(model: ModelRef) -> tuple[list[InputDescription], list[OutputDescription]]:
    if model.zoo is not None:
        return list(model.zoo.inputs), list(model.zoo.outputs)
    assert model.path is not None
    return describe_model_file(Path(model.path))
