"""Shared fixtures: tiny ONNX models built with ``onnx.helper``, an OpenVINO IR copy, engine parameters.

Every model is built once per session under ``tmp_path_factory``. They are a few bytes large and compile in
milliseconds, so contract tests against the real engines stay fast.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cli_outcome import Outcome, Run

OPSET = 17
IR_VERSION = 8

HAS_OPENVINO = importlib.util.find_spec("openvino") is not None
HAS_ONNXRUNTIME = importlib.util.find_spec("onnxruntime") is not None
HAS_ONNX = importlib.util.find_spec("onnx") is not None

ENGINE_PARAMS = [
    pytest.param("fake", id="fake"),
    pytest.param("onnxruntime", id="onnxruntime",
                 marks=pytest.mark.skipif(not HAS_ONNXRUNTIME, reason="onnxruntime not installed")),
    pytest.param("openvino", id="openvino",
                 marks=pytest.mark.skipif(not HAS_OPENVINO, reason="openvino not installed")),
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the snapshots under tests/golden/ from the current output (test_golden.py)")


@pytest.fixture(params=ENGINE_PARAMS)
def engine(request: pytest.FixtureRequest) -> str:
    """Every engine that can run here: fake always, the real ones when installed."""
    name: str = request.param
    return name


# --- tiny ONNX models ------------------------------------------------------------------------------------


def _value(name: str, elem_type: int, dims: list[Any] | None) -> Any:
    """A graph input/output; a ``None`` entry in ``dims`` leaves that dim without value or name."""
    from onnx import helper

    info = helper.make_tensor_value_info(name, elem_type, dims)
    if dims is not None:
        for dim, wanted in zip(info.type.tensor_type.shape.dim, dims, strict=True):
            if wanted is None:
                dim.Clear()
    return info


def _save(directory: Path, name: str, nodes: list[Any], inputs: list[Any], outputs: list[Any],
          initializers: list[Any] | None = None) -> Path:
    import onnx
    from onnx import helper

    graph = helper.make_graph(nodes, name, inputs, outputs, initializers or [])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="infermeter-tests")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    path = directory / f"{name}.onnx"
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("onnx")
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def add_model(model_dir: Path) -> Path:
    """x float32 [batch, 8] -> Add(x, x) -> y."""
    from onnx import TensorProto, helper

    return _save(model_dir, "add", [helper.make_node("Add", ["x", "x"], ["y"])],
                 [_value("x", TensorProto.FLOAT, ["batch", 8])], [_value("y", TensorProto.FLOAT, ["batch", 8])])


@pytest.fixture(scope="session")
def static_model(model_dir: Path) -> Path:
    """x float32 [2, 4] -> Relu -> y."""
    from onnx import TensorProto, helper

    return _save(model_dir, "static", [helper.make_node("Relu", ["x"], ["y"])],
                 [_value("x", TensorProto.FLOAT, [2, 4])], [_value("y", TensorProto.FLOAT, [2, 4])])


EMBEDDING_ROWS = 50


@pytest.fixture(scope="session")
def multi_io_model(model_dir: Path) -> Path:
    """input_ids, attention_mask int64 [batch, sequence] -> hidden [batch, sequence, 4], pooled [batch, 4]."""
    from onnx import TensorProto, helper, numpy_helper

    table = np.random.default_rng(0).standard_normal((EMBEDDING_ROWS, 4)).astype(np.float32)
    initializers = [numpy_helper.from_array(table, "embeddings"),
                    numpy_helper.from_array(np.array([2], dtype=np.int64), "axes")]
    nodes = [
        helper.make_node("Gather", ["embeddings", "input_ids"], ["gathered"], name="gather", axis=0),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "axes"], ["mask_3d"]),
        helper.make_node("Mul", ["gathered", "mask_3d"], ["hidden"]),
        helper.make_node("ReduceMean", ["hidden"], ["pooled"], axes=[1], keepdims=0),
    ]
    tokens = ["batch", "sequence"]
    return _save(
        model_dir, "multi_io", nodes,
        [_value("input_ids", TensorProto.INT64, tokens), _value("attention_mask", TensorProto.INT64, tokens)],
        [_value("hidden", TensorProto.FLOAT, [*tokens, 4]), _value("pooled", TensorProto.FLOAT, ["batch", 4])],
        initializers,
    )


ODD_INPUT = "serving_default_input:0"
ODD_DIM = "p2o.DynamicDimension.0"


@pytest.fixture(scope="session")
def odd_names_model(model_dir: Path) -> Path:
    """'serving_default_input:0' float32 [<unset>, 3] + 'p2o.x' float32 ['p2o.DynamicDimension.0', 3]."""
    from onnx import TensorProto, helper

    return _save(
        model_dir, "odd_names", [helper.make_node("Add", [ODD_INPUT, "p2o.x"], ["out"])],
        [_value(ODD_INPUT, TensorProto.FLOAT, [None, 3]), _value("p2o.x", TensorProto.FLOAT, [ODD_DIM, 3])],
        [_value("out", TensorProto.FLOAT, [None, 3])],
    )


@pytest.fixture(scope="session")
def unnamed_dim_model(model_dir: Path) -> Path:
    """x float32 [batch, <unset>] -> Relu -> y: a dynamic dim that no flag but -shape can size."""
    from onnx import TensorProto, helper

    return _save(model_dir, "unnamed_dim", [helper.make_node("Relu", ["x"], ["y"])],
                 [_value("x", TensorProto.FLOAT, ["batch", None])], [_value("y", TensorProto.FLOAT, ["batch", None])])


@pytest.fixture(scope="session")
def scalar_input_model(model_dir: Path) -> Path:
    """audio float32 [batch, 16] and sample_rate int64 [] -> audio * float(sample_rate) -> out."""
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Cast", ["sample_rate"], ["rate_f"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["audio", "rate_f"], ["out"])]
    return _save(
        model_dir, "scalar_input", nodes,
        [_value("audio", TensorProto.FLOAT, ["batch", 16]), _value("sample_rate", TensorProto.INT64, [])],
        [_value("out", TensorProto.FLOAT, ["batch", 16])],
    )


@pytest.fixture(scope="session")
def add_model_ir(add_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """add_model converted to OpenVINO IR (.xml + .bin)."""
    ov = pytest.importorskip("openvino")
    xml = tmp_path_factory.mktemp("ir") / "add.xml"
    ov.save_model(ov.Core().read_model(str(add_model)), str(xml))
    assert xml.with_suffix(".bin").exists()
    return xml


# --- openvino ----------------------------------------------------------------------------------------------



# --- environment for subprocess tests --------------------------------------------------------------------


@pytest.fixture(scope="session")
def zoo_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private INFERMETER_CACHE_DIR for subprocesses, so tests never touch the user's cache."""
    return tmp_path_factory.mktemp("infermeter-cache")


