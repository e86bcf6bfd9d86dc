"""Orchestration only: config -> engine -> read/reshape/compile (timed) -> inputs -> measure -> Report.

Nothing here prints; progress and phases go to the observer, results come back as a ``Report``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import scenarios
from ..clock import Clock, FakeClock, system_clock
from ..config.benchmark import BenchmarkConfig
from ..config.tuning import check_engine_support
from ..engines import choose_engine, create_engine
from ..engines.base import CompiledModel, EngineInfo, EngineOptions, ModelHandle, RuntimeInfo
from ..errors import BenchmarkInterrupted, UsageError
from ..events import NullObserver, Observer, PhaseTimer
from ..inputs.feed import InputFeed
from ..inputs.feeding import InputsReady, prepare_inputs
from ..inputs.shapes import ShapePlan
from ..inputs.synthetic import PreparedInput
from ..model.files import ModelRef, resolve_model
from ..scenarios.base import Scenario, TimedFacts
from ..scenarios.runner import Measured, Runner

if TYPE_CHECKING:  # the report's modules are imported after the first inference (start-up time)
    from ..machine.memory import PhasePeaks
    from ..results.facts import FlopsPerRequest
    from ..results.report import Report

_PRECISION_ENGINES = ("openvino", "pytorch")  # -infer_precision; pytorch: bf16 | f32 (autocast)
_REAL_ENGINE_ONLY = (("threads", "-nthreads"),)


@dataclass
class Prepared:
    """A model read, reshaped and compiled with its inputs ready: measured once by ``run``, once per round
    by a session."""

    config: BenchmarkConfig
    model: ModelRef
    info: EngineInfo
    why: str
    plan: ShapePlan
    inputs: dict[str, PreparedInput]
    compiled: CompiledModel
    timer: PhaseTimer
    clock: Clock
    ready: InputsReady
    flops: FlopsPerRequest | None = None  # work of one request (MACs, FLOPs), when it could be counted cheaply
    memory: PhasePeaks | None = None  # peak RSS per phase (None on the fake engine: its numbers must be exact)
    output_names: tuple[str, ...] = ()  # as the model declares them (verify labels its comparisons with them)


def run(config: BenchmarkConfig, observer: Observer | None = None, clock: Clock | None = None,
        command: Sequence[str] | None = None) -> Report:
    observer = observer or NullObserver()
    return measure(prepare(config, observer, clock), observer, command)


def prepare(config: BenchmarkConfig, observer: Observer, clock: Clock | None = None) -> Prepared:
    config = _resolved(config, scenarios.get(config.scenario))
    model = resolve_model(config.model)
    engine_name, why = choose_engine(config.engine, model.format, model.text)
    _check_engine_options(engine_name, config)
    engine = create_engine(engine_name, config)
    if config.tuning.execution_provider is None:  # --ep chooses the provider; -d is then only a label
        engine.check_device(config.device)
    info = engine.info(devices=False)
    clock = clock or (FakeClock() if engine_name == "fake" else system_clock)
    if model.zoo is not None and engine_name != "fake":
        observer.note(f"zoo model {model.zoo.name}: {model.file()}")
    timer = PhaseTimer(clock, observer)
    peaks = _phase_peaks(engine_name)
    try:
        with timer.phase("read"), _peak(peaks, "read"):
            handle = engine.read(model, clock)
        with timer.phase("inputs"):
            ready = prepare_inputs(config, handle, model)
        with timer.phase("reshape"):
            handle.reshape(ready.model_shapes)
        flops = None if engine_name == "fake" else _model_flops(model, handle, ready.plan)
        with timer.phase("compile"), _peak(peaks, "compile"):
            compiled = handle.compile(_engine_options(config))
    except KeyboardInterrupt:
        raise BenchmarkInterrupted(f"interrupted during {timer.current or 'loading'}; nothing was measured") from None
    return Prepared(config, model, info, why, ready.plan, ready.inputs, compiled, timer, clock, ready, flops,
                    memory=peaks, output_names=tuple(o.name for o in handle.outputs))


def _phase_peaks(engine_name: str) -> PhasePeaks | None:
    """The peak-RSS recorder of a real engine's run; none on the fake engine (whose report must be exact)."""
    if engine_name == "fake":
        return None
    from ..machine.memory import PhasePeaks

    return PhasePeaks()


@contextmanager
def _peak(peaks: PhasePeaks | None, name: str) -> Iterator[None]:
    if peaks is not None:
        peaks.start(name)
    yield
    if peaks is not None:
        peaks.stop(name)



def measure(prepared: Prepared, observer: Observer, command: Sequence[str] | None = None) -> Report:
    """First inference, warm-up and one measurement of a prepared model, as a complete report.

    With -niter 0 (compile only) nothing runs: the report holds the load times only.
    """
    config = prepared.config
    if config.compile_only:
        prepared.compiled.finish()
        return _report(prepared, command, None)
    requests = scenarios.get(config.scenario).requests_in_flight(config.requests, prepared.compiled.runtime)

    def announce(first_ns: int) -> None:
        observer.ready(lambda: _report(prepared, command, None, preview=(first_ns, requests)))

    measured = _measure(config, prepared, observer, requests, announce)
    prepared.compiled.finish()
    return _report(prepared, command, measured)


def report_of(prepared: Prepared, measured: Measured, command: Sequence[str] | None = None,
              notes: Sequence[str] = ()) -> Report:
    """The report of a measurement made elsewhere (an interleaved one, ``runs.interleaved``), with ``notes``
    added; the compiled model is finished first (as after ``measure``)."""
    prepared.compiled.finish()
    report = _report(prepared, command, measured)
    return dataclasses.replace(report, notes=(*report.notes, *notes)) if notes else report


