"""Acceptance table: command lines people already run with ``benchmark_app`` / ``deepsparse.benchmark`` work unchanged
as ``infermeter run …``.

Each row holds the line as documented or typed (``original``), the same line for infermeter (``argv``: program name
replaced by ``run``, files swapped for the tiny stand-ins of :mod:`parity_models`, which every test copies into its
working directory), the engines to run it on, and the facts the JSON report and the benchmark_app-style files must
show. Sources of the lines: OpenVINO's benchmark_tool README and "Benchmark Tool" docs page, benchmark_app's
``parameters.py``, deepsparse's ``src/deepsparse/benchmark/README.md``, and the anchor study
(``features.md``). ``test_infermeter_line_keeps_every_flag_of_the_original`` checks that ``argv`` has exactly the
original's flags, in order; only values (file names, shapes fitted to the stand-in models) differ.

What the harness changes on every line, so the whole file runs in well under a minute:

* ``-t``/``--time`` values become 0.2 s and ``-w``/``--warmup_time`` values 0.05 s; lines without ``-t`` or
  ``-niter`` get ``-t 0.2``, lines without a warm-up flag ``-w 0.05``;
* ``-x report.json`` is added unless the line exports JSON itself (deepsparse's ``-x out.json``);
* a row run on an engine other than the default one (openvino when installed) gets ``-e ENGINE``.

Rows marked ``xfail(strict=True, reason="BUG: …")`` are lines the original tool accepts and infermeter does not
handle yet; they start passing (and so fail as XPASS) once fixed.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from infermeter.cli import main
from infermeter.errors import EXIT_USAGE
from parity_models import HAS_ONNXRUNTIME, HAS_OPENVINO, HAS_PILLOW, build_parity_files

SHORT_TIME = "0.2"
SHORT_WARMUP = "0.05"
REPORT = "report.json"
ERROR_PREFIX = "infermeter: error: "
DEFAULT_ENGINE = "openvino" if HAS_OPENVINO else "onnxruntime"
INSTALLED = {"openvino": HAS_OPENVINO, "onnxruntime": HAS_ONNXRUNTIME}
CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
# OpenVINO caps NUM_STREAMS at the usable cores: "-nstreams 2" reads back as 1 on a one-core machine.
TWO_STREAMS = min(2, CPUS)

TIME_FLAGS = frozenset({"-t", "--time"})
ITERATION_FLAGS = frozenset({"-niter", "--niter", "--number_iterations"})
WARMUP_FLAGS = frozenset({"-w", "--warmup", "--warmup_time"})
NO_WARMUP_FLAGS = frozenset({"-no_warmup", "--no-warmup"})
EXPORT_FLAGS = frozenset({"-x", "--export-json", "--export_path"})
ENGINE_FLAGS = frozenset({"-e", "--engine"})
PILLOW_FILES = ("car.png", "images")
NUMBER = re.compile(r"-?\d+(\.\d+)?")
CSV_HEADER = ["layerName", "execStatus", "layerType", "execType", "realTime (ms)", "cpuTime (ms)"]

# --- matchers for expected JSON facts --------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """An expected value that is not a plain constant; ``what`` is shown when it fails."""

    what: str
    test: Callable[[Any], bool]

    def __repr__(self) -> str:
        return self.what


def at_least(bound: float) -> Match:
    return Match(f">= {bound}", lambda value: value is not None and value >= bound)


def at_most(bound: float) -> Match:
    return Match(f"<= {bound}", lambda value: value is not None and value <= bound)


def starts(prefix: str) -> Match:
    return Match(f"starts with {prefix!r}", lambda value: isinstance(value, str) and value.startswith(prefix))


def contains(part: str) -> Match:
    return Match(f"contains {part!r}", lambda value: value is not None and part in value)


def length(count: int) -> Match:
    return Match(f"has {count} items", lambda value: value is not None and len(value) == count)


SET = Match("set (not null, not empty)", lambda value: value not in (None, "", [], {}))


def dig(data: Any, path: str) -> Any:
    """``data["a"]["b"][0]`` for ``"a.b.0"``; a missing key fails the test with the path in the message."""
    value = data
    for key in path.split("."):
        if isinstance(value, list):
            assert int(key) < len(value), f"{path}: list has only {len(value)} items"
            value = value[int(key)]
        else:
            assert isinstance(value, dict) and key in value, f"{path}: no {key!r} in {value!r}"[:400]
            value = value[key]
    return value


# --- the table ---------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One in-process ``infermeter`` call: exit code, captured output, the exported report."""

    argv: list[str]
    code: int
    out: str
    err: str
    cwd: Path
    report: dict[str, Any] | None
    cli: Cli


Check = Callable[[Outcome], None]


@dataclass(frozen=True)
class Row:
    id: str
    source: str  # benchmark_app | deepsparse | onnxruntime | negative
    original: str | None  # the line for the original tool; None when it is an infermeter-native line
    argv: str  # the infermeter line, after "infermeter"
    engines: tuple[str, ...] = ("openvino",)
    expect: Mapping[str, Any] = field(default_factory=dict)  # dotted JSON path -> value or Match
    checks: tuple[Check, ...] = ()
    setup: Mapping[str, str] = field(default_factory=dict)  # files written into the working directory first
    error: tuple[str, ...] = ()  # negative rows: exit 2, one stderr line containing all of these
    bug: str | None = None  # xfail(strict) reason: "BUG: …"


@dataclass
class Cli:
    capsys: pytest.CaptureFixture[str]
    cwd: Path

    def __call__(self, argv: list[str]) -> Outcome:
        self.capsys.readouterr()
        code = main(argv)
        captured = self.capsys.readouterr()
        report = None
        export = _value_of(argv, EXPORT_FLAGS)
        if code == 0 and export is not None and export != "-":
            path = self.cwd / export
            assert path.is_file(), f"-x {export} was not written"
            report = json.loads(path.read_text(encoding="utf-8"))
        return Outcome(argv, code, captured.out, captured.err, self.cwd, report, self)


