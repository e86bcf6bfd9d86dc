"""The pytorch and litert engines, and OpenVINO's other frontends, on real files built here (native_models).

Each format runs on its native engine and on OpenVINO, sync and async; the report says which frontend read the
file; verify agrees on every file; an A/B prints its ratio and the agreement line.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from infermeter import cli
from infermeter.config.benchmark import build_config
from infermeter.measure.run import run
from infermeter.results.report import Report
from native_models import save_saved_model, save_tflite, save_torch_models

pytest.importorskip("openvino")
torch = pytest.importorskip("torch")
pytest.importorskip("ai_edge_litert")

pytestmark = [pytest.mark.pytorch, pytest.mark.litert, pytest.mark.openvino]
# f32 pinned: OpenVINO's CPU default is bf16 where the CPU has AVX512_BF16/AMX (Zen 4, Sapphire Rapids), and
# these tests are about formats and agreement, not about that default (tests/test_precision covers it).
F32 = ("-infer_precision", "f32")
QUICK = {"niter": "20", "time": None, "warmup": "2it"}
PINS_PRECISION = ("openvino", "pytorch")  # litert refuses -infer_precision (it computes as the model is stored)


def openvino_default() -> str:
    """The precision OpenVINO's CPU plugin computes in on this machine when none is asked for."""
    import openvino as ov

    return "bf16" if ov.Core().get_property("CPU", "INFERENCE_PRECISION_HINT") == ov.Type.bf16 else "f32"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from native_models import graph_def

    directory = tmp_path_factory.mktemp("native")
    found = save_torch_models(directory)
    found["tflite"] = save_tflite(directory / "small.tflite")
    (directory / "small.pb").write_bytes(graph_def())
    found["pb"] = directory / "small.pb"
    found["saved_model"] = save_saved_model(directory / "saved")
    found["no_signature"] = save_saved_model(directory / "unsigned", signature=False)
    return found


def measure(model: Path | str, engine: str, api: str = "sync", **options: object) -> Report:
    if engine in PINS_PRECISION:
        options.setdefault("infer_precision", "f32")
    return run(build_config(str(model), engine=engine, api=api, **{**QUICK, **options}))  # type: ignore[arg-type]


def cli_run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- every format on its native engine and on OpenVINO, sync and async --------------------------------------

CASES = [
    ("pt", "pytorch", "torch.jit.load (TorchScript)", ["-shape", "[1,8]"]),
    ("pt", "openvino", "openvino pytorch frontend (TorchScript; openvino.convert_model, traced at the run's shapes)",
     ["-shape", "[1,8]"]),
    ("pt2", "pytorch", "torch.export.load (.pt2)", []),
    ("pt2", "openvino", "openvino pytorch frontend (torch.export program (.pt2); openvino.convert_model)", []),
    ("py", "pytorch", "make_model() from small.py (eager nn.Module)", []),
    ("py", "openvino", "openvino pytorch frontend (Python factory of a torch.nn.Module; openvino.convert_model, "
     "traced at the run's shapes)", []),
    ("tflite", "litert", "ai_edge_litert.interpreter.Interpreter (LiteRT)", []),
    ("tflite", "openvino", "openvino tflite frontend (TensorFlow Lite (.tflite); Core.read_model)", []),
    ("pb", "openvino", "openvino tf frontend (TensorFlow frozen graph (.pb); Core.read_model)", []),
    ("saved_model", "openvino", "openvino tf frontend (TensorFlow SavedModel; Core.read_model)", []),
]


@pytest.mark.parametrize("api", ["sync", "async"])
@pytest.mark.parametrize(("kind", "engine", "frontend", "extra"), CASES,
                         ids=[f"{kind}-{engine}" for kind, engine, _, _ in CASES])
def test_format_runs_on_engine(files: dict[str, Path], kind: str, engine: str, frontend: str, extra: list[str],
                               api: str) -> None:
    shape = extra[1] if extra else None
    model = f"{files[kind]}:make_model" if kind == "py" else files[kind]
    report = measure(model, engine, api, shape=shape)
    assert report.error is None
    assert report.run is not None and report.run.count >= 20
    assert report.engine.name == engine
    assert report.engine.frontend == frontend
    assert report.engine.precision == "f32"
    if engine != "openvino":
        expected = 1 if api == "sync" else 2  # two cores: two runner threads
        assert report.engine.requests_in_flight == expected
        assert report.engine.threads == (2 if api == "sync" else 1)
        if api == "async":
            assert "runner threads" in report.engine.async_mode


def test_pytorch_threads_and_streams(files: dict[str, Path]) -> None:
    from infermeter.config.tuning import build_tuning

    report = measure(files["pt2"], "pytorch", "async", nthreads="1", tuning=build_tuning(nstreams="3"))
    assert report.engine.requests_in_flight == 3
    assert report.engine.threads == 1
    assert report.engine.choice_reason.startswith("1 thread(s) per request (-nthreads); -nstreams 3: 3 runner "
                                                  "thread(s)")
    assert "torch.set_num_threads(1)" in report.engine.choice_reason
    assert torch.get_num_threads() == 1
    torch.set_num_threads(2)


