"""ONNX Runtime engine: one InferenceSession; sync = one caller; async = N runner threads sharing it.

ORT's ``run_async`` adds no concurrency on the CPU execution provider, while Python threads sharing one
session with one intra-op thread each do (ResNet-50: 24.9 vs 11.8 FPS on 2 cores). So the throughput
scenario asks the runner for threads (``create_async_session`` returns None). Symbolic dims resolved for
the run are fixed at session creation with free-dimension overrides, so the graph is optimised for them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import EngineError, EngineNotInstalled, InputError, UsageError
from ..modelfile import ModelRef, describe_onnx, load_onnx
from ..onnx_graph import ELEMENT_TYPES, Graph
from .base import (
    AsyncSession,
    Clock,
    EngineInfo,
    EngineOptions,
    InputDescription,
    RuntimeInfo,
    Session,
)

try:
    import onnxruntime as ort
except ImportError as _missing:  # pragma: no cover - exercised when the extra is absent
    raise EngineNotInstalled(
        "engine onnxruntime is not installed: pip install 'infermeter[onnxruntime]'"
    ) from _missing

DEVICE_PROVIDERS = {
    "CPU": "CPUExecutionProvider",
    "GPU": "CUDAExecutionProvider",
    "CUDA": "CUDAExecutionProvider",
    "TENSORRT": "TensorrtExecutionProvider",
    "DML": "DmlExecutionProvider",
    "OPENVINO": "OpenVINOExecutionProvider",
    "COREML": "CoreMLExecutionProvider",
    "ROCM": "ROCMExecutionProvider",
    "QNN": "QNNExecutionProvider",
}
_DTYPE_SHORT = {"float32": "f32", "float16": "f16", "float64": "f64", "bfloat16": "bf16", "int8": "i8",
                "uint8": "u8"}


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def provider_for(device: str) -> str:
    upper = device.upper()
    provider = device if device.endswith("ExecutionProvider") else DEVICE_PROVIDERS.get(upper)
    available = ort.get_available_providers()
    if provider is None:
        raise UsageError(f"-d {device}: onnxruntime has no such device; use one of "
                         f"{', '.join(DEVICE_PROVIDERS)} or an execution provider name ({', '.join(available)})")
    if provider not in available:
        raise UsageError(f"-d {device} needs {provider}, which this onnxruntime build lacks "
                         f"(available: {', '.join(available)})")
    return provider


class OrtSession:
    def __init__(self, session: Any, inputs: Mapping[str, np.ndarray]) -> None:
        self._feeds = {name: np.require(array, requirements="C") for name, array in inputs.items()}
        run = getattr(getattr(session, "_sess", None), "run", None)  # skips per-call Python validation
        if run is not None:
            self.infer = functools.partial(run, [o.name for o in session.get_outputs()], self._feeds, None)
        else:  # pragma: no cover - older/newer wrappers
            self.infer = functools.partial(session.run, None, self._feeds)


class OrtCompiled:
    def __init__(self, session: Any, runtime: RuntimeInfo) -> None:
        self._session = session
        self.runtime = runtime

    def create_session(self, inputs: Mapping[str, np.ndarray]) -> Session:
        return OrtSession(self._session, inputs)

    def create_async_session(self, slot_inputs: Sequence[Mapping[str, np.ndarray]]) -> AsyncSession | None:
        return None  # one runner thread per request, all sharing this InferenceSession


class OrtModel:
    def __init__(self, path: str, graph: Graph) -> None:
        self._path = path
        inputs, outputs = describe_onnx(graph)
        self.inputs = inputs
        self.outputs = outputs
        self._precision = _dominant_precision(graph)
        self._overrides: dict[str, int] = {}

    def reshape(self, shapes: Mapping[str, tuple[int, ...]]) -> None:
        """ORT cannot change static dims: refuse before compiling. Symbolic dims become overrides."""
        sizes: dict[str, set[int]] = {}
        for description in self.inputs:
            shape = shapes.get(description.name)
            _check_static_dims(description, shape)
            for dim, size in zip(description.dims or (), shape or (), strict=False):
                if isinstance(dim, str):
                    sizes.setdefault(dim, set()).add(size)
        self._overrides = {name: next(iter(v)) for name, v in sizes.items() if len(v) == 1}

    def compile(self, options: EngineOptions) -> OrtCompiled:
        provider = provider_for(options.device)
        session_options, intra, reason = _session_options(options, self._overrides)
        try:
            session = ort.InferenceSession(self._path, sess_options=session_options, providers=[provider])
        except Exception as error:  # ORT raises its own pybind exception types
            raise _load_error(self._path, error) from None
        requests = 1 if (options.hint or options.scenario) == "latency" else usable_cpus()
        runtime = RuntimeInfo(
            precision=self._precision,
            precision_note="as stored in the model; onnxruntime CPU does not change it",
            optimal_requests=requests,
            streams=None,
            threads=intra or None,
            hint=options.hint or options.scenario,
            async_mode="runner threads sharing one InferenceSession (run_async adds no concurrency on CPU)",
            choice_reason=reason,
            properties={"providers": ",".join(session.get_providers()),
                        "intra_op_num_threads": str(intra or "auto"), "inter_op_num_threads": "1",
                        "free_dimension_overrides": ",".join(f"{k}={v}" for k, v in self._overrides.items())},
        )
        return OrtCompiled(session, runtime)


def _check_static_dims(description: InputDescription, shape: tuple[int, ...] | None) -> None:
    if shape is None or description.dims is None:
        return
    for index, (dim, size) in enumerate(zip(description.dims, shape, strict=False)):
        if isinstance(dim, int) and dim != size:
            model = ",".join("?" if d is None else str(d) for d in description.dims)
            raise UsageError(f"onnxruntime cannot change static dim {index} of input {description.name!r} "
                             f"(model [{model}], asked {list(shape)}); use -e openvino to reshape")


def _session_options(options: EngineOptions, overrides: Mapping[str, int]) -> tuple[Any, int, str]:
    session_options = ort.SessionOptions()
    session_options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session_options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session_options.inter_op_num_threads = 1
    latency = (options.hint or options.scenario) == "latency" or options.hint == "none"
    intra = options.threads or (0 if latency else 1)
    session_options.intra_op_num_threads = intra
    for name, size in overrides.items():
        session_options.add_free_dimension_override_by_name(name, size)
    cpus = usable_cpus()
    if options.threads:
        reason = f"intra-op threads {options.threads} (-nthreads)"
    elif latency:
        reason = f"latency: one request using all {cpus} cores (intra-op threads = onnxruntime's default)"
    else:
        reason = f"throughput: one request per core ({cpus}), each with 1 intra-op thread, sharing one session"
    return session_options, intra, reason


def _load_error(path: str, error: BaseException) -> Exception:
    kind = type(error).__name__
    text = str(error).splitlines()[0] if str(error) else kind
    if kind in ("InvalidProtobuf", "InvalidGraph", "NoSuchFile", "NotImplemented"):
        return InputError(f"onnxruntime cannot load model {path}: {text}")
    return EngineError(f"onnxruntime failed to create a session for {path}: {text}")


def _dominant_precision(graph: Graph) -> str:
    totals: dict[str, int] = {}
    for tensor in graph.initializers:
        name = ELEMENT_TYPES.get(tensor.data_type)
        if name is not None:
            totals[name] = totals.get(name, 0) + int(np.prod(tensor.dims, dtype=np.int64))
    if not totals:
        return "model-defined"
    dominant = max(totals, key=lambda k: totals[k])
    return _DTYPE_SHORT.get(dominant, dominant)


class OnnxRuntimeEngine:
    name = "onnxruntime"

    def info(self) -> EngineInfo:
        return EngineInfo("onnxruntime", ort.__version__, tuple(ort.get_available_providers()))

    def check_device(self, device: str) -> None:
        provider_for(device)

    def read(self, model: ModelRef, clock: Clock) -> OrtModel:
        path = model.file()
        if path.suffix.lower() == ".xml":
            raise UsageError(f"onnxruntime cannot run OpenVINO IR {path}: use -e openvino or the .onnx file")
        return OrtModel(str(path), load_onnx(path))