def _value_of(tokens: list[str], names: frozenset[str]) -> str | None:
    found = None
    for index, token in enumerate(tokens[:-1]):
        if token in names:
            found = tokens[index + 1]
    return found


def shortened(tokens: list[str]) -> list[str]:
    """The line with the run made short (see the module docstring) and a JSON export to read back."""
    result = list(tokens)
    for index, token in enumerate(result[:-1]):
        if token in TIME_FLAGS:
            result[index + 1] = SHORT_TIME
        elif token in WARMUP_FLAGS:
            result[index + 1] = SHORT_WARMUP
    present = set(result)
    if not present & (TIME_FLAGS | ITERATION_FLAGS):
        result += ["-t", SHORT_TIME]
    if not present & (WARMUP_FLAGS | NO_WARMUP_FLAGS):
        result += ["-w", SHORT_WARMUP]
    if not present & EXPORT_FLAGS:
        result += ["-x", REPORT]
    return result


# --- checks on files and reruns ----------------------------------------------------------------------------


def _csv_rows(path: Path) -> list[list[str]]:
    assert path.is_file(), f"{path.name} was not written"
    return [line.split(";") for line in path.read_text(encoding="utf-8").splitlines()]


def _sections(path: Path) -> dict[str, dict[str, str]]:
    """benchmark_report.csv as {section title: {label: value}} (benchmark_app's ';'-separated sections)."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for row in _csv_rows(path):
        if len(row) == 1 and row[0]:
            current = sections.setdefault(row[0], {})
        elif len(row) >= 2:
            current[row[0]] = row[1]
    return sections


def _report(o: Outcome) -> dict[str, Any]:
    assert o.report is not None
    return o.report


def report_folder(folder: str, *files: str) -> Check:
    """benchmark_report.csv (and ``files``) in ``folder``, its numbers the same as the JSON report's."""

    def check(o: Outcome) -> None:
        for name in files:
            assert (o.cwd / folder / name).is_file(), f"{folder}/{name} was not written"
        sections = _sections(o.cwd / folder / "benchmark_report.csv")
        assert list(sections)[:3] == ["Command line parameters", "Configuration setup", "Execution results"]
        run = _report(o)["run"]
        assert sections["Execution results"]["total number of iterations"] == str(run["count"])
        assert sections["Configuration setup"]["number of parallel infer requests"] == str(run["requests_in_flight"])

    return check


def detailed_counters(o: Outcome) -> None:
    """One counters block per request object that ran, each ending in a Total row; a Convolution executed."""
    rows = _csv_rows(o.cwd / "out" / "benchmark_detailed_counters_report.csv")
    blocks = [index for index, row in enumerate(rows) if row == CSV_HEADER]
    per_request = _report(o)["counters"]["per_request"]
    assert len(blocks) == len(per_request) >= 1
    assert sum(1 for row in rows if row[0] == "Total") == len(blocks)
    assert any(row[1:3] == ["EXECUTED", "Convolution"] for row in rows)


def counters_have_conv(o: Outcome) -> None:
    """A convolution layer, by the name of the engine's own op set."""
    report = _report(o)
    conv = {"onnxruntime": "Conv", "openvino": "Convolution"}[report["engine"]["name"]]
    layers = report["counters"]["layers"]
    assert conv in {layer["type"] for layer in layers}, layers


def sorted_counters(o: Outcome) -> None:
    """-pcsort sort: benchmark_sorted_report.csv, by real time, slowest first, with each layer's share."""
    rows = _csv_rows(o.cwd / "out" / "benchmark_sorted_report.csv")
    assert rows[0] == [*CSV_HEADER, "proportion (%)"]
    times = [float(row[4]) for row in rows[1:] if len(row) == len(rows[0]) and row[0] != "Total"]
    assert times and times == sorted(times, reverse=True)


def nearest_rank(percentile: int) -> Check:
    """benchmark_app's percentile row: sorted[ceil(n·p/100) − 1] of the measured latencies."""

    def check(o: Outcome) -> None:
        run = _report(o)["run"]
        samples = sorted(run["samples"]["latency_ns"])
        assert len(samples) == run["count"]
        expected = samples[math.ceil(len(samples) * percentile / 100) - 1]
        results = _sections(o.cwd / "out" / "benchmark_report.csv")["Execution results"]
        assert results[f"latency ({percentile} percentile) (ms)"] == f"{expected / 1e6:.3f}"
        assert results["Percentile boundary"] == str(percentile)

    return check


def json_stats_nearest_rank(percentile: int) -> Check:
    """-json_stats: benchmark_report.json with numeric values; the percentile key holds the nearest rank."""

    def check(o: Outcome) -> None:
        run = _report(o)["run"]
        samples = sorted(run["samples"]["latency_ns"])
        data = json.loads((o.cwd / "out" / "benchmark_report.json").read_text(encoding="utf-8"))
        assert list(data)[:3] == ["cmd_options", "configuration_setup", "execution_results"]
        results = data["execution_results"]
        assert results["percentile_boundary"] == percentile
        assert results["latency_median_ns"] == samples[math.ceil(len(samples) * percentile / 100) - 1]
        assert results["iterations_num"] == run["count"]

    return check


def in_flight_is_two_per_stream(o: Outcome) -> None:
    """No -nireq in the throughput scenario: two requests per stream (OpenVINO's optimal number is one)."""
    engine = _report(o)["engine"]
    assert engine["requests_in_flight"] == 2 * engine["optimal_requests"] >= 2
    assert f"nireq {engine['requests_in_flight']} = 2 × OPTIMAL_NUMBER_OF_INFER_REQUESTS" in engine["choice_reason"]


