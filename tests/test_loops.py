"""Unit tests for the timed loops (run_sync, run_async, ThreadedRun) on the fake engine and a virtual clock."""

from __future__ import annotations

import threading
from array import array

import numpy as np
import pytest

from infermeter.clock import FakeClock, system_clock
from infermeter.engines.base import AsyncSession, EngineOptions, RequestFailed, Session
from infermeter.engines.fake import FakeCompiledModel, FakeEngine
from infermeter.model import zoo
from infermeter.model.files import ModelRef
from infermeter.scenarios.loops import ThreadedRun, run_async, run_sync
from infermeter.scenarios.recording import INITIAL_CAPACITY, SampleBuffer, capacity_for
from infermeter.scenarios.stop import Stop

MS = 1_000_000


def compiled(clock: FakeClock, latency: str = "10ms", fail_at: int | None = None) -> FakeCompiledModel:
    engine = FakeEngine(latency, fail_at=fail_at)
    model = engine.read(ModelRef("zoo:resnet18", zoo=zoo.get("resnet18")), clock)
    return model.compile(EngineOptions())


def sync_session(clock: FakeClock, latency: str = "10ms", fail_at: int | None = None) -> Session:
    return compiled(clock, latency, fail_at).create_session({})


def async_session(clock: FakeClock, slots: int, latency: str = "10ms", fail_at: int | None = None) -> AsyncSession:
    session = compiled(clock, latency, fail_at).create_async_session([{} for _ in range(slots)])
    assert session is not None
    return session


def progress_cells(n: int = 1) -> array:  # type: ignore[type-arg]
    return array("q", bytes(8 * n))


def samples(buffer: SampleBuffer) -> tuple[list[int], list[int]]:
    starts, ends = buffer.arrays()
    assert starts.dtype == np.int64
    assert ends.dtype == np.int64
    return starts.tolist(), ends.tolist()


# ---------------------------------------------------------------- SampleBuffer


def test_sample_buffer_grows_by_half_and_keeps_values() -> None:
    buffer = SampleBuffer(3)
    assert len(buffer.starts) == 3
    for i in range(3):
        buffer.starts[i], buffer.ends[i] = 11 + i, 21 + i
    assert buffer.when_full(3) == 3
    assert len(buffer.starts) == len(buffer.ends) == 5  # 3 + 3 // 2 + 1
    assert samples(buffer) == ([11, 12, 13], [21, 22, 23])


def test_ring_buffer_starts_over_instead_of_growing() -> None:
    buffer = SampleBuffer(3, ring=True)
    assert buffer.when_full(3) == 0
    assert len(buffer.starts) == 3 and buffer.count == 0


def test_sample_buffer_minimum_capacity_and_default() -> None:
    assert len(SampleBuffer(0).starts) == 1
    assert len(SampleBuffer().starts) == INITIAL_CAPACITY
    assert samples(SampleBuffer()) == ([], [])


def test_capacity_for() -> None:
    assert capacity_for(0, 1) == INITIAL_CAPACITY
    assert capacity_for(100, 4) == INITIAL_CAPACITY
    assert capacity_for(10_000, 4) == 10_004


# ---------------------------------------------------------------- run_sync


def test_sync_exact_count_for_niter() -> None:
    clock = FakeClock()
    buffer, progress = SampleBuffer(), progress_cells()
    run_sync(sync_session(clock), clock, Stop(100, 0), buffer, progress)
    starts, ends = samples(buffer)
    assert buffer.count == 100
    assert progress[0] == 100
    assert starts == [k * 10 * MS for k in range(100)]
    assert ends == [(k + 1) * 10 * MS for k in range(100)]
    assert clock() == 1000 * MS


@pytest.mark.parametrize(
    ("niter", "duration_ms", "calls"),
    [(5, 100, 10), (20, 100, 20), (0, 100, 10), (1, 95, 10), (10, 100, 10), (11, 100, 11), (1, 0, 1)],
)
def test_sync_both_limits_are_minimums(niter: int, duration_ms: int, calls: int) -> None:
    clock = FakeClock()
    buffer = SampleBuffer()
    run_sync(sync_session(clock), clock, Stop(niter, duration_ms * MS), buffer, progress_cells())
    assert buffer.count == calls
    assert clock() == calls * 10 * MS


def test_sync_deadline_counts_from_the_call_not_from_zero() -> None:
    clock = FakeClock(start_ns=5_000 * MS)
    buffer = SampleBuffer()
    run_sync(sync_session(clock), clock, Stop(0, 100 * MS), buffer, progress_cells())
    starts, _ = samples(buffer)
    assert buffer.count == 10
    assert starts[0] == 5_000 * MS


