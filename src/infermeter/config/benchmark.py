"""Benchmark configuration: frozen dataclasses, built and validated in one place before any engine loads.

``build_config`` takes user-level values (as typed on the command line or passed to ``infermeter.benchmark``)
and either returns a ``BenchmarkConfig`` or raises ``UsageError`` / ``InputError`` with one line naming the
culprit.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..errors import UsageError
from .load import Load, build_load, read_trace
from .output import OutputOptions
from .scenario import OPEN_LOOP, PER_QUERY, check_load_options, check_requests, parse_scenario
from .tuning import Tuning, parse_bool, parse_infer_precision
from .values import (
    InputFile,
    ShapeOverride,
    non_negative_int,
    parse_choice,
    parse_data_shapes,
    parse_dims,
    parse_duration,
    parse_fraction,
    parse_input_files,
    parse_positional_shapes,
    parse_shapes,
    positive_int,
)

DEFAULT_DURATION_NS = 10_000_000_000
DEFAULT_WARMUP_NS = 1_000_000_000
MAX_REQUESTS = 1024


PRECISION_METRICS = ("median", "p90", "p95", "p99", "throughput")
COMPARE_METRICS = ("throughput", "median", "p10", "p90", "p95", "p99")
DEFAULT_MAX_TIME_NS = 60_000_000_000
PRECISION_MIN_DURATION_NS = 1_000_000_000


@dataclass(frozen=True)
class StopRule:
    """Both limits are minimums: measurement stops once every limit given is reached.

    With ``rel_precision`` (a fraction), measurement goes on past the minimums until the 95 % CI half-width
    of ``precision_metric`` is within ``rel_precision`` of its estimate, or ``max_duration_ns`` has passed.
    ``precision_metric`` None: the scenario's headline (filled in when the run is prepared).
    """

    min_iterations: int = 0
    min_duration_ns: int = 0
    rel_precision: float | None = None
    precision_metric: str | None = None
    max_duration_ns: int = 0

    def describe(self) -> str:
        parts = []
        if self.min_iterations:
            parts.append(f"{self.min_iterations} iterations")
        if self.min_duration_ns:
            parts.append(f"{self.min_duration_ns / 1e9:g} s")
        text = " and ".join(parts)
        if self.rel_precision is not None:
            text += (f", then until the {self.precision_metric or 'headline'} is known to ±{self.rel_precision:.2%} "
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
    contention: float = 0.0
    stall_at: int | None = None  # --fake-stall K:TIME: call K takes TIME longer
    stall_ns: int = 0
    stream: int = 0  # added to the seed of the latency draws: the --vs model draws its own


@dataclass(frozen=True)
class BenchmarkConfig:
    model: str
    engine: str | None = None
    device: str = "CPU"
    scenario: str = "throughput"
    api_given: bool = False  # -api/-s was given (a -load_config PERFORMANCE_HINT stands only without it)
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
    tuning: Tuning = field(default_factory=Tuning)
    output: OutputOptions = field(default_factory=OutputOptions)
    data_shapes: tuple[tuple[ShapeOverride, ...], ...] = ()  # -data_shape: one group of shapes per entry
    positional_shapes: tuple[tuple[int, ...], ...] = ()  # deepsparse -shapes: one per input, in model order
    inference_only: bool | None = None  # False: inputs set inside the timed loop; None: True unless shapes vary
    max_rate: float | None = None  # -max_irate: cap on inferences started per second
    compile_only: bool = False  # -niter 0
    channel_order: str = "BGR"  # image inputs
    load: Load = field(default_factory=Load)  # --scenario server's offered load; multistream's samples per query

    @property
    def full_mode(self) -> bool:
        """Inputs are set inside the timed loop (benchmark_app's "full" mode)."""
        return self.inference_only is False or (self.inference_only is None and len(self.data_shapes) > 1)


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
    fake_contention: float | str | None = None,
    fake_stall: str | None = None,
    rel_precision: float | str | None = None,
    max_time: float | str | None = None,
    precision_metric: str | None = None,
    tuning: Tuning | None = None,
    output: OutputOptions | None = None,
    data_shape: str | Iterable[str] | None = None,
    shapes: str | None = None,
    inference_only: str | bool | None = None,
    max_irate: float | str | None = None,
    channel_order: str = "BGR",
    qps: float | str | None = None,
    arrival: str | None = None,
    arrivals: str | None = None,
    max_in_flight: int | str | None = None,
    samples_per_query: int | str | None = None,
    loadgen: str | None = None,
) -> BenchmarkConfig:
    """Validate user-level option values into a ``BenchmarkConfig`` (the CLI and the API both call this)."""
    if not model:
        raise UsageError("no model given: pass MODEL (a .onnx or .xml file, or zoo:NAME)")
    engine_name = _engine_name(engine) if engine is not None else None
    scenario, hint_name = parse_scenario(api, hint, open_loop=qps is not None or arrivals is not None)
    check_load_options(scenario, {"--qps": qps is not None, "--arrival": arrival is not None,
                                  "--arrivals": arrivals is not None, "--max-in-flight": max_in_flight is not None,
                                  "--samples-per-query": samples_per_query is not None,
                                  "--loadgen": loadgen is not None})
    if loadgen is not None and engine_name == "fake":
        raise UsageError("--loadgen runs in real time: not with the fake engine's virtual clock")
    load = build_load(qps, arrival, arrivals, max_in_flight, samples_per_query, loadgen)
    requests = _requests(scenario, positive_int("-nireq", nireq), load)
    check_requests(scenario, requests)
    if not device.strip():
        raise UsageError("-d/--device is empty: give a device such as CPU")
    fake = _fake_spec(engine_name, fake_latency, fake_first_call, fake_fail_at, fake_contention, fake_stall)
    stop = _with_precision(_stop_rule(niter, time), rel_precision, max_time, precision_metric,
                           time_given=time is not None)
    if scenario in OPEN_LOOP:
        stop = _open_loop_stop(stop, load, niter is not None or time is not None, rel_precision, max_irate, on_error)
    tuning = tuning or Tuning()
    if tuning.elastic != (api is not None and api.lower() == "elastic"):
        tuning = dataclasses.replace(tuning, elastic=api is not None and api.lower() == "elastic")
    output = output or OutputOptions()
    if output.wants_counters and not tuning.perf_counts:
        tuning = dataclasses.replace(tuning, perf_counts=True)
    return BenchmarkConfig(
        model=model,
        engine=engine_name,
        device=device.strip(),
        scenario=scenario,
        api_given=api is not None,
        requests=requests,
        hint=hint_name,
        stop=stop,
        warmup=_warmup(warmup, no_warmup),
        batch=positive_int("-b/--batch", batch),
        shapes=parse_shapes(shape),
        dims=parse_dims(dim),
        input_files=parse_input_files(inputs),
        seed=non_negative_int("--seed", seed),
        infer_precision=parse_infer_precision(infer_precision),
        threads=positive_int("-nthreads", nthreads),
        on_error=parse_choice("--on-error", on_error, ("stop", "continue")),
        fake=fake,
        tuning=tuning,
        output=output,
        data_shapes=parse_data_shapes(data_shape),
        positional_shapes=parse_positional_shapes(shapes),
        inference_only=None if inference_only is None else parse_bool("-inference_only", inference_only),
        max_rate=_max_rate(max_irate),
        compile_only=niter is not None and non_negative_int("-niter", niter) == 0,
        channel_order=parse_choice("--channel-order", channel_order.upper(), ("BGR", "RGB")),
        load=load,
    )


