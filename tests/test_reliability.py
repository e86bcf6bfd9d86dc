"""Failing requests, SIGTERM, saved-report loading, and fuzzing of the option and report parsers."""

from __future__ import annotations

import contextlib
import io
import json
import signal
import subprocess
import sys
import time
from array import array
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import infermeter
from infermeter.cli import build_parser, main
from infermeter.cli.options import run_options
from infermeter.cli.run import model_argument as _model_argument
from infermeter.clock import FakeClock
from infermeter.config.benchmark import build_config
from infermeter.errors import InfermeterError, InputError
from infermeter.reporters.console import render_report
from infermeter.runs.files import load_report
from infermeter.scenarios.loops import ThreadedRun
from infermeter.scenarios.recording import SampleBuffer
from infermeter.scenarios.stop import Stop

MS = 1_000_000


# --- --on-error continue -----------------------------------------------------------------------------


@pytest.mark.parametrize(("api", "nireq"), [("sync", None), ("async", 4)])
def test_continue_counts_the_failed_request_and_keeps_going(api: str, nireq: int | None) -> None:
    report = infermeter.benchmark("zoo:resnet18", engine="fake", fake_latency="5ms", fake_fail_at=30,
                                  on_error="continue", api=api, nireq=nireq, niter=100, no_warmup=True)
    run = report.run
    assert run is not None
    assert (run.errors, run.count, run.partial, report.error) == (1, 99, False, None)
    assert report.to_dict()["run"]["errors"] == 1
    assert set(run.latency_ns.tolist()) == {5 * MS}


def test_stop_is_the_default_and_keeps_what_was_measured() -> None:
    report = infermeter.benchmark("zoo:resnet18", engine="fake", fake_latency="5ms", fake_fail_at=30,
                                  api="sync", niter=100, no_warmup=True)
    run = report.run
    assert run is not None
    assert (run.errors, run.count, run.partial, run.stop_reason) == (0, 28, True, "request failed at call 30")


def test_continue_in_runner_threads() -> None:
    class Flaky:
        def __init__(self) -> None:
            self.calls = 0

        def infer(self) -> None:
            self.calls += 1
            if self.calls % 4 == 0:
                raise RuntimeError("flaky")

    sessions = [Flaky(), Flaky()]
    buffers = [SampleBuffer(8), SampleBuffer(8)]
    errors = array("q", [0, 0])
    run = ThreadedRun(sessions, time.perf_counter_ns, Stop(40, 0), buffers, array("q", [0, 0]), errors)
    run.run(lambda finished: [event.wait() for event in finished])
    assert sum(errors) + sum(b.count for b in buffers) == 40
    assert sum(errors) == sum(s.calls // 4 for s in sessions)


def test_continue_exit_code_and_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "zoo:resnet18", "-e", "fake", "--fake-fail-at", "10", "--on-error", "continue",
                 "-api", "sync", "-niter", "20", "--no-warmup", "-q"])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.strip().splitlines() == [
        "infermeter: error: 1 requests failed and were left out (--on-error continue); 19 measured"]
    assert "errors 1" in captured.out


def test_on_error_rejects_other_values() -> None:
    with pytest.raises(InfermeterError, match="--on-error"):
        build_config("zoo:resnet18", on_error="ignore")


# --- SIGTERM -----------------------------------------------------------------------------------------------


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    launcher = ("import signal, sys; signal.signal(signal.SIGTERM, signal.SIG_DFL); "
                "from infermeter.cli import main; sys.exit(main())")
    return subprocess.Popen([sys.executable, "-c", launcher, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.onnxruntime
def test_sigterm_during_measurement_keeps_partial_results(tmp_path: Path, cli_env: dict[str, str]) -> None:
    pytest.importorskip("onnxruntime")
    out = tmp_path / "term.json"
    process = _start(["run", "zoo:resnet18", "-e", "onnxruntime", "-api", "sync", "-t", "60", "--no-warmup",
                      "-q", "-x", str(out)], cli_env)
    time.sleep(4)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 143, err
    assert "interrupted (SIGTERM)" in err and "Traceback" not in err
    report = json.loads(out.read_text())
    assert report["partial"] is True and report["run"]["stop_reason"] == "interrupted"
    assert report["run"]["count"] > 0


def test_sigterm_before_measurement_is_one_line(cli_env: dict[str, str]) -> None:
    process = _start(["run", "zoo:resnet18", "-e", "fake", "--fake-latency", "1ms", "-w", "10000000it",
                      "-niter", "1"], cli_env)
    time.sleep(2.5)  # the fake engine is deep in a 10-million-iteration warm-up by now
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 143, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("infermeter: error: interrupted"), err


# --- saved reports: show and load ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    report = infermeter.benchmark("zoo:bert-mini", engine="fake", fake_latency="cycle:1ms,2ms,3ms",
                                  api="sync", niter=120, no_warmup=True)
    data: dict[str, Any] = json.loads(json.dumps(report.to_dict()))
    return data


def test_show_renders_a_saved_report(tmp_path: Path, saved_report: dict[str, Any],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(saved_report))
    assert main(["show", str(path), "-q"]) == 0
    assert capsys.readouterr().out.startswith("throughput 500.0 items/s · latency median 2.000 ms")
    loaded = load_report(path)
    assert loaded.run is not None and loaded.run.latency.as_dict() == saved_report["run"]["latency"]


@pytest.mark.parametrize(("text", "reason"), [
    ("", "not valid JSON"),
    ("{", "not valid JSON"),
    ("[1, 2]", "not an infermeter report"),
    ('{"schema": "other"}', "not an infermeter report"),
    ('{"schema": "infermeter.report", "schema_version": 99}', "schema_version 99"),
    ('{"schema": "infermeter.report", "schema_version": 1}', "malformed"),
    ("[" * 100_000, "not valid JSON"),
])
def test_bad_reports_are_input_errors(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError, match=reason):
        load_report(path)


# --- fuzzing ------------------------------------------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FLAGS = ["-m", "-e", "-d", "-api", "-s", "-nireq", "-hint", "-niter", "-t", "-w", "--no-warmup", "-b", "-shape",
         "--dim", "-i", "--seed", "-infer_precision", "-nthreads", "--on-error", "-x", "-q", "--fake-latency",
         "--fake-first-call", "--fake-fail-at", "--bogus", "-no_warmup"]