def exec_graph(o: Outcome) -> None:
    """-exec_graph_path: the runtime graph IR, with the executed Convolution in it."""
    layers = ET.parse(o.cwd / "exec.xml").getroot().iter("layer")
    assert "Convolution" in {layer.get("type") for layer in layers}


def exec_graph_has_layer_times(o: Outcome) -> None:
    """benchmark_app serializes the runtime graph after measuring, so executed layers carry their times."""
    for layer in ET.parse(o.cwd / "exec.xml").getroot().iter("layer"):
        if layer.get("type") == "Convolution":
            data = layer.find("data")
            assert data is not None
            assert (data.get("execTimeMcs") or "").isdigit(), data.attrib


def optimized_onnx(o: Outcome) -> None:
    import onnx

    model = onnx.load(str(o.cwd / "optimized.onnx"))
    assert len(model.graph.node) >= 1


def dump_then_load(o: Outcome) -> None:
    """-dump_config writes the applied properties per device in -load_config format: fed back, they apply again
    and dump the same."""
    dumped = json.loads((o.cwd / "dump.json").read_text(encoding="utf-8"))
    assert dumped and all(isinstance(properties, dict) and properties for properties in dumped.values()), dumped
    argv = list(o.argv)
    at = argv.index("-dump_config")
    argv[at + 1] = "dump-again.json"
    argv[at:at] = ["-load_config", "dump.json"]
    argv[argv.index(REPORT)] = "reloaded.json"
    again = o.cli(argv)
    assert again.code == 0, again.err
    assert json.loads((o.cwd / "dump-again.json").read_text(encoding="utf-8")) == dumped


def cache_hit_on_second_run(o: Outcome) -> None:
    assert _report(o)["engine"]["cache"].startswith("cold")
    argv = list(o.argv)
    argv[argv.index(REPORT)] = "second.json"
    again = o.cli(argv)
    assert again.code == 0, again.err
    assert _report(again)["engine"]["cache"].startswith("loaded from the cache")


def quiet(o: Outcome) -> None:
    """deepsparse's -q: infermeter prints a one-line summary."""
    lines = o.out.strip().splitlines()
    assert len(lines) == 1 and "throughput" in lines[0], o.out


def pcseq_groups_in_csv(o: Outcome) -> None:
    """benchmark_app adds a "group" row with avg/min/max latency per -data_shape group when -pcseq is given."""
    rows = _csv_rows(o.cwd / "out" / "benchmark_report.csv")
    groups = [row for row in rows if row[0] == "group"]
    assert len(groups) == len(_report(o)["run"]["groups"]) == 2


def printed(*parts: str) -> Check:
    """The console report (stdout) shows each of ``parts``."""

    def check(o: Outcome) -> None:
        for part in parts:
            assert part in o.out, f"{part!r} not printed"

    return check


def group_labels(*labels: str) -> Check:
    def check(o: Outcome) -> None:
        assert [group["label"] for group in _report(o)["run"]["groups"]] == list(labels)
        assert all(group["count"] >= 1 for group in _report(o)["run"]["groups"])

    return check


LOAD_CONFIG = json.dumps({"CPU": {"NUM_STREAMS": "1", "PERF_COUNT": "NO"}})  # the docs' Example 1 (3 -> 1 stream)
LOAD_CONFIG_AUTO = json.dumps({"AUTO": {  # the docs' Example 2, for the CPU only
    "PERFORMANCE_HINT": "THROUGHPUT", "PERF_COUNT": "NO",
    "DEVICE_PROPERTIES": "{CPU:{INFERENCE_PRECISION_HINT:f32,NUM_STREAMS:1}}"}})
IMAGE_FILL = starts("image car.png")
TOKEN_FILL = contains("token ids uniform in [0, 50)")

