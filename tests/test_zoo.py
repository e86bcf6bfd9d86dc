"""Tests for the built-in model zoo: graphs valid and runnable, signatures honest, cache safe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infermeter import atomic
from infermeter.errors import UsageError
from infermeter.model import zoo

NAMES = [m.name for m in zoo.list_models()]
RUN_DIMS = {"batch": 2, "sequence": 16}
_BUILT: dict[str, Any] = {}


def built(name: str) -> Any:
    """Each model is built once per test session (building is the slow part)."""
    pytest.importorskip("onnx")
    if name not in _BUILT:
        _BUILT[name] = zoo.build(name)
    return _BUILT[name]


def concrete(dims: tuple[Any, ...] | None) -> tuple[int, ...]:
    assert dims is not None
    return tuple(RUN_DIMS[d] if isinstance(d, str) else d for d in dims)


def graph_signature(values: Any) -> list[tuple[str, str, tuple[int | str, ...]]]:
    import onnx

    out = []
    for v in values:
        t = v.type.tensor_type
        dtype = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(t.elem_type)).name
        dims = tuple(d.dim_param if d.HasField("dim_param") else d.dim_value for d in t.shape.dim)
        out.append((v.name, dtype, dims))
    return out


def test_registry_names_and_defaults() -> None:
    assert NAMES == ["bert-mini", "mobilenet-v2-small", "resnet18"]
    for model in zoo.list_models():
        assert zoo.get(model.name) is model
        assert "\n" not in model.description and "params" in model.description
        assert "GMACs" in model.description
        assert model.version >= 1
    assert dict(zoo.get("bert-mini").default_dims) == {"sequence": 128}
    assert dict(zoo.get("resnet18").default_dims) == {}


@pytest.mark.parametrize("name", NAMES)
def test_check_model_and_signature(name: str) -> None:
    import onnx

    proto = built(name)
    onnx.checker.check_model(proto, full_check=True)
    assert proto.ir_version == 8
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", 17)]
    model = zoo.get(name)
    init_names = {i.name for i in proto.graph.initializer}
    graph_inputs = [v for v in proto.graph.input if v.name not in init_names]
    assert graph_signature(graph_inputs) == [(d.name, d.dtype, d.dims) for d in model.inputs]
    assert graph_signature(proto.graph.output) == [(d.name, d.dtype, d.dims) for d in model.outputs]


@pytest.mark.parametrize("name", NAMES)
def test_params_match_description(name: str) -> None:
    from onnx import numpy_helper

    proto = built(name)
    buffers = ("running_mean", "running_var", "position_ids")
    params = sum(
        numpy_helper.to_array(i).size
        for i in proto.graph.initializer
        if not i.name.startswith("const.") and not i.name.endswith(buffers)
    )
    props = {p.key: p.value for p in proto.metadata_props}
    assert props["zoo_name"] == name and int(props["params"]) == params
    assert f"{params / 1e6:.1f} M params" in zoo.get(name).description
    assert f"{int(props['macs']) / 1e9:.3g} GMACs" in zoo.get(name).description
    published = {"resnet18": 11_689_512, "mobilenet-v2-small": 1_968_680, "bert-mini": 11_170_560}
    assert params == published[name]


@pytest.mark.parametrize("name", NAMES)
def test_runs_in_onnxruntime(name: str) -> None:
    ort = pytest.importorskip("onnxruntime")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    proto = built(name).SerializeToString()
    session = ort.InferenceSession(proto, options, providers=["CPUExecutionProvider"])
    model = zoo.get(name)
    rng = np.random.default_rng(0)
    feed: dict[str, np.ndarray] = {}
    for d in model.inputs:
        shape = concrete(d.dims)
        if d.dtype == "int64":
            feed[d.name] = rng.integers(0, d.index_bound or 2, shape, dtype=np.int64)
        else:
            feed[d.name] = rng.standard_normal(shape, dtype=np.float32)
    if "attention_mask" in feed:
        feed["attention_mask"][:] = 1
        feed["attention_mask"][1, 12:] = 0  # padding on the second sequence
    results = session.run([d.name for d in model.outputs], feed)
    for d, value in zip(model.outputs, results, strict=True):
        assert value.shape == concrete(d.dims)
        assert value.dtype == np.dtype(d.dtype)
        assert np.isfinite(value).all()
        assert value.std() > 0


@pytest.mark.parametrize("name", NAMES)
def test_build_is_deterministic(name: str) -> None:
    assert zoo.build(name).SerializeToString() == built(name).SerializeToString()


def test_index_bounds_match_the_gathered_tables() -> None:
    proto = built("bert-mini")
    tables = {i.name: tuple(i.dims) for i in proto.graph.initializer}
    gathers = {n.input[1]: n.input[0] for n in proto.graph.node if n.op_type == "Gather"}
    for d in zoo.get("bert-mini").inputs:
        if d.index_bound is None:
            assert d.name == "attention_mask"
            continue
        table = gathers[d.name]  # the input itself is the indices operand
        assert tables[table][0] == d.index_bound
        assert d.index_source == f"Gather '{table}' (zoo)"


def test_unknown_model_is_a_usage_error() -> None:
    with pytest.raises(zoo.UnknownZooModel) as caught:
        zoo.get("resnet99")
    assert isinstance(caught.value, UsageError)
    assert caught.value.exit_code == 2
    assert str(caught.value) == (
        "unknown zoo model 'resnet99'; available: bert-mini, mobilenet-v2-small, resnet18"
    )
    with pytest.raises(zoo.UnknownZooModel):
        zoo.ensure_built("nope")


def test_zoo_refs() -> None:
    assert zoo.is_zoo_ref("zoo:resnet18")
    assert not zoo.is_zoo_ref("resnet18.onnx")
    assert zoo.get(zoo.ZOO_PREFIX + "resnet18").name == "resnet18"


def test_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("INFERMETER_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert zoo.cache_dir() == tmp_path / "home" / ".cache" / "infermeter" / "zoo"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert zoo.cache_dir() == tmp_path / "xdg" / "infermeter" / "zoo"
    monkeypatch.setenv("INFERMETER_CACHE_DIR", str(tmp_path / "own"))
    assert zoo.cache_dir() == tmp_path / "own" / "zoo"


class _FakeProto:
    def __init__(self, name: str) -> None:
        self.name = name

    def SerializeToString(self) -> bytes:  # noqa: N802 - protobuf's name
        return f"model {self.name}".encode()


def test_ensure_built_caches(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INFERMETER_CACHE_DIR", str(tmp_path))
    calls: list[str] = []
    monkeypatch.setattr(zoo, "build", lambda name: calls.append(name) or _FakeProto(name))
    path = zoo.ensure_built("resnet18")
    version = zoo.get("resnet18").version
    assert path == tmp_path / "zoo" / f"resnet18-v{version}.onnx"
    assert path.read_bytes() == b"model resnet18"
    assert zoo.ensure_built("zoo:resnet18") == path
    assert calls == ["resnet18"]
    assert os.listdir(tmp_path / "zoo") == [path.name]


def test_ensure_built_leaves_no_temp_file_on_failure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INFERMETER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(zoo, "build", _FakeProto)

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupted)  # the one writer (infermeter.atomic)
    with pytest.raises(KeyboardInterrupt):
        zoo.ensure_built("bert-mini")
    assert os.listdir(tmp_path / "zoo") == []


def test_ensure_built_writes_the_real_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    monkeypatch.setenv("INFERMETER_CACHE_DIR", str(tmp_path))
    path = zoo.ensure_built("mobilenet-v2-small")
    assert path.read_bytes() == built("mobilenet-v2-small").SerializeToString()
    onnx.checker.check_model(str(path))


def test_module_imports_without_onnx() -> None:
    code = (
        "import sys; sys.modules['onnx'] = None\n"
        "from infermeter.model import zoo\n"
        "assert [m.name for m in zoo.list_models()]\n"
        "assert zoo.get('bert-mini').inputs[0].index_bound == 30522\n"
    )
    src = str(Path(zoo.__file__).resolve().parents[2])
    paths = [src, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
