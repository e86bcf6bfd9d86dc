"""``infermeter suite``: the suite file and its errors, geometric means with CIs (known answers), the fresh-process
points (a failing point leaves the others, Ctrl-C keeps what finished), exports, ``show`` and ``compare`` of two
suites (exit 4 naming the regressed models). Points run in-process here (same numbers as a subprocess), except
the few tests that check the real subprocess path."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from infermeter import cli
from infermeter.config.suite import parse_suite, read_suite
from infermeter.errors import InputError, UsageError
from infermeter.results.suite import SINGLE_RUNS, Suite, SuitePoint, SuiteRun
from infermeter.runs import sweep as sweep_runner
from infermeter.runs.points import Outcome
from infermeter.stats import geomean
from infermeter.stats.intervals import t_quantile_975
from test_sweep import inprocess_runner, make_report

SUITE = """\
[suite]
name = "demo"
rounds = 2

[[model]]
name = "fast"
path = "zoo:resnet18"
options = ["--fake-latency", "1ms"]

[[model]]
name = "slow"
path = "zoo:resnet18"
options = ["--fake-latency", "4ms"]

[[config]]
name = "sync"
options = ["-e", "fake", "-api", "sync", "-niter", "40", "--no-warmup"]

[[config]]
name = "async"
options = ["-e", "fake", "-api", "async", "-nireq", "2", "-niter", "40", "--no-warmup"]
"""


@pytest.fixture
def suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "suite.toml"
    path.write_text(SUITE, encoding="utf-8")
    return path


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        zoo_cache: Path) -> Callable[..., tuple[int, str, str]]:
    """``cli.main(args)`` with each point run in-process (or by ``runner``)."""

    def invoke(*args: str, runner: Callable[[list[str], float | None], Outcome] | None = None
               ) -> tuple[int, str, str]:
        monkeypatch.setattr(sweep_runner, "run_point_subprocess", runner or inprocess_runner(tmp_path / "points"))
        code = cli.main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


# --- the file -------------------------------------------------------------------------------------------------


def test_the_issue_form_parses(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models/cnn.onnx").write_bytes(b"")
    text = ('[[model]]\nname = "cnn"\npath = "models/cnn.onnx"\noptions = ["-shape", "[1,3,224,224]"]\n\n'
            '[[config]]\nname = "ort"\noptions = ["-e", "onnxruntime", "-api", "sync", "-t", "5"]\n')
    suite = parse_suite(text, tmp_path / "s.toml")
    assert [(m.name, m.ref, m.options) for m in suite.models] == [
        ("cnn", str(tmp_path / "models/cnn.onnx"), ("-shape", "[1,3,224,224]"))]
    assert [(c.name, c.options) for c in suite.configs] == [("ort", ("-e", "onnxruntime", "-api", "sync", "-t", "5"))]
    assert (suite.name, suite.rounds, suite.seed) == ("s", 1, 0)


@pytest.mark.parametrize(("text", "message"), [
    ('[[model]]\nname = "a"\npath = = "x"\n', r"s\.toml:3:8: invalid TOML: "),
    ('[[model]]\nname = "a"\npath = "zoo:resnet18"\noptoins = []\n',
     r"s\.toml:4: unknown key 'optoins' in \[\[model\]\] #1; did you mean 'options'\?"),
    ('[sute]\nname = "x"\n', r"s\.toml:1: unknown key 'sute' in the top level; did you mean 'suite'\?"),
    ('[suite]\nround = 2\n[[model]]\nname = "a"\npath = "zoo:r"\n',
     r"s\.toml:2: unknown key 'round' in \[suite\]; did you mean 'rounds'\?"),
    ('[[model]]\nname = "a"\npath = "zoo:r"\n[[model]]\nname = "b"\npath = "zoo:r"\n[[model]]\nname = "a"\n'
     'path = "zoo:r"\n', r"s\.toml:8: two \[\[model\]\] tables are named 'a'"),
    ('[[model]]\nname = "a"\npath = "zoo:r"\noptions = "-b 2"\n', r"options must be a list of strings"),
    ('[[model]]\npath = "zoo:r"\n', r"\[\[model\]\] #1: name must be text"),
    ('[[model]]\nname = "a"\n', r"\[\[model\]\] #1 \(a\) has no path"),
    ('[suite]\nrounds = 0\n[[model]]\nname = "a"\npath = "zoo:r"\n', r"rounds must be an integer ≥ 1, got 0"),
    ('[suite]\nname = "x"\n', r"no \[\[model\]\]"),
    ('x = [1,\n', r"s\.toml:2:1: invalid TOML: .*\(at the end of the file\)"),
])
def test_bad_suite_files_are_one_line_naming_the_place(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        parse_suite(text, tmp_path / "s.toml")
    assert "\n" not in str(caught.value)


def test_a_missing_model_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"model 'cnn': file not found: .*cnn\.onnx \(nothing was run\)"):
        parse_suite('[[model]]\nname = "cnn"\npath = "cnn.onnx"\n', tmp_path / "s.toml")
    with pytest.raises(InputError, match="suite file not found"):
        read_suite(tmp_path / "none.toml")


def test_bad_input_from_the_command_line_runs_nothing(run: Callable[..., tuple[int, str, str]], tmp_path: Path,
                                                      suite_file: Path) -> None:
    calls: list[list[str]] = []

    def never(argv: list[str], timeout_s: float | None) -> Outcome:
        calls.append(argv)
        raise AssertionError("a point ran")

    missing = tmp_path / "missing.toml"
    missing.write_text('[[model]]\nname = "cnn"\npath = "cnn.onnx"\n', encoding="utf-8")
    bad_option = tmp_path / "bad.toml"
    bad_option.write_text(SUITE.replace('"-niter", "40"', '"-niter", "forty"', 1), encoding="utf-8")
    for args, message in (
            ((str(missing),), "model 'cnn': file not found"),
            ((str(bad_option),), "suite point fast · sync: -niter"),
            ((str(suite_file), "--", "-b", "1,2"), "a point is one configuration"),
            ((str(suite_file), "--", "-x", "r.json"), "-x/--export-json is the suite's own option"),
            ((str(suite_file), "--each-node"), "--each-node runs the suite on every node of a cluster"),
            ((str(suite_file), "-x", str(tmp_path / "no" / "s.json")), "folder")):
        code, _, err = run("suite", *args, runner=never)
        assert code == 2, (args, err)
        assert err.count("\n") == 1 and message in err and "Traceback" not in err, err
    assert calls == []


# --- geometric means: known answers ------------------------------------------------------------------------------


def constructed_suite(rounds: dict[str, list[float]]) -> Suite:
    """One configuration; each model's rounds at the given throughputs (items/s)."""
    text = "".join(f'[[model]]\nname = "{name}"\npath = "zoo:resnet18"\n' for name in rounds)
    file = parse_suite(text, Path("s.toml"))
    points = tuple(SuitePoint(name, "default", None, tuple(
        SuiteRun(k, make_report(value, [1.0] * 100)) for k, value in enumerate(values, 1)))
        for name, values in rounds.items())
    return Suite("s", file.models, file.configs, points, rounds=max(len(v) for v in rounds.values()))