BENCHMARK_APP = [
    # -- "Benchmark Tool" docs page (docs/articles_en/.../benchmark-tool.rst) and the benchmark_tool README --
    Row("default", "benchmark_app", "benchmark_app -m model.xml", "run -m model.xml",
        expect={"engine.name": "openvino", "engine.device": "CPU", "model.format": "openvino-ir",
                "config.scenario": "throughput", "engine.hint": "throughput", "run.count": at_least(1)},
        checks=(in_flight_is_two_per_stream,)),
    Row("onnx-model", "benchmark_app", "benchmark_app -m model.onnx", "run -m model.onnx",
        expect={"engine.name": "openvino", "model.format": "onnx", "run.count": at_least(1)}),
    Row("hint-latency", "benchmark_app",
        "benchmark_app -m omz_models/intel/asl-recognition-0004/FP16/asl-recognition-0004.xml -d CPU -hint latency",
        "run -m model.xml -d CPU -hint latency",
        expect={"engine.hint": "latency", "engine.properties.PERFORMANCE_HINT": "LATENCY",
                "run.scenario": "latency", "run.requests_in_flight": 1}),
    Row("hint-throughput", "benchmark_app", "benchmark_app -m model.xml -hint throughput",
        "run -m model.xml -hint throughput",
        expect={"engine.hint": "throughput", "engine.properties.PERFORMANCE_HINT": "THROUGHPUT",
                "run.scenario": "throughput"},
        checks=(in_flight_is_two_per_stream,)),
    Row("hint-tput", "benchmark_app", "benchmark_app -m model.xml -hint tput", "run -m model.xml -hint tput",
        expect={"engine.hint": "throughput"}),
    Row("hint-ctput", "benchmark_app", "benchmark_app -m model.xml -hint cumulative_throughput",
        "run -m model.xml -hint cumulative_throughput", expect={"engine.hint": "cumulative_throughput"}),
    Row("last-m-wins", "benchmark_app", "benchmark_app -m model.xml -m model2.xml",
        "run -m model.xml -m model2.xml",
        expect={"model.path": "model2.xml", "model.inputs.0.name": "input_ids"}),
    Row("googlenet-async-image", "benchmark_app",
        "benchmark_app -m <ir_dir>/googlenet-v1.xml -d CPU -api async -i dog.bmp -progress -b 1",
        "run -m model.xml -d CPU -api async -i car.png -progress -b 1",
        expect={"model.inputs.0.fill": IMAGE_FILL, "model.batch": 1, "run.scenario": "throughput"}),
    Row("car-progress-true", "benchmark_app",
        "benchmark_app -m model.xml -d CPU -api async -i car.png --progress true -b 1",
        "run -m model.xml -d CPU -api async -i car.png --progress true -b 1",
        expect={"model.inputs.0.fill": IMAGE_FILL, "model.inputs.0.shape": [1, 3, 32, 32]}),
    Row("image-file", "benchmark_app", "benchmark_app -m model.xml -i test1.jpg", "run -m model.xml -i car.png",
        expect={"model.inputs.0.fill": IMAGE_FILL}),
    Row("image-folder", "benchmark_app", "benchmark_app -m model.xml -i images/", "run -m model.xml -i images/",
        expect={"model.inputs.0.fill": starts("2 images from images")}),
    Row("image-dynamic-hw", "benchmark_app", "benchmark_app -m model.xml -i test1.jpg",
        "run -m dynamic.xml -i car.png",
        expect={"model.inputs.0.shape": [1, 3, 48, 64], "model.inputs.0.fill": IMAGE_FILL}),
    Row("npy-file", "benchmark_app", "benchmark_app -m model.xml -i image.npy", "run -m model.xml -i image.npy",
        expect={"model.inputs.0.fill": "file image.npy"}),
    Row("npy-per-input", "benchmark_app",
        "benchmark_app -m bert.xml -i input_ids:input_ids.npy attention_mask:attention_mask.npy",
        "run -m bert_dynamic.xml -i input_ids:input_ids.npy attention_mask:attention_mask.npy",
        expect={"model.inputs.0.fill": "file input_ids.npy", "model.inputs.1.fill": "file attention_mask.npy",
                "model.inputs.0.shape": [1, 128]}),
    Row("batch-static-model", "benchmark_app", "benchmark_app -m model.xml -b 8", "run -m model.xml -b 8",
        expect={"model.batch": 8, "model.inputs.0.shape": [8, 3, 32, 32]}),
    Row("batch-dynamic-model", "benchmark_app", "benchmark_app -m model.xml -shape [?,3,224,224] -b 8",
        "run -m dynamic.xml -shape [?,3,32,32] -b 8",
        expect={"model.batch": 8, "model.inputs.0.shape": [8, 3, 32, 32], "model.batch_origin": "-b"}),
    # -- dynamic shapes: the docs' asl-recognition example, fitted to a 4-D model --
    Row("data-shape-groups", "benchmark_app",
        "benchmark_app -m omz_models/intel/asl-recognition-0004/FP16/asl-recognition-0004.xml -d CPU "
        "-shape [-1,3,16,224,224] -data_shape [1,3,16,224,224][2,3,16,224,224][4,3,16,224,224] -pcseq",
        "run -m dynamic.xml -d CPU -shape [-1,3,16,16] -data_shape [1,3,16,16][2,3,16,16][4,3,16,16] -pcseq",
        expect={"model.full_mode": True, "model.shape_groups": length(3), "config.output.per_shape": True},
        checks=(group_labels("image:0[1,3,16,16]", "image:0[2,3,16,16]", "image:0[4,3,16,16]"),
                printed("Latency per data shape", "image:0[4,3,16,16]"))),
    Row("data-shape-named", "benchmark_app",
        'benchmark_app -m model.xml -shape "input1[?,3,224,224]" -data_shape "input1[1,3,224,224][2,3,224,224]"',
        'run -m dynamic.xml -shape "image:0[?,3,32,32]" -data_shape "image:0[1,3,32,32][2,3,32,32]"',
        checks=(group_labels("image:0[1,3,32,32]", "image:0[2,3,32,32]"),)),
    Row("data-shape-two-inputs", "benchmark_app",
        'benchmark_app -m bert.xml -data_shape "input_ids[1,16][1,32],attention_mask[1,16][1,32]"',
        'run -m bert_dynamic.xml -data_shape "input_ids[1,16][1,32],attention_mask[1,16][1,32]"',
        expect={"model.input_sets": 2, "model.inputs.0.fill": TOKEN_FILL,
                "model.inputs.1.fill": starts("ones")},
        checks=(group_labels("input_ids[1,16],attention_mask[1,16]", "input_ids[1,32],attention_mask[1,32]"),)),
    Row("shape-range", "benchmark_app",
        "benchmark_app -m model.xml -shape [1..10,3,?,?] -data_shape [1,3,128,128][3,3,128,128]",
        "run -m dynamic.xml -shape [1..10,3,?,?] -data_shape [1,3,32,32][3,3,32,32]",
        checks=(group_labels("image:0[1,3,32,32]", "image:0[3,3,32,32]"),)),
    Row("shape-named-batch", "benchmark_app",
        'benchmark_app -m bert.xml -shape "input_ids[-1,128],attention_mask[-1,128]" -b 4',
        'run -m bert_dynamic.xml -shape "input_ids[-1,128],attention_mask[-1,128]" -b 4',
        expect={"model.batch": 4, "model.inputs.0.shape": [4, 128], "model.inputs.1.shape": [4, 128]}),
    Row("layout", "benchmark_app", "benchmark_app -m model.xml -layout [NCHW] -i car.png",
        "run -m model.xml -layout [NCHW] -i car.png",
        expect={"config.tuning.layouts": [[None, "NCHW"]], "model.inputs.0.fill": IMAGE_FILL}),
    Row("inference-only-false", "benchmark_app", "benchmark_app -m model.xml -inference_only false",
        "run -m model.xml -inference_only false", expect={"model.full_mode": True}),
    # -- requests, streams, iterations --
    Row("niter-nireq-nstreams", "benchmark_app",
        "benchmark_app -m model.xml -niter 100 -nireq 4 -nstreams 2 -hint none",
        "run -m model.xml -niter 100 -nireq 4 -nstreams 2 -hint none",
        expect={"config.requests": 4, "run.requests_in_flight": 4, "engine.requests_in_flight": 4,
                "engine.streams": TWO_STREAMS, "config.tuning.streams": "2", "run.count": at_least(100)}),
    Row("api-sync-niter", "benchmark_app", "benchmark_app -m model.xml -api sync -niter 100",
        "run -m model.xml -api sync -niter 100",
        expect={"run.scenario": "latency", "run.requests_in_flight": 1, "run.count": at_least(100)}),
    Row("nstreams-per-device", "benchmark_app", "benchmark_app -m model.xml -nstreams CPU:2 -hint none",
        "run -m model.xml -nstreams CPU:2 -hint none", expect={"engine.streams": TWO_STREAMS}),
    Row("niter-0-compile-only", "benchmark_app", "benchmark_app -m model.xml -niter 0",
        "run -m model.xml -niter 0",
        expect={"run": None, "phases.compile_ns": at_least(1), "phases.first_inference_ns": None}),
    Row("max-irate", "benchmark_app", "benchmark_app -m model.xml -max_irate 200",
        "run -m model.xml -max_irate 200",
        expect={"config.max_rate": 200.0, "run.requests_per_s": at_most(250), "run.count": at_least(2)}),
    Row("stream-output", "benchmark_app", "benchmark_app -m model.xml -stream_output -progress true",
        "run -m model.xml -stream_output -progress true", expect={"config.output.progress": "lines"}),
    # -- device properties --
    Row("pin-yes-nthreads", "benchmark_app", "benchmark_app -m model.xml -hint none -pin YES -nthreads 1",
        "run -m model.xml -hint none -pin YES -nthreads 1",
        expect={"engine.properties.ENABLE_CPU_PINNING": True, "engine.threads": 1,
                "engine.properties.INFERENCE_NUM_THREADS": 1}),
    Row("pin-no", "benchmark_app", "benchmark_app -m model.xml -pin NO", "run -m model.xml -pin NO",
        expect={"engine.properties.ENABLE_CPU_PINNING": False}),
    Row("infer-precision-f32", "benchmark_app", "benchmark_app -m model.xml -infer_precision f32",
        "run -m model.xml -infer_precision f32",
        expect={"engine.precision": "f32", "engine.properties.INFERENCE_PRECISION_HINT": "f32"}),
    Row("infer-precision-per-device", "benchmark_app", "benchmark_app -m model.xml -infer_precision CPU:f32",
        "run -m model.xml -infer_precision CPU:f32", expect={"engine.precision": "f32"}),
    Row("ip-u8", "benchmark_app", "benchmark_app -m model.xml -ip u8", "run -m model.xml -ip u8",
        expect={"model.inputs.0.dtype": "uint8"}),
    Row("ip-op-uppercase", "benchmark_app", "benchmark_app -m model.xml -ip U8 -op FP32",
        "run -m model.xml -ip U8 -op FP32", expect={"model.inputs.0.dtype": "uint8"}),
    Row("iop-odd-names", "benchmark_app", 'benchmark_app -m model.xml -iop "input:f16, output:f16"',
        'run -m model.xml -iop "image:0:f16, features:f16"', expect={"model.inputs.0.dtype": "float16"}),
    Row("mean-scale", "benchmark_app",
        "benchmark_app -m model.xml -ip u8 --mean_values [123.675,116.28,103.53] --scale_values [58.395,57.12,57.375]",
        "run -m model.xml -ip u8 --mean_values [123.675,116.28,103.53] --scale_values [58.395,57.12,57.375]",
        expect={"model.inputs.0.dtype": "uint8", "config.tuning.mean_values.0.1": [123.675, 116.28, 103.53],
                "config.tuning.scale_values.0.1": [58.395, 57.12, 57.375]}),
    Row("mean-per-input", "benchmark_app", 'benchmark_app -m model.xml --mean_values "data[255,255,255]"',
        'run -m model.xml --mean_values "image:0[255,255,255]"',
        expect={"config.tuning.mean_values.0": ["image:0", [255.0, 255.0, 255.0]]}),
    Row("device-multi", "benchmark_app", "benchmark_app -m model.xml -d MULTI:CPU", "run -m model.xml -d MULTI:CPU",
        expect={"engine.device": "MULTI:CPU", "engine.properties.EXECUTION_DEVICES": "CPU"}),
    Row("cache-dir", "benchmark_app", "benchmark_app -m model.xml -cdir cache", "run -m model.xml -cdir cache",
        checks=(cache_hit_on_second_run,)),
    Row("load-from-file", "benchmark_app", "benchmark_app -m model.xml -lfile", "run -m model.xml -lfile",
        expect={"config.tuning.compile_from_file": True, "run.count": at_least(1)}),
    Row("load-config", "benchmark_app", "benchmark_app -m model.xml -load_config cfg.json",
        "run -m model.xml -load_config cfg.json", setup={"cfg.json": LOAD_CONFIG},
        expect={"engine.streams": 1, "engine.properties.PERF_COUNT": "NO"}),
    Row("load-config-command-line-wins", "benchmark_app",
        "benchmark_app -m model.xml -load_config cfg.json -nstreams 2 -hint none",
        "run -m model.xml -load_config cfg.json -nstreams 2 -hint none", setup={"cfg.json": LOAD_CONFIG},
        expect={"engine.streams": TWO_STREAMS}),
    Row("load-config-auto", "benchmark_app", "benchmark_app -m model.xml -d AUTO -load_config cfg.json",
        "run -m model.xml -d AUTO -load_config cfg.json", setup={"cfg.json": LOAD_CONFIG_AUTO},
        expect={"engine.device": "AUTO", "engine.properties.EXECUTION_DEVICES": "CPU",
                "engine.optimal_requests": 1, "engine.requests_in_flight": 2}),  # throughput hint: two per stream
    Row("dump-config", "benchmark_app", "benchmark_app -m model.xml -dump_config dump.json",
        "run -m model.xml -dump_config dump.json", checks=(dump_then_load,)),
    Row("exec-graph", "benchmark_app", "benchmark_app -m model.xml -exec_graph_path exec.xml",
        "run -m model.xml -exec_graph_path exec.xml",
        expect={"engine.properties.PERF_COUNT": "YES"}, checks=(exec_graph,)),
    Row("exec-graph-layer-times", "benchmark_app", "benchmark_app -m model.xml -exec_graph_path exec.xml",
        "run -m model.xml -exec_graph_path exec.xml", checks=(exec_graph_has_layer_times,)),
    Row("pc-detailed-counters", "benchmark_app",
        "benchmark_app -m model.xml -pc -report_type detailed_counters -report_folder out",
        "run -m model.xml -pc -report_type detailed_counters -report_folder out",
        expect={"engine.properties.PERF_COUNT": "YES", "config.output.print_counters": True,
                "counters.layers": SET},
        checks=(report_folder("out", "benchmark_detailed_counters_report.csv"), detailed_counters,
                counters_have_conv, printed("Per-layer counters", "Convolution"))),
    Row("average-counters-json", "benchmark_app",
        "benchmark_app -m model.xml -report_type average_counters -report_folder out -json_stats",
        "run -m model.xml -report_type average_counters -report_folder out -json_stats",
        checks=(report_folder("out", "benchmark_report.json", "benchmark_average_counters_report.csv",
                              "benchmark_average_counters_report.json"), json_stats_nearest_rank(50))),
    Row("pcsort", "benchmark_app", "benchmark_app -m model.xml -pcsort sort -report_folder out",
        "run -m model.xml -pcsort sort -report_folder out",
        expect={"config.output.counters_sort": "sort"}, checks=(sorted_counters, counters_have_conv)),
    Row("pcsort-simple", "benchmark_app", "benchmark_app -m model.xml -pcsort simple_sort",
        "run -m model.xml -pcsort simple_sort",
        expect={"config.output.counters_sort": "simple_sort", "counters.layers": SET}),
    Row("latency-percentile", "benchmark_app", "benchmark_app -m model.xml -latency_percentile 90 -report_folder out",
        "run -m model.xml -latency_percentile 90 -report_folder out",
        expect={"config.output.latency_percentile": 90},
        checks=(report_folder("out"), nearest_rank(90))),
    Row("pcseq-report-folder", "benchmark_app",
        "benchmark_app -m model.xml -shape [-1,3,224,224] -data_shape [1,3,224,224][2,3,224,224] -pcseq "
        "-report_folder out",
        "run -m dynamic.xml -shape [-1,3,16,16] -data_shape [1,3,16,16][2,3,16,16] -pcseq -report_folder out",
        checks=(report_folder("out"), pcseq_groups_in_csv)),
]


