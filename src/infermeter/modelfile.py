"""Model references (files and zoo entries) and engine-independent model inspection.

``resolve_model`` checks a model argument before any engine loads (file exists, IR has its .bin, zoo name
known). ``describe_onnx`` reads an ONNX graph's declared inputs and the size of every embedding table an
integer input indexes, so synthetic ids are valid by construction. ``onnx`` is imported lazily.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from .engines.base import Dim, InputDescription, OutputDescription
from .errors import EngineNotInstalled, InputError

if TYPE_CHECKING:
    from .zoo import ZooModel

MODEL_SUFFIXES = (".onnx", ".xml")
# Ops that pass index values through unchanged (or only change their layout).
_INDEX_PASS_THROUGH = {"Cast", "Unsqueeze", "Squeeze", "Reshape", "Flatten", "Identity", "Expand", "Transpose"}
_IR_TYPES = {
    "f32": "float32", "f16": "float16", "bf16": "bfloat16", "f64": "float64", "i64": "int64", "i32": "int32",
    "i16": "int16", "i8": "int8", "u8": "uint8", "u16": "uint16", "u32": "uint32", "u64": "uint64",
    "boolean": "bool", "string": "string",
}


@dataclass(frozen=True)
class ModelRef:
    """What MODEL named: a file on disk, or a zoo entry (its file is built on demand)."""

    text: str
    path: Path | None = None
    zoo: ZooModel | None = None

    @property
    def format(self) -> str:
        if self.zoo is not None:
            return "onnx (zoo)"
        assert self.path is not None
        return "openvino-ir" if self.path.suffix.lower() == ".xml" else "onnx"

    def file(self) -> Path:
        """The model file, building a zoo model first if needed."""
        if self.path is not None:
            return self.path
        from .zoo import ensure_built

        assert self.zoo is not None
        return ensure_built(self.zoo.name)


def resolve_model(text: str) -> ModelRef:
    from .zoo import get, is_zoo_ref

    if is_zoo_ref(text):
        return ModelRef(text, zoo=get(text.split(":", 1)[1]))
    path = Path(text)
    if not path.exists():
        raise InputError(f"model file not found: {text}")
    if path.is_dir():
        raise InputError(f"model {text} is a folder; give the .onnx or .xml file inside it")
    suffix = path.suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        raise InputError(f"model {text}: unsupported file type {suffix or '(none)'!r}; use .onnx, .xml or zoo:NAME")
    if suffix == ".xml" and not path.with_suffix(".bin").exists():
        raise InputError(f"model {text}: its weights file {path.with_suffix('.bin').name} is missing beside it")
    if path.stat().st_size == 0:
        raise InputError(f"model file {text} is empty")
    return ModelRef(text, path=path)


def describe_model_file(path: Path) -> tuple[list[InputDescription], list[OutputDescription]]:
    if path.suffix.lower() == ".xml":
        return describe_ir_xml(path)
    return describe_onnx(load_onnx(path))


def load_onnx(path: Path) -> Any:
    """Parse an ONNX file's graph (weights stored outside the file are not loaded)."""
    try:
        import onnx
    except ImportError:
        raise EngineNotInstalled(
            "reading .onnx files needs the onnx package: pip install 'infermeter[onnxruntime]'"
        ) from None
    try:
        return onnx.load(str(path), load_external_data=False)
    except Exception as error:  # onnx raises DecodeError, ValueError, ... depending on the damage
        raise InputError(f"model file {path} cannot be parsed as ONNX ({type(error).__name__})") from None


def describe_onnx(model: Any) -> tuple[list[InputDescription], list[OutputDescription]]:
    from onnx import helper

    graph = model.graph
    initializer_names = {t.name for t in graph.initializer}
    bounds = index_bounds(graph)
    inputs = []
    for value in graph.input:
        if value.name in initializer_names:
            continue
        dtype, dims = _onnx_type(value, helper)
        bound, source = bounds.get(value.name, (None, None))
        inputs.append(InputDescription(value.name, dtype, dims, bound, source))
    outputs = [OutputDescription(v.name, *_onnx_type(v, helper)) for v in graph.output]
    return inputs, outputs


def _onnx_type(value: Any, helper: Any) -> tuple[str, tuple[Dim, ...] | None]:
    tensor = value.type.tensor_type
    if not value.type.HasField("tensor_type"):
        return "unsupported", None
    try:
        dtype = helper.tensor_dtype_to_np_dtype(tensor.elem_type).name
    except (KeyError, TypeError, ValueError):
        dtype = "unsupported"
    if tensor.elem_type == 8:  # TensorProto.STRING
        dtype = "string"
    if not tensor.HasField("shape"):
        return dtype, None
    dims: list[Dim] = []
    for dim in tensor.shape.dim:
        if dim.HasField("dim_value") and dim.dim_value > 0:
            dims.append(int(dim.dim_value))
        elif dim.HasField("dim_param") and dim.dim_param:
            dims.append(str(dim.dim_param))
        else:
            dims.append(None)
    return dtype, tuple(dims)


def index_bounds(graph: Any) -> dict[str, tuple[int, str]]:
    """For each graph input that ends up as Gather indices into a constant table: (table size, where)."""
    tables = {t.name: list(t.dims) for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].HasField("t"):
            tables[node.output[0]] = list(node.attribute[0].t.dims)
    consumers: dict[str, list[tuple[Any, int]]] = defaultdict(list)
    for node in graph.node:
        for position, name in enumerate(node.input):
            consumers[name].append((node, position))
    found: dict[str, tuple[int, str]] = {}
    for value in graph.input:
        bound = _follow_to_gather(value.name, consumers, tables)
        if bound is not None:
            found[value.name] = bound
    return found


def _follow_to_gather(start: str, consumers: dict[str, list[tuple[Any, int]]],
                      tables: dict[str, list[int]]) -> tuple[int, str] | None:
    best: tuple[int, str] | None = None
    frontier, seen = [start], {start}
    while frontier:
        name = frontier.pop()
        for node, position in consumers.get(name, []):
            if node.op_type == "Gather" and position == 1 and node.input[0] in tables:
                table = tables[node.input[0]]
                axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
                if table and -len(table) <= axis < len(table):
                    size = int(table[axis])
                    if best is None or size < best[0]:
                        best = (size, f"Gather '{node.name or node.output[0]}'")
            elif node.op_type in _INDEX_PASS_THROUGH and position == 0:
                for output in node.output:
                    if output not in seen:
                        seen.add(output)
                        frontier.append(output)
    return best


def describe_ir_xml(path: Path) -> tuple[list[InputDescription], list[OutputDescription]]:
    """Read Parameter/Result layers of an OpenVINO IR without OpenVINO (used by the fake engine)."""
    try:
        root = ElementTree.parse(path).getroot()
    except (ElementTree.ParseError, OSError) as error:
        raise InputError(f"model file {path} is not a readable OpenVINO IR ({error})") from None
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
    return inputs, outputs


def _ir_dims(text: str) -> tuple[Dim, ...]:
    dims: list[Dim] = []
    for item in (part.strip() for part in text.split(",")) if text.strip() else ():
        dims.append(int(item) if item.isdigit() else None)
    return tuple(dims)
