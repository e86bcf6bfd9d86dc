"""Parity details not covered by the command-line table: refusals for sessions, -h, what was timed, error lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from infermeter.cli import main
from infermeter.config.benchmark import build_config
from infermeter.config.output import build_output_options
from infermeter.errors import one_line
from infermeter.measure import run as app


@pytest.mark.parametrize("flags", [["-pc"], ["-pcseq"], ["-latency_percentile", "90"],
                                   ["-report_folder", "out"], ["-dump_config", "d.json"]])
def test_single_run_outputs_refused_for_sessions(flags: list[str], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    flags = [str(tmp_path / f) if f in ("out", "d.json") else f for f in flags]
    code = main(["run", "zoo:resnet18", "-e", "fake", "--rounds", "2", "-niter", "3", *flags])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert flags[0].split()[0] in err[0] and "describe one run" in err[0]


def test_help_lists_engines_without_importing_them(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "-h"])
    out = capsys.readouterr().out
    assert "engines on this machine:" in out and "fake" in out and "infermeter engines" in out


def _timed(**options: object) -> str:
    settings: dict[str, object] = {"niter": 4, **options}
    return app.run(build_config("zoo:resnet18", engine="fake", no_warmup=True, **settings)).timed  # type: ignore[arg-type]


def test_what_was_timed_names_the_mode() -> None:
    assert "inputs prepared and bound once before timing" in _timed(api="sync")
    full = _timed(api="sync", inference_only="false")
    assert "full mode (-inference_only false)" in full and "inside the timed call" in full
    assert "bound once before timing" not in full
    assert "starts capped at 50/s (-max_irate), the wait is not in the latency" in _timed(api="sync", max_irate=50)
    groups = _timed(api="sync", data_shape="[1,3,32,32][1,3,64,64]", inference_only="true")
    assert groups.startswith("latency = one blocking infer call") and "2 input sets, each bound once" in groups
    assert _timed(niter=0).startswith("compile only (-niter 0)")


def test_pinning_is_printed_as_applied(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("openvino")
    pytest.importorskip("onnx")
    assert main(["run", "zoo:resnet18", "-niter", "2", "--no-warmup", "-pin", "NO", "-nstreams", "1"]) == 0
    out = capsys.readouterr().out
    assert "pinning False (ENABLE_CPU_PINNING)" in out
    assert "-nstreams 1 set NUM_STREAMS=1" in out


def test_one_line_skips_source_locations() -> None:
    trace = RuntimeError("Exception from src/inference/src/cpp/infer_request.cpp:67:\n"
                         "Check 'x' failed at src/core.cpp:12:\nParameterMismatch: u8 given, f32 expected\n")
    assert one_line(trace) == "ParameterMismatch: u8 given, f32 expected"
    assert one_line(RuntimeError("Exception from a.cpp:1:")) == "Exception from a.cpp:1:"
    assert one_line(RuntimeError("")) == "RuntimeError"


def test_stream_output_progress_styles() -> None:
    assert build_output_options(stream_output=True).progress == "lines"
    assert build_output_options(stream_output="true", progress="false").progress == "none"
    assert build_output_options(progress="true").progress == "bar"
    assert build_output_options().progress == "auto"


def test_onnxruntime_static_batch_rewritten(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 6])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "static.onnx"
    onnx.save(model, path)
    report = app.run(build_config(str(path), engine="onnxruntime", batch=5, api="sync", niter=3, no_warmup=True))
    assert report.model.inputs[0].shape == (5, 6) and report.model.batch == 5
    assert report.run is not None and report.run.count == 3 and report.run.items == 15
    assert "infermeter_batch=5" in report.engine.properties["free_dimension_overrides"]
