"""Measurement truth end to end: verdicts and exit codes, stop on precision, sessions in rounds, compare.

Fake-engine numbers are exact (virtual clock); the real-engine cases only check what must hold anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import infermeter
from cli_outcome import Outcome, Run
from infermeter import cli
from infermeter.config.variants import list_values
from infermeter.errors import EXIT_NOT_VALID, EXIT_REGRESSION, EXIT_USAGE
from infermeter.events import NullObserver
from infermeter.runs.files import load_session_or_report

FAKE = ("run", "zoo:resnet18", "-e", "fake")
ERROR = "infermeter: error: "


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def one_error(outcome: Outcome, code: int) -> str:
    assert outcome.code == code, outcome.err
    lines = outcome.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(ERROR), outcome.err
    return lines[0][len(ERROR):]


# --- verdict, findings and --require-valid -----------------------------------------------------------------

def test_a_steady_two_second_run_is_valid_with_no_findings(im: Run, tmp_path: Path) -> None:
    outcome = im(*FAKE, "--fake-latency", "1ms", "-t", "2", "--require-valid", "-x", tmp_path / "r.json")
    assert outcome.code == 0, outcome.err
    data = read(tmp_path / "r.json")
    assert (data["verdict"], data["findings"]) == ("VALID", [])
    assert "Verdict  VALID" in outcome.out


def test_a_short_run_is_insufficient_and_require_valid_exits_3(im: Run, tmp_path: Path) -> None:
    outcome = im(*FAKE, "-niter", "50", "--require-valid", "-x", tmp_path / "r.json")
    assert outcome.code == EXIT_NOT_VALID
    assert outcome.err == ("infermeter: verdict INSUFFICIENT (SHORT_RUN); exit 3 because of --require-valid\n")
    data = read(tmp_path / "r.json")
    assert data["verdict"] == "INSUFFICIENT"
    assert [f["code"] for f in data["findings"]] == ["TOO_FEW_SAMPLES", "SHORT_RUN"]
    assert data["findings"][1]["values"] == {"window_ns": 25_000_000}  # 50 requests, 2 in flight, 1 ms


def test_without_require_valid_an_insufficient_run_exits_0(im: Run) -> None:
    assert im(*FAKE, "-niter", "50", "-q").code == 0


def test_exported_intervals_are_exact_on_a_constant_latency(im: Run, tmp_path: Path) -> None:
    im(*FAKE, "--fake-latency", "2ms", "-api", "sync", "-niter", "1000", "-x", tmp_path / "r.json")
    run = read(tmp_path / "r.json")["run"]
    assert run["latency"]["intervals_ns"]["p50"] == {"estimate": 2e6, "low": 2e6, "high": 2e6}
    assert run["latency"]["intervals_ns"]["p99"] == {"estimate": 2e6, "low": 2e6, "high": 2e6}
    assert run["throughput_interval"] == {"estimate": 500.0, "low": 500.0, "high": 500.0}


def test_interval_printed_as_plus_minus(im: Run) -> None:
    outcome = im(*FAKE, "--fake-latency", "cycle:1ms,3ms", "-api", "sync", "-niter", "400")
    assert "latency median    2.000 ± 1.000" in outcome.out  # CI from order statistics: [1 ms, 3 ms]


# --- stop on precision -------------------------------------------------------------------------------------

def test_precision_stop_lands_on_the_first_checkpoint_after_the_minimum_time(im: Run, tmp_path: Path) -> None:
    # cycle 1,2,3 ms: median CI is exactly [2 ms, 2 ms] as soon as it exists; checkpoints at 16, 32, 48, 64,
    # 80, 100, 125, 156, 195, 243, 303, 378, 472, 590 requests; 590 requests take 1.179 s, the first ≥ 1 s.
    outcome = im(*FAKE, "--fake-latency", "cycle:1ms,2ms,3ms", "-api", "sync", "--rel-precision", "1%",
                 "--no-warmup", "-x", tmp_path / "r.json")
    assert outcome.code == 0, outcome.err
    data = read(tmp_path / "r.json")
    assert data["run"]["count"] == 590
    assert data["run"]["stop_reason"] == "precision target met"
    assert data["config"]["stop"]["rel_precision"] == 0.01
    assert data["config"]["stop"]["precision_metric"] == "median"
    assert data["partial"] is False


def test_precision_on_throughput_by_default_in_async(im: Run, tmp_path: Path) -> None:
    im(*FAKE, "--fake-latency", "1ms", "--rel-precision", "0.5%", "-x", tmp_path / "r.json")
    data = read(tmp_path / "r.json")
    assert data["config"]["stop"]["precision_metric"] == "throughput"
    assert data["run"]["stop_reason"] == "precision target met"
    interval, run = data["run"]["throughput_interval"], data["run"]
    assert interval["estimate"] == run["throughput_items_per_s"] == run["count"] * 1e9 / run["window_ns"]
    assert max(interval["high"] - interval["estimate"], interval["estimate"] - interval["low"]) <= (
        0.005 * interval["estimate"])


def test_precision_missed_is_reported_and_insufficient(im: Run, tmp_path: Path) -> None:
    outcome = im(*FAKE, "--fake-latency", "lognormal:5ms,0.3", "-api", "sync", "--rel-precision", "0.1%",
                 "--max-time", "2", "-x", tmp_path / "r.json", "--require-valid")
    assert outcome.code == EXIT_NOT_VALID
    data = read(tmp_path / "r.json")
    assert data["run"]["stop_reason"] == "max time reached before the precision target"
    assert 2_000_000_000 <= data["run"]["window_ns"] < 2_050_000_000
    missed = [f for f in data["findings"] if f["code"] == "PRECISION_NOT_MET"]
    assert missed and missed[0]["values"]["target"] == 0.001 and missed[0]["values"]["achieved"] > 0.001


@pytest.mark.parametrize(("args", "culprit"), [
    (("--max-time", "5"), "--max-time only applies with --rel-precision"),
    (("--precision-metric", "median"), "--precision-metric only applies with --rel-precision"),
    (("--rel-precision", "5"), "--rel-precision '5' is ambiguous: write it as a percentage, e.g. 5%"),
    (("--rel-precision", "0%"), "--rel-precision '0%' must be between 0% and 100%"),
    (("--rel-precision", "abc"), "--rel-precision 'abc' is not a percentage such as 1% or 0.5%"),
    (("--rel-precision", "1%", "--precision-metric", "p42"), "--precision-metric 'p42' is not one of"),
    (("--rel-precision", "1%", "-t", "10", "--max-time", "5"), "--max-time 5 s is shorter than the minimum"),
    (("--rounds", "0"), "--rounds must be between 1 and 1000, got 0"),
    (("-nireq", "1,,2"), "--nireq '1,,2': empty item in the list"),
])
def test_bad_precision_and_session_options_name_the_flag(im: Run, args: tuple[str, ...], culprit: str) -> None:
    assert culprit in one_error(im(*FAKE, *args), EXIT_USAGE)


def test_precision_stop_works_with_runner_threads(im: Run, add_model: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    outcome = im("run", add_model, "-e", "onnxruntime", "-api", "async", "-nireq", "2", "--rel-precision", "50%",
                 "-t", "0.3", "--max-time", "20", "-w", "0.1", "-x", tmp_path / "r.json")
    assert outcome.code == 0, outcome.err
    run = read(tmp_path / "r.json")["run"]
    assert run["stop_reason"] == "precision target met"
    assert 300_000_000 <= run["window_ns"] < 20_000_000_000


# --- sessions: several configurations in rounds --------------------------------------------------------------

def test_session_of_two_nireq_values_exact_ratio(im: Run, tmp_path: Path) -> None:
    outcome = im(*FAKE, "-nireq", "1,2", "--fake-latency", "1ms", "-t", "1", "--rounds", "3", "-x",
                 tmp_path / "s.json")
    assert outcome.code == 0, outcome.err
    data = read(tmp_path / "s.json")
    assert data["schema"] == "infermeter.session"
    assert data["labels"] == ["nireq=1", "nireq=2"]
    assert len(data["order"]) == 3 and sorted(data["order"][0]) == [0, 1]
    assert [len(reports) for reports in data["reports"]] == [3, 3]
    assert data["reports"][0][0]["run"]["throughput_items_per_s"] == 1000.0
    comparison = data["comparisons"]["throughput"][0]
    assert comparison["label"] == "nireq=2"
    assert comparison["ratio"] == {"estimate": 2.0, "low": 2.0, "high": 2.0}
    assert comparison["verdict"] == "faster"
    assert comparison["method"] == "paired rounds (3)"
    assert "B is 100.0% faster" in outcome.out


def test_identical_configurations_get_letters(im: Run, tmp_path: Path) -> None:
    outcome = im(*FAKE, "-e", "fake,fake", "-t", "1", "-x", tmp_path / "s.json", "-q")
    data = read(tmp_path / "s.json")
    assert data["labels"] == ["A engine=fake", "B engine=fake"]
    assert data["rounds"] == 1  # several configurations take turns in one measurement by default
    assert data["interleaving"]["mode"] == "burst"  # -api async: bursts
    assert "B engine=fake vs A engine=fake: equivalent within ±2.0%" in outcome.out


def test_one_configuration_in_rounds_and_show_of_a_session(im: Run, tmp_path: Path) -> None:
    im(*FAKE, "--rounds", "2", "-t", "1", "-x", tmp_path / "s.json", "-q")
    session = load_session_or_report(tmp_path / "s.json")
    assert (session.labels, session.rounds, [len(r) for r in session.reports]) == (("zoo:resnet18",), 2, [2])
    shown = im("show", tmp_path / "s.json", "-q")
    assert shown.code == 0
    assert shown.out == "zoo:resnet18: throughput (items/s) 2,000.0 ± 0.0 · VALID ×2\n"


def test_multi_device_is_one_device_not_a_list() -> None:
    assert list_values("device", "MULTI:CPU,GPU") == ["MULTI:CPU,GPU"]
    assert list_values("device", "CPU,GPU") == ["CPU", "GPU"]


def test_interrupted_session_keeps_finished_rounds() -> None:
    class StopInRoundTwo(NullObserver):
        def note(self, text: str) -> None:
            if text.startswith("round 2/"):
                raise KeyboardInterrupt

    session = infermeter.compare_configurations("zoo:resnet18", [{"nireq": 1}, {"nireq": 2}], rounds=3,
                                                observer=StopInRoundTwo(), engine="fake", time=1)
    assert session.interrupted and session.partial
    assert [len(reports) for reports in session.reports] == [1, 1]
    assert session.to_dict()["partial"] is True


# --- compare ----------------------------------------------------------------------------------------------

@pytest.fixture
def two_reports(im: Run, tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    """Two saved results on the fake engine: sessions of 3 rounds each, or single runs."""
    def make(latency_a: str, latency_b: str, rounds: str = "3") -> tuple[Path, Path]:
        a, b = tmp_path / "a.json", tmp_path / "b.json"
        im(*FAKE, "--fake-latency", latency_a, "-t", "1", "-q", "--rounds", rounds, "-x", a)
        im(*FAKE, "--fake-latency", latency_b, "-t", "1", "-q", "--rounds", rounds, "-x", b)
        return a, b

    return make


def test_compare_flags_a_regression_with_exit_4(im: Run, two_reports: Callable[..., tuple[Path, Path]]) -> None:
    a, b = two_reports("5ms", "5.5ms")
    outcome = im("compare", a, b)
    assert outcome.code == EXIT_REGRESSION
    assert outcome.err == "infermeter: regression: B is slower than A on throughput beyond ±2.0% (zoo:resnet18)\n"
    assert "0.909× [0.909, 0.909]" in outcome.out
    assert "B is 9.1% slower" in outcome.out
    assert "rounds, Welch (3 vs 3 runs)" in outcome.out


def test_single_runs_are_shown_but_never_decide(im: Run, two_reports: Callable[..., tuple[Path, Path]]) -> None:
    a, b = two_reports("5ms", "5.5ms", rounds="1")
    outcome = im("compare", a, b)
    assert outcome.code == 0
    assert "inconclusive from single runs (B's speed -9.1%, within-run CI -9.1% to -9.1%)" in outcome.out
    assert "each side is a single run" in outcome.out


def test_compare_threshold_and_direction(im: Run, two_reports: Callable[..., tuple[Path, Path]]) -> None:
    a, b = two_reports("5ms", "5.5ms")
    assert im("compare", a, b, "--threshold", "15%").code == 0  # significant, but within the threshold
    assert im("compare", b, a).code == 0  # B faster
    assert "B is 10.0% faster" in im("compare", b, a, "--metric", "median").out


def test_compare_markdown(im: Run, two_reports: Callable[..., tuple[Path, Path]]) -> None:
    a, b = two_reports("5ms", "5ms")
    outcome = im("compare", a, b, "--markdown")
    assert outcome.code == 0
    lines = outcome.out.splitlines()
    assert lines[2] == "| metric | A | B | B/A [95% CI] | verdict |"
    assert lines[4].startswith("| throughput | 400.0 items/s | 400.0 items/s | 1.000× [1.000, 1.000] | "
                               "equivalent within ±2.0%")


def test_compare_sessions_uses_rounds_and_warns_when_machines_differ(im: Run, tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    im(*FAKE, "--rounds", "3", "-t", "1", "-q", "-x", a)
    im(*FAKE, "--rounds", "3", "-t", "1", "-q", "-x", b)
    data = read(b)
    data["reports"][0][0]["environment"]["cpu_model"] = "Some Other CPU"
    b.write_text(json.dumps(data))
    outcome = im("compare", a, b)
    assert outcome.code == 0
    assert "rounds, Welch (3 vs 3 runs)" in outcome.out
    assert "warning: the machines differ: cpu_model:" in outcome.out


@pytest.mark.parametrize(("name", "text", "culprit"), [
    ("missing.json", None, "report file not found"),
    ("bad.json", "{", "is not valid JSON"),
    ("other.json", '{"schema": "x"}', "is not an infermeter report"),
])
def test_compare_bad_files_one_line(im: Run, tmp_path: Path, name: str, text: str | None, culprit: str) -> None:
    good = tmp_path / "good.json"
    im(*FAKE, "-niter", "20", "-q", "-x", good)
    if text is not None:
        (tmp_path / name).write_text(text)
    assert culprit in one_error(im("compare", good, tmp_path / name), EXIT_USAGE)


def test_version_1_reports_still_load_and_get_findings(im: Run, tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    im(*FAKE, "-niter", "50", "-q", "-x", path)
    data = read(path)
    data["schema_version"] = 1
    del data["findings"], data["verdict"], data["run"]["cpu"]
    path.write_text(json.dumps(data))
    report = infermeter.load_report(path)
    assert report.verdict == "INSUFFICIENT"
    assert [f.code for f in report.findings] == ["TOO_FEW_SAMPLES", "SHORT_RUN"]


def test_session_require_valid_prints_one_line(im: Run) -> None:
    outcome = im(*FAKE, "-nireq", "1,2", "-niter", "30", "--rounds", "2", "-q", "--require-valid")
    assert outcome.code == EXIT_NOT_VALID
    assert outcome.err == ("infermeter: 4 of 4 measurements not VALID (SHORT_RUN); exit 3 because of "
                           "--require-valid\n")


def test_session_with_a_failing_request_exits_1_with_one_line(im: Run) -> None:
    outcome = im(*FAKE, "-nireq", "1,2", "-t", "1", "--rounds", "1", "--fake-fail-at", "5", "-q", "--no-warmup")
    assert outcome.code == 1
    assert outcome.err.count("\n") == 1 and outcome.err.startswith("infermeter: error: 2 of 2 measurements had ")


def test_session_stopped_by_a_failing_warm_up_keeps_earlier_rounds(im: Run, tmp_path: Path) -> None:
    # each configuration has its own fake engine: call 300 falls in the warm-up of round 2 (≈ 1000 calls a round)
    outcome = im(*FAKE, "-e", "fake,fake", "-niter", "280", "--rounds", "3", "--fake-fail-at", "300",
                 "-w", "10it", "-q", "-x", tmp_path / "s.json")
    assert outcome.code == 1
    assert outcome.err.startswith("infermeter: error: ") and outcome.err.count("\n") == 1
    assert "round 2: a warm-up request failed" in outcome.err
    data = read(tmp_path / "s.json")
    assert data["partial"] is True and data["error"].endswith("(--fake-fail-at)")
    assert sum(len(reports) for reports in data["reports"]) >= 1


@pytest.mark.parametrize("command", ["run", "compare", "show", "engines", "zoo"])
def test_every_subcommand_help_renders(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: infermeter {command}")


def test_an_interleaved_session_of_two_engines_compares_their_outputs(im: Run, add_model: Path,
                                                                       tmp_path: Path) -> None:
    # as a session in rounds does: the precision each engine computed in, then its outputs against the first's
    pytest.importorskip("onnxruntime")
    pytest.importorskip("openvino")
    outcome = im("run", add_model, "-e", "openvino,onnxruntime", "-api", "sync", "-t", "0.2", "-w", "0.05",
                 "-x", tmp_path / "s.json")
    assert outcome.code == 0, outcome.err
    session = read(tmp_path / "s.json")
    assert session["interleaving"] is not None
    assert any(note.startswith("precision computed in: engine=openvino ") for note in session["notes"])
    assert len(session["agreement"]) == 1 and session["agreement"][0].startswith("outputs: engine=onnxruntime")
    assert session["agreement"][0] in outcome.out + outcome.err
