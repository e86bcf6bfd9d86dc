"""Inputs that vary from request to request: several samples (files) or several shapes (-data_shape).

Each runner worker gets a ``CyclingSession`` that feeds sample sets round-robin. In inference-only mode every
set has its own engine session with the set bound once (switching costs one list lookup). In full mode
(``-inference_only false``) there is one engine session per shape group, and the next sample is copied into
its bound input buffers inside the timed call, as an application that receives new data would do.

Which set served which request is not recorded in the loop: worker-local order makes it ``index % K``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager

import numpy as np

from ..clock import Clock, FakeClock
from ..engines.base import CompiledModel, call_scope
from ..inputs.feed import InputFeed


class CyclingSession:
    """A Session whose ``infer`` feeds the next input set; ``reset`` starts over from set 0."""

    def __init__(self, compiled: CompiledModel, feed: InputFeed) -> None:
        self._calls: list[Callable[[], None]] = []
        self._first: object = None  # a session made here: what its calls need around them (call_scope)
        self._copies: list[list[tuple[np.ndarray, np.ndarray]]] = []
        bound_by_group: dict[int, dict[str, np.ndarray]] = {}
        call_by_group: dict[int, Callable[[], None]] = {}
        for index, inputs in enumerate(feed.sets):
            group = feed.groups[index]
            if not feed.copy_in:
                made = compiled.create_session(_private(inputs))
                self._first = self._first or made
                self._calls.append(made.infer)
                self._copies.append([])
                continue
            if group not in bound_by_group:
                bound_by_group[group] = _private(inputs)
                made = compiled.create_session(bound_by_group[group])
                self._first = self._first or made
                call_by_group[group] = made.infer
            bound = bound_by_group[group]
            self._calls.append(call_by_group[group])
            self._copies.append([(bound[name], np.ascontiguousarray(array)) for name, array in inputs.items()])
        self._count = len(self._calls)
        self._next = 0

    def reset(self) -> None:
        self._next = 0

    def scope(self) -> AbstractContextManager[object]:
        return call_scope(self._first)

    def infer(self) -> None:
        index = self._next
        self._next = index + 1 if index + 1 < self._count else 0
        for target, source in self._copies[index]:
            np.copyto(target, source)
        self._calls[index]()


def _private(inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: np.array(array, copy=True, order="C") for name, array in inputs.items()}


class Pacer:
    """``-max_irate``: request k starts no earlier than the first start + k / rate. A late request does
    not make the next ones burst: the schedule restarts from it. Shared by all workers (thread-safe)."""

    def __init__(self, rate: float, clock: Clock) -> None:
        self.interval_ns = max(1, round(1e9 / rate))
        self._clock = clock
        self._due: int | None = None
        self._lock = threading.Lock()

    def __call__(self) -> None:
        import time

        with self._lock:
            now = self._clock()
            due = now if self._due is None else self._due
            if due > now:
                if isinstance(self._clock, FakeClock):
                    self._clock.advance_to(due)
                else:
                    time.sleep((due - now) / 1e9)
            self._due = max(due, now) + self.interval_ns