DEEPSPARSE = [
    # -- deepsparse.benchmark lines --
    Row("full-async", "deepsparse",
        "deepsparse.benchmark model.onnx -b 64 -s async -ncores 2 -t 10 -w 2 -nstreams 2 -pin core -x out.json -q",
        "run model.onnx -b 64 -s async -ncores 2 -t 10 -w 2 -nstreams 2 -pin core -x out.json -q",
        engines=("openvino",),
        expect={"model.batch": 64, "model.inputs.0.shape": [64, 3, 32, 32], "run.scenario": "throughput",
                "config.threads": 2, "config.tuning.streams": "2", "config.tuning.pinning": "YES",
                "engine.properties.ENABLE_CPU_PINNING": True, "schema": "infermeter.report"},
        checks=(quiet,)),
    Row("static-batch-model", "deepsparse", "deepsparse.benchmark model.onnx --batch_size 64",
        "run model.onnx --batch_size 64", engines=("openvino", "onnxruntime"),
        expect={"model.batch": 64, "model.inputs.0.shape": [64, 3, 32, 32]}),
    Row("num-streams", "deepsparse",
        "deepsparse.benchmark model.onnx --batch_size 16 --scenario async --num_streams 8",
        "run model.onnx --batch_size 16 --scenario async --num_streams 8",
        engines=("openvino", "onnxruntime"),
        expect={"model.batch": 16, "run.scenario": "throughput", "config.tuning.streams": "8",
                "run.requests_in_flight": at_least(1)}),
    Row("bert-sync", "deepsparse",
        "deepsparse.benchmark zoo:nlp/question_answering/bert-large/pytorch/huggingface/squad/pruned90_quant-none "
        "--batch_size 1 --scenario sync",
        "run bert.onnx --batch_size 1 --scenario sync", engines=("openvino", "onnxruntime"),
        expect={"run.scenario": "latency", "run.requests_in_flight": 1, "model.inputs.0.shape": [1, 128],
                "model.inputs.0.fill": TOKEN_FILL}),
    Row("export-json", "deepsparse",
        "deepsparse.benchmark zoo:nlp/text_classification/bert-base/pytorch/huggingface/mnli/base-none "
        "-x benchmark.json",
        "run bert.onnx -x benchmark.json", engines=("openvino", "onnxruntime"),
        expect={"schema": "infermeter.report", "run.throughput_items_per_s": at_least(1)}),
    Row("engine-onnxruntime", "deepsparse",
        "deepsparse.benchmark zoo:nlp/sentiment_analysis/obert-base/pytorch/huggingface/sst2/base-none "
        "--batch_size 64 --engine onnxruntime",
        "run bert.onnx --batch_size 64 --engine onnxruntime", engines=("onnxruntime",),
        expect={"engine.name": "onnxruntime", "model.batch": 64, "model.inputs.1.shape": [64, 128]}),
    Row("shapes", "deepsparse", 'deepsparse.benchmark model.onnx -shapes "[1,128],[1,128]"',
        'run bert_dynamic.onnx -shapes "[1,128],[1,128]"', engines=("openvino", "onnxruntime"),
        expect={"model.inputs.0.shape": [1, 128], "model.inputs.1.shape": [1, 128]}),
    Row("i-shapes", "deepsparse", 'deepsparse.benchmark model.onnx -i "[1,128],[1,128]"',
        'run bert_dynamic.onnx -i "[1,128],[1,128]"', engines=("openvino", "onnxruntime"),
        expect={"model.inputs.0.shape": [1, 128], "model.inputs.1.shape": [1, 128]}),
    Row("input-shapes-long", "deepsparse", 'deepsparse.benchmark model.onnx --input_shapes "[2,64],[2,64]"',
        'run bert_dynamic.onnx --input_shapes "[2,64],[2,64]"',
        expect={"model.batch": 2, "model.inputs.0.shape": [2, 64]}),
    Row("elastic", "deepsparse", "deepsparse.benchmark model.onnx -s elastic", "run bert.onnx -s elastic",
        expect={"config.tuning.elastic": True, "run.scenario": "throughput"}),
    Row("pin-none", "deepsparse", "deepsparse.benchmark model.onnx -pin none", "run bert.onnx -pin none",
        expect={"config.tuning.pinning": "NO", "engine.properties.ENABLE_CPU_PINNING": False}),
    Row("cores-pinning-long", "deepsparse", "deepsparse.benchmark model.onnx --num_cores 1 --thread_pinning core",
        "run bert.onnx --num_cores 1 --thread_pinning core",
        expect={"engine.threads": 1, "config.tuning.pinning": "YES"}),
    Row("ncores-onnxruntime", "deepsparse", "deepsparse.benchmark model.onnx -e onnxruntime -ncores 1 -s sync",
        "run model.onnx -e onnxruntime -ncores 1 -s sync", engines=("onnxruntime",),
        expect={"engine.threads": 1, "engine.properties.intra_op_num_threads": 1, "run.scenario": "latency"}),
]

