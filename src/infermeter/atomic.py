"""The one way infermeter writes a file: whole or not at all.

The data goes to a temporary file in the same folder, is flushed to disk, gets the permissions a plain
``open`` would have given (or the existing file's), and replaces the target in one rename. A reader sees the
old file or the new one, never half of one; a failure (or Ctrl-C) leaves the old file and no temporary.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` (text is UTF-8, newlines as given) to ``path``; raises OSError, leaving nothing behind."""
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    mode = _file_mode(target)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target


def _file_mode(path: Path) -> int:
    """An existing file's permissions, else what a plain ``open`` would give (0o666 less the umask): a temp
    file is created 0o600, and a report should not become unreadable to others by being written atomically."""
    with contextlib.suppress(OSError):
        return path.stat().st_mode & 0o7777
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask
