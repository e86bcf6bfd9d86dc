"""Parsing of option values: shapes, dims, input files, numbers, durations, percentages.

Each parser takes what a user typed (or passed to the Python API) and returns a value or raises
``UsageError`` / ``InputError`` with one line naming the flag and the culprit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, UsageError
from ..units import parse_duration_ns


@dataclass(frozen=True)
class ShapeOverride:
    """One entry of ``-shape``: ``input`` is None for an unnamed shape (applies to every input)."""

    input: str | None
    dims: tuple[int | None, ...]  # None = leave this dim to -b / --dim


@dataclass(frozen=True)
class InputFile:
    input: str | None  # None = match by content (.npz keys) or the model's only input
    path: Path


def parse_shapes(value: str | Iterable[str] | None) -> tuple[ShapeOverride, ...]:
    """``[1,3,224,224]`` or ``name[1,3,224,224],other[1,128]`` (OpenVINO's -shape syntax)."""
    overrides: list[ShapeOverride] = []
    for text in _as_list(value):
        rest = text.strip()
        while rest:
            match = re.match(r"\s*([^\[\]]*?)\s*\[([^\]]*)\]\s*(,|$)", rest)
            if not match:
                raise UsageError(f"-shape {text!r}: expected [1,3,224,224] or name[1,3,224,224],name2[...]")
            name = match.group(1) or None
            overrides.append(ShapeOverride(name, _shape_dims(text, name, match.group(2))))
            rest = rest[match.end() :]
    names = [o.input for o in overrides]
    if None in names and len(names) > 1:
        raise UsageError("-shape: an unnamed shape applies to every input; name each input instead")
    duplicates = {n for n in names if n is not None and names.count(n) > 1}
    if duplicates:
        raise UsageError(f"-shape gives input {sorted(duplicates)[0]!r} more than once")
    return tuple(overrides)


def _shape_dims(text: str, name: str | None, body: str) -> tuple[int | None, ...]:
    dims: list[int | None] = []
    for item in (part.strip() for part in body.split(",")) if body.strip() else ():
        target = f" for input {name!r}" if name else ""
        if item in ("?", "-1"):
            dims.append(None)
        elif item.isdigit() and int(item) > 0:
            dims.append(int(item))
        elif re.fullmatch(r"\d*\.\.\d*", item):  # benchmark_app's range lo..hi: a dynamic dim
            low, high = (int(part) if part else None for part in item.split(".."))
            if low is not None and high is not None and low > high:
                raise UsageError(f"-shape {text!r}: range {item!r}{target} has its bounds reversed")
            dims.append(None)
        else:
            raise UsageError(f"-shape {text!r}: dim {item!r}{target} must be a positive integer, ? or a range "
                             "such as 1..10")
    return tuple(dims)


def parse_dims(value: str | Iterable[str] | Mapping[str, int] | None) -> dict[str, int]:
    """``--dim sequence=128`` (repeatable, or comma-separated): a value for every dim of that name.

    Zero is allowed (``--dim past_sequence_length=0`` for a first decoding step); batch dims are checked later.
    """
    if isinstance(value, Mapping):
        items = [f"{k}={v}" for k, v in value.items()]
    else:
        items = [part for text in _as_list(value) for part in text.split(",") if part.strip()]
    dims: dict[str, int] = {}
    for item in items:
        name, sep, number = item.rpartition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--dim {item!r}: expected NAME=SIZE, e.g. --dim sequence=128")
        size = non_negative_int(f"--dim {name}", number.strip())  # 0 is real: an empty KV cache
        if name in dims and dims[name] != size:
            raise UsageError(f"--dim {name} is given twice with different sizes")
        dims[name] = size
    return dims


def parse_input_files(value: str | Iterable[str] | None) -> tuple[InputFile, ...]:
    """``-i file.npy``, ``-i name:file.npy``, ``-i folder/``, ``-i name:folder/``, several separated by spaces
    (repeat) or commas. Within one comma-separated value an unnamed path after a named one belongs to that input
    (benchmark_app's ``-i in1:a.jpg,b.jpg,in2:c.npy``). An input given several times gets several samples, in
    the order given."""
    files: list[InputFile] = []
    for text in _as_list(value):
        current: str | None = None
        for item in (part.strip() for part in text.split(",")):
            if item:
                entry = _input_file(item)
                if entry.input is None and current is not None:
                    entry = InputFile(current, entry.path)
                current = entry.input
                files.append(entry)
    return tuple(files)


def _input_file(item: str) -> InputFile:
    path = Path(item)
    if path.exists():
        return InputFile(None, _checked_file(path, None))
    name, sep, file_part = item.rpartition(":")
    if sep and name and file_part:
        return InputFile(name, _checked_file(Path(file_part), name))
    raise InputError(f"-i {item}: file not found")


def _checked_file(path: Path, name: str | None) -> Path:
    """An existing data file of a known type, or a folder holding at least one. Errors name the -i value as
    given: ``NAME:PATH`` or ``PATH``."""
    from .datafiles import DATA_SUFFIXES, folder_files

    given = f"{name}:{path}" if name is not None else str(path)
    if not path.exists():
        raise InputError(f"-i {given}: file not found")
    if path.is_dir():
        folder_files(path, given)  # refuses a folder with nothing usable, naming it
        return path
    if path.suffix.lower() not in DATA_SUFFIXES:
        raise InputError(f"-i {given}: unsupported file type {path.suffix or '(none)'!r}; use .npy, .npz, .bin "
                         "or an image (.jpg, .png, .bmp, .tif, .webp)")
    return path


def parse_fraction(flag: str, value: float | str) -> float:
    """``1%`` -> 0.01; ``0.01`` -> 0.01. A bare number of 1 or more is refused as ambiguous."""
    text = str(value).strip()
    try:
        number = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        raise UsageError(f"{flag} {value!r} is not a percentage such as 1% or 0.5%") from None
    if not text.endswith("%") and number >= 1:
        raise UsageError(f"{flag} {value!r} is ambiguous: write it as a percentage, e.g. {text}%")
    if not 0.0 < number < 1.0:
        raise UsageError(f"{flag} {value!r} must be between 0% and 100%")
    return number


def _as_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def parse_choice(flag: str, value: str, allowed: Iterable[str]) -> str:
    options = tuple(allowed)
    if value not in options:
        raise UsageError(f"{flag} {value!r} is not one of: {', '.join(options)}")
    return value


def _parse_int(flag: str, value: int | str) -> int:
    if isinstance(value, bool):
        raise UsageError(f"{flag} expects an integer, got {value!r}")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise UsageError(f"{flag} expects an integer, got {value!r}") from None


def positive_int(flag: str, value: int | str | None) -> int | None:
    if value is None:
        return None
    number = _parse_int(flag, value)
    if number < 1:
        raise UsageError(f"{flag} must be 1 or more, got {number}")
    return number


def non_negative_int(flag: str, value: int | str) -> int:
    number = _parse_int(flag, value)
    if number < 0:
        raise UsageError(f"{flag} must be 0 or more, got {number}")
    return number


def parse_duration(flag: str, value: float | str) -> int:
    if isinstance(value, bool):
        raise UsageError(f"{flag} expects a duration, got {value!r}")
    if str(value).strip().startswith("-"):
        raise UsageError(f"{flag} must not be negative, got {value}")
    try:
        ns = parse_duration_ns(str(value))
    except ValueError as error:
        raise UsageError(f"{flag}: {error}") from None
    return ns


def parse_data_shapes(value: str | Iterable[str] | None) -> tuple[tuple[ShapeOverride, ...], ...]:
    """benchmark_app's ``-data_shape``: ``in1[1,3,224,224][1,3,448,448],in2[1,4][1,8]`` or ``[1,4][1,8]``.

    Returns one group per round-robin step: group k holds the k-th shape of every input (inputs with fewer
    shapes repeat theirs cyclically, as benchmark_app does).
    """
    per_input: list[tuple[str | None, list[tuple[int, ...]]]] = []
    for text in _as_list(value):
        rest = text.strip()
        while rest:
            match = re.match(r"\s*([^\[\],]*?)\s*((?:\[[^\]]*\]\s*)+)(,|$)", rest)
            if not match:
                raise UsageError(f"-data_shape {text!r}: expected in1[1,3,224,224][1,3,448,448],in2[1,4] "
                                 "or [1,4][1,8]")
            shapes = [_data_dims(text, body) for body in re.findall(r"\[([^\]]*)\]", match.group(2))]
            per_input.append((match.group(1) or None, shapes))
            rest = rest[match.end():]
    names = [name for name, _ in per_input]
    if None in names and len(names) > 1:
        raise UsageError("-data_shape: an unnamed shape list applies to every input; name each input instead")
    groups = max((len(shapes) for _, shapes in per_input), default=0)
    return tuple(tuple(ShapeOverride(name, tuple(shapes[k % len(shapes)])) for name, shapes in per_input)
                 for k in range(groups))


def _data_dims(text: str, body: str) -> tuple[int, ...]:
    items = [part.strip() for part in body.split(",") if part.strip()]
    if not items or not all(item.isdigit() and int(item) > 0 for item in items):
        raise UsageError(f"-data_shape {text!r}: [{body}] must list positive sizes (data shapes are concrete)")
    return tuple(int(item) for item in items)


def parse_positional_shapes(value: str | None) -> tuple[tuple[int, ...], ...]:
    """deepsparse's ``-shapes "[1,3,224,224],[1,128]"``: one shape per input, in the model's input order."""
    if not value:
        return ()
    text = value.strip()
    bodies = re.findall(r"\[([^\]]*)\]", text)
    if not bodies or re.sub(r"\[[^\]]*\]", "", text).strip(" ,"):
        raise UsageError(f"-shapes {value!r}: expected [1,3,224,224] or [1,3,224,224],[1,128] (one per input)")
    shapes = []
    for body in bodies:
        items = [part.strip() for part in body.split(",") if part.strip()]
        if not items or not all(item.isdigit() and int(item) > 0 for item in items):
            raise UsageError(f"-shapes {value!r}: [{body}] must list positive sizes")
        shapes.append(tuple(int(item) for item in items))
    return tuple(shapes)