def _requests(scenario: str, requests: int | None, load: Load) -> int | None:
    """-nireq, checked; a multistream query's samples are its requests in flight."""
    if requests is not None and requests > MAX_REQUESTS:
        raise UsageError(f"-nireq {requests} is more than {MAX_REQUESTS} requests in flight")
    if scenario in PER_QUERY:
        if requests is not None and requests != load.samples_per_query:
            raise UsageError(f"-nireq {requests}: multistream runs the {load.samples_per_query} samples of a query "
                             "at once (--samples-per-query); drop -nireq")
        if load.samples_per_query > MAX_REQUESTS:
            raise UsageError(f"--samples-per-query {load.samples_per_query} is more than {MAX_REQUESTS}")
        return load.samples_per_query
    return requests


def _open_loop_stop(rule: StopRule, load: Load, limits_given: bool, rel_precision: object, max_irate: object,
                    on_error: str) -> StopRule:
    """The server scenario's stop rule: issuing stops once both minimums are met (a trace: once it is replayed)."""
    for flag, given in (("--rel-precision", rel_precision is not None), ("-max_irate", max_irate is not None),
                        ("--on-error continue", on_error == "continue")):
        if given:
            raise UsageError(f"{flag} does not apply to --scenario server: the offered load is its schedule")
    if load.arrivals is None:
        return rule
    if limits_given:
        raise UsageError(f"-t/-niter do not apply with --arrivals {load.arrivals}: the trace is replayed once, whole")
    return StopRule(min_iterations=len(read_trace(load.arrivals)))


