"""Per-layer counters: OpenVINO and ONNX Runtime conversion, averaging, -pcsort modes, JSON, console table."""

from __future__ import annotations

import enum
import json
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from rich.console import Console

from infermeter.errors import EngineError
from infermeter.reporters.counters import coverage_line, render_counters
from infermeter.results.counters import (
    LayerCounter,
    average_counters,
    counters_coverage,
    counters_from_dict,
    counters_from_openvino,
    counters_from_ort_profile,
    counters_to_dict,
    merge_repeats,
    sort_counters,
    status_name,
    summarize_counters,
    timedelta_ns,
    total_real_ns,
)


def layer(name: str, real_ns: int, cpu_ns: int = 0, status: str = "EXECUTED", layer_type: str = "Conv",
          exec_type: str = "jit") -> LayerCounter:
    return LayerCounter(name, layer_type, exec_type, status, real_ns, cpu_ns)


# --- OpenVINO conversion ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    (timedelta(0), 0),
    (timedelta(microseconds=1), 1_000),
    (timedelta(microseconds=135), 135_000),
    (timedelta(seconds=1, microseconds=999_999), 1_999_999_000),
    (timedelta(days=1, seconds=2, microseconds=3), 86_402_000_003_000),
    (timedelta(microseconds=123_456_789_012), 123_456_789_012_000),  # beyond float-exact ms arithmetic
    (timedelta(microseconds=-1), -1_000),
])
def test_timedelta_to_integer_nanoseconds_is_exact(value: timedelta, expected: int) -> None:
    assert timedelta_ns(value) == expected
    assert type(timedelta_ns(value)) is int


def test_timedelta_conversion_rejects_other_types() -> None:
    with pytest.raises(TypeError, match="timedelta"):
        timedelta_ns(1.5)  # type: ignore[arg-type]


class Status(enum.Enum):
    NOT_RUN = 0
    OPTIMIZED_OUT = 1
    EXECUTED = 2


def test_openvino_profiling_info_is_converted_field_by_field() -> None:
    infos = [
        SimpleNamespace(node_name="conv1", node_type="Convolution", exec_type="jit_avx2_FP32",
                        status=Status.EXECUTED, real_time=timedelta(microseconds=1_234),
                        cpu_time=timedelta(microseconds=1_200)),
        SimpleNamespace(node_name="input", node_type="Parameter", exec_type="unknown_f32",
                        status="Status.NOT_RUN", real_time=timedelta(0), cpu_time=timedelta(0)),
    ]
    assert counters_from_openvino(infos) == [
        LayerCounter("conv1", "Convolution", "jit_avx2_FP32", "EXECUTED", 1_234_000, 1_200_000),
        LayerCounter("input", "Parameter", "unknown_f32", "NOT_RUN", 0, 0),
    ]


def test_status_name_from_enum_or_text() -> None:
    assert status_name(Status.OPTIMIZED_OUT) == "OPTIMIZED_OUT"
    assert status_name("Status.EXECUTED") == "EXECUTED"
    assert status_name("NOT_RUN") == "NOT_RUN"


def test_openvino_counters_from_a_real_request(tmp_path: Path) -> None:
    ov = pytest.importorskip("openvino")
    model_path = _tiny_onnx_model(tmp_path)
    compiled = ov.Core().compile_model(str(model_path), "CPU", {"PERF_COUNT": True})
    request = compiled.create_infer_request()
    request.infer({"x": np.ones((1, 4), dtype=np.float32)})
    infos = request.profiling_info
    counters = counters_from_openvino(infos)
    assert len(counters) == len(infos) > 0
    for counter, info in zip(counters, infos, strict=True):
        assert counter.name == info.node_name and counter.layer_type == info.node_type
        assert counter.status == info.status.name
        assert counter.real_ns == info.real_time // timedelta(microseconds=1) * 1000
        assert counter.cpu_ns == info.cpu_time // timedelta(microseconds=1) * 1000
    assert {c.status for c in counters} <= {"EXECUTED", "NOT_RUN", "OPTIMIZED_OUT"}
    assert any(c.status == "EXECUTED" for c in counters)


