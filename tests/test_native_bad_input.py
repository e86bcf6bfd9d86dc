"""Bad input for the native engines and OpenVINO's other frontends: one line naming the culprit, exit 2 (1 for a
failure at run time), no traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from infermeter import cli
from native_models import graph_def, save_saved_model, save_tflite, save_torch_models

pytest.importorskip("openvino")
pytest.importorskip("torch")
pytest.importorskip("ai_edge_litert")

PREFIX = "infermeter: error: "


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("bad-native")
    found = save_torch_models(directory)
    good = save_tflite(directory / "good.tflite")
    (directory / "truncated.tflite").write_bytes(good.read_bytes()[:120])
    (directory / "text.tflite").write_text("not a flatbuffer at all", encoding="utf-8")
    found["truncated"] = directory / "truncated.tflite"
    found["text_tflite"] = directory / "text.tflite"
    found["unsigned"] = save_saved_model(directory / "unsigned", signature=False)
    (directory / "junk.pdmodel").write_bytes(b"\x08\x01garbage that is no ProgramDesc")
    found["pdmodel"] = directory / "junk.pdmodel"
    (directory / "junk.pt2").write_bytes(b"PK\x03\x04 not really a zip")
    found["junk_pt2"] = directory / "junk.pt2"
    (directory / "other.py").write_text("def make_model():\n    return 42\n", encoding="utf-8")
    found["not_module"] = directory / "other.py"
    (directory / "graph.pb").write_bytes(graph_def())
    found["pb"] = directory / "graph.pb"
    return found


def one_error_line(capsys: pytest.CaptureFixture[str], code: int, *args: object) -> str:
    capsys.readouterr()
    result = cli.main([str(a) for a in args])
    err = capsys.readouterr().err
    assert result == code, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(PREFIX)
    return lines[0][len(PREFIX):]


def test_pt_that_is_a_state_dict(bad: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    for engine in ("pytorch", "openvino"):
        message = one_error_line(capsys, 2, "run", bad["state_dict"], "-e", engine, "-niter", "1")
        assert message == (f"model file {bad['state_dict']} is not TorchScript (it looks like torch.save of a "
                           "state_dict or module); save it with torch.jit.script(model) or torch.jit.trace(model, "
                           "example).save(PATH), or torch.export.save(torch.export.export(...), 'model.pt2')")


def test_pt2_that_is_not_an_archive(bad: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    message = one_error_line(capsys, 2, "run", bad["junk_pt2"], "-e", "pytorch", "-niter", "1")
    assert message.startswith(f"model file {bad['junk_pt2']} is not a torch.export program (not a PyTorch zip")


def test_factory_without_a_name(bad: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    message = one_error_line(capsys, 2, "run", bad["py"], "-e", "pytorch", "-niter", "1")
    assert message == (f"model {bad['py']}: a Python model is named as FILE.py:FUNCTION (a function returning a "
                       "torch.nn.Module), e.g. model.py:make_model")


def test_factory_that_raises(bad: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    for engine in ("pytorch", "openvino"):
        message = one_error_line(capsys, 2, "run", f"{bad['py']}:broken", "-e", engine, "-niter", "1")
        assert message == f"model {bad['py']}:broken: broken() raised ValueError: no weights here"


def test_factory_missing_or_not_a_module(bad: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    message = one_error_line(capsys, 2, "run", f"{bad['py']}:nothing", "-e", "pytorch", "-niter", "1")
    assert message == f"model {bad['py']}:nothing: small.py has no function 'nothing'"
    message = one_error_line(capsys, 2, "run", f"{bad['not_module']}:make_model", "-e", "pytorch", "-niter", "1")
    assert message == f"model {bad['not_module']}:make_model: make_model() returned int, not a torch.nn.Module"
    message = one_error_line(capsys, 2, "run", "missing.py:make_model", "-e", "pytorch", "-niter", "1")
    assert message == "model file not found: missing.py"


def test_truncated_tflite(bad: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    message = one_error_line(capsys, 2, "run", bad["truncated"], "-e", "litert", "-niter", "1")
    assert message.startswith(f"litert cannot load model {bad['truncated']}: ")
    message = one_error_line(capsys, 2, "run", bad["truncated"], "-e", "openvino", "-niter", "1")
    assert message.startswith(f"openvino cannot read model {bad['truncated']}: ")
    message = one_error_line(capsys, 2, "run", bad["text_tflite"], "-niter", "1")
    assert message == f"model file {bad['text_tflite']} is not a TensorFlow Lite flatbuffer (no TFL3 identifier)"


def test_saved_model_without_signature(bad: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    message = one_error_line(capsys, 2, "run", bad["unsigned"], "-e", "openvino", "-niter", "1")
    assert message == (f"model {bad['unsigned']}: the SavedModel has no signature; save it with "
                       "tf.saved_model.save(model, PATH, signatures=...) so its inputs and outputs are declared")


def test_paddle_file_that_cannot_be_read(bad: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    message = one_error_line(capsys, 2, "run", bad["pdmodel"], "-e", "openvino", "-niter", "1")
    assert message.startswith(f"openvino cannot read model {bad['pdmodel']}: ")
    message = one_error_line(capsys, 2, "run", bad["pdmodel"], "-e", "onnxruntime", "-niter", "1")
    assert message == (f"-e onnxruntime cannot read {bad['pdmodel']} (PaddlePaddle (.pdmodel)); engines that can: "
                       "openvino")


def test_format_refused_up_front_naming_the_engines(bad: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    cases = [("pb", "pytorch", "TensorFlow frozen graph (.pb)", "openvino"),
             ("pt2", "litert", "torch.export program (.pt2)", "pytorch, openvino"),
             ("truncated", "onnxruntime", "TensorFlow Lite (.tflite)", "litert, openvino")]
    for kind, engine, what, readers in cases:
        message = one_error_line(capsys, 2, "run", bad[kind], "-e", engine, "-niter", "1")
        assert message == f"-e {engine} cannot read {bad[kind]} ({what}); engines that can: {readers}"
    message = one_error_line(capsys, 2, "run", bad["pb"], "-e", "openvino,pytorch", "-niter", "1")
    assert message == f"-e pytorch cannot read {bad['pb']} (TensorFlow frozen graph (.pb)); engines that can: openvino"


@pytest.mark.parametrize(("engine", "module", "pip"), [
    ("pytorch", "torch", "pip install 'infermeter[pytorch]' (on Linux, pip install torch==2.13.0 first takes a "
                         "CPU-only build of about 190 MB)"),
    ("litert", "ai_edge_litert", "pip install 'infermeter[litert]'"),
])
def test_engine_not_installed(bad: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                              engine: str, module: str, pip: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # `import torch` now fails as if it were not installed
    for name in ("infermeter.engines.pytorch", "infermeter.engines.pytorch_load", "infermeter.engines.litert"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    model = bad["pt2"] if engine == "pytorch" else bad["truncated"]
    message = one_error_line(capsys, 2, "run", model, "-e", engine, "-niter", "1")
    assert message == f"engine {engine} is not installed: {pip}"


def test_verify_needs_two_engines_and_sane_tolerances(bad: dict[str, Path],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    message = one_error_line(capsys, 2, "verify", bad["pt2"], "-e", "pytorch")
    assert message == ("verify compares engines: give two or more with -e, e.g. -e openvino,onnxruntime (the first "
                       "is the reference), or a comma list such as -infer_precision f32,bf16")
    message = one_error_line(capsys, 2, "verify", bad["pt2"], "-e", "pytorch,openvino", "--atol", "-1")
    assert message == "--atol -1: must be a finite number ≥ 0"
    message = one_error_line(capsys, 2, "verify", bad["pt2"], "-e", "pytorch,openvino", "--rtol", "x")
    assert message == "--rtol 'x': expected a number, e.g. 1e-4"
    message = one_error_line(capsys, 2, "verify", bad["pt2"], "-e", "pytorch,fake", "--rtol", "0.1")
    assert message == (f"-e fake cannot read {bad['pt2']} (torch.export program (.pt2)); engines that can: pytorch, "
                       "openvino")


def test_infer_precision_the_pytorch_engine_cannot_run(bad: dict[str, Path],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    message = one_error_line(capsys, 2, "run", bad["pt2"], "-e", "pytorch", "-infer_precision", "f16", "-niter", "1")
    assert message == "-infer_precision f16: the pytorch engine runs bf16 (CPU autocast) or f32"
    message = one_error_line(capsys, 2, "run", bad["truncated"], "-e", "litert", "-infer_precision", "bf16")
    assert message == "-infer_precision is honoured by the openvino and pytorch engines only (engine here: litert)"
