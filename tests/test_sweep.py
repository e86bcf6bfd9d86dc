"""``infermeter sweep``: axis and SLO parsing, the Pareto frontier / knee / best analysis, the runner (isolation,
interruption, interleaving), the per-point subprocess, the command line and ``run --load-config`` replays.

Exact numbers come from the fake engine's contention model: with ``--fake-contention 0.25`` and a 1 ms base
latency, nireq n gives a latency of (n + 3) / 4 ms and 4000 n / (n + 3) items/s. Only a handful of measurements
run as real subprocesses (~0.5 s each); every other sweep uses an injected runner (constructed reports, or
``infermeter run`` called in-process, which gives the very same numbers).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infermeter import cli
from infermeter.cli.options import expand_run_config
from infermeter.cli.sweep import base_arguments
from infermeter.config.benchmark import BenchmarkConfig
from infermeter.errors import UsageError
from infermeter.reporters.sweep_console import sweep_summary_line
from infermeter.results.facts import EngineFacts, MachineFacts, ModelFacts
from infermeter.results.report import PhaseTimes, Report, RunResult
from infermeter.results.sweep import (
    RUN_CONFIG_SCHEMA,
    Slo,
    Sweep,
    SweepPoint,
    best_point,
    knee_point,
    pareto_frontier,
    parse_axis,
    parse_slo,
)
from infermeter.runs import sweep as sweep_runner
from infermeter.runs.sweep import Outcome, PointRunner, grid, point_args, run_point_subprocess, run_sweep

MS = 1_000_000
NIREQS = (1, 2, 4, 8, 16)
# the fake contention curve, by hand: latency (n + 3) / 4 ms, throughput n / latency
CURVE_THROUGHPUT = [float(Fraction(4000 * n, n + 3)) for n in NIREQS]  # 1000, 1600, 2285.7, 2909.1, 3368.4
CURVE_MEDIAN_NS = [float((n + 3) * MS // 4) for n in NIREQS]  # 1, 1.25, 1.75, 2.75, 4.75 ms
FAKE_BASE = ["-e", "fake", "--fake-contention", "0.25", "-niter", "400"]
MODEL = "zoo:resnet18"
FAIL_AT_1 = "the first inference failed: fake engine: request failed at call 1 (--fake-fail-at)"


# --- helpers ---------------------------------------------------------------------------------------------------


def make_report(throughput: float, latencies_ms: Sequence[float], error: str | None = None) -> Report:
    """A report whose run has exactly these latencies and this throughput (items/s, batch 1).

    Latencies are sorted ascending and starts spread evenly, so the last request ends last and the window is
    ``count / throughput`` exactly (choose values that divide 1e9 evenly)."""
    latencies = np.sort(np.asarray([round(ms * MS) for ms in latencies_ms], dtype=np.int64))
    count = len(latencies)
    window = round(count * 1e9 / throughput)
    starts = np.linspace(0, window - int(latencies[-1]), count).round().astype(np.int64)
    starts[-1] = window - int(latencies[-1])
    run = RunResult("throughput", 4, 1, starts, starts + latencies)
    assert run.window_ns == window and run.throughput == throughput
    engine = EngineFacts(name="fake", version="", why="", device="CPU", precision="", precision_note="",
                         requests_in_flight=4)
    return Report(tool_version="test", created_utc="2024-01-01T00:00:00Z", config=BenchmarkConfig("m"),
                  environment=MachineFacts(), engine=engine, model=ModelFacts(ref="m", format="onnx", batch=1,
                                                                              inputs=()),
                  phases=PhaseTimes(), run=run, timed="test", headline="throughput", error=error)


def point(nireq: str, throughput: float, median_ms: float, tail_ms: float | None = None) -> SweepPoint:
    """100 samples: 90 at ``median_ms`` and 10 at ``tail_ms`` (p99 = tail, median = median)."""
    latencies = [median_ms] * 90 + [tail_ms if tail_ms is not None else median_ms] * 10
    return SweepPoint({"nireq": nireq}, (make_report(throughput, latencies),))


def failed_point(nireq: str, error: str = "boom") -> SweepPoint:
    return SweepPoint({"nireq": nireq}, (), (error,))


def fresh_sweep(nireqs: Sequence[str] = ("1", "2", "4"), repeat: int = 1) -> Sweep:
    axes = {"nireq": list(nireqs)}
    return Sweep(model="zoo:m", axes=axes, points=tuple(SweepPoint(o) for o in grid(axes)), repeat=repeat,
                 base_args=("-e", "fake"))


def nireq_of(argv: Sequence[str]) -> str:
    return argv[list(argv).index("-nireq") + 1]


@dataclass
class Recorder:
    """A runner that records what it is asked and answers from a table (value: Outcome, or an exception)."""

    answers: Callable[[int, str], Outcome]
    calls: list[list[str]]

    def __call__(self, argv: list[str], timeout_s: float | None) -> Outcome:
        self.calls.append(list(argv))
        return self.answers(len(self.calls), nireq_of(argv))

    @property
    def order(self) -> list[str]:
        return [nireq_of(argv) for argv in self.calls]


def good(nireq: str) -> Outcome:
    return Outcome(make_report(1000.0 * int(nireq), [1.0] * 10), None)


def inprocess_runner(folder: Path) -> PointRunner:
    """``infermeter run ARGV -x FILE -q`` in this process (same numbers as the subprocess, no start-up cost)."""
    folder.mkdir(exist_ok=True)
    calls: list[int] = []

    def run(argv: list[str], timeout_s: float | None) -> Outcome:
        calls.append(1)
        path = folder / f"point-{len(calls)}.json"
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = cli.main(["run", *argv, "-x", str(path), "-q"])
        if code != 0 or not path.exists():
            lines = err.getvalue().strip().splitlines() or [f"exit code {code}"]
            return Outcome(None, lines[-1].removeprefix("infermeter: error: "))
        return Outcome(Report.from_dict(json.loads(path.read_text(encoding="utf-8"))), None)

    return run


@dataclass
class Cli:
    code: int
    out: str
    err: str


@pytest.fixture
def invoke(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
           zoo_cache: Path) -> Callable[..., Cli]:
    """``cli.main(args)`` in ``tmp_path``; ``runner`` replaces the subprocess of each point."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INFERMETER_CACHE_DIR", str(zoo_cache))
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str, runner: PointRunner | None = None) -> Cli:
        if runner is not None:
            monkeypatch.setattr(sweep_runner, "run_point_subprocess", runner)
        capsys.readouterr()
        code = cli.main(list(args))
        captured = capsys.readouterr()
        return Cli(code, captured.out, captured.err)

    return run


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# --- parse_axis ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("1,2,4", ["1", "2", "4"]),
    ("1..4", ["1", "2", "3", "4"]),
    ("2..8:2", ["2", "4", "6", "8"]),
    ("2..9:3", ["2", "5", "8"]),
    ("1..64:x2", ["1", "2", "4", "8", "16", "32", "64"]),
    ("3..100:x3", ["3", "9", "27", "81"]),
    ("1,4..6", ["1", "4", "5", "6"]),
    ("1..2,8,16..32:x2", ["1", "2", "8", "16", "32"]),
    (" 1 , 2 ", ["1", "2"]),
    ("4", ["4"]),
    ("5..5", ["5"]),
    ("latency,throughput", ["latency", "throughput"]),
])
def test_parse_axis(text: str, expected: list[str]) -> None:
    assert parse_axis("-nireq", text) == expected


