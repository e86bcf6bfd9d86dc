"""The HTML report of a sweep on a real engine, opened in headless Chromium: no console error, the figures
are drawn with data, the summary is there. Slow (real measurements, a browser): run with ``-m slow``.

Chromium is driven through its command line only (no extra Python package): ``--dump-dom`` gives the DOM
after rendering, ``--screenshot`` a picture. Console messages are read from its log on stderr
(``--enable-logging=stderr``): this Chromium prints every console message, whatever its level, as
``INFO:CONSOLE(...)`` and uncaught exceptions as ``"Uncaught ..."``. The report has no script, so any console
message at all is a failure; a canary page checks that such messages are really caught.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from infermeter.config.benchmark import build_config
from infermeter.measure import run as app
from infermeter.reporters.html import sweep_html, write_html
from infermeter.results.sweep import Sweep, SweepPoint

pytestmark = [pytest.mark.slow, pytest.mark.onnxruntime]

pytest.importorskip("matplotlib")
pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

NIREQ = (1, 2, 4)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0")


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium; installed with apt-get when missing and we may (root, apt-get present)."""
    found = shutil.which("chromium")
    if found:
        return found
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("headless Chromium is needed (Debian package 'chromium', /usr/bin/chromium) and cannot be "
                    "installed here: not root or no apt-get; run: apt-get install -y chromium")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]):
        done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=1800, check=False)
        if done.returncode != 0:
            pytest.skip(f"installing chromium failed ({' '.join(command)}): {done.stderr.strip()[-300:]}")
    found = shutil.which("chromium")
    if found is None:
        pytest.skip("apt-get installed chromium, but no 'chromium' is on PATH")
    return found


def browse(chromium: str, profile: Path, page: Path, *extra: str) -> tuple[str, str]:
    """Run headless Chromium on a local file: (stdout, stderr)."""
    done = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, done.stderr


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def conv_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """x float32 [batch, 3, 32, 32] -> Conv 3x3 (8 channels) -> Relu -> y."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = np.random.default_rng(0).standard_normal((8, 3, 3, 3)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]), helper.make_node("Relu", ["c"], ["y"])],
        "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 32, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8, 32, 32])],
        [numpy_helper.from_array(weights, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    path = tmp_path_factory.mktemp("browser") / "conv.onnx"
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def sweep_page(conv_model: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Sweep, Path]:
    points = tuple(SweepPoint({"nireq": str(n)}, (app.run(build_config(
        str(conv_model), engine="onnxruntime", nireq=n, time="0.3s", warmup="0.1s")),)) for n in NIREQ)
    sweep = Sweep(str(conv_model), {"nireq": [str(n) for n in NIREQ]}, points)
    assert len(sweep.measured()) == len(NIREQ)
    path = write_html(tmp_path_factory.mktemp("page") / "sweep.html", sweep_html(sweep))
    return sweep, path


def test_console_messages_are_caught(chromium: str, tmp_path: Path) -> None:
    canary = tmp_path / "canary.html"
    canary.write_text('<!DOCTYPE html><title>canary</title><script>console.error("canary-error");'
                      "notDefined();</script>", encoding="utf-8")
    _, log = browse(chromium, tmp_path / "profile", canary, "--dump-dom")
    messages = console_messages(log)
    assert any("canary-error" in line for line in messages), log[-2000:]
    assert any("Uncaught ReferenceError" in line for line in messages), log[-2000:]


def test_sweep_report_renders_without_errors_and_with_data(chromium: str, sweep_page: tuple[Sweep, Path],
                                                           tmp_path: Path) -> None:
    sweep, page = sweep_page
    dom, log = browse(chromium, tmp_path / "profile", page, "--dump-dom")
    assert console_messages(log) == []
    assert "<title>infermeter sweep: " in dom and "conv.onnx" in dom
    best = sweep.best()
    assert best is not None
    assert "Throughput against latency" in dom and "best (throughput)" in dom
    assert sweep.points[best].label in dom and "Pareto frontier" in dom
    figures = re.findall(r"<svg\b.*?</svg>", dom, flags=re.DOTALL)
    assert len(figures) == 2  # the curve and the best point's histogram
    for svg in figures:
        assert 'viewBox="0 0 ' in svg
        segments = [len(re.findall(r"[ML] [-\d.]+ [-\d.]+", d)) for d in re.findall(r'<path d="([^"]*)"', svg)]
        assert max(segments) >= 3, "no path with data"
        assert len(re.findall(r"<use\b", svg)) >= 10  # glyphs and markers
    curve = figures[0]
    assert len(re.findall(r'<use xlink:href="#w-m[0-9a-f]+" x="[-\d.]+" y="[-\d.]+"', curve)) >= len(NIREQ)


def test_sweep_report_screenshot_is_not_blank(chromium: str, sweep_page: tuple[Sweep, Path], tmp_path: Path) -> None:
    _, page = sweep_page
    picture = tmp_path / "sweep.png"
    _, log = browse(chromium, tmp_path / "profile", page, f"--screenshot={picture}", "--window-size=1280,2400")
    assert console_messages(log) == []
    assert picture.stat().st_size > 20_000
    image = pytest.importorskip("PIL.Image")
    with image.open(picture) as shot:
        assert shot.size == (1280, 2400)
        colours = shot.convert("RGB").crop((0, 0, 1280, 1200)).getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # text, cards and a drawn figure, not an empty page