def requests_in_flight(prepared: Prepared) -> int:
    config = prepared.config
    return scenarios.get(config.scenario).requests_in_flight(config.requests, prepared.compiled.runtime)


def _check_engine_options(engine: str, config: BenchmarkConfig) -> None:
    check_engine_support(engine, config.tuning)
    if config.hint == "cumulative_throughput" and engine != "openvino":
        raise UsageError(f"-hint cumulative_throughput is honoured by the openvino engine only (engine here: {engine})")
    if config.infer_precision is not None and engine not in _PRECISION_ENGINES:
        raise UsageError(f"-infer_precision is honoured by the openvino and pytorch engines only (engine here: "
                         f"{engine})")
    for field, flag in _REAL_ENGINE_ONLY:
        if getattr(config, field) is not None and engine == "fake":
            raise UsageError(f"{flag} has no meaning for the fake engine")


def _resolved(config: BenchmarkConfig, scenario: Scenario) -> BenchmarkConfig:
    """What the user left to the scenario, filled in: the metric ``--rel-precision`` watches."""
    stop = config.stop
    if stop.rel_precision is not None and stop.precision_metric is None:
        return dataclasses.replace(config, stop=dataclasses.replace(stop, precision_metric=scenario.headline))
    return config


def _engine_options(config: BenchmarkConfig) -> EngineOptions:
    return EngineOptions(device=config.device, goal=scenarios.get(config.scenario).engine_goal(config.requests),
                         api_given=config.api_given,
                         hint=config.hint, requests=config.requests, infer_precision=config.infer_precision,
                         threads=config.threads, tuning=config.tuning)


def _measure(config: BenchmarkConfig, prepared: Prepared, observer: Observer, requests: int,
             on_first_inference: Callable[[int], None]) -> Measured:
    from ..machine import environment

    ready, clock = prepared.ready, prepared.clock
    arrays = {name: item.array for name, item in ready.inputs.items()}
    progress = observer.progress if observer.wants_progress and not isinstance(clock, FakeClock) else None
    meter = None if isinstance(clock, FakeClock) else environment.CpuMeter()
    runner = Runner(prepared.compiled, arrays, scenarios.get(config.scenario), requests, prepared.plan.batch, clock,
                    progress,
                    continue_on_error=config.on_error == "continue", cpu_meter=meter, feed=ready.feed,
                    max_rate=config.max_rate, on_first_inference=on_first_inference, load=config.load,
                    seed=config.seed)
    with _peak(prepared.memory, "measure"):
        return runner.execute(config.stop, config.warmup)


def _report(prepared: Prepared, command: Sequence[str] | None, measured: Measured | None,
            preview: tuple[int, int] | None = None) -> Report:
    """The report of a measurement (or of a compile-only run), assembled by ``measure.report``. ``preview`` =
    (first inference ns, requests in flight): the report as it stands when measuring starts."""
    from .report import assemble_report

    config, runtime = prepared.config, prepared.compiled.runtime
    requests = measured.run.requests if measured is not None else preview[1] if preview is not None else \
        scenarios.get(config.scenario).requests_in_flight(config.requests, runtime)
    return assemble_report(prepared, command, measured, requests,
                           timed=what_was_timed(config, runtime, requests, prepared.ready.feed),
                           first_inference_ns=preview[0] if preview is not None else None,
                           preview=preview is not None)


FLOPS_FROM_FILE_LIMIT = 64 * 1024 * 1024  # reloading a bigger ONNX file for shape inference costs seconds and GBs


def _model_flops(model: ModelRef, handle: ModelHandle, plan: ShapePlan) -> FlopsPerRequest | None:
    """MACs and FLOPs of one request: from the engine's own graph when it has shapes (OpenVINO, cheap), else
    from the ONNX file with shape inference, for files up to FLOPS_FROM_FILE_LIMIT."""
    from ..model.flops import model_flops
    from ..results.facts import FlopsPerRequest

    counter = getattr(handle, "count_flops", None)
    try:
        if counter is not None:
            counted = counter()
        elif model.format not in ("onnx", "onnx (zoo)") or model.file().stat().st_size > FLOPS_FROM_FILE_LIMIT:
            return None
        else:
            counted = model_flops(model.file(), plan.shapes())
    except (OSError, RuntimeError):
        return None
    if counted is None or counted.macs == 0:
        return None
    return FlopsPerRequest(macs=counted.macs, flops=counted.flops, by_op=dict(counted.by_op),
                           uncounted=tuple(counted.uncounted))


def what_was_timed(config: BenchmarkConfig, runtime: RuntimeInfo, requests: int,
                   feed: InputFeed | None = None) -> str:
    """The scenario's sentence for this run (or the compile-only one)."""
    if config.compile_only:
        return "compile only (-niter 0): read, reshape and compile were timed; no inference ran."
    facts = TimedFacts(requests=requests, async_mode=runtime.async_mode, warmup=config.warmup.describe(),
                       two_stamps=bool(config.max_rate) or config.on_error == "continue", max_rate=config.max_rate,
                       outputs_copied=runtime.properties.get("io_binding") == "off",
                       input_sets=len(feed.sets) if feed is not None else 0,
                       copy_in=feed is not None and feed.copy_in, load=config.load, seed=config.seed,
                       virtual=config.engine == "fake")
    return scenarios.get(config.scenario).timed(facts)
