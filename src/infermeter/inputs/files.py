"""User-supplied input data: .npy, .npz (keys = input names) and raw .bin files, mapped to inputs by name.

Loading happens in two steps: ``load_input_files`` reads files that carry a shape (npy/npz) before shapes are
resolved, because a file's shape also fixes that input's dynamic dims; ``finish_input_files`` checks each file
against its resolved input (dtype, shape) and reads raw .bin files, whose shape comes from the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engines.base import InputDescription
from ..errors import InputError
from ..options import InputFile
from .shapes import ResolvedInput
from .synthetic import PreparedInput


@dataclass(frozen=True)
class LoadedFile:
    input: str
    path: Path
    array: np.ndarray | None  # None for raw .bin files until the shape is known
    key: str | None = None  # .npz member


def load_input_files(files: Sequence[InputFile], inputs: Sequence[InputDescription]) -> dict[str, LoadedFile]:
    names = [i.name for i in inputs]
    loaded: dict[str, LoadedFile] = {}
    for entry in files:
        for item in _load_entry(entry, names):
            if item.input in loaded:
                raise InputError(f"-i: input {item.input!r} is given by both {loaded[item.input].path} "
                                 f"and {item.path}")
            loaded[item.input] = item
    return loaded


def _load_entry(entry: InputFile, names: list[str]) -> list[LoadedFile]:
    suffix = entry.path.suffix.lower()
    if entry.input is not None and entry.input not in names:
        raise InputError(f"-i {entry.input}:{entry.path}: the model has no input {entry.input!r}; "
                         f"inputs: {', '.join(names)}")
    if suffix == ".npz":
        return _load_npz(entry, names)
    target = entry.input if entry.input is not None else _only_input(entry.path, names)
    if suffix == ".npy":
        return [LoadedFile(target, entry.path, _read_npy(entry.path))]
    return [LoadedFile(target, entry.path, None)]


def _only_input(path: Path, names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    raise InputError(f"-i {path}: the model has {len(names)} inputs ({', '.join(names)}); "
                     f"say which one as NAME:{path}")


def _read_npy(path: Path) -> np.ndarray:
    try:
        with open(path, "rb") as stream:
            array = np.load(stream, allow_pickle=False)
    except Exception as error:  # numpy raises ValueError, EOFError, tokenize.TokenError... on damaged headers
        raise InputError(f"-i {path}: not a readable .npy file ({_reason(error)})") from None
    if not isinstance(array, np.ndarray):
        raise InputError(f"-i {path}: expected one array")
    return array


def _load_npz(entry: InputFile, names: list[str]) -> list[LoadedFile]:
    try:
        with open(entry.path, "rb") as stream:
            archive = np.load(stream, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise InputError(f"-i {entry.path}: not a .npz archive (it holds a single array: name it .npy)")
            with archive:
                members = {key: archive[key] for key in archive.files}
    except InputError:
        raise
    except Exception as error:  # BadZipFile, ValueError, EOFError... on damaged archives
        raise InputError(f"-i {entry.path}: not a readable .npz file ({_reason(error)})") from None
    if entry.input is not None:
        if len(members) != 1:
            raise InputError(f"-i {entry.input}:{entry.path}: the archive holds {len(members)} arrays; "
                             "give it without a name so its keys map to input names")
        (key, array), = members.items()
        return [LoadedFile(entry.input, entry.path, array, key)]
    unknown = sorted(set(members) - set(names))
    if unknown:
        raise InputError(f"-i {entry.path}: array {unknown[0]!r} matches no model input; inputs: {', '.join(names)}")
    if not members:
        raise InputError(f"-i {entry.path}: the archive is empty")
    return [LoadedFile(key, entry.path, array, key) for key, array in members.items()]


def _reason(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:120]


def file_sources(loaded: dict[str, LoadedFile]) -> dict[str, str]:
    return {name: str(item.path) for name, item in loaded.items()}


def file_shapes(loaded: dict[str, LoadedFile]) -> dict[str, tuple[int, ...]]:
    return {name: tuple(item.array.shape) for name, item in loaded.items() if item.array is not None}


def finish_input_files(loaded: dict[str, LoadedFile], resolved: Sequence[ResolvedInput]) -> dict[str, PreparedInput]:
    prepared: dict[str, PreparedInput] = {}
    for item in resolved:
        if item.name in loaded:
            prepared[item.name] = _finish(loaded[item.name], item)
    return prepared


def _finish(entry: LoadedFile, item: ResolvedInput) -> PreparedInput:
    try:
        dtype = np.dtype(item.description.dtype)
    except TypeError:
        raise InputError(f"-i {entry.path}: input {item.name!r} has type {item.description.dtype}, "
                         "which infermeter cannot feed") from None
    label = f"file {entry.path}" + (f" [{entry.key}]" if entry.key else "")
    if entry.array is None:
        return PreparedInput(item.name, _read_raw(entry.path, item, dtype), label)
    array = entry.array
    if tuple(array.shape) != item.shape:
        raise InputError(f"-i {entry.path}: shape {list(array.shape)} does not match input {item.name!r} "
                         f"shape {list(item.shape)}")
    if array.dtype != dtype:
        if not np.can_cast(array.dtype, dtype, casting="same_kind"):
            raise InputError(f"-i {entry.path}: dtype {array.dtype} cannot feed input {item.name!r} of "
                             f"type {dtype}")
        array = array.astype(dtype)
        label += f" (cast from {entry.array.dtype})"
    return PreparedInput(item.name, np.require(array, requirements="C"), label)


def _read_raw(path: Path, item: ResolvedInput, dtype: np.dtype) -> np.ndarray:
    expected = int(np.prod(item.shape, dtype=np.int64)) * dtype.itemsize
    size = path.stat().st_size
    if size != expected:
        raise InputError(f"-i {path}: {size} bytes, but input {item.name!r} {dtype}{list(item.shape)} "
                         f"needs {expected}")
    return np.fromfile(path, dtype=dtype).reshape(item.shape)
