"""Where the timed loops put their samples, and what they do between batches of requests.

Per request a loop does as little as possible. Here a clock read costs about 100 ns, a store into a Python
list about 30 ns, and a store into an ``array('q')`` about 170 ns (its item assignment parses the value like
a function argument). So a loop stores its stamps into a preallocated list, and every ``step`` requests a
``Recorder`` converts the batch into the ``SampleBuffer``'s int64 arrays in one C loop (about 30 ns a
value), grows the buffer (or, for a warm-up ring, starts it over), publishes the completed count for the
progress monitor, and asks the checkpoint (``--rel-precision``) when one is due. ``step`` adapts so that
this happens about every ``PUBLISH_NS`` whatever a request takes, and never more than ``MAX_STEP``
requests apart.

The one-at-a-time loops also chain their stamps: one clock read per request, taken right after the call,
is that request's end and the next one's start (``stamps[i]``, ``stamps[i + 1]``).
"""

from __future__ import annotations

from array import array
from typing import Protocol

import numpy as np

INITIAL_CAPACITY = 4096
NEVER = 1 << 62


class Checkpoint(Protocol):
    """Asked by a loop, between two requests, once its completed count reaches ``next_at``: stop now?"""

    next_at: int
    step: int  # requests until the next checkpoint (loops that count per thread use a share of it)

    def __call__(self) -> bool: ...


class SampleBuffer:
    """Submission and completion times of finished requests (int64 ns).

    A ``ring`` buffer (warm-up) never grows: when full it starts over, so a long warm-up costs no memory.
    """

    def __init__(self, capacity: int = INITIAL_CAPACITY, ring: bool = False) -> None:
        self.starts = array("q", bytes(8 * max(capacity, 1)))
        self.ends = array("q", bytes(8 * max(capacity, 1)))
        self.count = 0
        self.ring = ring

    def when_full(self, n: int) -> int:
        """Called by a loop when ``n`` samples fill the buffer; returns where the loop writes next."""
        if self.ring:
            self.count = 0
            return 0
        self.count = n
        extra = bytes(8 * (len(self.starts) // 2 + 1))  # grow by 1.5x: less slack on very long runs
        self.starts.frombytes(extra)
        self.ends.frombytes(extra)
        return n

    def put(self, n: int, start: int, end: int) -> int:
        """Store one sample at ``n`` (the loop's count), growing when full; returns the next count. For the
        checked loops (pacing, failures counted), which store each request as it ends."""
        self.starts[n] = start
        self.ends[n] = end
        n += 1
        return self.when_full(n) if n == len(self.starts) else n

    def extend(self, starts: np.ndarray, ends: np.ndarray) -> None:
        """Append samples; a ring buffer that has no room left starts over."""
        k = len(starts)
        n = self.count
        while n + k > len(self.starts):
            n = self.when_full(n)
            if self.ring:
                k = min(k, len(self.starts))
                starts, ends = starts[-k:], ends[-k:]
                break
        np.frombuffer(self.starts, dtype=np.int64)[n:n + k] = starts  # the view is gone before any growth
        np.frombuffer(self.ends, dtype=np.int64)[n:n + k] = ends
        self.count = n + k

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact-size copies (the buffers keep spare capacity, which is freed with them)."""
        n = self.count
        starts = np.frombuffer(self.starts, dtype=np.int64, count=n).copy()
        ends = np.frombuffer(self.ends, dtype=np.int64, count=n).copy()
        return starts, ends


def capacity_for(min_iterations: int, slots: int) -> int:
    return max(INITIAL_CAPACITY, min_iterations + slots)


class Recorder:
    """The between-batches side of one loop (see the module docstring).

    A chaining loop keeps ``stamps[0]`` = the batch's first start and writes the end of its k-th request of
    the batch to ``stamps[k]``; a loop with separate stamps writes ``starts[k - 1]`` and ``ends[k - 1]``.
    Once ``k`` reaches ``next_at`` it calls ``flush(k, now)`` and starts a new batch (a chaining loop
    re-reads the clock into ``stamps[0]``, so the batch's bookkeeping is in no request's latency).
    ``flush`` sets ``stop`` when the checkpoint says so; ``done`` counts this loop's samples so far.
    """

    PUBLISH_NS = 20_000_000
    MAX_STEP = 4096

    def __init__(self, buffer: SampleBuffer, progress: array, cell: int,  # type: ignore[type-arg]
                 checkpoint: Checkpoint | None, check_at: int, now: int, workers: int = 1,
                 chained: bool = False) -> None:
        self.buffer = buffer
        self.progress = progress
        self.cell = cell
        self.checkpoint = checkpoint
        self.check_at = check_at if checkpoint is not None else NEVER
        self.workers = workers  # loops sharing the checkpoint: each asks after its share of the step
        self.chained = chained
        self.stamps = self.starts = [0] * (self.MAX_STEP + 1)
        self.ends = self.stamps if chained else [0] * (self.MAX_STEP + 1)
        self.done = 0
        self.stop = False
        self._step = 1
        self._published_ns = now
        self.next_at = self._next()

    def _next(self) -> int:
        return max(1, min(self._step, self.check_at - self.done))

    def flush(self, k: int, now: int) -> None:
        """Move the batch's ``k`` samples to the buffer and do what is due (clock ``now``)."""
        self._move(k)
        elapsed, self._published_ns = now - self._published_ns, now
        if elapsed < self.PUBLISH_NS // 2:
            self._step = min(self._step * 2, self.MAX_STEP)
        elif elapsed > self.PUBLISH_NS * 2 and self._step > 1:
            self._step //= 2
        if self.done >= self.check_at:
            assert self.checkpoint is not None
            self.stop = self.checkpoint()
            self.check_at = self.checkpoint.next_at if self.workers == 1 else \
                self.done + max(1, self.checkpoint.step // self.workers)
        self.next_at = self._next()

    def _move(self, k: int) -> None:
        if k:
            if self.chained:
                values = np.fromiter(self.stamps, dtype=np.int64, count=k + 1)
                starts, ends = values[:k], values[1:]
            else:
                starts = np.fromiter(self.starts, dtype=np.int64, count=k)
                ends = np.fromiter(self.ends, dtype=np.int64, count=k)
            self.buffer.extend(starts, ends)
            self.done += k
        self.progress[self.cell] = self.buffer.count

    def finish(self, k: int) -> None:
        """The loop ended with ``k`` samples in its batch: move them and publish; asks no checkpoint."""
        self._move(k)
