"""benchmark_app-compatible -report_folder files, checked value by value on a fake-engine run (exact numbers)."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from infermeter.config.benchmark import build_config
from infermeter.errors import UsageError
from infermeter.measure import run as app
from infermeter.reporters.app_report import command_line_parameters, write_app_report
from infermeter.results.counters import LayerCounter, counters_from_dict
from infermeter.results.report import Report
from infermeter.stats.latency import nearest_rank as nearest_rank_ns

COMMAND = ("infermeter", "run", "zoo:resnet18", "-e", "fake", "-niter", "10", "--no-warmup",
           "-latency_percentile=30")
CONV_1 = LayerCounter("conv;1", "Convolution", "jit_avx2_FP32", "EXECUTED", 1_500_000, 1_400_000)
CONV_2 = LayerCounter("conv;1", "Convolution", "jit_avx2_FP32", "EXECUTED", 1_700_001, 1_600_000)
RELU = LayerCounter("relu", "Relu", "jit_avx2_FP32", "EXECUTED", 400_000, 300_000)
INPUT = LayerCounter("input", "Parameter", "unknown_f32", "NOT_RUN", 0, 0)
PER_REQUEST = [[INPUT, CONV_1, RELU], [INPUT, CONV_2, RELU]]


@pytest.fixture(scope="module")
def report() -> Report:
    """Latencies 2, 3, 1, 2, 3, 1, 2, 3, 1, 2 ms with 2 requests in flight: an 11 ms window."""
    config = build_config("zoo:resnet18", engine="fake", niter=10, fake_latency="cycle:1ms,2ms,3ms",
                          no_warmup=True)
    return app.run(config, command=COMMAND)


def _sections(path: Path) -> dict[str, dict[str, str]]:
    """benchmark_report.csv as {section title: {label: value}}."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for row in csv.reader(path.read_text(encoding="utf-8").splitlines(), delimiter=";"):
        if len(row) == 1:
            current = sections.setdefault(row[0], {})
        elif row:
            current[row[0]] = row[1]
    return sections


def test_main_csv_has_benchmark_app_sections_and_exact_values(report: Report, tmp_path: Path) -> None:
    paths = write_app_report(tmp_path / "new" / "folder", report, "no_counters", None, None, None, False, 30)
    assert [p.name for p in paths] == ["benchmark_report.csv", "infermeter_report.json"]
    sections = _sections(paths[0])
    assert list(sections) == ["Command line parameters", "Configuration setup", "Execution results"]
    assert sections["Command line parameters"] == {"arguments": "run zoo:resnet18", "-e": "fake", "-niter": "10",
                                                   "--no-warmup": "", "-latency_percentile": "30"}
    assert sections["Configuration setup"] == {
        "benchmark mode": "inference only", "topology": "resnet18", "target device": "CPU", "API": "async",
        "engine": "fake 0.1.0", "precision": "none (fake engine)", "batch size": "1",
        "number of iterations": "10", "number of parallel infer requests": "2", "duration (ms)": "0.000",
    }
    assert sections["Execution results"] == {
        "read model time (ms)": "0.000", "reshape model time (ms)": "0.000", "compile model time (ms)": "0.000",
        "first inference time (ms)": "1.000", "total execution time (ms)": "11.000",
        "total number of iterations": "10",
        "latency (30 percentile) (ms)": "1.000",  # benchmark_app's nearest rank: sorted[ceil(10 * 0.3) - 1]
        "Percentile boundary": "30",
        "latency (30 percentile, interpolated) (ms)": "1.700",  # 1 ms + 0.7 x (2 ms - 1 ms)
        "median latency, interpolated (ms)": "2.000",
        "Average latency (ms)": "2.000", "Min latency (ms)": "1.000", "Max latency (ms)": "3.000",
        "throughput": "909.09",  # 10 items / 11 ms
    }


def test_median_percentile_uses_benchmark_app_label(report: Report, tmp_path: Path) -> None:
    paths = write_app_report(tmp_path, report, "no_counters", None, None, None, False, 50)
    results = _sections(paths[0])["Execution results"]
    assert results["Median latency (ms)"] == "2.000"
    assert results["latency (50 percentile, interpolated) (ms)"] == "2.000"
    assert "median latency, interpolated (ms)" not in results


