"""Unit tests for input data: synthetic generation, user files, and model inspection (ONNX graphs, IR xml)."""

from __future__ import annotations

import gc
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infermeter.config.benchmark import InputFile
from infermeter.engines.base import Dim, InputDescription, OutputDescription
from infermeter.errors import InputError
from infermeter.inputs.files import file_shapes, finish_input_files, load_input_files
from infermeter.inputs.shapes import ResolvedInput
from infermeter.inputs.synthetic import UNBOUNDED_INT_HIGH, role_of, synthesize
from infermeter.model.files import describe_ir_xml, describe_onnx, index_bounds, load_onnx


def item(name: str, dtype: str, shape: tuple[int, ...], dims: tuple[Dim, ...] | None = None,
         bound: int | None = None, source: str | None = None) -> ResolvedInput:
    return ResolvedInput(InputDescription(name, dtype, dims if dims is not None else shape, bound, source), shape)


# ================================================================ synthesize


def test_same_seed_same_bytes() -> None:
    for spec in (item("x", "float32", (2, 3, 8, 8)), item("input_ids", "int64", (2, 16), bound=1000),
                 item("flags", "bool", (64,)), item("u", "uint8", (3, 5))):
        first = synthesize(spec, seed=3)
        second = synthesize(spec, seed=3)
        assert first.array.tobytes() == second.array.tobytes()
        assert first.fill == second.fill


def test_different_seed_different_bytes() -> None:
    for spec in (item("x", "float32", (2, 3, 8, 8)), item("input_ids", "int64", (2, 16), bound=1000)):
        assert synthesize(spec, seed=0).array.tobytes() != synthesize(spec, seed=1).array.tobytes()


def test_independent_of_input_order_but_not_of_name() -> None:
    specs = [item("a", "float32", (4, 4)), item("b", "float32", (4, 4)), item("c", "int32", (4, 4))]
    forward = {s.name: synthesize(s, 5).array.tobytes() for s in specs}
    backward = {s.name: synthesize(s, 5).array.tobytes() for s in reversed(specs)}
    only_b = synthesize(specs[1], 5).array.tobytes()
    assert forward == backward
    assert only_b == forward["b"]
    assert forward["a"] != forward["b"]  # each name has its own stream


def test_index_inputs_stay_below_their_bound() -> None:
    result = synthesize(item("input_ids", "int64", (4, 1000), bound=50, source="Gather 'emb'"), seed=0)
    assert result.array.dtype == np.int64
    assert result.array.shape == (4, 1000)
    assert int(result.array.min()) == 0
    assert int(result.array.max()) == 49
    assert result.fill == "token ids uniform in [0, 50) (Gather 'emb')"


def test_index_bound_wording_without_id_or_source() -> None:
    result = synthesize(item("labels", "int32", (100,), bound=7), seed=0)
    assert result.array.dtype == np.int32
    assert int(result.array.min()) >= 0
    assert int(result.array.max()) < 7
    assert result.fill == "indices uniform in [0, 7)"


def test_index_bound_clipped_to_dtype_range() -> None:
    result = synthesize(item("ids", "int8", (5000,), bound=30522), seed=0)
    assert result.array.dtype == np.int8
    assert int(result.array.min()) >= 0
    assert int(result.array.max()) == 127
    assert result.fill == "token ids uniform in [0, 128)"


@pytest.mark.parametrize("name", ["attention_mask", "input_mask", "Mask"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "float32", "bool"])
def test_masks_are_all_ones(name: str, dtype: str) -> None:
    result = synthesize(item(name, dtype, (2, 9)), seed=4)
    assert result.array.dtype == np.dtype(dtype)
    assert result.array.shape == (2, 9)
    assert np.all(result.array == 1)
    assert result.fill == "ones (attention mask)"


@pytest.mark.parametrize("name", ["token_type_ids", "segment_ids"])
def test_token_type_is_zeros(name: str) -> None:
    result = synthesize(item(name, "int64", (3, 7), bound=2), seed=9)
    assert result.array.dtype == np.int64
    assert not result.array.any()
    assert result.fill == "zeros (token type ids)"


def test_position_ids_count_along_last_dim() -> None:
    result = synthesize(item("position_ids", "int64", (3, 6)), seed=1)
    assert result.array.dtype == np.int64
    assert result.array.tolist() == [list(range(6))] * 3
    assert result.array.flags.writeable  # a real copy, not a broadcast view
    assert result.fill == "0..5 along the last dim (position ids)"