@pytest.mark.parametrize(("flag", "text", "message"), [
    ("-nireq", "4..1", "-nireq '4..1': expected LOW..HIGH, LOW..HIGH:STEP or LOW..HIGH:xFACTOR"),
    ("-b", "1..8:x1", "-b '1..8:x1': expected LOW..HIGH"),
    ("-b", "0..8:x2", "-b '0..8:x2': expected LOW..HIGH"),
    ("-nireq", "1..4:0", "-nireq '1..4:0': expected LOW..HIGH"),
    ("-nstreams", "1,,2", "-nstreams '1,,2': empty item in the list"),
    ("-nireq", "1,2,", "-nireq '1,2,': empty item in the list"),
    ("-nireq", "", "-nireq '': empty item in the list"),
    ("-nireq", "1,2,1", "-nireq '1,2,1': a value is listed twice"),
    ("-b", "1,1..3", "-b '1,1..3': a value is listed twice"),
])
def test_parse_axis_errors_name_the_flag(flag: str, text: str, message: str) -> None:
    with pytest.raises(UsageError) as error:
        parse_axis(flag, text)
    assert str(error.value).startswith(message)


# --- parse_slo -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "metric", "limit_ns", "shown"), [
    ("p99<=20ms", "p99", 20 * MS, "p99 <= 20 ms"),
    ("median<=5ms", "median", 5 * MS, "median <= 5 ms"),
    ("p95 <= 1.5s", "p95", 1_500 * MS, "p95 <= 1500 ms"),
    ("mean<=2ms", "mean", 2 * MS, "mean <= 2 ms"),
    ("P90<=250us", "p90", 250_000, "p90 <= 0.25 ms"),
    ("p99.9<=3ms", "p99.9", 3 * MS, "p99.9 <= 3 ms"),
    ("p99<3ms", "p99", 3 * MS, "p99 <= 3 ms"),
])
def test_parse_slo(text: str, metric: str, limit_ns: int, shown: str) -> None:
    slo = parse_slo(text)
    assert slo == Slo(metric, limit_ns)
    assert slo.text() == shown


def test_parse_slo_none_is_no_slo() -> None:
    assert parse_slo(None) is None


@pytest.mark.parametrize(("text", "message"), [
    ("p99>=20ms", "--slo 'p99>=20ms': expected METRIC<=TIME, e.g. p99<=20ms (metrics: median, mean, pNN)"),
    ("max<=1ms", "--slo 'max<=1ms': expected METRIC<=TIME"),
    ("p100<=1ms", "--slo 'p100<=1ms': expected METRIC<=TIME"),
    ("p99", "--slo 'p99': expected METRIC<=TIME"),
    ("", "--slo '': expected METRIC<=TIME"),
    ("p0<=1ms", "--slo 'p0<=1ms': percentile must be between 0 and 100"),
    ("p99<=fast", "--slo 'p99<=fast': not a duration: 'fast'"),
])
def test_parse_slo_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError) as error:
        parse_slo(text)
    assert str(error.value).startswith(message)


# --- pareto_frontier -----------------------------------------------------------------------------------------


def test_pareto_excludes_dominated_points_and_orders_by_latency() -> None:
    # (throughput, latency): id 12 has more latency than 11 and less throughput: dominated
    values = [(3000.0, 4.0), (1000.0, 1.0), (1500.0, 3.0), (2000.0, 2.0)]
    assert pareto_frontier(values, [13, 10, 12, 11]) == [10, 11, 13]


def test_pareto_everything_dominated_by_one_point() -> None:
    values = [(1000.0, 3.0), (5000.0, 1.0), (2000.0, 2.0)]
    assert pareto_frontier(values, [0, 1, 2]) == [1]


def test_pareto_ties() -> None:
    # same latency: the higher throughput wins; same throughput: the lower latency wins
    assert pareto_frontier([(1000.0, 1.0), (1200.0, 1.0)], [0, 1]) == [1]
    assert pareto_frontier([(1000.0, 2.0), (1000.0, 1.0)], [0, 1]) == [1]
    # identical points: neither beats the other; the earlier one stands for both
    assert pareto_frontier([(1000.0, 1.0), (1000.0, 1.0), (2000.0, 2.0)], [5, 6, 7]) == [5, 7]


def test_pareto_single_and_empty() -> None:
    assert pareto_frontier([(1000.0, 1.0)], [42]) == [42]
    assert pareto_frontier([], []) == []


# --- knee_point ------------------------------------------------------------------------------------------------


def test_knee_of_the_fake_contention_curve_by_hand() -> None:
    """Kneedle: both axes scaled to [0, 1]; the knee is the point farthest above the chord first → last."""
    latency = [Fraction(n + 3, 4) for n in NIREQS]  # ms: 1, 5/4, 7/4, 11/4, 19/4
    throughput = [Fraction(4000 * n, n + 3) for n in NIREQS]  # 1000, 1600, 16000/7, 32000/11, 64000/19
    x = [(v - latency[0]) / (latency[-1] - latency[0]) for v in latency]
    y = [(v - throughput[0]) / (throughput[-1] - throughput[0]) for v in throughput]
    assert x == [0, Fraction(1, 15), Fraction(1, 5), Fraction(7, 15), 1]
    assert y == [0, Fraction(19, 75), Fraction(19, 35), Fraction(133, 165), 1]
    gaps = [b - a for a, b in zip(x, y, strict=True)]  # the chord is the diagonal y = x
    assert gaps == [0, Fraction(14, 75), Fraction(12, 35), Fraction(56, 165), 0]
    assert max(range(5), key=lambda k: gaps[k]) == 2  # nireq 4 (12/35 = 0.343 beats nireq 8's 56/165 = 0.339)

    values = [(t, m) for t, m in zip(CURVE_THROUGHPUT, CURVE_MEDIAN_NS, strict=True)]
    assert knee_point(values, list(NIREQS)) == 4


