"""Peak resident memory of this process, phase by phase (read, compile, measure).

Linux keeps the peak RSS of a process (``VmHWM`` in ``/proc/self/status``) and lets the process reset it
(writing ``5`` to ``/proc/self/clear_refs``, Linux ≥ 4.0), so each phase's own peak is read by resetting at its
start and reading at its end: a few hundred microseconds, outside every timed loop. Where the reset is refused
the values are the running peak of the process (``per_phase`` false); where ``/proc`` is missing,
``getrusage``'s ``ru_maxrss`` (a running peak too). psutil is not used: it has no per-phase peak either, and
importing it costs ~35 ms and 4 MB at every start (measured, docs/methodology.md).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from ..results.facts import PeakMemory

_HWM = re.compile(r"^VmHWM:\s+(\d+)\s+kB", re.MULTILINE)
SYSTEM_ROOT = Path("/")


class PhasePeaks:
    """``start(name)`` at a phase's start, ``stop(name)`` at its end; ``record()`` the peaks seen."""

    def __init__(self, root: Path = SYSTEM_ROOT) -> None:
        self._status = root / "proc/self/status"
        self._clear_refs = root / "proc/self/clear_refs"
        self._peaks: dict[str, int | None] = {}
        self.per_phase = True

    def start(self, name: str) -> None:
        self.per_phase = self._reset() and self.per_phase

    def stop(self, name: str) -> None:
        self._peaks[name] = self._peak_bytes()

    def record(self) -> PeakMemory:
        peaks = self._peaks
        return PeakMemory(read_bytes=peaks.get("read"), compile_bytes=peaks.get("compile"),
                          measure_bytes=peaks.get("measure"), per_phase=self.per_phase)

    def _reset(self) -> bool:
        try:
            handle = os.open(self._clear_refs, os.O_WRONLY)  # a kernel control file, not a file we write
        except OSError:
            return False
        try:
            os.write(handle, b"5")
        except OSError:
            return False
        finally:
            os.close(handle)
        return True

    def _peak_bytes(self) -> int | None:
        try:
            match = _HWM.search(self._status.read_text(encoding="ascii", errors="replace"))
        except OSError:
            match = None
        if match is not None:
            return int(match.group(1)) * 1024
        self.per_phase = False
        return _rusage_peak()


def _rusage_peak() -> int | None:
    try:
        import resource
    except ImportError:  # not a POSIX system
        return None
    peak = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return peak if sys.platform == "darwin" else peak * 1024  # macOS counts bytes, Linux KiB