def test_json_report_is_numeric_and_lossless(report: Report, tmp_path: Path) -> None:
    paths = write_app_report(tmp_path, report, "average_counters", None, PER_REQUEST, None, True, 90)
    assert [p.name for p in paths] == ["benchmark_report.csv", "benchmark_report.json",
                                       "benchmark_average_counters_report.csv",
                                       "benchmark_average_counters_report.json", "infermeter_report.json"]
    data = json.loads(paths[1].read_text(encoding="utf-8"))
    assert list(data) == ["cmd_options", "configuration_setup", "execution_results", "counters"]
    setup, results = data["configuration_setup"], data["execution_results"]
    assert setup["batch_size"] == 1 and setup["nireq"] == 2 and setup["iterations_num"] == 10
    assert setup["duration"] == 0.0 and setup["duration_ns"] == 0
    assert results["first_inference_time"] == 1.0 and results["first_inference_time_ns"] == 1_000_000
    assert results["execution_time_ns"] == 11_000_000 and results["iterations_num"] == 10
    assert results["latency_median"] == 3.0 and results["latency_median_ns"] == 3_000_000  # sorted[8]
    assert results["percentile_boundary"] == 90
    assert report.run is not None
    assert results["latency_percentile_interpolated_ns"] == report.run.latency.percentile(90.0) == 3_000_000
    assert results["latency_median_interpolated_ns"] == 2_000_000
    assert (results["latency_avg_ns"], results["latency_min_ns"], results["latency_max_ns"]) == (
        2_000_000, 1_000_000, 3_000_000)
    assert results["throughput"] == 10 / 0.011
    for key in ("latency_avg", "latency_min", "latency_max", "execution_time", "throughput"):
        assert isinstance(results[key], float)
    average, per_request = counters_from_dict(data["counters"])
    assert per_request == PER_REQUEST
    assert average == [INPUT, dataclasses.replace(CONV_1, real_ns=1_600_000, cpu_ns=1_500_000), RELU]


def test_average_counters_csv(report: Report, tmp_path: Path) -> None:
    paths = write_app_report(tmp_path, report, "average_counters", None, PER_REQUEST, None, False, 50)
    assert [p.name for p in paths] == ["benchmark_report.csv", "benchmark_average_counters_report.csv",
                                     "infermeter_report.json"]
    rows = list(csv.reader(paths[1].read_text(encoding="utf-8").splitlines(), delimiter=";"))
    assert rows == [
        ["layerName", "execStatus", "layerType", "execType", "realTime (ms)", "cpuTime (ms)"],
        ["input", "NOT_RUN", "Parameter", "unknown_f32", "0.000", "0.000"],
        ["conv;1", "EXECUTED", "Convolution", "jit_avx2_FP32", "1.600", "1.500"],  # floor mean of 1.5 and 1.700001
        ["relu", "EXECUTED", "Relu", "jit_avx2_FP32", "0.400", "0.300"],
        ["Total", "", "", "", "2.000", "1.800"],
        [],
    ]
    assert '"conv;1"' in paths[1].read_text(encoding="utf-8")  # the separator inside a name is quoted


def test_detailed_counters_csv_has_one_section_per_request(report: Report, tmp_path: Path) -> None:
    paths = write_app_report(tmp_path, report, "detailed_counters", None, PER_REQUEST, None, False, 50)
    assert paths[1].name == "benchmark_detailed_counters_report.csv"
    rows = list(csv.reader(paths[1].read_text(encoding="utf-8").splitlines(), delimiter=";"))
    assert [row[0] for row in rows if row] == ["layerName", "input", "conv;1", "relu", "Total"] * 2
    totals = [row for row in rows if row and row[0] == "Total"]
    assert totals == [["Total", "", "", "", "1.900", "1.700"], ["Total", "", "", "", "2.100", "1.900"]]