def test_beam_idx() -> None:
    result = synthesize(item("beam_idx", "int32", (4,), dims=("batch",)), seed=0)
    assert result.array.dtype == np.int32
    assert result.array.tolist() == [0, 1, 2, 3]


def test_unbounded_ints_in_documented_range() -> None:
    for dtype in ("int64", "int32", "int16", "int8", "uint16"):
        result = synthesize(item("x", dtype, (4000,)), seed=2)
        assert result.array.dtype == np.dtype(dtype)
        assert int(result.array.min()) == 0
        assert int(result.array.max()) == UNBOUNDED_INT_HIGH - 1
        assert result.fill == f"uniform integers in [0, {UNBOUNDED_INT_HIGH}) (no index table found in the graph)"
    uint8 = synthesize(item("x", "uint8", (4000,)), seed=2)
    assert int(uint8.array.min()) == 0
    assert int(uint8.array.max()) == 255


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_floats_are_finite_with_the_right_dtype(dtype: str) -> None:
    result = synthesize(item("image", dtype, (2, 3, 16, 16)), seed=0)
    assert result.array.dtype == np.dtype(dtype)
    assert result.array.shape == (2, 3, 16, 16)
    assert np.isfinite(result.array).all()
    assert result.array.std() > 0.5
    assert result.fill == "random normal N(0,1), seed 0"


def test_bool_inputs() -> None:
    result = synthesize(item("flags", "bool", (256,)), seed=0)
    assert result.array.dtype == np.bool_
    assert set(result.array.tolist()) == {False, True}
    assert result.fill == "random booleans"


def test_scalar_input() -> None:
    result = synthesize(item("scale", "float32", ()), seed=0)
    assert result.array.shape == ()
    assert result.array.dtype == np.float32


@pytest.mark.parametrize("dtype", ["string", "unsupported", "bfloat16", "object"])
def test_unsynthesizable_dtype_names_input_and_suggests_i(dtype: str) -> None:
    with pytest.raises(InputError) as info:
        synthesize(item("text", dtype, (1,)), seed=0)
    message = str(info.value)
    assert "'text'" in message
    assert dtype in message
    assert "-i text:file.npy" in message


@pytest.mark.parametrize(
    ("name", "role"),
    [("attention_mask", "mask"), ("input_mask", "mask"), ("encoder_attention_mask", "mask"),
     ("token_type_ids", "token_type"), ("segment_ids", "token_type"), ("Token-Type-IDs", "token_type"),
     ("position_ids", "position"), ("pos_ids", "position"), ("positions", "position"),
     ("beam_idx", "beam"), ("input_ids", "plain"), ("input:0", "plain"), ("pixel_values", "plain")],
)
def test_role_of(name: str, role: str) -> None:
    assert role_of(name) == role


# ================================================================ files


def desc(name: str, dtype: str, dims: tuple[Dim, ...] | None) -> InputDescription:
    return InputDescription(name, dtype, dims)


def load_and_finish(files: list[InputFile], inputs: list[InputDescription],
                    shapes: dict[str, tuple[int, ...]] | None = None) -> dict[str, Any]:
    loaded = load_input_files(files, inputs)
    fixed = file_shapes(loaded)
    resolved = [ResolvedInput(d, (shapes or {}).get(d.name) or fixed.get(d.name) or tuple(d.dims or ()))
                for d in inputs]
    return finish_input_files(loaded, resolved)


def test_npy_unnamed_for_single_input(tmp_path: Path) -> None:
    data = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    np.save(tmp_path / "x.npy", data)
    inputs = [desc("x", "float32", (None, 3, 4))]
    loaded = load_input_files([InputFile(None, tmp_path / "x.npy")], inputs)
    assert list(loaded) == ["x"]
    assert file_shapes(loaded) == {"x": (1, 3, 4)}
    prepared = finish_input_files(loaded, [ResolvedInput(inputs[0], (1, 3, 4))])
    assert np.array_equal(prepared["x"].array, data)
    assert prepared["x"].fill == f"file {tmp_path / 'x.npy'}"


def test_npy_rank_zero_scalar_loads(tmp_path: Path) -> None:
    np.save(tmp_path / "s.npy", np.array(2.5, dtype=np.float32))
    inputs = [desc("scale", "float32", ())]
    loaded = load_input_files([InputFile("scale", tmp_path / "s.npy")], inputs)
    assert file_shapes(loaded) == {"scale": ()}
    assert loaded["scale"].array is not None
    assert loaded["scale"].array.shape == ()
    prepared = finish_input_files(loaded, [ResolvedInput(inputs[0], ())])
    assert prepared["scale"].array.tolist() in (2.5, [2.5])


