"""OpenVINO engine: read -> reshape to static shapes -> compile with hints -> preset tensors -> infer.

Sync calls the C++ ``infer`` with the input tensors bound once (no per-call dict dispatch: ~8 µs instead of
~48 µs). Async uses ``AsyncInferQueue``; see ``OpenVINOAsyncSession`` for how completions are timed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import EngineError, EngineNotInstalled, InputError, UsageError
from ..model import formats
from ..model.files import ModelRef, load_onnx, read_ir_xml
from ..model.onnx_graph import Graph
from .base import (
    AsyncSession,
    Clock,
    EngineInfo,
    EngineOptions,
    OutputDescription,
    RequestFailed,
    RuntimeInfo,
    Session,
    property_value,
)
from .sdk import lean_sdk_imports

if TYPE_CHECKING:
    from ..model.flops import FlopCount
    from ..results.counters import LayerCounter
    from ..results.facts import PropertyValue

_OVC = "openvino.tools.ovc"
# openvino's __init__ imports its model-conversion API (ovc) inside ``try/except ImportError``; ovc imports
# TensorFlow/PyTorch frontend helpers and starts telemetry, which costs ~0.3 s of start-up and exit. A None
# entry in sys.modules makes that import fail fast, which openvino tolerates by design; the entry is removed
# right after, so a later ``import openvino.tools.ovc`` works as usual.
_SKIP_OVC = lean_sdk_imports() and "openvino" not in sys.modules and _OVC not in sys.modules
if _SKIP_OVC:
    sys.modules[_OVC] = None  # type: ignore[assignment]
try:
    import openvino as ov
    from openvino._pyopenvino import AsyncInferQueue as _QueueBase
    from openvino._pyopenvino import InferRequest as _RequestBase
except ImportError as _missing:  # pragma: no cover - exercised when the extra is absent
    raise EngineNotInstalled("engine openvino is not installed: pip install 'infermeter[openvino]'") from _missing
finally:
    if _SKIP_OVC:
        del sys.modules[_OVC]

# These import openvino themselves, so they come after the import above.
from ..config.tuning import Tuning  # noqa: E402
from . import openvino_setup as setup  # noqa: E402
from .openvino_frontends import DeferredTorchModel, convert_torch, frontend_text  # noqa: E402
from .openvino_graph import count_flops, describe_inputs, element_dtype, port_dims, port_name  # noqa: E402

_VIRTUAL = {"AUTO", "MULTI", "HETERO", "BATCH"}
_READ_BACK = ("PERFORMANCE_HINT", "NUM_STREAMS", "INFERENCE_NUM_THREADS", "INFERENCE_PRECISION_HINT",
              "OPTIMAL_NUMBER_OF_INFER_REQUESTS", "EXECUTION_DEVICES", "ENABLE_CPU_PINNING", "SCHEDULING_CORE_TYPE",
              "PERF_COUNT", "CACHE_DIR")


def ov_message(error: BaseException) -> str:
    """OpenVINO errors are multi-line C++ traces; keep the last line that says something."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(("Exception from", "Check '", "[ GENERAL_ERROR ]"))]
    return (useful or lines or [type(error).__name__])[-1]


class OpenVINOSession:
    def __init__(self, compiled: Any, inputs: Mapping[str, np.ndarray], requests: list[Any]) -> None:
        self._request = compiled.create_infer_request()
        requests.append(self._request)
        self._tensors = _bind(self._request, compiled, inputs)
        self.infer = functools.partial(_RequestBase.infer, self._request, {}, True, False)
        self._outputs = len(compiled.outputs)

    def outputs(self) -> list[np.ndarray]:
        """One more call; its outputs copied out of the request, in the model's output order."""
        self.infer()
        return [np.array(self._request.get_output_tensor(i).data, copy=True) for i in range(self._outputs)]


def _bind(request: Any, compiled: Any, inputs: Mapping[str, np.ndarray]) -> list[Any]:
    tensors = []
    for port in compiled.inputs:
        tensor = ov.Tensor(np.require(inputs[port.get_any_name()], requirements="C"), shared_memory=True)
        request.set_tensor(port, tensor)
        tensors.append(tensor)
    return tensors


