"""Cost figures in every report: CPU time per item, the machine's busy share, peak RSS per phase (read, compile,
measure). Exact on constructed records and a fake /proc; present and plausible on a real engine; absent on the
fake engine (virtual clock), where the console says so."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from rich.console import Console

from infermeter.config.benchmark import build_config
from infermeter.machine.memory import PhasePeaks
from infermeter.measure import run as app
from infermeter.reporters.console import cost_rows, format_bytes, render_report
from infermeter.reporters.export import to_json
from infermeter.results.facts import CpuUsage, PeakMemory
from infermeter.results.report import Report


@pytest.fixture(scope="module")
def fake_report() -> Report:
    """100 requests of 2 ms on the fake engine: 100 items in 200 ms."""
    return app.run(build_config("zoo:resnet18", engine="fake", api="sync", niter=100, no_warmup=True,
                                fake_latency="2ms"))


def with_cost(report: Report) -> Report:
    """The fake report with a CPU record (0.5 s of this process's CPU, 1.5 s machine-wide, in 1 s on 2 CPUs)
    and peak memory of 100 MiB, 300 MiB, 350 MiB."""
    assert report.run is not None
    cpu = CpuUsage(wall_ns=1_000_000_000, own_cpu_ns=500_000_000, system_busy_ns=1_500_000_000, steal_ns=0, cpus=2,
                   machine_cpus=2)
    memory = PeakMemory(read_bytes=100 * 2**20, compile_bytes=300 * 2**20, measure_bytes=350 * 2**20)
    return dataclasses.replace(report, run=dataclasses.replace(report.run, cpu=cpu), memory=memory)


def test_cost_of_a_constructed_report_is_exact(fake_report: Report) -> None:
    cost = with_cost(fake_report).cost
    assert cost.cpu_ns_per_item == 5_000_000.0  # 0.5 s / 100 items
    assert cost.own_cores == 0.5 and cost.machine_busy_share == 0.75
    assert cost.memory is not None and cost.memory.peak_bytes == 350 * 2**20
    assert cost.to_dict() == {"cpu_ns_per_item": 5_000_000.0, "own_cores": 0.5, "machine_busy_share": 0.75,
                              "peak_rss_bytes": 350 * 2**20}


def test_console_shows_the_cost_rows(fake_report: Report) -> None:
    assert cost_rows(with_cost(fake_report)) == [
        ("CPU per item", "5.000 ms", "this process, all threads (0.50 cores on average); machine 75% busy"),
        ("peak RSS", "350.0 MiB", "read 100.0 MiB · compile 300.0 MiB · measure 350.0 MiB")]
    running = dataclasses.replace(with_cost(fake_report), memory=PeakMemory(measure_bytes=3 * 2**30,
                                                                            per_phase=False))
    assert cost_rows(running)[1] == ("peak RSS", "3.00 GiB",
                                     "measure 3.00 GiB (running peak: per-phase reset unavailable)")
    assert format_bytes(1536) == "0.0 MiB"


def test_fake_engine_reports_no_cost_and_says_why(fake_report: Report) -> None:
    cost = fake_report.cost
    assert (cost.cpu_ns_per_item, cost.machine_busy_share, cost.memory) == (None, None, None)
    console = Console(record=True, width=120)
    render_report(fake_report, console)
    (line,) = [line for line in console.export_text().splitlines() if line.strip().startswith("cost ")]
    assert line.split() == ["cost", "–", "not", "measured", "on", "the", "fake", "engine", "(virtual", "clock)"]
    data = json.loads(to_json(fake_report))
    assert data["memory"] is None and data["cost"]["cpu_ns_per_item"] is None


def test_cost_round_trips_through_json(fake_report: Report) -> None:
    report = with_cost(fake_report)
    again = Report.from_dict(json.loads(to_json(report)))
    assert again.memory == report.memory and again.run is not None and again.run.cpu == report.run.cpu  # type: ignore[union-attr]
    assert again.cost == report.cost


def test_machine_busy_share_is_capped_and_none_without_a_window() -> None:
    assert CpuUsage(1_000, 0, 5_000, 0, 2, machine_cpus=2).machine_busy_share == 1.0
    assert CpuUsage(0, 0, 5, 0, 2).machine_busy_share is None
    assert CpuUsage(1_000, 0, 1_000, 0, 4).machine_busy_share == 0.25  # files before 4: the usable CPUs


# --- peak RSS per phase on a fake /proc -----------------------------------------------------------------------


def status(kib: int) -> str:
    return f"Name:\tpython\nVmPeak:\t 999999 kB\nVmHWM:\t {kib} kB\nVmRSS:\t 1 kB\n"


def test_phase_peaks_reset_and_read_the_high_water_mark(tmp_path: Path) -> None:
    proc = tmp_path / "proc/self"
    proc.mkdir(parents=True)
    (proc / "clear_refs").write_text("")
    peaks = PhasePeaks(root=tmp_path)
    for name, kib in (("read", 1000), ("compile", 3000), ("measure", 2000)):
        peaks.start(name)
        assert (proc / "clear_refs").read_text() == "5"  # the reset was asked for
        (proc / "clear_refs").write_text("")
        (proc / "status").write_text(status(kib))
        peaks.stop(name)
    assert peaks.record() == PeakMemory(read_bytes=1000 * 1024, compile_bytes=3000 * 1024,
                                        measure_bytes=2000 * 1024, per_phase=True)


def test_phase_peaks_without_a_reset_are_a_running_peak(tmp_path: Path) -> None:
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/status").write_text(status(4096))
    peaks = PhasePeaks(root=tmp_path)
    peaks.start("read")
    peaks.stop("read")
    assert peaks.record() == PeakMemory(read_bytes=4096 * 1024, per_phase=False)


def test_phase_peaks_without_proc_fall_back_to_getrusage(tmp_path: Path) -> None:
    peaks = PhasePeaks(root=tmp_path)
    peaks.start("measure")
    peaks.stop("measure")
    record = peaks.record()
    assert record.per_phase is False and record.measure_bytes is not None and record.measure_bytes > 2**20


@pytest.mark.onnxruntime
def test_a_real_engine_reports_every_cost_figure(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from parity_models import image_model

    model = image_model(tmp_path / "tiny.onnx", [1, 3, 8, 8])
    report = app.run(build_config(str(model), engine="onnxruntime", api="sync", niter=2000, no_warmup=True))
    cost = report.cost
    memory = cost.memory
    assert memory is not None and memory.per_phase  # Linux: the high-water mark resets per phase
    assert all(value is not None and value > 10 * 2**20 for value in
               (memory.read_bytes, memory.compile_bytes, memory.measure_bytes))
    assert cost.cpu_ns_per_item is not None and cost.cpu_ns_per_item > 0
    assert cost.machine_busy_share is not None and 0 < cost.machine_busy_share <= 1
    assert [row[0] for row in cost_rows(report)] == ["CPU per item", "peak RSS"]
