"""Exports: pure serialisers plus one writer that owns files vs stdout and writes atomically."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..results import Report
from ..session import Session


def to_json(result: Report | Session) -> str:
    """Lossless JSON: ints stay ints, floats use repr (round-trip exact); NaN/inf become null."""
    return json.dumps(_finite(result.to_dict()), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def check_export_path(target: str) -> None:
    """Fail before the benchmark, not after it, when the export cannot be written."""
    if target == "-":
        return
    if not target.strip():
        raise UsageError("-x/--export-json is empty: give a file name, or - for stdout")
    path = Path(target)
    if path.is_dir():
        raise UsageError(f"-x/--export-json {target}: is a folder; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"-x/--export-json {target}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"-x/--export-json {target}: folder {parent} is not writable")


def write_text(target: str, text: str) -> None:
    """Write to ``-`` (stdout) or atomically to a file: temp file in the same folder, then rename."""
    if target == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(target)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
