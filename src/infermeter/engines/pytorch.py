"""PyTorch engine: TorchScript, torch.export programs and Python factories, run under ``inference_mode``.

Sync calls the module with its inputs bound once as tensors that share the numpy arrays' memory; a timed call is the
module call alone, made inside ``torch.inference_mode()`` (and autocast for bf16), which the runner enters once per
loop and thread (the session's ``scope``), as a bare loop inside one ``inference_mode`` block does. Async is one
runner thread per request in flight (``create_async_session`` returns None), all calling the same module. Threads
are process-wide in PyTorch (``torch.set_num_threads``); they are set when a session is made, so an A/B of two
thread counts is measured at the count each configuration asked for. ``-infer_precision bf16`` runs under CPU
autocast, and the precision reported is the one the model's matmul/conv ops were seen to compute in (a probe call on
zeros).
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import EngineError, UsageError, one_line
from ..model import formats
from ..model.files import ModelRef
from .base import AsyncSession, Clock, EngineInfo, EngineOptions, RuntimeInfo, Session
from .native_plan import RUNNER_THREADS_MODE, plan_native
from .pytorch_load import LoadedTorch, flat_outputs, load_torch, torch, zeros_like_inputs

if TYPE_CHECKING:
    from ..results.counters import LayerCounter

_COMPUTE_OPS = ("mm", "addmm", "bmm", "baddbmm", "matmul", "linear", "convolution", "conv2d", "conv1d", "conv3d",
                "_convolution", "mkldnn_convolution", "_scaled_dot_product_flash_attention_for_cpu")
_SHORT = {torch.float32: "f32", torch.bfloat16: "bf16", torch.float16: "f16", torch.float64: "f64"}
_AUTOCAST = {"bf16": torch.bfloat16, "f32": None}
_InferenceMode: Any = getattr(torch._C, "_InferenceMode", None)


def _run(module: Any, args: tuple[Any, ...]) -> Any:
    with _InferenceMode(True):
        return module(*args)


def _run_autocast(module: Any, args: tuple[Any, ...], dtype: Any) -> Any:
    with _InferenceMode(True), torch.autocast("cpu", dtype=dtype):
        return module(*args)


def _run_portable(module: Any, args: tuple[Any, ...], dtype: Any = None) -> Any:  # pragma: no cover - old torch
    with torch.inference_mode(), torch.autocast("cpu", dtype=dtype or torch.bfloat16, enabled=dtype is not None):
        return module(*args)


def caller(module: Any, args: tuple[Any, ...], dtype: Any) -> Any:
    """A no-argument call of the module on bound inputs (the timed call)."""
    if _InferenceMode is None:  # pragma: no cover - old torch
        return functools.partial(_run_portable, module, args, dtype)
    if dtype is None:
        return functools.partial(_run, module, args)
    return functools.partial(_run_autocast, module, args, dtype)


class TorchSession:
    """The timed call is the module call itself; ``scope`` (inference_mode, and autocast for bf16) is entered by the
    runner once around its loop in each thread (``engines.base.call_scope``), as a bare loop enters it once."""

    def __init__(self, module: Any, names: Sequence[str], inputs: Mapping[str, np.ndarray], dtype: Any,
                 threads: int) -> None:
        torch.set_num_threads(threads)  # process-wide; each runner thread picks it up on its first op
        arrays = [np.require(inputs[name], requirements=["C", "W"]) for name in names]
        self._tensors = tuple(torch.from_numpy(array) for array in arrays)
        self._arrays = arrays  # the tensors share their memory
        self._dtype = dtype
        self.infer = functools.partial(module, *self._tensors)

    def scope(self) -> contextlib.AbstractContextManager[object]:
        stack = contextlib.ExitStack()
        stack.enter_context(torch.inference_mode())
        if self._dtype is not None:
            stack.enter_context(torch.autocast("cpu", dtype=self._dtype))
        return stack

    def outputs(self) -> list[np.ndarray]:
        """One more call; its outputs as numpy arrays (bf16 as float32)."""
        with self.scope():
            result = self.infer()
        return [t.detach().float().numpy().copy() if t.dtype == torch.bfloat16 else t.detach().numpy().copy()
                for t in flat_outputs(result)]


class TorchCompiled:
    def __init__(self, module: Any, names: Sequence[str], dtype: Any, runtime: RuntimeInfo) -> None:
        self._module = module
        self._names = list(names)
        self._dtype = dtype
        self.runtime = runtime

    def create_session(self, inputs: Mapping[str, np.ndarray]) -> Session:
        return TorchSession(self._module, self._names, inputs, self._dtype, self.runtime.threads or 1)

    def create_async_session(self, slot_inputs: Sequence[Mapping[str, np.ndarray]]) -> AsyncSession | None:
        return None  # one runner thread per request in flight, all calling this module

    def finish(self) -> None:
        return None

    def layer_counters(self) -> list[list[LayerCounter]]:
        return []


class TorchModel:
    def __init__(self, model: ModelRef, loaded: LoadedTorch) -> None:
        self._model = model
        self._loaded = loaded
        self.inputs = loaded.inputs
        self.outputs = loaded.outputs
        self.frontend = loaded.reader
        self._shapes: dict[str, tuple[int, ...]] = {}

    def reshape(self, shapes: Mapping[str, tuple[int | None, ...]]) -> None:
        """Nothing to rebuild: a module takes any shape it can compute. A torch.export program checks its dims,
        so a static dim it was exported with cannot change."""
        for description in self.inputs:
            wanted = shapes.get(description.name)
            if wanted is None or None in wanted:
                raise UsageError(f"pytorch: input {description.name!r} needs one static shape (-shape or --dim)")
            if self._model.kind == formats.TORCH_EXPORT and description.dims is not None:
                for index, (dim, size) in enumerate(zip(description.dims, wanted, strict=False)):
                    if isinstance(dim, int) and dim != size:
                        raise UsageError(f"pytorch cannot change static dim {index} of input {description.name!r} of "
                                         f"a torch.export program (exported as {list(description.dims)}, asked "
                                         f"{list(wanted)}): export it with dynamic_shapes")
            self._shapes[description.name] = tuple(int(d) for d in wanted if d is not None)

    def compile(self, options: EngineOptions) -> TorchCompiled:
        plan = plan_native("pytorch", options)
        torch.set_num_threads(plan.threads)
        dtype = _autocast_dtype(options.infer_precision)
        example = zeros_like_inputs(self.inputs, self._shapes)
        precision, note = _probe_precision(self._loaded.module, example, dtype, options.infer_precision)
        module = self._loaded.module
        for parameter in module.parameters():  # no autograd graph, even for a call made outside inference_mode
            parameter.requires_grad_(False)
        reasons = list(plan.reasons)
        if options.tuning.torch_compile:
            module = self._torch_compile(module, example, dtype)
            reasons.append("torch.compile (inductor): compiled on its first call, timed in the compile phase")
        else:
            reasons.append("eager (no torch.compile; --torch-compile compiles)")
        runtime = RuntimeInfo(
            precision=precision, precision_note=note, optimal_requests=plan.requests, streams=None,
            threads=plan.threads, hint=options.hint or options.goal,
            async_mode=RUNNER_THREADS_MODE.format(what="each a blocking module call"),
            choice_reason="; ".join(reasons) + f"; torch.set_num_threads({plan.threads}) (torch.utils.benchmark."
            "Timer would use 1 thread unless told)",
            properties={"num_threads": str(plan.threads), "torch_compile": str(options.tuning.torch_compile).lower(),
                        "inference_mode": "true", "autocast": "bf16" if dtype is not None else "off"},
            frontend=self.frontend,
        )
        return TorchCompiled(module, [d.name for d in self.inputs], dtype, runtime)

    def _torch_compile(self, module: Any, example: tuple[Any, ...], dtype: Any) -> Any:
        if self._model.kind == formats.TORCHSCRIPT:
            raise UsageError("--torch-compile compiles an nn.Module: give a .pt2 (torch.export) or file.py:make_model "
                             "(TorchScript is already compiled by torch.jit)")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # inductor warns about torch's own deprecated internals
                compiled = torch.compile(module)
                caller(compiled, example, dtype)()  # torch.compile compiles on the first call
        except Exception as error:  # inductor raises many types (and needs a C++ compiler)
            raise EngineError(f"torch.compile failed: {one_line(error)[:200]}") from None
        return compiled


def _autocast_dtype(asked: str | None) -> Any:
    if asked is None:
        return None
    value = asked.rpartition(":")[2].lower()
    value = {"fp32": "f32", "float32": "f32", "bfloat16": "bf16"}.get(value, value)
    if value not in _AUTOCAST:
        raise UsageError(f"-infer_precision {asked}: the pytorch engine runs bf16 (CPU autocast) or f32")
    return _AUTOCAST[value]


def _probe_precision(module: Any, example: tuple[Any, ...], dtype: Any, asked: str | None) -> tuple[str, str]:
    """The dtype the module's matmul/conv ops computed in, seen on one call on zeros."""
    from torch.utils._python_dispatch import TorchDispatchMode

    seen: Counter[str] = Counter()

    class _Watch(TorchDispatchMode):  # type: ignore[misc]  # torch is Any for mypy here
        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            out = func(*args, **(kwargs or {}))
            if func.__name__.split(".")[0] in _COMPUTE_OPS:
                for tensor in flat_outputs(out):
                    seen[_SHORT.get(tensor.dtype, str(tensor.dtype))] += 1
            return out

    try:
        with _Watch():
            caller(module, example, dtype)()
    except Exception as error:  # the model itself failed on inputs of the run's shapes
        raise EngineError(f"pytorch: the model failed on inputs of the run's shapes: {one_line(error)[:200]}") from None
    if not seen:
        return "f32", "no matmul/conv op seen; inputs and parameters as stored"
    precision = seen.most_common(1)[0][0]
    counts = ", ".join(f"{count} in {name}" for name, count in seen.most_common())
    if dtype is None:
        return precision, f"as stored in the model (matmul/conv ops: {counts})"
    capability = torch.backends.cpu.get_cpu_capability()
    if precision != "bf16":
        return precision, f"-infer_precision {asked} was asked; autocast left every matmul/conv op in {precision}"
    return precision, f"CPU autocast bf16 (matmul/conv ops: {counts}; other ops per autocast's rules); CPU " \
                      f"capability {capability}"


class PyTorchEngine:
    name = "pytorch"

    def info(self, devices: bool = True) -> EngineInfo:
        return EngineInfo("pytorch", torch.__version__.split("+")[0], ("CPU",), f"torch {torch.__version__}")

    def check_device(self, device: str) -> None:
        if device.upper() != "CPU":
            raise UsageError(f"-d {device}: the pytorch engine runs on the CPU here")

    def read(self, model: ModelRef, clock: Clock) -> TorchModel:
        return TorchModel(model, load_torch(model))
