"""Stop on precision: checkpoints at which a running measurement asks "is the number known well enough?".

A timed loop only compares its completed count with ``next_at`` (one integer comparison per request). When
the count reaches it, the loop calls the check between two requests; the check copies the samples so far
(an O(n) copy under the GIL, so the loop's buffers are never exported or resized under it), computes the
95 % CI of the chosen metric and answers whether to stop. Checkpoints come every 25 % more requests, so the
checks cost O(n) in total and the stop lands at most 25 % past the point where the target was first met.
On the fake engine's virtual clock the checkpoints, and so the stop, are exactly reproducible.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Sequence

import numpy as np

from ..clock import Clock
from ..stats.intervals import Interval, percentile_interval_unsorted, throughput_interval
from .recording import SampleBuffer

FIRST_CHECK = 16
GROWTH = 0.25
NEVER = 1 << 62


class PrecisionCheck:
    def __init__(self, target: float, metric: str, batch: int, clock: Clock, min_iterations: int,
                 min_duration_ns: int, buffers: Sequence[SampleBuffer],
                 counts: array) -> None:  # type: ignore[type-arg]
        self._target = target
        self._metric = metric
        self._batch = batch
        self._clock = clock
        self._min_iterations = min_iterations
        self._min_duration_ns = min_duration_ns
        self._buffers = buffers
        self._counts = counts
        self._began = 0
        self._lock = threading.Lock()
        self.next_at = max(FIRST_CHECK, min_iterations)
        self.step = self.next_at  # requests between checkpoints, for loops that count per thread
        self.achieved: float | None = None
        self.met = False
        self.checks = 0

    def start(self) -> None:
        self._began = self._clock()

    def __call__(self) -> bool:
        """True = stop now. Called from a timed loop between two requests; never raises."""
        if not self._lock.acquire(blocking=False):
            return False  # another runner thread is checking
        try:
            total = sum(self._counts)
            if total >= self._min_iterations and self._clock() - self._began >= self._min_duration_ns:
                self.checks += 1
                interval = self._interval()
                self.achieved = interval.relative_half_width if interval is not None else None
                if self.achieved is not None and self.achieved <= self._target:
                    self.met = True
                    return True
            self.step = max(FIRST_CHECK, int(total * GROWTH))
            self.next_at = total + self.step
            return False
        finally:
            self._lock.release()

    def _interval(self) -> Interval | None:
        starts, ends = self._snapshot()
        if self._metric == "throughput":
            return throughput_interval(starts, ends, self._batch) if len(ends) else None
        p = 50.0 if self._metric == "median" else float(self._metric.lstrip("p"))
        return percentile_interval_unsorted(ends - starts, p)

    def _snapshot(self) -> tuple[np.ndarray, np.ndarray]:
        starts, ends = [], []
        for buffer, count in zip(self._buffers, list(self._counts), strict=True):
            starts.append(np.frombuffer(buffer.starts[:count], dtype=np.int64))  # slicing copies
            ends.append(np.frombuffer(buffer.ends[:count], dtype=np.int64))
        return np.concatenate(starts), np.concatenate(ends)
