"""Engine protocols: what the runner needs from an inference engine, and nothing more.

An engine goes through four stages, each timed by the runner:
  read    -> ModelHandle      (model parsed; inputs described; nothing compiled)
  reshape -> (ModelHandle)    (static shapes applied where the engine supports it)
  compile -> CompiledModel    (ready to run; reports what it actually chose: precision, streams, threads)
  run     -> Session / AsyncSession (inputs bound once; each call allocates nothing new in Python)

Sync and async are separate protocols. The runner stamps every request with its own clock, for every
engine, so that numbers from different engines are comparable.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..config.tuning import Tuning
from ..model.io import Dim, InputDescription, OutputDescription  # in __all__: engine plugins import them here
from ..results.facts import PropertyValue, number_or_text

if TYPE_CHECKING:
    from ..model.files import ModelRef
    from ..results.counters import LayerCounter

Clock = Callable[[], int]


@dataclass(frozen=True)
class EngineOptions:
    """Everything an engine may be told. Values are already validated by the config layer."""

    device: str = "CPU"
    goal: str = "latency"  # what the scenario asks the engine to be tuned for: latency | throughput
    api_given: bool = False  # -api was on the command line (else the scenario is a default)
    hint: str | None = None  # latency | throughput | none ; None = the goal
    requests: int | None = None  # -nireq (with the throughput goal); None = the engine's optimal number
    infer_precision: str | None = None
    threads: int | None = None
    tuning: Tuning = field(default_factory=Tuning)


@dataclass(frozen=True)
class RuntimeInfo:
    """What the engine actually applied after compiling (read back, not echoed)."""

    precision: str
    precision_note: str = ""
    optimal_requests: int = 1
    default_requests: int | None = None  # in flight without -nireq (throughput); None = optimal_requests
    streams: int | None = None
    threads: int | None = None
    hint: str | None = None
    async_mode: str = ""  # how requests are kept in flight, in words
    choice_reason: str = ""  # why this layout was chosen
    properties: Mapping[str, PropertyValue] = field(default_factory=dict)  # values: see property_value
    device_config: Mapping[str, Mapping[str, PropertyValue]] = field(default_factory=dict)  # -dump_config
    cache: str = ""  # -cdir: what the model cache did, in words
    cached_compile_ns: int | None = None  # -cdir on a cold cache: a second compile, from the cache
    frontend: str = ""  # what read the model file, in words (e.g. OpenVINO's tflite frontend, torch.jit.load)


def property_value(value: str | int | float) -> PropertyValue:
    """An engine property as a report records it: a bool, int or float as it is; text that spells a number
    exactly (``"2"``, ``"0.5"``) as that number; other text as it is. Engines turn anything else (enums,
    element types, lists) into text first."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)  # an IntEnum member becomes its number
    if isinstance(value, float):
        return float(value)
    return number_or_text(str(value))


class Session(Protocol):
    """One request at a time. Inputs are bound before the first call."""

    def infer(self) -> None: ...


def call_scope(session: object) -> AbstractContextManager[object]:
    """What must hold around a session's calls in the thread that makes them, entered once per loop instead of
    once per call (pytorch: ``inference_mode`` and autocast). A session declares it with a ``scope()`` method
    returning a context manager; sessions without one need nothing."""
    scope = getattr(session, "scope", None)
    return scope() if scope is not None else contextlib.nullcontext()


class OutputsSession(Session, Protocol):
    """A session that can also hand back outputs (``infermeter verify`` and the agreement line of an A/B need it;
    an engine plugin without it can be benchmarked, not verified)."""

    def outputs(self) -> list[np.ndarray]:
        """The outputs of one more call on the bound inputs, as numpy copies, in the model's output order."""
        ...


class AsyncSession(Protocol):
    """A fixed number of request slots, driven by the runner from one thread.

    ``next_idle`` blocks until some slot is idle and returns it: first the never-used slots, then slots
    whose request completed; it raises ``RequestFailed`` if that request failed. The runner stamps the
    submission time, then calls ``start(slot)``. For a slot whose request completed (``next_idle`` returned
    it, or ``wait_all`` waited for it), ``end_ns(slot, submitted_ns)`` is its completion time on the runner's
    clock, or -1 if it failed. ``wait_all`` waits for every request in flight without raising.

    These are called once per request from the timed loop: implementations keep them to a few operations
    (OpenVINO's ``start`` is the C++ ``start_async`` itself).
    """

    @property
    def slots(self) -> int: ...

    def next_idle(self) -> int: ...

    def start(self, slot: int) -> None: ...

    def end_ns(self, slot: int, submitted_ns: int) -> int: ...

    def wait_all(self) -> None: ...


class CompiledModel(Protocol):
    runtime: RuntimeInfo  # what the engine actually applied, read back after compiling

    def create_session(self, inputs: Mapping[str, np.ndarray]) -> Session: ...

    def create_async_session(self, slot_inputs: Sequence[Mapping[str, np.ndarray]]) -> AsyncSession | None:
        """An engine-driven async session, or None when the engine prefers one runner thread per request."""
        ...

    def finish(self) -> None:
        """Called once after measurement (or right after compiling with -niter 0): OpenVINO then writes
        -exec_graph_path, so the saved graph carries execution times."""
        ...

    def layer_counters(self) -> list[list[LayerCounter]]:
        """Per-layer counters gathered so far (one list per request object or per run); [] unless
        ``tuning.perf_counts`` was set at compile time."""
        ...


class ModelHandle(Protocol):
    inputs: list[InputDescription]  # as declared by the model, before shapes are resolved
    outputs: list[OutputDescription]

    def reshape(self, shapes: Mapping[str, tuple[int | None, ...]]) -> None:
        """Static shapes to compile for; a None dim stays dynamic (several data shapes)."""
        ...

    def compile(self, options: EngineOptions) -> CompiledModel: ...


@dataclass(frozen=True)
class EngineInfo:
    name: str
    version: str
    devices: tuple[str, ...]
    detail: str = ""


class Engine(Protocol):
    name: str

    def info(self, devices: bool = True) -> EngineInfo:
        """Name and version; with ``devices``, also the devices found (for OpenVINO that loads every
        device plugin, tens of ms: a run does not ask, ``infermeter engines`` does)."""
        ...

    def check_device(self, device: str) -> None:
        """Raise UsageError (before anything is read) when the engine cannot use ``device``."""
        ...

    def read(self, model: ModelRef, clock: Clock) -> ModelHandle: ...


class RequestFailed(Exception):
    """An inference request raised inside the engine."""

    def __init__(self, call_index: int, message: str, slot: int | None = None) -> None:
        super().__init__(message)
        self.call_index = call_index
        self.slot = slot  # the async slot that is idle again, when known


__all__ = [
    "AsyncSession",
    "Clock",
    "CompiledModel",
    "Dim",
    "Engine",
    "EngineInfo",
    "EngineOptions",
    "InputDescription",
    "ModelHandle",
    "OutputDescription",
    "OutputsSession",
    "PropertyValue",
    "RequestFailed",
    "RuntimeInfo",
    "Session",
    "call_scope",
    "property_value",
]
