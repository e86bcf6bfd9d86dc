"""Benchmark configuration: frozen dataclasses, built and validated in one place before any engine loads.

``build_config`` takes user-level values (as typed on the command line or passed to ``infermeter.benchmark``)
and either returns a ``BenchmarkConfig`` or raises ``UsageError`` / ``InputError`` with one line naming the
culprit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .errors import UsageError
from .options import (
    InputFile,
    ShapeOverride,
    non_negative_int,
    parse_choice,
    parse_dims,
    parse_duration,
    parse_fraction,
    parse_input_files,
    parse_shapes,
    positive_int,
)

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
COMPARE_METRICS = ("throughput", "median", "p10", "p90", "p95", "p99")


def headline_metric(scenario: str) -> str:
    """The number a scenario is about: median latency for one request at a time, else throughput."""
    return "median" if scenario == "latency" else "throughput"
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
    requests = positive_int("-nireq", nireq)
    if requests is not None and requests > MAX_REQUESTS:
        raise UsageError(f"-nireq {requests} is more than {MAX_REQUESTS} requests in flight")
    if requests is not None and scenario == "latency" and requests != 1:
        raise UsageError(f"-nireq {requests} needs -api async (sync runs one request at a time)")
    if not device.strip():
        raise UsageError("-d/--device is empty: give a device such as CPU")
    fake = _fake_spec(engine_name, fake_latency, fake_first_call, fake_fail_at)
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
        batch=positive_int("-b/--batch", batch),
        shapes=parse_shapes(shape),
        dims=parse_dims(dim),
        input_files=parse_input_files(inputs),
        seed=non_negative_int("--seed", seed),
        infer_precision=_precision(infer_precision),
        threads=positive_int("-nthreads", nthreads),
        on_error=parse_choice("--on-error", on_error, ("stop", "continue")),
        fake=fake,
    )


def _fake_spec(engine: str | None, latency: str, first_call: str | None, fail_at: int | str | None) -> FakeSpec:
    if engine != "fake" and (first_call or fail_at is not None):
        raise UsageError("--fake-first-call/--fake-fail-at apply to --engine fake only")
    return FakeSpec(
        latency=_fake_latency(latency),
        first_call_ns=parse_duration("--fake-first-call", first_call) if first_call else 0,
        fail_at=positive_int("--fake-fail-at", fail_at),
    )


def _engine_name(engine: str) -> str:
    from .engines import BUILTIN, available_engines

    name = engine.lower()
    if name in BUILTIN:  # no entry-point scan needed
        return name
    return parse_choice("-e/--engine", name, available_engines())


def _scenario_and_hint(api: str | None, hint: str | None) -> tuple[str, str | None]:
    hint_name = None
    if hint is not None:
        hint_name = parse_choice("-hint", HINT_ALIASES.get(hint.lower(), hint.lower()), HINTS)
    if api is None:
        scenario = "latency" if hint_name == "latency" else "throughput"
    else:
        scenario = SCENARIO_ALIASES.get(api.lower(), "")
        if not scenario:
            raise UsageError(f"-api {api!r} is not one of: sync, async (or latency, throughput)")
    return scenario, hint_name


def _stop_rule(niter: int | str | None, time: float | str | None) -> StopRule:
    iterations = non_negative_int("-niter", niter) if niter is not None else None
    duration = parse_duration("-t", time) if time is not None else None
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
    chosen = parse_choice("--precision-metric", metric.lower(), PRECISION_METRICS) if metric else (
        headline_metric(scenario))
    limit = parse_duration("--max-time", max_time) if max_time is not None else DEFAULT_MAX_TIME_NS
    minimum = rule.min_duration_ns if time_given else PRECISION_MIN_DURATION_NS
    if limit < minimum:
        raise UsageError(f"--max-time {limit / 1e9:g} s is shorter than the minimum measuring time "
                         f"({minimum / 1e9:g} s)")
    return StopRule(rule.min_iterations, minimum, target, chosen, limit)


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
    return Warmup(duration_ns=parse_duration("-w/--warmup", text))


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
