"""Helpers shared by the bench scripts (not part of the package)."""

from __future__ import annotations

import platform
import statistics
import subprocess
import sys
from pathlib import Path

MAKE_MODELS = Path(__file__).resolve().parent.parent.parent / "shared" / "tools" / "make_models.py"


def ensure_models(folder: Path, names: list[str]) -> None:
    """Build the named models with ../shared/tools/make_models.py unless they are already there."""
    missing = [name for name in names if not (folder / f"{name}.onnx").exists()]
    if missing:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(MAKE_MODELS), str(folder), "--only", ",".join(missing)], check=True)


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
