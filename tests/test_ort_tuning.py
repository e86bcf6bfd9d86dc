"""ONNX Runtime tuning options: provider, provider options, threads, graph level, session config, -load_config,
custom-op libraries, the optimized graph file, profiling counters, -nstreams and IO binding.

Driven through the engine directly (read -> reshape -> compile -> run) on tiny models; no timing is measured.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from conftest import EMBEDDING_ROWS
from infermeter.clock import system_clock
from infermeter.config.tuning import Tuning
from infermeter.engines.base import EngineOptions
from infermeter.errors import EngineError, UsageError
from infermeter.model.files import resolve_model
from infermeter.results.facts import PropertyValue

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

from infermeter.engines import onnxruntime_options  # noqa: E402 - needs onnxruntime
from infermeter.engines.onnxruntime import OnnxRuntimeEngine, OrtCompiled  # noqa: E402

NODE_NAMES = ("relu_node", "add_node")
X = np.arange(-4, 4, dtype=np.float32).reshape(1, 8)


@pytest.fixture(scope="module")
def named_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """x float32 [batch, 8] -> Relu 'relu_node' -> Add 'add_node' (r + r) -> y: every node named."""
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Relu", ["x"], ["r"], name="relu_node"),
             helper.make_node("Add", ["r", "r"], ["y"], name="add_node")]
    graph = helper.make_graph(nodes, "named", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    path = tmp_path_factory.mktemp("ort-tuning") / "named.onnx"
    onnx.save(model, str(path))
    return path


def compile_model(path: Path, shapes: dict[str, tuple[int, ...]] | None = None, **options: Any) -> OrtCompiled:
    tuning = options.pop("tuning", None) or Tuning()
    handle = OnnxRuntimeEngine().read(resolve_model(str(path)), system_clock)
    handle.reshape(shapes or {"x": (1, 8)})
    return handle.compile(EngineOptions(tuning=tuning, **options))


def props(path: Path, **options: Any) -> dict[str, PropertyValue]:
    return dict(compile_model(path, **options).runtime.properties)


def usage_error(path: Path, **options: Any) -> str:
    with pytest.raises(UsageError) as caught:
        compile_model(path, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- defaults ------------------------------------------------------------------------------------------------


def test_defaults_are_reported(named_model: Path) -> None:
    compiled = compile_model(named_model)
    assert dict(compiled.runtime.properties) == {
        "providers": "CPUExecutionProvider", "provider_options": "", "intra_op_num_threads": "auto",
        "inter_op_num_threads": 1, "execution_mode": "sequential", "graph_optimization_level": "all",
        "session_config": "", "custom_op_libraries": "", "profiling": "off", "io_binding": "on",
        "optimized_model_filepath": "", "free_dimension_overrides": "batch=1",
    }
    assert compiled.runtime.optimal_requests == 1
    assert compiled.runtime.streams is None
    assert compiled.layer_counters() == []


def test_throughput_default_is_one_request_per_core(named_model: Path) -> None:
    compiled = compile_model(named_model, goal="throughput")
    assert compiled.runtime.optimal_requests == onnxruntime_options.usable_cpus()
    assert compiled.runtime.properties["intra_op_num_threads"] == 1


# --- execution provider ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cpu", "CPU", "Cpu", "CPUExecutionProvider", "cpuexecutionprovider"])
def test_ep_by_short_or_full_name(named_model: Path, name: str) -> None:
    properties = props(named_model, tuning=Tuning(execution_provider=name))
    assert properties["providers"] == "CPUExecutionProvider"


def test_ep_overrides_the_device(named_model: Path) -> None:
    """-d GPU alone would need CUDA; --ep cpu wins over it."""
    properties = props(named_model, device="GPU", tuning=Tuning(execution_provider="cpu"))
    assert properties["providers"] == "CPUExecutionProvider"


@pytest.mark.parametrize("name", ["cuda", "tensorrt", "qnn", "NoSuchExecutionProvider"])
def test_missing_ep_lists_the_available_ones(named_model: Path, name: str) -> None:
    if name.lower() in {p.lower().removesuffix("executionprovider") for p in ort.get_available_providers()}:
        pytest.skip(f"{name} is available in this build")
    message = usage_error(named_model, tuning=Tuning(execution_provider=name))
    assert message.startswith(f"--ep {name}:")
    assert f"available: {', '.join(ort.get_available_providers())}" in message


def test_cpu_provider_option_is_refused_not_ignored(named_model: Path) -> None:
    """ORT accepts and silently ignores any CPUExecutionProvider option: refuse it, naming the key."""
    message = usage_error(named_model, tuning=Tuning(provider_options=(("bogus_key", "1"),)))
    assert message.startswith("--ep-option bogus_key:")
    assert "CPUExecutionProvider" in message


def _plan(options: dict[str, str]) -> onnxruntime_options.SessionPlan:
    return onnxruntime_options.SessionPlan("CUDAExecutionProvider", options, None, latency=True, requests=1)


def test_unknown_option_of_an_echoing_provider_is_refused() -> None:
    """Providers that echo their options (CUDA, TensorRT, ...) reveal an option they did not take."""
    session = SimpleNamespace(get_provider_options=lambda: {"CUDAExecutionProvider": {"device_id": "0"}})
    onnxruntime_options.check_provider_options(session, _plan({"device_id": "0"}))
    with pytest.raises(UsageError, match=r"^--ep-option bogus: CUDAExecutionProvider has no such option"):
        onnxruntime_options.check_provider_options(session, _plan({"device_id": "0", "bogus": "1"}))


def test_provider_refusing_an_option_names_it() -> None:
    error = RuntimeError("[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : device_id must be a number\nmore")
    refused = onnxruntime_options.provider_option_error(error, _plan({"gpu_mem_limit": "1", "device_id": "x"}))
    assert refused is not None
    assert str(refused).startswith("--ep-option device_id: CUDAExecutionProvider refused it")
    assert onnxruntime_options.provider_option_error(error, _plan({})) is None


# --- threads, graph level, session config ----------------------------------------------------------------------


def test_inter_op_threads_switch_to_parallel_mode(named_model: Path) -> None:
    compiled = compile_model(named_model, goal="throughput", threads=1, tuning=Tuning(inter_op_threads=2))
    properties = compiled.runtime.properties
    assert (properties["intra_op_num_threads"], properties["inter_op_num_threads"]) == (1, 2)
    assert properties["execution_mode"] == "parallel"
    assert "inter-op threads 2" in compiled.runtime.choice_reason
    assert "parallel" in compiled.runtime.choice_reason
    assert compiled.runtime.threads == 1


def test_one_inter_op_thread_stays_sequential(named_model: Path) -> None:
    properties = props(named_model, tuning=Tuning(inter_op_threads=1))
    assert (properties["inter_op_num_threads"], properties["execution_mode"]) == (1, "sequential")


@pytest.mark.parametrize("level", ["disable", "basic", "extended", "layout", "all"])
def test_graph_optimization_level(named_model: Path, level: str) -> None:
    if level == "layout" and not hasattr(ort.GraphOptimizationLevel, "ORT_ENABLE_LAYOUT"):
        pytest.skip("this onnxruntime has no ORT_ENABLE_LAYOUT")
    assert props(named_model, tuning=Tuning(graph_optimization_level=level))["graph_optimization_level"] == level


def test_layout_level_needs_an_ort_that_has_it(named_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    levels = ort.GraphOptimizationLevel
    older = SimpleNamespace(**{name: getattr(levels, name) for name in
                               ("ORT_DISABLE_ALL", "ORT_ENABLE_BASIC", "ORT_ENABLE_EXTENDED", "ORT_ENABLE_ALL")})
    monkeypatch.setattr(ort, "GraphOptimizationLevel", older)
    message = usage_error(named_model, tuning=Tuning(graph_optimization_level="layout"))
    assert message.startswith("--graph-opt-level layout:")
    assert "lacks ORT_ENABLE_LAYOUT" in message


def test_session_config_entries_are_read_back(named_model: Path) -> None:
    entries = (("session.intra_op.allow_spinning", "0"), ("session.disable_prepacking", "1"))
    properties = props(named_model, tuning=Tuning(session_config=entries))
    assert properties["session_config"] == "session.intra_op.allow_spinning=0; session.disable_prepacking=1"


def test_session_config_key_that_is_no_ort_key_is_refused(named_model: Path) -> None:
    message = usage_error(named_model, tuning=Tuning(session_config=(("NUM_STREAMS", "2"),)))
    assert message.startswith("--session-config NUM_STREAMS:")


def test_session_config_entry_refused_by_ort_names_the_key(named_model: Path) -> None:
    key = "session." + "k" * 1100  # ORT caps keys at 1024 characters
    message = usage_error(named_model, tuning=Tuning(session_config=((key, "1"),)))
    assert message.startswith("--session-config session.kkk")
    assert "onnxruntime refuses" in message


# --- -load_config ------------------------------------------------------------------------------------------------


def test_load_config_entry_for_the_device(named_model: Path) -> None:
    properties = {"CPU": {"intra_op_num_threads": "1", "inter_op_num_threads": "2",
                          "graph_optimization_level": "ORT_ENABLE_BASIC", "execution_mode": "ORT_PARALLEL",
                          "session.intra_op.allow_spinning": "NO"},
                  "GPU": {"NUM_STREAMS": "4"}}  # another device's entry is not used
    applied = props(named_model, tuning=Tuning(properties=properties))
    assert applied["intra_op_num_threads"] == 1
    assert (applied["inter_op_num_threads"], applied["execution_mode"]) == (2, "parallel")
    assert applied["graph_optimization_level"] == "basic"
    assert applied["session_config"] == "session.intra_op.allow_spinning=0"


def test_load_config_parallel_mode_is_explained(named_model: Path) -> None:
    runtime = compile_model(named_model, tuning=Tuning(properties={"CPU": {"execution_mode": "parallel"}})).runtime
    assert (runtime.properties["execution_mode"], runtime.properties["inter_op_num_threads"]) == ("parallel", "auto")
    assert "execution mode parallel (-load_config CPU.execution_mode)" in runtime.choice_reason


def test_load_config_entry_for_the_provider_name(named_model: Path) -> None:
    properties = {"CPUExecutionProvider": {"graph_optimization_level": "1"}}
    assert props(named_model, tuning=Tuning(properties=properties))["graph_optimization_level"] == "basic"


def test_command_line_wins_over_load_config(named_model: Path) -> None:
    properties = {"CPU": {"intra_op_num_threads": "2", "inter_op_num_threads": "2", "execution_mode": "sequential",
                          "graph_optimization_level": "basic", "session.intra_op.allow_spinning": "1"}}
    tuning = Tuning(properties=properties, inter_op_threads=1, graph_optimization_level="extended",
                    session_config=(("session.intra_op.allow_spinning", "0"),))
    applied = props(named_model, threads=1, tuning=tuning)
    assert (applied["intra_op_num_threads"], applied["inter_op_num_threads"]) == (1, 1)
    assert applied["execution_mode"] == "sequential"
    assert applied["graph_optimization_level"] == "extended"
    assert applied["session_config"] == "session.intra_op.allow_spinning=0"


@pytest.mark.parametrize(("entries", "culprit"), [
    ({"NUM_STREAMS": "2"}, "-load_config CPU.NUM_STREAMS:"),
    ({"inter_op_num_threads": "2", "execution_mode": "sequential"}, "-load_config CPU.inter_op_num_threads 2"),
    ({"execution_mode": "sideways"}, "-load_config CPU.execution_mode 'sideways'"),
    ({"intra_op_num_threads": "many"}, "-load_config CPU.intra_op_num_threads 'many'"),
    ({"graph_optimization_level": "max"}, "-load_config CPU.graph_optimization_level 'max'"),
])
def test_load_config_mistakes_name_the_entry(named_model: Path, entries: dict[str, str], culprit: str) -> None:
    assert usage_error(named_model, tuning=Tuning(properties={"CPU": entries})).startswith(culprit)


# --- custom-op libraries -----------------------------------------------------------------------------------------


def test_custom_op_library_that_does_not_load_is_named(named_model: Path, tmp_path: Path) -> None:
    not_a_library = tmp_path / "custom_ops.so"
    not_a_library.write_bytes(b"not an ELF file")
    message = usage_error(named_model, tuning=Tuning(extensions=(str(not_a_library),)))
    assert message.startswith(f"-extensions {not_a_library}: onnxruntime cannot load")


# --- optimized (runtime) graph -----------------------------------------------------------------------------------


def test_optimized_graph_is_written(named_model: Path, tmp_path: Path) -> None:
    target = tmp_path / "runtime_graph.onnx"
    properties = props(named_model, tuning=Tuning(runtime_graph_path=str(target), graph_optimization_level="basic"))
    assert properties["optimized_model_filepath"] == str(target)
    written = onnx.load(str(target))
    onnx.checker.check_model(written)
    assert [node.op_type for node in written.graph.node] == ["Relu", "Add"]
    ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])  # loadable by ORT too


def test_optimized_graph_folder_must_exist(named_model: Path, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "graph.onnx"
    message = usage_error(named_model, tuning=Tuning(runtime_graph_path=str(target)))
    assert message.startswith(f"-exec_graph_path {target}: folder")


def test_optimized_graph_never_overwrites_the_model(named_model: Path) -> None:
    message = usage_error(named_model, tuning=Tuning(runtime_graph_path=str(named_model)))
    assert "is the model itself" in message


# --- profiling counters ------------------------------------------------------------------------------------------


def _profile_folder(compiled: OrtCompiled) -> Path:
    return Path(compiled._session.get_session_options().profile_file_prefix).parent


def test_perf_counts_profile_every_run(named_model: Path) -> None:
    compiled = compile_model(named_model, tuning=Tuning(perf_counts=True))
    assert compiled.runtime.properties["profiling"] == "on"
    folder = _profile_folder(compiled)
    assert folder.is_dir()
    session = compiled.create_session({"x": X})
    for _ in range(3):
        session.infer()
    counters = compiled.layer_counters()
    assert len(counters) == 3
    for run in counters:
        assert sorted(counter.name for counter in run) == sorted(NODE_NAMES)
        assert {counter.layer_type for counter in run} == {"Relu", "Add"}
    assert compiled.layer_counters() is counters  # ended once, parsed once
    assert not folder.exists()  # the profile file and its temporary folder are gone


def test_perf_counts_folder_is_removed_without_reading(named_model: Path) -> None:
    compiled = compile_model(named_model, tuning=Tuning(perf_counts=True))
    folder = _profile_folder(compiled)
    compiled.create_session({"x": X}).infer()
    del compiled
    import gc

    gc.collect()
    assert not folder.exists()


def test_failed_compile_leaves_no_profile_folder(named_model: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    bad_graph_path = Tuning(perf_counts=True, runtime_graph_path=str(tmp_path / "missing" / "g.onnx"))
    usage_error(named_model, tuning=bad_graph_path)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("[ONNXRuntimeError] : 1 : FAIL : no session today")

    monkeypatch.setattr(ort, "InferenceSession", refuse)
    with pytest.raises(EngineError, match=r"failed to create a session .*no session today"):
        compile_model(named_model, tuning=Tuning(perf_counts=True))
    assert list(tmp_path.iterdir()) == []


# --- -nstreams ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("streams", "expected"), [("3", 3), ("CPU:4,GPU:2", 4), ("cpu:2", 2)])
def test_streams_are_runner_threads(named_model: Path, streams: str, expected: int) -> None:
    runtime = compile_model(named_model, goal="throughput", tuning=Tuning(streams=streams)).runtime
    assert (runtime.optimal_requests, runtime.streams) == (expected, expected)
    assert f"-nstreams {expected}: {expected} runner thread(s)" in runtime.choice_reason
    per_stream = max(1, onnxruntime_options.usable_cpus() // expected)
    assert runtime.properties["intra_op_num_threads"] == per_stream


def test_auto_streams_keep_the_default(named_model: Path) -> None:
    runtime = compile_model(named_model, goal="throughput", tuning=Tuning(streams="AUTO")).runtime
    assert (runtime.optimal_requests, runtime.streams) == (onnxruntime_options.usable_cpus(), None)


def test_streams_do_not_apply_to_latency(named_model: Path) -> None:
    runtime = compile_model(named_model, tuning=Tuning(streams="4")).runtime
    assert (runtime.optimal_requests, runtime.streams) == (1, None)
    assert "-nstreams 4 not applied" in runtime.choice_reason


def test_streams_for_another_device_only(named_model: Path) -> None:
    message = usage_error(named_model, goal="throughput", tuning=Tuning(streams="GPU:2"))
    assert message.startswith("-nstreams GPU:2: no value for this device")


# --- IO binding --------------------------------------------------------------------------------------------------


def test_io_binding_gives_the_outputs_of_a_plain_run(multi_io_model: Path) -> None:
    rng = np.random.default_rng(1)
    feeds = {"input_ids": rng.integers(0, EMBEDDING_ROWS, (2, 5), dtype=np.int64),
             "attention_mask": rng.integers(0, 2, (2, 5), dtype=np.int64)}
    shapes = {name: array.shape for name, array in feeds.items()}
    compiled = compile_model(multi_io_model, shapes=shapes, tuning=Tuning(io_binding=True))
    assert compiled.runtime.properties["io_binding"] == "on"
    session: Any = compiled.create_session(feeds)
    assert isinstance(session.infer, functools.partial)  # bound once, nothing built per call
    assert not inspect.isfunction(session.infer.func.__func__)  # the C-level run, not the Python wrapper
    session.infer()
    session.infer()
    bound = session.binding.copy_outputs_to_cpu()
    expected = ort.InferenceSession(str(multi_io_model), providers=["CPUExecutionProvider"]).run(None, feeds)
    assert len(bound) == len(expected) == 2
    for got, want in zip(bound, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_io_binding_is_the_default(named_model: Path) -> None:
    session: Any = compile_model(named_model).create_session({"x": X})
    session.infer()
    assert session.binding is not None
    assert session.infer.func.__name__ == "run_with_iobinding"


def test_without_io_binding_there_is_no_binding(named_model: Path) -> None:
    compiled = compile_model(named_model, tuning=Tuning(io_binding=False))
    assert compiled.runtime.properties["io_binding"] == "off"
    session: Any = compiled.create_session({"x": X})
    session.infer()
    assert session.binding is None


def test_string_inputs_run_without_io_binding_unless_asked(tmp_path: Path) -> None:
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["text"], ["same"])], "strings",
                              [helper.make_tensor_value_info("text", TensorProto.STRING, [2])],
                              [helper.make_tensor_value_info("same", TensorProto.STRING, [2])])
    path = tmp_path / "strings.onnx"
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    assert props(path)["io_binding"] == "off"
    assert props(path, tuning=Tuning(io_binding=True))["io_binding"] == "on"


def test_what_was_timed_says_where_the_outputs_go(named_model: Path) -> None:
    import infermeter

    bound = infermeter.benchmark(str(named_model), engine="onnxruntime", niter=2, no_warmup=True, api="sync")
    assert "outputs stay in engine memory" in bound.timed
    plain = infermeter.benchmark(str(named_model), engine="onnxruntime", niter=2, no_warmup=True, api="sync",
                                 tuning=Tuning(io_binding=False))
    assert "each call copies the outputs into new numpy arrays (session.run, no IO binding)" in plain.timed


# --- end to end --------------------------------------------------------------------------------------------------


def test_end_to_end_report_shows_what_was_applied(named_model: Path, tmp_path: Path) -> None:
    import infermeter

    target = tmp_path / "graph.onnx"
    tuning = Tuning(io_binding=True, graph_optimization_level="basic", runtime_graph_path=str(target),
                    session_config=(("session.intra_op.allow_spinning", "0"),))
    report = infermeter.benchmark(str(named_model), engine="onnxruntime", tuning=tuning, niter=3, no_warmup=True)
    assert report.error is None
    properties = report.engine.properties
    assert properties["io_binding"] == "on"  # the run passes EngineOptions.tuning to the engine
    assert properties["graph_optimization_level"] == "basic"
    assert properties["session_config"] == "session.intra_op.allow_spinning=0"
    assert target.is_file()
    assert report.run is not None and report.run.count == 3


def test_end_to_end_async_streams_and_counters(named_model: Path) -> None:
    import infermeter

    tuning = Tuning(streams="2", perf_counts=True)
    report = infermeter.benchmark(str(named_model), engine="onnxruntime", api="async", tuning=tuning, niter=6,
                                  no_warmup=True)
    assert report.error is None
    assert report.engine.properties["profiling"] == "on"  # the run passes EngineOptions.tuning to the engine
    assert report.run is not None and report.run.count == 6
    assert report.engine.choice_reason.endswith(  # its start names this machine's core count
        "; -nstreams 2: 2 runner thread(s) sharing one session (= requests in flight with -api async)")
    assert report.counters is not None
    assert sorted(layer.name for layer in report.counters.layers) == sorted(NODE_NAMES)
    assert report.counters.per_request is not None
    assert len(report.counters.per_request) == 7  # every run: the first inference and the 6 measured


def test_error_messages_are_one_line(named_model: Path) -> None:
    for tuning in (Tuning(execution_provider="nope"), Tuning(provider_options=(("a", "b"),)),
                   Tuning(extensions=(os.devnull,))):
        message = usage_error(named_model, tuning=tuning)
        assert re.match(r"^-{1,2}[a-z-]+ ", message)
