"""LiteRT engine (``ai-edge-litert``): a .tflite file on its interpreter, with its default CPU delegate (XNNPACK).

An interpreter is not thread-safe, so every session has its own (inputs set once, tensors allocated once); a
call is the interpreter's C++ ``Invoke``, which releases the GIL. Async is one runner thread per request in
flight, each with its own interpreter (``create_async_session`` returns None).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import EngineError, EngineNotInstalled, InputError, UsageError, one_line
from ..model import formats
from ..model.files import ModelRef
from .base import (
    AsyncSession,
    Clock,
    Dim,
    EngineInfo,
    EngineOptions,
    InputDescription,
    OutputDescription,
    RuntimeInfo,
    Session,
)
from .native_plan import RUNNER_THREADS_MODE, plan_native

if TYPE_CHECKING:
    from ..results.counters import LayerCounter

try:
    from ai_edge_litert import interpreter as litert
except ImportError as _missing:  # pragma: no cover - exercised when the extra is absent
    raise EngineNotInstalled("engine litert is not installed: pip install 'infermeter[litert]'") from _missing

_SHORT = {"float32": "f32", "float16": "f16", "int8": "i8", "uint8": "u8", "int16": "i16", "bfloat16": "bf16"}


def _interpreter(path: str, threads: int | None) -> Any:
    try:
        return litert.Interpreter(model_path=path, num_threads=threads)
    except (ValueError, RuntimeError) as error:
        raise InputError(f"litert cannot load model {path}: {one_line(error)[:160]}") from None


class LiteRTSession:
    def __init__(self, path: str, threads: int, inputs: Mapping[str, np.ndarray],
                 shapes: Mapping[str, tuple[int, ...]]) -> None:
        self._interpreter = _interpreter(path, threads)
        details = self._interpreter.get_input_details()
        for detail in details:
            wanted = shapes.get(detail["name"])
            if wanted is not None and tuple(detail["shape"]) != wanted:
                self._interpreter.resize_tensor_input(detail["index"], list(wanted), strict=True)
        try:
            self._interpreter.allocate_tensors()
            for detail in details:
                self._interpreter.set_tensor(detail["index"], np.ascontiguousarray(inputs[detail["name"]]))
        except (ValueError, RuntimeError) as error:
            raise EngineError(f"litert could not prepare its tensors: {one_line(error)[:200]}") from None
        self._outputs = [d["index"] for d in self._interpreter.get_output_details()]
        raw = getattr(self._interpreter, "_interpreter", None)  # skips the per-call buffer-reference check
        self.infer = raw.Invoke if raw is not None else self._interpreter.invoke

    def outputs(self) -> list[np.ndarray]:
        self.infer()
        return [np.array(self._interpreter.get_tensor(index)) for index in self._outputs]


class LiteRTCompiled:
    def __init__(self, path: str, shapes: Mapping[str, tuple[int, ...]], runtime: RuntimeInfo) -> None:
        self._path = path
        self._shapes = dict(shapes)
        self.runtime = runtime

    def create_session(self, inputs: Mapping[str, np.ndarray]) -> Session:
        return LiteRTSession(self._path, self.runtime.threads or 1, inputs, self._shapes)

    def create_async_session(self, slot_inputs: Sequence[Mapping[str, np.ndarray]]) -> AsyncSession | None:
        return None  # one runner thread per request in flight, each with its own interpreter

    def finish(self) -> None:
        return None

    def layer_counters(self) -> list[list[LayerCounter]]:
        return []


class LiteRTModel:
    def __init__(self, path: str) -> None:
        self._path = path
        probe = _interpreter(path, 1)
        self.inputs = [InputDescription(d["name"], np.dtype(d["dtype"]).name, _dims(d)) for d in
                       probe.get_input_details()]
        self.outputs = [OutputDescription(d["name"], np.dtype(d["dtype"]).name, _dims(d)) for d in
                        probe.get_output_details()]
        self._precision = _stored_precision(probe)
        self._shapes: dict[str, tuple[int, ...]] = {}

    def reshape(self, shapes: Mapping[str, tuple[int | None, ...]]) -> None:
        """Dims declared dynamic (-1) are resized when each interpreter is made; static dims cannot change."""
        for description in self.inputs:
            wanted = shapes.get(description.name)
            if wanted is None or None in wanted:
                raise UsageError(f"litert: input {description.name!r} needs one static shape (-shape or -b)")
            for index, (dim, size) in enumerate(zip(description.dims or (), wanted, strict=False)):
                if isinstance(dim, int) and dim != size:
                    raise UsageError(f"litert cannot change static dim {index} of input {description.name!r} (model "
                                     f"{list(description.dims or ())}, asked {list(wanted)}); use -e openvino to "
                                     "reshape")
            self._shapes[description.name] = tuple(int(d) for d in wanted if d is not None)

    def compile(self, options: EngineOptions) -> LiteRTCompiled:
        plan = plan_native("litert", options)
        runtime = RuntimeInfo(
            precision=self._precision, precision_note="as stored in the model (LiteRT's CPU kernels, XNNPACK)",
            optimal_requests=plan.requests, threads=plan.threads, hint=options.hint or options.goal,
            async_mode=RUNNER_THREADS_MODE.format(what="each with its own interpreter"),
            choice_reason="; ".join(plan.reasons), properties={"num_threads": str(plan.threads)},
            frontend="ai_edge_litert.interpreter.Interpreter (LiteRT)",
        )
        return LiteRTCompiled(self._path, self._shapes, runtime)


def _dims(detail: Mapping[str, Any]) -> tuple[Dim, ...]:
    signature = detail.get("shape_signature")
    values = signature if signature is not None and len(signature) else detail["shape"]
    return tuple(None if int(v) < 0 else int(v) for v in values)


def _stored_precision(probe: Any) -> str:
    """The element type holding most of the model's constant data (weights)."""
    sizes: Counter[str] = Counter()
    for detail in probe.get_tensor_details():
        name = np.dtype(detail["dtype"]).name
        sizes[name] += int(np.prod(detail["shape"])) if len(detail["shape"]) else 1
    if not sizes:
        return "model-defined"
    dominant = sizes.most_common(1)[0][0]
    return _SHORT.get(dominant, dominant)


class LiteRTEngine:
    name = "litert"

    def info(self, devices: bool = True) -> EngineInfo:
        from importlib.metadata import version

        return EngineInfo("litert", version("ai-edge-litert"), ("CPU",), "ai-edge-litert interpreter, XNNPACK")

    def check_device(self, device: str) -> None:
        if device.upper() != "CPU":
            raise UsageError(f"-d {device}: the litert engine runs on the CPU here")

    def read(self, model: ModelRef, clock: Clock) -> LiteRTModel:
        if model.kind != formats.TFLITE:
            raise InputError(f"model {model.text}: the litert engine reads .tflite files only")
        return LiteRTModel(str(model.file()))
