"""ONNX Runtime engine: one InferenceSession; sync = one caller; async = N runner threads sharing it.

ORT's ``run_async`` adds no concurrency on the CPU execution provider, while Python threads sharing one
session with one intra-op thread each do (ResNet-50: 24.9 vs 11.8 FPS on 2 cores). So the throughput
scenario asks the runner for threads (``create_async_session`` returns None); ``-nstreams N`` sets how many.
Symbolic dims resolved for the run are fixed at session creation with free-dimension overrides, so the graph
is optimised for them. Session settings (provider, threads, graph level, config entries, profiling) are
planned in ``onnxruntime_options``.
"""

from __future__ import annotations

import functools
import shutil
import weakref
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import EngineError, EngineNotInstalled, InputError, UsageError
from ..model.files import ModelRef, describe_onnx, load_onnx
from ..model.onnx_graph import ELEMENT_TYPES, Graph
from .base import (
    AsyncSession,
    Clock,
    EngineInfo,
    EngineOptions,
    InputDescription,
    RuntimeInfo,
    Session,
)

if TYPE_CHECKING:
    from ..results.counters import LayerCounter

try:
    import onnxruntime as ort
except ImportError as _missing:  # pragma: no cover - exercised when the extra is absent
    raise EngineNotInstalled(
        "engine onnxruntime is not installed: pip install 'infermeter[onnxruntime]'"
    ) from _missing

from .onnxruntime_options import (
    SessionPlan,
    applied_properties,
    check_provider_options,
    device_config,
    first_line,
    plan_session,
    provider_for,
    provider_option_error,
)

_DTYPE_SHORT = {"float32": "f32", "float16": "f16", "float64": "f64", "bfloat16": "bf16", "int8": "i8",
                "uint8": "u8"}


class OrtSession:
    """Inputs bound once; ``infer`` is a partial of a C-level run, so a call builds nothing in Python.

    With ``io_binding`` the inputs are bound to an ``IOBinding`` (and outputs stay in ORT memory:
    ``binding.copy_outputs_to_cpu()`` reads them); otherwise the feeds dict is built once and reused.
    """

    def __init__(self, session: Any, inputs: Mapping[str, np.ndarray], io_binding: bool = False) -> None:
        self._session = session
        self._feeds = {name: np.require(array, requirements="C") for name, array in inputs.items()}
        self.binding: Any = None
        if io_binding:
            self.binding = _bind(session, self._feeds)
            raw_run = getattr(getattr(session, "_sess", None), "run_with_iobinding", None)
            raw_binding = getattr(self.binding, "_iobinding", None)
            if raw_run is not None and raw_binding is not None:  # skips the wrapper's per-call checks
                self.infer = functools.partial(raw_run, raw_binding, None)
            else:  # pragma: no cover - older/newer wrappers
                self.infer = functools.partial(session.run_with_iobinding, self.binding)
            return
        run = getattr(getattr(session, "_sess", None), "run", None)  # skips per-call Python validation
        if run is not None:
            self.infer = functools.partial(run, [o.name for o in session.get_outputs()], self._feeds, None)
        else:  # pragma: no cover - older/newer wrappers
            self.infer = functools.partial(session.run, None, self._feeds)


    def outputs(self) -> list[np.ndarray]:
        """One more call; its outputs copied into numpy arrays, in the model's output order."""
        if self.binding is not None:
            self.infer()
            return [np.array(array) for array in self.binding.copy_outputs_to_cpu()]
        return [np.array(array) for array in self._session.run(None, self._feeds)]


def _bind(session: Any, feeds: Mapping[str, np.ndarray]) -> Any:
    binding = session.io_binding()
    for name, array in feeds.items():
        try:
            binding.bind_cpu_input(name, array)
        except Exception as error:  # ORT raises its own pybind exception types
            raise UsageError(f"IO binding: input {name!r} ({array.dtype}) cannot be bound ({first_line(error)}); "
                             "--no-io-binding runs without it") from None
    for output in session.get_outputs():
        binding.bind_output(output.name)
    return binding