def test_knee_needs_three_points() -> None:
    assert knee_point([(1000.0, 1.0), (2000.0, 2.0)], [0, 1]) is None
    assert knee_point([(1000.0, 1.0)], [0]) is None
    assert knee_point([], []) is None


def test_knee_none_on_a_straight_line_or_a_convex_curve() -> None:
    assert knee_point([(1000.0, 1.0), (2000.0, 2.0), (3000.0, 3.0)], [0, 1, 2]) is None
    assert knee_point([(1000.0, 1.0), (1100.0, 2.0), (3000.0, 3.0)], [0, 1, 2]) is None


def test_knee_is_scale_free() -> None:
    values = [(1000.0, 1.0), (1900.0, 2.0), (2000.0, 10.0)]
    assert knee_point(values, [7, 8, 9]) == 8
    assert knee_point([(t * 1e6, lat * 1e-3) for t, lat in values], [7, 8, 9]) == 8


# --- best_point ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def analysed() -> list[SweepPoint]:
    """0: 1000/s, median 1 ms, p99 4 ms · 1: 2000/s, 2 ms / 2 ms · 2: 4000/s, 5 ms / 8 ms · 3: failed ·
    4: 4000/s, 6 ms / 6 ms (same throughput as 2, later)."""
    return [point("1", 1000.0, 1.0, 4.0), point("2", 2000.0, 2.0), point("4", 4000.0, 5.0, 8.0),
            failed_point("8"), point("16", 4000.0, 6.0)]


def test_constructed_points_have_the_intended_statistics(analysed: list[SweepPoint]) -> None:
    assert [p.throughput for p in analysed] == [1000.0, 2000.0, 4000.0, None, 4000.0]
    assert [p.latency_ns("median") for p in analysed] == [1 * MS, 2 * MS, 5 * MS, None, 6 * MS]
    assert [p.latency_ns("p99") for p in analysed] == [4 * MS, 2 * MS, 8 * MS, None, 6 * MS]
    assert [p.latency_ns("mean") for p in analysed] == [1.3 * MS, 2 * MS, 5.3 * MS, None, 6 * MS]
    assert [p.ok for p in analysed] == [True, True, True, False, True]
    assert analysed[2].label == "-nireq 4"


@pytest.mark.parametrize(("goal", "metric", "slo", "expected"), [
    ("throughput", "median", None, 2),  # 4000/s twice: the earlier point
    ("latency", "median", None, 0),
    ("latency", "p99", None, 1),
    ("throughput", "median", Slo("p99", 6 * MS), 4),  # 2 breaks the SLO (p99 8 ms)
    ("throughput", "median", Slo("p99", 5 * MS), 1),
    ("throughput", "median", Slo("median", 2 * MS), 1),  # the limit itself is allowed
    ("latency", "median", Slo("p99", 5 * MS), 1),  # lowest p99 (the SLO's metric), not lowest median
    ("latency", "median", Slo("median", 10 * MS), 0),
    ("throughput", "median", Slo("mean", 1_300_000), 0),
    ("throughput", "median", Slo("p99", MS), None),  # nothing meets it
    ("latency", "median", Slo("p99", MS), None),
])
def test_best_point(analysed: list[SweepPoint], goal: str, metric: str, slo: Slo | None,
                    expected: int | None) -> None:
    measured = [0, 1, 2, 4]
    assert best_point(analysed, measured, goal, metric, slo) == expected


def test_best_point_of_nothing_measured(analysed: list[SweepPoint]) -> None:
    assert best_point(analysed, [], "throughput", "median", None) is None


def test_sweep_analysis_skips_failed_points(analysed: list[SweepPoint]) -> None:
    sweep = Sweep("zoo:m", {"nireq": ["1", "2", "4", "8", "16"]}, tuple(analysed))
    assert sweep.measured() == [0, 1, 2, 4]
    assert sweep.pareto() == [0, 1, 2]  # 4 has the throughput of 2 at more latency
    assert sweep.knee() == 1
    assert sweep.best() == 2
    p99 = Sweep("zoo:m", sweep.axes, tuple(analysed), metric="p99", goal="latency")
    assert p99.pareto() == [1, 4]  # by p99: 1 (2 ms) → 4 (6 ms, 4000/s); 0 (4 ms, 1000/s) is dominated by 1
    assert p99.best() == 1


# --- the CLI end to end: one real 5-point sweep (5 subprocesses) ------------------------------------------


SWEEP_ARGS = ["sweep", MODEL, *FAKE_BASE, "--nireq", "1,2,4,8,16", "-x", "sweep.json", "--save-best", "best.json",
              "--repeat", "1", "--point-timeout", "60", "--seed-order", "0", "-q"]


@dataclass
class SweepRun:
    code: int
    out: str
    err: str
    folder: Path
    data: dict[str, Any]


@pytest.fixture(scope="module")
def real_sweep(tmp_path_factory: pytest.TempPathFactory, zoo_cache: Path) -> SweepRun:
    folder = tmp_path_factory.mktemp("sweep")
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("INFERMETER_CACHE_DIR", str(zoo_cache))
        patch.setenv("COLUMNS", "200")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(SWEEP_ARGS)
    return SweepRun(code, out.getvalue(), err.getvalue(), folder, read_json(folder / "sweep.json"))


def test_real_sweep_exact_numbers(real_sweep: SweepRun) -> None:
    assert (real_sweep.code, real_sweep.err) == (0, "")
    data = real_sweep.data
    assert data["schema"] == "infermeter.sweep"
    assert data["schema_version"] == 2
    assert (data["model"], data["axes"], data["repeat"], data["metric"], data["goal"], data["slo"]) == (
        MODEL, {"nireq": ["1", "2", "4", "8", "16"]}, 1, "median", "throughput", None)
    assert (data["partial"], data["interrupted"]) == (False, False)
    assert data["command"] == ["infermeter", *SWEEP_ARGS]
    assert data["base_args"] == FAKE_BASE
    points = data["points"]
    assert [p["options"] for p in points] == [{"nireq": str(n)} for n in NIREQS]
    assert [p["label"] for p in points] == [f"-nireq {n}" for n in NIREQS]
    assert [p["throughput_items_per_s"] for p in points] == CURVE_THROUGHPUT
    assert CURVE_THROUGHPUT[2:] == [16000 / 7, 32000 / 11, 64000 / 19]
    assert [p["latency_median_ns"] for p in points] == CURVE_MEDIAN_NS
    assert CURVE_MEDIAN_NS == [1.0 * MS, 1.25 * MS, 1.75 * MS, 2.75 * MS, 4.75 * MS]
    assert [p["latency_p99_ns"] for p in points] == CURVE_MEDIAN_NS
    assert [len(p["reports"]) for p in points] == [1] * 5
    assert [p["errors"] for p in points] == [[]] * 5
    assert [p["reports"][0]["run"]["requests_in_flight"] for p in points] == list(NIREQS)
    assert (data["pareto"], data["knee"], data["best"]) == ([0, 1, 2, 3, 4], 2, 4)


