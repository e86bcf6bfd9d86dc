"""Engine contract: every engine (fake, onnxruntime, openvino) behaves the same through ``infermeter.benchmark``.

The models are tiny (see conftest.py), real-engine runs use no warm-up and at most a few dozen requests, so
the whole file runs in a few seconds.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import infermeter
from conftest import EMBEDDING_ROWS, ODD_DIM, ODD_INPUT
from infermeter.config.benchmark import Warmup
from infermeter.engines import fake as fake_engine
from infermeter.errors import EngineError, UsageError
from infermeter.events import NullObserver
from infermeter.measure import run as app
from infermeter.results.report import Report
from infermeter.scenarios.runner import Runner

NITER = 20



def run(model: Path | str, engine: str, **options: Any) -> Report:
    options.setdefault("niter", NITER)
    if "warmup" not in options:
        options.setdefault("no_warmup", True)
    return infermeter.benchmark(str(model), engine=engine, **options)


def shapes(report: Report) -> dict[str, list[int]]:
    return {item.name: list(item.shape) for item in report.model.inputs}


def check_common(report: Report, engine: str, *, count: int, batch: int = 1) -> None:
    """What every successful report must satisfy, whatever the engine."""
    assert report.error is None
    assert not report.partial
    assert report.run is not None
    assert report.run.stop_reason == "stop rule met"
    assert report.run.count == count
    assert report.run.batch == batch == report.model.batch
    assert report.run.items == batch * count
    assert report.run.throughput is not None
    assert report.run.throughput == pytest.approx(batch * count * 1e9 / report.run.window_ns)
    assert report.engine.name == engine
    assert isinstance(report.engine.precision, str) and report.engine.precision
    compile_ns = report.phases.compile_ns
    assert isinstance(compile_ns, int) and compile_ns >= 0
    assert isinstance(report.phases.first_inference_ns, int)
    latencies = report.run.latency_ns
    assert latencies.dtype == np.int64 and len(latencies) == count
    if engine == "fake":
        assert (latencies == 1_000_000).all()  # the default --fake-latency 1ms, exactly
    else:
        assert (latencies > 0).all()
        assert compile_ns > 0


@pytest.fixture
def fed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Mapping[str, np.ndarray]]]:
    """The input arrays ``app`` hands to the runner (the same for every engine)."""
    seen: list[Mapping[str, np.ndarray]] = []

    class SpyRunner(Runner):
        def __init__(self, compiled: Any, inputs: Mapping[str, np.ndarray], *args: Any, **kwargs: Any) -> None:
            seen.append(dict(inputs))
            super().__init__(compiled, inputs, *args, **kwargs)

    monkeypatch.setattr(app, "Runner", SpyRunner)
    yield seen


# --- scenarios -------------------------------------------------------------------------------------------


def test_sync(engine: str, add_model: Path) -> None:
    report = run(add_model, engine, api="sync")
    check_common(report, engine, count=NITER)
    assert report.run is not None and report.run.scenario == "latency" and report.run.requests == 1
    assert report.engine.requests_in_flight == 1
    assert shapes(report) == {"x": [1, 8]}
    assert report.model.batch_origin == "input 'x' dim 0"
    assert report.model.inputs[0].dtype == "float32"
    assert report.model.inputs[0].bytes == 8 * 4


def test_sync_with_warmup_iterations(engine: str, add_model: Path) -> None:
    report = run(add_model, engine, api="sync", niter=7, warmup="3it")
    check_common(report, engine, count=7)
    assert report.config.warmup == Warmup(iterations=3)


def test_async(engine: str, add_model: Path) -> None:
    report = run(add_model, engine, api="async", nireq=2)
    check_common(report, engine, count=NITER)
    assert report.run is not None and report.run.scenario == "throughput" and report.run.requests == 2
    assert report.engine.requests_in_flight == 2
    assert report.engine.async_mode


@pytest.mark.parametrize("niter", [1, 3, 17])
@pytest.mark.parametrize("api", ["sync", "async"])
def test_niter_is_exact(engine: str, add_model: Path, api: str, niter: int) -> None:
    """-niter alone: exactly that many requests are measured (async: none extra from the slots in flight)."""
    report = run(add_model, engine, api=api, niter=niter, nireq=2 if api == "async" else None)
    check_common(report, engine, count=niter)


def test_async_default_requests_is_the_engines_choice(engine: str, add_model: Path) -> None:
    """The engine's optimum, except OpenVINO under a throughput hint: two per stream (bench/defaults.py)."""
    report = run(add_model, engine, api="async", niter=8)
    assert report.run is not None
    per_stream = 2 if engine == "openvino" else 1
    assert report.run.requests == per_stream * report.engine.optimal_requests >= 1
    check_common(report, engine, count=8)