class _Profile:
    """ORT's profile of one session: ended once, parsed once, then its temporary folder is removed."""

    def __init__(self, session: Any, directory: str) -> None:
        self._session = session
        self._directory = directory
        self._ended = False
        self._counters: list[list[LayerCounter]] | None = None

    def counters(self) -> list[list[LayerCounter]]:
        if self._counters is None:
            from ..results.counters import counters_from_ort_profile

            path = self._end()
            try:
                self._counters = counters_from_ort_profile(path) if path else []
            finally:
                self.discard()
        return self._counters

    def _end(self) -> str:
        if self._ended:
            return ""
        self._ended = True
        return str(self._session.end_profiling())

    def discard(self) -> None:
        try:
            self._end()  # ORT writes the file when profiling ends: end it before removing the folder
        finally:
            shutil.rmtree(self._directory, ignore_errors=True)


class OrtCompiled:
    def __init__(self, session: Any, runtime: RuntimeInfo, profile_dir: str | None = None,
                 io_binding: bool = False) -> None:
        self._session = session
        self._io_binding = io_binding
        self.runtime = runtime
        self._profile = _Profile(session, profile_dir) if profile_dir else None
        if self._profile is not None:
            weakref.finalize(self, self._profile.discard)

    def create_session(self, inputs: Mapping[str, np.ndarray]) -> Session:
        return OrtSession(self._session, inputs, self._io_binding)

    def create_async_session(self, slot_inputs: Sequence[Mapping[str, np.ndarray]]) -> AsyncSession | None:
        return None  # one runner thread per request, all sharing this InferenceSession

    def finish(self) -> None:
        return None  # -exec_graph_path was written by ORT at session creation

    def layer_counters(self) -> list[list[LayerCounter]]:
        """Per-run counters from ORT's profile (every run so far, warm-up included). Ends profiling on the
        first call, so call it after measuring; later calls return the same lists."""
        return [] if self._profile is None else self._profile.counters()


class OrtModel:
    def __init__(self, path: str, graph: Graph) -> None:
        self._path = path
        inputs, outputs = describe_onnx(graph)
        self.inputs = inputs
        self.outputs = outputs
        self._precision = _dominant_precision(graph)
        self._overrides: dict[str, int] = {}
        self._rebatch: dict[str, int] = {}  # input -> new size of its static dim 0 (-b on a static model)

    def reshape(self, shapes: Mapping[str, tuple[int | None, ...]]) -> None:
        """ORT cannot reshape: symbolic dims become free-dimension overrides; a static batch dim (dim 0) that
        -b changes is made symbolic in a copy of the graph (as deepsparse does); any other static dim that
        differs is refused before compiling."""
        sizes: dict[str, set[int]] = {}
        self._rebatch = {}
        for description in self.inputs:
            wanted = shapes.get(description.name)
            if wanted is not None and None in wanted:
                continue  # left dynamic (several -data_shape sizes): the model keeps its own dims
            shape = tuple(d for d in wanted if d is not None) if wanted is not None else None
            if shape and description.dims and isinstance(description.dims[0], int) and shape[0] != description.dims[0]:
                self._rebatch[description.name] = shape[0]
                shape = (description.dims[0], *shape[1:])
            _check_static_dims(description, shape)
            for dim, size in zip(description.dims or (), shape or (), strict=False):
                if isinstance(dim, str):
                    sizes.setdefault(dim, set()).add(size)
        self._overrides = {name: next(iter(v)) for name, v in sizes.items() if len(v) == 1}
        if len(set(self._rebatch.values())) > 1:
            raise UsageError(f"onnxruntime: inputs ask for different batch sizes ({self._rebatch})")
        if self._rebatch:
            self._overrides[REBATCH_DIM] = next(iter(self._rebatch.values()))

    def compile(self, options: EngineOptions) -> OrtCompiled:
        plan = plan_session(options, self._overrides, self._path)
        source: str | bytes = rebatched_model(self._path, self._rebatch) if self._rebatch else self._path
        try:
            session = _create_session(source, plan)
        except BaseException:
            if plan.profile_dir:
                shutil.rmtree(plan.profile_dir, ignore_errors=True)
            raise
        io_binding = _use_io_binding(options.tuning.io_binding, self.inputs)
        runtime = RuntimeInfo(
            precision=self._precision,
            precision_note="as stored in the model; onnxruntime CPU does not change it",
            optimal_requests=plan.requests,
            streams=plan.streams,
            threads=session.get_session_options().intra_op_num_threads or None,
            hint=options.hint or options.goal,
            async_mode="runner threads sharing one InferenceSession (run_async adds no concurrency on CPU)",
            choice_reason="; ".join(plan.reasons),
            properties=applied_properties(session, plan, io_binding),
            device_config=device_config(session, plan, options.device),
        )
        return OrtCompiled(session, runtime, plan.profile_dir, io_binding)