def test_real_sweep_quiet_summary_line(real_sweep: SweepRun) -> None:
    assert real_sweep.out == ("5 of 5 points measured · best (throughput): -nireq 16 3,368.4 items/s, "
                              "median 4.750 ms\n")


def test_real_sweep_json_loads_back(real_sweep: SweepRun) -> None:
    sweep = Sweep.from_dict(real_sweep.data)
    assert (sweep.pareto(), sweep.knee(), sweep.best()) == ([0, 1, 2, 3, 4], 2, 4)
    assert [p.throughput for p in sweep.points] == CURVE_THROUGHPUT
    assert sweep.to_dict() == real_sweep.data


def test_real_sweep_saves_the_best_configuration(real_sweep: SweepRun) -> None:
    assert read_json(real_sweep.folder / "best.json") == {
        "schema": RUN_CONFIG_SCHEMA, "schema_version": 1, "model": MODEL, "options": {"nireq": "16"},
        "args": FAKE_BASE,
        "measured": {"throughput_items_per_s": 64000 / 19, "latency_median_ns": 4.75 * MS, "repeat": 1,
                     "goal": "throughput", "sweep_partial": False, "slo": None}}
    assert not (real_sweep.folder / "best-config.json").exists()


@pytest.fixture
def best_json(real_sweep: SweepRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return Path(shutil.copy(real_sweep.folder / "best.json", tmp_path / "best.json"))


def replayed_throughput(*args: str) -> float:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["run", *args, "-x", "r.json", "-q"]) == 0
    throughput: float = read_json(Path("r.json"))["run"]["throughput_items_per_s"]
    return throughput


@pytest.mark.parametrize("spelling", ["--load-config", "-load_config", "--load_config"])
def test_replay_of_the_best_configuration_is_exact(best_json: Path, spelling: str) -> None:
    assert replayed_throughput(spelling, "best.json") == 64000 / 19
    report = read_json(Path("r.json"))
    assert report["run"]["requests_in_flight"] == 16
    assert report["run"]["latency"]["median_ns"] == 4.75 * MS


def test_replay_inline_spelling(best_json: Path) -> None:
    assert replayed_throughput("--load-config=best.json") == 64000 / 19


def test_replay_a_later_user_flag_wins(best_json: Path) -> None:
    assert replayed_throughput("--load-config", "best.json", "-nireq", "2") == 1600.0
    assert replayed_throughput("--load-config", "best.json", "--nireq", "4") == 16000 / 7


def test_replay_with_the_model_given_again(best_json: Path) -> None:
    assert replayed_throughput(MODEL, "--load-config", "best.json") == 64000 / 19


def test_expand_run_config(best_json: Path) -> None:
    assert expand_run_config(["run", "--load-config", "best.json", "-q"]) == [
        "run", MODEL, *FAKE_BASE, "-nireq", "16", "-q"]
    assert expand_run_config(["run", MODEL, "-load_config", "best.json"]) == [
        "run", *FAKE_BASE, "-nireq", "16", MODEL]
    # not `run`, or not a run config: left alone
    assert expand_run_config(["show", "--load-config", "best.json"]) == ["show", "--load-config", "best.json"]
    Path("props.json").write_text('{"CPU": {"NUM_STREAMS": "2"}}', encoding="utf-8")
    assert expand_run_config(["run", MODEL, "-load_config", "props.json"]) == [
        "run", MODEL, "-load_config", "props.json"]