def _max_rate(value: float | str | None) -> float | None:
    if value is None:
        return None
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"-max_irate expects inferences per second, got {value!r}") from None
    if not 0 <= rate < float("inf"):  # also refuses nan
        raise UsageError(f"-max_irate must be a positive rate, got {value!r}")
    return rate or None  # 0 = no cap, as in benchmark_app


def _fake_spec(engine: str | None, latency: str, first_call: str | None, fail_at: int | str | None,
               contention: float | str | None = None, stall: str | None = None) -> FakeSpec:
    if engine != "fake" and (first_call or fail_at is not None or contention is not None or stall is not None):
        raise UsageError("--fake-first-call/--fake-fail-at/--fake-contention/--fake-stall apply to --engine fake only")
    stall_at, stall_ns = _stall(stall)
    return FakeSpec(
        latency=_fake_latency(latency) if engine == "fake" else latency,  # parsed only where it is used
        first_call_ns=parse_duration("--fake-first-call", first_call) if first_call else 0,
        fail_at=positive_int("--fake-fail-at", fail_at),
        contention=_contention(contention),
        stall_at=stall_at,
        stall_ns=stall_ns,
    )


def _stall(value: str | None) -> tuple[int | None, int]:
    """``--fake-stall K:TIME``: call K (counted from 1, the first inference included) takes TIME longer."""
    if value is None:
        return None, 0
    call, _, duration = value.partition(":")
    if not duration:
        raise UsageError(f"--fake-stall expects K:TIME, e.g. 100:50ms (call 100 takes 50 ms longer), got {value!r}")
    at = positive_int("--fake-stall", call.strip())
    ns = parse_duration("--fake-stall", duration.strip())
    if not ns:
        raise UsageError(f"--fake-stall {value!r}: the stall must be longer than 0")
    return at, ns


def _contention(value: float | str | None) -> float:
    if value is None:
        return 0.0
    try:
        share = float(value)
    except ValueError:
        raise UsageError(f"--fake-contention expects a number such as 0.25, got {value!r}") from None
    if not 0.0 <= share <= 100.0:
        raise UsageError(f"--fake-contention must be from 0 to 100, got {value!r}")
    return share


def _engine_name(engine: str) -> str:
    from ..engines.registry import BUILTIN, available_engines

    name = engine.lower()
    if name in BUILTIN:  # no entry-point scan needed
        return name
    return parse_choice("-e/--engine", name, available_engines())


def _stop_rule(niter: int | str | None, time: float | str | None) -> StopRule:
    iterations = non_negative_int("-niter", niter) if niter is not None else None
    duration = parse_duration("-t", time) if time is not None else None
    if iterations == 0:  # compile only: nothing is measured
        return StopRule(min_iterations=0, min_duration_ns=0)
    if duration == 0 and not iterations:
        raise UsageError("-t 0 measures nothing: give a positive -t or -niter")
    if iterations is None and duration is None:
        return StopRule(min_duration_ns=DEFAULT_DURATION_NS)
    return StopRule(min_iterations=iterations or 0, min_duration_ns=duration or 0)


def _with_precision(rule: StopRule, rel_precision: float | str | None, max_time: float | str | None,
                    metric: str | None, time_given: bool) -> StopRule:
    if rel_precision is None:
        if max_time is not None or metric is not None:
            flag = "--max-time" if max_time is not None else "--precision-metric"
            raise UsageError(f"{flag} only applies with --rel-precision (e.g. --rel-precision 1%)"
                             + (" or --until-decided" if flag == "--max-time" else ""))
        return rule
    target = parse_fraction("--rel-precision", rel_precision)
    chosen = parse_choice("--precision-metric", metric.lower(), PRECISION_METRICS) if metric else None
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
    from .fakespec import parse_latency_spec

    try:
        parse_latency_spec(spec)
    except ValueError as error:
        raise UsageError(f"--fake-latency {spec!r}: {error}") from None
    return spec
