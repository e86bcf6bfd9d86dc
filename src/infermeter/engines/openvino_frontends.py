"""Every format OpenVINO reads, and which of its frontends read it.

ONNX, IR, TensorFlow Lite, TensorFlow (frozen .pb and SavedModel folders) and PaddlePaddle go through
``Core.read_model`` (the C++ frontends, no TensorFlow or Paddle package needed). PyTorch files are loaded by
``pytorch_load`` (the same code the pytorch engine uses) and converted by ``openvino.convert_model``; a Python
factory's module is traced at the run's shapes, so its conversion waits for ``reshape``. Converted inputs take the
names the pytorch engine gives them, so that both engines are fed by the same names.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UsageError, one_line
from ..model import formats
from ..model.files import ModelRef
from .base import InputDescription

if TYPE_CHECKING:
    from ..model.flops import FlopCount

FRONTENDS = {formats.ONNX: "onnx", formats.IR: "ir", formats.TFLITE: "tflite", formats.TENSORFLOW: "tf",
             formats.SAVED_MODEL: "tf", formats.PADDLE: "paddle"}


def frontend_text(kind: str, how: str = "") -> str:
    name = FRONTENDS.get(kind, "pytorch")
    return f"openvino {name} frontend ({formats.DESCRIPTION[kind]}{'; ' + how if how else ''})"


def convert_torch(model: ModelRef, example: tuple[Any, ...] | None = None) -> tuple[Any, Any]:
    """(ov.Model, the loaded torch model) for a TorchScript file, a .pt2 program or a factory's module."""
    from .pytorch_load import load_torch

    loaded = load_torch(model)
    try:
        from openvino.tools.ovc import convert_model
    except ImportError:  # pragma: no cover - ovc ships with openvino
        raise UsageError("openvino's model converter (openvino.tools.ovc) is missing") from None
    source = loaded.program if loaded.program is not None else loaded.module
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch and the converter warn about their own internals
            converted = convert_model(source, example_input=example) if example is not None else convert_model(source)
    except Exception as error:  # the converter raises many types
        raise InputError(f"openvino could not convert {model.text}: {one_line(error)[:200]}") from None
    _declare(converted, loaded.inputs)
    return converted, loaded


def _declare(converted: Any, inputs: Sequence[InputDescription]) -> None:
    """The converted inputs get the pytorch engine's names and the program's static dims (the converter leaves
    every dim of a program with a dynamic dim dynamic)."""
    import openvino as ov

    shapes = {}
    for port, description in zip(converted.inputs, inputs, strict=False):
        port.get_tensor().set_names({description.name})
        if description.dims is not None and port.get_partial_shape().rank.get_length() == len(description.dims):
            shapes[port] = ov.PartialShape([d if isinstance(d, int) else -1 for d in description.dims])
    if shapes:
        converted.reshape(shapes)


class DeferredTorchModel:
    """A TorchScript module or a factory's nn.Module on OpenVINO: converted by tracing it on zeros of the run's
    shapes in ``reshape`` (they declare no shapes or element types that the converter could use)."""

    def __init__(self, model: ModelRef, build: Any) -> None:
        from .pytorch_load import load_torch

        self._model = model
        self._build = build  # (ov.Model) -> OpenVINOModel
        self._loaded = load_torch(model)
        self.inputs = self._loaded.inputs
        self.outputs = self._loaded.outputs
        self._ready: Any = None  # the OpenVINOModel, once converted

    def reshape(self, shapes: Mapping[str, tuple[int | None, ...]]) -> None:
        from .pytorch_load import zeros_like_inputs

        static = {name: tuple(int(d) for d in shape if d is not None) for name, shape in shapes.items()
                  if None not in shape}
        if len(static) != len(self.inputs):
            raise UsageError(f"openvino traces {self._model.text} at one static shape per input (-shape or --dim)")
        converted, _ = convert_torch(self._model, zeros_like_inputs(self.inputs, static))
        self._ready = self._build(converted)
        self._ready.reshape(static)

    def _model_ready(self) -> Any:
        assert self._ready is not None, "reshape comes before compile"
        return self._ready

    def count_flops(self) -> FlopCount:
        flops: FlopCount = self._model_ready().count_flops()
        return flops

    def compile(self, options: Any) -> Any:
        return self._model_ready().compile(options)
