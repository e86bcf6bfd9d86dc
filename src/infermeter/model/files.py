"""Model references (files and zoo entries) and engine-independent model inspection.

``resolve_model`` checks a model argument before any engine loads (file exists, IR has its .bin, zoo name
known). ``describe_onnx`` reads an ONNX graph's declared inputs and the size of every embedding table an
integer input indexes, so synthetic ids are valid by construction. It reads the file with the small
protobuf reader in ``onnx_graph`` (no ``onnx`` package, no weights loaded).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from ..errors import InputError
from . import formats
from .io import Dim, InputDescription, OutputDescription
from .onnx_graph import ELEMENT_TYPES, Graph, Node, OnnxFormatError, read_graph

if TYPE_CHECKING:
    from .zoo import ZooModel

MODEL_SUFFIXES = tuple(formats.SUFFIXES)
# Ops that pass index values through unchanged (or only change their layout).
_INDEX_PASS_THROUGH = {"Cast", "Unsqueeze", "Squeeze", "Reshape", "Flatten", "Identity", "Expand", "Transpose"}
_IR_TYPES = {
    "f32": "float32", "f16": "float16", "bf16": "bfloat16", "f64": "float64", "i64": "int64", "i32": "int32",
    "i16": "int16", "i8": "int8", "u8": "uint8", "u16": "uint16", "u32": "uint32", "u64": "uint64",
    "boolean": "bool", "string": "string",
}


@dataclass(frozen=True)
class ModelRef:
    """What MODEL named: a file or folder on disk, a Python factory (``file.py:make_model``), or a zoo entry (its
    file is built on demand)."""

    text: str
    path: Path | None = None
    zoo: ZooModel | None = None
    kind: str = formats.ONNX  # one of model.formats' names
    factory: str | None = None  # the function of a Python factory

    @property
    def format(self) -> str:
        return "onnx (zoo)" if self.zoo is not None else self.kind

    @property
    def readers(self) -> tuple[str, ...]:
        """The built-in engines that read this model."""
        return formats.READERS[self.kind]

    def file(self) -> Path:
        """The model file, building a zoo model first if needed."""
        if self.path is not None:
            return self.path
        from .zoo import ensure_built

        assert self.zoo is not None
        return ensure_built(self.zoo.name)


def resolve_model(text: str) -> ModelRef:
    if text.startswith("zoo:"):  # = zoo.ZOO_PREFIX; the zoo module (model builders) loads only for zoo models
        from .zoo import get

        return ModelRef(text, zoo=get(text.split(":", 1)[1]))
    factory = formats.split_factory(text)
    if factory is not None:
        formats.check_factory(text, *factory)
        return ModelRef(text, path=Path(factory[0]), kind=formats.TORCH_FACTORY, factory=factory[1])
    path = Path(text)
    if not path.exists():
        raise InputError(f"model file not found: {text}")
    kind = formats.format_of(path)
    if kind == formats.IR and not path.with_suffix(".bin").exists():
        raise InputError(f"model {text}: its weights file {path.with_suffix('.bin').name} is missing beside it")
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"model file {text} is empty")
    formats.check_file(path, kind)
    return ModelRef(text, path=path, kind=kind)


def describe_model_file(path: Path) -> tuple[list[InputDescription], list[OutputDescription]]:
    if path.suffix.lower() == ".xml":
        return describe_ir_xml(path)
    if path.suffix.lower() != ".onnx":
        raise InputError(f"model {path}: the fake engine reads ONNX and OpenVINO IR only")
    return describe_onnx(load_onnx(path))


def load_onnx(path: Path) -> Graph:
    """Read an ONNX file's graph structure (no weights are loaded)."""
    try:
        return read_graph(path)
    except (OnnxFormatError, OSError, ValueError) as error:
        raise InputError(f"model file {path} cannot be parsed as ONNX ({error})") from None