ORT = "onnxruntime"
ONNXRUNTIME = [
    # -- lines an onnxruntime_perf_test user writes (-e cpu, -y, -o, -C, -x, -c, -p) in infermeter's spelling --
    Row("ep-cpu", ORT, None, "run model.onnx -e onnxruntime --ep cpu", engines=(ORT,),
        expect={"engine.properties.providers": "CPUExecutionProvider", "config.tuning.execution_provider": "cpu"}),
    Row("inter-op-threads", ORT, None, "run model.onnx -e onnxruntime --ep CPUExecutionProvider --inter-op-threads 2",
        engines=(ORT,),
        expect={"engine.properties.inter_op_num_threads": 2, "engine.properties.execution_mode": "parallel"}),
    Row("graph-opt-99", ORT, None, "run model.onnx -e onnxruntime --graph-opt-level 99", engines=(ORT,),
        expect={"engine.properties.graph_optimization_level": "all"}),
    Row("graph-opt-basic", ORT, None, "run model.onnx -e onnxruntime --graph-opt-level 1", engines=(ORT,),
        expect={"engine.properties.graph_optimization_level": "basic"}),
    Row("session-config", ORT, None,
        "run model.onnx -e onnxruntime --session-config session.intra_op.allow_spinning=0", engines=(ORT,),
        expect={"engine.properties.session_config": "session.intra_op.allow_spinning=0"}),
    Row("io-binding", ORT, None, "run model.onnx -e onnxruntime --io-binding", engines=(ORT,),
        expect={"engine.properties.io_binding": "on"}),
    Row("perf-counts", ORT, None, "run model.onnx -e onnxruntime -pc", engines=(ORT,),
        expect={"engine.properties.profiling": "on", "counters.layers": SET}, checks=(counters_have_conv,)),
    Row("optimized-model", ORT, None, "run model.onnx -e onnxruntime -exec_graph_path optimized.onnx",
        engines=(ORT,), expect={"engine.properties.optimized_model_filepath": "optimized.onnx"},
        checks=(optimized_onnx,)),
    Row("sync-threads-niter", ORT, None, "run model.onnx -e onnxruntime -nthreads 1 -api sync -niter 100",
        engines=(ORT,),
        expect={"engine.threads": 1, "engine.properties.intra_op_num_threads": 1, "run.scenario": "latency",
                "run.count": at_least(100)}),
    Row("runner-threads", ORT, None, "run model.onnx -e onnxruntime -api async -nstreams 2", engines=(ORT,),
        expect={"engine.streams": 2, "run.requests_in_flight": 2, "engine.async_mode": contains("runner threads")}),
    Row("compile-only", ORT, None, "run model.onnx -e onnxruntime -niter 0", engines=(ORT,),
        expect={"run": None, "phases.compile_ns": at_least(1)}),
    Row("percentile-json-stats", ORT, None,
        "run model.onnx -e onnxruntime -latency_percentile 99 -report_folder out -json_stats", engines=(ORT,),
        checks=(report_folder("out", "benchmark_report.json"), json_stats_nearest_rank(99))),
    Row("data-shape", ORT, None, "run dynamic.onnx -e onnxruntime -data_shape [1,3,16,16][2,3,16,16] -pcseq",
        engines=(ORT,), expect={"model.full_mode": True},
        checks=(group_labels("image:0[1,3,16,16]", "image:0[2,3,16,16]"),)),
    Row("dump-config", ORT, None, "run model.onnx -e onnxruntime -dump_config dump.json", engines=(ORT,),
        checks=(dump_then_load,)),
]


