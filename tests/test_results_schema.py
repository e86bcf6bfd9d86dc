"""Report schema 3: typed facts, lossless round trips, the upgrades from files of earlier releases
(tests/data/legacy), one-line errors for malformed files, and a data model that imports no reporter."""

from __future__ import annotations

import ast
import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

import infermeter
from infermeter.cli import main
from infermeter.config.benchmark import build_config
from infermeter.config.output import build_output_options
from infermeter.config.tuning import build_tuning
from infermeter.measure import run as app
from infermeter.reporters.export import to_json
from infermeter.reporters.extras import dump_config
from infermeter.results.comparison import VERDICTS
from infermeter.results.facts import number_or_text
from infermeter.results.report import SCHEMA_VERSION, Report
from infermeter.results.session import Session
from infermeter.results.sweep import Sweep
from infermeter.results.upgrade import upgrade_report, upgrade_session, upgrade_sweep
from infermeter.runs.files import load_report, load_saved, load_session_or_report

LEGACY = Path(__file__).parent / "data" / "legacy"
REPORTS = ["report-v1-fake.json", "report-v1-openvino.json", "report-v2-fake.json", "report-v2-onnxruntime.json",
           "report-v2-openvino.json", "report-v3-onnxruntime.json"]
SESSIONS_AND_SWEEPS = ["session-v1.json", "session-v2.json", "sweep-v1.json", "sweep-v2.json"]


def saved(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((LEGACY / name).read_text(encoding="utf-8"))
    return data


def through_json(report: Report) -> Report:
    return Report.from_dict(json.loads(to_json(report)))


# --- round trips ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("options", [
    {"api": "async", "nireq": 3, "niter": 30, "max_irate": 5000, "seed": 7, "dim": {"batch": 1}},
    {"api": "sync", "niter": 12, "fake_latency": "cycle:1ms,3ms", "data_shape": "[1,3,224,224][1,3,112,112]"},
])
def test_fake_report_round_trip_is_lossless_and_equal(options: dict[str, Any]) -> None:
    report = infermeter.benchmark("zoo:resnet18", engine="fake", no_warmup=True, **options)
    again = through_json(report)
    assert again == report
    assert to_json(again) == to_json(report)
    assert again.config == report.config and again.findings == report.findings
    assert again.run is not None and report.run is not None
    assert again.run.latency_ns.tolist() == report.run.latency_ns.tolist()
    if "data_shape" in options:
        assert again.run.groups is not None and again.run.group_labels == report.run.group_labels


def test_report_equality_sees_one_changed_sample() -> None:
    report = infermeter.benchmark("zoo:resnet18", engine="fake", api="sync", niter=5, no_warmup=True)
    assert report.run is not None
    data = report.to_dict()
    data["run"]["samples"]["latency_ns"][3] += 1
    assert Report.from_dict(data) != report


@pytest.mark.parametrize("engine", ["onnxruntime", "openvino"])
def test_real_engine_round_trip_with_counters(engine: str, tmp_path: Path) -> None:
    pytest.importorskip(engine)
    pytest.importorskip("onnx")
    from parity_models import image_model

    model = image_model(tmp_path / "tiny.onnx", [1, 3, 8, 8])
    config = build_config(str(model), engine=engine, niter=6, no_warmup=True, api="async", nireq=2,
                          tuning=build_tuning(perf_counts=True), output=build_output_options(pc=True))
    report = app.run(config)
    assert report.counters is not None and report.counters.layers
    again = through_json(report)
    assert again == report
    assert to_json(again) == to_json(report)


def test_numbers_are_numbers_on_openvino(tmp_path: Path) -> None:
    pytest.importorskip("openvino")
    pytest.importorskip("onnx")
    from parity_models import image_model

    path = tmp_path / "r.json"
    model = image_model(tmp_path / "tiny.onnx", [1, 3, 8, 8])
    assert main(["run", str(model), "-e", "openvino", "-niter", "4", "--no-warmup", "-q", "-x", str(path)]) == 0
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION == 4
    properties = data["engine"]["properties"]
    assert type(properties["NUM_STREAMS"]) is int and properties["NUM_STREAMS"] == data["engine"]["streams"]
    assert type(properties["INFERENCE_NUM_THREADS"]) is int
    assert type(properties["OPTIMAL_NUMBER_OF_INFER_REQUESTS"]) is int
    assert type(properties["ENABLE_CPU_PINNING"]) is bool
    assert properties["PERFORMANCE_HINT"] == "THROUGHPUT"
    dumped = data["engine"]["device_config"]["CPU"]
    assert type(dumped["NUM_STREAMS"]) is int and type(dumped["ENABLE_CPU_PINNING"]) is bool
    texts = [value for value in [*properties.values(), *dumped.values()] if isinstance(value, str)]
    assert all(number_or_text(text) == text and isinstance(number_or_text(text), str) for text in texts)