# --- engine options --------------------------------------------------------------------------------------


def test_threads_option(engine: str, add_model: Path) -> None:
    if engine == "fake":
        with pytest.raises(UsageError, match="-nthreads has no meaning for the fake engine"):
            run(add_model, engine, nthreads=1)
        return
    report = run(add_model, engine, api="sync", nthreads=1, niter=3)
    check_common(report, engine, count=3)
    assert report.config.threads == 1
    assert report.engine.threads == 1  # read back from the engine


def test_infer_precision_option(engine: str, add_model: Path) -> None:
    if engine != "openvino":
        with pytest.raises(UsageError, match=f"-infer_precision is honoured by the openvino and pytorch engines only "
                           f".*{engine}"):
            run(add_model, engine, infer_precision="f32")
        return
    report = run(add_model, engine, api="sync", infer_precision="f32", niter=3)
    check_common(report, engine, count=3)
    assert report.engine.precision == "f32"
    assert report.engine.precision_note == "set by -infer_precision"
    assert report.engine.properties["INFERENCE_PRECISION_HINT"] == "f32"


@pytest.mark.parametrize(("api", "hint"), [("sync", "throughput"), ("async", "latency")])
def test_hint_is_independent_of_the_scenario(engine: str, add_model: Path, api: str, hint: str) -> None:
    report = run(add_model, engine, api=api, hint=hint, niter=4, nireq=2 if api == "async" else None)
    check_common(report, engine, count=4)
    assert report.run is not None
    assert report.run.scenario == ("latency" if api == "sync" else "throughput")
    assert report.run.requests == (1 if api == "sync" else 2)
    assert report.engine.hint == hint
    assert report.config.hint == hint


# --- shapes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("api", ["sync", "async"])
def test_batch_flag(engine: str, add_model: Path, api: str) -> None:
    report = run(add_model, engine, api=api, batch=3, niter=6, nireq=2 if api == "async" else None)
    check_common(report, engine, count=6, batch=3)
    assert shapes(report) == {"x": [3, 8]}
    assert report.model.batch_origin == "-b"
    assert report.model.inputs[0].bytes == 3 * 8 * 4


def test_shape_flag(engine: str, add_model: Path) -> None:
    report = run(add_model, engine, api="sync", shape="x[4,8]", niter=5)
    check_common(report, engine, count=5, batch=4)
    assert shapes(report) == {"x": [4, 8]}


def test_unnamed_shape_flag(engine: str, add_model: Path) -> None:
    report = run(add_model, engine, api="sync", shape="[2,8]", niter=5)
    check_common(report, engine, count=5, batch=2)
    assert shapes(report) == {"x": [2, 8]}


def test_static_model(engine: str, static_model: Path) -> None:
    report = run(static_model, engine, api="sync", niter=5)
    check_common(report, engine, count=5, batch=2)
    assert shapes(report) == {"x": [2, 4]}
    assert report.model.inputs[0].model_dims == (2, 4)


def test_static_model_takes_another_batch(engine: str, static_model: Path) -> None:
    """-b on a static model sets its dim 0, as benchmark_app (reshape) and deepsparse (graph rewrite) do."""
    report = run(static_model, engine, batch=3, api="sync", niter=2)
    assert shapes(report) == {"x": [3, 4]} and report.model.batch == 3 and report.run is not None
    assert report.run.count == 2