def describe_onnx(graph: Graph) -> tuple[list[InputDescription], list[OutputDescription]]:
    initializer_names = {t.name for t in graph.initializers}
    bounds = index_bounds(graph)
    inputs = []
    for value in graph.inputs:
        if value.name in initializer_names:
            continue
        bound, source = bounds.get(value.name, (None, None))
        inputs.append(InputDescription(value.name, _dtype(value.elem_type), value.dims, bound, source))
    outputs = [OutputDescription(v.name, _dtype(v.elem_type), v.dims) for v in graph.outputs]
    return inputs, outputs


def _dtype(elem_type: int | None) -> str:
    return ELEMENT_TYPES.get(elem_type, "unsupported") if elem_type is not None else "unsupported"


def index_bounds(graph: Graph) -> dict[str, tuple[int, str]]:
    """For each graph input that ends up as Gather indices into a constant table: (table size, where)."""
    tables = {t.name: t.dims for t in graph.initializers}
    for node in graph.nodes:
        if node.op_type == "Constant" and node.tensor_dims is not None and node.outputs:
            tables[node.outputs[0]] = node.tensor_dims
    consumers: dict[str, list[tuple[Node, int]]] = defaultdict(list)
    for node in graph.nodes:
        for position, name in enumerate(node.inputs):
            consumers[name].append((node, position))
    found: dict[str, tuple[int, str]] = {}
    for value in graph.inputs:
        bound = _follow_to_gather(value.name, consumers, tables)
        if bound is not None:
            found[value.name] = bound
    return found


def _follow_to_gather(start: str, consumers: dict[str, list[tuple[Node, int]]],
                      tables: dict[str, tuple[int, ...]]) -> tuple[int, str] | None:
    best: tuple[int, str] | None = None
    frontier, seen = [start], {start}
    while frontier:
        name = frontier.pop()
        for node, position in consumers.get(name, []):
            if node.op_type == "Gather" and position == 1 and node.inputs[0] in tables:
                table = tables[node.inputs[0]]
                axis = node.int_attributes.get("axis", 0)
                if table and -len(table) <= axis < len(table):
                    size = int(table[axis])
                    if best is None or size < best[0]:
                        best = (size, f"Gather '{node.name or node.outputs[0]}'")
            elif node.op_type in _INDEX_PASS_THROUGH and position == 0:
                for output in node.outputs:
                    if output not in seen:
                        seen.add(output)
                        frontier.append(output)
    return best


def read_ir_xml(path: Path) -> ElementTree.Element:
    """Parse an OpenVINO IR .xml and check it is one (a <net> with layers), naming the file if not."""
    try:
        root = ElementTree.parse(path).getroot()
    except (ElementTree.ParseError, OSError) as error:
        raise InputError(f"model file {path} is not a readable OpenVINO IR ({error})") from None
    if root.tag != "net" or root.find("layers") is None:
        raise InputError(f"model file {path} is XML but not an OpenVINO IR (no <net> with <layers>)")
    return root


def describe_ir_xml(path: Path) -> tuple[list[InputDescription], list[OutputDescription]]:
    """Read Parameter/Result layers of an OpenVINO IR without OpenVINO (used by the fake engine)."""
    root = read_ir_xml(path)
    inputs: list[InputDescription] = []
    outputs: list[OutputDescription] = []
    for layer in root.iter("layer"):
        kind = layer.get("type")
        data = layer.find("data")
        if kind == "Parameter" and data is not None:
            port = layer.find("output/port")
            names = port.get("names", "") if port is not None else ""
            name = names.split(",")[0] if names else layer.get("name", "")
            dtype = _IR_TYPES.get(data.get("element_type", ""), "unsupported")
            inputs.append(InputDescription(name, dtype, _ir_dims(data.get("shape", ""))))
        elif kind == "Result":
            outputs.append(OutputDescription(layer.get("name", ""), "unknown", None))
    if not inputs:
        raise InputError(f"model file {path}: the OpenVINO IR has no Parameter (input) layer")
    return inputs, outputs


def _ir_dims(text: str) -> tuple[Dim, ...]:
    dims: list[Dim] = []
    for item in (part.strip() for part in text.split(",")) if text.strip() else ():
        dims.append(int(item) if item.isdigit() else None)
    return tuple(dims)