# --- ONNX Runtime profiles --------------------------------------------------------------------------------


def _event(cat: str, name: str, ts: int, dur: int, tid: int = 1, **args: Any) -> dict[str, Any]:
    return {"cat": cat, "pid": 7, "tid": tid, "dur": dur, "ts": ts, "ph": "X", "name": name, "args": args}


def _node(name: str, op: str, ts: int, dur: int, tid: int = 1) -> dict[str, Any]:
    return _event("Node", f"{name}_kernel_time", ts, dur, tid, op_name=op, provider="CPUExecutionProvider")


HAND_MADE_PROFILE = [
    _event("Session", "model_loading_uri", 0, 50),
    _event("Session", "session_initialization", 60, 400),
    _node("folded", "Constant", 100, 9),  # during initialisation: no run holds it
    _node("conv", "Conv", 1_000, 120),
    _event("Node", "conv_fence_before", 999, 1),
    _node("relu", "Relu", 1_130, 15),
    _event("Node", "relu_fence_after", 1_146, 1),
    _event("Session", "SequentialExecutor::Execute", 998, 160),
    _event("Session", "model_run", 990, 200),
    _node("conv", "Conv", 2_000, 100),
    _node("body", "Add", 2_110, 10),  # a loop body: twice in one run
    _node("body", "Add", 2_130, 12),
    _event("Session", "model_run", 1_995, 160),
]


def test_ort_profile_gives_one_list_per_run_with_loops_summed(tmp_path: Path) -> None:
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(HAND_MADE_PROFILE), encoding="utf-8")
    cpu = "CPUExecutionProvider"
    assert counters_from_ort_profile(path) == [
        [LayerCounter("conv", "Conv", cpu, "EXECUTED", 120_000, 0),
         LayerCounter("relu", "Relu", cpu, "EXECUTED", 15_000, 0)],
        [LayerCounter("conv", "Conv", cpu, "EXECUTED", 100_000, 0),
         LayerCounter("body", "Add", cpu, "EXECUTED", 22_000, 0)],
    ]


def test_ort_overlapping_runs_are_told_apart_by_thread(tmp_path: Path) -> None:
    events = [
        _event("Session", "model_run", 100, 500, tid=1),
        _event("Session", "model_run", 150, 500, tid=2),
        _node("a", "MatMul", 200, 10, tid=1),
        _node("a", "MatMul", 210, 30, tid=2),
        _node("b", "Relu", 620, 5, tid=2),  # only the second run is still going
    ]
    path = tmp_path / "overlap.json"
    path.write_text(json.dumps(events), encoding="utf-8")
    runs = counters_from_ort_profile(str(path))
    assert [[(c.name, c.real_ns) for c in run] for run in runs] == [[("a", 10_000)], [("a", 30_000), ("b", 5_000)]]


