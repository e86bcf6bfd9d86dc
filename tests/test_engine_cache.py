"""infermeter engines remembers what it found per engine version (importing OpenVINO alone costs ~0.3 s)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infermeter.cli import main
from infermeter.engines import cache as engine_cache


@pytest.fixture()
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path


def test_round_trip_keyed_by_installed_version(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_cache, "installed_version", lambda name: "1.2.3")
    engine_cache.remember("onnxruntime", "1.2.3", ("CPUExecutionProvider",), "ok")
    assert engine_cache.cached_info("onnxruntime") == {"package_version": "1.2.3", "version": "1.2.3",
                                                       "devices": ["CPUExecutionProvider"], "detail": "ok"}
    monkeypatch.setattr(engine_cache, "installed_version", lambda name: "1.2.4")  # upgraded: look again
    assert engine_cache.cached_info("onnxruntime") is None


def test_damaged_or_missing_cache_is_a_miss(cache_home: Path) -> None:
    assert engine_cache.cached_info("openvino") is None
    engine_cache.cache_path().parent.mkdir(parents=True)
    engine_cache.cache_path().write_text("[1, 2")
    assert engine_cache.cached_info("openvino") is None
    assert engine_cache.cached_info("fake") is None


def test_engines_command_uses_and_refreshes_the_cache(cache_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("onnxruntime")
    assert main(["engines"]) == 0
    first = capsys.readouterr().out
    assert "CPUExecutionProvider" in first and "as found before" not in first
    stored = json.loads(engine_cache.cache_path().read_text())
    assert "CPUExecutionProvider" in stored["onnxruntime"]["devices"]
    assert main(["engines"]) == 0
    assert "as found before" in capsys.readouterr().out
    assert main(["engines", "--refresh"]) == 0
    assert "as found before" not in capsys.readouterr().out