def test_geomean_over_rounds_by_hand() -> None:
    """a: 100 and 400 items/s (geometric mean 200, se of the log mean ln 2, 1 degree of freedom); b: 50 twice
    (no spread). Suite: √(200 · 50) = 100, se (ln 2)/2, Welch–Satterthwaite: 1 degree of freedom."""
    suite = constructed_suite({"a": [100.0, 400.0], "b": [50.0, 50.0]})
    t = t_quantile_975(1)
    a = suite.point("a", "default").interval("throughput")  # type: ignore[union-attr]
    assert a is not None
    assert (a.estimate, a.low, a.high) == pytest.approx((200.0, 200.0 * 2**-t, 200.0 * 2**t), rel=1e-12)
    found = suite.geomean("default", "throughput")
    assert found is not None and found.method == "rounds" and found.models == ("a", "b") and found.of == 2
    assert (found.interval.estimate, found.interval.low, found.interval.high) == pytest.approx(
        (100.0, 100.0 * 2 ** (-t / 2), 100.0 * 2 ** (t / 2)), rel=1e-12)


def test_geomean_of_single_runs_uses_their_own_cis() -> None:
    suite = constructed_suite({"a": [1000.0], "b": [250.0]})
    found = suite.geomean("default", "throughput")
    assert found is not None and found.method == SINGLE_RUNS
    assert found.interval.estimate == pytest.approx(500.0, rel=1e-12)
    runs = [suite.point(m, "default").reports[0].run for m in ("a", "b")]  # type: ignore[union-attr]
    expected = geomean.average([geomean.from_interval(r.throughput_interval) for r in runs])  # type: ignore[union-attr,arg-type]
    assert found.interval == expected.interval()


