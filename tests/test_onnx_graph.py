"""infermeter's own ONNX reader agrees with the onnx package, and rejects damaged files cleanly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from infermeter.errors import InputError
from infermeter.model.files import describe_onnx, load_onnx
from infermeter.model.onnx_graph import OnnxFormatError, read_graph

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def _model(tmp_path: Path) -> Path:
    table = numpy_helper.from_array(np.zeros((300, 4), np.float32), "table")
    packed = helper.make_tensor("packed", TensorProto.FLOAT, [2, 3], [0.0] * 6)  # float_data, packed dims
    nodes = [
        helper.make_node("Cast", ["ids"], ["ids32"], to=TensorProto.INT32),
        helper.make_node("Gather", ["table", "ids32"], ["emb"], name="lookup", axis=0),
        helper.make_node("Constant", [], ["const"], value=numpy_helper.from_array(np.ones((7, 2), np.float32))),
        helper.make_node("Identity", ["packed"], ["packed_out"]),
    ]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("scale", TensorProto.FLOAT16, []),
         helper.make_tensor_value_info("free", TensorProto.FLOAT, [None, 3])],
        [helper.make_tensor_value_info("emb", TensorProto.FLOAT, ["batch", "sequence", 4]),
         helper.make_tensor_value_info("packed_out", TensorProto.FLOAT, [2, 3])],
        initializer=[table, packed],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    return path


def test_reader_matches_the_onnx_package(tmp_path: Path) -> None:
    path = _model(tmp_path)
    graph = read_graph(path)
    reference = onnx.load(str(path)).graph
    assert [v.name for v in graph.inputs] == [v.name for v in reference.input]
    assert [(n.op_type, n.name, n.inputs, n.outputs) for n in graph.nodes] == [
        (n.op_type, n.name, tuple(n.input), tuple(n.output)) for n in reference.node]
    assert [(t.name, t.data_type, t.dims) for t in graph.initializers] == [
        (t.name, t.data_type, tuple(t.dims)) for t in reference.initializer]
    assert graph.nodes[1].int_attributes == {"axis": 0}
    assert graph.nodes[2].tensor_dims == (7, 2)


def test_describe_reads_dtypes_dims_and_bounds(tmp_path: Path) -> None:
    inputs, outputs = describe_onnx(load_onnx(_model(tmp_path)))
    assert [(i.name, i.dtype, i.dims, i.index_bound, i.index_source) for i in inputs] == [
        ("ids", "int64", ("batch", "sequence"), 300, "Gather 'lookup'"),
        ("scale", "float16", (), None, None),
        ("free", "float32", (None, 3), None, None),
    ]
    assert [(o.name, o.dims) for o in outputs] == [("emb", ("batch", "sequence", 4)), ("packed_out", (2, 3))]


@pytest.mark.parametrize("damage", ["truncated", "random", "empty", "text"])
def test_damaged_files_raise_input_error_naming_the_file(tmp_path: Path, damage: str) -> None:
    good = _model(tmp_path).read_bytes()
    data = {
        "truncated": good[: len(good) // 2],
        "random": np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        "empty": b"",
        "text": b"this is not a model\n",
    }[damage]
    path = tmp_path / f"{damage}.onnx"
    path.write_bytes(data)
    with pytest.raises(InputError, match=f"{damage}.onnx"):
        load_onnx(path)


def test_format_error_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.onnx"
    path.write_bytes(b"\x3a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01")
    with pytest.raises(OnnxFormatError):
        read_graph(path)