def test_npy_rank_zero_scalar_keeps_rank_zero(tmp_path: Path) -> None:
    np.save(tmp_path / "s.npy", np.array(2.5, dtype=np.float32))
    inputs = [desc("scale", "float32", ())]
    loaded = load_input_files([InputFile("scale", tmp_path / "s.npy")], inputs)
    prepared = finish_input_files(loaded, [ResolvedInput(inputs[0], ())])
    assert prepared["scale"].array.shape == ()


def test_npz_maps_by_keys(tmp_path: Path) -> None:
    ids = np.ones((1, 8), np.int64)
    mask = np.zeros((1, 8), np.int64)
    np.savez(tmp_path / "all.npz", input_ids=ids, attention_mask=mask)
    inputs = [desc("input_ids", "int64", ("batch", "sequence")), desc("attention_mask", "int64", ("batch", "sequence")),
              desc("token_type_ids", "int64", ("batch", "sequence"))]
    loaded = load_input_files([InputFile(None, tmp_path / "all.npz")], inputs)
    assert sorted(loaded) == ["attention_mask", "input_ids"]
    assert loaded["input_ids"].key == "input_ids"
    prepared = finish_input_files(loaded, [ResolvedInput(d, (1, 8)) for d in inputs])
    assert sorted(prepared) == ["attention_mask", "input_ids"]  # token_type_ids is left to synthesis
    assert np.array_equal(prepared["input_ids"].array, ids)
    assert prepared["input_ids"].fill == f"file {tmp_path / 'all.npz'} [input_ids]"


def test_npz_unknown_key(tmp_path: Path) -> None:
    np.savez(tmp_path / "all.npz", input_ids=np.ones(2), zzz=np.ones(2))
    with pytest.raises(InputError, match=r"array 'zzz' matches no model input; inputs: input_ids"):
        load_input_files([InputFile(None, tmp_path / "all.npz")], [desc("input_ids", "int64", (2,))])


def test_npz_named_needs_one_member(tmp_path: Path) -> None:
    np.savez(tmp_path / "one.npz", whatever=np.ones(3, np.float32))
    np.savez(tmp_path / "two.npz", a=np.ones(3), b=np.ones(3))
    inputs = [desc("x", "float32", (3,)), desc("y", "float32", (3,))]
    loaded = load_input_files([InputFile("y", tmp_path / "one.npz")], inputs)
    assert list(loaded) == ["y"]
    assert loaded["y"].key == "whatever"
    with pytest.raises(InputError, match="the archive holds 2 arrays"):
        load_input_files([InputFile("x", tmp_path / "two.npz")], inputs)


def test_empty_npz(tmp_path: Path) -> None:
    np.savez(tmp_path / "empty.npz")
    with pytest.raises(InputError, match="the archive is empty"):
        load_input_files([InputFile(None, tmp_path / "empty.npz")], [desc("x", "float32", (3,))])


@pytest.mark.parametrize("suffix", [".bin", ".raw"])
def test_raw_file_size_check(tmp_path: Path, suffix: str) -> None:
    data = np.arange(6, dtype=np.float32)
    path = tmp_path / f"x{suffix}"
    data.tofile(path)
    inputs = [desc("x", "float32", ("batch", 3))]
    loaded = load_input_files([InputFile(None, path)], inputs)
    assert file_shapes(loaded) == {}  # raw files carry no shape
    prepared = finish_input_files(loaded, [ResolvedInput(inputs[0], (2, 3))])
    assert prepared["x"].array.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    with pytest.raises(InputError) as info:
        finish_input_files(loaded, [ResolvedInput(inputs[0], (4, 3))])
    assert str(info.value) == f"-i {path}: 24 bytes, but input 'x' float32[4, 3] needs 48"


@pytest.mark.parametrize(("file_dtype", "input_dtype"),
                         [("float64", "float32"), ("int32", "int64"), ("int64", "int32"), ("float32", "float16"),
                          ("bool", "int64")])
def test_dtype_cast_same_kind(tmp_path: Path, file_dtype: str, input_dtype: str) -> None:
    np.save(tmp_path / "x.npy", np.ones((2, 2), dtype=file_dtype))
    prepared = load_and_finish([InputFile(None, tmp_path / "x.npy")], [desc("x", input_dtype, (2, 2))])
    assert prepared["x"].array.dtype == np.dtype(input_dtype)
    assert prepared["x"].array.flags.c_contiguous
    assert prepared["x"].fill.endswith(f"(cast from {file_dtype})")


