"""Observer protocol: how the runner tells the outside world what is happening, without printing.

The CLI's console reporter implements it; the Python API uses ``NullObserver`` unless given one.
Progress calls arrive from a monitor thread at a low rate, never from the timed loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from .clock import Clock

if TYPE_CHECKING:
    from .results.report import Report


class Observer(Protocol):
    def phase_started(self, name: str) -> None: ...

    def phase_finished(self, name: str, duration_ns: int) -> None: ...

    def note(self, text: str) -> None: ...

    def progress(self, completed: int, elapsed_ns: int) -> None: ...

    def ready(self, report: Callable[[], Report]) -> None:
        """The model is loaded and its first inference done; measuring starts now. ``report()`` builds the
        report as it stands (engine, precision, layout, inputs, phase times; no samples, no environment
        record), for a console to show at once; an observer that shows nothing does not call it."""
        ...

    @property
    def wants_progress(self) -> bool: ...


class NullObserver:
    wants_progress = False

    def phase_started(self, name: str) -> None:
        return None

    def phase_finished(self, name: str, duration_ns: int) -> None:
        return None

    def note(self, text: str) -> None:
        return None

    def progress(self, completed: int, elapsed_ns: int) -> None:
        return None

    def ready(self, report: Callable[[], Report]) -> None:
        return None


class PhaseTimer:
    """Times named phases on the runner's clock and remembers which one is running (for interrupts)."""

    def __init__(self, clock: Clock, observer: Observer) -> None:
        self._clock = clock
        self._observer = observer
        self.durations: dict[str, int] = {}
        self.current: str | None = None

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        self.current = name
        self._observer.phase_started(name)
        began = self._clock()
        yield
        self.durations[name] = self._clock() - began
        self._observer.phase_finished(name, self.durations[name])
        self.current = None