def test_numbers_are_numbers_on_onnxruntime(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from parity_models import image_model

    model = image_model(tmp_path / "tiny.onnx", [1, 3, 8, 8])
    report = app.run(build_config(str(model), engine="onnxruntime", niter=3, no_warmup=True, api="sync", nthreads=1))
    data = report.to_dict()
    assert data["engine"]["properties"]["intra_op_num_threads"] == 1
    assert data["engine"]["properties"]["io_binding"] in ("on", "off")  # infermeter's own words stay text
    assert data["engine"]["device_config"]["CPU"]["intra_op_num_threads"] == 1


def test_dump_config_writes_the_settable_text_form(tmp_path: Path) -> None:
    report = infermeter.benchmark("zoo:resnet18", engine="fake", api="sync", niter=2, no_warmup=True)
    engine = dataclasses.replace(report.engine, device_config={"CPU": {"NUM_STREAMS": 2, "ENABLE_CPU_PINNING": True,
                                                                       "RATE": 1.0, "HINT": "LATENCY",
                                                                       "HT": False}})
    path = dump_config(dataclasses.replace(report, engine=engine), tmp_path / "dump.json")
    assert json.loads(path.read_text(encoding="utf-8")) == {"CPU": {"NUM_STREAMS": "2", "ENABLE_CPU_PINNING": "YES",
                                                                    "RATE": "1.0", "HINT": "LATENCY", "HT": "NO"}}


# --- files of earlier releases --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REPORTS)
def test_legacy_report_loads_with_its_numbers(name: str) -> None:
    data = saved(name)
    report = load_report(LEGACY / name)
    assert report.run is not None and report.run.count == 20 == data["run"]["count"]
    latency = report.run.latency.as_dict()
    assert {key: latency[key] for key in data["run"]["latency"]} == data["run"]["latency"]  # v1 had no intervals
    assert report.run.throughput == data["run"]["throughput_items_per_s"]
    assert report.run.window_ns == data["run"]["window_ns"]
    assert report.phases.to_dict() == data["phases"]
    assert report.engine.requests_in_flight == data["engine"]["requests_in_flight"]
    assert report.model.ref == data["model"]["ref"] and report.model.batch == 1
    assert report.config.stop.min_iterations == 20 and not report.config.warmup.enabled
    assert report.environment.cpu_model == data["environment"]["cpu_model"]
    assert report.environment.clock is not None
    assert report.environment.clock.read_cost_ns == data["environment"]["clock"]["read_cost_ns"]
    if data["schema_version"] >= 2:
        assert [finding.to_dict() for finding in report.findings] == data["findings"]
        assert report.verdict == data["verdict"]
        cpu = report.run.cpu.to_dict() if report.run.cpu is not None else None
        assert (cpu if cpu is None else {key: cpu[key] for key in data["run"]["cpu"]}) == data["run"]["cpu"]
        assert report.memory is None  # not measured before version 4


def test_version_1_reports_get_their_findings_derived() -> None:
    fake = load_report(LEGACY / "report-v1-fake.json")
    assert [finding.code for finding in fake.findings] == ["TOO_FEW_SAMPLES", "SHORT_RUN"]
    assert fake.verdict == "INSUFFICIENT"
    openvino = load_report(LEGACY / "report-v1-openvino.json")
    assert "SHORT_RUN" in [finding.code for finding in openvino.findings]
    assert openvino.config.tuning.perf_counts is False  # fields version 1 did not write take their defaults
    assert openvino.engine.device_config == {} and openvino.engine.cache == ""


def test_version_2_openvino_properties_become_typed() -> None:
    report = load_report(LEGACY / "report-v2-openvino.json")
    properties, dumped = report.engine.properties, report.engine.device_config["CPU"]
    assert properties["NUM_STREAMS"] == 2 and type(properties["NUM_STREAMS"]) is int
    assert properties["ENABLE_CPU_PINNING"] is True
    assert properties["PERF_COUNT"] == "YES"  # OpenVINO returns this one as text: it stays text
    assert properties["PERFORMANCE_HINT"] == "THROUGHPUT" and properties["EXECUTION_DEVICES"] == "CPU"
    assert dumped["ENABLE_CPU_PINNING"] is True and dumped["ENABLE_HYPER_THREADING"] is False
    assert dumped["CPU_SPARSE_WEIGHTS_DECOMPRESSION_RATE"] == 1.0
    assert type(dumped["CPU_SPARSE_WEIGHTS_DECOMPRESSION_RATE"]) is float
    assert dumped["KEY_CACHE_PRECISION"] == "u8" and dumped["NUM_STREAMS"] == 2
    assert report.counters is not None
    assert len(report.counters.layers) == 6
    assert report.counters.per_request is not None and len(report.counters.per_request) == 4
    assert report.model.flops_per_request is not None and report.model.flops_per_request.macs == 13824
    assert report.model.inputs[0].shape == (1, 3, 8, 8) and report.model.inputs[0].bytes == 768


def test_version_2_onnxruntime_properties_become_typed() -> None:
    report = load_report(LEGACY / "report-v2-onnxruntime.json")
    assert report.engine.properties["intra_op_num_threads"] == 1
    assert report.engine.properties["execution_mode"] == "sequential"
    assert report.engine.properties["optimized_model_filepath"] == ""
    assert report.engine.device_config == {"CPU": {"intra_op_num_threads": 1, "inter_op_num_threads": 1,
                                                   "execution_mode": "sequential", "graph_optimization_level": "all"}}


def test_legacy_session_loads_and_compares_as_saved() -> None:
    data = saved("session-v1.json")
    session = load_session_or_report(LEGACY / "session-v1.json")
    assert session.labels == ("nireq=1", "nireq=2") and session.rounds == 2
    assert session.order == ((0, 1), (0, 1))
    assert [len(reports) for reports in session.reports] == [2, 2]
    recomputed = session.to_dict()["comparisons"]
    unjudged = {metric: [{k: v for k, v in row.items() if k != "verdict"} for row in rows]
                for metric, rows in recomputed.items()}
    assert unjudged == {metric: [{k: v for k, v in row.items() if k != "verdict"} for row in rows]
                        for metric, rows in data["comparisons"].items()}  # the numbers as saved
    assert {row["verdict"] for rows in recomputed.values() for row in rows} <= {*VERDICTS, None}  # new words
    (label, comparison), = session.comparisons("throughput", 0.02)
    assert label == "nireq=2" and comparison is not None and comparison.ratio.estimate == 2.0
    assert comparison.verdict == "faster"


def test_legacy_sweep_loads_with_its_analysis() -> None:
    data = saved("sweep-v1.json")
    sweep = load_saved(LEGACY / "sweep-v1.json")
    assert isinstance(sweep, Sweep)
    assert [point.label for point in sweep.points] == ["-nireq 1", "-nireq 2"]
    assert [point.throughput for point in sweep.points] == [1000.0, 2000.0]
    assert (sweep.pareto(), sweep.knee(), sweep.best()) == (data["pareto"], data["knee"], data["best"])
    assert [point.to_dict()["latency_median_ns"] for point in sweep.points] == [
        point["latency_median_ns"] for point in data["points"]]


@pytest.mark.parametrize("name", [*REPORTS, *SESSIONS_AND_SWEEPS])
def test_legacy_files_upgrade_to_current_and_round_trip(name: str) -> None:
    loaded = load_saved(LEGACY / name)
    kind = type(loaded)
    again = kind.from_dict(json.loads(to_json(loaded)))  # type: ignore[attr-defined]
    assert to_json(again) == to_json(loaded)
    if isinstance(loaded, Session) and len(loaded.labels) == 1:
        assert again.reports[0][0] == loaded.reports[0][0]


def test_upgrades_are_pure() -> None:
    for name, upgrade in [*((name, upgrade_report) for name in REPORTS),
                          *((name, upgrade_session if name.startswith("session") else upgrade_sweep)
                            for name in SESSIONS_AND_SWEEPS)]:
        data = saved(name)
        before = copy.deepcopy(data)
        upgraded = upgrade(data)
        assert data == before, name  # the input is left alone
        assert upgraded["schema_version"] == {"infermeter.report": 4, "infermeter.session": 3,
                                              "infermeter.sweep": 3}[data["schema"]]
        assert upgrade(upgraded) == upgraded  # a current file is already current


def test_upgrade_names_the_headline_of_the_two_scenarios_schema_2_knew() -> None:
    data = saved("report-v2-fake.json")
    assert data["config"]["scenario"] == "throughput" and upgrade_report(data)["headline"] == "throughput"
    data["config"]["scenario"] = "latency"
    assert upgrade_report(data)["headline"] == "median"


def test_upgrade_leaves_unknown_versions_and_non_text_values_alone() -> None:
    assert upgrade_report({"schema": "infermeter.report", "schema_version": 99}) == {
        "schema": "infermeter.report", "schema_version": 99}
    data = saved("report-v2-fake.json")
    data["engine"]["properties"] = {"n": "2", "x": "0.50", "y": "1e-05", "b": "True", "s": "YES", "k": 3}
    data["engine"]["device_config"] = {"CPU": {"a": "YES", "b": "NO", "c": "True", "d": "007"}}
    engine = upgrade_report(data)["engine"]
    assert engine["properties"] == {"n": 2, "x": "0.50", "y": 1e-05, "b": True, "s": "YES", "k": 3}
    assert engine["device_config"] == {"CPU": {"a": True, "b": False, "c": "True", "d": "007"}}


@pytest.mark.parametrize(("name", "expected"), [
    ("report-v2-fake.json", "throughput 2,000.0 items/s · latency median 1.000 ms · p99 – · 20 requests · "
                            "INSUFFICIENT (SHORT_RUN)\n"),
    ("report-v1-fake.json", "throughput 2,000.0 items/s · latency median 1.000 ms · p99 – · 20 requests · "
                            "INSUFFICIENT (SHORT_RUN)\n"),
    ("session-v1.json", "nireq=1: throughput (items/s) 1,000.0 ± 0.0 · INSUFFICIENT ×2 (SHORT_RUN)\n"
                        "nireq=2: throughput (items/s) 2,000.0 ± 0.0 · INSUFFICIENT ×2 (SHORT_RUN)\n"
                        "nireq=2 vs nireq=1: B is 100.0% faster (CI 100.0% to 100.0%, beyond ±2.0%)\n"),
    ("sweep-v1.json", "2 of 2 points measured · best (throughput): -nireq 2 2,000.0 items/s, median 1.000 ms\n"),
    ("session-v2.json", "nireq=1: throughput (items/s) 1,000.0 ± 0.0 · INSUFFICIENT ×2 (SHORT_RUN)\n"
                        "nireq=2: throughput (items/s) 2,000.0 ± 0.0 · INSUFFICIENT ×2 (SHORT_RUN)\n"
                        "nireq=2 vs nireq=1: B is 100.0% faster (CI 100.0% to 100.0%, beyond ±2.0%)\n"),
    ("sweep-v2.json", "2 of 2 points measured · best (throughput): -nireq 2 2,000.0 items/s, median 1.000 ms\n"),
])
def test_show_reads_legacy_files(name: str, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", str(LEGACY / name), "-q"]) == 0
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == (expected, "")


def test_compare_reads_legacy_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(LEGACY / "session-v1.json"), str(LEGACY / "session-v1.json")]) == 0
    assert "nireq=2" in capsys.readouterr().out
    code = main(["compare", str(LEGACY / "report-v2-onnxruntime.json"), str(LEGACY / "report-v2-openvino.json")])
    assert code == 0  # single runs: inconclusive, never a regression
    out = capsys.readouterr().out
    assert "inconclusive" in out and "engine_versions[onnxruntime]" in out