class OpenVINOAsyncSession:
    """AsyncInferQueue without a Python completion callback.

    A Python callback costs a GIL hand-off per request (about 30 µs, and its wait for the GIL lands inside the
    measured latency). Instead the queue's own C++ callback records each request's start and end on the
    monotonic clock, and the completion time is the runner's submission stamp + that measured duration.
    ``start`` is the C++ ``start_async`` itself: it starts the queue's next idle request, which is the one
    ``next_idle`` just returned, since nothing else starts requests on this queue.
    """

    def __init__(self, compiled: Any, slot_inputs: Sequence[Mapping[str, np.ndarray]], requests: list[Any]) -> None:
        self._queue = ov.AsyncInferQueue(compiled, len(slot_inputs))
        self._requests = [self._queue[i] for i in range(len(slot_inputs))]
        requests.extend(self._requests)
        self._tensors = [_bind(request, compiled, inputs) for request, inputs in zip(self._requests, slot_inputs,
                                                                                         strict=True)]
        self._get_idle = functools.partial(_QueueBase.get_idle_request_id, self._queue)
        self._latency_ms = _RequestBase.latency.__get__  # the request's last inference, measured in C++
        self.start = functools.partial(_QueueBase.start_async, self._queue, {})  # userdata = the slot

    @property
    def slots(self) -> int:
        return len(self._requests)

    def next_idle(self) -> int:
        try:
            slot: int = self._get_idle()
        except RuntimeError as error:
            raise RequestFailed(-1, ov_message(error)) from None
        return slot

    def end_ns(self, slot: int, submitted_ns: int) -> int:
        duration_ns: int = round(self._latency_ms(self._requests[slot]) * 1e6)
        return submitted_ns + duration_ns

    def wait_all(self) -> None:
        with contextlib.suppress(RuntimeError):  # a failed request already surfaced, or will not matter now
            self._queue.wait_all()


class OpenVINOCompiled:
    def __init__(self, compiled: Any, runtime: RuntimeInfo, perf_counts: bool = False,
                 graph_path: str | None = None) -> None:
        self._compiled = compiled
        self._graph_path = graph_path
        self.runtime = runtime
        self._perf_counts = perf_counts
        self._requests: list[Any] = []  # every request created, for per-layer counters
        self._async_requests: list[Any] = []  # the async queue's requests

    def create_session(self, inputs: Mapping[str, np.ndarray]) -> Session:
        return OpenVINOSession(self._compiled, inputs, self._requests)

    def create_async_session(self, slot_inputs: Sequence[Mapping[str, np.ndarray]]) -> AsyncSession | None:
        return OpenVINOAsyncSession(self._compiled, slot_inputs, self._async_requests)

    def finish(self) -> None:
        if self._graph_path:
            setup.save_runtime_graph(self._compiled, self._graph_path)

    def layer_counters(self) -> list[list[LayerCounter]]:
        """Each measuring request's counters: OpenVINO keeps a running average over all of that request's
        inferences (its warm-up ones included)."""
        if not self._perf_counts:
            return []
        from ..results.counters import counters_from_openvino

        # The measuring requests: the async queue's, else those created after the first-inference request
        # (unless that one went on measuring, as in -api sync).
        requests = self._async_requests or self._requests[1:] or self._requests
        found = []
        for request in requests:
            counters = counters_from_openvino(request.profiling_info)
            if any(c.real_ns for c in counters):
                found.append(counters)
        return found


class OpenVINOModel:
    def __init__(self, core: Any, model: Any, path: Path, tuning: Tuning, graph: Graph | None = None,
                 frontend: str = "") -> None:
        self.frontend = frontend
        self._core = core
        self._model = model
        self._path = path
        self._tuning = tuning
        self.inputs = describe_inputs(model, graph)
        self.outputs = [OutputDescription(port_name(p, i, "output"), element_dtype(p), port_dims(p))
                         for i, p in enumerate(model.outputs)]

    def reshape(self, shapes: Mapping[str, tuple[int | None, ...]]) -> None:
        current = {d.name: d.dims for d in self.inputs}
        wanted = {name: ov.PartialShape([-1 if d is None else d for d in shape]) for name, shape in shapes.items()
                  if tuple(current.get(name) or ()) != shape}
        if not wanted:
            return
        if self._tuning.compile_from_file:
            raise UsageError(f"-lfile compiles {self._path.name} as it is: it cannot be reshaped to "
                             f"{_shapes_text(shapes)} (drop -lfile, or -shape/-b/-data_shape)")
        try:
            self._model.reshape(wanted)
        except (RuntimeError, TypeError) as error:
            raise UsageError(f"openvino cannot reshape to {_shapes_text(shapes)}: {ov_message(error)}") from None

    def count_flops(self) -> FlopCount:
        """Work of one request at the shapes the model now has (after reshape and pre-processing)."""
        return count_flops(self._model)

    def compile(self, options: EngineOptions) -> OpenVINOCompiled:
        setup.check_device_options(options.tuning, options.device, options.infer_precision)
        config = setup.compile_config(options, options.device)
        for device in setup.target_devices(options.device):
            if device != options.device:  # MULTI/HETERO members get their own entries
                self._set_device_properties(device, setup.compile_config(options, device))
        before = setup.cache_files(options.tuning.cache_dir)
        compiled = self._compile(options.device, config)
        cache, cached_ns = "", None
        if options.tuning.cache_dir:
            cache, cached_ns = self._cache_outcome(options, config, before)
        runtime = dataclasses.replace(_runtime_info(compiled, options), cache=cache, cached_compile_ns=cached_ns,
                                      device_config=setup.device_dump(self._core, compiled, options.device),
                                      frontend=self.frontend)
        return OpenVINOCompiled(compiled, runtime, options.tuning.perf_counts, options.tuning.runtime_graph_path)

    def _compile(self, device: str, config: dict[str, str]) -> Any:
        source = str(self._path) if self._tuning.compile_from_file else self._model
        try:
            return self._core.compile_model(source, device, config)
        except RuntimeError as error:
            raise EngineError(f"openvino could not compile for device {device!r}: {ov_message(error)}") from None

    def _set_device_properties(self, device: str, config: dict[str, str]) -> None:
        config.pop("PERFORMANCE_HINT", None)
        if config:
            try:
                self._core.set_property(device, config)
            except RuntimeError as error:
                raise UsageError(f"openvino device {device}: {ov_message(error)}") from None

    def _cache_outcome(self, options: EngineOptions, config: dict[str, str],
                       before: set[str]) -> tuple[str, int | None]:
        """Cold compile (the cache gained a blob): compile again from the cache and time it."""
        written = setup.cache_files(options.tuning.cache_dir) - before
        if not written:
            return f"loaded from the cache in {options.tuning.cache_dir}", None
        began = time.perf_counter_ns()
        self._compile(options.device, config)
        cached_ns = time.perf_counter_ns() - began
        return f"cold: compiled and written to the cache in {options.tuning.cache_dir}", cached_ns