NEGATIVE = [
    # -- options an engine cannot honour: one line naming the flag and the engines that can --
    Row("infer-precision-onnxruntime", "negative", None, "run model.onnx -infer_precision f32 -e onnxruntime",
        engines=(ORT,), error=("-infer_precision", "openvino")),
    Row("pin-onnxruntime", "negative", None, "run model.onnx -pin YES -e onnxruntime", engines=(ORT,),
        error=("-pin", "openvino")),
    Row("elastic-onnxruntime", "negative", None, "run model.onnx -s elastic -e onnxruntime", engines=(ORT,),
        error=("-s elastic", "openvino")),
    Row("ip-onnxruntime", "negative", None, "run model.onnx -ip u8 -e onnxruntime", engines=(ORT,),
        error=("-ip", "openvino")),
    Row("ctput-onnxruntime", "negative", None, "run model.onnx -hint ctput -e onnxruntime", engines=(ORT,),
        error=("-hint cumulative_throughput", "openvino")),
    Row("mean-values-onnxruntime", "negative", None,
        "run model.onnx --mean_values [123.675,116.28,103.53] -e onnxruntime", engines=(ORT,),
        error=("--mean_values", "openvino")),
    Row("cdir-onnxruntime", "negative", None, "run model.onnx -cdir cache -e onnxruntime", engines=(ORT,),
        error=("-cdir", "openvino")),
    Row("ep-openvino", "negative", None, "run model.onnx --ep cpu -e openvino", engines=("openvino",),
        error=("--ep", "onnxruntime")),
    Row("io-binding-openvino", "negative", None, "run model.onnx --io-binding -e openvino", engines=("openvino",),
        error=("--io-binding", "onnxruntime")),
    Row("inter-op-openvino", "negative", None, "run model.onnx --inter-op-threads 2 -e openvino",
        engines=("openvino",), error=("--inter-op-threads", "onnxruntime")),
    Row("graph-opt-openvino", "negative", None, "run model.onnx --graph-opt-level 1 -e openvino",
        engines=("openvino",), error=("--graph-opt-level", "onnxruntime")),
    Row("ep-option-cpu", "negative", None,
        "run model.onnx -e onnxruntime --ep cpu --ep-option arena_extend_strategy=kSameAsRequested",
        engines=(ORT,), error=("--ep-option", "CPUExecutionProvider")),  # the CPU provider takes no options
]

