"""Stand-ins for the files named in the benchmark_app / deepsparse.benchmark command lines of the parity table.

The documented command lines name files the test does not have (``googlenet-v1.xml``, ``dog.bmp``, SparseZoo
stubs…). :func:`build_parity_files` writes tiny replacements into one directory, which each test copies into its
working directory so the lines can name them relatively, as users do:

* ``model.onnx`` / ``model.xml``: image model, static [1,3,32,32]; ``batch.*``: the same with a dynamic batch;
  ``dynamic.*``: batch, height and width dynamic. The input is called ``image:0`` (a TensorFlow-style name whose
  ``:`` must survive ``-shape``/``-iop``/``-i NAME:PATH`` parsing).
* ``bert.onnx``: input_ids/attention_mask int64 [batch, 128]; ``bert_dynamic.*``: [batch, sequence];
  ``model2.xml``: IR of ``bert.onnx`` (a second, different model).
* ``car.png`` (64×48) and ``images/`` (two JPEGs) when Pillow is installed; ``image.npy``, ``input_ids.npy``,
  ``attention_mask.npy``.

Every model runs in microseconds, so a row costs its compile time plus the shortened ``-t``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

OPSET = 17
IR_VERSION = 8

#: Odd input name, as TensorFlow exports have: the ":" must survive -shape / -iop / -i NAME:PATH parsing.
IMAGE_INPUT = "image:0"
IMAGE_OUTPUT = "features"
IMAGE_SIDE = 32
CHANNELS = 3
FILTERS = 8
SEQUENCE = 128
VOCABULARY = 50
HIDDEN = 4

HAS_OPENVINO = importlib.util.find_spec("openvino") is not None
HAS_ONNXRUNTIME = importlib.util.find_spec("onnxruntime") is not None
HAS_PILLOW = importlib.util.find_spec("PIL") is not None


def _value(name: str, elem_type: int, dims: list[Any]) -> Any:
    from onnx import helper

    return helper.make_tensor_value_info(name, elem_type, dims)


def _save(path: Path, nodes: list[Any], inputs: list[Any], outputs: list[Any], initializers: list[Any]) -> Path:
    import onnx
    from onnx import helper

    graph = helper.make_graph(nodes, path.stem, inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="infermeter-parity-tests")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))
    return path


def image_model(path: Path, dims: list[Any]) -> Path:
    """'image:0' float32 ``dims`` (N, 3, H, W) -> Conv(8 filters, 3×3, pad 1) -> Relu -> 'features'."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    weights = rng.standard_normal((FILTERS, CHANNELS, 3, 3)).astype(np.float32)
    bias = rng.standard_normal(FILTERS).astype(np.float32)
    nodes = [
        helper.make_node("Conv", [IMAGE_INPUT, "conv.weight", "conv.bias"], ["conv_out"], name="conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv_out"], [IMAGE_OUTPUT], name="relu"),
    ]
    out_dims = [dims[0], FILTERS, dims[2], dims[3]]
    return _save(path, nodes, [_value(IMAGE_INPUT, TensorProto.FLOAT, dims)],
                 [_value(IMAGE_OUTPUT, TensorProto.FLOAT, out_dims)],
                 [numpy_helper.from_array(weights, "conv.weight"), numpy_helper.from_array(bias, "conv.bias")])


def transformer_model(path: Path, tokens: list[Any]) -> Path:
    """input_ids, attention_mask int64 ``tokens`` -> Gather(embeddings) × mask -> ReduceMean -> pooled [batch, 4].

    The embedding table has :data:`VOCABULARY` rows: synthetic input_ids must stay in [0, 50) (onnxruntime fails
    an out-of-range Gather), which benchmark_app's uniform [0, 255] fill would not.
    """
    from onnx import TensorProto, helper, numpy_helper

    table = np.random.default_rng(1).standard_normal((VOCABULARY, HIDDEN)).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["embeddings", "input_ids"], ["gathered"], name="embed", axis=0),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], name="mask_cast", to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "axes"], ["mask_3d"], name="mask_unsqueeze"),
        helper.make_node("Mul", ["gathered", "mask_3d"], ["hidden"], name="masked"),
        helper.make_node("ReduceMean", ["hidden"], ["pooled"], name="pool", axes=[1], keepdims=0),
    ]
    return _save(path, nodes,
                 [_value("input_ids", TensorProto.INT64, tokens), _value("attention_mask", TensorProto.INT64, tokens)],
                 [_value("pooled", TensorProto.FLOAT, [tokens[0], HIDDEN])],
                 [numpy_helper.from_array(table, "embeddings"),
                  numpy_helper.from_array(np.array([2], dtype=np.int64), "axes")])


def to_ir(onnx_path: Path, xml: Path) -> Path:
    """An OpenVINO IR copy (.xml + .bin) of ``onnx_path``."""
    import openvino as ov

    ov.save_model(ov.convert_model(str(onnx_path)), str(xml))
    return xml


def build_parity_files(directory: Path) -> dict[str, Path]:
    """Write every stand-in file into ``directory``; returns them by a short key (``model_xml``, ``car_png``…).

    Files that need a missing package (openvino for IR, Pillow for images) are not written; rows naming them are
    skipped by the test.
    """
    directory.mkdir(parents=True, exist_ok=True)
    side = IMAGE_SIDE
    files: dict[str, Path] = {
        "model_onnx": image_model(directory / "model.onnx", [1, CHANNELS, side, side]),
        "batch_onnx": image_model(directory / "batch.onnx", ["batch", CHANNELS, side, side]),
        "dynamic_onnx": image_model(directory / "dynamic.onnx", ["batch", CHANNELS, "height", "width"]),
        "bert_onnx": transformer_model(directory / "bert.onnx", ["batch", SEQUENCE]),
        "bert_dynamic_onnx": transformer_model(directory / "bert_dynamic.onnx", ["batch", "sequence"]),
    }
    image = np.random.default_rng(2).uniform(0, 255, (1, CHANNELS, side, side)).astype(np.float32)
    np.save(directory / "image.npy", image)
    files["image_npy"] = directory / "image.npy"
    np.save(directory / "input_ids.npy", np.arange(SEQUENCE, dtype=np.int64).reshape(1, SEQUENCE) % VOCABULARY)
    np.save(directory / "attention_mask.npy", np.ones((1, SEQUENCE), dtype=np.int64))
    files["ids_npy"] = directory / "input_ids.npy"
    files["mask_npy"] = directory / "attention_mask.npy"
    if HAS_OPENVINO:
        files["model_xml"] = to_ir(files["model_onnx"], directory / "model.xml")
        files["dynamic_xml"] = to_ir(files["dynamic_onnx"], directory / "dynamic.xml")
        files["batch_xml"] = to_ir(files["batch_onnx"], directory / "batch.xml")
        files["bert_dynamic_xml"] = to_ir(files["bert_dynamic_onnx"], directory / "bert_dynamic.xml")
        # a second, different model: "-m model.xml -m model2.xml" must benchmark this one (the last -m wins)
        files["model2_xml"] = to_ir(files["bert_onnx"], directory / "model2.xml")
    if HAS_PILLOW:
        from PIL import Image

        pixels = np.random.default_rng(3).integers(0, 256, (48, 64, CHANNELS), dtype=np.uint8)
        files["car_png"] = directory / "car.png"
        Image.fromarray(pixels, "RGB").save(files["car_png"])
        images = directory / "images"
        images.mkdir(exist_ok=True)
        for index in range(2):
            Image.fromarray(np.roll(pixels, index, axis=0), "RGB").save(images / f"frame{index}.jpg")
        files["images_dir"] = images
    return files