@pytest.mark.parametrize(("mode", "names", "shares"), [
    ("sort", ["conv;1", "relu", "input"], ["80.00", "20.00", "0.00"]),
    ("simple_sort", ["conv;1", "relu"], ["80.00", "20.00"]),
    ("no_sort", ["input", "conv;1", "relu"], ["0.00", "80.00", "20.00"]),
])
def test_sorted_report(report: Report, tmp_path: Path, mode: str, names: list[str], shares: list[str]) -> None:
    average = [INPUT, dataclasses.replace(CONV_1, real_ns=1_600_000), RELU]
    paths = write_app_report(tmp_path, report, "no_counters", average, None, mode, False, 50)
    assert [p.name for p in paths] == ["benchmark_report.csv", "benchmark_sorted_report.csv", "infermeter_report.json"]
    rows = list(csv.reader(paths[1].read_text(encoding="utf-8").splitlines(), delimiter=";"))
    assert rows[0][-1] == "proportion (%)"
    assert [row[0] for row in rows[1:-1]] == names and [row[-1] for row in rows[1:-1]] == shares
    assert rows[-1] == ["Total", "", "", "", "2.000", "1.700", "100.00"]


def test_sorted_json_report(report: Report, tmp_path: Path) -> None:
    paths = write_app_report(tmp_path, report, "no_counters", [INPUT, CONV_1, RELU], None, "sort", True, 50)
    assert [p.name for p in paths] == ["benchmark_report.csv", "benchmark_report.json", "benchmark_sorted_report.csv",
                                     "benchmark_sorted_report.json", "infermeter_report.json"]
    data = json.loads(paths[3].read_text(encoding="utf-8"))
    nodes = data["avg_performance"]["nodes"]
    assert data["report_type"] == "sorted" and [n["name"] for n in nodes] == ["conv;1", "relu", "input"]
    assert nodes[0]["real_time"] == 1.5 and nodes[0]["real_time_ns"] == 1_500_000
    assert math.isclose(nodes[0]["%"], 78.94736842105263)
    assert data["avg_performance"]["total_real_time_ns"] == 1_900_000


def test_no_counters_files_without_counters(report: Report, tmp_path: Path) -> None:
    paths = write_app_report(tmp_path, report, "detailed_counters", None, None, "sort", True, 50)
    assert [p.name for p in paths] == ["benchmark_report.csv", "benchmark_report.json", "infermeter_report.json"]
    assert "counters" not in json.loads(paths[1].read_text(encoding="utf-8"))


def test_report_without_command_or_run(report: Report, tmp_path: Path) -> None:
    bare = dataclasses.replace(report, command=None, run=None, error="engine failed")
    paths = write_app_report(tmp_path, bare, "no_counters", None, None, None, True, 50)
    data = json.loads(paths[1].read_text(encoding="utf-8"))
    assert list(data) == ["configuration_setup", "execution_results"]
    assert data["execution_results"]["error"] == "engine failed"
    assert "latency_median" not in data["execution_results"]


def test_unwritable_report_folder_is_a_usage_error(report: Report, tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="-report_folder") as caught:
        write_app_report(blocker / "reports", report, "no_counters", None, None, None, False, 50)
    assert str(blocker / "reports") in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(("percentile", "expected"), [(1, 10), (20, 10), (21, 20), (50, 30), (99, 50), (100, 50)])
def test_nearest_rank_percentile_known_answers(percentile: int, expected: int) -> None:
    assert nearest_rank_ns(np.array([10, 20, 30, 40, 50]), percentile) == expected


def test_nearest_rank_matches_benchmark_app_formula() -> None:
    rng = np.random.default_rng(3)
    for count in (1, 2, 3, 7, 10, 99, 100, 101, 1000):
        values = np.sort(rng.integers(0, 10**9, size=count))
        for percentile in range(1, 101):
            assert nearest_rank_ns(values, percentile) == values[math.ceil(count * percentile / 100) - 1]
    assert nearest_rank_ns(np.array([], dtype=np.int64), 50) is None
    with pytest.raises(ValueError, match="nearest-rank"):
        nearest_rank_ns(values, 0)


def test_command_line_parameters_pairs() -> None:
    assert command_line_parameters(["benchmark_app", "-m", "a.xml", "-pc", "-d=CPU", "-api", "sync", "-b"]) == [
        ("-m", "a.xml"), ("-pc", ""), ("-d", "CPU"), ("-api", "sync"), ("-b", "")]