def test_welch_satterthwaite_by_hand() -> None:
    """Two items with variances 1 and 3 on 2 and 6 degrees of freedom: (1 + 3)² / (1/2 + 9/6) = 8."""
    combined = geomean.average([geomean.LogMean(0.0, 1.0, 2.0), geomean.LogMean(1.0, 3.0, 6.0)])
    assert (combined.mean, combined.variance, combined.dof) == (0.5, 1.0, 8.0)
    half = t_quantile_975(8) * 1.0
    assert combined.interval().low == pytest.approx(math.exp(0.5 - half), rel=1e-12)


def test_fake_engine_suite_exact_numbers(run: Callable[..., tuple[int, str, str]], suite_file: Path,
                                         tmp_path: Path) -> None:
    out_json = tmp_path / "s.json"
    code, out, err = run("suite", str(suite_file), "-x", str(out_json), "--export-markdown", str(tmp_path / "s.md"),
                         "--export-csv", str(tmp_path / "s.csv"))
    assert (code, err) == (0, "")
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert data["schema"] == "infermeter.suite" and data["schema_version"] == 1 and not data["partial"]
    geomeans = data["geomeans"]
    assert geomeans["sync"]["throughput"]["estimate"] == pytest.approx(500.0, rel=1e-12)  # √(1000 · 250)
    assert geomeans["async"]["throughput"]["estimate"] == pytest.approx(1000.0, rel=1e-12)  # √(2000 · 500)
    assert geomeans["sync"]["median"]["estimate"] == pytest.approx(2e6, rel=1e-12)  # √(1 ms · 4 ms)
    assert geomeans["sync"]["throughput"]["low"] == pytest.approx(500.0, rel=1e-12)  # identical rounds
    assert [len(p["runs"]) for p in data["points"]] == [2, 2, 2, 2]
    assert "│ geometric mean │   500.0 ± 0.0 │ 1,000.0 ± 0.0 │" in out
    markdown = (tmp_path / "s.md").read_text(encoding="utf-8")
    assert "| **geometric mean** | **500.0 ± 0.0** | **1,000.0 ± 0.0** |" in markdown
    csv_lines = (tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()
    assert len(csv_lines) == 9 and csv_lines[0].endswith(",option_model,option_config")
    from infermeter.reporters.export import to_json
    from infermeter.runs.files import load_suite

    loaded = load_suite(out_json)  # the file splices each point's report text in: the same data as to_dict
    assert json.loads(to_json(loaded)) == data == json.loads(json.dumps(loaded.to_dict()))
    code, out, _ = run("show", str(out_json), "-q")
    assert (code, out) == (0, "4 of 4 points measured · sync: geomean 500.0 ± 0.0 items/s · async: geomean "
                              "1,000.0 ± 0.0 items/s\n")


def test_a_failing_point_leaves_the_others(run: Callable[..., tuple[int, str, str]], suite_file: Path,
                                           tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(SUITE.replace('options = ["--fake-latency", "4ms"]',
                                    'options = ["--fake-latency", "4ms", "--fake-fail-at", "1"]'), encoding="utf-8")
    code, out, err = run("suite", str(broken), "-x", str(tmp_path / "b.json"))
    assert code == 1 and err.startswith("infermeter: error: 2 of 4 points failed; first: slow · sync")
    data = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert [p["summary"]["throughput"] is not None for p in data["points"]] == [True, True, False, False]
    assert data["geomeans"]["sync"]["throughput"]["models"] == ["fast"]
    assert "1,000.0 ± 0.0 (1 of 2 models)" in out


def test_ctrl_c_keeps_the_finished_points(run: Callable[..., tuple[int, str, str]], suite_file: Path,
                                          tmp_path: Path) -> None:
    inner = inprocess_runner(tmp_path / "points")
    calls: list[int] = []

    def interrupted_third(argv: list[str], timeout_s: float | None) -> Outcome:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return inner(argv, timeout_s)

    code, _, err = run("suite", str(suite_file), "-x", str(tmp_path / "i.json"), "-q", runner=interrupted_third)
    assert code == 130 and "interrupted: finished points are reported" in err
    data = json.loads((tmp_path / "i.json").read_text(encoding="utf-8"))
    assert data["interrupted"] and data["partial"] and sum(len(p["runs"]) for p in data["points"]) == 2


def test_run_options_after_the_double_dash_win(run: Callable[..., tuple[int, str, str]], suite_file: Path,
                                               tmp_path: Path) -> None:
    code, _, _ = run("suite", str(suite_file), "-x", str(tmp_path / "d.json"), "--rounds", "1", "-q", "--",
                     "-niter", "10")
    data = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    assert code == 0 and data["extra_args"] == ["-niter", "10"] and data["rounds"] == 1
    counts = {p["runs"][0]["report"]["run"]["count"] for p in data["points"]}
    assert counts == {10}


# --- compare ---------------------------------------------------------------------------------------------------


def test_compare_gates_a_regression_and_names_the_models(run: Callable[..., tuple[int, str, str]], suite_file: Path,
                                                         tmp_path: Path) -> None:
    slower = tmp_path / "b.toml"
    slower.write_text(SUITE.replace('"4ms"', '"5ms"'), encoding="utf-8")
    assert run("suite", str(suite_file), "-x", str(tmp_path / "a.json"), "-q")[0] == 0
    assert run("suite", str(slower), "-x", str(tmp_path / "b.json"), "-q")[0] == 0
    code, out, err = run("compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--markdown")
    assert code == 4
    assert err == ("infermeter: regression: B is slower than A on throughput beyond 2.0% (sync: slow, geometric "
                   "mean; async: slow, geometric mean)\n")
    assert "| slow | 0.800× [0.800, 0.800] | **B is 20.0% slower (CI 20.0% to 20.0%, beyond ±2.0%)** |" in out
    assert ("| **geometric mean** | 0.894× [0.894, 0.894] | **B is 10.6% slower (CI 10.6% to 10.6%, beyond ±2.0%)** |"
            in out)
    code, out, err = run("compare", str(tmp_path / "a.json"), str(tmp_path / "a.json"))
    assert (code, err) == (0, "")
    code, _, _ = run("compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--threshold", "30%")
    assert code == 0  # 20 % slower is within a 30 % threshold


def test_compare_of_single_runs_gives_no_verdict() -> None:
    from infermeter.analysis.suite_compare import compare_suites

    a = constructed_suite({"x": [1000.0], "y": [250.0]})
    b = constructed_suite({"x": [500.0], "y": [125.0]})
    (result,) = compare_suites(a, b, "throughput", 0.02)
    assert result.geomean is not None and result.geomean.ratio.estimate == pytest.approx(0.5, rel=1e-12)
    assert result.geomean.verdict == "inconclusive" and result.regressed() == []


def test_compare_across_machines_lists_the_differences() -> None:
    import dataclasses

    from infermeter.analysis.suite_compare import compare_suites

    a = constructed_suite({"x": [100.0, 100.0]})
    b = constructed_suite({"x": [80.0, 80.0]})
    point = b.points[0]
    runs = tuple(dataclasses.replace(r, report=dataclasses.replace(r.report, environment=dataclasses.replace(
        r.report.environment, hostname="other", cpu_model="Other CPU"))) for r in point.runs)  # type: ignore[union-attr]
    b = dataclasses.replace(b, points=(dataclasses.replace(point, runs=runs),))
    (result,) = compare_suites(a, b, "throughput", 0.02)
    assert result.machines == ("cpu_model: None vs 'Other CPU'", "hostname: None vs 'other'")
    assert result.regressed() == ["x", "geometric mean"]


# --- the real subprocess path, and Ray never imported without --cluster ------------------------------------------


def test_a_real_suite_in_subprocesses_without_ray(suite_file: Path, tmp_path: Path, zoo_cache: Path) -> None:
    code = ("import sys; from infermeter.cli import main; code = main(sys.argv[1:]); "
            "assert 'ray' not in sys.modules, 'ray imported'; sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code, "suite", str(suite_file), "-x", str(tmp_path / "r.json"),
                           "-q", "--rounds", "1"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("4 of 4 points measured · sync: geomean 500.0 ± 0.0 items/s · async: geomean "
                           "1,000.0 ± 0.0 items/s\n")
    from infermeter.runs.files import load_suite

    spliced = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))  # each report's own text spliced in
    assert spliced == json.loads(json.dumps(load_suite(tmp_path / "r.json").to_dict()))