def _shapes_text(shapes: Mapping[str, tuple[int | None, ...]]) -> str:
    return ",".join(f"{name}[{','.join('?' if d is None else str(d) for d in shape)}]"
                    for name, shape in shapes.items())


def _runtime_info(compiled: Any, options: EngineOptions) -> RuntimeInfo:
    values: dict[str, PropertyValue] = {}
    for key in _READ_BACK:
        try:
            value = compiled.get_property(key)
        except RuntimeError:
            continue
        values[key] = _property_value(value)
    precision = str(values.get("INFERENCE_PRECISION_HINT", "unknown"))
    asked = setup.per_device(options.infer_precision, options.device) if options.infer_precision else None
    note = _precision_note(asked, precision)
    if options.infer_precision is None and precision in ("bf16", "f16"):
        note += "; pass -infer_precision f32 for FP32 numbers"
    optimal = _int_or_none(values.get("OPTIMAL_NUMBER_OF_INFER_REQUESTS")) or 1
    hint = str(values.get("PERFORMANCE_HINT", "")).lower() or None
    streams = values.get("NUM_STREAMS", "?")
    if options.tuning.streams:
        source = f"-nstreams {options.tuning.streams} set NUM_STREAMS={streams}"
    elif "NUM_STREAMS" in options.tuning.properties.get(options.device, {}):
        source = f"-load_config set NUM_STREAMS; the device applied {streams}"
    else:
        source = f"PERFORMANCE_HINT={values.get('PERFORMANCE_HINT', 'unset')} gave {streams} stream(s)"
    queued = _default_requests(options.goal, hint, optimal)
    if options.requests and options.goal == "throughput":
        reason = f"{source}; nireq {options.requests} (-nireq; OPTIMAL_NUMBER_OF_INFER_REQUESTS = {optimal})"
    elif queued != optimal:
        reason = (f"{source}; nireq {queued} = 2 × OPTIMAL_NUMBER_OF_INFER_REQUESTS ({optimal}): a second request "
                  "waiting in each stream keeps it busy between requests (about 10 % more items/s on 2 cores)")
    else:
        reason = f"{source}; nireq = OPTIMAL_NUMBER_OF_INFER_REQUESTS = {optimal}"
    return RuntimeInfo(
        precision=precision,
        precision_note=note,
        optimal_requests=max(optimal, 1),
        default_requests=queued,
        streams=_int_or_none(values.get("NUM_STREAMS")),
        threads=_int_or_none(values.get("INFERENCE_NUM_THREADS")),
        hint=hint,
        async_mode="openvino AsyncInferQueue",
        choice_reason=reason,
        properties=values,
    )


def _default_requests(goal: str, applied_hint: str | None, optimal: int) -> int:
    """Requests in flight without -nireq. For a throughput scenario under a throughput hint (as applied, read
    back), two per stream: OpenVINO's optimal number is one per stream, which leaves a stream idle while the
    runner hands it its next request (measured: about 10 % fewer items/s on 2 cores, bench/defaults.py).
    Otherwise (a latency hint, no hint, a latency scenario) the optimal number."""
    if goal == "throughput" and applied_hint in ("throughput", "cumulative_throughput"):
        return 2 * max(optimal, 1)
    return max(optimal, 1)