@pytest.fixture(scope="session")
def built_resnet18(zoo_cache: Path) -> Path:
    """zoo:resnet18 built into ``zoo_cache`` (needs onnx), so a subprocess does not spend its time building it."""
    pytest.importorskip("onnx")
    from infermeter.model import zoo

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INFERMETER_CACHE_DIR", str(zoo_cache))
        return zoo.ensure_built("resnet18")


@pytest.fixture(scope="session")
def cli_env(zoo_cache: Path) -> dict[str, str]:
    """Environment for ``python -m infermeter``: the private cache, no colours, rich's default width (80)."""
    env = {**os.environ, "INFERMETER_CACHE_DIR": str(zoo_cache), "NO_COLOR": "1", "TERM": "dumb",
           "PYTHONUNBUFFERED": "1"}
    for name in ("FORCE_COLOR", "COLUMNS", "LINES", "PYTHONWARNINGS"):
        env.pop(name, None)
    return env


@pytest.fixture
def npy(tmp_path: Path) -> Callable[[str, Any], Path]:
    """Save an array as ``tmp_path/NAME.npy`` and return the path."""

    def save(name: str, value: Any) -> Path:
        path = tmp_path / f"{name}.npy"
        np.save(path, np.asarray(value))
        return path

    return save


@pytest.fixture
def im(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, zoo_cache: Path) -> Run:
    """Runs ``infermeter ARGS`` in this process: exit code, stdout, stderr."""
    from infermeter import cli

    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("INFERMETER_CACHE_DIR", str(zoo_cache))

    def invoke(*args: str | Path) -> Outcome:
        capsys.readouterr()
        code = cli.main([str(a) for a in args])
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return invoke