ROWS = BENCHMARK_APP + DEEPSPARSE + ONNXRUNTIME + NEGATIVE


def _cases() -> list[Any]:
    cases = []
    for row in ROWS:
        for engine in row.engines:
            marks = [pytest.mark.xfail(strict=True, reason=row.bug)] if row.bug else []
            name = f"{row.source}:{row.id}" + (f"[{engine}]" if len(row.engines) > 1 else "")
            cases.append(pytest.param(row, engine, id=name, marks=marks))
    return cases


# --- fixtures and tests ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def parity_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("onnx")
    directory = tmp_path_factory.mktemp("parity")
    build_parity_files(directory)
    return directory


@pytest.mark.parametrize(("row", "engine"), _cases())
def test_command_line_runs_unchanged(row: Row, engine: str, parity_dir: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    if not INSTALLED[engine]:
        pytest.skip(f"{engine} not installed")
    tokens = shlex.split(row.argv)
    if not HAS_PILLOW and any(name in token for token in tokens for name in PILLOW_FILES):
        pytest.skip("Pillow not installed (image inputs)")
    shutil.copytree(parity_dir, tmp_path, dirs_exist_ok=True)
    for name, text in row.setup.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    if engine != DEFAULT_ENGINE and not set(tokens) & ENGINE_FLAGS:
        tokens += ["-e", engine]
    argv = shortened(tokens)

    outcome = Cli(capsys, tmp_path)(argv)

    if row.error:
        assert outcome.code == EXIT_USAGE, outcome.err
        lines = outcome.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith(ERROR_PREFIX), outcome.err
        for word in row.error:
            assert word in lines[0], lines[0]
        assert not (tmp_path / REPORT).exists()
        return
    assert outcome.code == 0, outcome.err
    report = _report(outcome)
    assert report["command"] == ["infermeter", *argv]
    assert report["error"] is None and report["partial"] is False
    assert report["engine"]["name"] == engine
    for path, wanted in row.expect.items():
        value = dig(report, path)
        if isinstance(wanted, Match):
            assert wanted.test(value), f"{path} = {value!r}, expected {wanted!r}"
        else:
            assert value == wanted and type(value) is type(wanted), f"{path} = {value!r}, expected {wanted!r}"
    for check in row.checks:
        check(outcome)


def _flags(line: str) -> list[str]:
    return [token for token in shlex.split(line)[1:] if token.startswith("-") and not NUMBER.fullmatch(token)]


@pytest.mark.parametrize("row", [pytest.param(row, id=f"{row.source}:{row.id}") for row in ROWS if row.original])
def test_infermeter_line_keeps_every_flag_of_the_original(row: Row) -> None:
    """Only the program name and values (files, shapes fitted to the stand-ins) differ from the original line."""
    assert row.original is not None
    program = shlex.split(row.original)[0]
    assert program in {"benchmark_app", "deepsparse.benchmark"}
    assert shlex.split(row.argv)[0] == "run"
    assert _flags(row.argv) == _flags(row.original)


def test_table_size_and_ids() -> None:
    ids = [f"{row.source}:{row.id}" for row in ROWS]
    assert len(ids) == len(set(ids))
    assert all(row.bug is None or row.bug.startswith("BUG: ") for row in ROWS)
    assert all(bool(row.error) == (row.source == "negative") for row in ROWS)
    counts = {source: sum(row.source == source for row in ROWS)
              for source in ("benchmark_app", "deepsparse", "onnxruntime", "negative")}
    assert min(counts.values()) >= 10, counts