@pytest.mark.parametrize(("file_dtype", "input_dtype"),
                         [("float32", "int64"), ("float64", "int32"), ("int64", "bool"), ("complex64", "float32")])
def test_dtype_cast_across_kinds_rejected(tmp_path: Path, file_dtype: str, input_dtype: str) -> None:
    np.save(tmp_path / "x.npy", np.ones((2, 2), dtype=file_dtype))
    with pytest.raises(InputError, match=f"dtype {file_dtype} cannot feed input 'x' of type {input_dtype}"):
        load_and_finish([InputFile(None, tmp_path / "x.npy")], [desc("x", input_dtype, (2, 2))])


def test_shape_mismatch(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.ones((2, 3), np.float32))
    with pytest.raises(InputError, match=r"shape \[2, 3\] does not match input 'x' shape \[2, 4\]"):
        load_and_finish([InputFile(None, tmp_path / "x.npy")], [desc("x", "float32", (2, 4))], {"x": (2, 4)})


def test_unnamed_file_with_several_inputs(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.ones(3, np.float32))
    with pytest.raises(InputError, match=r"the model has 2 inputs \(a, b\); say which one as NAME:"):
        load_input_files([InputFile(None, tmp_path / "x.npy")],
                         [desc("a", "float32", (3,)), desc("b", "float32", (3,))])


def test_named_file_for_unknown_input(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.ones(3, np.float32))
    with pytest.raises(InputError, match=r"the model has no input 'c'; inputs: a, b"):
        load_input_files([InputFile("c", tmp_path / "x.npy")], [desc("a", "float32", (3,)), desc("b", "float32", (3,))])


def test_same_input_from_two_files(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.ones(3, np.float32))
    np.savez(tmp_path / "all.npz", a=np.ones(3, np.float32))
    inputs = [desc("a", "float32", (3,)), desc("b", "float32", (3,))]
    with pytest.raises(InputError, match=r"input 'a' is given by both"):
        load_input_files([InputFile("a", tmp_path / "x.npy"), InputFile(None, tmp_path / "all.npz")], inputs)


@pytest.mark.parametrize("dtype", ["string", "unsupported"])
def test_unfeedable_input_dtype(tmp_path: Path, dtype: str) -> None:
    np.save(tmp_path / "x.npy", np.ones(3, np.float32))
    with pytest.raises(InputError, match=f"has type {dtype}, which infermeter cannot feed"):
        load_and_finish([InputFile(None, tmp_path / "x.npy")], [desc("x", dtype, (3,))])


def _valid_npy(tmp_path: Path) -> bytes:
    np.save(tmp_path / "good.npy", np.arange(100, dtype=np.float32))
    return (tmp_path / "good.npy").read_bytes()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_corrupt_npy_names_the_file(tmp_path: Path, damage: str) -> None:
    good = _valid_npy(tmp_path)
    content = {"garbage": b"hello world", "truncated": good[:200], "empty": b""}[damage]
    path = tmp_path / "bad.npy"
    path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(f"-i {path}: not a readable .npy file")):
        load_input_files([InputFile(None, path)], [desc("x", "float32", (100,))])


def test_corrupt_npy_header_names_the_file(tmp_path: Path) -> None:
    good = _valid_npy(tmp_path)
    path = tmp_path / "bad.npy"
    path.write_bytes(good[:10] + b"zzzz" + good[14:])  # header dict "{'descr'..." -> "zzzzscr'..."
    with pytest.raises(InputError, match=r"bad\.npy"):
        load_input_files([InputFile(None, path)], [desc("x", "float32", (100,))])