def test_multiple_inputs_and_outputs(engine: str, multi_io_model: Path, fed: list[Mapping[str, np.ndarray]]) -> None:
    report = run(multi_io_model, engine, api="sync", dim={"sequence": 7}, batch=2, niter=5)
    check_common(report, engine, count=5, batch=2)
    assert shapes(report) == {"input_ids": [2, 7], "attention_mask": [2, 7]}
    inputs = {item.name: item for item in report.model.inputs}
    assert inputs["input_ids"].dtype == inputs["attention_mask"].dtype == "int64"
    assert inputs["input_ids"].model_dims == ("batch", "sequence")
    assert f"[0, {EMBEDDING_ROWS})" in inputs["input_ids"].fill
    assert "mask" in inputs["attention_mask"].fill
    assert report.config.dims == {"sequence": 7}
    ids, mask = fed[-1]["input_ids"], fed[-1]["attention_mask"]
    assert ids.dtype == np.int64 and ids.shape == (2, 7)
    assert ids.min() >= 0 and ids.max() < EMBEDDING_ROWS
    assert mask.dtype == np.int64 and (mask == 1).all()


def test_multi_io_async(engine: str, multi_io_model: Path) -> None:
    report = run(multi_io_model, engine, api="async", nireq=2, dim="sequence=3", niter=6)
    check_common(report, engine, count=6)
    assert shapes(report) == {"input_ids": [1, 3], "attention_mask": [1, 3]}


def test_odd_input_and_dim_names(engine: str, odd_names_model: Path) -> None:
    report = run(odd_names_model, engine, api="sync", dim={ODD_DIM: 5}, shape=f"{ODD_INPUT}[5,3]", niter=5)
    check_common(report, engine, count=5, batch=5)
    assert shapes(report) == {ODD_INPUT: [5, 3], "p2o.x": [5, 3]}
    inputs = {item.name: item for item in report.model.inputs}
    assert inputs[ODD_INPUT].model_dims == (None, 3)
    assert inputs["p2o.x"].model_dims == (ODD_DIM, 3)


def test_dim_on_a_batch_dim_sets_the_batch(engine: str, odd_names_model: Path) -> None:
    report = run(odd_names_model, engine, api="sync", dim={ODD_DIM: 5}, niter=3)
    assert shapes(report) == {ODD_INPUT: [5, 3], "p2o.x": [5, 3]}
    assert report.model.batch == 5


def test_odd_names_with_input_file(engine: str, odd_names_model: Path, npy: Callable[[str, Any], Path]) -> None:
    """-i NAME:FILE where NAME itself contains a colon."""
    data = npy("serving", np.full((4, 3), 2.0, dtype=np.float32))
    report = run(odd_names_model, engine, api="sync", inputs=f"{ODD_INPUT}:{data}", dim=f"{ODD_DIM}=4", niter=3)
    check_common(report, engine, count=3, batch=4)
    assert shapes(report) == {ODD_INPUT: [4, 3], "p2o.x": [4, 3]}
    assert str(data) in {item.name: item for item in report.model.inputs}[ODD_INPUT].fill


def test_scalar_input_from_file(engine: str, scalar_input_model: Path, npy: Callable[[str, Any], Path]) -> None:
    rate = npy("sr", np.array(16000, dtype=np.int64))
    report = run(scalar_input_model, engine, api="sync", inputs=f"sample_rate:{rate}", niter=5)
    check_common(report, engine, count=5)
    assert shapes(report) == {"audio": [1, 16], "sample_rate": []}
    inputs = {item.name: item for item in report.model.inputs}
    assert inputs["sample_rate"].model_dims == ()
    assert inputs["sample_rate"].bytes == 8
    assert str(rate) in inputs["sample_rate"].fill


def test_scalar_input_synthesized(engine: str, scalar_input_model: Path) -> None:
    report = run(scalar_input_model, engine, api="async", nireq=2, batch=2, niter=4)
    check_common(report, engine, count=4, batch=2)
    assert shapes(report) == {"audio": [2, 16], "sample_rate": []}


def test_scalar_file_reaches_the_engine_as_a_scalar(scalar_input_model: Path, npy: Callable[[str, Any], Path],
                                                     fed: list[Mapping[str, np.ndarray]]) -> None:
    rate = npy("sr", np.array(16000, dtype=np.int64))
    run(scalar_input_model, "fake", inputs=f"sample_rate:{rate}", niter=1)
    assert fed[-1]["sample_rate"].shape == ()


