"""Which files ``-i`` accepts, and the usable files of a ``-i`` folder (imports nothing but errors, so the option
parsers can check a path before any input code loads; ``inputs.files`` reads them)."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
RAW_SUFFIXES = (".bin", ".raw")
DATA_SUFFIXES = (".npy", ".npz", *RAW_SUFFIXES, *IMAGE_SUFFIXES)


def folder_files(folder: Path, given: str | None = None) -> list[Path]:
    """The usable files directly in a -i folder, sorted by name: hidden files, other types and subfolders are
    skipped. A folder with none is an error naming it (``given``: the -i value, ``NAME:FOLDER`` or ``FOLDER``)."""
    given = given or str(folder)
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as error:
        raise InputError(f"-i {given}: cannot list the folder ({error_reason(error)})") from None
    usable = [p for p in entries if p.suffix.lower() in DATA_SUFFIXES and not p.name.startswith(".") and p.is_file()]
    if not usable:
        skipped = f" ({len(entries)} other entries skipped)" if entries else ""
        raise InputError(f"-i {given}: the folder holds no .npy/.npz/.bin/image files{skipped}")
    return usable


def error_reason(error: BaseException) -> str:
    """The first line of an OS or library error, short enough for a one-line message."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:120]
