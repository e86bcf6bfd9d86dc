"""The real-clock open-loop loops, driven directly: one inline slot, runners that pull from the schedule, and
the issuing thread with --max-in-flight. The engine is a sleep, so only orderings and bounds are asserted."""

from __future__ import annotations

import time
from array import array
from typing import Any

import numpy as np
import pytest

from infermeter.scenarios.openloop import OpenLoopRecord, ThreadedOpenLoop, run_inline
from infermeter.scenarios.pulling import PullingOpenLoop

MS = 1_000_000
clock = time.perf_counter_ns


def sleeper(ms: float) -> Any:
    def infer() -> None:
        time.sleep(ms / 1000)
    return infer


def kept() -> tuple[list[OpenLoopRecord], Any]:
    records: list[OpenLoopRecord] = []
    return records, records.append


def most_in_service(record: OpenLoopRecord) -> int:
    events = sorted([(int(t), 1) for t in record.started] + [(int(t), -1) for t in record.completed],
                    key=lambda e: (e[0], e[1]))
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def check_common(record: OpenLoopRecord) -> None:
    assert (record.issued >= record.scheduled).all()
    assert (record.started >= record.issued).all()
    assert (record.completed > record.started).all()


def test_two_pulling_runners_serve_a_burst_first_in_first_out_two_at_a_time() -> None:
    records, keep = kept()
    progress = array("q", [0])
    offsets = np.arange(20, dtype=np.int64) * MS  # 1 ms apart, 5 ms each: the queue builds up
    PullingOpenLoop([sleeper(5), sleeper(5)], clock, offsets, progress, keep).run()
    record = records[0]
    assert record.offered == len(record.completed) == progress[0] == 20 and record.dropped == 0
    check_common(record)
    assert most_in_service(record) == 2
    assert (np.diff(record.started) >= 0).all()  # the order of the schedule
    queued = record.started - record.scheduled > 2 * MS
    assert queued.sum() >= 10 and (record.issued[queued] == record.scheduled[queued]).all()


def test_an_idle_pulling_runner_issues_each_request_at_its_time() -> None:
    records, keep = kept()
    offsets = np.arange(10, dtype=np.int64) * 20 * MS  # 20 ms apart, 1 ms each: never queued
    PullingOpenLoop([sleeper(1), sleeper(1)], clock, offsets, array("q", [0]), keep).run()
    record = records[0]
    check_common(record)
    assert (record.issued - record.scheduled < 10 * MS).all()  # spun up to the due time, not slept past it


def test_a_failing_request_stops_the_runners_and_keeps_what_completed() -> None:
    records, keep = kept()
    calls = [0]

    def infer() -> None:
        calls[0] += 1
        if calls[0] == 5:
            raise RuntimeError("engine fell over")

    with pytest.raises(RuntimeError, match="fell over"):
        PullingOpenLoop([infer, infer], clock, np.arange(50, dtype=np.int64) * MS, array("q", [0]), keep).run()
    record = records[0]
    assert record.offered == 50 and 4 <= len(record.completed) < 50
    check_common(record)


def test_the_inline_slot_queues_by_the_schedule_without_a_limit() -> None:
    records, keep = kept()
    progress = array("q", [0])
    run_inline(sleeper(3), clock, np.arange(10, dtype=np.int64) * MS, None, progress, keep)
    record = records[0]
    assert len(record.completed) == progress[0] == 10 and record.dropped == 0
    check_common(record)
    assert most_in_service(record) == 1
    assert (record.issued[1:] == record.scheduled[1:]).all()  # each due while the one before ran


def test_the_inline_slot_drops_beyond_the_limit() -> None:
    records, keep = kept()
    run_inline(sleeper(10), clock, np.arange(10, dtype=np.int64) * MS, 2, array("q", [0]), keep)
    record = records[0]
    assert record.dropped > 0 and len(record.completed) + record.dropped == 10
    check_common(record)


def test_the_issuing_thread_drops_beyond_the_limit_with_two_slots() -> None:
    records, keep = kept()
    ThreadedOpenLoop([sleeper(10), sleeper(10)], clock, np.arange(20, dtype=np.int64) * MS, 3, array("q", [0]),
                     keep).run()
    record = records[0]
    assert record.dropped > 0 and len(record.completed) + record.dropped == 20
    check_common(record)
    assert most_in_service(record) <= 2
