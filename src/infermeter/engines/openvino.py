"""OpenVINO engine: read -> reshape to static shapes -> compile with hints -> preset tensors -> infer.

Sync calls the C++ ``infer`` with the input tensors bound once (no per-call dict dispatch: ~8 µs instead of
~48 µs). Async uses ``AsyncInferQueue``; see ``OpenVINOAsyncSession`` for how completions are timed.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import EngineError, EngineNotInstalled, InputError, UsageError
from ..modelfile import ModelRef, describe_onnx, load_onnx, read_ir_xml
from .base import (
    AsyncSession,
    Clock,
    Dim,
    EngineInfo,
    EngineOptions,
    InputDescription,
    OutputDescription,
    RequestFailed,
    RuntimeInfo,
    Session,
)

try:
    import openvino as ov
    from openvino._pyopenvino import AsyncInferQueue as _QueueBase
    from openvino._pyopenvino import InferRequest as _RequestBase
except ImportError as _missing:  # pragma: no cover - exercised when the extra is absent
    raise EngineNotInstalled("engine openvino is not installed: pip install 'infermeter[openvino]'") from _missing

_PASS_THROUGH = {"Convert", "Unsqueeze", "Squeeze", "Reshape", "Transpose", "Broadcast"}
_HINTS = {"latency": "LATENCY", "throughput": "THROUGHPUT"}
_VIRTUAL = {"AUTO", "MULTI", "HETERO", "BATCH"}
_READ_BACK = ("PERFORMANCE_HINT", "NUM_STREAMS", "INFERENCE_NUM_THREADS", "INFERENCE_PRECISION_HINT",
              "OPTIMAL_NUMBER_OF_INFER_REQUESTS", "EXECUTION_DEVICES", "ENABLE_CPU_PINNING")


def ov_message(error: BaseException) -> str:
    """OpenVINO errors are multi-line C++ traces; keep the last line that says something."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(("Exception from", "Check '", "[ GENERAL_ERROR ]"))]
    return (useful or lines or [type(error).__name__])[-1]