# numpy's np.load leaks its file handle when the zip is damaged; that ResourceWarning is the next test's subject
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_corrupt_npz_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    path.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(InputError, match=re.escape(f"-i {path}: not a readable .npz file")):
        load_input_files([InputFile(None, path)], [desc("x", "float32", (3,))])
    gc.collect()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_corrupt_npz_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    path.write_bytes(b"PK\x03\x04garbage")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(InputError):
            load_input_files([InputFile(None, path)], [desc("x", "float32", (3,))])
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_npz_archive_named_npy(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    with path.open("wb") as handle:
        np.savez(handle, x=np.ones(3))
    with pytest.raises(InputError, match="expected one array"):
        load_input_files([InputFile(None, path)], [desc("x", "float32", (3,))])


def test_npy_content_named_npz(tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    with path.open("wb") as handle:
        np.save(handle, np.ones(3, np.float32))
    with pytest.raises(InputError, match=r"x\.npz"):
        load_input_files([InputFile(None, path)], [desc("x", "float32", (3,))])


# ================================================================ modelfile: ONNX graphs

try:
    from onnx import TensorProto, helper, numpy_helper
except ImportError:  # the synthetic-data and file tests above still run without onnx
    TensorProto = helper = numpy_helper = None

needs_onnx = pytest.mark.skipif(helper is None, reason="onnx not installed")


def _parsed(model: Any) -> Any:
    """Serialise a ModelProto and read it back with infermeter's own ONNX reader."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.onnx"
        path.write_bytes(model.SerializeToString())
        return load_onnx(path)


def _graph(nodes: list[Any], inputs: list[Any], initializers: list[Any] | None = None,
           outputs: list[Any] | None = None) -> Any:
    outs = outputs or [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)]
    graph = helper.make_graph(nodes, "g", inputs, outs, initializer=initializers or [])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _table(name: str, shape: tuple[int, ...]) -> Any:
    return numpy_helper.from_array(np.zeros(shape, np.float32), name)


def _ids(name: str = "ids", shape: list[Any] | None = None, elem: int | None = None) -> Any:
    elem_type = TensorProto.INT64 if elem is None else elem
    return helper.make_tensor_value_info(name, elem_type, shape if shape is not None else ["batch", "sequence"])


@needs_onnx
def test_gather_direct() -> None:
    model = _graph([helper.make_node("Gather", ["emb", "ids"], ["out"], name="word_embeddings")],
                   [_ids()], [_table("emb", (1000, 8))])
    assert index_bounds(_parsed(model)) == {"ids": (1000, "Gather 'word_embeddings'")}
    inputs, outputs = describe_onnx(_parsed(model))
    assert inputs == [InputDescription("ids", "int64", ("batch", "sequence"), 1000, "Gather 'word_embeddings'")]
    assert outputs == [OutputDescription("out", "float32", None)]


@needs_onnx
def test_gather_without_node_name_uses_output() -> None:
    model = _graph([helper.make_node("Gather", ["emb", "ids"], ["out"])], [_ids()], [_table("emb", (30, 4))])
    assert index_bounds(_parsed(model)) == {"ids": (30, "Gather 'out'")}


@needs_onnx
def test_gather_through_cast_and_unsqueeze() -> None:
    nodes = [
        helper.make_node("Cast", ["ids"], ["ids64"], to=TensorProto.INT64),
        helper.make_node("Unsqueeze", ["ids64", "axes"], ["ids3"]),
        helper.make_node("Gather", ["emb", "ids3"], ["out"], name="g"),
    ]
    axes = numpy_helper.from_array(np.array([0], np.int64), "axes")
    model = _graph(nodes, [_ids(elem=TensorProto.INT32)], [_table("emb", (77, 4)), axes])
    assert index_bounds(_parsed(model)) == {"ids": (77, "Gather 'g'")}
    inputs, _ = describe_onnx(_parsed(model))
    assert inputs[0].dtype == "int32"
    assert inputs[0].index_bound == 77


@needs_onnx
@pytest.mark.parametrize(("axis", "expected"), [(0, 4), (1, 7), (2, 9), (-1, 9), (-2, 7), (-3, 4)])
def test_gather_axis_attribute(axis: int, expected: int) -> None:
    node = helper.make_node("Gather", ["emb", "ids"], ["out"], name="g", axis=axis)
    model = _graph([node], [_ids()], [_table("emb", (4, 7, 9))])
    assert index_bounds(_parsed(model)) == {"ids": (expected, "Gather 'g'")}


@needs_onnx
def test_several_gathers_smallest_table_wins() -> None:
    nodes = [
        helper.make_node("Gather", ["big", "ids"], ["a"], name="big_gather"),
        helper.make_node("Identity", ["ids"], ["ids2"]),
        helper.make_node("Gather", ["small", "ids2"], ["b"], name="small_gather"),
        helper.make_node("Gather", ["mid", "ids"], ["out"], name="mid_gather"),
    ]
    model = _graph(nodes, [_ids()], [_table("big", (500, 2)), _table("small", (12, 2)), _table("mid", (100, 2))])
    assert index_bounds(_parsed(model)) == {"ids": (12, "Gather 'small_gather'")}


@needs_onnx
def test_gather_from_constant_node_table() -> None:
    nodes = [
        helper.make_node("Constant", [], ["table"], value=_table("unused", (21, 3))),
        helper.make_node("Gather", ["table", "ids"], ["out"], name="g"),
    ]
    model = _graph(nodes, [_ids()])
    assert index_bounds(_parsed(model)) == {"ids": (21, "Gather 'g'")}


@needs_onnx
def test_input_used_as_gather_data_or_non_table_has_no_bound() -> None:
    nodes = [
        helper.make_node("Gather", ["x", "idx"], ["a"]),  # x is the data, not the indices
        helper.make_node("Add", ["ids", "one"], ["shifted"]),  # not a pass-through op
        helper.make_node("Gather", ["emb", "shifted"], ["out"]),
    ]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [10, 4]), _ids("idx", [3]), _ids()]
    one = numpy_helper.from_array(np.array(1, np.int64), "one")
    model = _graph(nodes, inputs, [_table("emb", (50, 4)), one])
    assert index_bounds(_parsed(model)) == {}  # idx indexes a graph input, not a constant table


@needs_onnx
def test_symbolic_unset_and_static_dims() -> None:
    inputs = [
        helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, None, "width"]),
        helper.make_tensor_value_info("flags", TensorProto.BOOL, [None]),
        helper.make_tensor_value_info("half", TensorProto.FLOAT16, [2, 2]),
        helper.make_tensor_value_info("text", TensorProto.STRING, [1]),
        helper.make_tensor_value_info("anything", TensorProto.FLOAT, None),
        helper.make_tensor_value_info("p2o", TensorProto.FLOAT, ["p2o.DynamicDimension.0", "unk__214"]),
    ]
    described, _ = describe_onnx(_parsed(_graph([], inputs)))
    assert [(d.name, d.dtype, d.dims) for d in described] == [
        ("image", "float32", ("batch", 3, None, "width")),
        ("flags", "bool", (None,)),
        ("half", "float16", (2, 2)),
        ("text", "string", (1,)),
        ("anything", "float32", None),
        ("p2o", "float32", ("p2o.DynamicDimension.0", "unk__214")),
    ]
    assert all(d.index_bound is None and d.index_source is None for d in described)


@needs_onnx
def test_initializer_listed_as_input_is_excluded() -> None:
    table = _table("emb", (64, 4))
    inputs = [_ids(), helper.make_tensor_value_info("emb", TensorProto.FLOAT, [64, 4])]
    model = _graph([helper.make_node("Gather", ["emb", "ids"], ["out"], name="g")], inputs, [table])
    described, _ = describe_onnx(_parsed(model))
    assert [d.name for d in described] == ["ids"]
    assert described[0].index_bound == 64


# ================================================================ modelfile: OpenVINO IR xml

_IR = """<?xml version="1.0"?>
<net name="tiny" version="11">
  <layers>
    <layer id="0" name="data_layer" type="Parameter" version="opset1">
      <data shape="?,3,224,224" element_type="f32"/>
      <output>
        <port id="0" precision="FP32" names="data,input:0">
          <dim>-1</dim><dim>3</dim><dim>224</dim><dim>224</dim>
        </port>
      </output>
    </layer>
    <layer id="1" name="ids" type="Parameter" version="opset1">
      <data shape="1,-1" element_type="i64"/>
      <output><port id="0" precision="I64"><dim>1</dim><dim>-1</dim></port></output>
    </layer>
    <layer id="2" name="odd" type="Parameter" version="opset1">
      <data shape="" element_type="nf4"/>
      <output><port id="0"/></output>
    </layer>
    <layer id="3" name="relu" type="ReLU" version="opset1"><data/></layer>
    <layer id="4" name="result" type="Result" version="opset1"/>
  </layers>
  <edges/>
</net>
"""


def test_describe_ir_xml(tmp_path: Path) -> None:
    path = tmp_path / "model.xml"
    path.write_text(_IR)
    inputs, outputs = describe_ir_xml(path)
    assert inputs == [
        InputDescription("data", "float32", (None, 3, 224, 224)),
        InputDescription("ids", "int64", (1, None)),
        InputDescription("odd", "unsupported", ()),
    ]
    assert outputs == [OutputDescription("result", "unknown", None)]


def test_describe_ir_xml_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_text("<net><layers>")
    with pytest.raises(InputError, match="is not a readable OpenVINO IR"):
        describe_ir_xml(path)
