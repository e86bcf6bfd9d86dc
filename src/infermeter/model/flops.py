"""Count a model's multiply-accumulates (MACs) and FLOPs from its ONNX graph, for a roofline figure.

Only the ops that dominate compute are counted: convolutions (also transposed and quantized) and matrix
products (MatMul, Gemm and their quantized forms). Element-wise ops, pooling and normalization are left
out, as is usual for "GMACs" figures. FLOPs = 2 x MACs. Shapes come from the graph after the run's input
shapes are written onto its inputs and ONNX shape inference (with data propagation) has run; an op whose
shapes stay unknown is listed in ``uncounted`` rather than guessed, and so are ops whose cost is not
modelled (Einsum, fused attention, recurrent cells). Nodes inside subgraphs (If, Loop) are not visited.

onnx is imported only inside ``model_flops``; without it (or for a file that is not ONNX) the answer is None.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

Shape = tuple[int, ...]

# op type -> index of the weight input (layout [C_out, C_in/group, *kernel]; ConvTranspose [C_in, C_out/group, *k])
_CONV_WEIGHT = {"Conv": 1, "ConvInteger": 1, "QLinearConv": 3, "FusedConv": 1}
# op type -> indices of the A and B inputs
_MATMUL_INPUTS = {"MatMul": (0, 1), "MatMulInteger": (0, 1), "QLinearMatMul": (0, 3)}
# Heavy ops whose cost is not modelled here: always reported as uncounted.
_NOT_MODELLED = frozenset({
    "Einsum", "Attention", "MultiHeadAttention", "GroupQueryAttention", "PackedAttention",
    "PackedMultiHeadAttention", "DecoderMaskedMultiHeadAttention", "FusedMatMul", "LSTM", "GRU", "RNN",
})


@dataclass(frozen=True)
class FlopCount:
    """Work of one inference at the given input shapes."""

    macs: int
    flops: int  # 2 x macs
    by_op: dict[str, int] = field(hash=False)  # MACs per op type (only op types with counted nodes)
    uncounted: tuple[str, ...]  # op types (sorted) with nodes that could not be counted


def model_flops(path: Path, input_shapes: Mapping[str, tuple[int, ...]]) -> FlopCount | None:
    """MACs and FLOPs of the ONNX model at ``path`` with its inputs set to ``input_shapes``.

    Inputs not in ``input_shapes`` keep the shapes the file gives them. None when onnx is not installed or
    the file is not an ONNX model; a missing or unreadable file raises OSError.
    """
    try:
        import onnx
    except ImportError:
        return None
    if path.suffix.lower() == ".xml":  # OpenVINO IR
        return None
    try:
        model = onnx.load(str(path), load_external_data=False)  # only dims are needed, not weights
    except OSError:
        raise
    except Exception:  # not a protobuf ModelProto
        return None
    if not model.HasField("graph"):
        return None
    _set_input_shapes(model.graph, input_shapes)
    # If inference fails (e.g. an opset newer than onnx knows) count what the file records.
    with contextlib.suppress(Exception):
        model = onnx.shape_inference.infer_shapes(model, data_prop=True)
    return count_graph(model.graph)


def count_graph(graph: Any) -> FlopCount:
    """Count the MACs of the top-level nodes of an ``onnx.GraphProto`` from the shapes it records."""
    shapes = _shape_map(graph)
    by_op: dict[str, int] = {}
    uncounted: set[str] = set()
    for node in graph.node:
        op = node.op_type
        if op in _NOT_MODELLED:
            uncounted.add(op)
            continue
        if op not in _CONV_WEIGHT and op not in _MATMUL_INPUTS and op not in {"ConvTranspose", "Gemm"}:
            continue
        macs = _node_macs(node, shapes)
        if macs is None:
            uncounted.add(op)
        else:
            by_op[op] = by_op.get(op, 0) + macs
    total = sum(by_op.values())
    return FlopCount(macs=total, flops=2 * total, by_op=by_op, uncounted=tuple(sorted(uncounted)))


def _set_input_shapes(graph: Any, input_shapes: Mapping[str, tuple[int, ...]]) -> None:
    """Write the run's shapes onto the graph inputs and forget the shapes recorded downstream of them.

    Shapes the file recorded for other inputs' sizes (e.g. batch 1) would clash with the new ones: shape
    inference would then fail and the stale shapes be counted. Inference recomputes them all.
    """
    changed = False
    for value in graph.input:
        wanted = input_shapes.get(value.name)
        if wanted is None or not value.type.HasField("tensor_type"):
            continue
        shape = value.type.tensor_type.shape
        shape.ClearField("dim")
        for size in wanted:
            shape.dim.add().dim_value = int(size)
        changed = True
    if changed:
        del graph.value_info[:]
        for value in graph.output:
            if value.type.HasField("tensor_type"):
                value.type.tensor_type.ClearField("shape")


def _shape_map(graph: Any) -> dict[str, Shape | None]:
    """Tensor name -> fully known shape, or None when any dim is unknown (or the rank is)."""
    shapes: dict[str, Shape | None] = {}
    for value in graph.input:
        shapes[value.name] = _value_shape(value)
    for init in graph.initializer:
        shapes[init.name] = tuple(int(d) for d in init.dims)
    for value in [*graph.value_info, *graph.output]:
        known = _value_shape(value)
        if known is not None or value.name not in shapes:
            shapes[value.name] = known
    return shapes


def _value_shape(value: Any) -> Shape | None:
    if not value.type.HasField("tensor_type") or not value.type.tensor_type.HasField("shape"):
        return None
    dims = value.type.tensor_type.shape.dim
    if not all(d.HasField("dim_value") for d in dims):
        return None
    return tuple(int(d.dim_value) for d in dims)


def _node_macs(node: Any, shapes: Mapping[str, Shape | None]) -> int | None:
    def shape(index: int, names: Any) -> Shape | None:
        return shapes.get(names[index]) if index < len(names) and names[index] else None

    op = node.op_type
    attrs = {a.name: a.i for a in node.attribute if a.type == a.INT}
    if op in _CONV_WEIGHT:  # N*C_out*prod(out spatial) * (C_in/group)*prod(kernel)
        weight, out = shape(_CONV_WEIGHT[op], node.input), shape(0, node.output)
        if weight is None or out is None or len(weight) < 2:
            return None
        return math.prod(out) * math.prod(weight[1:])
    if op == "ConvTranspose":  # N*C_in*prod(in spatial) * (C_out/group)*prod(kernel)
        x, weight = shape(0, node.input), shape(1, node.input)
        if x is None or weight is None or len(weight) < 2:
            return None
        return math.prod(x) * math.prod(weight[1:])
    if op == "Gemm":
        a, b = shape(0, node.input), shape(1, node.input)
        return _gemm_macs(a, b, bool(attrs.get("transA", 0)), bool(attrs.get("transB", 0)))
    a_index, b_index = _MATMUL_INPUTS[op]
    return _matmul_macs(shape(a_index, node.input), shape(b_index, node.input))


def _gemm_macs(a: Shape | None, b: Shape | None, trans_a: bool, trans_b: bool) -> int | None:
    if a is None or b is None or len(a) != 2 or len(b) != 2:
        return None
    m, k = (a[1], a[0]) if trans_a else a
    n = b[0] if trans_b else b[1]
    return m * k * n


def _matmul_macs(a: Shape | None, b: Shape | None) -> int | None:
    """numpy.matmul semantics: 1-D operands are promoted to a row (A) or a column (B); batch dims broadcast."""
    if a is None or b is None or not a or not b:
        return None
    m, k = (1, a[0]) if len(a) == 1 else a[-2:]
    n = 1 if len(b) == 1 else b[-1]
    try:
        batch = np.broadcast_shapes(a[:-2], b[:-2])
    except ValueError:  # shapes that do not broadcast: the graph is wrong, do not guess
        return None
    return math.prod(batch) * m * k * n