def test_inputs_reach_the_engine_with_the_planned_shapes(engine: str, multi_io_model: Path,
                                                         fed: list[Mapping[str, np.ndarray]]) -> None:
    report = run(multi_io_model, engine, api="sync", dim="sequence=5", batch=3, niter=2)
    assert {name: list(array.shape) for name, array in fed[-1].items()} == shapes(report)


# --- model formats ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine_name", ["fake", pytest.param("openvino", marks=pytest.mark.openvino)])
@pytest.mark.parametrize("api", ["sync", "async"])
def test_openvino_ir(engine_name: str, api: str, add_model_ir: Path) -> None:
    report = run(add_model_ir, engine_name, api=api, batch=3, niter=9, nireq=2 if api == "async" else None)
    check_common(report, engine_name, count=9, batch=3)
    assert report.model.format == "openvino-ir"
    assert shapes(report) == {"x": [3, 8]}
    assert report.model.inputs[0].model_dims == (None, 8)


def test_ir_is_chosen_for_openvino_by_default(add_model_ir: Path) -> None:
    report = infermeter.benchmark(str(add_model_ir), niter=2, no_warmup=True)
    assert report.engine.name == "openvino"
    assert report.engine.why == "the model is OpenVINO IR"


@pytest.mark.onnxruntime
def test_onnxruntime_refuses_ir(add_model_ir: Path) -> None:
    pytest.importorskip("onnxruntime")
    with pytest.raises(UsageError, match=r"-e onnxruntime cannot read .*OpenVINO IR.*engines that can: openvino"):
        run(add_model_ir, "onnxruntime")


# --- errors before compile -------------------------------------------------------------------------------