def test_pytorch_bf16_is_reported_as_what_ran(files: dict[str, Path]) -> None:
    report = measure(files["pt2"], "pytorch", infer_precision="bf16")
    assert report.engine.precision == "bf16"
    assert report.engine.precision_note.startswith("CPU autocast bf16 (matmul/conv ops: 1 in bf16;")
    assert report.engine.properties["autocast"] == "bf16"
    plain = measure(files["pt2"], "pytorch", infer_precision="f32")
    assert plain.engine.precision == "f32"
    assert plain.engine.precision_note == "as stored in the model (matmul/conv ops: 1 in f32)"


def test_torch_compile_is_timed_as_the_compile_phase(files: dict[str, Path]) -> None:
    from infermeter.config.tuning import build_tuning

    eager = measure(files["pt2"], "pytorch")
    compiled = measure(files["pt2"], "pytorch", tuning=build_tuning(torch_compile=True))
    assert compiled.engine.properties["torch_compile"] == "true"
    assert "torch.compile (inductor): compiled on its first call, timed in the compile phase" in \
        compiled.engine.choice_reason
    assert compiled.phases.compile_ns is not None and eager.phases.compile_ns is not None
    assert compiled.phases.compile_ns > eager.phases.compile_ns
    assert compiled.run is not None and compiled.run.count >= 20


def test_torch_compile_refuses_torchscript(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli_run(capsys, "run", files["pt"], "-e", "pytorch", "-shape", "[1,8]", "--torch-compile",
                           "-niter", "1")
    assert code == 2
    assert err.splitlines() == ["infermeter: error: --torch-compile compiles an nn.Module: give a .pt2 (torch.export) "
                                "or file.py:make_model (TorchScript is already compiled by torch.jit)"]


def test_default_engine_is_the_native_one(files: dict[str, Path]) -> None:
    assert measure(files["pt2"], None).engine.name == "pytorch"  # type: ignore[arg-type]
    assert measure(files["tflite"], None).engine.name == "litert"  # type: ignore[arg-type]
    assert measure(files["pb"], None).engine.name == "openvino"  # type: ignore[arg-type]


def test_pt2_static_dims_cannot_change(files: dict[str, Path], tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from native_models import small_module

    static = tmp_path / "static.pt2"
    torch.export.save(torch.export.export(small_module(), (torch.randn(2, 8),)), str(static))
    code, _, err = cli_run(capsys, "run", static, "-e", "pytorch", "-b", "4", "-niter", "1")
    assert code == 2
    assert err.splitlines() == ["infermeter: error: pytorch cannot change static dim 0 of input 'input' of a "
                                "torch.export program (exported as [2, 8], asked [4, 8]): export it with "
                                "dynamic_shapes"]


# --- verify and the A/B ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "engines", "extra"), [
    ("pt", "pytorch,openvino", ["-shape", "[3,8]"]),
    ("pt2", "pytorch,openvino,pytorch", ["-b", "5"]),
    ("py", "pytorch,openvino", []),
    ("tflite", "litert,openvino", []),
    ("classifier", "pytorch,openvino", ["-b", "6"]),
])
def test_verify_agrees(files: dict[str, Path], capsys: pytest.CaptureFixture[str], kind: str, engines: str,
                       extra: list[str]) -> None:
    model = f"{files[kind]}:make_model" if kind == "py" else files[kind]
    pinned = all(engine in PINS_PRECISION for engine in engines.split(","))
    precision = "f32" if pinned else openvino_default()
    code, out, err = cli_run(capsys, "verify", model, "-e", engines, *extra, *(F32 if pinned else ()), "-q", "-x", "-")
    assert code == 0, err
    data = json.loads(out)
    assert data["schema"] == "infermeter.verify" and data["agrees"] is True
    assert data["notes"][0].startswith(f"inputs: the same bytes for all {len(engines.split(','))} configurations")
    tolerance, cosine = ((1e-4, 1e-3), 0.999999) if precision == "f32" else ((5e-2, 5e-2), 0.999)
    for result in data["results"]:
        assert result["agrees"] and result["precision"] == precision
        assert (result["atol"], result["rtol"]) == tolerance
        for output in result["outputs"]:
            assert output["cosine"] > cosine and output["max_abs_error"] < tolerance[0]
            if kind == "classifier":
                assert output["top1"] == 1.0 and output["top5"] == 1.0 and output["shape"] == [6, 10]
    # a repeated engine gets labels A, B, C
    reference = "A pytorch" if kind == "pt2" else engines.split(",", maxsplit=1)[0]
    assert err.splitlines()[-1] == f"verdict: every engine agrees with {reference} within tolerance"


