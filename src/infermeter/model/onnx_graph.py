"""A minimal reader of ONNX files: graph inputs/outputs, nodes, and initializer shapes — no weights.

It decodes only the protobuf fields infermeter needs and skips everything else by length, so reading the
signature of a 400 MB model costs milliseconds and needs neither the ``onnx`` package nor the memory to
hold the weights. Field numbers are those of onnx.proto (stable since ONNX 1.0).
"""

from __future__ import annotations

import contextlib
import mmap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# onnx.proto field numbers
_MODEL_GRAPH = 7
_GRAPH_NODE, _GRAPH_INITIALIZER, _GRAPH_INPUT, _GRAPH_OUTPUT = 1, 5, 11, 12
_VALUE_NAME, _VALUE_TYPE = 1, 2
_TYPE_TENSOR = 1
_TENSOR_TYPE_ELEM, _TENSOR_TYPE_SHAPE = 1, 2
_SHAPE_DIM = 1
_DIM_VALUE, _DIM_PARAM = 1, 2
_TENSOR_DIMS, _TENSOR_DATA_TYPE, _TENSOR_NAME = 1, 2, 8
_NODE_INPUT, _NODE_OUTPUT, _NODE_NAME, _NODE_OP, _NODE_ATTRIBUTE = 1, 2, 3, 4, 5
_ATTR_NAME, _ATTR_INT, _ATTR_TENSOR = 1, 3, 5

# TensorProto.DataType -> numpy dtype name
ELEMENT_TYPES = {
    1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string",
    9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 14: "complex64", 15: "complex128",
    16: "bfloat16",
}


class OnnxFormatError(ValueError):
    """The bytes are not a well-formed ONNX model."""


@dataclass(frozen=True)
class ValueInfo:
    name: str
    elem_type: int | None
    dims: tuple[int | str | None, ...] | None


@dataclass(frozen=True)
class Node:
    op_type: str
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    int_attributes: dict[str, int] = field(default_factory=dict)
    tensor_dims: tuple[int, ...] | None = None  # Constant node's value dims


@dataclass(frozen=True)
class Initializer:
    name: str
    data_type: int
    dims: tuple[int, ...]


@dataclass(frozen=True)
class Graph:
    inputs: tuple[ValueInfo, ...]
    outputs: tuple[ValueInfo, ...]
    nodes: tuple[Node, ...]
    initializers: tuple[Initializer, ...]


def read_graph(path: Path) -> Graph:
    with open(path, "rb") as stream:
        if stream.seek(0, 2) == 0:
            raise OnnxFormatError("the file is empty")
        mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        return _model(memoryview(mapped))
    finally:
        # Slices may still be referenced by a traceback; then the map is closed by the garbage collector.
        with contextlib.suppress(BufferError):
            mapped.close()