VALUES = ["0", "-1", "1", "4", "x", "", "1e9", "2.5s", "500ms", "10it", "sync", "async", "latency", "throughput",
          "none", "tput", "fake", "openvino", "onnxruntime", "CPU", "[1,3,224,224]", "a[1,2],b[?]", "input[-1,3]",
          "sequence=128", "batch=2", "=3", "zoo:resnet18", "zoo:nope", "missing.npy", "name:missing.npy",
          "cycle:1ms,2ms", "lognormal:5ms,0.2", "lognormal:1", "stop", "continue", "\x00", "ü[1]", "-"]
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_SETTINGS = settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
argv_lists = st.lists(st.sampled_from(FLAGS + VALUES) | st.text(max_size=12), max_size=12)


def _parse_only(argv: list[str]) -> None:
    """Everything `run` does before loading anything: parse and validate."""
    args = build_parser().parse_args(["run", *argv])
    build_config(_model_argument(args), **run_options(args))


def _check_parse(argv: list[str]) -> None:
    if any(token in ("-h", "--help", "--version") for token in argv):
        return
    with contextlib.suppress(InfermeterError):
        _parse_only(argv)


@SETTINGS
@given(argv_lists)
def test_option_parsing_never_crashes(argv: list[str]) -> None:
    _check_parse(argv)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=4), max_leaves=12)


def _mutate(data: dict[str, Any], path: list[str], value: Any, delete: bool) -> dict[str, Any]:
    copy = json.loads(json.dumps(data))
    node = copy
    for key in path[:-1]:
        if not isinstance(node, dict) or key not in node or not isinstance(node[key], dict):
            return copy
        node = node[key]
    if isinstance(node, dict) and path:
        if delete:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value
    return copy


KEY_PATHS = [["run"], ["run", "samples"], ["run", "samples", "latency_ns"], ["run", "samples", "start_offset_ns"],
             ["run", "batch"], ["run", "requests_in_flight"], ["run", "scenario"], ["engine"], ["engine", "name"],
             ["engine", "requests_in_flight"], ["model"], ["model", "inputs"], ["model", "batch"], ["phases"],
             ["phases", "read_ns"], ["config"], ["config", "scenario"], ["timed"], ["error"], ["schema_version"],
             ["created_utc"], ["tool_version"], ["notes"], ["command"], ["environment"]]


def _check_load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.json"
    path.write_text(text)
    try:
        report = load_report(path)
    except InputError:
        return
    render_report(report, Console(file=io.StringIO(), width=100))
    render_report(report, Console(file=io.StringIO(), width=100), quiet=True)


def _fuzz_report(folder: Path, saved: dict[str, Any], path: list[str], value: Any, delete: bool, cut: int) -> None:
    text = json.dumps(_mutate(saved, path, value, delete))
    _check_load(folder, text)
    _check_load(folder, text[:cut])


report_mutations = (st.sampled_from(KEY_PATHS), json_values, st.booleans(), st.integers(min_value=0, max_value=4000))


@SETTINGS
@given(*report_mutations)
def test_report_loading_never_crashes(tmp_path_factory: pytest.TempPathFactory, saved_report: dict[str, Any],
                                      path: list[str], value: Any, delete: bool, cut: int) -> None:
    _fuzz_report(tmp_path_factory.mktemp("fuzz"), saved_report, path, value, delete, cut)


@pytest.mark.slow
@SLOW_SETTINGS
@given(argv_lists)
def test_option_parsing_never_crashes_long(argv: list[str]) -> None:
    _check_parse(argv)


@pytest.mark.slow
@SLOW_SETTINGS
@given(*report_mutations)
def test_report_loading_never_crashes_long(tmp_path_factory: pytest.TempPathFactory, saved_report: dict[str, Any],
                                           path: list[str], value: Any, delete: bool, cut: int) -> None:
    _fuzz_report(tmp_path_factory.mktemp("fuzz"), saved_report, path, value, delete, cut)


def test_fake_clock_is_what_the_fake_engine_needs() -> None:
    with pytest.raises(InfermeterError, match="virtual clock"):
        infermeter.benchmark("zoo:resnet18", engine="fake", clock=time.perf_counter_ns, niter=1)
    assert infermeter.benchmark("zoo:resnet18", engine="fake", clock=FakeClock(), niter=1, api="sync",
                                no_warmup=True).run is not None


def test_interrupt_while_writing_the_export_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from infermeter.reporters import export

    def interrupted(_fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(export.os, "fsync", interrupted)
    out = tmp_path / "r.json"
    code = main(["run", "zoo:resnet18", "-e", "fake", "-api", "sync", "-niter", "5", "--no-warmup", "-q",
                 "-x", str(out)])
    assert code == 130
    assert list(tmp_path.iterdir()) == []  # neither the report nor its temporary file
    assert capsys.readouterr().err.strip() == "infermeter: error: interrupted"