@pytest.mark.parametrize(("text", "reason"), [
    ('[{"cat": "Session", "name": "model_run", "ts": 1, "dur"', "not valid JSON"),
    ('{"traceEvents": []}', "not a list of trace events"),
    ('[{"cat": "Session", "name": "model_run", "ts": 1, "dur": "x"}]', "malformed"),
    ('[{"cat": "Session", "name": "model_run", "ts": 0, "dur": 5}, {"cat": "Node", "name": "a_kernel_time", '
     '"ts": 1}]', "malformed"),
    ("", "not valid JSON"),
])
def test_damaged_ort_profile_is_one_engine_error_naming_the_file(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "damaged.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EngineError, match=reason) as caught:
        counters_from_ort_profile(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_missing_or_binary_ort_profile_is_an_engine_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="was not written"):
        counters_from_ort_profile(tmp_path / "absent.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(EngineError, match="cannot be read"):
        counters_from_ort_profile(binary)


def test_ort_counters_from_a_real_profile(tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    model_path = _tiny_onnx_model(tmp_path)
    options = ort.SessionOptions()
    options.enable_profiling = True
    options.profile_file_prefix = str(tmp_path / "ort_profile")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    for _ in range(3):
        session.run(None, {"x": np.ones((1, 4), dtype=np.float32)})
    runs = counters_from_ort_profile(session.end_profiling())
    assert len(runs) == 3
    for run in runs:
        assert [(c.name, c.layer_type, c.exec_type, c.status) for c in run] == [
            ("mm", "MatMul", "CPUExecutionProvider", "EXECUTED"),
            ("relu", "Relu", "CPUExecutionProvider", "EXECUTED"),
            ("add", "Add", "CPUExecutionProvider", "EXECUTED"),
        ]
        assert all(c.real_ns % 1_000 == 0 and c.cpu_ns == 0 for c in run)


def _tiny_onnx_model(folder: Path) -> Path:
    onnx = pytest.importorskip("onnx")
    helper, tensor = onnx.helper, onnx.TensorProto
    weights = helper.make_tensor("w", tensor.FLOAT, [4, 4], np.eye(4, dtype=np.float32).ravel().tolist())
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["m"], name="mm"),
         helper.make_node("Relu", ["m"], ["r"], name="relu"),
         helper.make_node("Add", ["r", "x"], ["y"], name="add")],
        "tiny",
        [helper.make_tensor_value_info("x", tensor.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", tensor.FLOAT, [1, 4])],
        [weights],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = folder / "tiny.onnx"
    onnx.save(model, str(path))
    return path


# --- averaging, sorting, summaries ------------------------------------------------------------------------


def test_average_is_the_floor_mean_over_the_runs_where_a_layer_appears() -> None:
    runs = [
        [layer("a", 100, 10), layer("b", 7, 0)],
        [layer("a", 201, 11), layer("c", 5, 5, status="NOT_RUN")],
        [layer("a", 300, 30), layer("b", 8, 1, status="NOT_RUN")],
    ]
    assert average_counters(runs) == [layer("a", 200, 17), layer("b", 7, 0), layer("c", 5, 5, status="NOT_RUN")]


def test_average_sums_repeats_within_a_run_first() -> None:
    runs = [[layer("loop", 10), layer("loop", 20)], [layer("loop", 40)]]
    assert average_counters(runs) == [layer("loop", 35)]
    assert merge_repeats([layer("x", 1, status="NOT_RUN"), layer("y", 2), layer("x", 3)]) == [
        layer("x", 4), layer("y", 2)]
    assert average_counters([]) == []


SORTABLE = [layer("a", 5), layer("b", 9), layer("c", 0, status="NOT_RUN"), layer("d", 9),
            layer("e", 3, status="OPTIMIZED_OUT")]


@pytest.mark.parametrize(("mode", "names"), [
    ("sort", ["b", "d", "a", "e", "c"]),  # real time descending, ties in original order
    ("simple_sort", ["b", "d", "a"]),  # the same, EXECUTED only
    ("no_sort", ["a", "b", "c", "d", "e"]),
])
def test_pcsort_modes(mode: str, names: list[str]) -> None:
    assert [c.name for c in sort_counters(SORTABLE, mode)] == names


def test_unknown_sort_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="simple_sort"):
        sort_counters(SORTABLE, "fastest")


def test_summary_shares_and_type_totals() -> None:
    counters = [layer("a", 600, 60, layer_type="Conv"), layer("b", 300, layer_type="Relu"),
                layer("c", 100, layer_type="Conv"), layer("d", 0, layer_type="Pool")]
    summary = summarize_counters(counters)
    assert (summary.total_real_ns, summary.total_cpu_ns) == (1000, 60)
    assert summary.shares == (0.6, 0.3, 0.1, 0.0)
    assert summary.type_totals == (("Conv", 700), ("Relu", 300), ("Pool", 0))
    assert total_real_ns(counters) == 1000
    assert counters_coverage(counters, 2000) == 0.5
    assert summarize_counters([layer("z", 0)]).shares == (0.0,)
    with pytest.raises(ValueError, match="positive"):
        counters_coverage(counters, 0)


# --- JSON section -----------------------------------------------------------------------------------------


def test_counters_json_section_round_trips_losslessly() -> None:
    average = [layer("conv/1;x", 1_234_567_891_234, 3), layer("é", 0, status="NOT_RUN")]
    per_request = [[layer("conv/1;x", 1, 2)], []]
    data = json.loads(json.dumps(counters_to_dict(average, per_request)))
    assert data["schema_version"] == 1
    assert data["layers"][0] == {"name": "conv/1;x", "type": "Conv", "exec_type": "jit", "status": "EXECUTED",
                                 "real_ns": 1_234_567_891_234, "cpu_ns": 3}
    assert counters_from_dict(data) == (average, per_request)
    assert counters_from_dict(counters_to_dict(average)) == (average, None)


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(schema="other"),
    lambda d: d.update(schema_version=99),
    lambda d: d["layers"][0].update(real_ns=1.5),
    lambda d: d["layers"][0].update(real_ns=True),
    lambda d: d["layers"][0].update(cpu_ns=-1),
    lambda d: d["layers"][0].update(name=3),
    lambda d: d["layers"][0].pop("status"),
    lambda d: d.update(per_request="x"),
    lambda d: d.update(layers={}),
])
def test_malformed_counters_section_is_refused(mutate: Any) -> None:
    data = counters_to_dict([layer("a", 1)], [[layer("a", 1)]])
    mutate(data)
    with pytest.raises((ValueError, TypeError, KeyError)):
        counters_from_dict(data)


