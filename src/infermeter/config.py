"""Benchmark configuration: frozen dataclasses, built and validated in one place before any engine loads.

``build_config`` takes user-level values (as typed on the command line or passed to ``infermeter.benchmark``)
and either returns a ``BenchmarkConfig`` or raises ``UsageError`` / ``InputError`` with one line naming the
culprit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, UsageError
from .units import parse_duration_ns

DEFAULT_DURATION_NS = 10_000_000_000
DEFAULT_WARMUP_NS = 1_000_000_000
SCENARIO_ALIASES = {
    "sync": "latency",
    "latency": "latency",
    "async": "throughput",
    "throughput": "throughput",
}
HINTS = ("latency", "throughput", "none")
MAX_REQUESTS = 1024
PRECISIONS = {"f32": "f32", "fp32": "f32", "float32": "f32", "f16": "f16", "fp16": "f16", "float16": "f16",
              "bf16": "bf16", "bfloat16": "bf16"}
HINT_ALIASES = {"tput": "throughput"}


PRECISION_METRICS = ("median", "p90", "p95", "p99", "throughput")
DEFAULT_MAX_TIME_NS = 60_000_000_000
PRECISION_MIN_DURATION_NS = 1_000_000_000


@dataclass(frozen=True)
class StopRule:
    """Both limits are minimums: measurement stops once every limit given is reached.

    With ``rel_precision`` (a fraction), measurement goes on past the minimums until the 95 % CI half-width
    of ``precision_metric`` is within ``rel_precision`` of its estimate, or ``max_duration_ns`` has passed.
    """

    min_iterations: int = 0
    min_duration_ns: int = 0
    rel_precision: float | None = None
    precision_metric: str = "median"
    max_duration_ns: int = 0

    def describe(self) -> str:
        parts = []
        if self.min_iterations:
            parts.append(f"{self.min_iterations} iterations")
        if self.min_duration_ns:
            parts.append(f"{self.min_duration_ns / 1e9:g} s")
        text = " and ".join(parts)
        if self.rel_precision is not None:
            text += (f", then until the {self.precision_metric} is known to ±{self.rel_precision:.2%} "
                     f"(at most {self.max_duration_ns / 1e9:g} s)")
        return text


@dataclass(frozen=True)
class Warmup:
    """Discarded runs of the scenario before measurement; at most one of the two is non-zero."""

    duration_ns: int = 0
    iterations: int = 0

    @property
    def enabled(self) -> bool:
        return self.duration_ns > 0 or self.iterations > 0

    def describe(self) -> str:
        if self.iterations:
            return f"{self.iterations} iterations"
        if self.duration_ns:
            return f"{self.duration_ns / 1e9:g} s"
        return "none"


@dataclass(frozen=True)
class ShapeOverride:
    """One entry of ``-shape``: ``input`` is None for an unnamed shape (applies to every input)."""

    input: str | None
    dims: tuple[int | None, ...]  # None = leave this dim to -b / --dim


@dataclass(frozen=True)
class InputFile:
    input: str | None  # None = match by content (.npz keys) or the model's only input
    path: Path


@dataclass(frozen=True)
class FakeSpec:
    latency: str = "1ms"
    first_call_ns: int = 0
    fail_at: int | None = None


@dataclass(frozen=True)
class BenchmarkConfig:
    model: str
    engine: str | None = None
    device: str = "CPU"
    scenario: str = "throughput"
    requests: int | None = None
    hint: str | None = None
    stop: StopRule = field(default_factory=lambda: StopRule(min_duration_ns=DEFAULT_DURATION_NS))
    warmup: Warmup = field(default_factory=lambda: Warmup(duration_ns=DEFAULT_WARMUP_NS))
    batch: int | None = None
    shapes: tuple[ShapeOverride, ...] = ()
    dims: Mapping[str, int] = field(default_factory=dict)
    input_files: tuple[InputFile, ...] = ()
    seed: int = 0
    infer_precision: str | None = None
    threads: int | None = None
    on_error: str = "stop"  # stop | continue
    fake: FakeSpec = field(default_factory=FakeSpec)


def build_config(
    model: str,
    *,
    engine: str | None = None,
    device: str = "CPU",
    api: str | None = None,
    nireq: int | str | None = None,
    hint: str | None = None,
    niter: int | str | None = None,
    time: float | str | None = None,
    warmup: float | str | None = None,
    no_warmup: bool = False,
    batch: int | str | None = None,
    shape: str | Iterable[str] | None = None,
    dim: str | Iterable[str] | Mapping[str, int] | None = None,
    inputs: str | Iterable[str] | None = None,
    seed: int | str = 0,
    infer_precision: str | None = None,
    nthreads: int | str | None = None,
    on_error: str = "stop",
    fake_latency: str = "1ms",
    fake_first_call: str | None = None,
    fake_fail_at: int | str | None = None,
    rel_precision: float | str | None = None,
    max_time: float | str | None = None,
    precision_metric: str | None = None,
) -> BenchmarkConfig:
    """Validate user-level option values into a ``BenchmarkConfig`` (the CLI and the API both call this)."""
    if not model:
        raise UsageError("no model given: pass MODEL (a .onnx or .xml file, or zoo:NAME)")
    engine_name = _engine_name(engine) if engine is not None else None
    scenario, hint_name = _scenario_and_hint(api, hint)
    requests = _positive_int("-nireq", nireq)
    if requests is not None and requests > MAX_REQUESTS:
        raise UsageError(f"-nireq {requests} is more than {MAX_REQUESTS} requests in flight")
    if requests is not None and scenario == "latency" and requests != 1:
        raise UsageError(f"-nireq {requests} needs -api async (sync runs one request at a time)")
    if not device.strip():
        raise UsageError("-d/--device is empty: give a device such as CPU")
    fake = FakeSpec(
        latency=_fake_latency(fake_latency),
        first_call_ns=_duration("--fake-first-call", fake_first_call) if fake_first_call else 0,
        fail_at=_positive_int("--fake-fail-at", fake_fail_at),
    )
    if engine_name != "fake" and (fake_first_call or fake_fail_at is not None):
        raise UsageError("--fake-first-call/--fake-fail-at apply to --engine fake only")
    return BenchmarkConfig(
        model=model,
        engine=engine_name,
        device=device.strip(),
        scenario=scenario,
        requests=requests,
        hint=hint_name,
        stop=_with_precision(_stop_rule(niter, time), scenario, rel_precision, max_time, precision_metric,
                             time_given=time is not None),
        warmup=_warmup(warmup, no_warmup),
        batch=_positive_int("-b/--batch", batch),
        shapes=parse_shapes(shape),
        dims=parse_dims(dim),
        input_files=parse_input_files(inputs),
        seed=_non_negative_int("--seed", seed),
        infer_precision=_precision(infer_precision),
        threads=_positive_int("-nthreads", nthreads),
        on_error=_choice("--on-error", on_error, ("stop", "continue")),
        fake=fake,
    )


def _engine_name(engine: str) -> str:
    from .engines import BUILTIN, available_engines

    name = engine.lower()
    if name in BUILTIN:  # no entry-point scan needed
        return name
    return _choice("-e/--engine", name, available_engines())


def _scenario_and_hint(api: str | None, hint: str | None) -> tuple[str, str | None]:
    hint_name = None
    if hint is not None:
        hint_name = _choice("-hint", HINT_ALIASES.get(hint.lower(), hint.lower()), HINTS)
    if api is None:
        scenario = "latency" if hint_name == "latency" else "throughput"
    else:
        scenario = SCENARIO_ALIASES.get(api.lower(), "")
        if not scenario:
            raise UsageError(f"-api {api!r} is not one of: sync, async (or latency, throughput)")
    return scenario, hint_name


def _stop_rule(niter: int | str | None, time: float | str | None) -> StopRule:
    iterations = _non_negative_int("-niter", niter) if niter is not None else None
    duration = _duration("-t", time) if time is not None else None
    if iterations == 0:
        raise UsageError("-niter 0 (compile only) is not supported; give -niter 1 or more")
    if duration == 0 and not iterations:
        raise UsageError("-t 0 measures nothing: give a positive -t or -niter")
    if iterations is None and duration is None:
        return StopRule(min_duration_ns=DEFAULT_DURATION_NS)
    return StopRule(min_iterations=iterations or 0, min_duration_ns=duration or 0)


def _with_precision(rule: StopRule, scenario: str, rel_precision: float | str | None, max_time: float | str | None,
                    metric: str | None, time_given: bool) -> StopRule:
    if rel_precision is None:
        if max_time is not None or metric is not None:
            flag = "--max-time" if max_time is not None else "--precision-metric"
            raise UsageError(f"{flag} only applies with --rel-precision (e.g. --rel-precision 1%)")
        return rule
    target = parse_fraction("--rel-precision", rel_precision)
    chosen = _choice("--precision-metric", metric.lower(), PRECISION_METRICS) if metric else (
        "median" if scenario == "latency" else "throughput")
    limit = _duration("--max-time", max_time) if max_time is not None else DEFAULT_MAX_TIME_NS
    minimum = rule.min_duration_ns if time_given else PRECISION_MIN_DURATION_NS
    if limit < minimum:
        raise UsageError(f"--max-time {limit / 1e9:g} s is shorter than the minimum measuring time "
                         f"({minimum / 1e9:g} s)")
    return StopRule(rule.min_iterations, minimum, target, chosen, limit)


def parse_fraction(flag: str, value: float | str) -> float:
    """``1%`` -> 0.01; ``0.01`` -> 0.01. A bare number of 1 or more is refused as ambiguous."""
    text = str(value).strip()
    try:
        number = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        raise UsageError(f"{flag} {value!r} is not a percentage such as 1% or 0.5%") from None
    if not text.endswith("%") and number >= 1:
        raise UsageError(f"{flag} {value!r} is ambiguous: write it as a percentage, e.g. {text}%")
    if not 0.0 < number < 1.0:
        raise UsageError(f"{flag} {value!r} must be between 0% and 100%")
    return number


def _warmup(value: float | str | None, disabled: bool) -> Warmup:
    if disabled:
        if value is not None:
            raise UsageError("-w/--warmup and --no-warmup contradict each other: keep one")
        return Warmup()
    if value is None:
        return Warmup(duration_ns=DEFAULT_WARMUP_NS)
    text = str(value).strip()
    match = re.fullmatch(r"(\d+)\s*(it|iter|iters|iterations|x)", text)
    if match:
        return Warmup(iterations=int(match.group(1)))
    return Warmup(duration_ns=_duration("-w/--warmup", text))


def parse_shapes(value: str | Iterable[str] | None) -> tuple[ShapeOverride, ...]:
    """``[1,3,224,224]`` or ``name[1,3,224,224],other[1,128]`` (OpenVINO's -shape syntax)."""
    overrides: list[ShapeOverride] = []
    for text in _as_list(value):
        rest = text.strip()
        while rest:
            match = re.match(r"\s*([^\[\]]*?)\s*\[([^\]]*)\]\s*(,|$)", rest)
            if not match:
                raise UsageError(f"-shape {text!r}: expected [1,3,224,224] or name[1,3,224,224],name2[...]")
            name = match.group(1) or None
            overrides.append(ShapeOverride(name, _shape_dims(text, name, match.group(2))))
            rest = rest[match.end() :]
    names = [o.input for o in overrides]
    if None in names and len(names) > 1:
        raise UsageError("-shape: an unnamed shape applies to every input; name each input instead")
    duplicates = {n for n in names if n is not None and names.count(n) > 1}
    if duplicates:
        raise UsageError(f"-shape gives input {sorted(duplicates)[0]!r} more than once")
    return tuple(overrides)


def _shape_dims(text: str, name: str | None, body: str) -> tuple[int | None, ...]:
    dims: list[int | None] = []
    for item in (part.strip() for part in body.split(",")) if body.strip() else ():
        if item in ("?", "-1"):
            dims.append(None)
        elif item.isdigit() and int(item) > 0:
            dims.append(int(item))
        else:
            target = f" for input {name!r}" if name else ""
            raise UsageError(f"-shape {text!r}: dim {item!r}{target} must be a positive integer or ?")
    return tuple(dims)


def parse_dims(value: str | Iterable[str] | Mapping[str, int] | None) -> dict[str, int]:
    """``--dim sequence=128`` (repeatable, or comma-separated): a value for every dim of that name.

    Zero is allowed (``--dim past_sequence_length=0`` for a first decoding step); batch dims are checked later.
    """
    if isinstance(value, Mapping):
        items = [f"{k}={v}" for k, v in value.items()]
    else:
        items = [part for text in _as_list(value) for part in text.split(",") if part.strip()]
    dims: dict[str, int] = {}
    for item in items:
        name, sep, number = item.rpartition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--dim {item!r}: expected NAME=SIZE, e.g. --dim sequence=128")
        size = _non_negative_int(f"--dim {name}", number.strip())  # 0 is real: an empty KV cache
        if name in dims and dims[name] != size:
            raise UsageError(f"--dim {name} is given twice with different sizes")
        dims[name] = size
    return dims


def parse_input_files(value: str | Iterable[str] | None) -> tuple[InputFile, ...]:
    """``-i file.npy``, ``-i name:file.npy``, several separated by spaces (repeat) or commas."""
    files: list[InputFile] = []
    for text in _as_list(value):
        for item in (part.strip() for part in text.split(",")):
            if item:
                files.append(_input_file(item))
    names = [f.input for f in files]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        name = sorted(duplicates, key=str)[0]
        what = f"input {name!r}" if name else "unnamed inputs"
        raise UsageError(f"-i gives {what} more than once")
    return tuple(files)


def _input_file(item: str) -> InputFile:
    path = Path(item)
    if path.exists():
        return InputFile(None, _checked_file(path))
    name, sep, file_part = item.rpartition(":")
    if sep and name and file_part:
        return InputFile(name, _checked_file(Path(file_part)))
    raise InputError(f"-i {item!r}: file not found")


def _checked_file(path: Path) -> Path:
    if not path.exists():
        raise InputError(f"-i: file not found: {path}")
    if path.is_dir():
        raise InputError(f"-i: {path} is a folder; give .npy, .npz or .bin files")
    if path.suffix.lower() not in (".npy", ".npz", ".bin", ".raw"):
        raise InputError(f"-i: {path}: unsupported file type {path.suffix or '(none)'!r}; use .npy, .npz or .bin")
    return path


def _fake_latency(spec: str) -> str:
    from .engines.fake import parse_latency_model

    try:
        parse_latency_model(spec, seed=0)
    except ValueError as error:
        raise UsageError(f"--fake-latency {spec!r}: {error}") from None
    return spec


def _precision(value: str | None) -> str | None:
    if value is None:
        return None
    canonical = PRECISIONS.get(value.strip().lower())
    if canonical is None:
        raise UsageError(f"-infer_precision {value!r} is not one of: f32, f16, bf16")
    return canonical


def _as_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _choice(flag: str, value: str, allowed: Iterable[str]) -> str:
    options = tuple(allowed)
    if value not in options:
        raise UsageError(f"{flag} {value!r} is not one of: {', '.join(options)}")
    return value


def _parse_int(flag: str, value: int | str) -> int:
    if isinstance(value, bool):
        raise UsageError(f"{flag} expects an integer, got {value!r}")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise UsageError(f"{flag} expects an integer, got {value!r}") from None


def _positive_int(flag: str, value: int | str | None) -> int | None:
    if value is None:
        return None
    number = _parse_int(flag, value)
    if number < 1:
        raise UsageError(f"{flag} must be 1 or more, got {number}")
    return number


def _non_negative_int(flag: str, value: int | str) -> int:
    number = _parse_int(flag, value)
    if number < 0:
        raise UsageError(f"{flag} must be 0 or more, got {number}")
    return number


def _duration(flag: str, value: float | str) -> int:
    if isinstance(value, bool):
        raise UsageError(f"{flag} expects a duration, got {value!r}")
    if str(value).strip().startswith("-"):
        raise UsageError(f"{flag} must not be negative, got {value}")
    try:
        ns = parse_duration_ns(str(value))
    except ValueError as error:
        raise UsageError(f"{flag}: {error}") from None
    return ns
