"""End-to-end command line: ``python -m infermeter`` in a subprocess, and ``infermeter.cli.main`` in-process.

Exact numbers come from the fake engine (virtual clock). The Ctrl-C tests drive a real onnxruntime run
through a pseudo-terminal, so they know when the run is loading or measuring instead of sleeping blindly.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infermeter import cli
from infermeter.engines import fake as fake_engine
from infermeter.results.report import Report

# Runs ``python -m infermeter`` with SIGINT raising KeyboardInterrupt even when the test runner was started as
# a background job of a non-interactive shell (which makes children inherit SIGINT as ignored).
LAUNCHER = ("import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "runpy.run_module('infermeter', run_name='__main__', alter_sys=True)")
ERROR_PREFIX = "infermeter: error: "
FIVE_MS = 5_000_000


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.out)
        return data


Invoke = Callable[..., Result]


@pytest.fixture
def subprocess_cli(cli_env: dict[str, str]) -> Invoke:
    def invoke(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> Result:
        done = subprocess.run([sys.executable, "-m", "infermeter", *map(str, args)], capture_output=True,
                              text=True, env=env or cli_env, cwd=cwd, timeout=60, check=False)
        return Result(done.returncode, done.stdout, done.stderr)

    return invoke


@pytest.fixture
def inprocess_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.delenv("COLUMNS", raising=False)

    def invoke(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> Result:
        if env:
            for name, value in env.items():
                monkeypatch.setenv(name, value)
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = cli.main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture(params=["subprocess", "inprocess"])
def infermeter_cli(request: pytest.FixtureRequest) -> Invoke:
    """The command line, run both ways."""
    invoke: Invoke = request.getfixturevalue(f"{request.param}_cli")
    return invoke


def assert_one_error_line(result: Result, code: int) -> str:
    assert result.code == code, result.err
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 1, result.err
    line = result.err_lines[0]
    assert line.startswith(ERROR_PREFIX)
    return line[len(ERROR_PREFIX):]


# --- results: exact numbers from the fake engine ---------------------------------------------------------

SYNC_5MS = ("run", "zoo:resnet18", "--engine", "fake", "--fake-latency", "5ms", "-api", "sync", "-niter", "100")


def test_json_on_stdout_is_pure_json(infermeter_cli: Invoke) -> None:
    result = infermeter_cli(*SYNC_5MS, "-x", "-")
    assert result.code == 0, result.err
    data = result.json()  # the whole of stdout parses: nothing else was printed there
    assert data["schema"] == "infermeter.report"
    assert data["schema_version"] == 4
    assert data["partial"] is False and data["error"] is None
    assert data["command"] == ["infermeter", *SYNC_5MS, "-x", "-"]
    run = data["run"]
    assert run["scenario"] == "latency" and run["requests_in_flight"] == 1
    assert run["count"] == 100 and run["items"] == 100 and run["window_ns"] == 100 * FIVE_MS
    assert run["stop_reason"] == "stop rule met" and run["partial"] is False
    percentiles = run["latency"]["percentiles_ns"]
    assert percentiles["p50"] == percentiles["p90"] == percentiles["p95"] == percentiles["p99"] == 5_000_000.0
    assert run["latency"]["median_ns"] == run["latency"]["mean_ns"] == 5_000_000.0
    assert run["latency"]["std_ns"] == 0.0
    assert run["throughput_items_per_s"] == 200.0
    assert run["requests_per_s"] == 200.0
    latencies = run["samples"]["latency_ns"]
    assert len(latencies) == 100 and all(type(v) is int and v == FIVE_MS for v in latencies)
    assert run["samples"]["start_offset_ns"] == [i * FIVE_MS for i in range(100)]
    assert data["engine"]["name"] == "fake"
    assert data["model"]["inputs"][0]["shape"] == [1, 3, 224, 224]
    assert data["phases"]["first_inference_ns"] == FIVE_MS
    # The human report went to stderr, so stdout stays machine-readable.
    lines = [line.rstrip() for line in result.err.splitlines()]
    assert lines[0] == "model     zoo:resnet18 (onnx (zoo))"
    results = lines.index("Results")
    assert lines[results + 1:results + 3] == ["  requests                    100    100 items (batch 1) in 500.0 ms",
                                              "  throughput          200.0 ± 0.0    items/s"]
    assert Report.from_dict(data).run is not None


def test_async_throughput_is_exact(infermeter_cli: Invoke) -> None:
    result = infermeter_cli("run", "zoo:resnet18", "--engine", "fake", "--fake-latency", "10ms", "-api", "async",
                            "-nireq", "4", "-niter", "100", "-x", "-")
    assert result.code == 0, result.err
    run = result.json()["run"]
    assert run["throughput_items_per_s"] == 400.0
    assert run["count"] == 100 and run["requests_in_flight"] == 4
    assert run["window_ns"] == 25 * 10_000_000
    assert set(run["samples"]["latency_ns"]) == {10_000_000}
    assert result.json()["engine"]["requests_in_flight"] == 4


def test_batch_multiplies_throughput(infermeter_cli: Invoke) -> None:
    result = infermeter_cli(*SYNC_5MS, "-b", "4", "-x", "-")
    assert result.code == 0, result.err
    data = result.json()
    assert data["run"]["items"] == 400 and data["run"]["throughput_items_per_s"] == 800.0
    assert data["model"]["inputs"][0]["shape"] == [4, 3, 224, 224]


def test_model_from_file_with_flags(infermeter_cli: Invoke, multi_io_model: Path) -> None:
    result = infermeter_cli("run", "-m", multi_io_model, "-e", "fake", "--dim", "sequence=16", "-b", "2",
                            "-niter", "3", "--no-warmup", "-x", "-")
    assert result.code == 0, result.err
    inputs = result.json()["model"]["inputs"]
    assert [(i["name"], i["shape"]) for i in inputs] == [("input_ids", [2, 16]), ("attention_mask", [2, 16])]


def test_input_file_fixes_the_shape(infermeter_cli: Invoke, add_model: Path, tmp_path: Path) -> None:
    import numpy as np

    np.save(tmp_path / "y.npy", np.ones((2, 8), dtype=np.float32))
    result = infermeter_cli("run", add_model, "-e", "fake", "-i", "x:y.npy", "-niter", "2", "-x", "-", cwd=tmp_path)
    assert result.code == 0, result.err
    assert result.json()["model"]["inputs"][0]["shape"] == [2, 8]


def test_model_after_input_files_is_not_swallowed(infermeter_cli: Invoke, add_model: Path, tmp_path: Path) -> None:
    import numpy as np

    np.save(tmp_path / "x.npy", np.ones((1, 8), dtype=np.float32))
    result = infermeter_cli("run", "-e", "fake", "-niter", "2", "-i", "x.npy", add_model, "-x", "-", cwd=tmp_path)
    assert result.code == 0, result.err  # -i takes several values: the trailing model is given back, not read as data
    data = result.json()
    assert data["model"]["ref"] == str(add_model)
    assert [(i["name"], i["shape"], i["fill"]) for i in data["model"]["inputs"]] == [("x", [1, 8], "file x.npy")]


def test_export_file_is_written_atomically(infermeter_cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    out.mkdir()
    target = out / "report.json"
    target.write_text("old contents")
    result = infermeter_cli(*SYNC_5MS, "-x", target)
    assert result.code == 0, result.err
    assert os.listdir(out) == ["report.json"]  # replaced in place, no temp file left behind
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["run"]["throughput_items_per_s"] == 200.0
    # The console report goes to stdout when the JSON goes to a file.
    lines = [line.rstrip() for line in result.out.splitlines()]
    assert lines[lines.index("Results") + 2] == "  throughput          200.0 ± 0.0    items/s"
    assert sum(line.startswith("What was timed: latency = one blocking infer call") for line in lines) == 1
    assert result.err == ""


def test_export_relative_path(infermeter_cli: Invoke, tmp_path: Path) -> None:
    result = infermeter_cli(*SYNC_5MS, "-q", "-x", "out.json", cwd=tmp_path)
    assert result.code == 0, result.err
    assert sorted(os.listdir(tmp_path)) == ["out.json"]
    assert json.loads((tmp_path / "out.json").read_text())["run"]["count"] == 100


def test_quiet_prints_one_summary_line(infermeter_cli: Invoke) -> None:
    result = infermeter_cli(*SYNC_5MS, "-q", env={"COLUMNS": "200"})
    assert result.code == 0, result.err
    assert result.out == ("throughput 200.0 items/s · latency median 5.000 ms · p99 5.000 ms · 100 requests · "
                          "INSUFFICIENT (SHORT_RUN)\n")
    assert result.err == ""


def test_quiet_line_is_not_wrapped_at_80_columns(infermeter_cli: Invoke) -> None:
    result = infermeter_cli("run", "zoo:resnet18", "--engine", "fake", "-api", "sync", "-niter", "100", "-q")
    assert result.code == 0, result.err
    assert len(result.out.splitlines()) == 1, result.out


def test_quiet_with_json_on_stdout(infermeter_cli: Invoke) -> None:
    result = infermeter_cli(*SYNC_5MS, "-q", "-x", "-")
    assert result.code == 0, result.err
    assert result.json()["run"]["count"] == 100
    assert result.err == ("throughput 200.0 items/s · latency median 5.000 ms · p99 5.000 ms · 100 requests · "
                          "INSUFFICIENT (SHORT_RUN)\n")


# --- errors: one line on stderr, the right exit code -----------------------------------------------------


@dataclass(frozen=True)
class ErrorCase:
    args: tuple[str, ...]
    code: int
    message: str  # regular expression searched in the error line
    header: bool = False  # the failure comes after the first inference: the header was printed already


ERROR_CASES = {
    "unknown-flag": ErrorCase(("run", "zoo:resnet18", "-e", "fake", "--bogus"), 2, "unrecognized arguments: --bogus"),
    "unknown-command": ErrorCase(("bogus",), 2, "invalid choice: 'bogus'"),
    "no-model": ErrorCase(("run", "-e", "fake"), 2, "no model given"),
    "two-models": ErrorCase(("run", "zoo:resnet18", "-m", "zoo:bert-mini"), 2, "two models given"),
    "missing-model": ErrorCase(("run", "{tmp}/missing.onnx", "-e", "fake"), 2, "model file not found: .*missing.onnx"),
    "unknown-zoo-model": ErrorCase(("run", "zoo:nope", "-e", "fake"), 2, "unknown zoo model 'nope'"),
    "batch-0": ErrorCase(("run", "{add}", "-e", "fake", "-b", "0"), 2, "-b/--batch must be 1 or more, got 0"),
    "niter-negative": ErrorCase(("run", "{add}", "-e", "fake", "-niter", "-1"), 2, "-niter must be 0 or more"),
    "bad-api": ErrorCase(("run", "{add}", "-e", "fake", "-api", "sideways"), 2, "-api 'sideways'"),
    "unknown-engine": ErrorCase(("run", "{add}", "-e", "bogus"), 2, "-e/--engine 'bogus' is not one of"),
    "unknown-shape-input": ErrorCase(("run", "{add}", "-e", "fake", "-shape", "nope[1,8]"), 2,
                                     "-shape names input 'nope'"),
    "unresolved-dim": ErrorCase(("run", "{multi}", "-e", "fake"), 2,
                                r"input 'input_ids' dim 1 \('sequence'\) is dynamic: pass --dim sequence="),
    "export-missing-folder": ErrorCase(("run", "{add}", "-e", "fake", "-x", "{tmp}/nowhere/out.json"), 2,
                                       "folder .*nowhere does not exist"),
    "export-is-folder": ErrorCase(("run", "{add}", "-e", "fake", "-x", "{tmp}"), 2, "is a folder"),
    "fake-flag-on-real-engine": ErrorCase(("run", "{add}", "-e", "onnxruntime", "--fake-fail-at", "3"), 2,
                                          "apply to --engine fake only"),
    "missing-input-file": ErrorCase(("run", "{add}", "-e", "fake", "-i", "x:{tmp}/none.npy"), 2,
                                    "file not found"),
    "first-inference-fails": ErrorCase(("run", "zoo:resnet18", "-e", "fake", "--fake-fail-at", "1"), 1,
                                       "the first inference failed: .*call 1"),
    "warm-up-fails": ErrorCase(("run", "zoo:resnet18", "-e", "fake", "--fake-fail-at", "3", "-w", "5it"), 1,
                               "a warm-up request failed", header=True),
}


@pytest.mark.parametrize("case", ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_error_is_one_line(infermeter_cli: Invoke, case: ErrorCase, tmp_path: Path, add_model: Path,
                           multi_io_model: Path) -> None:
    args = [a.format(tmp=tmp_path, add=add_model, multi=multi_io_model) for a in case.args]
    result = infermeter_cli(*args, cwd=tmp_path)
    message = assert_one_error_line(result, case.code)
    assert re.search(case.message, message), message
    if case.header:  # what was loaded, as printed when the first inference was done; nothing after it
        assert result.out.startswith("model     zoo:resnet18"), result.out
        assert result.out.rstrip().splitlines()[-1].startswith("phases "), result.out
    else:
        assert result.out == ""
    assert os.listdir(tmp_path) == []  # nothing written


def test_debug_shows_the_traceback(infermeter_cli: Invoke) -> None:
    result = infermeter_cli("run", "zoo:resnet18", "-e", "fake", "--fake-fail-at", "1", "--debug")
    assert result.code == 1
    assert "Traceback (most recent call last)" in result.err
    assert "EngineError" in result.err
    assert result.err_lines[-1].startswith(ERROR_PREFIX + "the first inference failed")


def test_debug_on_a_usage_error(infermeter_cli: Invoke) -> None:
    result = infermeter_cli("run", "zoo:resnet18", "-e", "fake", "-b", "0", "--debug")
    assert result.code == 2
    assert "Traceback" in result.err and "UsageError" in result.err
    assert result.err_lines[-1] == ERROR_PREFIX + "-b/--batch must be 1 or more, got 0"


def test_internal_error_is_one_line(inprocess_cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Any, options: Any) -> Any:
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr(fake_engine.FakeModel, "compile", broken)
    result = inprocess_cli("run", "zoo:resnet18", "-e", "fake", "-niter", "1")
    message = assert_one_error_line(result, 1)
    assert message == "internal error: ZeroDivisionError: division by zero (run with --debug for the traceback)"


def test_request_failure_during_measurement_keeps_the_partial_report(infermeter_cli: Invoke,
                                                                     tmp_path: Path) -> None:
    """Calls are counted from 1 across the run, and call 1 is the (untimed) first inference: with no
    warm-up, calls 2..49 are measured and call 50 fails, so 48 samples are kept."""
    target = tmp_path / "partial.json"
    result = infermeter_cli("run", "zoo:resnet18", "-e", "fake", "--fake-fail-at", "50", "-niter", "100",
                            "-api", "sync", "--no-warmup", "-x", target)
    assert result.code == 1
    assert "Traceback" not in result.err
    data = json.loads(target.read_text())
    assert data["partial"] is True
    assert data["run"]["partial"] is True
    assert data["run"]["stop_reason"] == "request failed at call 50"
    assert data["run"]["count"] == 48
    assert len(data["run"]["samples"]["latency_ns"]) == 48
    assert "--fake-fail-at" in data["error"]
    lines = [line.rstrip() for line in result.out.splitlines()]
    assert "Results — PARTIAL (request failed at call 50)" in lines
    assert lines[-1] == "error: fake engine: request failed at call 50 (--fake-fail-at)"
    assert result.err_lines == [ERROR_PREFIX + "fake engine: request failed at call 50 (--fake-fail-at) (48 requests "
                                "measured before it, reported as partial)"]
    assert os.listdir(tmp_path) == ["partial.json"]


def test_request_failure_with_warmup_iterations(infermeter_cli: Invoke) -> None:
    """First inference = call 1, warm-up = calls 2..4, so failing call 10 leaves 5 measured samples."""
    result = infermeter_cli("run", "zoo:resnet18", "-e", "fake", "--fake-fail-at", "10", "-niter", "100",
                            "-api", "sync", "-w", "3it", "-x", "-")
    assert result.code == 1
    data = result.json()
    assert data["partial"] is True and data["run"]["count"] == 5


def test_async_request_failure(infermeter_cli: Invoke) -> None:
    """Call 1 is the first inference; calls 2..19 complete before call 20 fails, and the three requests still in
    flight when the failure is seen (calls 21..23) complete and are kept: 18 + 3 samples."""
    result = infermeter_cli("run", "zoo:resnet18", "-e", "fake", "--fake-fail-at", "20", "-niter", "100",
                            "-api", "async", "-nireq", "4", "--no-warmup", "-x", "-")
    assert result.code == 1
    data = result.json()
    assert data["partial"] is True
    assert data["run"]["stop_reason"] == "request failed at call 20"
    assert data["run"]["count"] == 21


# --- Ctrl-C ----------------------------------------------------------------------------------------------


class _Interrupt(Exception):
    pass


@pytest.mark.parametrize("where", ["read", "compile", "first inference", "warm-up"])
def test_ctrl_c_while_loading_in_process(inprocess_cli: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         where: str) -> None:
    def interrupt(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    if where == "read":
        monkeypatch.setattr(fake_engine.FakeEngine, "read", interrupt)
    elif where == "compile":
        monkeypatch.setattr(fake_engine.FakeModel, "compile", interrupt)
    else:
        original = fake_engine.FakeSession.infer
        last_call = 0 if where == "first inference" else 3  # calls made before this one

        def infer(self: Any) -> None:
            if self._counter.calls == last_call:
                raise KeyboardInterrupt
            original(self)

        monkeypatch.setattr(fake_engine.FakeSession, "infer", infer)
    target = tmp_path / "out.json"
    result = inprocess_cli("run", "zoo:resnet18", "-e", "fake", "-api", "sync", "-w", "5it", "-x", target)
    message = assert_one_error_line(result, 130)
    phase = "the first inference" if where == "first inference" else where
    assert message == f"interrupted during {phase}; nothing was measured"
    assert not target.exists()
    if where == "warm-up":  # after the first inference: the header is out, and nothing else
        assert result.out.rstrip().splitlines()[-1].startswith("phases "), result.out
    else:
        assert result.out == ""


def test_ctrl_c_while_the_header_prints(inprocess_cli: Invoke, monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    from infermeter.reporters import live

    def interrupt(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(live.ConsoleObserver, "ready", interrupt)
    target = tmp_path / "out.json"
    result = inprocess_cli("run", "zoo:resnet18", "-e", "fake", "-api", "sync", "-niter", "5", "-x", target)
    assert assert_one_error_line(result, 130) == "interrupted after the first inference; nothing was measured"
    assert not target.exists()


@pytest.mark.parametrize(("raised", "code", "message"), [
    (KeyboardInterrupt, 130, "interrupted during read; nothing was measured"),
    (ValueError, 2, "cannot be parsed as ONNX"),
], ids=["ctrl-c", "value-error"])
def test_ctrl_c_while_parsing_the_model(inprocess_cli: Invoke, monkeypatch: pytest.MonkeyPatch, add_model: Path,
                                        raised: type[BaseException], code: int, message: str) -> None:
    from infermeter.model import onnx_graph

    def interrupt(*args: Any, **kwargs: Any) -> Any:
        raise raised

    monkeypatch.setattr(onnx_graph, "_node", interrupt)
    assert message in assert_one_error_line(inprocess_cli("run", add_model, "-e", "fake", "-niter", "1"), code)


def test_ctrl_c_while_measuring_in_process(inprocess_cli: Invoke, monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    original = fake_engine.FakeSession.infer

    def infer(self: Any) -> None:
        if self._counter.calls == 10:  # call 1 = first inference, calls 2..10 measured
            raise KeyboardInterrupt
        original(self)

    monkeypatch.setattr(fake_engine.FakeSession, "infer", infer)
    target = tmp_path / "out.json"
    result = inprocess_cli("run", "zoo:resnet18", "-e", "fake", "-api", "sync", "--no-warmup", "-t", "60",
                           "-x", target)
    assert result.code == 130
    assert "Traceback" not in result.err
    data = json.loads(target.read_text())
    assert data["partial"] is True and data["run"]["stop_reason"] == "interrupted"
    assert data["run"]["count"] == 9
    assert "Results — PARTIAL (interrupted)" in [line.rstrip() for line in result.out.splitlines()]


def test_ctrl_c_before_anything_loads(inprocess_cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("infermeter.measure.run.create_engine", interrupt)
    message = assert_one_error_line(inprocess_cli("run", "zoo:resnet18", "-e", "fake"), 130)
    assert message == "interrupted"


class TerminalRun:
    """``python -m infermeter ARGS`` with stdout on a pseudo-terminal, so the live status line shows the phase."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        import pty

        master, slave = pty.openpty()
        env = {**env, "TERM": "xterm", "COLUMNS": "120"}
        self.process = subprocess.Popen([sys.executable, "-c", LAUNCHER, *args], stdin=subprocess.DEVNULL,
                                        stdout=slave, stderr=subprocess.PIPE, env=env)
        os.close(slave)
        self._master = master
        self._screen = bytearray()
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 4096)
            except OSError:  # EIO once the child closed the terminal
                chunk = b""
            with self._changed:
                if not chunk:
                    self._screen += b"\0EOF"
                    self._changed.notify_all()
                    return
                self._screen += chunk
                self._changed.notify_all()

    @property
    def screen(self) -> str:
        return self._screen.decode("utf-8", "replace")

    def wait_for(self, pattern: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not re.search(pattern, self.screen):
                left = deadline - time.monotonic()
                if left <= 0 or "\0EOF" in self.screen:
                    return False
                self._changed.wait(left)
        return True

    def interrupt(self, timeout: float = 5.0) -> tuple[int, str, float]:
        began = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        try:
            _, err = self.process.communicate(timeout=timeout)
        finally:
            self.close()
        return self.process.returncode, err.decode("utf-8", "replace"), time.monotonic() - began

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        self._reader.join(timeout=5)
        os.close(self._master)


@pytest.fixture
def onnxruntime_resnet18(built_resnet18: Path) -> Path:
    pytest.importorskip("onnxruntime")
    if os.name != "posix":
        pytest.skip("needs a pseudo-terminal")
    return built_resnet18


@pytest.mark.parametrize("api", ["sync", "async"])
def test_ctrl_c_while_measuring(onnxruntime_resnet18: Path, cli_env: dict[str, str], tmp_path: Path,
                                api: str) -> None:
    target = tmp_path / "out.json"
    run = TerminalRun(["run", "zoo:resnet18", "--engine", "onnxruntime", "-t", "30", "-api", api,
                       "--no-warmup", "-x", str(target)], cli_env)
    try:
        assert run.wait_for(r"measuring: .* [1-9][0-9,]* requests", timeout=30), run.screen
    except BaseException:
        run.close()
        raise
    code, err, took = run.interrupt()
    assert code == 130, err
    assert took < 5
    assert "Traceback" not in err
    data = json.loads(target.read_text())
    assert data["partial"] is True
    assert data["run"]["stop_reason"] == "interrupted" and data["run"]["partial"] is True
    assert data["run"]["scenario"] == ("latency" if api == "sync" else "throughput")
    assert data["run"]["count"] > 0
    assert len(data["run"]["samples"]["latency_ns"]) == data["run"]["count"]
    assert "PARTIAL (interrupted)" in run.screen
    assert sorted(os.listdir(tmp_path)) == ["out.json"]


def test_ctrl_c_while_loading(onnxruntime_resnet18: Path, cli_env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    run = TerminalRun(["run", "zoo:resnet18", "--engine", "onnxruntime", "-t", "30", "-api", "sync",
                       "--no-warmup", "-x", str(target)], cli_env)
    try:
        # Signal at the start of "compiling" (onnxruntime needs ~0.2 s to build the resnet18 session): the read
        # phase is covered deterministically by test_ctrl_c_while_parsing_the_model.
        seen = run.wait_for(r"compiling", timeout=30)
    except BaseException:
        run.close()
        raise
    if not seen:
        run.close()
        pytest.fail(f"no loading phase was shown: {run.screen!r}")
    code, err, took = run.interrupt()
    if "measuring" in run.screen or target.exists():
        pytest.skip("the run got past loading before the signal arrived")
    assert code == 130, err
    assert took < 5
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert re.fullmatch(r"infermeter: error: interrupted during (read|inputs|reshape|compile|the first inference)"
                        r"; nothing was measured\n", err), err
    assert not target.exists()


RUNNER_THREADS_SCRIPT = """
import os, signal, threading, time
from array import array
signal.signal(signal.SIGINT, signal.default_int_handler)
from infermeter.scenarios.loops import ThreadedRun
from infermeter.scenarios.stop import Stop
from infermeter.scenarios.recording import SampleBuffer
from infermeter.scenarios.drivers import join_interruptibly

release = threading.Event()

class Blocking:  # an engine request that takes 1.5 s, outside the GIL like a real engine
    def infer(self):
        release.wait(10)

threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
threading.Timer(1.5, release.set).start()
run = ThreadedRun([Blocking()], time.perf_counter_ns, Stop(0, 60 * 10**9), [SampleBuffer()], array("q", [0]))
try:
    run.run(join_interruptibly)
except KeyboardInterrupt:
    pass
print(sorted(t.name for t in threading.enumerate() if t.name.startswith("infermeter-request")))
"""


def test_ctrl_c_waits_for_the_request_threads(cli_env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-c", RUNNER_THREADS_SCRIPT], capture_output=True, text=True,
                          env=cli_env, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# --- other commands --------------------------------------------------------------------------------------


def test_engines_command(infermeter_cli: Invoke) -> None:
    result = infermeter_cli("engines")
    assert result.code == 0, result.err
    for name in ("openvino", "onnxruntime", "fake"):
        assert name in result.out
    assert "deterministic" in result.out


def test_zoo_command(infermeter_cli: Invoke) -> None:
    result = infermeter_cli("zoo", env={"COLUMNS": "200"})
    assert result.code == 0, result.err
    for name in ("zoo:bert-mini", "zoo:mobilenet-v2-small", "zoo:resnet18"):
        assert name in result.out
    assert "input float32[batch,3,224,224]" in result.out


def test_engines_command_names_the_missing_extra(inprocess_cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    from infermeter import engines

    monkeypatch.setattr(engines, "is_installed", lambda name: name == "fake")
    result = inprocess_cli("engines", env={"COLUMNS": "200"})
    assert result.code == 0, result.err
    assert "pip install 'infermeter[openvino]'" in result.out
    assert "pip install 'infermeter[onnxruntime]'" in result.out


def test_run_without_any_engine_installed(inprocess_cli: Invoke, monkeypatch: pytest.MonkeyPatch,
                                          add_model: Path) -> None:
    from infermeter import engines

    monkeypatch.setattr(engines, "is_installed", lambda name: name == "fake")
    message = assert_one_error_line(inprocess_cli("run", add_model, "-niter", "1"), 2)
    assert message.startswith("no inference engine is installed: pip install 'infermeter[openvino]'")


def test_no_command_prints_help(infermeter_cli: Invoke) -> None:
    result = infermeter_cli()
    assert result.code == 0
    assert "usage: infermeter" in result.out and "engines" in result.out


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["--version"]], ids=["help", "run-help", "version"])
def test_help_and_version(subprocess_cli: Invoke, args: list[str]) -> None:
    began = time.monotonic()
    result = subprocess_cli(*args)
    assert result.code == 0, result.err
    assert time.monotonic() - began < 10
    assert result.err == ""
    if args == ["--version"]:
        assert re.fullmatch(r"infermeter \d+\.\d+\.\d+\S*\n", result.out)
    else:
        assert result.out.startswith("usage: infermeter")
    if args == ["run", "--help"]:
        for flag in ("-niter", "-nireq", "-api", "-shape", "--dim", "--export-json", "--fake-latency"):
            assert flag in result.out


def test_help_in_process_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["--help"])
    assert caught.value.code == 0
    assert "usage: infermeter" in capsys.readouterr().out


def test_help_does_not_import_engines(cli_env: dict[str, str]) -> None:
    code = ("import sys; from infermeter import cli; cli.build_parser().format_help(); "
            "heavy = [m for m in ('openvino', 'onnxruntime', 'onnx') if m in sys.modules]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env, timeout=30,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_help_imports_no_numpy_and_no_engine() -> None:
    """`infermeter --help` and `run --help` stay fast: nothing heavy is imported for them."""
    script = ("import sys, contextlib, io\n"
              "from infermeter.cli import main\n"
              "for argv in (['--help'], ['run', '--help']):\n"
              "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
              "        main(argv)\n"
              "print(sorted(m for m in ('numpy', 'rich', 'openvino', 'onnxruntime', 'onnx') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