class PhaseLog(NullObserver):
    """An observer that remembers which phases started."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def phase_started(self, name: str) -> None:
        self.started.append(name)


def test_unresolved_named_dim_fails_before_compile(engine: str, multi_io_model: Path) -> None:
    log = PhaseLog()
    with pytest.raises(UsageError) as caught:
        infermeter.benchmark(str(multi_io_model), engine=engine, niter=1, no_warmup=True, observer=log)
    message = str(caught.value)
    assert "'input_ids'" in message and "--dim sequence=" in message
    assert "\n" not in message
    assert "compile" not in log.started and "reshape" not in log.started
    assert caught.value.exit_code == 2


def test_unnamed_first_dim_is_the_batch_dim(engine: str, odd_names_model: Path) -> None:
    """Dim 0 without value or name counts as the batch dim (default 1), like a named first dim."""
    report = run(odd_names_model, engine, niter=1)
    assert shapes(report) == {ODD_INPUT: [1, 3], "p2o.x": [1, 3]}
    assert report.model.batch == 1


def test_unresolved_unnamed_dim_fails_before_compile(engine: str, unnamed_dim_model: Path) -> None:
    log = PhaseLog()
    with pytest.raises(UsageError) as caught:
        infermeter.benchmark(str(unnamed_dim_model), engine=engine, batch=2, niter=1, no_warmup=True,
                             observer=log)
    assert str(caught.value) == "input 'x' dim 1 is dynamic and unnamed: pass -shape x[2,N]"
    assert "compile" not in log.started and "reshape" not in log.started
    report = run(unnamed_dim_model, engine, shape="x[2,5]", niter=2)
    check_common(report, engine, count=2, batch=2)
    assert shapes(report) == {"x": [2, 5]}


def test_unknown_shape_input_fails_before_compile(engine: str, add_model: Path) -> None:
    log = PhaseLog()
    with pytest.raises(UsageError, match=r"-shape names input 'nope'.*inputs: x") as caught:
        infermeter.benchmark(str(add_model), engine=engine, shape="nope[1,8]", niter=1, no_warmup=True,
                             observer=log)
    assert caught.value.exit_code == 2
    assert "compile" not in log.started


def test_unknown_dim_name_fails_before_compile(engine: str, multi_io_model: Path) -> None:
    log = PhaseLog()
    with pytest.raises(UsageError, match=r"--dim seq: no input has a dim named 'seq'.*batch, sequence"):
        infermeter.benchmark(str(multi_io_model), engine=engine, dim="seq=4", niter=1, no_warmup=True,
                             observer=log)
    assert "compile" not in log.started


def test_wrong_rank_shape_fails_before_compile(engine: str, add_model: Path) -> None:
    log = PhaseLog()
    with pytest.raises(UsageError, match=r"rank 3 but input 'x' has rank 2"):
        infermeter.benchmark(str(add_model), engine=engine, shape="x[1,8,1]", niter=1, no_warmup=True,
                             observer=log)
    assert "compile" not in log.started


def test_input_file_with_wrong_shape_fails_before_compile(engine: str, add_model: Path,
                                                          npy: Callable[[str, Any], Path]) -> None:
    data = npy("bad", np.zeros((2, 8, 1), dtype=np.float32))
    log = PhaseLog()
    with pytest.raises(UsageError, match=r"rank 3 but input 'x' has rank 2"):
        infermeter.benchmark(str(add_model), engine=engine, inputs=f"x:{data}", niter=1, no_warmup=True,
                             observer=log)
    assert "compile" not in log.started


def test_unknown_device_fails_before_reading(engine: str, add_model: Path) -> None:
    log = PhaseLog()
    with pytest.raises(UsageError, match="NOPE") as caught:
        infermeter.benchmark(str(add_model), engine=engine, device="NOPE", niter=1, no_warmup=True, observer=log)
    assert caught.value.exit_code == 2
    assert "\n" not in str(caught.value)
    assert log.started == []


def test_phases_are_reported_in_order(engine: str, add_model: Path) -> None:
    log = PhaseLog()
    infermeter.benchmark(str(add_model), engine=engine, niter=2, no_warmup=True, observer=log)
    assert log.started == ["read", "inputs", "reshape", "compile"]


@pytest.mark.onnxruntime
def test_onnxruntime_refuses_to_change_a_static_dim_before_compile(add_model: Path) -> None:
    pytest.importorskip("onnxruntime")
    log = PhaseLog()
    with pytest.raises(UsageError, match="'x'"):
        infermeter.benchmark(str(add_model), engine="onnxruntime", shape="x[2,7]", niter=1, no_warmup=True,
                             observer=log)
    assert "compile" not in log.started


@pytest.mark.openvino
def test_openvino_may_change_a_static_dim(add_model: Path) -> None:
    pytest.importorskip("openvino")
    report = run(add_model, "openvino", shape="x[2,7]", niter=2)
    check_common(report, "openvino", count=2, batch=2)
    assert shapes(report) == {"x": [2, 7]}


# --- failures inside the engine --------------------------------------------------------------------------


@pytest.mark.onnxruntime
def test_onnxruntime_out_of_range_ids_fail_the_first_inference(multi_io_model: Path,
                                                               npy: Callable[[str, Any], Path]) -> None:
    pytest.importorskip("onnxruntime")
    ids = npy("ids", np.full((1, 4), EMBEDDING_ROWS, dtype=np.int64))
    with pytest.raises(EngineError, match="the first inference failed") as caught:
        run(multi_io_model, "onnxruntime", inputs=f"input_ids:{ids}", dim="sequence=4", niter=1)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 1


def test_session_creation_failure_is_an_engine_error(add_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Any, inputs: Any) -> Any:
        raise RuntimeError("cannot bind input tensor")

    monkeypatch.setattr(fake_engine.FakeCompiledModel, "create_session", refuse)
    with pytest.raises(EngineError):
        run(add_model, "fake")


# --- long-lived processes --------------------------------------------------------------------------------

REPEATED_ASYNC_SCRIPT = """
import faulthandler, sys
import infermeter
for i in range(int(sys.argv[2])):
    faulthandler.dump_traceback_later(20, exit=True)  # a hung run ends the process with exit 1
    infermeter.benchmark(sys.argv[1], engine="openvino", api="async", nireq=2, niter=20, no_warmup=True)
faulthandler.cancel_dump_traceback_later()
print("done")
"""


@pytest.mark.slow
@pytest.mark.openvino
def test_repeated_openvino_async_runs_do_not_hang(add_model: Path) -> None:
    pytest.importorskip("openvino")
    done = subprocess.run([sys.executable, "-c", REPEATED_ASYNC_SCRIPT, str(add_model), "400"], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr[-3000:]
