"""Tiny models in native formats, built by the tests (nothing generated is committed).

- TorchScript (.pt), torch.export (.pt2, dynamic batch) and a Python factory (.py:make_model) of one module:
  y = relu(x @ W.T + b), x float32 [batch, 8] -> y [batch, 4], and a classifier with 10 scores per row.
- TensorFlow Lite: the same FULLY_CONNECTED + RELU, written with the flatbuffer schema that ai-edge-litert ships
  (no TensorFlow needed).
- TensorFlow: a frozen GraphDef (.pb) and a SavedModel folder (x [?, 8] -> Relu -> y), written as protobuf bytes
  by hand (no TensorFlow needed), one SavedModel without a signature.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

WEIGHT = np.random.default_rng(7).standard_normal((4, 8)).astype(np.float32)
BIAS = np.linspace(-0.5, 0.5, 4).astype(np.float32)

FACTORY_SOURCE = '''
import torch

class Small(torch.nn.Module):
    infermeter_inputs = {"x": ("float32", ("batch", 8))}

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 4)
        with torch.no_grad():
            self.fc.weight.copy_(torch.tensor(WEIGHT))
            self.fc.bias.copy_(torch.tensor(BIAS))

    def forward(self, x):
        return torch.relu(self.fc(x))

def make_model():
    return Small()

def broken():
    raise ValueError("no weights here")
'''


def small_module() -> Any:
    import torch

    module = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU()).eval()
    with torch.no_grad():
        module[0].weight.copy_(torch.from_numpy(WEIGHT))
        module[0].bias.copy_(torch.from_numpy(BIAS))
    return module


def classifier_module() -> Any:
    """x [batch, 16] -> 10 scores per row (for top-1/top-5)."""
    import torch

    torch.manual_seed(3)
    return torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.GELU(), torch.nn.Linear(32, 10)).eval()


def save_torch_models(directory: Path) -> dict[str, Path]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit.trace is deprecated in favour of torch.export (both are tested)
        return _save_torch_models(directory)


def _save_torch_models(directory: Path) -> dict[str, Path]:
    import torch

    module = small_module()
    example = (torch.randn(2, 8),)
    paths = {"pt": directory / "small.pt", "pt2": directory / "small.pt2", "py": directory / "small.py",
             "state_dict": directory / "weights.pt", "classifier": directory / "classifier.pt2"}
    torch.jit.trace(module, example).save(str(paths["pt"]))
    batch = torch.export.Dim("batch", min=1, max=64)
    torch.export.save(torch.export.export(module, example, dynamic_shapes=({0: batch},)), str(paths["pt2"]))
    torch.export.save(torch.export.export(classifier_module(), (torch.randn(3, 16),),
                                          dynamic_shapes=({0: batch},)), str(paths["classifier"]))
    torch.save(module.state_dict(), str(paths["state_dict"]))
    weights = f"WEIGHT = {WEIGHT.tolist()!r}\nBIAS = {BIAS.tolist()!r}\n"
    paths["py"].write_text(weights + FACTORY_SOURCE, encoding="utf-8")
    return paths


def save_tflite(path: Path) -> Path:
    """FULLY_CONNECTED(x [1, 8], W [4, 8], b [4]) with a fused RELU -> y [1, 4]."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    def tensor(shape: list[int], buffer: int, name: str) -> Any:
        made = schema.TensorT()
        made.shape, made.type, made.buffer, made.name = shape, schema.TensorType.FLOAT32, buffer, name
        return made

    model = schema.ModelT()
    model.version = 3
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.FULLY_CONNECTED
    code.version = 1
    model.operatorCodes = [code]
    buffers = []
    for data in (None, None, WEIGHT, BIAS, None):
        buffer = schema.BufferT()
        buffer.data = None if data is None else list(data.tobytes())
        buffers.append(buffer)
    model.buffers = buffers
    graph = schema.SubGraphT()
    graph.tensors = [tensor([1, 8], 1, "x"), tensor([4, 8], 2, "w"), tensor([4], 3, "b"), tensor([1, 4], 4, "y")]
    graph.inputs, graph.outputs, graph.name = [0], [3], "main"
    operator = schema.OperatorT()
    operator.opcodeIndex, operator.inputs, operator.outputs = 0, [0, 1, 2], [3]
    operator.builtinOptionsType = schema.BuiltinOptions.FullyConnectedOptions
    options = schema.FullyConnectedOptionsT()
    options.fusedActivationFunction = schema.ActivationFunctionType.RELU
    operator.builtinOptions = options
    graph.operators = [operator]
    model.subgraphs = [graph]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path.write_bytes(bytes(builder.Output()))
    return path


# --- TensorFlow protobufs, by hand ------------------------------------------------------------------------

_DT_FLOAT = 1


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _bytes(number: int, data: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _int(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value if value >= 0 else (1 << 64) + value)


def _shape(dims: list[int]) -> bytes:
    return b"".join(_bytes(2, _int(1, d)) for d in dims)


def _node(name: str, op: str, inputs: tuple[str, ...] = (), attrs: dict[str, bytes] | None = None) -> bytes:
    body = _bytes(1, name.encode()) + _bytes(2, op.encode()) + b"".join(_bytes(3, i.encode()) for i in inputs)
    return body + b"".join(_bytes(5, _bytes(1, k.encode()) + _bytes(2, v)) for k, v in (attrs or {}).items())


def graph_def() -> bytes:
    """x float [?, 8] -> Relu -> y (Identity)."""
    typed = {"T": _int(6, _DT_FLOAT)}
    nodes = [_node("x", "Placeholder", attrs={"dtype": _int(6, _DT_FLOAT), "shape": _bytes(7, _shape([-1, 8]))}),
             _node("relu", "Relu", ("x",), typed), _node("y", "Identity", ("relu",), typed)]
    return b"".join(_bytes(1, node) for node in nodes)


def save_saved_model(folder: Path, signature: bool = True) -> Path:
    def info(name: str) -> bytes:
        return _bytes(1, name.encode()) + _int(2, _DT_FLOAT) + _bytes(3, _shape([-1, 8]))

    definition = (_bytes(1, _bytes(1, b"x") + _bytes(2, info("x:0"))) + _bytes(2, _bytes(1, b"y") + _bytes(2, info(
        "y:0"))) + _bytes(3, b"tensorflow/serving/predict"))
    meta = _bytes(1, _bytes(4, b"serve")) + _bytes(2, graph_def())
    if signature:
        meta += _bytes(5, _bytes(1, b"serving_default") + _bytes(2, definition))
    (folder / "variables").mkdir(parents=True, exist_ok=True)
    (folder / "saved_model.pb").write_bytes(_int(1, 1) + _bytes(2, meta))
    return folder