# --- malformed files --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "value", "reason"), [
    (["engine", "properties", "NUM_STREAMS"], [2], "TypeError: engine.properties.NUM_STREAMS: expected"),
    (["engine", "requests_in_flight"], "4", "TypeError: engine.requests_in_flight: expected int"),
    (["engine", "requests_in_flight"], True, "TypeError: engine.requests_in_flight: expected int"),
    (["model", "inputs"], None, "TypeError: model.inputs: expected a list"),
    (["config", "stop", "min_iterations"], 1.5, "TypeError: config.stop.min_iterations: expected int"),
    (["environment", "clock"], {"name": "x"}, "environment.clock"),
    (["run", "samples", "latency_ns"], [1, "2"], "run.samples.latency_ns: expected a list of integers"),
    (["findings"], [{"code": "X"}], "KeyError"),
])
def test_malformed_v3_report_is_one_line_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         path: list[str], value: Any, reason: str) -> None:
    report = infermeter.benchmark("zoo:resnet18", engine="fake", api="sync", niter=5, no_warmup=True)
    data = json.loads(to_json(report))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    assert main(["show", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"infermeter: error: report {bad} is malformed (") and reason in captured.err
    assert captured.err.count("\n") == 1


def test_unknown_versions_are_refused_by_name(tmp_path: Path) -> None:
    for schema, message in (("infermeter.session", "has session schema_version 9; this infermeter reads 1, 2, 3"),
                            ("infermeter.sweep", "has sweep schema_version 9; this infermeter reads 1, 2, 3")):
        path = tmp_path / "x.json"
        path.write_text(json.dumps({"schema": schema, "schema_version": 9}), encoding="utf-8")
        with pytest.raises(infermeter.InputError, match=message):
            load_saved(path)


def test_from_dict_reads_the_current_version_only() -> None:
    with pytest.raises(ValueError, match="schema version 4"):
        Report.from_dict(saved("report-v2-fake.json"))


# --- layering ---------------------------------------------------------------------------------------------------


ALLOWED = ("infermeter.results", "infermeter.stats", "infermeter.config", "infermeter.errors", "infermeter.units",
           "infermeter.clock")


def test_the_data_model_imports_no_reporter_and_no_analysis() -> None:
    package = Path(infermeter.__file__).parent
    for path in sorted((package / "results").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                target = "infermeter." + ".".join(["results"][: 2 - node.level] + ([node.module] if node.module
                                                                                     else []))
                assert target.startswith(ALLOWED), f"{path.name} imports {target}"
