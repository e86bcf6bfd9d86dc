"""Known-answer tests for the tuning, output and shape option parsers, the engine support table, the new
``build_config`` keywords and the command-line spellings of every new flag.

No engine is needed: everything here is parsed before an engine loads (the few ``app.run`` calls use the fake
engine and fail before reading anything).
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from infermeter.cli import build_parser
from infermeter.cli.options import run_options, split_model_from_flags
from infermeter.config.benchmark import build_config
from infermeter.config.output import OutputOptions, build_output_options
from infermeter.config.tuning import (
    ENGINE_SUPPORT,
    Tuning,
    build_tuning,
    check_engine_support,
    load_device_config,
    parse_bool,
    parse_element_type,
    parse_extensions,
    parse_graph_level,
    parse_infer_precision,
    parse_io_precisions,
    parse_key_values,
    parse_layouts,
    parse_named_brackets,
    parse_pinning,
    parse_streams,
    parse_values,
)
from infermeter.config.values import ShapeOverride, parse_data_shapes, parse_positional_shapes
from infermeter.errors import InputError, UsageError
from infermeter.measure import run as app

ENGINES = ("openvino", "onnxruntime", "fake")


# ------------------------------------------------------------------------------------------ -nstreams


@pytest.mark.parametrize(
    ("value", "expected"),
    [("4", "4"), (4, "4"), ("1", "1"), (" 12 ", "12"), ("AUTO", "AUTO"), ("auto", "AUTO"), ("Auto", "AUTO"),
     ("CPU:4,GPU:2", "CPU:4,GPU:2"), ("CPU:4", "CPU:4"), ("CPU:AUTO", "CPU:AUTO"), ("GPU.1:2", "GPU.1:2"),
     (None, None)],
)
def test_streams(value: str | int | None, expected: str | None) -> None:
    assert parse_streams(value) == expected


@pytest.mark.parametrize("value", ["0", "x", "CPU:", "-1", "CPU:0", ":4", "", "2.5", "CPU:x"])
def test_streams_refused(value: str) -> None:
    with pytest.raises(UsageError, match=r"^-nstreams '.*': expected a positive number, AUTO, or DEVICE:N,DEVICE:N$"):
        parse_streams(value)


def test_streams_without_a_device_among_several_refused() -> None:
    with pytest.raises(UsageError, match=r"^-nstreams '4,GPU:2': name the device of each value, e.g. CPU:4,GPU:2$"):
        parse_streams("4,GPU:2")


# ------------------------------------------------------------------------------------------ -pin


@pytest.mark.parametrize(
    ("value", "expected"),
    [("YES", "YES"), ("yes", "YES"), ("NO", "NO"), ("no", "NO"), ("NUMA", "NUMA"), ("numa", "NUMA"),
     ("HYBRID_AWARE", "HYBRID_AWARE"), ("hybrid_aware", "HYBRID_AWARE"),
     # deepsparse.benchmark spellings
     ("none", "NO"), ("core", "YES"), (" Core ", "YES"), ("true", "YES"), ("false", "NO"), (None, None)],
)
def test_pinning(value: str | None, expected: str | None) -> None:
    assert parse_pinning(value) == expected


@pytest.mark.parametrize("value", ["maybe", "", "socket", "1", "hybrid"])
def test_pinning_refused(value: str) -> None:
    with pytest.raises(UsageError, match=r"^-pin '.*' is not one of: YES, NO, NUMA, HYBRID_AWARE \(or none, core, "
                                         r"numa\)$"):
        parse_pinning(value)


# ------------------------------------------------------------------------------------------ -infer_precision


@pytest.mark.parametrize(
    ("value", "expected"),
    [("f32", "f32"), ("FP32", "f32"), ("float32", "f32"), ("f16", "f16"), ("fp16", "f16"), ("float16", "f16"),
     ("bf16", "bf16"), ("bfloat16", "bf16"), ("CPU:f32", "CPU:f32"), ("cpu:fp16", "CPU:f16"),
     ("CPU:bf16,GPU:f32", "CPU:bf16,GPU:f32"), (" CPU : bf16 , gpu:FP16 ", "CPU:bf16,GPU:f16"), (None, None)],
)
def test_infer_precision(value: str | None, expected: str | None) -> None:
    assert parse_infer_precision(value) == expected


@pytest.mark.parametrize("value", ["f8", "i8", "CPU:", ":f32", "CPU:x", ""])
def test_infer_precision_refused(value: str) -> None:
    with pytest.raises(UsageError, match=r"^-infer_precision '.*': expected f32, f16, bf16 or DEVICE:PRECISION,…$"):
        parse_infer_precision(value)


def test_infer_precision_needs_a_device_per_value_when_several() -> None:
    with pytest.raises(UsageError, match=r"name the device of each value, e.g. CPU:bf16,GPU:f32$"):
        parse_infer_precision("CPU:f32,f16")


def test_infer_precision_through_build_config() -> None:
    assert build_config("zoo:resnet18", infer_precision="CPU:FP16").infer_precision == "CPU:f16"


# ------------------------------------------------------------------------------------------ element types


@pytest.mark.parametrize("kind", ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "f16", "f32", "f64", "bf16",
                                  "boolean"])
def test_every_element_type_is_its_own_canonical_name(kind: str) -> None:
    assert parse_element_type("-ip", kind) == kind
    assert parse_element_type("-ip", kind.upper()) == kind


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [("fp32", "f32"), ("float32", "f32"), ("fp16", "f16"), ("float16", "f16"), ("fp64", "f64"),
     ("float64", "f64"), ("uint8", "u8"), ("int8", "i8"), ("int32", "i32"), ("int64", "i64"), ("bool", "boolean"),
     ("uint16", "u16"), ("int16", "i16"), ("uint32", "u32"), ("uint64", "u64"), ("bfloat16", "bf16"),
     ("UINT8", "u8"), (" FP16 ", "f16")],
)
def test_element_type_aliases(alias: str, canonical: str) -> None:
    assert parse_element_type("-op", alias) == canonical


@pytest.mark.parametrize("value", ["u4", "float", "int", "f8", ""])
def test_element_type_refused_names_the_flag(value: str) -> None:
    with pytest.raises(UsageError, match=r"^-op '.*' is not an element type: u8, u16, u32, u64, i8, i16, i32, i64, "
                                         r"f16, f32, f64, bf16, boolean$"):
        parse_element_type("-op", value)


def test_element_type_none() -> None:
    assert parse_element_type("-ip", None) is None


# ------------------------------------------------------------------------------------------ -iop


@pytest.mark.parametrize(
    ("value", "expected"),
    [("input:f16", (("input", "f16"),)),
     ("in:fp16, out:u8", (("in", "f16"), ("out", "u8"))),
     ("image:0:uint8", (("image:0", "u8"),)),  # the type follows the last colon: names may hold colons
     ("a:f32,", (("a", "f32"),)),
     ("", ()), (None, ())],
)
def test_io_precisions(value: str | None, expected: tuple[tuple[str, str], ...]) -> None:
    assert parse_io_precisions(value) == expected


@pytest.mark.parametrize("value", ["input", ":f16"])
def test_io_precisions_need_name_and_type(value: str) -> None:
    with pytest.raises(UsageError, match=r"^-iop '.*': expected NAME:TYPE, e.g. input:f16$"):
        parse_io_precisions(value)


def test_io_precisions_bad_type_names_the_tensor() -> None:
    with pytest.raises(UsageError, match=r"^-iop in 'xx' is not an element type"):
        parse_io_precisions("in:xx")


# ------------------------------------------------------------------------------------------ -layout


@pytest.mark.parametrize(
    ("value", "expected"),
    [("[NCHW]", ((None, "NCHW"),)),
     ("[nhwc]", ((None, "NHWC"),)),
     ("in1[NCHW],in2[NC]", (("in1", "NCHW"), ("in2", "NC"))),
     (" in1 [nchw] , in2[nc] ", (("in1", "NCHW"), ("in2", "NC"))),
     (["in1[NCHW]", "in2[NC]"], (("in1", "NCHW"), ("in2", "NC"))),  # repeated -layout
     ("image:0[NCHW]", (("image:0", "NCHW"),)),
     ("[N?C?]", ((None, "N?C?"),)),
     ("[N...C]", ((None, "N...C"),)),
     (None, ())],
)
def test_layouts(value: str | list[str] | None, expected: tuple[tuple[str | None, str], ...]) -> None:
    assert parse_layouts(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [("[NCHX1]", r"^-layout 'NCHX1': expected letters such as NCHW, NHWC or NC$"),
     ("[NCHN]", r"^-layout 'NCHN': expected letters"),  # a letter twice
     ("[NCnc]", r"^-layout 'NCnc': expected letters"),  # the same letters in another case
     ("x[N C]", r"^-layout of input 'x' 'N C': expected letters"),
     ("[]", r"^-layout '': expected letters"),
     ("NCHW", r"^-layout 'NCHW': expected \[VALUE\] or name\[VALUE\],name2\[VALUE\]$"),
     ("[NCHW],in2[NC]", r"^-layout: an unnamed value applies to every input; name each input instead$")],
)
def test_layouts_refused(value: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_layouts(value)


def test_layouts_same_input_twice_refused() -> None:
    with pytest.raises(UsageError, match="more than once"):
        parse_layouts("in[NCHW],in[NHWC]")


def test_named_brackets_keep_the_body() -> None:
    assert parse_named_brackets("--x", "a[ 1, 2 ],b[3]") == (("a", "1, 2"), ("b", "3"))


# ------------------------------------------------------------------------------------------ mean / scale


@pytest.mark.parametrize(
    ("value", "expected"),
    [("[123.675,116.28,103.53]", ((None, (123.675, 116.28, 103.53)),)),
     ("[1 2 3]", ((None, (1.0, 2.0, 3.0)),)),
     ("data[1,2,3]", (("data", (1.0, 2.0, 3.0)),)),
     ("a[1],b[-2.5]", (("a", (1.0,)), ("b", (-2.5,)))),
     ("[0,0,0]", ((None, (0.0, 0.0, 0.0)),)),  # a mean of 0 is fine
     (None, ())],
)
def test_mean_values(value: str | None, expected: tuple[Any, ...]) -> None:
    assert parse_values("--mean_values", value) == expected


def test_scale_values() -> None:
    assert parse_values("--scale_values", "[58.395,57.12,57.375]") == ((None, (58.395, 57.12, 57.375)),)


@pytest.mark.parametrize("value", ["[0]", "[1,0,1]", "[-0]", "data[2,0.0]"])
def test_scale_of_zero_refused(value: str) -> None:
    with pytest.raises(UsageError, match=r"^--scale_values \[.*\]: a scale of 0 would divide by zero$"):
        parse_values("--scale_values", value)


@pytest.mark.parametrize("flag", ["--mean_values", "--scale_values"])
def test_values_not_numbers_refused(flag: str) -> None:
    with pytest.raises(UsageError, match=rf"^{flag} \[a,1\]: expected numbers, e.g. \[123.675,116.28,103.53\]$"):
        parse_values(flag, "[a,1]")
    with pytest.raises(UsageError, match=rf"^{flag} \[\]: no values given$"):
        parse_values(flag, "[]")


# ------------------------------------------------------------------------------------------ key=value, levels


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a=1", (("a", "1"),)),
     ("a=1 b=2", (("a", "1"), ("b", "2"))),
     (["a=1", "b=2"], (("a", "1"), ("b", "2"))),
     ("key|value", (("key", "value"),)),  # ONNX Runtime's spelling
     ("d=x=y", (("d", "x=y"),)),
     ("a=x|y", (("a", "x|y"),)),  # '=' wins when both are present
     ("empty=", (("empty", ""),)),
     (None, ())],
)
def test_key_values(value: str | list[str] | None, expected: tuple[tuple[str, str], ...]) -> None:
    assert parse_key_values("--session-config", value) == expected


@pytest.mark.parametrize("value", ["a", "=1", "|x"])
def test_key_values_refused(value: str) -> None:
    with pytest.raises(UsageError, match=r"^--ep-option '.*': expected KEY=VALUE$"):
        parse_key_values("--ep-option", value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", "disable"), (0, "disable"), ("disable", "disable"), ("disable_all", "disable"), ("1", "basic"),
     ("basic", "basic"), ("2", "extended"), ("extended", "extended"), (3, "layout"), ("layout", "layout"),
     ("99", "all"), ("all", "all"), ("ALL", "all"), ("enable_all", "all"), (None, None)],
)
def test_graph_levels(value: str | int | None, expected: str | None) -> None:
    assert parse_graph_level(value) == expected


@pytest.mark.parametrize("value", ["4", "5", "max", ""])
def test_graph_level_refused(value: str) -> None:
    with pytest.raises(UsageError, match=r"^--graph-opt-level '.*' is not one of: 0/disable, 1/basic, 2/extended, "
                                         r"3/layout, 99/all$"):
        parse_graph_level(value)


# ------------------------------------------------------------------------------------------ -load_config


def write_json(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_load_device_config(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", {
        "CPU": {"NUM_STREAMS": 2, "PERF_COUNT": True, "ENABLE_CPU_PINNING": False, "RATE": 1.5, "LIST": [1, 2],
                "MAP": {"a": 1}, "TEXT": "LATENCY"},
        "GPU": {},
    })
    assert load_device_config(path) == {
        "CPU": {"NUM_STREAMS": "2", "PERF_COUNT": "YES", "ENABLE_CPU_PINNING": "NO", "RATE": "1.5",
                "LIST": "[1, 2]", "MAP": '{"a": 1}', "TEXT": "LATENCY"},
        "GPU": {},
    }


def test_load_device_config_none() -> None:
    assert load_device_config(None) == {}


def test_load_device_config_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(InputError, match=rf"^-load_config: file not found: {missing}$"):
        load_device_config(str(missing))


@pytest.mark.parametrize("text", ["{bad", "", "{\"CPU\": {}", "nan nan"])
def test_load_device_config_bad_json(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"^-load_config .*bad\.json: not a readable JSON file \(.+\)$"):
        load_device_config(str(path))


def test_load_device_config_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "binary.json"
    path.write_bytes(b"\xff\xfe\x00{")
    with pytest.raises(InputError, match="not a readable JSON file"):
        load_device_config(str(path))


@pytest.mark.parametrize("data", [[1, 2], {"CPU": 3}, {"CPU": ["NUM_STREAMS"]}, "CPU", {"CPU": {}, "GPU": None}])
def test_load_device_config_wrong_structure(tmp_path: Path, data: Any) -> None:
    path = write_json(tmp_path / "wrong.json", data)
    with pytest.raises(InputError, match=r'expected \{"DEVICE": \{"PROPERTY": value, \.\.\.\}, \.\.\.\}$'):
        load_device_config(path)


def test_load_config_through_build_tuning(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", {"CPU": {"INFERENCE_NUM_THREADS": 1}})
    assert build_tuning(load_config=path).properties == {"CPU": {"INFERENCE_NUM_THREADS": "1"}}


# ------------------------------------------------------------------------------------------ extensions, misc


def test_extensions(tmp_path: Path) -> None:
    first, second = tmp_path / "a.so", tmp_path / "b.so"
    first.write_bytes(b"")
    second.write_bytes(b"")
    assert parse_extensions(f"{first}, {second}") == (str(first), str(second))
    assert parse_extensions([str(first), str(second)]) == (str(first), str(second))
    assert parse_extensions(None) == ()


def test_extension_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.so"
    with pytest.raises(InputError, match=rf"^-extensions: library not found: {missing}$"):
        parse_extensions(str(missing))


def test_extension_folder_is_not_a_library(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="library not found"):
        parse_extensions(str(tmp_path))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), ("yes", True), ("y", True), ("1", True), ("on", True), (" True ", True),
     ("false", False), ("no", False), ("N", False), ("0", False), ("off", False),
     (None, True),  # a bare flag
     (True, True), (False, False)],
)
def test_parse_bool(value: str | bool | None, expected: bool) -> None:
    assert parse_bool("-pc", value) is expected


@pytest.mark.parametrize("value", ["maybe", "", "2", "yess"])
def test_parse_bool_refused(value: str) -> None:
    with pytest.raises(UsageError, match=r"^-json_stats '.*': expected true or false$"):
        parse_bool("-json_stats", value)


def test_build_tuning_checks_files_and_folders(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^-c: file not found: "):
        build_tuning(device_config=str(tmp_path / "kernels.xml"))
    with pytest.raises(UsageError, match=r"^-exec_graph_path .*: folder .*nowhere does not exist$"):
        build_tuning(exec_graph_path=str(tmp_path / "nowhere" / "g.xml"))
    afile = tmp_path / "file"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match=r"^-cdir .*: exists and is not a folder$"):
        build_tuning(cache_dir=str(afile))
    assert build_tuning(cache_dir=str(tmp_path / "new-cache")).cache_dir == str(tmp_path / "new-cache")


@pytest.mark.parametrize(("value", "message"), [("0", "must be 1 or more, got 0"), ("x", "expects an integer")])
def test_inter_op_threads_refused(value: str, message: str) -> None:
    with pytest.raises(UsageError, match=f"^--inter-op-threads {message}"):
        build_tuning(inter_op_threads=value)


def test_build_tuning_defaults_request_nothing() -> None:
    assert build_tuning() == Tuning()
    assert Tuning().requested() == []


def test_build_tuning_values(tmp_path: Path) -> None:
    tuning = build_tuning(nstreams="auto", pin="core", ip="uint8", op="fp16", iop="x:f16", layout="[NCHW]",
                          mean_values="[1,2,3]", scale_values="[4,5,6]", load_from_file=True, ep="cuda",
                          ep_options=["a=1"], inter_op_threads="2", graph_opt_level="1",
                          session_config="k|v", io_binding=True, perf_counts=True)
    assert (tuning.streams, tuning.pinning, tuning.input_precision, tuning.output_precision) == ("AUTO", "YES", "u8",
                                                                                                 "f16")
    assert tuning.io_precisions == (("x", "f16"),)
    assert tuning.layouts == ((None, "NCHW"),)
    assert tuning.mean_values == ((None, (1.0, 2.0, 3.0)),)
    assert tuning.scale_values == ((None, (4.0, 5.0, 6.0)),)
    assert tuning.compile_from_file and tuning.io_binding and tuning.perf_counts
    assert (tuning.execution_provider, tuning.provider_options) == ("cuda", (("a", "1"),))
    assert (tuning.inter_op_threads, tuning.graph_optimization_level, tuning.session_config) == (2, "basic",
                                                                                                 (("k", "v"),))


# ------------------------------------------------------------------------------------------ output options


@pytest.mark.parametrize(("value", "expected"), [(None, 50), ("1", 1), (1, 1), ("100", 100), (" 90 ", 90), (99, 99)])
def test_latency_percentile(value: int | str | None, expected: int) -> None:
    assert build_output_options(latency_percentile=value).latency_percentile == expected


@pytest.mark.parametrize("value", [0, "0", 101, "-5"])
def test_latency_percentile_out_of_range(value: int | str) -> None:
    with pytest.raises(UsageError, match=r"^-latency_percentile must be from 1 to 100, got -?\d+$"):
        build_output_options(latency_percentile=value)


@pytest.mark.parametrize("value", ["p90", "90.5", "x", ""])
def test_latency_percentile_not_an_integer(value: str) -> None:
    with pytest.raises(UsageError, match=r"^-latency_percentile expects an integer from 1 to 100, got "):
        build_output_options(latency_percentile=value)


@pytest.mark.parametrize("kind", ["average_counters", "detailed_counters", "AVERAGE_COUNTERS"])
def test_report_type_needs_a_report_folder(kind: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=rf"^-report_type {kind.lower()} writes into -report_folder: give "
                                         r"-report_folder DIR$"):
        build_output_options(report_type=kind)
    options = build_output_options(report_type=kind, report_folder=str(tmp_path))
    assert options.report_type == kind.lower()
    assert options.wants_counters


def test_report_type_no_counters_needs_no_folder() -> None:
    options = build_output_options(report_type="no_counters")
    assert options.report_type == "no_counters"
    assert not options.wants_counters


def test_report_type_unknown(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^-report_type 'bogus' is not one of: no_counters, average_counters, "
                                         r"detailed_counters$"):
        build_output_options(report_type="bogus", report_folder=str(tmp_path))


@pytest.mark.parametrize("value", ["true", None, True, "yes"])
def test_json_stats_needs_a_report_folder(value: str | bool | None, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^-json_stats writes into -report_folder: give -report_folder DIR$"):
        build_output_options(json_stats=value)
    assert build_output_options(json_stats=value, report_folder=str(tmp_path)).json_stats is True


def test_json_stats_false_needs_nothing() -> None:
    assert build_output_options(json_stats="false").json_stats is False


def test_report_folder_that_is_a_file(tmp_path: Path) -> None:
    afile = tmp_path / "file"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match=r"^-report_folder .*: exists and is not a folder$"):
        build_output_options(report_folder=str(afile))


def test_dump_config_folder_must_exist(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^-dump_config .*: folder .*missing does not exist$"):
        build_output_options(dump_config=str(tmp_path / "missing" / "c.json"))
    assert build_output_options(dump_config=str(tmp_path / "c.json")).dump_config == str(tmp_path / "c.json")


@pytest.mark.parametrize(("value", "expected"), [("sort", "sort"), ("SORT", "sort"), ("no_sort", "no_sort"),
                                                 ("simple_sort", "simple_sort"), (None, None)])
def test_pcsort_modes(value: str | None, expected: str | None) -> None:
    options = build_output_options(pcsort=value)
    assert options.counters_sort == expected
    assert options.wants_counters is (expected is not None)


def test_pcsort_unknown() -> None:
    with pytest.raises(UsageError, match=r"^-pcsort 'x' is not one of: sort, no_sort, simple_sort$"):
        build_output_options(pcsort="x")


@pytest.mark.parametrize(("pc", "expected"), [(False, False), (None, True), ("true", True), ("no", False)])
def test_pc(pc: str | bool | None, expected: bool) -> None:
    options = build_output_options(pc=pc)
    assert options.print_counters is expected
    assert options.wants_counters is expected


@pytest.mark.parametrize(("pcseq", "expected"), [(False, False), (None, True), ("yes", True), ("0", False)])
def test_pcseq_does_not_want_counters(pcseq: str | bool | None, expected: bool) -> None:
    options = build_output_options(pcseq=pcseq)
    assert options.per_shape is expected
    assert not options.wants_counters


@pytest.mark.parametrize(
    ("progress", "stream_output", "expected"),
    [(None, False, "auto"), ("auto", False, "auto"), ("true", False, "bar"), (True, False, "bar"),
     ("BAR", False, "bar"), ("lines", False, "lines"), ("none", False, "none"), ("false", False, "none"),
     (False, False, "none"), (None, True, "lines"), (None, "true", "lines"), (None, None, "lines"),
     ("true", True, "lines"), ("false", True, "none"), (None, "false", "auto")],
)
def test_progress_styles(progress: str | bool | None, stream_output: str | bool | None, expected: str) -> None:
    assert build_output_options(progress=progress, stream_output=stream_output).progress == expected


def test_progress_bad_word() -> None:
    with pytest.raises(UsageError, match=r"^-progress 'x': expected true or false$"):
        build_output_options(progress="x")


def test_progress_none_with_stream_output() -> None:
    assert build_output_options(progress="none", stream_output=True).progress == "none"


def test_output_defaults() -> None:
    assert build_output_options() == OutputOptions()
    assert not OutputOptions().wants_counters


# ------------------------------------------------------------------------------------------ -data_shape, -shapes


def so(name: str | None, *dims: int) -> ShapeOverride:
    return ShapeOverride(name, tuple(dims))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("[1,4]", ((so(None, 1, 4),),)),
     ("[1,4][1,8]", ((so(None, 1, 4),), (so(None, 1, 8),))),
     ("in1[1,3,224,224][1,3,448,448],in2[1,4][1,8]",
      ((so("in1", 1, 3, 224, 224), so("in2", 1, 4)), (so("in1", 1, 3, 448, 448), so("in2", 1, 8)))),
     # an input with fewer shapes repeats them cyclically
     ("a[1][2][3],b[7]", ((so("a", 1), so("b", 7)), (so("a", 2), so("b", 7)), (so("a", 3), so("b", 7)))),
     ("a[1][2][3],b[7][8]", ((so("a", 1), so("b", 7)), (so("a", 2), so("b", 8)), (so("a", 3), so("b", 7)))),
     (" a [1, 2] [3, 4] , b[5] ", ((so("a", 1, 2), so("b", 5)), (so("a", 3, 4), so("b", 5)))),
     (["a[1][2]", "b[3]"], ((so("a", 1), so("b", 3)), (so("a", 2), so("b", 3)))),  # repeated -data_shape
     ("image:0[1,3]", ((so("image:0", 1, 3),),)),
     (None, ()), ("", ())],
)
def test_parse_data_shapes(value: str | list[str] | None, expected: tuple[tuple[ShapeOverride, ...], ...]) -> None:
    assert parse_data_shapes(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [("[1,?]", r"^-data_shape '\[1,\?\]': \[1,\?\] must list positive sizes \(data shapes are concrete\)$"),
     ("[1,0]", r"must list positive sizes"),
     ("[1,-1]", r"must list positive sizes"),
     ("[]", r"\[\] must list positive sizes"),
     ("1,4", r"^-data_shape '1,4': expected in1\[1,3,224,224\]\[1,3,448,448\],in2\[1,4\] or \[1,4\]\[1,8\]$"),
     ("a[1,2", r"expected in1\["),
     ("[1][2],b[3]", r"^-data_shape: an unnamed shape list applies to every input; name each input instead$")],
)
def test_parse_data_shapes_refused(value: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_data_shapes(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("[1,3,224,224]", ((1, 3, 224, 224),)),
     ("[1,3,224,224],[1,128]", ((1, 3, 224, 224), (1, 128))),
     (" [1, 2] , [3] ", ((1, 2), (3,))),
     ("[1,2][3,4]", ((1, 2), (3, 4))),
     (None, ()), ("", ())],
)
def test_parse_positional_shapes(value: str | None, expected: tuple[tuple[int, ...], ...]) -> None:
    assert parse_positional_shapes(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [("1,3,224,224", r"^-shapes '1,3,224,224': expected \[1,3,224,224\] or \[1,3,224,224\],\[1,128\] \(one per "
                     r"input\)$"),
     ("x[1,2]", r"expected \[1,3,224,224\]"),
     ("[1,2],junk", r"expected \[1,3,224,224\]"),
     ("[1,?]", r"^-shapes '\[1,\?\]': \[1,\?\] must list positive sizes$"),
     ("[1,0]", r"\[1,0\] must list positive sizes"),
     ("[]", r"\[\] must list positive sizes")],
)
def test_parse_positional_shapes_refused(value: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_positional_shapes(value)


# ------------------------------------------------------------------------------------------ engine support


# one non-default value per Tuning field
REQUESTS: dict[str, Any] = {
    "streams": "2", "pinning": "YES", "input_precision": "u8", "output_precision": "f16",
    "io_precisions": (("x", "f16"),), "layouts": ((None, "NC"),), "mean_values": ((None, (1.0,)),),
    "scale_values": ((None, (2.0,)),), "cache_dir": "cache", "compile_from_file": True, "extensions": ("lib.so",),
    "device_config_file": "kernels.xml", "properties": {"CPU": {"NUM_STREAMS": "1"}}, "perf_counts": True,
    "runtime_graph_path": "graph.xml", "execution_provider": "cuda", "provider_options": (("device_id", "0"),),
    "inter_op_threads": 2, "graph_optimization_level": "basic", "session_config": (("k", "v"),), "io_binding": True,
    "elastic": True, "torch_compile": True,
}


def test_support_table_covers_every_tuning_field() -> None:
    names = {f.name for f in fields(Tuning)}
    assert set(ENGINE_SUPPORT) == names
    assert set(REQUESTS) == names
    for name, value in REQUESTS.items():
        assert Tuning(**{name: value}).requested() == [name]


@pytest.mark.parametrize("name", sorted(ENGINE_SUPPORT))
def test_engine_support(name: str) -> None:
    flag, supporting = ENGINE_SUPPORT[name]
    tuning = Tuning(**{name: REQUESTS[name]})
    for engine in ENGINES:
        if engine in supporting:
            check_engine_support(engine, tuning)
            continue
        with pytest.raises(UsageError) as caught:
            check_engine_support(engine, tuning)
        message = str(caught.value)
        plural = "s" if len(supporting) > 1 else ""
        names = supporting[0] if len(supporting) == 1 else f"{', '.join(supporting[:-1])} and {supporting[-1]}"
        assert message == f"{flag} is honoured by the {names} engine{plural} only (engine here: {engine})"
        assert "\n" not in message
        assert flag in message and all(e in message for e in supporting)


def test_engine_support_names_the_first_unsupported_option() -> None:
    with pytest.raises(UsageError, match=r"^-nstreams is honoured"):
        check_engine_support("fake", Tuning(streams="2", pinning="YES"))


def test_default_tuning_is_supported_everywhere() -> None:
    for engine in ENGINES:
        check_engine_support(engine, Tuning())


@pytest.mark.parametrize(
    ("options", "message"),
    [({"tuning": Tuning(streams="2")}, r"^-nstreams is honoured by the openvino, onnxruntime, pytorch and "
                                       r"litert engines only \(engine here: fake\)$"),
     ({"api": "elastic"}, r"^-s elastic is honoured by the openvino engine only \(engine here: fake\)$"),
     ({"hint": "ctput"}, r"^-hint cumulative_throughput is honoured by the openvino engine only"),
     ({"infer_precision": "f16"}, r"^-infer_precision is honoured by the openvino and pytorch engines only"),
     ({"output": OutputOptions(print_counters=True)}, r"^-pc / -report_type \*_counters is honoured by the openvino "
                                                      r"and onnxruntime engines only")],
)
def test_fake_engine_refuses_before_reading(options: dict[str, Any], message: str) -> None:
    config = build_config("zoo:resnet18", engine="fake", niter=1, no_warmup=True, **options)
    with pytest.raises(UsageError, match=message):
        app.run(config)


# ------------------------------------------------------------------------------------------ build_config


def cfg(**kwargs: Any) -> Any:
    return build_config("zoo:resnet18", **kwargs)


@pytest.mark.parametrize("niter", [0, "0", " 0 "])
def test_niter_zero_is_compile_only(niter: int | str) -> None:
    config = cfg(niter=niter)
    assert config.compile_only
    assert (config.stop.min_iterations, config.stop.min_duration_ns) == (0, 0)


@pytest.mark.parametrize("niter", [None, 1, "5"])
def test_other_niter_is_not_compile_only(niter: int | str | None) -> None:
    assert not cfg(niter=niter).compile_only


def test_niter_zero_spelled_00_is_compile_only() -> None:
    assert cfg(niter="00").compile_only


def test_negative_niter_refused() -> None:
    with pytest.raises(UsageError, match=r"^-niter must be 0 or more, got -1$"):
        cfg(niter=-1)


@pytest.mark.parametrize(
    ("inference_only", "data_shape", "stored", "full"),
    [(None, None, None, False),
     (None, "[1,3,224,224]", None, False),  # one data shape: inputs bound once
     (None, "[1,3,224,224][1,3,112,112]", None, True),  # several: full mode by default, as benchmark_app
     ("true", "[1,3,224,224][1,3,112,112]", True, False),
     (True, None, True, False),
     ("false", None, False, True),
     (False, None, False, True),
     ("no", "[1,3,224,224]", False, True),
     ("0", None, False, True)],
)
def test_full_mode(inference_only: str | bool | None, data_shape: str | None, stored: bool | None,
                   full: bool) -> None:
    config = cfg(inference_only=inference_only, data_shape=data_shape)
    assert config.inference_only is stored
    assert config.full_mode is full


def test_inference_only_bad_value() -> None:
    with pytest.raises(UsageError, match=r"^-inference_only 'maybe': expected true or false$"):
        cfg(inference_only="maybe")


@pytest.mark.parametrize(("value", "expected"), [(None, None), (0, None), ("0", None), (0.0, None), (2.5, 2.5),
                                                 ("100", 100.0), (" 7.5 ", 7.5), ("1e3", 1000.0)])
def test_max_irate(value: float | str | None, expected: float | None) -> None:
    assert cfg(max_irate=value).max_rate == expected


@pytest.mark.parametrize("value", [-1, "-0.5", "nan", math.nan, math.inf, "inf", "-inf", "1e999"])
def test_max_irate_refused(value: float | str) -> None:
    with pytest.raises(UsageError, match=r"^-max_irate must be a positive rate, got "):
        cfg(max_irate=value)


@pytest.mark.parametrize("value", ["x", "10/s", ""])
def test_max_irate_not_a_number(value: str) -> None:
    with pytest.raises(UsageError, match=r"^-max_irate expects inferences per second, got "):
        cfg(max_irate=value)


@pytest.mark.parametrize("api", ["elastic", "ELASTIC"])
def test_elastic_api(api: str) -> None:
    config = cfg(api=api)
    assert config.scenario == "throughput"
    assert config.tuning.elastic is True
    assert config.tuning.requested() == ["elastic"]


@pytest.mark.parametrize("api", [None, "async", "sync"])
def test_elastic_only_from_the_api(api: str | None) -> None:
    assert cfg(api=api, tuning=Tuning(elastic=True)).tuning.elastic is False
    assert cfg(api=api).tuning.elastic is False


@pytest.mark.parametrize(("hint", "expected"), [("ctput", "cumulative_throughput"), ("CTPUT", "cumulative_throughput"),
                                                ("cumulative_throughput", "cumulative_throughput"),
                                                ("tput", "throughput"), ("latency", "latency"), ("none", "none")])
def test_hint_aliases(hint: str, expected: str) -> None:
    assert cfg(hint=hint).hint == expected


def test_ctput_is_a_throughput_scenario() -> None:
    assert cfg(hint="ctput").scenario == "throughput"


@pytest.mark.parametrize(
    ("output", "wanted"),
    [(OutputOptions(print_counters=True), True), (OutputOptions(counters_sort="sort"), True),
     (OutputOptions(report_type="average_counters", report_folder="x"), True),
     (OutputOptions(report_type="detailed_counters", report_folder="x"), True),
     (OutputOptions(per_shape=True), False), (OutputOptions(latency_percentile=90), False), (None, False)],
)
def test_output_wanting_counters_turns_on_perf_counts(output: OutputOptions | None, wanted: bool) -> None:
    config = cfg(output=output)
    assert config.tuning.perf_counts is wanted
    assert config.output == (output or OutputOptions())


def test_perf_counts_kept_when_already_asked() -> None:
    assert cfg(tuning=Tuning(perf_counts=True)).tuning.perf_counts


def test_tuning_is_kept() -> None:
    tuning = Tuning(streams="4", pinning="NUMA")
    assert cfg(tuning=tuning).tuning == tuning


def test_new_keywords_are_parsed() -> None:
    config = cfg(data_shape="[1,3,8,8][1,3,16,16]", shapes="[1,3,8,8]", channel_order="rgb")
    assert config.data_shapes == ((so(None, 1, 3, 8, 8),), (so(None, 1, 3, 16, 16),))
    assert config.positional_shapes == ((1, 3, 8, 8),)
    assert config.channel_order == "RGB"


def test_channel_order_refused() -> None:
    with pytest.raises(UsageError, match=r"^--channel-order 'XYZ' is not one of: BGR, RGB$"):
        cfg(channel_order="xyz")


# ------------------------------------------------------------------------------------------ command line


def parse(*argv: str) -> argparse.Namespace:
    args = build_parser().parse_args(["run", *argv])
    split_model_from_flags(args)
    return args


@pytest.mark.parametrize("flag", ["-pc", "-pcseq", "-json_stats", "-inference_only", "-progress", "-stream_output",
                                  "-lfile"])
def test_optional_value_flag_gives_the_model_back(flag: str) -> None:
    args = parse(flag, "model.onnx")
    assert args.model == "model.onnx"
    assert getattr(args, flag.lstrip("-")) == "true"


@pytest.mark.parametrize("flag", ["-pc", "-pcseq", "-json_stats", "-inference_only", "-progress", "-stream_output",
                                  "-lfile"])
def test_optional_value_flag_after_the_model(flag: str) -> None:
    args = parse("model.onnx", flag)
    assert args.model == "model.onnx"
    assert getattr(args, flag.lstrip("-")) == "true"


@pytest.mark.parametrize("value", ["false", "no", "0", "off", "true", "YES"])
def test_optional_value_flag_keeps_a_bool_word(value: str) -> None:
    args = parse("-pc", value, "model.onnx")
    assert (args.model, args.pc) == ("model.onnx", value)


def test_optional_value_flag_refuses_a_second_model() -> None:
    with pytest.raises(UsageError, match=r"^-pc 'other.onnx': expected true or false$"):
        parse("model.onnx", "-pc", "other.onnx")


def test_lfile_may_repeat_the_model() -> None:
    args = parse("model.xml", "-lfile", "model.xml")
    assert (args.model, args.lfile) == ("model.xml", "true")


def test_lfile_with_the_model_after_it() -> None:
    args = parse("-lfile", "model.xml")
    assert (args.model, args.lfile) == ("model.xml", "true")


def test_optional_value_flag_with_model_option_refuses_a_non_bool_word() -> None:
    with pytest.raises(UsageError, match=r"^-pc 'maybe': expected true or false$"):
        parse("-m", "model.onnx", "-pc", "maybe")


def test_shape_given_to_input_becomes_shapes() -> None:
    args = parse("model.onnx", "-i", "[1,3,224,224]")
    assert args.inputs is None
    assert args.shapes == "[1,3,224,224]"


def test_several_shapes_given_to_input() -> None:
    args = parse("model.onnx", "-i", "[1,3,224,224]", "[1,128]")
    assert args.inputs is None
    assert args.shapes == "[1,3,224,224],[1,128]"
    assert parse_positional_shapes(args.shapes) == ((1, 3, 224, 224), (1, 128))


def test_shapes_and_files_given_to_input_are_separated() -> None:
    args = parse("model.onnx", "-i", "[1,4]", "x.npy")
    assert args.inputs == ["x.npy"]
    assert args.shapes == "[1,4]"


def test_shapes_given_to_input_join_shapes() -> None:
    args = parse("model.onnx", "-shapes", "[1,2]", "-i", "[3,4]")
    assert args.shapes == "[1,2],[3,4]"


def test_input_files_are_left_alone() -> None:
    args = parse("model.onnx", "-i", "a.npy", "b:c.npy")
    assert (args.inputs, args.shapes) == (["a.npy", "b:c.npy"], None)


# dest -> every spelling, a value to give, what the namespace holds (None value: a store_true flag)
SPELLINGS: dict[str, tuple[tuple[str, ...], str | None, Any]] = {
    "model_option": (("-m", "--model", "--path_to_model"), "other.onnx", "other.onnx"),
    "device": (("-d", "--device", "--target_device"), "GPU", "GPU"),
    "api": (("-api", "--api", "--api_type", "-s", "--scenario"), "elastic", "elastic"),
    "nireq": (("-nireq", "--nireq", "--number_infer_requests"), "4", "4"),
    "hint": (("-hint", "--hint", "--perf_hint"), "ctput", "ctput"),
    "niter": (("-niter", "--niter", "--number_iterations"), "0", "0"),
    "warmup": (("-w", "--warmup", "--warmup_time"), "2", "2"),
    "no_warmup": (("--no-warmup", "-no_warmup"), None, True),
    "max_irate": (("-max_irate", "--max-irate", "--maximum_inference_rate"), "50", "50"),
    "batch": (("-b", "--batch", "--batch_size"), "2", "2"),
    "shapes": (("-shapes", "--input_shapes"), "[1,3,8,8],[1,4]", "[1,3,8,8],[1,4]"),
    "data_shape": (("-data_shape", "--data-shape", "--data_shape"), "[1,4][1,8]", ["[1,4][1,8]"]),
    "layout": (("-layout", "--layout"), "[NCHW]", ["[NCHW]"]),
    "inputs": (("-i", "--input", "--paths_to_input"), "x.npy", ["x.npy"]),
    "channel_order": (("--channel-order",), "RGB", "RGB"),
    "inference_only": (("-inference_only", "--inference_only", "--inference-only"), "false", "false"),
    "infer_precision": (("-infer_precision", "--infer-precision", "--infer_precision"), "CPU:f16", "CPU:f16"),
    "nthreads": (("-nthreads", "--nthreads", "--number_threads", "-ncores", "--num_cores"), "3", "3"),
    "nstreams": (("-nstreams", "--nstreams", "--number_streams", "--num_streams"), "CPU:2", "CPU:2"),
    "pin": (("-pin", "--pin", "--infer_threads_pinning", "--thread_pinning"), "core", "core"),
    "ip": (("-ip", "--input_precision"), "u8", "u8"),
    "op": (("-op", "--output_precision"), "f16", "f16"),
    "iop": (("-iop", "--input_output_precision"), "x:f16", "x:f16"),
    "mean_values": (("--mean_values", "-mean_values", "--mean-values"), "[1,2,3]", "[1,2,3]"),
    "scale_values": (("--scale_values", "-scale_values", "--scale-values"), "[4,5,6]", "[4,5,6]"),
    "cache_dir": (("-cdir", "--cache_dir", "--cache-dir"), "cache", "cache"),
    "lfile": (("-lfile", "--load_from_file"), "true", "true"),
    "extensions": (("-extensions", "--extensions", "-l"), "lib.so", ["lib.so"]),
    "device_config": (("-c", "--path_to_cldnn_config"), "k.xml", "k.xml"),
    "load_config": (("-load_config", "--load-config", "--load_config"), "in.json", "in.json"),
    "dump_config": (("-dump_config", "--dump-config", "--dump_config"), "out.json", "out.json"),
    "latency_percentile": (("-latency_percentile", "--latency_percentile", "--latency-percentile"), "90", "90"),
    "export_json": (("-x", "--export-json", "--export_path"), "r.json", "r.json"),
    "report_type": (("-report_type", "--report_type"), "average_counters", "average_counters"),
    "report_folder": (("-report_folder", "--report_folder"), "out", "out"),
    "json_stats": (("-json_stats", "--json_stats"), "true", "true"),
    "pc": (("-pc", "--perf_counts", "--pc"), "true", "true"),
    "pcsort": (("-pcsort", "--perf_counts_sort"), "simple_sort", "simple_sort"),
    "pcseq": (("-pcseq", "--pcseq"), "yes", "yes"),
    "exec_graph_path": (("-exec_graph_path", "--exec_graph_path"), "g.xml", "g.xml"),
    "progress": (("-progress", "--progress"), "false", "false"),
    "stream_output": (("-stream_output", "--stream_output"), "true", "true"),
    "ep": (("--ep",), "cuda", "cuda"),
    "ep_options": (("--ep-option",), "device_id=0", ["device_id=0"]),
    "inter_op_threads": (("--inter-op-threads",), "2", "2"),
    "graph_opt_level": (("--graph-opt-level",), "basic", "basic"),
    "session_config": (("--session-config",), "k=v", ["k=v"]),
    "io_binding": (("--io-binding", "--no-io-binding"), None, True),
}
SPELLING_CASES = [pytest.param(dest, spelling, id=spelling) for dest, (spellings, _, _) in SPELLINGS.items()
                  for spelling in spellings]


@pytest.mark.parametrize(("dest", "spelling"), SPELLING_CASES)
def test_every_spelling_parses(dest: str, spelling: str) -> None:
    _, value, expected = SPELLINGS[dest]
    if spelling == "--no-io-binding":  # the negative form of a boolean flag
        expected = not expected
    args = parse("model.onnx", spelling, *([] if value is None else [value]))
    assert getattr(args, dest) == expected
    assert args.model == "model.onnx"


def test_spelling_table_is_complete() -> None:
    """Every spelling the parser knows for these options is in SPELLINGS (so each one is tested above)."""
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    known = {action.dest: tuple(action.option_strings) for action in subparsers.choices["run"]._actions}
    for dest, (spellings, _, _) in SPELLINGS.items():
        assert set(known[dest]) == set(spellings), dest


def test_repeated_append_flags_accumulate() -> None:
    args = parse("m.onnx", "-layout", "a[NC]", "--layout", "b[NCHW]", "-data_shape", "a[1,2]", "--data_shape",
                 "b[1,2,3,4]", "-l", "x.so", "-extensions", "y.so", "--ep-option", "a=1", "--ep-option", "b=2")
    assert args.layout == ["a[NC]", "b[NCHW]"]
    assert args.data_shape == ["a[1,2]", "b[1,2,3,4]"]
    assert args.extensions == ["x.so", "y.so"]
    assert args.ep_options == ["a=1", "b=2"]


def test_command_line_to_config(tmp_path: Path) -> None:
    library = tmp_path / "ops.so"
    library.write_bytes(b"")
    load = write_json(tmp_path / "in.json", {"CPU": {"NUM_STREAMS": 1}})
    args = parse("-pc", "m.onnx", "-nstreams", "CPU:2", "-pin", "none", "-ip", "uint8", "-op", "fp16", "-iop",
                 "out:f32", "-layout", "[NCHW]", "--mean_values", "[1,2,3]", "--scale_values", "[4,5,6]", "-cdir",
                 str(tmp_path / "cache"), "-l", str(library), "-load_config", load, "-exec_graph_path",
                 str(tmp_path / "g.xml"), "-max_irate", "25", "-inference_only", "false", "-data_shape",
                 "[1,3,8,8][1,3,16,16]", "-pcseq", "-latency_percentile", "90", "-pcsort", "sort", "-hint", "ctput",
                 "-niter", "0", "-stream_output")
    config = build_config(args.model, **run_options(args))
    tuning = config.tuning
    assert (tuning.streams, tuning.pinning, tuning.input_precision, tuning.output_precision) == ("CPU:2", "NO", "u8",
                                                                                                 "f16")
    assert tuning.io_precisions == (("out", "f32"),)
    assert tuning.layouts == ((None, "NCHW"),)
    assert tuning.mean_values == ((None, (1.0, 2.0, 3.0)),)
    assert tuning.scale_values == ((None, (4.0, 5.0, 6.0)),)
    assert tuning.cache_dir == str(tmp_path / "cache")
    assert tuning.extensions == (str(library),)
    assert tuning.properties == {"CPU": {"NUM_STREAMS": "1"}}
    assert tuning.runtime_graph_path == str(tmp_path / "g.xml")
    assert tuning.perf_counts is True
    assert tuning.compile_from_file is False
    assert config.max_rate == 25.0
    assert config.inference_only is False and config.full_mode
    assert len(config.data_shapes) == 2
    assert config.hint == "cumulative_throughput"
    assert config.compile_only
    output = config.output
    assert (output.print_counters, output.per_shape, output.latency_percentile, output.counters_sort,
            output.progress) == (True, True, 90, "sort", "lines")


def test_command_line_lfile_and_elastic() -> None:
    args = parse("-lfile", "m.xml", "-s", "elastic")
    config = build_config(args.model, **run_options(args))
    assert config.tuning.compile_from_file
    assert config.tuning.elastic
    assert config.scenario == "throughput"


def test_command_line_deepsparse_shapes() -> None:
    args = parse("m.onnx", "--input_shapes", "[1,3,8,8],[1,4]")
    assert build_config(args.model, **run_options(args)).positional_shapes == ((1, 3, 8, 8), (1, 4))
    args = parse("m.onnx", "-i", "[1,3,8,8]", "[1,4]")
    assert build_config(args.model, **run_options(args)).positional_shapes == ((1, 3, 8, 8), (1, 4))
