"""One atomic writer for every file the tool writes."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from infermeter import atomic
from infermeter.atomic import write_atomic

SRC = Path(atomic.__file__).resolve().parent


def test_writes_text_and_bytes_whole(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    assert write_atomic(target, "é\nline\r\n") == target
    assert target.read_bytes() == "é\nline\r\n".encode()
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert os.listdir(tmp_path) == ["out.json"]


def test_new_files_get_the_umask_mode_and_existing_files_keep_theirs(tmp_path: Path) -> None:
    mask = os.umask(0o027)
    try:
        fresh = write_atomic(tmp_path / "fresh.txt", "x")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o640
    finally:
        os.umask(mask)
    kept = tmp_path / "kept.txt"
    kept.write_text("old")
    kept.chmod(0o600)
    write_atomic(kept, "new")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and kept.read_text() == "new"


def test_a_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")

    def broken(source: str, destination: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", broken)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, "new")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["report.json"]


def test_a_missing_folder_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "nope" / "x.json", "{}")


def test_no_other_module_writes_files_on_its_own() -> None:
    pattern = re.compile(r"os\.replace|mkstemp|\.write_text\(|\.write_bytes\(|open\([^)]*[\"'][wax]b?[\"']")
    found = [f"{path.relative_to(SRC)}:{number}" for path in SRC.rglob("*.py") if path.name != "atomic.py"
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert found == []