def test_sync_buffer_growth_past_capacity() -> None:
    clock = FakeClock()
    buffer = SampleBuffer(4)
    run_sync(sync_session(clock, "1ms"), clock, Stop(37, 0), buffer, progress_cells())
    starts, ends = samples(buffer)
    assert buffer.count == 37
    assert len(buffer.starts) == 40  # grows by half + 1: 4 -> 7 -> 11 -> 17 -> 26 -> 40
    assert starts == [k * MS for k in range(37)]
    assert ends == [(k + 1) * MS for k in range(37)]


def test_sync_stop_exactly_at_capacity_does_not_grow() -> None:
    clock = FakeClock()
    buffer = SampleBuffer(4)
    run_sync(sync_session(clock), clock, Stop(4, 0), buffer, progress_cells())
    assert buffer.count == 4
    assert len(buffer.starts) == 4


def test_sync_latencies_follow_cycle() -> None:
    clock = FakeClock()
    buffer = SampleBuffer()
    run_sync(sync_session(clock, "cycle:1ms,2ms,3ms"), clock, Stop(6, 0), buffer, progress_cells())
    starts, ends = samples(buffer)
    assert [e - s for s, e in zip(starts, ends, strict=True)] == [1 * MS, 2 * MS, 3 * MS] * 2


def test_sync_failure_keeps_samples_before_it() -> None:
    clock = FakeClock()
    buffer, progress = SampleBuffer(), progress_cells()
    with pytest.raises(RequestFailed) as info:
        run_sync(sync_session(clock, fail_at=7), clock, Stop(100, 0), buffer, progress)
    assert info.value.call_index == 7
    assert buffer.count == 6
    assert progress[0] == 6
    starts, ends = samples(buffer)
    assert starts == [k * 10 * MS for k in range(6)]
    assert ends == [(k + 1) * 10 * MS for k in range(6)]


def test_sync_failure_after_growth_keeps_count() -> None:
    clock = FakeClock()
    buffer = SampleBuffer(2)
    with pytest.raises(RequestFailed):
        run_sync(sync_session(clock, "1ms", fail_at=10), clock, Stop(100, 0), buffer, progress_cells())
    assert buffer.count == 9
    assert samples(buffer)[0] == [k * MS for k in range(9)]


# ---------------------------------------------------------------- run_async