_PRECISION_ALIASES = {"fp32": "f32", "float32": "f32", "fp16": "f16", "float16": "f16", "bfloat16": "bf16"}


def _precision_note(requested: str | None, actual: str) -> str:
    if requested is None:
        return "device default"
    wanted = _PRECISION_ALIASES.get(requested.lower(), requested.lower())
    if wanted != actual.lower():
        return f"-infer_precision {requested} was asked; the device runs {actual}"
    return "set by -infer_precision"


def _property_value(value: Any) -> PropertyValue:
    """As OpenVINO returned it: bools, numbers and text typed (``property_value``); element types, lists and
    enums as text."""
    if isinstance(value, (bool, int, float, str)):
        return property_value(value)
    if isinstance(value, ov.Type):
        return str(value.to_string())
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value.name if hasattr(value, "name") else value)


def _int_or_none(value: PropertyValue) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value) if isinstance(value, str) else None
    except ValueError:
        return None


@functools.cache
def shared_core() -> Any:
    """One Core per process. Dropping a Core right after an async run can deadlock: its destructor waits
    for an OpenVINO thread that waits for the GIL. Keeping one alive for the process avoids it."""
    return ov.Core()


class OpenVINOEngine:
    name = "openvino"

    def __init__(self, tuning: Tuning | None = None) -> None:
        self._core = shared_core()
        self._tuning = tuning or Tuning()
        setup.load_extensions(self._core, self._tuning.extensions)

    def info(self, devices: bool = True) -> EngineInfo:
        return EngineInfo("openvino", ov.get_version().split("-")[0],
                          tuple(self._core.available_devices) if devices else (), f"build {ov.get_version()}")

    def check_device(self, device: str) -> None:
        """Refuse devices this machine does not have; virtual devices are checked by what they list. The CPU
        plugin ships in every OpenVINO wheel, so "CPU" is taken without loading every plugin to list them."""
        if device == "CPU":
            return
        available = {name.split(".")[0] for name in self._core.available_devices}
        available |= set(self._core.available_devices)
        prefix, _, listed = device.partition(":")
        wanted = [d.split("(")[0].strip() for d in listed.split(",")] if prefix.upper() in _VIRTUAL else [device]
        if prefix.upper() in _VIRTUAL and not listed:
            return
        for name in wanted:
            if name and name not in available and name.upper() not in _VIRTUAL:
                raise UsageError(f"-d {device}: openvino has no device {name!r} on this machine; available: "
                                 f"{', '.join(sorted(available))} (and AUTO, MULTI:…, HETERO:…, BATCH:…)")

    def read(self, model: ModelRef, clock: Clock) -> OpenVINOModel | DeferredTorchModel:
        path = model.file()
        if model.kind in formats.TORCH_FORMATS:
            return self._read_torch(model, path)
        # Check the file ourselves first: on a damaged file OpenVINO tries every frontend, and some of them
        # print to stderr before the error comes back.
        graph = None
        if model.kind == formats.IR:
            read_ir_xml(path)
        elif model.kind == formats.ONNX:
            graph = load_onnx(path)  # kept: it names the dynamic dims OpenVINO leaves anonymous
        try:
            read = self._core.read_model(str(path))
        except RuntimeError as error:
            raise InputError(f"openvino cannot read model {path}: {ov_message(error)}") from None
        return self._wrap(read, path, graph, frontend_text(model.kind, "Core.read_model"))

    def _read_torch(self, model: ModelRef, path: Path) -> OpenVINOModel | DeferredTorchModel:
        if self._tuning.compile_from_file:
            raise UsageError(f"-lfile compiles a file OpenVINO reads itself; {model.text} is converted from PyTorch")
        text = frontend_text(model.kind, "openvino.convert_model, traced at the run's shapes")
        if model.kind != formats.TORCH_EXPORT:  # TorchScript and factories declare no shapes: traced at the run's
            return DeferredTorchModel(model, lambda converted: self._wrap(converted, path, None, text))
        converted, _ = convert_torch(model)
        return self._wrap(converted, path, None, frontend_text(model.kind, "openvino.convert_model"))

    def _wrap(self, read: Any, path: Path, graph: Graph | None, frontend: str) -> OpenVINOModel:
        if self._tuning.compile_from_file:
            setup.refuse_preprocessing_with_lfile(self._tuning)
            return OpenVINOModel(self._core, read, path, self._tuning, graph, frontend)
        return OpenVINOModel(self._core, setup.apply_preprocessing(read, self._tuning), path, self._tuning, graph,
                             frontend)
