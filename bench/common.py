"""Helpers shared by the bench scripts (not part of the package)."""

from __future__ import annotations

import platform
import statistics
from pathlib import Path


def spread(values: list[float], digits: int = 1) -> str:
    """'median (min–max)'."""
    return f"{statistics.median(values):,.{digits}f} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
