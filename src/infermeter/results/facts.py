"""What a report records besides the samples: the engine, the model, the machine. Frozen, typed records.

They are written with ``codec.to_data`` and read with ``codec.from_dict``; their field names are the JSON keys
(report schema 3, docs/results-schema.md). Fields that earlier releases did not write have defaults, so older
files load. Engine properties are a genuinely open set (whatever names an engine reports), so they are a
mapping, with typed values: ``PropertyValue``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TypeAlias

from .codec import OMIT_IF_NONE

PropertyValue: TypeAlias = str | int | float | bool | None
Dim: TypeAlias = int | str | None  # a model's declared dim: static size, symbolic name, or unknown


def number_or_text(text: str) -> str | int | float:
    """``"2"`` → 2 and ``"0.5"`` → 0.5: text that spells a number exactly as Python writes it (so ``str()`` of
    the number gives the text back); any other text as it is."""
    try:
        number = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return text
        return value if math.isfinite(value) and repr(value) == text else text
    return number if str(number) == text else text


# --- engine -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EngineFacts:
    """The engine and what it applied after compiling (read back, not echoed)."""

    name: str
    version: str
    why: str  # why this engine was chosen
    device: str
    precision: str
    precision_note: str
    hint: str | None = None
    requests_in_flight: int
    optimal_requests: int = 1
    streams: int | None = None
    threads: int | None = None
    async_mode: str = ""  # how requests were kept in flight, in words ("" in the latency scenario)
    choice_reason: str = ""
    properties: Mapping[str, PropertyValue] = field(default_factory=dict)  # as the engine reports them
    device_config: Mapping[str, Mapping[str, PropertyValue]] = field(default_factory=dict)  # -dump_config
    cache: str = ""  # -cdir: what the model cache did, in words
    frontend: str = ""  # what read the model file (e.g. "openvino tflite frontend (...)", "torch.jit.load ...")


# --- model --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FlopsPerRequest:
    """Work of one request at the shapes measured."""

    macs: int
    flops: int
    by_op: Mapping[str, int] = field(default_factory=dict)  # MACs per op type
    uncounted: tuple[str, ...] = ()  # op types with nodes that could not be counted


@dataclass(frozen=True, kw_only=True)
class InputFacts:
    name: str
    dtype: str
    model_dims: tuple[Dim, ...] | None = None  # as the model declares them; None = rank unknown
    shape: tuple[int, ...]  # as measured
    fill: str  # what the data is, in words
    bytes: int | None = None


@dataclass(frozen=True, kw_only=True)
class ModelFacts:
    flops_per_request: FlopsPerRequest | None = None
    input_sets: int = 1
    full_mode: bool = False  # inputs copied inside the timed call (-inference_only false)
    shape_groups: tuple[str, ...] = ()  # -data_shape labels, when there are several
    ref: str  # as given: a path or zoo:NAME
    path: str | None = None
    zoo: str | None = None
    format: str
    batch: int
    batch_origin: str = ""
    inputs: tuple[InputFacts, ...]


# --- machine ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ClockFacts:
    name: str
    implementation: str
    resolution_ns: int
    read_cost_ns: int


@dataclass(frozen=True)
class Peak:
    """The FP32 ceiling ``infermeter peak`` measured (numpy sgemm on all usable cores)."""

    gflops: float  # 2·n³ / best time
    threads: int
    size: int
    runs: int
    cpu: str
    numpy: str
    measured_utc: str


@dataclass(frozen=True)
class CpuUsage:
    """CPU time spent during one run: by this process, by the whole machine, and stolen by the hypervisor."""

    wall_ns: int
    own_cpu_ns: int
    system_busy_ns: int
    steal_ns: int
    cpus: int

    @property
    def foreign_cores(self) -> float:
        """Cores' worth of CPU that other processes used, on average over the run."""
        return max(0, self.system_busy_ns - self.own_cpu_ns) / self.wall_ns if self.wall_ns > 0 else 0.0

    @property
    def steal_cores(self) -> float:
        return self.steal_ns / self.wall_ns if self.wall_ns > 0 else 0.0

    def to_dict(self) -> dict[str, float]:
        """The five counts and the two derived shares (``from_dict`` recomputes those)."""
        return {**asdict(self), "foreign_cores": self.foreign_cores, "steal_cores": self.steal_cores}


@dataclass(frozen=True, kw_only=True)
class MachineFacts:
    """The machine a run happened on (``machine.environment.collect``); None where a value could not be read.
    Empty (all None) in the report shown before measuring starts."""

    hostname: str | None = None
    os: str | None = None
    kernel: str | None = None
    python: str | None = None
    python_implementation: str | None = None
    numpy: str | None = None
    cpu_model: str | None = None
    cpu_flags: tuple[str, ...] = ()  # the ones that matter for inference kernels
    logical_cpus: int | None = None
    usable_cpus: int | None = None
    memory_bytes: int | None = None
    load_average: tuple[float, ...] | None = None
    engine_versions: Mapping[str, str] = field(default_factory=dict)
    argv0: str | None = None
    cpus_online: int | None = None
    cpu_mhz: float | None = None
    cpu_governor: str | None = None
    cpu_boost: bool | None = None
    memory_available_bytes: int | None = None
    cpu_quota_cores: float | None = None
    container: str | None = None
    virtualization: str | None = None
    clock: ClockFacts | None = None
    fp32_peak: Peak | None = field(default=None, metadata=OMIT_IF_NONE)  # from the peak cache, when measured