REBATCH_DIM = "infermeter_batch"


def _use_io_binding(asked: bool | None, inputs: Sequence[InputDescription]) -> bool:
    """IO binding unless --no-io-binding: a run then skips converting its outputs into new numpy arrays
    (outputs stay in onnxruntime memory, as OpenVINO's do), the least a harness can add per call. onnxruntime
    cannot bind string tensors, so models with string inputs use session.run unless --io-binding insists."""
    if asked is not None:
        return asked
    return not any(description.dtype == "string" for description in inputs)


def rebatched_model(path: str, rebatch: Mapping[str, int]) -> bytes:
    """The model with dim 0 of the given inputs (and of every output) made symbolic, as serialized bytes."""
    try:
        import onnx
    except ImportError:  # pragma: no cover - onnx comes with the onnxruntime extra
        raise UsageError("-b on a model with a static batch needs the onnx package: pip install onnx") from None
    model = onnx.load(path)
    for value in [*[v for v in model.graph.input if v.name in rebatch], *model.graph.output]:
        dims = value.type.tensor_type.shape.dim
        if len(dims):
            dims[0].Clear()
            dims[0].dim_param = REBATCH_DIM
    del model.graph.value_info[:]  # inferred shapes of the old batch would contradict the new one
    data: bytes = model.SerializeToString()
    return data


def _create_session(source: str | bytes, plan: SessionPlan) -> Any:
    """One InferenceSession with the planned provider; no silent fallback to another provider."""
    path = source if isinstance(source, str) else "the re-batched model"
    try:
        session = ort.InferenceSession(source, sess_options=plan.session_options,
                                       providers=[(plan.provider, plan.provider_options)], enable_fallback=0)
    except Exception as error:  # ORT raises its own pybind exception types
        raise _load_error(path, error, plan) from None
    disable = getattr(session, "disable_fallback", None)
    if disable is not None:
        disable()  # a failing run must fail, not re-create the session on another provider
    check_provider_options(session, plan)
    if session.get_providers()[0] != plan.provider:  # pragma: no cover - ORT < 1.17 ignores enable_fallback=0
        raise EngineError(f"onnxruntime fell back from {plan.provider} to {', '.join(session.get_providers())}")
    return session


def _check_static_dims(description: InputDescription, shape: tuple[int, ...] | None) -> None:
    if shape is None or description.dims is None:
        return
    for index, (dim, size) in enumerate(zip(description.dims, shape, strict=False)):
        if isinstance(dim, int) and dim != size:
            model = ",".join("?" if d is None else str(d) for d in description.dims)
            raise UsageError(f"onnxruntime cannot change static dim {index} of input {description.name!r} "
                             f"(model [{model}], asked {list(shape)}); use -e openvino to reshape")


def _load_error(path: str, error: BaseException, plan: SessionPlan) -> Exception:
    kind = type(error).__name__
    text = str(error).splitlines()[0] if str(error) else kind
    if kind in ("InvalidProtobuf", "InvalidGraph", "NoSuchFile", "NotImplemented"):
        return InputError(f"onnxruntime cannot load model {path}: {text}")
    return provider_option_error(error, plan) or EngineError(
        f"onnxruntime failed to create a session for {path}: {text}")


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

    def info(self, devices: bool = True) -> EngineInfo:
        return EngineInfo("onnxruntime", ort.__version__, tuple(ort.get_available_providers()) if devices else ())

    def check_device(self, device: str) -> None:
        provider_for(device)

    def read(self, model: ModelRef, clock: Clock) -> OrtModel:
        path = model.file()
        if path.suffix.lower() == ".xml":
            raise UsageError(f"onnxruntime cannot run OpenVINO IR {path}: use -e openvino or the .onnx file")
        return OrtModel(str(path), load_onnx(path))