# --- console table ----------------------------------------------------------------------------------------


def _rendered(counters: list[LayerCounter], latency_ns: float | None, limit: int | None = None) -> str:
    console = Console(record=True, width=200)
    render_counters(console, counters, "Per-layer counters [average]", latency_ns, limit)
    return console.export_text()


def test_counters_table_shows_times_shares_and_coverage() -> None:
    counters = [layer("conv[1]", 1_500_000, 1_400_000), layer("relu", 500_000, status="NOT_RUN")]
    text = _rendered(counters, 2_100_000)
    assert "Per-layer counters [average]" in text and "conv[1]" in text
    assert "1.500" in text and "1.400" in text and "75.00 %" in text and "25.00 %" in text
    assert "2.000" in text and "100.00 %" in text and "total (2 layers)" in text
    assert "layers sum to 2.000 ms = 95.2 % of the median latency (2.100 ms)" in text
    assert "overhead" not in text and "overlap" not in text


def test_counters_table_limit_and_unknown_cpu_time() -> None:
    counters = [layer("a", 3_000_000), layer("b", 2_000_000), layer("c", 1_000_000)]
    text = _rendered(counters, None, limit=2)
    assert "showing 2 of 3 layers" in text and "│ c " not in text and "layers sum" not in text
    assert "–" in text  # every cpu_ns is 0: unknown, not zero


@pytest.mark.parametrize(("latency_ns", "suffix"), [
    (4_000_000, "; the rest is framework overhead outside the layers"),
    (1_000_000, "; counters overlap (parallel layers)"),
])
def test_coverage_line_explains_gaps(latency_ns: int, suffix: str) -> None:
    line = coverage_line([layer("a", 2_000_000)], latency_ns)
    assert line.endswith(suffix)
    assert line.startswith("layers sum to 2.000 ms = ")


def test_empty_counters_say_so() -> None:
    assert "no per-layer counters were reported" in _rendered([], 1_000_000)