def test_async_four_slots_niter_100_window_250ms() -> None:
    clock = FakeClock()
    buffer, progress = SampleBuffer(), progress_cells()
    run_async(async_session(clock, 4), clock, Stop(100, 0), buffer, progress)
    starts, ends = samples(buffer)
    assert buffer.count == 100
    assert progress[0] == 100
    assert max(ends) - min(starts) == 250 * MS
    assert {e - s for s, e in zip(starts, ends, strict=True)} == {10 * MS}
    assert sorted(starts) == [(k // 4) * 10 * MS for k in range(100)]


def test_async_niter_smaller_than_slots() -> None:
    clock = FakeClock()
    buffer = SampleBuffer()
    run_async(async_session(clock, 4), clock, Stop(2, 0), buffer, progress_cells())
    assert buffer.count == 2
    assert samples(buffer) == ([0, 0], [10 * MS, 10 * MS])


def test_async_niter_not_a_multiple_of_slots() -> None:
    clock = FakeClock()
    buffer = SampleBuffer()
    run_async(async_session(clock, 4), clock, Stop(10, 0), buffer, progress_cells())
    starts, ends = samples(buffer)
    assert buffer.count == 10
    assert max(ends) - min(starts) == 30 * MS


def test_async_duration_only() -> None:
    clock = FakeClock()
    buffer = SampleBuffer()
    run_async(async_session(clock, 4), clock, Stop(0, 100 * MS), buffer, progress_cells())
    starts, ends = samples(buffer)
    assert buffer.count == 40
    assert max(ends) - min(starts) == 100 * MS


def test_async_both_limits_are_minimums() -> None:
    clock = FakeClock()
    buffer = SampleBuffer()
    run_async(async_session(clock, 2), clock, Stop(5, 100 * MS), buffer, progress_cells())
    assert buffer.count == 20  # the duration is the larger minimum
    clock = FakeClock()
    buffer = SampleBuffer()
    run_async(async_session(clock, 2), clock, Stop(30, 100 * MS), buffer, progress_cells())
    assert buffer.count == 30  # the iterations are


def test_async_single_slot_is_sequential() -> None:
    clock = FakeClock()
    buffer = SampleBuffer()
    run_async(async_session(clock, 1), clock, Stop(5, 0), buffer, progress_cells())
    assert samples(buffer) == ([k * 10 * MS for k in range(5)], [(k + 1) * 10 * MS for k in range(5)])


def test_async_buffer_growth_past_capacity() -> None:
    clock = FakeClock()
    buffer = SampleBuffer(3)
    run_async(async_session(clock, 4), clock, Stop(50, 0), buffer, progress_cells())
    starts, ends = samples(buffer)
    assert buffer.count == 50
    assert len(buffer.starts) >= 50
    assert sorted(starts) == [(k // 4) * 10 * MS for k in range(50)]
    assert {e - s for s, e in zip(starts, ends, strict=True)} == {10 * MS}


def test_async_buffer_growth_while_collecting_in_flight() -> None:
    clock = FakeClock()
    buffer = SampleBuffer(1)
    run_async(async_session(clock, 4), clock, Stop(4, 0), buffer, progress_cells())
    assert buffer.count == 4
    assert samples(buffer) == ([0] * 4, [10 * MS] * 4)


def test_async_failure_raises_and_keeps_completed_samples() -> None:
    clock = FakeClock()
    buffer, progress = SampleBuffer(), progress_cells()
    with pytest.raises(RequestFailed) as info:
        run_async(async_session(clock, 4, fail_at=7), clock, Stop(100, 0), buffer, progress)
    assert info.value.call_index == 7
    # calls 1-6 completed before the failure surfaced; calls 8-10 were in flight and are collected; 7 is not
    starts, ends = samples(buffer)
    assert buffer.count == 9
    assert progress[0] == 9
    assert {e - s for s, e in zip(starts, ends, strict=True)} == {10 * MS}
    assert sorted(starts) == [0, 0, 0, 0, 10 * MS, 10 * MS, 10 * MS, 20 * MS, 20 * MS]


def test_async_failure_on_first_call() -> None:
    clock = FakeClock()
    buffer = SampleBuffer()
    with pytest.raises(RequestFailed) as info:
        run_async(async_session(clock, 4, fail_at=1), clock, Stop(100, 0), buffer, progress_cells())
    assert info.value.call_index == 1
    assert buffer.count == 3  # calls 2-4, all started at 0, are collected


# ---------------------------------------------------------------- ThreadedRun


class NullSession:
    def infer(self) -> None:
        return None


class FailingSession:
    def __init__(self, after: int) -> None:
        self.calls = 0
        self.after = after

    def infer(self) -> None:
        self.calls += 1
        if self.calls > self.after:
            raise RuntimeError("device lost")


def join_all(finished: list[threading.Event]) -> None:
    for event in finished:
        event.wait()


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_threaded_ticket_counter_gives_exactly_niter(threads: int) -> None:
    buffers = [SampleBuffer(16) for _ in range(threads)]
    progress = progress_cells(threads)
    run = ThreadedRun([NullSession() for _ in range(threads)], system_clock, Stop(1000, 0), buffers, progress)
    run.run(join_all)
    assert sum(b.count for b in buffers) == 1000
    assert sum(progress) == 1000
    assert run.error is None
    for buffer in buffers:
        starts, ends = buffer.arrays()
        assert (ends >= starts).all()


def test_threaded_single_thread_on_fake_clock_both_minimums() -> None:
    clock = FakeClock()
    buffer = SampleBuffer()
    ThreadedRun([sync_session(clock)], clock, Stop(5, 100 * MS), [buffer], progress_cells()).run(join_all)
    assert buffer.count == 10
    assert samples(buffer) == ([k * 10 * MS for k in range(10)], [(k + 1) * 10 * MS for k in range(10)])


def test_threaded_error_surfaces_and_keeps_samples() -> None:
    buffers = [SampleBuffer(4)]
    run = ThreadedRun([FailingSession(after=5)], system_clock, Stop(1000, 0), buffers, progress_cells())
    with pytest.raises(RuntimeError, match="device lost"):
        run.run(join_all)
    assert buffers[0].count == 5
    assert isinstance(run.error, RuntimeError)


def test_threaded_error_stops_other_workers() -> None:
    buffers = [SampleBuffer(64), SampleBuffer(64)]
    sessions = [FailingSession(after=3), NullSession()]
    run = ThreadedRun(sessions, system_clock, Stop(10**9, 0), buffers, progress_cells(2))
    with pytest.raises(RuntimeError, match="device lost"):
        run.run(join_all)  # would take minutes if the healthy worker did not stop
    assert buffers[0].count == 3
