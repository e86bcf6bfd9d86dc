"""Tests for MAC/FLOP counting from ONNX graphs: small hand-checked models, then zoo:resnet18."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infermeter.model.flops import FlopCount, model_flops

onnx = pytest.importorskip("onnx")
helper = onnx.helper
F32 = onnx.TensorProto.FLOAT


def weight(name: str, shape: tuple[int, ...]) -> Any:
    return onnx.numpy_helper.from_array(np.zeros(shape, np.float32), name)


def save(tmp_path: Path, nodes: list[Any], inputs: list[Any], outputs: list[Any], inits: list[Any]) -> Path:
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    return path


def tensor(name: str, dims: list[Any] | None) -> Any:
    return helper.make_tensor_value_info(name, F32, dims)


def count(path: Path, shapes: dict[str, tuple[int, ...]] | None = None) -> FlopCount:
    result = model_flops(path, shapes or {})
    assert result is not None
    assert result.flops == 2 * result.macs
    return result


def conv_model(tmp_path: Path, x: tuple[int, ...], w: tuple[int, ...], **attrs: Any) -> Path:
    node = helper.make_node("Conv", ["x", "w"], ["y"], **attrs)
    return save(tmp_path, [node], [tensor("x", list(x))], [tensor("y", None)], [weight("w", w)])


def test_conv_same_padding(tmp_path: Path) -> None:
    path = conv_model(tmp_path, (1, 3, 32, 32), (16, 3, 3, 3), pads=[1, 1, 1, 1])
    result = count(path)
    assert result.macs == 16 * 32 * 32 * 3 * 3 * 3  # 442_368
    assert result.by_op == {"Conv": 442_368}
    assert result.uncounted == ()


def test_conv_stride_padding_dilation_group(tmp_path: Path) -> None:
    # 2x8x17x17, 4 groups (2 in-channels each), 3x3 kernel dilated 2 (span 5), stride 2, pads 1:
    # out = (17 + 2 - 5) // 2 + 1 = 8
    path = conv_model(tmp_path, (2, 8, 17, 17), (12, 2, 3, 3), group=4, strides=[2, 2], pads=[1, 1, 1, 1],
                      dilations=[2, 2])
    assert count(path).macs == 2 * 12 * 8 * 8 * 2 * 3 * 3


def test_depthwise_conv_1d(tmp_path: Path) -> None:
    path = conv_model(tmp_path, (1, 4, 10), (4, 1, 3), group=4)  # valid padding: out length 8
    assert count(path).macs == 4 * 8 * 3


def test_conv_transpose(tmp_path: Path) -> None:
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2], group=2)
    path = save(tmp_path, [node], [tensor("x", [1, 4, 5, 5])], [tensor("y", None)], [weight("w", (4, 3, 2, 2))])
    assert count(path).macs == 1 * 4 * 5 * 5 * 3 * 2 * 2  # N*C_in*prod(in spatial)*(C_out/g)*prod(kernel)


def matmul_model(tmp_path: Path, a: list[Any], b: list[Any]) -> Path:
    node = helper.make_node("MatMul", ["a", "b"], ["y"])
    return save(tmp_path, [node], [tensor("a", a), tensor("b", b)], [tensor("y", None)], [])


@pytest.mark.parametrize(
    ("a", "b", "macs"),
    [
        ([5, 7], [7, 3], 5 * 7 * 3),
        ([7], [7, 3], 7 * 3),  # 1-D A is a row
        ([5, 7], [7], 5 * 7),  # 1-D B is a column
        ([4, 5, 7], [7, 3], 4 * 5 * 7 * 3),  # batched A, shared B
        ([2, 1, 5, 7], [3, 7, 6], 2 * 3 * 5 * 7 * 6),  # broadcast batch dims (2,1) x (3,) -> (2,3)
        ([2, 4, 5, 7], [2, 4, 7, 6], 2 * 4 * 5 * 7 * 6),
    ],
)
def test_matmul(tmp_path: Path, a: list[int], b: list[int], macs: int) -> None:
    result = count(matmul_model(tmp_path, a, b))
    assert result.macs == macs
    assert result.by_op == {"MatMul": macs}


def test_gemm_trans_b(tmp_path: Path) -> None:
    node = helper.make_node("Gemm", ["x", "w", "bias"], ["y"], transB=1)
    inits = [weight("w", (10, 6)), weight("bias", (10,))]
    path = save(tmp_path, [node], [tensor("x", [3, 6])], [tensor("y", None)], inits)
    assert count(path).macs == 3 * 6 * 10


def test_gemm_trans_a(tmp_path: Path) -> None:
    node = helper.make_node("Gemm", ["x", "w"], ["y"], transA=1)
    path = save(tmp_path, [node], [tensor("x", [6, 3])], [tensor("y", None)], [weight("w", (6, 10))])
    assert count(path).macs == 3 * 6 * 10


def chain_model(tmp_path: Path, batch: Any) -> Path:
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("Flatten", ["r"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "fc"], ["y"], transB=1),
    ]
    inits = [weight("w", (8, 3, 3, 3)), weight("fc", (10, 8 * 4 * 4))]
    return save(tmp_path, nodes, [tensor("x", [batch, 3, 8, 8])], [tensor("y", None)], inits)


CHAIN_CONV = 8 * 4 * 4 * 3 * 3 * 3  # out 8x4x4 per image
CHAIN_GEMM = 128 * 10


def test_chain_shapes_are_inferred(tmp_path: Path) -> None:
    result = count(chain_model(tmp_path, 1))
    assert result.by_op == {"Conv": CHAIN_CONV, "Gemm": CHAIN_GEMM}
    assert result.macs == CHAIN_CONV + CHAIN_GEMM
    assert result.flops == 2 * (CHAIN_CONV + CHAIN_GEMM)


def test_dynamic_batch_resolved_by_input_shapes(tmp_path: Path) -> None:
    path = chain_model(tmp_path, "N")
    unresolved = count(path)
    assert unresolved.macs == 0
    assert unresolved.uncounted == ("Conv", "Gemm")
    result = count(path, {"x": (4, 3, 8, 8)})
    assert result.macs == 4 * (CHAIN_CONV + CHAIN_GEMM)
    assert result.uncounted == ()
    assert count(path, {"other": (1,)}).macs == 0  # names not in the graph are ignored


def test_input_shapes_override_fixed_dims(tmp_path: Path) -> None:
    path = conv_model(tmp_path, (1, 3, 32, 32), (16, 3, 3, 3), pads=[1, 1, 1, 1])
    assert count(path, {"x": (2, 3, 16, 16)}).macs == 2 * 16 * 16 * 16 * 3 * 3 * 3


def test_matmul_with_unknown_shape_is_uncounted(tmp_path: Path) -> None:
    # b's rank is unknown, so neither the MatMul nor anything after it can be sized
    nodes = [helper.make_node("MatMul", ["a", "b"], ["y"]), helper.make_node("MatMul", ["a", "w"], ["z"])]
    inputs = [tensor("a", [2, 5]), tensor("b", None)]
    path = save(tmp_path, nodes, inputs, [tensor("y", None), tensor("z", None)], [weight("w", (5, 3))])
    result = count(path)
    assert result.macs == 2 * 5 * 3  # the other MatMul is still counted
    assert result.uncounted == ("MatMul",)


def test_einsum_is_reported_uncounted(tmp_path: Path) -> None:
    node = helper.make_node("Einsum", ["a", "b"], ["y"], equation="ij,jk->ik")
    path = save(tmp_path, [node], [tensor("a", [2, 5]), tensor("b", [5, 3])], [tensor("y", None)], [])
    result = count(path)
    assert (result.macs, result.by_op, result.uncounted) == (0, {}, ("Einsum",))


def test_not_onnx_is_none(tmp_path: Path) -> None:
    text = tmp_path / "model.onnx"
    text.write_text("this is not a protobuf model\n" * 10)
    assert model_flops(text, {}) is None
    xml = tmp_path / "model.xml"
    xml.write_text("<?xml version='1.0'?><net name='m'/>")
    assert model_flops(xml, {}) is None
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    assert model_flops(empty, {}) is None


def test_resnet18_zoo(built_resnet18: Path) -> None:
    result = count(built_resnet18, {"input": (1, 3, 224, 224)})
    # The well-known torchvision figure is ~1.82 GMACs at 1x3x224x224.
    assert abs(result.macs - 1.82e9) / 1.82e9 < 0.02
    # Exact: the 20 convolutions plus the 512x1000 classifier, equal to the zoo's own count.
    assert result.macs == 1_814_073_344
    assert result.by_op == {"Conv": 1_814_073_344 - 512_000, "Gemm": 512_000}
    assert result.uncounted == ()
    assert count(built_resnet18, {"input": (4, 3, 224, 224)}).macs == 4 * 1_814_073_344


def test_stale_recorded_shapes_do_not_win(tmp_path: Path) -> None:
    # A file whose value_info and output were inferred at batch 1: running at batch 4 must count batch 4.
    path = conv_model(tmp_path, (1, 3, 8, 8), (8, 3, 3, 3), pads=[1, 1, 1, 1])
    inferred = onnx.shape_inference.infer_shapes(onnx.load(str(path)))
    inferred.graph.output[0].CopyFrom(tensor("y", [1, 8, 8, 8]))
    onnx.save(inferred, str(path))
    assert count(path).macs == 8 * 8 * 8 * 27
    assert count(path, {"x": (4, 3, 8, 8)}).macs == 4 * 8 * 8 * 8 * 27


def test_failed_inference_counts_recorded_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = conv_model(tmp_path, (1, 3, 8, 8), (8, 3, 3, 3), pads=[1, 1, 1, 1])
    onnx.save(onnx.shape_inference.infer_shapes(onnx.load(str(path))), str(path))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise onnx.shape_inference.InferenceError("boom")

    monkeypatch.setattr(onnx.shape_inference, "infer_shapes", broken)
    assert count(path).macs == 8 * 8 * 8 * 27  # from the file's value_info
    assert count(path, {"x": (4, 3, 8, 8)}).uncounted == ("Conv",)  # recorded shapes are stale: not guessed


def test_quantized_matmul(tmp_path: Path) -> None:
    node = helper.make_node("MatMulInteger", ["a", "b"], ["y"])
    u8 = onnx.TensorProto.UINT8
    inputs = [helper.make_tensor_value_info("a", u8, [4, 5]), helper.make_tensor_value_info("b", u8, [5, 6])]
    outputs = [helper.make_tensor_value_info("y", onnx.TensorProto.INT32, None)]
    path = save(tmp_path, [node], inputs, outputs, [])
    assert count(path).by_op == {"MatMulInteger": 4 * 5 * 6}