def test_expand_run_config_rejects_a_broken_run_config(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(json.dumps({"schema": RUN_CONFIG_SCHEMA, "options": ["nireq", "4"]}), encoding="utf-8")
    with pytest.raises(UsageError, match="not a valid infermeter run config"):
        expand_run_config(["run", "--load-config", str(path)])


# --- the CLI with `infermeter run` in-process as the runner (same numbers, no subprocess) ---------------------


def test_cli_goal_latency(invoke: Callable[..., Cli], tmp_path: Path) -> None:
    result = invoke("sweep", MODEL, *FAKE_BASE, "--nireq", "1,2,4,8,16", "--goal", "latency", "-x", "s.json",
                    "-q", runner=inprocess_runner(tmp_path / "points"))
    assert (result.code, result.err) == (0, "")
    data = read_json(tmp_path / "s.json")
    assert (data["goal"], data["best"], data["knee"], data["pareto"]) == ("latency", 0, 2, [0, 1, 2, 3, 4])
    assert [p["throughput_items_per_s"] for p in data["points"]] == CURVE_THROUGHPUT
    assert read_json(tmp_path / "best-config.json")["options"] == {"nireq": "1"}
    assert result.out == "5 of 5 points measured · best (latency): -nireq 1 1,000.0 items/s, median 1.000 ms\n"


def test_cli_slo(invoke: Callable[..., Cli], tmp_path: Path) -> None:
    result = invoke("sweep", MODEL, *FAKE_BASE, "--nireq", "1,2,4,8,16", "--slo", "p99<=3ms", "-x", "s.json",
                    "--save-best", "b.json", "-q", runner=inprocess_runner(tmp_path / "points"))
    assert result.code == 0
    data = read_json(tmp_path / "s.json")
    assert data["slo"] == {"metric": "p99", "limit_ns": 3 * MS}
    assert data["best"] == 3
    config = read_json(tmp_path / "b.json")
    assert config["options"] == {"nireq": "8"}
    assert config["args"] == FAKE_BASE
    assert config["measured"] == {"throughput_items_per_s": 32000 / 11, "latency_median_ns": 2.75 * MS,
                                  "repeat": 1, "goal": "throughput", "sweep_partial": False, "slo": "p99 <= 3 ms"}


def test_cli_slo_that_nothing_meets(invoke: Callable[..., Cli], tmp_path: Path) -> None:
    result = invoke("sweep", MODEL, *FAKE_BASE, "--nireq", "1,2", "--slo", "median<=0.5ms", "-x", "s.json",
                    "-q", runner=inprocess_runner(tmp_path / "points"))
    assert (result.code, result.out) == (0, "2 of 2 points measured\n")
    assert read_json(tmp_path / "s.json")["best"] is None
    assert not (tmp_path / "best-config.json").exists()


def test_cli_no_save_best(invoke: Callable[..., Cli], tmp_path: Path) -> None:
    result = invoke("sweep", MODEL, *FAKE_BASE, "--nireq", "1,2", "-x", "s.json", "--no-save-best",
                    runner=inprocess_runner(tmp_path / "points"))
    assert (result.code, result.err) == (0, "")
    assert [p["throughput_items_per_s"] for p in read_json(tmp_path / "s.json")["points"]] == [1000.0, 1600.0]
    assert "best configuration" not in result.out
    assert not (tmp_path / "best-config.json").exists()


def test_cli_best_config_goes_beside_the_sweeps_own_file(invoke: Callable[..., Cli], tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    result = invoke("sweep", MODEL, *FAKE_BASE, "--nireq", "1,2", "-x", "out/s.json",
                    runner=inprocess_runner(tmp_path / "points"))
    assert (result.code, result.err) == (0, "")
    assert read_json(tmp_path / "out" / "best-config.json")["options"] == {"nireq": "2"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["best-config.json", "s.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "points"]  # nothing in the current folder
    assert result.out.splitlines()[-1] == ("best configuration (-nireq 2) saved to out/best-config.json: replay it "
                                           "with infermeter run --load-config out/best-config.json")


def test_cli_best_config_beside_the_first_file_when_the_json_goes_to_stdout(invoke: Callable[..., Cli],
                                                                           tmp_path: Path) -> None:
    (tmp_path / "md").mkdir()
    result = invoke("sweep", MODEL, *FAKE_BASE, "--nireq", "1,2", "-x", "-", "--export-markdown", "md/s.md",
                    runner=inprocess_runner(tmp_path / "points"))
    assert result.code == 0
    assert json.loads(result.out)["best"] == 1
    assert read_json(tmp_path / "md" / "best-config.json")["options"] == {"nireq": "2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["md", "points"]
    assert result.err.splitlines()[-1] == ("best configuration (-nireq 2) saved to md/best-config.json: replay it "
                                           "with infermeter run --load-config md/best-config.json")


def test_cli_sweep_without_a_file_saves_no_best_config(invoke: Callable[..., Cli], tmp_path: Path) -> None:
    result = invoke("sweep", MODEL, *FAKE_BASE, "--nireq", "1,2", runner=inprocess_runner(tmp_path / "points"))
    assert (result.code, result.err) == (0, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points"]
    assert result.out.splitlines()[-1] == ("best configuration (-nireq 2) not saved: the sweep writes no file; keep "
                                           "it with --save-best PATH, replayed by infermeter run --load-config PATH")


def test_cli_save_best_in_a_missing_folder_fails_before_measuring(invoke: Callable[..., Cli], tmp_path: Path) -> None:
    runner = Recorder(lambda call, nireq: good(nireq), [])
    result = invoke("sweep", MODEL, *FAKE_BASE, "--nireq", "1,2", "--save-best", "missing/b.json", runner=runner)
    assert (result.code, result.out) == (2, "")
    assert result.err == "infermeter: error: --save-best missing/b.json: folder missing does not exist\n"
    assert runner.calls == []


@pytest.mark.parametrize(("extra", "message"), [
    (("-x", "best-config.json"), "the best configuration's file best-config.json is also the file of "
                                 "-x/--export-json"),
    (("-x", "s.json", "--save-best", "s.json"), "--save-best s.json is also the file of -x/--export-json"),
])
def test_cli_best_config_never_overwrites_an_export(invoke: Callable[..., Cli], tmp_path: Path,
                                                    extra: tuple[str, ...], message: str) -> None:
    runner = Recorder(lambda call, nireq: good(nireq), [])
    result = invoke("sweep", MODEL, *FAKE_BASE, "--nireq", "1,2", *extra, runner=runner)
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"infermeter: error: {message}: give the best configuration another file with "
                          "--save-best PATH\n")
    assert runner.calls == []


def test_cli_json_to_stdout_is_one_document(invoke: Callable[..., Cli], tmp_path: Path) -> None:
    result = invoke("sweep", MODEL, *FAKE_BASE, "--nireq", "1,2", "-x", "-", "--no-save-best",
                    runner=inprocess_runner(tmp_path / "points"))
    assert result.code == 0
    assert "-nireq 2" in result.err  # progress and tables go to stderr
    data = json.loads(result.out)  # stdout is the JSON alone, once
    assert [p["throughput_items_per_s"] for p in data["points"]] == [1000.0, 1600.0]


def test_cli_json_to_stdout_last_document_is_the_whole_sweep(invoke: Callable[..., Cli], tmp_path: Path) -> None:
    result = invoke("sweep", MODEL, *FAKE_BASE, "--nireq", "1,2", "-x", "-", "--no-save-best",
                    runner=inprocess_runner(tmp_path / "points"))
    assert result.code == 0
    assert "-nireq 2" in result.err
    decoder, documents, position = json.JSONDecoder(), [], 0
    while position < len(result.out):
        document, position = decoder.raw_decode(result.out, position)
        documents.append(document)
        while position < len(result.out) and result.out[position].isspace():
            position += 1
    assert [p["throughput_items_per_s"] for p in documents[-1]["points"]] == [1000.0, 1600.0]


# --- runner: isolation, interruption, interleaving -----------------------------------------------------------


def test_a_failing_point_does_not_stop_the_sweep() -> None:
    def answers(call: int, nireq: str) -> Outcome:
        return Outcome(None, "crashed (signal 11): boom") if nireq == "2" else good(nireq)

    runner = Recorder(answers, [])
    updates: list[tuple[int, str | None]] = []
    sweep = run_sweep(fresh_sweep(), runner=runner,
                      on_update=lambda s, index, outcome: updates.append((index, outcome.error)))
    assert sorted(runner.order) == ["1", "2", "4"]
    assert runner.calls[0][:3] == ["zoo:m", "-e", "fake"]
    assert not sweep.interrupted and not sweep.partial
    assert [p.errors for p in sweep.points] == [(), ("crashed (signal 11): boom",), ()]
    assert [len(p.reports) for p in sweep.points] == [1, 0, 1]
    assert [p.throughput for p in sweep.points] == [1000.0, None, 4000.0]
    assert sweep.measured() == [0, 2]
    assert sorted(updates, key=lambda u: u[0]) == [(0, None), (1, "crashed (signal 11): boom"), (2, None)]


def test_a_report_with_an_error_counts_as_failed() -> None:
    def answers(call: int, nireq: str) -> Outcome:
        if nireq == "4":
            return Outcome(make_report(1000.0, [1.0] * 10, error="stopped"), "stopped")
        return Outcome(None, None) if nireq == "2" else good(nireq)

    sweep = run_sweep(fresh_sweep(), runner=Recorder(answers, []))
    assert [p.errors for p in sweep.points] == [(), ("no report",), ("stopped",)]
    assert [len(p.reports) for p in sweep.points] == [1, 0, 0]


@pytest.mark.parametrize("how", ["raise", "return"])
def test_interrupt_keeps_finished_points(how: str) -> None:
    def answers(call: int, nireq: str) -> Outcome:
        if call == 3:
            if how == "raise":
                raise KeyboardInterrupt
            return Outcome(None, None, interrupted=True)
        return good(nireq)

    runner = Recorder(answers, [])
    updates: list[int] = []
    sweep = run_sweep(fresh_sweep(("1", "2", "4", "8")), runner=runner,
                      on_update=lambda s, index, outcome: updates.append(index))
    assert len(runner.calls) == 3
    assert sweep.interrupted and sweep.partial
    finished = runner.order[:2]
    assert updates == [["1", "2", "4", "8"].index(n) for n in finished]
    assert [len(p.reports) for p in sweep.points] == [1 if p.options["nireq"] in finished else 0
                                                      for p in sweep.points]
    assert all(not p.errors for p in sweep.points)
    assert sweep.measured() == sorted(updates)


def test_repeat_interleaves_rounds_in_a_seeded_order() -> None:
    def run(seed: int) -> tuple[list[str], Sweep, list[int]]:
        runner = Recorder(lambda call, nireq: good(nireq), [])
        done: list[int] = []
        sweep = run_sweep(fresh_sweep(("1", "2", "4", "8"), repeat=3), seed=seed, runner=runner,
                          on_update=lambda s, i, o: done.append(sum(len(p.reports) for p in s.points)))
        return runner.order, sweep, done

    order, sweep, done = run(0)
    rounds = [order[0:4], order[4:8], order[8:12]]
    assert all(sorted(r, key=int) == ["1", "2", "4", "8"] for r in rounds)  # every point once per round
    assert rounds == [["4", "1", "2", "8"], ["8", "1", "4", "2"], ["2", "4", "8", "1"]]  # seed 0, pinned
    assert run(0)[0] == order  # same seed, same order
    assert run(1)[0] == ["2", "1", "4", "8", "2", "4", "8", "1", "2", "4", "1", "8"]  # seed 1, pinned
    assert [len(p.reports) for p in sweep.points] == [3, 3, 3, 3]
    assert done == list(range(1, 13))
    assert not sweep.partial


def test_timeout_is_passed_to_the_runner() -> None:
    seen: list[float | None] = []

    def runner(argv: list[str], timeout_s: float | None) -> Outcome:
        seen.append(timeout_s)
        return good(nireq_of(argv))

    run_sweep(fresh_sweep(("1", "2")), timeout_s=2.5, runner=runner)
    assert seen == [2.5, 2.5]


def test_point_args_and_grid() -> None:
    axes = {"nireq": ["1", "2"], "batch": ["1", "8"], "engine": ["fake"]}
    assert grid(axes) == [{"nireq": "1", "batch": "1", "engine": "fake"},
                          {"nireq": "1", "batch": "8", "engine": "fake"},
                          {"nireq": "2", "batch": "1", "engine": "fake"},
                          {"nireq": "2", "batch": "8", "engine": "fake"}]
    assert point_args({"nireq": "4", "batch": "8", "hint": "latency"}) == ["-nireq", "4", "-b", "8", "-hint",
                                                                           "latency"]
    assert SweepPoint({"nireq": "4", "batch": "8"}).label == "-nireq 4 -b 8"


# --- run_point_subprocess: real children ---------------------------------------------------------------------


@pytest.fixture
def child_env(monkeypatch: pytest.MonkeyPatch, zoo_cache: Path) -> None:
    monkeypatch.setenv("INFERMETER_CACHE_DIR", str(zoo_cache))


@pytest.mark.usefixtures("child_env")
def test_subprocess_point_that_fails() -> None:
    outcome = run_point_subprocess([MODEL, "-e", "fake", "--fake-fail-at", "1", "-niter", "10"], 60)
    assert outcome == Outcome(None, FAIL_AT_1)


@pytest.mark.usefixtures("child_env")
def test_subprocess_point_timeout() -> None:
    outcome = run_point_subprocess([MODEL, "-e", "fake", "-niter", "10"], 0.01)
    assert outcome == Outcome(None, "no result within --point-timeout 0.01 s (the run was killed)")


FAKE_CHILD = """#!/bin/sh
out=""
prev=""
for arg in "$@"; do
  if [ "$prev" = "-x" ]; then out="$arg"; fi
  prev="$arg"
done
case "$FAKE_CHILD" in
  segv) echo "Fatal Python error: Segmentation fault" >&2; kill -s SEGV $$ ;;
  sigint) exit 130 ;;
  silent) exit 0 ;;
  garbage) echo "{not json" > "$out"; exit 0 ;;
  error) echo "loading" >&2; echo "infermeter: error: model file not found: x.onnx" >&2; echo "bye" >&2; exit 2 ;;
  partial) cp "$FAKE_REPORT" "$out"; echo "infermeter: error: stopped early" >&2; exit 1 ;;
  notvalid) cp "$FAKE_REPORT" "$out"; exit 3 ;;
esac
"""


@pytest.fixture
def fake_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Outcome]]:
    """``sys.executable`` replaced by a shell script that behaves as MODE says (a real child process)."""
    script = tmp_path / "fake-python"
    script.write_text(FAKE_CHILD, encoding="utf-8")
    script.chmod(0o755)

    def run(mode: str) -> Outcome:
        monkeypatch.setenv("FAKE_CHILD", mode)
        return run_point_subprocess([MODEL, "-e", "fake"], 30)

    monkeypatch.setattr(sys, "executable", str(script))
    yield run


def test_subprocess_point_killed_by_a_signal(fake_child: Callable[[str], Outcome]) -> None:
    assert fake_child("segv") == Outcome(None, "crashed (signal 11): Fatal Python error: Segmentation fault")


def test_subprocess_point_interrupted(fake_child: Callable[[str], Outcome]) -> None:
    assert fake_child("sigint") == Outcome(None, None, interrupted=True)


def test_subprocess_point_without_report(fake_child: Callable[[str], Outcome]) -> None:
    assert fake_child("silent") == Outcome(None, "exit code 0")
    assert fake_child("error") == Outcome(None, "model file not found: x.onnx")


def test_subprocess_point_unreadable_report(fake_child: Callable[[str], Outcome]) -> None:
    outcome = fake_child("garbage")
    assert outcome.report is None and not outcome.interrupted
    assert outcome.error is not None and outcome.error.startswith("unreadable report: ")


@pytest.mark.parametrize(("mode", "error"), [("partial", "stopped early"), ("notvalid", None)])
def test_subprocess_point_with_a_report(fake_child: Callable[[str], Outcome], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch, mode: str, error: str | None) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(make_report(2000.0, [1.0] * 10).to_dict()), encoding="utf-8")
    monkeypatch.setenv("FAKE_REPORT", str(path))
    outcome = fake_child(mode)
    assert outcome.error == error
    assert outcome.report is not None and outcome.report.run is not None
    assert outcome.report.run.throughput == 2000.0


# --- CLI details ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [[], ["--nireq", "4"], ["--nireq", "4..4"], ["-b", "2"]])
def test_nothing_to_sweep(invoke: Callable[..., Cli], extra: list[str]) -> None:
    result = invoke("sweep", MODEL, "-e", "fake", *extra, runner=Recorder(lambda c, n: good(n), []))
    assert result.code == 2
    assert result.err == ("infermeter: error: sweep: nothing to sweep; give a list or range, e.g. --nireq 1,2,4,8 "
                          "or -b 1..8:x2\n")


def test_two_exports_to_stdout(invoke: Callable[..., Cli]) -> None:
    runner = Recorder(lambda c, n: good(n), [])
    result = invoke("sweep", MODEL, "-e", "fake", "--nireq", "1,2", "-x", "-", "--export-csv", "-", runner=runner)
    assert result.code == 2
    assert result.err == ("infermeter: error: only one export can go to stdout ('-'): -x/--export-json and "
                          "--export-csv both ask for it\n")
    assert runner.calls == []


@pytest.mark.parametrize(("args", "message"), [
    (["--nireq", "4..1"], "-nireq '4..1': expected LOW..HIGH"),
    (["-b", "1,1"], "-b '1,1': a value is listed twice"),
    (["--nireq", "1,2", "--repeat", "0"], "--repeat must be 1 or more, got 0"),
    (["--nireq", "1,2", "--repeat", "x"], "--repeat expects an integer, got 'x'"),
    (["--nireq", "1,2", "--seed-order", "-1"], "--seed-order must be 0 or more, got -1"),
    (["--nireq", "1,2", "--slo", "p99"], "--slo 'p99': expected METRIC<=TIME"),
])
def test_usage_errors(invoke: Callable[..., Cli], args: list[str], message: str) -> None:
    runner = Recorder(lambda c, n: good(n), [])
    result = invoke("sweep", MODEL, "-e", "fake", *args, runner=runner)
    assert result.code == 2
    assert result.err.startswith("infermeter: error: " + message)
    assert runner.calls == []


NIREQ_12 = {"nireq": ["1", "2"]}


@pytest.mark.parametrize(("argv", "axes", "kept"), [
    (["sweep", MODEL, "-e", "fake", "--nireq", "1,2", "-niter", "400", "-t", "1"], NIREQ_12,
     ["-e", "fake", "-niter", "400", "-t", "1"]),
    (["sweep", MODEL, "-nireq", "1,2", "-e", "fake"], NIREQ_12, ["-e", "fake"]),
    (["sweep", MODEL, "--number_infer_requests", "1,2", "-e", "fake"], NIREQ_12, ["-e", "fake"]),
    (["sweep", MODEL, "--nireq=1,2", "-e", "fake"], NIREQ_12, ["-e", "fake"]),
    (["sweep", "-e", "fake", "-m", MODEL, "--nireq", "1,2", "-niter", "10"], NIREQ_12,
     ["-e", "fake", "-niter", "10"]),
    (["sweep", "--model", MODEL, "--nireq", "1,2"], NIREQ_12, []),
    (["sweep", "-e", "fake", "--nireq", "1,2", MODEL, "-t", "1"], NIREQ_12, ["-e", "fake", "-t", "1"]),
    (["sweep", MODEL, "-e", "fake", "--nireq", "1,2", "--repeat", "3", "--goal", "latency", "-x", "out.json",
      "--save-best", "x.json", "--no-save-best", "-q", "-niter", "400", "--slo", "p99<=3ms", "--metric", "p99",
      "--point-timeout", "5", "--seed-order", "2", "--export-markdown", "s.md", "--export-csv", "s.csv",
      "--export-csv-samples", "t.csv", "--html", "s.html", "--debug", "--quiet", "--repeat=2"], NIREQ_12,
     ["-e", "fake", "-niter", "400"]),
    (["sweep", MODEL, "-e", "fake,onnxruntime", "-b", "1,8", "-nireq", "4", "-d", "CPU"],
     {"engine": ["fake", "onnxruntime"], "batch": ["1", "8"]}, ["-nireq", "4", "-d", "CPU"]),
    (["sweep", MODEL, "--batch_size", "1..8:x2", "--engine", "fake", "-nstreams", "2"], {"batch": ["1", "2"]},
     ["--engine", "fake", "-nstreams", "2"]),
])
def test_base_arguments(argv: list[str], axes: dict[str, list[str]], kept: list[str]) -> None:
    assert base_arguments(argv, axes, MODEL) == kept


def test_base_arguments_in_the_sweep_json(invoke: Callable[..., Cli], tmp_path: Path) -> None:
    runner = Recorder(lambda c, n: good(n), [])
    result = invoke("sweep", "-m", MODEL, "-e", "fake", "--number_infer_requests", "1,2", "-t", "1", "--repeat", "2",
                    "-x", "s.json", "--no-save-best", "-q", runner=runner)
    assert result.code == 0
    assert read_json(tmp_path / "s.json")["base_args"] == ["-e", "fake", "-t", "1"]
    assert sorted(runner.calls) == [[MODEL, "-e", "fake", "-t", "1", "-nireq", "1"]] * 2 + [
        [MODEL, "-e", "fake", "-t", "1", "-nireq", "2"]] * 2


def test_sweep_json_round_trip() -> None:
    points = (point("1", 1000.0, 1.0), point("2", 2000.0, 2.0, 4.0), failed_point("4", "exit code 1: boom"),
              SweepPoint({"nireq": "8"}, point("8", 4000.0, 3.0).reports, ("no report",)))
    sweep = Sweep(model="zoo:m", axes={"nireq": ["1", "2", "4", "8"]}, points=points, repeat=2, metric="p99",
                  goal="latency", slo=Slo("p99", 5 * MS), command=("infermeter", "sweep", "zoo:m"),
                  interrupted=True, base_args=("-e", "fake"))
    data = json.loads(json.dumps(sweep.to_dict()))
    back = Sweep.from_dict(data)
    assert back.to_dict() == data
    assert (back.model, back.axes, back.repeat, back.metric, back.goal, back.slo, back.command, back.interrupted,
            back.base_args) == ("zoo:m", sweep.axes, 2, "p99", "latency", Slo("p99", 5 * MS),
                                ("infermeter", "sweep", "zoo:m"), True, ("-e", "fake"))
    assert [p.options for p in back.points] == [p.options for p in points]
    assert [p.errors for p in back.points] == [(), (), ("exit code 1: boom",), ("no report",)]
    assert [len(p.reports) for p in back.points] == [1, 1, 0, 1]
    assert [p.throughput for p in back.points] == [1000.0, 2000.0, None, 4000.0]
    assert [p.latency_ns("p99") for p in back.points] == [1 * MS, 4 * MS, None, 3 * MS]
    assert back.partial
    assert (data["partial"], data["pareto"], data["knee"], data["best"]) == (True, [0, 1], None, 0)


def test_summary_line_with_failures() -> None:
    sweep = Sweep("zoo:m", {"nireq": ["1", "2", "4"]},
                  (point("1", 1000.0, 1.0), failed_point("2"), point("4", 2500.0, 2.5)))
    assert sweep_summary_line(sweep) == ("2 of 3 points measured, 1 failed · best (throughput): -nireq 4 2,500.0 "
                                         "items/s, median 2.500 ms")
    nothing = Sweep("zoo:m", {"nireq": ["1", "2"]}, (failed_point("1"), failed_point("2")))
    assert sweep_summary_line(nothing) == "0 of 2 points measured, 2 failed"


def test_cli_failing_point_with_real_subprocesses(invoke: Callable[..., Cli], tmp_path: Path) -> None:
    """-nireq 0 is refused by `infermeter run`: that point fails, -nireq 1 is measured, exit 1, one line."""
    result = invoke("sweep", MODEL, *FAKE_BASE, "--nireq", "1,0", "-x", "s.json")
    assert result.code == 1
    assert result.err.splitlines() == [
        "infermeter: error: 1 of 2 points failed; first: -nireq 0: -nireq must be 1 or more, got 0"]
    data = read_json(tmp_path / "s.json")
    assert [p["errors"] for p in data["points"]] == [[], ["-nireq must be 1 or more, got 0"]]
    assert [p["throughput_items_per_s"] for p in data["points"]] == [1000.0, None]
    assert (data["best"], data["partial"]) == (0, False)
    assert read_json(tmp_path / "best-config.json")["options"] == {"nireq": "1"}
    assert result.out.splitlines()[:2] == [  # --seed-order 0 measures them in the order given
        "[1/2] -nireq 1: 1,000.0 items/s, median 1.000 ms",
        "[2/2] -nireq 0: failed: -nireq must be 1 or more, got 0"]


def test_cli_interrupted_sweep_keeps_finished_points(invoke: Callable[..., Cli], tmp_path: Path) -> None:
    def answers(call: int, nireq: str) -> Outcome:
        if call == 3:
            raise KeyboardInterrupt
        return good(nireq)

    runner = Recorder(answers, [])
    result = invoke("sweep", MODEL, "-e", "fake", "--nireq", "1,2,4,8", "-x", "s.json", "--no-save-best", "-q",
                    runner=runner)
    assert result.code == 130
    assert result.err.splitlines() == [
        "infermeter: interrupted: finished points are reported, the sweep is partial"]
    data = read_json(tmp_path / "s.json")
    assert (data["interrupted"], data["partial"]) == (True, True)
    finished = runner.order[:2]
    assert [len(p["reports"]) for p in data["points"]] == [1 if p["options"]["nireq"] in finished else 0
                                                           for p in data["points"]]
    assert result.out == f"2 of 4 points measured · best (throughput): -nireq {max(finished, key=int)} " \
                         f"{int(max(finished, key=int)) * 1000:,}.0 items/s, median 1.000 ms\n"


# --- bugs the first version of this file found (all fixed) ---------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "0", "-5"])
def test_point_timeout_not_a_duration_is_a_usage_error(invoke: Callable[..., Cli], value: str) -> None:
    runner = Recorder(lambda c, n: good(n), [])
    result = invoke("sweep", MODEL, "-e", "fake", "--nireq", "1,2", "--point-timeout", value, runner=runner)
    assert result.code == 2
    assert "--point-timeout" in result.err and "internal error" not in result.err


def test_point_timeout_takes_durations(invoke: Callable[..., Cli]) -> None:
    runner = Recorder(lambda c, n: good(n), [])
    result = invoke("sweep", MODEL, "-e", "fake", "--nireq", "1,2", "--point-timeout", "5s", "--no-save-best",
                    "-q", runner=runner)
    assert result.code == 0 and len(runner.calls) == 2


def test_optional_value_flag_before_the_model(invoke: Callable[..., Cli]) -> None:
    runner = Recorder(lambda c, n: good(n), [])
    result = invoke("sweep", "-progress", MODEL, "-e", "fake", "--nireq", "1,2", "--no-save-best", "-q",
                    runner=runner)
    assert result.code == 0
    assert len(runner.calls) == 2


def test_single_value_range_is_a_run_option(invoke: Callable[..., Cli], tmp_path: Path) -> None:
    result = invoke("sweep", MODEL, *FAKE_BASE, "--nireq", "1,2", "-b", "1..1", "--no-save-best", "-q",
                    runner=inprocess_runner(tmp_path / "points"))
    assert result.code == 0


def test_base_arguments_attached_export_value() -> None:
    assert base_arguments(["sweep", MODEL, "-xout.json", "--nireq", "1,2"], NIREQ_12, MODEL) == []
