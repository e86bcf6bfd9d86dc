"""How OpenVINO describes a model's inputs: dtypes, dims (with the ONNX file's names for dynamic dims) and
the size of the table an index input feeds (so synthetic ids stay in range). Imported only by
``engines/openvino.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import openvino as ov

from ..model.files import describe_onnx
from ..model.flops import FlopCount
from ..model.io import Dim, InputDescription
from ..model.onnx_graph import Graph

_PASS_THROUGH = {"Convert", "Unsqueeze", "Squeeze", "Reshape", "Transpose", "Broadcast"}


def port_name(port: Any, index: int, kind: str) -> str:
    return str(port.get_any_name()) if port.get_names() else f"{kind}{index}"


def element_dtype(port: Any) -> str:
    element = port.get_element_type()
    if element == ov.Type.string:
        return "string"
    if element == ov.Type.bf16:
        return "bfloat16"
    try:
        return str(np.dtype(element.to_dtype()).name)
    except (RuntimeError, TypeError, IndexError):  # IndexError: a dynamic element type
        return "unsupported"


def port_dims(port: Any) -> tuple[Dim, ...] | None:
    shape = port.get_partial_shape()
    if shape.rank.is_dynamic:
        return None
    return tuple(int(d.get_length()) if d.is_static else None for d in shape)


def describe_inputs(model: Any, graph: Graph | None = None) -> list[InputDescription]:
    """``graph``: the ONNX file's structure, when the model came from one (OpenVINO keeps no names for
    dynamic dims; the file has them)."""
    bounds = _index_bounds(model)
    names = _onnx_dim_names(graph) if graph is not None and _has_dynamic(model) else {}
    described = []
    for index, port in enumerate(model.inputs):
        name = port_name(port, index, "input")
        dims = port_dims(port)
        symbolic = names.get(name)
        if dims is not None and symbolic is not None and len(symbolic) == len(dims):
            dims = tuple(s if d is None and isinstance(s, str) else d for d, s in zip(dims, symbolic, strict=True))
        bound, source = bounds.get(name, (None, None))
        described.append(InputDescription(name, element_dtype(port), dims, bound, source))
    return described


def _has_dynamic(model: Any) -> bool:
    return any(port.get_partial_shape().is_dynamic for port in model.inputs)


def _onnx_dim_names(graph: Graph) -> dict[str, tuple[Dim, ...] | None]:
    inputs, _ = describe_onnx(graph)
    return {description.name: description.dims for description in inputs}


def _index_bounds(model: Any) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for index, parameter in enumerate(model.get_parameters()):
        bound = _follow(parameter)
        if bound is not None:
            found[port_name(model.inputs[index], index, "input")] = bound
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


_COUNTED_OPS = ("Convolution", "GroupConvolution", "ConvolutionBackpropData", "MatMul")


def count_flops(model: Any) -> FlopCount:
    """MACs of the model's Convolution, GroupConvolution, ConvolutionBackpropData and MatMul nodes, from the
    shapes OpenVINO already inferred (cheap: no second copy of the model, unlike reloading the ONNX file)."""
    by_op: dict[str, int] = {}
    uncounted: set[str] = set()
    for node in model.get_ordered_ops():
        kind = node.get_type_name()
        if kind not in _COUNTED_OPS:
            continue
        macs = _node_macs(node, kind)
        if macs is None:
            uncounted.add(kind)
        else:
            by_op[kind] = by_op.get(kind, 0) + macs
    total = sum(by_op.values())
    return FlopCount(total, 2 * total, by_op, tuple(sorted(uncounted)))


def _static(shape: Any) -> list[int] | None:
    return [int(d.get_length()) for d in shape] if shape.is_static else None


def _node_macs(node: Any, kind: str) -> int | None:
    output = _static(node.get_output_partial_shape(0))
    data = _static(node.input_value(0).get_partial_shape())
    weights = _static(node.input_value(1).get_partial_shape())
    if output is None or data is None or weights is None:
        return None
    if kind == "Convolution":  # weights [C_out, C_in, k...]
        return math.prod(output) * weights[1] * math.prod(weights[2:])
    if kind == "GroupConvolution":  # weights [G, C_out/G, C_in/G, k...]
        return math.prod(output) * weights[2] * math.prod(weights[3:])
    if kind == "ConvolutionBackpropData":  # weights [C_in, C_out, k...]
        return math.prod(data) * weights[1] * math.prod(weights[2:])
    if len(data) == 1:
        return math.prod(output) * data[0]
    inner = data[-2] if node.get_attributes().get("transpose_a") else data[-1]
    return math.prod(output) * inner
