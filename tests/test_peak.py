"""infermeter peak (the machine's FP32 ceiling) and the compute line of a run (achieved GFLOP/s, % of peak)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infermeter.cli import main
from infermeter.config.benchmark import build_config
from infermeter.machine import peak
from infermeter.measure import run as app
from infermeter.reporters.console import compute_text
from infermeter.results.facts import FlopsPerRequest


@pytest.fixture()
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path


def test_probe_drops_blas_overrides_and_sets_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        seen.update(kwargs["env"])
        return subprocess.CompletedProcess(command, 0, json.dumps({"best_ns": 2 * 64**3, "runs": 5,
                                                                    "numpy": "x"}), "")

    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "1")
    monkeypatch.setattr(peak.subprocess, "run", fake_run)
    result = peak.measure_peak(threads=3, size=64, seconds=0.1)
    assert "OPENBLAS_CORETYPE" not in seen and "OPENBLAS_L2_SIZE" not in seen
    assert seen["OMP_NUM_THREADS"] == seen["OPENBLAS_NUM_THREADS"] == "3"
    assert result.gflops == 1.0 and result.runs == 5 and result.threads == 3 and result.size == 64


def test_real_probe_and_cache_round_trip(cache_home: Path) -> None:
    measured = peak.measure_peak(threads=1, size=128, seconds=0.05)
    assert measured.runs >= 3 and measured.gflops > 0
    path = peak.save_peak(measured)
    assert path == cache_home / "infermeter" / "peak.json"
    assert peak.cached_peak(measured.cpu, 1) == measured
    assert peak.cached_peak(measured.cpu, 2) is None and peak.cached_peak("another CPU", 1) is None


def test_cache_ignores_damaged_files(cache_home: Path) -> None:
    (cache_home / "infermeter").mkdir()
    (cache_home / "infermeter" / "peak.json").write_text("{not json")
    assert peak.cached_peak("x", 1) is None


def test_peak_command(cache_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["peak", "--size", "128", "--time", "0.05", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "FP32 peak (numpy sgemm 128×128, 1 thread(s)" in out and "GFLOP/s" in out
    assert (cache_home / "infermeter" / "peak.json").exists()
    assert main(["peak", "--size", "0"]) == 2


def test_compute_line_exact() -> None:
    report = app.run(build_config("zoo:resnet18", engine="fake", api="sync", niter=10, no_warmup=True,
                                  fake_latency="4ms"))
    assert report.model.flops_per_request is None and compute_text(report) is None  # the fake engine: none
    model = dataclasses.replace(report.model, flops_per_request=FlopsPerRequest(macs=10**9, flops=2 * 10**9))
    with_flops = dataclasses.replace(report, model=model)
    assert compute_text(with_flops) == ("500.0", "GFLOP/s (run infermeter peak once for the share of this "
                                                 "machine's FP32 peak)")
    environment = dataclasses.replace(report.environment, fp32_peak=peak.Peak(1000.0, 1, 128, 3, "cpu", "2", "now"))
    assert compute_text(dataclasses.replace(with_flops, environment=environment)) == (
        "500.0", "GFLOP/s = 50% of this machine's FP32 peak (1,000 GFLOP/s, infermeter peak)")


def test_real_engine_counts_flops(cache_home: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    report = app.run(build_config("zoo:resnet18", engine="onnxruntime", api="sync", niter=2, no_warmup=True))
    assert report.model.flops_per_request is not None and report.model.flops_per_request.macs == 1_814_073_344
    assert report.environment.fp32_peak is None  # nothing measured in this cache
    assert "fp32_peak" not in report.to_dict()["environment"]
    text = compute_text(report)
    assert text is not None and text[1].startswith("GFLOP/s (run infermeter peak")


def test_openvino_counts_from_its_own_graph_and_agrees_with_onnx() -> None:
    """OpenVINO counts from the shapes it already inferred (no reload); the ONNX count gives the same MACs."""
    pytest.importorskip("openvino")
    pytest.importorskip("onnx")
    one = app.run(build_config("zoo:resnet18", engine="openvino", api="sync", niter=1, no_warmup=True))
    assert one.model.flops_per_request == FlopsPerRequest(
        macs=1_814_073_344, flops=3_628_146_688, by_op={"Convolution": 1_813_561_344, "MatMul": 512_000}, uncounted=())
    four = app.run(build_config("zoo:resnet18", engine="openvino", api="sync", niter=1, no_warmup=True, batch=4))
    assert four.model.flops_per_request is not None and four.model.flops_per_request.macs == 4 * 1_814_073_344
