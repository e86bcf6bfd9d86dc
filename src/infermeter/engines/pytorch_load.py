"""Loading PyTorch models: TorchScript (.pt/.jit), torch.export programs (.pt2) and Python factories
(``file.py:make_model``), each with its inputs and outputs described as far as the file declares them.

Used by the pytorch engine and by OpenVINO's PyTorch frontend (which converts what is loaded here), so that
both engines read the same file the same way. The only other module that imports torch is ``pytorch``.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import EngineNotInstalled, InputError, one_line
from ..model import formats
from ..model.files import ModelRef
from .base import Dim, InputDescription, OutputDescription

try:
    import torch
except ImportError as _missing:  # pragma: no cover - exercised when the extra is absent
    raise EngineNotInstalled("engine pytorch is not installed: pip install 'infermeter[pytorch]' (on Linux, "
                             "pip install torch==2.13.0 first takes a CPU-only build of about 190 MB)") from _missing

FACTORY_INPUTS = "infermeter_inputs"  # optional module attribute: {name: (dtype, dims)}, dims may be symbolic
__all__ = ["LoadedTorch", "flat_outputs", "load_torch", "torch", "zeros_like_inputs"]
_TORCH_DTYPES = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16",
                 torch.float64: "float64", torch.int64: "int64", torch.int32: "int32", torch.int8: "int8",
                 torch.uint8: "uint8", torch.bool: "bool"}


@dataclass
class LoadedTorch:
    module: Any  # callable: ScriptModule, the program's module, or the factory's nn.Module
    inputs: list[InputDescription]
    outputs: list[OutputDescription]
    reader: str  # what read it, in words
    program: Any = None  # the ExportedProgram of a .pt2


def load_torch(model: ModelRef) -> LoadedTorch:
    path = model.file()
    if model.kind == formats.TORCHSCRIPT:
        return _torchscript(path)
    if model.kind == formats.TORCH_EXPORT:
        return _exported(path)
    if model.kind == formats.TORCH_FACTORY:
        assert model.factory is not None
        return _factory(model.text, path, model.factory)
    raise InputError(f"model {model.text}: the pytorch engine reads TorchScript (.pt/.jit), torch.export (.pt2) "
                     "and file.py:make_model; engines for this format: " + ", ".join(model.readers))


def _torchscript(path: Path) -> LoadedTorch:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TorchScript is deprecated in favour of torch.export: still read here
            module = torch.jit.load(str(path), map_location="cpu")
    except (RuntimeError, ValueError, OSError) as error:
        raise InputError(f"model file {path} cannot be loaded as TorchScript ({one_line(error)[:160]})") from None
    module.eval()
    arguments = module.forward.schema.arguments[1:]  # [0] is self
    inputs = [InputDescription(a.name, "float32", None) for a in arguments]
    return LoadedTorch(module, inputs, [], "torch.jit.load (TorchScript)")


def _exported(path: Path) -> LoadedTorch:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about its own deprecated pytree spellings
            program = torch.export.load(str(path))
    except Exception as error:  # torch.export raises many types for a damaged archive
        raise InputError(f"model file {path} cannot be loaded as a torch.export program ({one_line(error)[:160]})"
                         ) from None
    user = set(program.graph_signature.user_inputs)
    inputs = [InputDescription(node.name, *_described(node.meta.get("val")))
              for node in program.graph.nodes if node.op == "placeholder" and node.name in user]
    outputs = []
    for node in program.graph.nodes:
        if node.op == "output":
            values = node.args[0] if isinstance(node.args[0], (list, tuple)) else [node.args[0]]
            for index, value in enumerate(values):
                meta = getattr(value, "meta", {}).get("val")
                outputs.append(OutputDescription(f"output{index}", *_described(meta)))
    return LoadedTorch(program.module(), inputs, outputs, "torch.export.load (.pt2)", program)


def _described(value: Any) -> tuple[str, tuple[Dim, ...] | None]:
    if value is None or not hasattr(value, "shape"):
        return "float32", None
    dims: list[Dim] = [int(d) if isinstance(d, int) else str(d) for d in value.shape]
    return _TORCH_DTYPES.get(value.dtype, "unsupported"), tuple(dims)


def _factory(text: str, path: Path, name: str) -> LoadedTorch:
    module_name = f"infermeter_model_{abs(hash(str(path.resolve())))}"
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        assert spec is not None and spec.loader is not None
        code = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = code
        spec.loader.exec_module(code)
    except Exception as error:  # the user's file: anything can be raised while importing it
        raise InputError(f"model {text}: importing {path.name} raised {type(error).__name__}: "
                         f"{one_line(error)[:160]}") from None
    function = getattr(code, name, None)
    if not callable(function):
        raise InputError(f"model {text}: {path.name} has no function {name!r}")
    try:
        made = function()
    except Exception as error:  # the user's factory
        raise InputError(f"model {text}: {name}() raised {type(error).__name__}: {one_line(error)[:160]}") from None
    if not isinstance(made, torch.nn.Module):
        raise InputError(f"model {text}: {name}() returned {type(made).__name__}, not a torch.nn.Module")
    made.eval()
    return LoadedTorch(made, _factory_inputs(text, made), [], f"{name}() from {path.name} (eager nn.Module)")


def _factory_inputs(text: str, module: Any) -> list[InputDescription]:
    declared = getattr(module, FACTORY_INPUTS, None)
    if declared is not None:
        try:
            return [InputDescription(str(key), str(dtype), tuple(dims)) for key, (dtype, dims) in declared.items()]
        except (AttributeError, TypeError, ValueError):
            raise InputError(f"model {text}: {FACTORY_INPUTS} must map input names to (dtype, dims)") from None
    parameters = inspect.signature(module.forward).parameters.values()
    return [InputDescription(p.name, "float32", None) for p in parameters
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def zeros_like_inputs(inputs: list[InputDescription], shapes: dict[str, tuple[int, ...]]) -> tuple[Any, ...]:
    """Example inputs of the run's shapes (zeros are valid for index inputs too)."""
    return tuple(torch.zeros(shapes[d.name], dtype=_dtype(d.dtype)) for d in inputs)


def _dtype(name: str) -> Any:
    for dtype, text in _TORCH_DTYPES.items():
        if text == name:
            return dtype
    return torch.float32


def flat_outputs(value: Any) -> list[Any]:
    """A module's result as a list of tensors: a tensor, nested tuples/lists, or a dict (in its order)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in flat_outputs(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in flat_outputs(v)]
    return []
