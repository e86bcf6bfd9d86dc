"""The interleaved timed loops: several compiled configurations in one process, taking turns.

Time is cut into rounds; in each round every configuration (a "side") runs one unit, in an order drawn
from a generator seeded with ``--seed`` (``Schedule``), so neighbouring units of two sides share whatever the
machine was doing at that moment and the analysis can pair them (``results.interleaved``). A unit is one
request (``interleave_requests``, for sides that run one request at a time) or a burst of requests
(``interleave_bursts``, see ``sides``).

Like the single-configuration loops (``loops``), the request loop only stamps, calls and stores: one clock
read per request (chained: it ends one request and starts the next), the side's call looked up in a list by
the precomputed order, a list store and two comparisons. Every batch of whole rounds (about every
``PUBLISH_NS``) the stamps move into int64 buffers (``UnitRecord``) and the ``Controller`` is asked whether to
stop (the stop rule per side, or ``--until-decided``); that bookkeeping falls between two rounds.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Callable, Sequence

import numpy as np

from ..clock import Clock
from .recording import SampleBuffer
from .sides import Side

PUBLISH_NS = 20_000_000
MAX_UNITS = 4096  # units per batch, at most
Controller = Callable[["UnitRecord", int], bool]  # after a batch, with the clock: stop now?


class Schedule:
    """Rounds in a seeded random order: each round runs every side once, in a fresh permutation."""

    def __init__(self, sides: int, seed: int) -> None:
        self.sides = sides
        self._random = random.Random(seed)
        self._order = list(range(sides))

    def fill(self, order: list[int], rounds: int) -> None:
        """Write ``rounds`` rounds into the start of ``order`` (preallocated; between batches)."""
        k = self.sides
        for index in range(rounds):
            self._random.shuffle(self._order)
            order[index * k:(index + 1) * k] = self._order


class UnitRecord:
    """Every unit (its side, first submission, duration, requests completed) and every side's requests, in
    the order they ran, on the runner's clock; with running totals per side for the stop rule."""

    def __init__(self, sides: int) -> None:
        self.samples = [SampleBuffer() for _ in range(sides)]
        self.unit_sides = array("b")
        self.unit_starts = array("q")
        self.unit_durations = array("q")
        self.unit_counts = array("q")
        self.active_ns = [0] * sides  # time each side ran (sum of its units' durations)
        self.requests = [0] * sides
        self.units = [0] * sides

    @property
    def sides(self) -> int:
        return len(self.samples)

    def add_requests(self, stamps: list[int], order: list[int], n: int) -> None:
        """A batch of the request loop: chained stamps ``stamps[0..n]``, sides ``order[0..n)``."""
        if n <= 0:
            return
        values = np.fromiter(stamps, dtype=np.int64, count=n + 1)
        sides = np.fromiter(order, dtype=np.int8, count=n)
        starts, ends = values[:n], values[1:]
        self._add_units(sides, starts, ends - starts, np.ones(n, dtype=np.int64))
        for side in range(self.sides):
            mine = sides == side
            self.samples[side].extend(starts[mine], ends[mine])

    def add_bursts(self, order: list[int], counts: list[int], units: int, starts: list[list[int]],
                   ends: list[list[int]], written: list[int]) -> None:
        """A batch of the burst loop: ``units`` bursts with sides ``order`` and ``counts`` requests each; each
        side's stamps are ``starts[side][:written[side]]`` in the order of its bursts."""
        sides = np.fromiter(order, dtype=np.int8, count=units)
        count = np.fromiter(counts, dtype=np.int64, count=units)
        first = np.zeros(units, dtype=np.int64)
        duration = np.zeros(units, dtype=np.int64)
        for side in range(self.sides):
            s_starts = np.fromiter(starts[side], dtype=np.int64, count=written[side])
            s_ends = np.fromiter(ends[side], dtype=np.int64, count=written[side])
            self.samples[side].extend(s_starts, s_ends)
            mine = np.flatnonzero((sides == side) & (count > 0))
            if len(mine):
                bounds = np.concatenate(([0], np.cumsum(count[sides == side])))[:-1]
                bounds = bounds[count[sides == side] > 0]
                first[mine] = np.minimum.reduceat(s_starts, bounds)
                duration[mine] = np.maximum.reduceat(s_ends, bounds) - first[mine]
        self._add_units(sides, first, duration, count)

    def _add_units(self, sides: np.ndarray, starts: np.ndarray, durations: np.ndarray, counts: np.ndarray) -> None:
        self.unit_sides.frombytes(sides.astype(np.int8).tobytes())
        self.unit_starts.frombytes(starts.astype(np.int64).tobytes())
        self.unit_durations.frombytes(durations.astype(np.int64).tobytes())
        self.unit_counts.frombytes(counts.astype(np.int64).tobytes())
        for side in range(self.sides):
            mine = sides == side
            self.active_ns[side] += int(durations[mine].sum())
            self.requests[side] += int(counts[mine].sum())
            self.units[side] += int(mine.sum())

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Copies of the unit columns: sides, starts, durations, counts."""
        return (np.frombuffer(self.unit_sides, dtype=np.int8).copy(),
                np.frombuffer(self.unit_starts, dtype=np.int64).copy(),
                np.frombuffer(self.unit_durations, dtype=np.int64).copy(),
                np.frombuffer(self.unit_counts, dtype=np.int64).copy())


def _rounds_next(rounds: int, elapsed: int, most: int) -> int:
    """Rounds in the next batch: double while a batch is shorter than half of PUBLISH_NS, halve when longer
    than twice that."""
    if elapsed < PUBLISH_NS // 2:
        return min(rounds * 2, most)
    if elapsed > PUBLISH_NS * 2 and rounds > 1:
        return rounds // 2
    return rounds


def interleave_requests(infers: Sequence[Callable[[], None]], clock: Clock, schedule: Schedule,
                        record: UnitRecord, done: Controller) -> None:
    """One request at a time, the side of each taken from the schedule; a failing request raises (what ran
    before it is recorded)."""
    k = len(infers)
    most = max(1, MAX_UNITS // k)
    stamps = [0] * (most * k + 1)
    order = [0] * (most * k)
    rounds = 1
    schedule.fill(order, rounds)
    step, n = k, 0
    stamps[0] = t = began = clock()
    try:
        while True:  # the hot loop: the side's call, one clock read, one list store, an add, a comparison
            infers[order[n]]()
            t = clock()
            n += 1
            stamps[n] = t
            if n >= step:
                record.add_requests(stamps, order, n)
                n = 0
                if done(record, t):
                    return
                rounds = _rounds_next(rounds, t - began, most)
                schedule.fill(order, rounds)
                step = rounds * k
                stamps[0] = began = clock()  # the batch's bookkeeping is in no request's latency
    finally:
        record.add_requests(stamps, order, n)


def interleave_bursts(sides: Sequence[Side], clock: Clock, schedule: Schedule, size: int, record: UnitRecord,
                      done: Controller) -> None:
    """Bursts of ``size`` requests, the side of each taken from the schedule."""
    k = len(sides)
    most = max(1, min(MAX_UNITS // k, 64))
    starts = [[0] * (size * most) for _ in sides]
    ends = [[0] * (size * most) for _ in sides]
    order, counts, written = [0] * (most * k), [0] * (most * k), [0] * k
    rounds = 1
    while True:
        schedule.fill(order, rounds)
        began, unit = clock(), 0
        try:
            while unit < rounds * k:
                side = order[unit]
                before = written[side]
                written[side] = sides[side].burst(size, clock, starts[side], ends[side], before)
                counts[unit] = written[side] - before
                unit += 1
        finally:
            record.add_bursts(order, counts, unit, starts, ends, written)
            written[:] = [0] * k
        now = clock()
        if done(record, now):
            return
        rounds = _rounds_next(rounds, now - began, most)
