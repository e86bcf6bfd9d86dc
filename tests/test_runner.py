"""Unit tests for Runner.execute: first inference, warm-up and measurement on the fake engine (exact numbers)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from infermeter.clock import FakeClock, system_clock
from infermeter.config.benchmark import StopRule, Warmup
from infermeter.engines.base import AsyncSession, EngineOptions, RuntimeInfo, Session
from infermeter.engines.fake import FakeCompiledModel, FakeEngine
from infermeter.errors import BenchmarkInterrupted, EngineError
from infermeter.model import zoo
from infermeter.model.files import ModelRef
from infermeter.scenarios import get
from infermeter.scenarios.runner import Measured, Runner

MS = 1_000_000
NO_WARMUP = Warmup()


def fake(clock: FakeClock, latency: str = "5ms", first_call_ns: int = 0,
         fail_at: int | None = None) -> FakeCompiledModel:
    engine = FakeEngine(latency, first_call_ns, fail_at)
    model = engine.read(ModelRef("zoo:resnet18", zoo=zoo.get("resnet18")), clock)
    return model.compile(EngineOptions())


def execute(latency: str = "5ms", *, scenario: str = "latency", requests: int = 1, batch: int = 1,
            niter: int = 100, duration_ns: int = 0, warmup: Warmup = NO_WARMUP, first_call_ns: int = 0,
            fail_at: int | None = None) -> Measured:
    clock = FakeClock()
    compiled = fake(clock, latency, first_call_ns, fail_at)
    runner = Runner(compiled, {}, get(scenario), requests, batch, clock)
    return runner.execute(StopRule(min_iterations=niter, min_duration_ns=duration_ns), warmup)


def latencies(measured: Measured) -> list[int]:
    return measured.run.latency_ns.tolist()


# ---------------------------------------------------------------- exact numbers


def test_sync_5ms_x100() -> None:
    measured = execute("5ms", niter=100)
    run = measured.run
    assert run.scenario == "latency"
    assert run.requests == 1
    assert run.count == 100
    assert run.latency.median == 5 * MS
    assert run.latency.mean == 5 * MS
    assert run.latency.std == 0.0
    assert run.window_ns == 500 * MS
    assert run.throughput == 200.0
    assert run.stop_reason == "stop rule met"
    assert not run.partial
    assert measured.error is None
    assert measured.first_inference_ns == 5 * MS
    assert int(run.start_ns[0]) == 5 * MS  # measurement starts after the first inference


def test_async_10ms_4_requests_niter_100() -> None:
    measured = execute("10ms", scenario="throughput", requests=4, niter=100)
    run = measured.run
    assert run.scenario == "throughput"
    assert run.requests == 4
    assert run.count == 100
    assert run.window_ns == 250 * MS
    assert run.throughput == 400.0
    assert run.latency.median == 10 * MS
    assert set(latencies(measured)) == {10 * MS}
    assert bool(np.all(np.diff(run.start_ns) >= 0))  # merged samples are ordered by submission
    assert not run.partial


def test_async_duration_rule() -> None:
    run = execute("10ms", scenario="throughput", requests=4, niter=0, duration_ns=100 * MS).run
    assert run.count == 40
    assert run.window_ns == 100 * MS
    assert run.throughput == 400.0


def test_sync_both_minimums() -> None:
    assert execute("10ms", niter=5, duration_ns=100 * MS).run.count == 10
    assert execute("10ms", niter=15, duration_ns=100 * MS).run.count == 15


def test_batch_multiplies_throughput() -> None:
    run = execute("5ms", niter=100, batch=4).run
    assert run.batch == 4
    assert run.items == 400
    assert run.throughput == 800.0
    assert run.requests_per_second == 200.0
    async_run = execute("10ms", scenario="throughput", requests=4, niter=100, batch=8).run
    assert async_run.throughput == 3200.0


def test_cycle_gives_exact_statistics() -> None:
    # call 1 is the first inference (1 ms); calls 2..100 are measured: 33 each of 2, 3, 1 ms
    run = execute("cycle:1ms,2ms,3ms", niter=99).run
    values = latencies_of(run.latency_ns)
    assert values == [2 * MS, 3 * MS, 1 * MS] * 33
    stats = run.latency
    assert stats.count == 99
    assert stats.mean == 2 * MS
    assert stats.median == 2 * MS
    assert stats.minimum == 1 * MS
    assert stats.maximum == 3 * MS
    assert stats.std == float(np.std(np.array(values, dtype=np.float64), ddof=1))
    assert stats.std == pytest.approx((66 / 98) ** 0.5 * MS, rel=1e-15)
    assert stats.percentiles == {50.0: 2 * MS, 90.0: 3 * MS, 95.0: 3 * MS, 99.0: None}
    assert run.window_ns == 198 * MS
    assert run.throughput == 500.0


def test_cycle_interpolated_median() -> None:
    run = execute("cycle:1ms,2ms,3ms,4ms", niter=4).run
    assert latencies_of(run.latency_ns) == [2 * MS, 3 * MS, 4 * MS, 1 * MS]
    assert run.latency.median == 2.5 * MS
    assert run.latency.mean == 2.5 * MS
    assert run.latency.percentiles[90.0] is None  # 4 samples are too few for p90


def latencies_of(values: np.ndarray) -> list[int]:
    return [int(v) for v in values]


# ---------------------------------------------------------------- first inference and warm-up


def test_first_call_penalty_only_in_first_inference() -> None:
    measured = execute("5ms", niter=50, first_call_ns=50 * MS)
    assert measured.first_inference_ns == 55 * MS
    assert set(latencies(measured)) == {5 * MS}
    assert measured.run.latency.maximum == 5 * MS
    assert int(measured.run.start_ns[0]) == 55 * MS


def test_warmup_iterations_are_consumed_and_not_measured() -> None:
    # call 1: first inference, calls 2-4: warm-up, measurement starts at call 5 (cycle value 2 ms)
    measured = execute("cycle:1ms,2ms,3ms", niter=6, warmup=Warmup(iterations=3))
    assert measured.run.count == 6
    assert latencies(measured) == [2 * MS, 3 * MS, 1 * MS] * 2
    assert int(measured.run.start_ns[0]) == (1 + 2 + 3 + 1) * MS


def test_warmup_iterations_shift_call_numbering() -> None:
    measured = execute("5ms", niter=100, warmup=Warmup(iterations=3), fail_at=7)
    assert measured.run.count == 2  # calls 5 and 6
    assert measured.run.stop_reason == "request failed at call 7"


def test_warmup_duration_is_consumed() -> None:
    # 20 ms of warm-up at 5 ms per call = calls 2-5; measurement begins at call 6, 25 ms into the run
    measured = execute("5ms", niter=10, warmup=Warmup(duration_ns=20 * MS), fail_at=8)
    assert measured.run.count == 2
    assert measured.run.stop_reason == "request failed at call 8"
    assert int(measured.run.start_ns[0]) == 25 * MS


def test_async_warmup_then_measurement() -> None:
    measured = execute("10ms", scenario="throughput", requests=4, niter=100, warmup=Warmup(iterations=8))
    run = measured.run
    assert run.count == 100
    assert run.window_ns == 250 * MS
    assert run.throughput == 400.0
    assert int(run.start_ns.min()) == 10 * MS + 20 * MS  # first inference, then 2 rounds of 4 warm-up calls


# ---------------------------------------------------------------- failures


def test_sync_failure_during_measurement_is_partial() -> None:
    measured = execute("5ms", niter=100, fail_at=11)
    run = measured.run
    assert run.partial
    assert run.stop_reason == "request failed at call 11"
    assert run.count == 9  # calls 2..10
    assert set(latencies(measured)) == {5 * MS}
    assert measured.error == "fake engine: request failed at call 11 (--fake-fail-at)"
    assert measured.first_inference_ns == 5 * MS


def test_async_failure_during_measurement_is_partial() -> None:
    # call 1 first inference; calls 2-5 start together, the failing call 8 surfaces after 2-7 completed;
    # 9-11 were in flight and are kept
    measured = execute("10ms", scenario="throughput", requests=4, niter=100, fail_at=8)
    run = measured.run
    assert run.partial
    assert run.stop_reason == "request failed at call 8"
    assert run.count == 9
    assert set(latencies(measured)) == {10 * MS}
    assert measured.error == "fake engine: request failed at call 8 (--fake-fail-at)"


def test_failure_at_first_measured_call() -> None:
    measured = execute("5ms", niter=100, fail_at=2)
    assert measured.run.count == 0
    assert measured.run.partial
    assert measured.run.throughput is None
    assert measured.run.latency.median is None


def test_failure_in_first_inference_is_engine_error() -> None:
    with pytest.raises(EngineError, match=r"^the first inference failed: fake engine: request failed at call 1"):
        execute("5ms", niter=10, fail_at=1)


@pytest.mark.parametrize(("scenario", "requests"), [("latency", 1), ("throughput", 4)])
def test_failure_in_warmup_is_engine_error(scenario: str, requests: int) -> None:
    with pytest.raises(EngineError, match=r"^a warm-up request failed: fake engine: request failed at call 3"):
        execute("5ms", scenario=scenario, requests=requests, niter=10, warmup=Warmup(iterations=5), fail_at=3)


# ---------------------------------------------------------------- scripted engines: interrupts, errors, threads


class ScriptedSession:
    """Advances a FakeClock 1 ms per call; raises ``error`` at call ``at`` (counted per compiled model)."""

    def __init__(self, owner: ScriptedModel) -> None:
        self.owner = owner

    def infer(self) -> None:
        self.owner.calls += 1
        if self.owner.calls == self.owner.at:
            raise self.owner.error
        if self.owner.clock is not None:
            self.owner.clock.advance(MS)


class ScriptedModel:
    def __init__(self, clock: FakeClock | None, at: int = 0, error: BaseException | None = None) -> None:
        self.clock = clock
        self.at = at
        self.error = error or RuntimeError("boom")
        self.calls = 0
        self.session_inputs: list[Mapping[str, np.ndarray]] = []

    @property
    def runtime(self) -> RuntimeInfo:
        return RuntimeInfo(precision="none")

    def create_session(self, inputs: Mapping[str, np.ndarray]) -> Session:
        self.session_inputs.append(inputs)
        return ScriptedSession(self)

    def create_async_session(self, slot_inputs: list[Mapping[str, np.ndarray]]) -> AsyncSession | None:
        return None

    def close(self) -> None:
        return None


def test_interrupt_during_measurement_keeps_samples() -> None:
    clock = FakeClock()
    model = ScriptedModel(clock, at=6, error=KeyboardInterrupt())
    measured = Runner(model, {}, get("latency"), 1, 1, clock).execute(StopRule(min_iterations=100), NO_WARMUP)
    assert measured.run.stop_reason == "interrupted"
    assert measured.run.partial
    assert measured.run.count == 4  # calls 2-5
    assert measured.error is None


def test_interrupt_during_first_inference() -> None:
    clock = FakeClock()
    model = ScriptedModel(clock, at=1, error=KeyboardInterrupt())
    with pytest.raises(BenchmarkInterrupted, match="first inference"):
        Runner(model, {}, get("latency"), 1, 1, clock).execute(StopRule(min_iterations=10), NO_WARMUP)


def test_interrupt_during_warmup() -> None:
    clock = FakeClock()
    model = ScriptedModel(clock, at=3, error=KeyboardInterrupt())
    with pytest.raises(BenchmarkInterrupted, match="warm-up"):
        Runner(model, {}, get("latency"), 1, 1, clock).execute(StopRule(min_iterations=10), Warmup(iterations=5))


def test_engine_exception_during_measurement() -> None:
    clock = FakeClock()
    model = ScriptedModel(clock, at=4, error=RuntimeError("device lost\nC++ trace line"))
    measured = Runner(model, {}, get("latency"), 1, 1, clock).execute(StopRule(min_iterations=100), NO_WARMUP)
    assert measured.run.stop_reason == "engine error"
    assert measured.run.partial
    assert measured.run.count == 2
    assert measured.error == "RuntimeError: device lost"


def test_threaded_throughput_without_async_session() -> None:
    model = ScriptedModel(None)
    inputs = {"x": np.arange(4, dtype=np.float32)}
    runner = Runner(model, inputs, get("throughput"), 3, 2, system_clock)
    measured = runner.execute(StopRule(min_iterations=300), Warmup(iterations=30))
    run = measured.run
    assert run.count == 300
    assert run.requests == 3
    assert run.items == 600
    assert model.calls == 1 + 30 + 300
    assert bool(np.all(np.diff(run.start_ns) >= 0))
    assert not run.partial
    # one session for the first inference, then one per request with a private copy of the inputs
    assert len(model.session_inputs) == 4
    assert model.session_inputs[0] is inputs
    for slot_inputs in model.session_inputs[1:]:
        assert slot_inputs["x"] is not inputs["x"]
        assert np.array_equal(slot_inputs["x"], inputs["x"])