def _varint(data: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise OnnxFormatError("truncated or malformed varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: memoryview) -> Iterator[tuple[int, int, int | memoryview]]:
    """Yield (field number, wire type, value): ints for varints, memoryviews for length-delimited."""
    pos, end = 0, len(data)
    while pos < end:
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            yield number, wire, value
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > end:
                raise OnnxFormatError("truncated length-delimited field")
            yield number, wire, data[pos:pos + length]
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise OnnxFormatError(f"unsupported protobuf wire type {wire}")
    if pos != end:
        raise OnnxFormatError("truncated field")


protobuf_fields = _fields  # for other protobuf files read the same way (a TensorFlow SavedModel's signatures)


def _text(value: int | memoryview) -> str:
    if isinstance(value, int):
        raise OnnxFormatError("expected a string field")
    return bytes(value).decode("utf-8", errors="replace")


def _model(data: memoryview) -> Graph:
    graph = None
    for number, wire, value in _fields(data):
        if number == _MODEL_GRAPH and wire == 2 and isinstance(value, memoryview):
            graph = value
    if graph is None:
        raise OnnxFormatError("no graph in the file")
    return _graph(graph)


def _graph(data: memoryview) -> Graph:
    inputs, outputs, nodes, initializers = [], [], [], []
    for number, wire, value in _fields(data):
        if wire != 2 or not isinstance(value, memoryview):
            continue
        if number == _GRAPH_INPUT:
            inputs.append(_value_info(value))
        elif number == _GRAPH_OUTPUT:
            outputs.append(_value_info(value))
        elif number == _GRAPH_NODE:
            nodes.append(_node(value))
        elif number == _GRAPH_INITIALIZER:
            initializers.append(_initializer(value))
    return Graph(tuple(inputs), tuple(outputs), tuple(nodes), tuple(initializers))


def _value_info(data: memoryview) -> ValueInfo:
    name, elem_type, dims = "", None, None
    for number, _wire, value in _fields(data):
        if number == _VALUE_NAME:
            name = _text(value)
        elif number == _VALUE_TYPE and isinstance(value, memoryview):
            elem_type, dims = _type(value)
    return ValueInfo(name, elem_type, dims)


def _type(data: memoryview) -> tuple[int | None, tuple[int | str | None, ...] | None]:
    for number, _wire, value in _fields(data):
        if number == _TYPE_TENSOR and isinstance(value, memoryview):
            elem_type, dims = None, None
            for inner, _w, item in _fields(value):
                if inner == _TENSOR_TYPE_ELEM and isinstance(item, int):
                    elem_type = item
                elif inner == _TENSOR_TYPE_SHAPE and isinstance(item, memoryview):
                    dims = tuple(_dim(d) for n, _x, d in _fields(item) if n == _SHAPE_DIM and isinstance(d, memoryview))
            return elem_type, dims
    return None, None


def _dim(data: memoryview) -> int | str | None:
    for number, _wire, value in _fields(data):
        if number == _DIM_VALUE and isinstance(value, int) and value > 0:
            return value
        if number == _DIM_PARAM and isinstance(value, memoryview) and len(value):
            return _text(value)
    return None


def _node(data: memoryview) -> Node:
    inputs, outputs, name, op_type = [], [], "", ""
    ints: dict[str, int] = {}
    tensor_dims = None
    for number, _wire, value in _fields(data):
        if number == _NODE_INPUT:
            inputs.append(_text(value))
        elif number == _NODE_OUTPUT:
            outputs.append(_text(value))
        elif number == _NODE_NAME:
            name = _text(value)
        elif number == _NODE_OP:
            op_type = _text(value)
        elif number == _NODE_ATTRIBUTE and isinstance(value, memoryview):
            attribute_name, integer, dims = _attribute(value)
            if integer is not None:
                ints[attribute_name] = integer
            if dims is not None:
                tensor_dims = dims
    return Node(op_type, name, tuple(inputs), tuple(outputs), ints, tensor_dims)


def _attribute(data: memoryview) -> tuple[str, int | None, tuple[int, ...] | None]:
    name, integer, dims = "", None, None
    for number, _wire, value in _fields(data):
        if number == _ATTR_NAME:
            name = _text(value)
        elif number == _ATTR_INT and isinstance(value, int):
            integer = value - (1 << 64) if value >= 1 << 63 else value
        elif number == _ATTR_TENSOR and isinstance(value, memoryview):
            dims = _initializer(value).dims
    return name, integer, dims


def _initializer(data: memoryview) -> Initializer:
    name, data_type, dims = "", 0, []
    for number, wire, value in _fields(data):
        if number == _TENSOR_DIMS:
            if wire == 0 and isinstance(value, int):
                dims.append(value)
            elif isinstance(value, memoryview):  # packed
                pos = 0
                while pos < len(value):
                    item, pos = _varint(value, pos)
                    dims.append(item)
        elif number == _TENSOR_DATA_TYPE and isinstance(value, int):
            data_type = value
        elif number == _TENSOR_NAME:
            name = _text(value)
    return Initializer(name, data_type, tuple(dims))
