"""Varying inputs, pacing and compile-only runs, with exact numbers on the fake engine's virtual clock.

The fake engine counts calls from 1 over the whole run: call 1 is the first inference, then warm-up, then
measurement. With ``cycle:1ms,2ms,3ms`` and no warm-up, measured request k (from 0) is call k + 2 and takes
``CYCLE[(k + 1) % 3]``: 2, 3, 1, 2, 3, 1, ... ms.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console

from conftest import _save, _value
from infermeter.cli import main
from infermeter.clock import FakeClock
from infermeter.config.benchmark import build_config
from infermeter.config.output import OutputOptions
from infermeter.config.values import ShapeOverride
from infermeter.engines.base import AsyncSession, RuntimeInfo, Session
from infermeter.errors import UsageError
from infermeter.inputs.feed import InputFeed
from infermeter.measure import run as app
from infermeter.reporters.console import render_report, summary_line
from infermeter.reporters.extras import render_extras, render_groups
from infermeter.results.report import Report, RunResult
from infermeter.runs.files import load_report
from infermeter.scenarios.feed import CyclingSession, Pacer
from infermeter.stats.latency import nearest_rank

MS = 1_000_000
S = 1_000_000_000
CYCLE = "cycle:1ms,2ms,3ms"
THREE_SHAPES = "[1,3,224,224][1,3,112,112][1,3,64,64]"
LABELS = ("input[1,3,224,224]", "input[1,3,112,112]", "input[1,3,64,64]")


def fake_run(niter: int, **options: Any) -> Report:
    options.setdefault("api", "sync")
    options.setdefault("fake_latency", CYCLE)
    if "warmup" not in options:
        options["no_warmup"] = True
    return app.run(build_config("zoo:resnet18", engine="fake", niter=niter, **options))


def measured(report: Report) -> RunResult:
    assert report.error is None
    assert report.run is not None
    return report.run


def round_trip(report: Report) -> Report:
    return Report.from_dict(json.loads(json.dumps(report.to_dict())))


def record_console() -> Console:
    return Console(record=True, width=200, file=io.StringIO(), color_system=None)


def group_summary(run: RunResult) -> list[tuple[str, float | None, int, int | None, int | None]]:
    return [(label, stats.median, count, stats.minimum, stats.maximum) for label, stats, count in run.group_stats()]


# ------------------------------------------------------------------------------------------ -data_shape


def test_three_shape_groups_exact() -> None:
    run = measured(fake_run(10, data_shape=THREE_SHAPES))
    assert run.groups is not None
    assert run.groups.tolist() == [k % 3 for k in range(10)]
    assert run.group_labels == LABELS
    assert run.latency_ns.tolist() == [v * MS for v in (2, 3, 1, 2, 3, 1, 2, 3, 1, 2)]
    # group g always gets call (k + 2) with k % 3 == g: one latency per group
    assert group_summary(run) == [(LABELS[0], 2.0 * MS, 4, 2 * MS, 2 * MS), (LABELS[1], 3.0 * MS, 3, 3 * MS, 3 * MS),
                                  (LABELS[2], 1.0 * MS, 3, 1 * MS, 1 * MS)]
    assert run.start_ns.tolist() == [v * MS for v in (1, 3, 6, 7, 9, 12, 13, 15, 18, 19)]
    assert run.count == 10
    assert run.throughput == pytest.approx(10 / 0.020)


def test_two_shape_groups_exact() -> None:
    run = measured(fake_run(8, data_shape="[1,3,224,224][1,3,112,112]", fake_latency="cycle:1ms,2ms,3ms,4ms"))
    assert run.groups is not None
    assert run.groups.tolist() == [0, 1, 0, 1, 0, 1, 0, 1]
    # request k is call k + 2: 2, 3, 4, 1, 2, 3, 4, 1 ms
    assert run.latency_ns.tolist() == [v * MS for v in (2, 3, 4, 1, 2, 3, 4, 1)]
    assert group_summary(run) == [(LABELS[0], 3.0 * MS, 4, 2 * MS, 4 * MS), (LABELS[1], 2.0 * MS, 4, 1 * MS, 3 * MS)]
    stats = {label: s for label, s, _ in run.group_stats()}
    assert stats[LABELS[0]].mean == 3.0 * MS
    assert stats[LABELS[1]].mean == 2.0 * MS


def test_two_shape_groups_with_the_three_step_cycle() -> None:
    run = measured(fake_run(12, data_shape="[1,3,224,224][1,3,112,112]"))
    assert run.groups is not None
    assert run.groups.tolist() == [k % 2 for k in range(12)]
    # group 0 gets k = 0, 2, 4, …: 2, 1, 3, 2, 1, 3 ms; group 1 gets 3, 2, 1, 3, 2, 1 ms
    assert group_summary(run) == [(LABELS[0], 2.0 * MS, 6, 1 * MS, 3 * MS), (LABELS[1], 2.0 * MS, 6, 1 * MS, 3 * MS)]


def test_warmup_does_not_shift_the_groups() -> None:
    # calls 2..6 are warm-up, so measured request k is call k + 7 and takes CYCLE[k % 3]; the feed restarts at set 0
    run = measured(fake_run(10, data_shape=THREE_SHAPES, warmup="5it"))
    assert run.groups is not None
    assert run.groups.tolist() == [k % 3 for k in range(10)]
    assert group_summary(run) == [(LABELS[0], 1.0 * MS, 4, 1 * MS, 1 * MS), (LABELS[1], 2.0 * MS, 3, 2 * MS, 2 * MS),
                                  (LABELS[2], 3.0 * MS, 3, 3 * MS, 3 * MS)]


def test_repeated_shape_is_one_group() -> None:
    run = measured(fake_run(9, data_shape="[1,3,224,224][1,3,112,112][1,3,224,224]"))
    assert run.group_labels == LABELS[:2]
    assert run.groups is not None
    assert run.groups.tolist() == [0, 1, 0] * 3
    # sets 0 and 2 (2 ms and 1 ms) are both the first shape
    assert group_summary(run) == [(LABELS[0], 1.5 * MS, 6, 1 * MS, 2 * MS), (LABELS[1], 3.0 * MS, 3, 3 * MS, 3 * MS)]


def test_shape_groups_in_the_model_section() -> None:
    report = fake_run(3, data_shape=THREE_SHAPES)
    assert report.model.shape_groups == tuple(LABELS)
    assert report.model.input_sets == 3
    assert report.model.full_mode is True  # several data shapes: full mode by default
    assert report.model.inputs[0].shape == (1, 3, 224, 224)  # the first group is the one described
    assert report.config.data_shapes[1] == (ShapeOverride(None, (1, 3, 112, 112)),)
    assert report.notes == ()


def test_inference_only_with_shape_groups() -> None:
    report = fake_run(10, data_shape=THREE_SHAPES, inference_only="true")
    run = measured(report)
    assert report.model.full_mode is False
    assert report.notes == ("-inference_only true with several data shapes: each shape keeps its own bound request "
                            "(inputs are not set inside the timed loop)",)
    assert run.groups is not None
    assert run.groups.tolist() == [k % 3 for k in range(10)]
    assert [count for _, _, count in run.group_stats()] == [4, 3, 3]


def test_one_data_shape_is_no_group() -> None:
    report = fake_run(4, data_shape="[1,3,64,64]")
    run = measured(report)
    assert run.groups is None
    assert run.group_stats() == []
    assert report.model.inputs[0].shape == (1, 3, 64, 64)
    assert report.model.shape_groups == ()
    assert report.model.full_mode is False


def test_async_fake_run_has_no_per_shape_statistics() -> None:
    # documented: the fake engine keeps its virtual-parallel requests with varying inputs (methodology.md)
    report = fake_run(6, data_shape=THREE_SHAPES, api="async", nireq=2, fake_latency="5ms")
    run = measured(report)
    assert run.groups is None
    assert run.count == 6
    assert run.latency_ns.tolist() == [5 * MS] * 6
    console = record_console()
    render_groups(report, console)
    assert "statistics per shape: one shape only, or failed requests broke the order" in console.export_text()


def named_inputs_model(directory: Path) -> Path:
    """tokens int64 [batch, sequence] and features float32 [batch, 4]."""
    from onnx import TensorProto, helper

    return _save(directory, "two_inputs",
                 [helper.make_node("Identity", ["tokens"], ["tokens_out"]),
                  helper.make_node("Relu", ["features"], ["features_out"])],
                 [_value("tokens", TensorProto.INT64, ["batch", "sequence"]),
                  _value("features", TensorProto.FLOAT, ["batch", 4])],
                 [_value("tokens_out", TensorProto.INT64, ["batch", "sequence"]),
                  _value("features_out", TensorProto.FLOAT, ["batch", 4])])


@pytest.fixture(scope="module")
def two_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("onnx")
    return named_inputs_model(tmp_path_factory.mktemp("feeds"))


def run_model(model: Path, niter: int, **options: Any) -> Report:
    options.setdefault("api", "sync")
    options.setdefault("fake_latency", CYCLE)
    return app.run(build_config(str(model), engine="fake", niter=niter, no_warmup=True, **options))


def test_named_data_shapes_on_two_inputs(two_inputs: Path) -> None:
    run = measured(run_model(two_inputs, 6, data_shape="tokens[1,8][1,16][1,32],features[1,4]"))
    assert run.group_labels == ("tokens[1,8],features[1,4]", "tokens[1,16],features[1,4]",
                                "tokens[1,32],features[1,4]")
    assert run.groups is not None
    assert run.groups.tolist() == [0, 1, 2, 0, 1, 2]
    assert [(label, stats.median) for label, stats, _ in run.group_stats()] == [
        ("tokens[1,8],features[1,4]", 2.0 * MS), ("tokens[1,16],features[1,4]", 3.0 * MS),
        ("tokens[1,32],features[1,4]", 1.0 * MS)]


def test_data_shape_for_an_unknown_input(two_inputs: Path) -> None:
    with pytest.raises(UsageError, match=r"^-data_shape: the model has no input 'nosuch'; inputs: tokens, features$"):
        run_model(two_inputs, 2, data_shape="nosuch[1,8]")


def test_data_shape_with_input_files_refused(npy: Any) -> None:
    path = npy("x", np.zeros((1, 3, 8, 8), np.float32))
    with pytest.raises(UsageError) as info:
        fake_run(2, data_shape="[1,3,8,8][1,3,16,16]", inputs=str(path))
    assert str(info.value) == f"-data_shape with -i {path}: the files fix the data shapes; give one or the other"
    with pytest.raises(UsageError) as info:
        fake_run(2, data_shape="[1,3,8,8][1,3,16,16]", inputs=f"input:{path}")
    assert str(info.value) == (f"-data_shape with -i input:{path}: the files fix the data shapes; give one or the "
                               "other")


def test_groups_survive_json(tmp_path: Path) -> None:
    report = fake_run(10, data_shape=THREE_SHAPES)
    data = report.to_dict()
    assert data["run"]["samples"]["group"] == [k % 3 for k in range(10)]
    assert data["run"]["group_labels"] == list(LABELS)
    assert [(g["label"], g["count"], g["latency"]["median_ns"]) for g in data["run"]["groups"]] == [
        (LABELS[0], 4, 2.0 * MS), (LABELS[1], 3, 3.0 * MS), (LABELS[2], 3, 1.0 * MS)]
    again = measured(round_trip(report))
    assert again.groups is not None
    assert again.groups.tolist() == [k % 3 for k in range(10)]
    assert again.group_labels == LABELS
    assert group_summary(again) == group_summary(measured(report))
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = measured(load_report(path))
    assert group_summary(loaded) == group_summary(measured(report))


def test_run_without_groups_survives_json() -> None:
    report = fake_run(3)
    assert "group" not in report.to_dict()["run"]["samples"]
    assert "groups" not in report.to_dict()["run"]
    again = measured(round_trip(report))
    assert again.groups is None
    assert again.group_labels == ()


def test_pcseq_prints_the_groups() -> None:
    report = fake_run(10, data_shape=THREE_SHAPES)
    for shown in (report, round_trip(report)):
        console = record_console()
        render_extras(shown, console, OutputOptions(per_shape=True))
        text = console.export_text()
        assert "Latency per data shape" in text
        rows = [line for line in text.splitlines() if "input[" in line]
        assert [[cell.strip() for cell in row.strip("│ ").split("│")] for row in rows] == [
            [LABELS[0], "4", "2.000 ms", "2.000 ms", "2.000 ms", "2.000 ms"],
            [LABELS[1], "3", "3.000 ms", "3.000 ms", "3.000 ms", "3.000 ms"],
            [LABELS[2], "3", "1.000 ms", "1.000 ms", "1.000 ms", "1.000 ms"]]


def test_without_pcseq_nothing_extra_is_printed() -> None:
    console = record_console()
    render_extras(fake_run(10, data_shape=THREE_SHAPES), console, OutputOptions())
    assert console.export_text() == ""


def test_pcseq_with_one_shape_says_so() -> None:
    console = record_console()
    render_extras(fake_run(3), console, OutputOptions(per_shape=True))
    assert console.export_text().strip() == "statistics per shape: one shape only, or failed requests broke the order"


def test_latency_percentile_line() -> None:
    # sorted samples: 1 1 1 2 2 2 2 3 3 3 ms; p30 nearest rank = 3rd = 1 ms; interpolated rank 2.7 -> 1.7 ms
    console = record_console()
    render_extras(fake_run(10), console, OutputOptions(latency_percentile=30))
    assert console.export_text().strip() == ("latency p30: 1.000 ms (nearest rank, as benchmark_app) · 1.700 ms "
                                             "(interpolated)")


def test_pcseq_through_the_command_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    code = main(["run", "zoo:resnet18", "-e", "fake", "-api", "sync", "-niter", "6", "--no-warmup", "--fake-latency",
                 CYCLE, "-data_shape", "[1,3,224,224][1,3,112,112]", "-pcseq", "-x", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Latency per data shape" in printed
    assert LABELS[0] in printed and LABELS[1] in printed
    run = measured(load_report(out))
    assert run.groups is not None
    assert run.groups.tolist() == [0, 1, 0, 1, 0, 1]


# ------------------------------------------------------------------------------------------ -inference_only false


def test_full_mode_with_one_input_set_is_exact() -> None:
    report = fake_run(6, inference_only="false")
    run = measured(report)
    assert report.model.full_mode is True
    assert report.model.input_sets == 1
    assert run.groups is None
    assert run.latency_ns.tolist() == [v * MS for v in (2, 3, 1, 2, 3, 1)]
    assert run.start_ns.tolist() == [1 * MS, 3 * MS, 6 * MS, 7 * MS, 9 * MS, 12 * MS]
    assert run.throughput == pytest.approx(6 / 0.012)
    assert report.config.inference_only is False


def test_inference_only_default_binds_once() -> None:
    report = fake_run(3)
    assert report.model.full_mode is False
    assert report.model.input_sets == 1


# ------------------------------------------------------------------------------------------ -max_irate


def expected_paced_starts(first_ns: int, latencies_ms: Sequence[int], interval_ns: int) -> list[int]:
    """Sync: request k+1 starts at max(start k + interval, end k) — never earlier, never a burst."""
    starts = [first_ns]
    for latency in latencies_ms[:-1]:
        starts.append(max(starts[-1] + interval_ns, starts[-1] + latency * MS))
    return starts


@pytest.mark.parametrize("rate", [100, 250, "40", 33.5])
def test_max_irate_sync_start_times(rate: float | str) -> None:
    run = measured(fake_run(9, max_irate=rate))
    interval = round(1e9 / float(rate))
    assert interval > 3 * MS  # slower than any request: every start is on the schedule
    origin = int(run.start_ns[0])
    assert origin == 1 * MS  # right after the first inference
    assert (run.start_ns - origin).tolist() == [k * interval for k in range(9)]
    assert run.latency_ns.tolist() == [v * MS for v in (2, 3, 1, 2, 3, 1, 2, 3, 1)]  # the wait is not latency
    assert run.window_ns == 8 * interval + 1 * MS
    assert run.throughput == pytest.approx(9 * 1e9 / (8 * interval + 1 * MS))


def test_max_irate_caps_throughput() -> None:
    run = measured(fake_run(101, max_irate=200, fake_latency="1ms"))
    assert run.window_ns == 100 * 5 * MS + 1 * MS
    # 101 starts 5 ms apart: the window holds 100 intervals + the last request, so the rate is 101/0.501 s
    assert run.throughput == pytest.approx(101 * 1e9 / (501 * MS))
    assert run.requests_per_second == pytest.approx(201.6, abs=0.01)


def test_no_cap_runs_back_to_back() -> None:
    run = measured(fake_run(6, max_irate=0))
    assert np.array_equal(run.start_ns[1:], run.end_ns[:-1])


def test_max_irate_never_bursts_after_a_late_request() -> None:
    latencies = [25, 1, 1, 1, 25, 1, 1, 1]  # calls 2..9 of cycle:1ms,25ms,1ms,1ms
    run = measured(fake_run(8, max_irate=100, fake_latency="cycle:1ms,25ms,1ms,1ms"))
    assert run.latency_ns.tolist() == [v * MS for v in latencies]
    assert run.start_ns.tolist() == expected_paced_starts(1 * MS, latencies, 10 * MS)
    assert run.start_ns.tolist() == [v * MS for v in (1, 26, 36, 46, 56, 81, 91, 101)]
    gaps = np.diff(run.start_ns)
    assert int(gaps.min()) >= 10 * MS  # a late request never lets the next ones catch up


def test_max_irate_async_start_times() -> None:
    run = measured(fake_run(8, max_irate=100, api="async", nireq=2, fake_latency="5ms"))
    origin = int(run.start_ns[0])
    assert (run.start_ns - origin).tolist() == [k * 10 * MS for k in range(8)]
    assert run.latency_ns.tolist() == [5 * MS] * 8
    assert run.throughput == pytest.approx(8 * 1e9 / (70 * MS + 5 * MS))


def test_max_irate_async_slots_busy_no_burst() -> None:
    # 2 slots of 35 ms at 100/s: a slot frees only every 35 ms, so starts follow the slots, then the schedule
    run = measured(fake_run(6, max_irate=100, api="async", nireq=2, fake_latency="35ms"))
    origin = int(run.start_ns[0])
    assert (run.start_ns - origin).tolist() == [v * MS for v in (0, 10, 35, 45, 70, 80)]
    assert int(np.diff(run.start_ns).min()) >= 10 * MS


def test_max_irate_with_warmup_keeps_the_spacing() -> None:
    run = measured(fake_run(5, max_irate=50, warmup="3it", fake_latency="1ms"))
    assert np.diff(run.start_ns).tolist() == [20 * MS] * 4


# ------------------------------------------------------------------------------------------ Pacer


def test_pacer_on_a_fake_clock() -> None:
    clock = FakeClock(5 * MS)
    pace = Pacer(100, clock)
    assert pace.interval_ns == 10 * MS
    pace()  # the first request starts at once
    assert clock() == 5 * MS
    pace()
    assert clock() == 15 * MS
    clock.advance(2 * MS)  # a short request: wait for the schedule
    pace()
    assert clock() == 25 * MS
    clock.advance(30 * MS)  # a late request (now 55 ms, due 35 ms): no wait…
    pace()
    assert clock() == 55 * MS
    pace()  # …and the schedule restarts from it: no burst
    assert clock() == 65 * MS


@pytest.mark.parametrize(("rate", "interval"), [(1, S), (3, 333_333_333), (1e3, MS), (2e9, 1), (1e12, 1)])
def test_pacer_interval(rate: float, interval: int) -> None:
    assert Pacer(rate, FakeClock()).interval_ns == interval


def test_pacer_is_shared_by_threads() -> None:
    clock = FakeClock()
    pace = Pacer(1000, clock)
    calls = 40

    def worker() -> None:
        for _ in range(calls // 4):
            pace()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock() == (calls - 1) * MS  # every call took one slot of the schedule, none was lost


def test_pacer_sleeps_on_a_real_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000 * MS]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += round(seconds * 1e9)

    monkeypatch.setattr("time.sleep", sleep)
    pace = Pacer(50, lambda: now[0])
    pace()
    assert slept == []
    now[0] += 5 * MS
    pace()
    assert slept == [pytest.approx(0.015)]
    now[0] += 40 * MS
    pace()
    assert len(slept) == 1  # late: no sleep


# ------------------------------------------------------------------------------------------ CyclingSession


class StubSession:
    def __init__(self, log: list[tuple[int, np.ndarray]], number: int, inputs: Mapping[str, np.ndarray]) -> None:
        self.log = log
        self.number = number
        self.inputs = inputs

    def infer(self) -> None:
        self.log.append((self.number, self.inputs["x"].copy()))


class StubCompiled:
    """Records every session created and, per call, which session ran with what in its bound buffer."""

    def __init__(self) -> None:
        self.runtime = RuntimeInfo(precision="none")
        self.sessions: list[StubSession] = []
        self.log: list[tuple[int, np.ndarray]] = []

    def create_session(self, inputs: Mapping[str, np.ndarray]) -> Session:
        session = StubSession(self.log, len(self.sessions), inputs)
        self.sessions.append(session)
        return session

    def create_async_session(self, slot_inputs: Sequence[Mapping[str, np.ndarray]]) -> AsyncSession | None:
        return None

    def layer_counters(self) -> list[Any]:
        return []

    def finish(self) -> None:
        return None


def three_sets() -> list[dict[str, np.ndarray]]:
    return [{"x": np.full((2, 2), float(k), np.float32)} for k in range(3)]


def test_copy_in_copies_each_sample_into_the_bound_buffer() -> None:
    sets = three_sets()
    feed = InputFeed(sets, [0, 0, 1], ["a", "b"], copy_in=True)
    compiled = StubCompiled()
    session = CyclingSession(compiled, feed)
    assert len(compiled.sessions) == 2  # one bound request per shape group
    bound = compiled.sessions[0].inputs["x"]
    assert not np.shares_memory(bound, sets[0]["x"])  # a private buffer, not the caller's array
    for _ in range(7):
        session.infer()
    assert [number for number, _ in compiled.log] == [0, 0, 1, 0, 0, 1, 0]
    assert [float(seen[0, 0]) for _, seen in compiled.log] == [0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0]
    assert compiled.sessions[0].inputs["x"] is bound  # the same buffer, its content changed per call
    assert float(bound[0, 0]) == 0.0
    assert sets[1]["x"][0, 0] == 1.0  # the samples themselves are untouched


def test_copy_in_changes_the_buffer_between_calls() -> None:
    feed = InputFeed(three_sets(), [0, 0, 0], ["all"], copy_in=True)
    compiled = StubCompiled()
    session = CyclingSession(compiled, feed)
    assert len(compiled.sessions) == 1
    bound = compiled.sessions[0].inputs["x"]
    seen = []
    for _ in range(4):
        session.infer()
        seen.append(float(bound[1, 1]))
    assert seen == [0.0, 1.0, 2.0, 0.0]


def test_without_copy_in_each_set_has_its_own_session() -> None:
    sets = three_sets()
    feed = InputFeed(sets, [0, 1, 2], ["a", "b", "c"], copy_in=False)
    compiled = StubCompiled()
    session = CyclingSession(compiled, feed)
    assert len(compiled.sessions) == 3
    buffers = [s.inputs["x"] for s in compiled.sessions]
    sets[0]["x"][...] = 99.0  # bound inputs are private copies
    for _ in range(5):
        session.infer()
    assert [number for number, _ in compiled.log] == [0, 1, 2, 0, 1]
    assert [float(seen[0, 0]) for _, seen in compiled.log] == [0.0, 1.0, 2.0, 0.0, 1.0]
    assert [float(b[0, 0]) for b in buffers] == [0.0, 1.0, 2.0]  # never written to


def test_reset_starts_over_from_set_zero() -> None:
    compiled = StubCompiled()
    session = CyclingSession(compiled, InputFeed(three_sets(), [0, 1, 2], ["a", "b", "c"], copy_in=False))
    session.infer()
    session.infer()
    session.reset()
    session.infer()
    session.reset()
    session.reset()
    session.infer()
    session.infer()
    assert [number for number, _ in compiled.log] == [0, 1, 0, 0, 1]


def test_copy_in_keeps_non_contiguous_samples() -> None:
    transposed = np.arange(4, dtype=np.float32).reshape(2, 2).T  # not C-contiguous
    feed = InputFeed([{"x": np.zeros((2, 2), np.float32)}, {"x": transposed}], [0, 0], ["all"], copy_in=True)
    compiled = StubCompiled()
    session = CyclingSession(compiled, feed)
    session.infer()
    session.infer()
    assert compiled.log[1][1].tolist() == [[0.0, 2.0], [1.0, 3.0]]


def test_group_of_index() -> None:
    feed = InputFeed(three_sets(), [0, 1, 0], ["a", "b"], copy_in=False)
    assert feed.group_of_index(7).tolist() == [0, 1, 0, 0, 1, 0, 0]
    assert feed.group_of_index(0).tolist() == []


# ------------------------------------------------------------------------------------------ compile only


def test_compile_only() -> None:
    report = fake_run(0)
    assert report.run is None
    assert report.compile_only
    assert report.partial is False
    assert report.error is None
    assert report.phases.first_inference_ns is None
    assert report.config.compile_only is True
    assert report.counters is None
    assert summary_line(report).startswith("compile only (-niter 0) · read ")
    console = record_console()
    render_report(report, console)
    assert "compile only (-niter 0): the model was read and compiled; nothing was run" in console.export_text()
    extras = record_console()
    render_extras(report, extras, OutputOptions(per_shape=True, latency_percentile=90))
    assert extras.export_text() == ""


def test_compile_only_survives_json(tmp_path: Path) -> None:
    report = fake_run(0)
    data = report.to_dict()
    assert data["run"] is None
    assert data["partial"] is False
    again = round_trip(report)
    assert again.run is None
    assert again.compile_only
    assert again.partial is False
    path = tmp_path / "compile.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = load_report(path)
    assert loaded.compile_only and not loaded.partial
    assert summary_line(loaded) == summary_line(report)


def test_a_run_without_samples_is_not_compile_only() -> None:
    report = fake_run(3)
    data = report.to_dict()
    data["run"] = None
    again = Report.from_dict(data)
    assert not again.compile_only
    assert again.partial


def test_compile_only_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "zoo:resnet18", "-e", "fake", "-niter", "0", "-q"]) == 0
    assert capsys.readouterr().out.startswith("compile only (-niter 0) · read ")


# ------------------------------------------------------------------------------------------ nearest rank


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [([7], 1, 7), ([7], 50, 7), ([7], 100, 7),
     ([10, 20, 30, 40], 50, 20),  # even n: the lower middle
     ([10, 20, 30, 40, 50], 50, 30),  # odd n: the middle
     ([10, 20, 30, 40], 100, 40), ([10, 20, 30, 40, 50], 100, 50),
     ([10, 20, 30, 40], 1, 10), ([10, 20, 30, 40], 25, 10), ([10, 20, 30, 40], 26, 20), ([10, 20, 30, 40], 75, 30),
     ([10, 20, 30, 40], 76, 40),
     (list(range(1, 11)), 90, 9), (list(range(1, 11)), 91, 10), (list(range(1, 101)), 99, 99),
     (list(range(1, 201)), 1, 2), (list(range(1, 1001)), 99, 990)],
)
def test_nearest_rank(values: list[int], p: int, expected: int) -> None:
    assert nearest_rank(np.asarray(values, dtype=np.int64), p) == expected


def test_nearest_rank_of_nothing() -> None:
    assert nearest_rank(np.empty(0, dtype=np.int64), 50) is None


def test_nearest_rank_returns_a_sample_not_an_interpolation() -> None:
    values = np.asarray([1, 2, 4, 8], dtype=np.int64)
    for p in range(1, 101):
        result = nearest_rank(values, p)
        assert isinstance(result, int)
        assert result in values.tolist()


# ------------------------------------------------------------------------------------------ -shapes (deepsparse)


def shapes_of(report: Report) -> dict[str, list[int]]:
    return {item.name: list(item.shape) for item in report.model.inputs}


def test_positional_shapes_map_to_inputs_in_order(two_inputs: Path) -> None:
    report = run_model(two_inputs, 3, shapes="[2,16],[2,4]")
    assert shapes_of(report) == {"tokens": [2, 16], "features": [2, 4]}
    assert report.model.batch == 2
    run = measured(report)
    assert run.count == 3
    assert run.items == 6


@pytest.mark.parametrize(
    ("options", "message"),
    [({"shapes": "[2,16]"}, r"^-shapes gives one shape for 2 inputs \(tokens, features\); give one per input$"),
     ({"shapes": "[2,16],[2,4],[1]"}, r"^-shapes gives 3 shapes, but the model has 2 inputs \(tokens, features\)$"),
     ({"shapes": "[2,16],[2,4]", "shape": "tokens[2,16]"}, r"^-shapes and -shape both set input shapes: keep one$")],
)
def test_positional_shapes_refused(two_inputs: Path, options: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        run_model(two_inputs, 2, **options)


def test_one_positional_shape_for_a_one_input_model() -> None:
    report = fake_run(2, shapes="[1,3,64,64]")
    assert shapes_of(report) == {"input": [1, 3, 64, 64]}


def test_positional_shapes_from_the_command_line(two_inputs: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    code = main(["run", str(two_inputs), "-e", "fake", "-niter", "2", "--no-warmup", "-i", "[3,5]", "[3,4]", "-x",
                 str(out), "-q"])
    assert code == 0, capsys.readouterr().err
    assert shapes_of(load_report(out)) == {"tokens": [3, 5], "features": [3, 4]}
