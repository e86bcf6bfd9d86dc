"""One clock for every timestamp: integer nanoseconds, injectable.

``perf_counter_ns`` is monotonic and has the best resolution available. Tests and the fake engine use a
``FakeClock`` whose time moves only when told to, so every statistic they produce is exact.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], int]

system_clock: Clock = time.perf_counter_ns


class FakeClock:
    """A virtual clock. Calling it returns the current virtual time in ns; ``advance`` moves it forward."""

    def __init__(self, start_ns: int = 0) -> None:
        self.now_ns = start_ns

    def __call__(self) -> int:
        return self.now_ns

    def advance(self, delta_ns: int) -> None:
        if delta_ns < 0:
            raise ValueError("a clock cannot go backwards")
        self.now_ns += delta_ns

    def advance_to(self, when_ns: int) -> None:
        self.now_ns = max(self.now_ns, when_ns)