class OpenVINOSession:
    def __init__(self, compiled: Any, inputs: Mapping[str, np.ndarray]) -> None:
        self._request = compiled.create_infer_request()
        self._tensors = _bind(self._request, compiled, inputs)
        self.infer = functools.partial(_RequestBase.infer, self._request, {}, True, False)


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
    """

    def __init__(self, compiled: Any, slot_inputs: Sequence[Mapping[str, np.ndarray]]) -> None:
        self._queue = ov.AsyncInferQueue(compiled, len(slot_inputs))
        self._requests = [self._queue[i] for i in range(len(slot_inputs))]
        self._tensors = [_bind(request, compiled, inputs) for request, inputs in zip(self._requests, slot_inputs,
                                                                                         strict=True)]
        self.completed_ns = [0] * len(slot_inputs)
        self._submitted_ns = [0] * len(slot_inputs)
        self._busy = [False] * len(slot_inputs)
        self._get_idle = functools.partial(_QueueBase.get_idle_request_id, self._queue)
        self._start = functools.partial(_QueueBase.start_async, self._queue, {})

    @property
    def slots(self) -> int:
        return len(self.completed_ns)

    def next_idle(self) -> int:
        try:
            slot: int = self._get_idle()
        except RuntimeError as error:
            raise RequestFailed(-1, ov_message(error)) from None
        if self._busy[slot]:
            self._busy[slot] = False
            self.completed_ns[slot] = self._submitted_ns[slot] + round(self._requests[slot].latency * 1e6)
        return slot

    def start(self, slot: int, submitted_ns: int) -> None:
        self._submitted_ns[slot] = submitted_ns
        self._busy[slot] = True
        self._start(slot)

    def wait_all(self) -> None:
        with contextlib.suppress(RuntimeError):  # a failed request already surfaced, or will not matter now
            self._queue.wait_all()
        for slot, busy in enumerate(self._busy):
            if busy:
                self._busy[slot] = False
                self.completed_ns[slot] = self._submitted_ns[slot] + round(self._requests[slot].latency * 1e6)


class OpenVINOCompiled:
    def __init__(self, compiled: Any, runtime: RuntimeInfo) -> None:
        self._compiled = compiled
        self.runtime = runtime

    def create_session(self, inputs: Mapping[str, np.ndarray]) -> Session:
        return OpenVINOSession(self._compiled, inputs)

    def create_async_session(self, slot_inputs: Sequence[Mapping[str, np.ndarray]]) -> AsyncSession | None:
        return OpenVINOAsyncSession(self._compiled, slot_inputs)


class OpenVINOModel:
    def __init__(self, core: Any, model: Any, path: Path) -> None:
        self._core = core
        self._model = model
        self.inputs = _describe_inputs(model, path)
        self.outputs = [OutputDescription(_port_name(p, i, "output"), _dtype(p), _dims(p))
                         for i, p in enumerate(model.outputs)]

    def reshape(self, shapes: Mapping[str, tuple[int, ...]]) -> None:
        current = {d.name: d.dims for d in self.inputs}
        wanted = {name: ov.PartialShape(list(shape)) for name, shape in shapes.items()
                  if tuple(current.get(name) or ()) != shape}
        if not wanted:
            return
        try:
            self._model.reshape(wanted)
        except (RuntimeError, TypeError) as error:
            raise UsageError(f"openvino cannot reshape to {_shapes_text(shapes)}: {ov_message(error)}") from None

    def compile(self, options: EngineOptions) -> OpenVINOCompiled:
        config = _compile_config(options)
        try:
            compiled = self._core.compile_model(self._model, options.device, config)
        except RuntimeError as error:
            raise EngineError(f"openvino could not compile for device {options.device!r}: "
                              f"{ov_message(error)}") from None
        return OpenVINOCompiled(compiled, _runtime_info(compiled, options))


def _shapes_text(shapes: Mapping[str, tuple[int, ...]]) -> str:
    return ",".join(f"{name}[{','.join(map(str, shape))}]" for name, shape in shapes.items())


def _compile_config(options: EngineOptions) -> dict[str, str]:
    config: dict[str, str] = {}
    hint = options.hint or options.scenario
    if hint in _HINTS:
        config["PERFORMANCE_HINT"] = _HINTS[hint]
    if options.infer_precision:
        config["INFERENCE_PRECISION_HINT"] = options.infer_precision
    if options.threads:
        config["INFERENCE_NUM_THREADS"] = str(options.threads)
    return config


def _runtime_info(compiled: Any, options: EngineOptions) -> RuntimeInfo:
    values: dict[str, str] = {}
    for key in _READ_BACK:
        try:
            value = compiled.get_property(key)
        except RuntimeError:
            continue
        values[key] = _property_text(value)
    precision = values.get("INFERENCE_PRECISION_HINT", "unknown")
    note = _precision_note(options.infer_precision, precision)
    if options.infer_precision is None and precision in ("bf16", "f16"):
        note += "; pass -infer_precision f32 for FP32 numbers"
    optimal = int(values.get("OPTIMAL_NUMBER_OF_INFER_REQUESTS", "1") or 1)
    hint = values.get("PERFORMANCE_HINT", "").lower() or None
    reason = (f"PERFORMANCE_HINT={values.get('PERFORMANCE_HINT', 'unset')} gave {values.get('NUM_STREAMS', '?')} "
              f"stream(s); nireq = OPTIMAL_NUMBER_OF_INFER_REQUESTS = {optimal}")
    return RuntimeInfo(
        precision=precision,
        precision_note=note,
        optimal_requests=max(optimal, 1),
        streams=_int_or_none(values.get("NUM_STREAMS")),
        threads=_int_or_none(values.get("INFERENCE_NUM_THREADS")),
        hint=hint,
        async_mode="openvino AsyncInferQueue",
        choice_reason=reason,
        properties=values,
    )


_PRECISION_ALIASES = {"fp32": "f32", "float32": "f32", "fp16": "f16", "float16": "f16", "bfloat16": "bf16"}


def _precision_note(requested: str | None, actual: str) -> str:
    if requested is None:
        return "device default"
    wanted = _PRECISION_ALIASES.get(requested.lower(), requested.lower())
    if wanted != actual.lower():
        return f"-infer_precision {requested} was asked; the device runs {actual}"
    return "set by -infer_precision"


def _property_text(value: Any) -> str:
    if isinstance(value, ov.Type):
        return str(value.to_string())
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value.name if hasattr(value, "name") and not isinstance(value, (str, int)) else value)


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _port_name(port: Any, index: int, kind: str) -> str:
    return str(port.get_any_name()) if port.get_names() else f"{kind}{index}"


def _dtype(port: Any) -> str:
    element = port.get_element_type()
    if element == ov.Type.string:
        return "string"
    if element == ov.Type.bf16:
        return "bfloat16"
    try:
        return str(np.dtype(element.to_dtype()).name)
    except (RuntimeError, TypeError):
        return "unsupported"


def _dims(port: Any) -> tuple[Dim, ...] | None:
    shape = port.get_partial_shape()
    if shape.rank.is_dynamic:
        return None
    return tuple(int(d.get_length()) if d.is_static else None for d in shape)


def _describe_inputs(model: Any, path: Path) -> list[InputDescription]:
    bounds = _index_bounds(model)
    names = _onnx_dim_names(path) if path.suffix.lower() == ".onnx" and _has_dynamic(model) else {}
    described = []
    for index, port in enumerate(model.inputs):
        name = _port_name(port, index, "input")
        dims = _dims(port)
        symbolic = names.get(name)
        if dims is not None and symbolic is not None and len(symbolic) == len(dims):
            dims = tuple(s if d is None and isinstance(s, str) else d for d, s in zip(dims, symbolic, strict=True))
        bound, source = bounds.get(name, (None, None))
        described.append(InputDescription(name, _dtype(port), dims, bound, source))
    return described


def _has_dynamic(model: Any) -> bool:
    return any(port.get_partial_shape().is_dynamic for port in model.inputs)


def _onnx_dim_names(path: Path) -> dict[str, tuple[Dim, ...] | None]:
    """OpenVINO keeps no names for dynamic dims; read them from the ONNX file (cheap: no weights)."""
    try:
        inputs, _ = describe_onnx(load_onnx(path))
    except InputError:
        return {}
    return {description.name: description.dims for description in inputs}


def _index_bounds(model: Any) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for index, parameter in enumerate(model.get_parameters()):
        bound = _follow(parameter)
        if bound is not None:
            found[_port_name(model.inputs[index], index, "input")] = bound
    return found


def _follow(parameter: Any) -> tuple[int, str] | None:
    best: tuple[int, str] | None = None
    frontier, seen = [parameter], {parameter.get_friendly_name()}
    while frontier:
        node = frontier.pop()
        for target in node.output(0).get_target_inputs():
            consumer = target.get_node()
            kind = consumer.get_type_name()
            if kind == "Gather" and target.get_index() == 1:
                size = _gather_table_size(consumer)
                if size is not None and (best is None or size < best[0]):
                    best = (size, f"Gather '{consumer.get_friendly_name()}'")
            elif (kind in _PASS_THROUGH and target.get_index() == 0
                  and consumer.get_friendly_name() not in seen):
                seen.add(consumer.get_friendly_name())
                frontier.append(consumer)
    return best


def _gather_table_size(gather: Any) -> int | None:
    table = gather.input_value(0).get_node()
    axis_node = gather.input_value(2).get_node()
    if table.get_type_name() not in ("Constant", "Convert") or axis_node.get_type_name() != "Constant":
        return None
    shape = gather.input_value(0).get_partial_shape()
    axis = int(axis_node.get_data().reshape(-1)[0])
    if shape.rank.is_dynamic or not -len(shape) <= axis < len(shape) or shape[axis].is_dynamic:
        return None
    return int(shape[axis].get_length())


@functools.cache
def shared_core() -> Any:
    """One Core per process. Dropping a Core right after an async run can deadlock: its destructor waits
    for an OpenVINO thread that waits for the GIL. Keeping one alive for the process avoids it."""
    return ov.Core()


class OpenVINOEngine:
    name = "openvino"

    def __init__(self) -> None:
        self._core = shared_core()

    def info(self) -> EngineInfo:
        return EngineInfo("openvino", ov.get_version().split("-")[0], tuple(self._core.available_devices),
                          f"build {ov.get_version()}")

    def check_device(self, device: str) -> None:
        """Refuse devices this machine does not have; virtual devices are checked by what they list."""
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

    def read(self, model: ModelRef, clock: Clock) -> OpenVINOModel:
        path = model.file()
        # Check the file ourselves first: on a damaged file OpenVINO tries every frontend, and some of them
        # print to stderr before the error comes back.
        if path.suffix.lower() == ".xml":
            read_ir_xml(path)
        else:
            load_onnx(path)
        try:
            read = self._core.read_model(str(path))
        except RuntimeError as error:
            raise InputError(f"openvino cannot read model {path}: {ov_message(error)}") from None
        return OpenVINOModel(self._core, read, path)
