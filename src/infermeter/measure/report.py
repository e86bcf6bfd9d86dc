"""Report assembly: everything one measurement produced, as a typed ``Report``, built in one place.

``measure.run`` prepares and measures, then calls ``assemble_report`` with what it measured, the requests kept
in flight and its what-was-timed text. The facts (engine, model, machine) are the typed records of
``results.facts``; the configuration is the ``BenchmarkConfig`` itself.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .. import __version__, scenarios
from ..analysis.checks import CheckContext
from ..config.benchmark import BenchmarkConfig
from ..engines.base import CompiledModel, EngineInfo, RuntimeInfo
from ..inputs.feeding import InputsReady
from ..inputs.shapes import ShapePlan
from ..inputs.synthetic import PreparedInput
from ..model.files import ModelRef
from ..results.counters import Counters
from ..results.facts import EngineFacts, FlopsPerRequest, InputFacts, MachineFacts, ModelFacts, Peak
from ..results.report import PhaseTimes, Report
from ..scenarios.runner import Measured

if TYPE_CHECKING:
    from .run import Prepared

def assemble_report(prepared: Prepared, command: Sequence[str] | None, measured: Measured | None, requests: int,
                    timed: str, first_inference_ns: int | None = None, preview: bool = False) -> Report:
    """The report of a measurement (or of a compile-only run). ``preview``: the report as it stands when
    measuring starts, without samples and without the environment record (its clock calibration would delay
    the warm-up); ``first_inference_ns`` is then the first inference's time."""
    from ..machine import environment

    config, info, runtime = prepared.config, prepared.info, prepared.compiled.runtime
    durations = prepared.timer.durations
    compile_ns = durations.get("compile")
    if compile_ns is not None and runtime.cached_compile_ns is not None:
        compile_ns -= runtime.cached_compile_ns  # the second, cached compile ran inside the phase
    first_ns = measured.first_inference_ns if measured is not None else first_inference_ns
    phases = PhaseTimes(durations.get("read"), durations.get("reshape"), compile_ns,
                        durations.get("inputs"), first_ns, runtime.cached_compile_ns)
    machine = environment.collect({info.name: info.version}) if not preview else MachineFacts()
    fake = info.name == "fake"  # virtual time: no compute figure, and no file reads the tests cannot pin
    peak = None if fake or preview else machine_peak(machine)
    if peak is not None:
        machine = dataclasses.replace(machine, fp32_peak=peak)
    findings = () if measured is None else tuple(scenarios.check_run(measured.run, check_context(
        config, machine, runtime, measured, fake=fake)))
    return Report(
        tool_version=__version__,
        created_utc=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        config=config,
        environment=machine,
        engine=engine_facts(config, info, prepared.why, runtime, requests),
        model=model_facts(prepared.model, prepared.plan, prepared.inputs, prepared.ready, prepared.flops),
        phases=phases,
        run=measured.run if measured is not None else None,
        timed=timed,
        headline=scenarios.get(config.scenario).headline,
        notes=prepared.ready.notes,
        error=measured.error if measured is not None else None,
        command=tuple(command) if command is not None else None,
        findings=findings,
        counters=_counters(prepared.compiled) if config.tuning.perf_counts and measured is not None else None,
    )


def machine_peak(machine: MachineFacts) -> Peak | None:
    """The FP32 ceiling measured earlier by ``infermeter peak`` on this CPU model with all usable cores."""
    from ..machine.peak import cached_peak

    return cached_peak(str(machine.cpu_model), int(machine.usable_cpus or 1))


def _counters(compiled: CompiledModel) -> Counters | None:
    from ..results.counters import average_counters

    per_request = compiled.layer_counters()
    if not per_request:
        return None
    return Counters.of(average_counters(per_request), per_request)


def check_context(config: BenchmarkConfig, machine: MachineFacts, runtime: RuntimeInfo, measured: Measured,
                  fake: bool) -> CheckContext:
    """What the checks need besides the samples. The fake engine's virtual clock has 1-ns resolution and
    costs nothing to read; its requests all run in parallel, so it has no queueing to report."""
    clock = machine.clock
    clock_cost = 1.0 if fake or clock is None else float(max(clock.resolution_ns or 1, clock.read_cost_ns or 1))
    capacity = None if fake else (runtime.streams or machine.usable_cpus)
    stop = config.stop
    metric = stop.precision_metric or scenarios.get(config.scenario).headline
    interval = measured.run.metric_interval(metric) if stop.rel_precision is not None else None
    return CheckContext(clock_cost_ns=clock_cost, cpu=measured.run.cpu, parallel_capacity=capacity,
                        warmup=config.warmup.describe(), precision_target=stop.rel_precision,
                        precision_metric=metric,
                        precision_achieved=interval.relative_half_width if interval is not None else None)


def engine_facts(config: BenchmarkConfig, info: EngineInfo, why: str, runtime: RuntimeInfo,
                 requests: int) -> EngineFacts:
    return EngineFacts(
        name=info.name,
        version=info.version,
        why=why,
        device=config.device,
        precision=runtime.precision,
        precision_note=runtime.precision_note,
        hint=runtime.hint,
        requests_in_flight=requests,
        optimal_requests=runtime.optimal_requests,
        streams=runtime.streams,
        threads=runtime.threads,
        async_mode=scenarios.get(config.scenario).engine_async_mode(runtime),
        choice_reason=runtime.choice_reason,
        properties=dict(runtime.properties),
        device_config={device: dict(props) for device, props in runtime.device_config.items()},
        cache=runtime.cache,
        frontend=runtime.frontend,
    )


def model_facts(model: ModelRef, plan: ShapePlan, prepared: dict[str, PreparedInput], ready: InputsReady,
                flops: FlopsPerRequest | None = None) -> ModelFacts:
    feed = ready.feed
    return ModelFacts(
        flops_per_request=flops,
        input_sets=len(feed.sets) if feed is not None else 1,
        full_mode=feed.copy_in if feed is not None else False,
        shape_groups=tuple(feed.labels) if feed is not None and len(feed.labels) > 1 else (),
        ref=model.text,
        path=str(model.path) if model.path is not None else None,
        zoo=model.zoo.name if model.zoo is not None else None,
        format=model.format,
        batch=plan.batch,
        batch_origin=plan.batch_origin,
        inputs=tuple(
            InputFacts(
                name=item.name,
                dtype=item.description.dtype,
                model_dims=tuple(item.description.dims) if item.description.dims is not None else None,
                shape=tuple(item.shape),
                fill=prepared[item.name].fill,
                bytes=int(np.asarray(prepared[item.name].array).nbytes),
            )
            for item in plan.inputs
        ),
    )