def test_verify_bf16_uses_the_bf16_tolerance(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli_run(capsys, "verify", files["classifier"], "-e", "openvino,pytorch", "-b", "4",
                             "-infer_precision", "bf16", "-q", "-x", "-")
    data = json.loads(out)
    assert [e["precision"] for e in data["engines"]][1] == "bf16"
    assert (data["results"][0]["atol"], data["results"][0]["rtol"]) == (5e-2, 5e-2)
    assert code == (0 if data["agrees"] else 5), err


def test_verify_disagrees_beyond_a_tight_tolerance(files: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    markdown = tmp_path / "verify.md"
    code, out, _ = cli_run(capsys, "verify", files["classifier"], "-e", "pytorch", "-b", "2",
                           "-infer_precision", "f32,bf16", "--atol", "0", "--rtol", "0", "--export-markdown", markdown)
    assert code == 5
    assert out.splitlines()[-1] == ("verdict: infer_precision=bf16 DISAGREE with infer_precision=f32 beyond "
                                    "tolerance (exit 5)")
    text = markdown.read_text(encoding="utf-8")
    assert text.startswith(f"### infermeter verify: `{files['classifier']}`")
    assert "| infer_precision=bf16 | output0 | 2×10 |" in text
    assert text.rstrip().endswith("**verdict: infer_precision=bf16 DISAGREE with infer_precision=f32 beyond tolerance "
                                  "(exit 5)**")


def test_ab_native_vs_openvino_prints_ratio_and_agreement(files: dict[str, Path],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli_run(capsys, "run", files["tflite"], "-e", "openvino,litert", "--rounds", "2", "-niter", "30",
                             "-w", "2it", "-api", "sync")
    assert code == 0, err
    assert "ratio B/A [95% CI]" in out
    assert "inputs: the same bytes for all 2 configurations" in out
    openvino = openvino_default()  # LiteRT takes no -infer_precision, so OpenVINO computes in its own default
    assert f"precision computed in: engine=openvino {openvino}, engine=litert f32" in out
    agreement = [line for line in out.splitlines() if line.startswith("outputs:")]
    assert agreement and agreement[0].startswith("outputs: engine=litert vs engine=openvino: agree within "
                                                 f"{'f32' if openvino == 'f32' else 'bf16'} tolerance")


def test_session_json_keeps_notes_and_agreement(files: dict[str, Path], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from infermeter.runs.files import load_session_or_report

    path = tmp_path / "ab.json"
    code, _, err = cli_run(capsys, "run", files["pt2"], "-e", "pytorch,openvino", *F32, "--rounds", "1", "-niter", "10",
                           "-w", "1it", "-api", "sync", "-q", "-x", path)
    assert code == 0, err
    session = load_session_or_report(path)
    assert session.agreement[0].startswith("outputs: engine=openvino vs engine=pytorch: agree")
    assert session.notes[0].startswith("inputs: the same bytes")
    assert session.notes[1] == "precision computed in: engine=pytorch f32, engine=openvino f32"


def test_outputs_match_numpy(files: dict[str, Path]) -> None:
    """The engines compute what the model says: relu(x W^T + b)."""
    from infermeter.events import NullObserver
    from infermeter.measure.run import prepare
    from infermeter.runs.agreement import outputs_of
    from native_models import BIAS, WEIGHT

    for kind, engine in (("tflite", "litert"), ("pt2", "pytorch"), ("tflite", "openvino")):
        pin = {"infer_precision": "f32"} if engine in PINS_PRECISION else {}
        prepared = prepare(build_config(str(files[kind]), engine=engine, **QUICK, **pin), NullObserver())
        x = next(iter(prepared.ready.inputs.values())).array
        np.testing.assert_allclose(outputs_of(prepared)[0], np.maximum(x @ WEIGHT.T + BIAS, 0), rtol=1e-5, atol=1e-6)


def test_ab_warns_when_precisions_differ(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli_run(capsys, "run", files["classifier"], "-e", "pytorch", "-infer_precision", "f32,bf16",
                             "--rounds", "1", "-niter", "10", "-w", "1it", "-api", "sync")
    assert code == 0, err
    flat = " ".join(out.split())
    assert ("warning: precision differs between configurations (infer_precision=f32 f32, infer_precision=bf16 "
            "bf16): their speed and their outputs are not like for like") in flat
    assert "outputs: infer_precision=bf16 vs infer_precision=f32: agree within bf16 tolerance" in flat


def test_verify_with_input_files(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "x.npy"
    np.save(data, np.random.default_rng(5).standard_normal((3, 8)).astype(np.float32))
    code, out, err = cli_run(capsys, "verify", files["pt2"], "-e", "pytorch,openvino", "-i", f"input:{data}", "-q",
                             "-x", "-")
    assert code == 0, err
    result = json.loads(out)
    assert result["results"][0]["outputs"][0]["shape"] == [3, 4]
