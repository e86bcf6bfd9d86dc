"""User-supplied input data (``-i``): .npy, .npz (keys = input names), raw .bin/.raw files, images, and folders
of them, mapped to inputs by name. An input given several files gets several samples, in the order given.

Loading happens in two steps: ``load_input_files`` reads files that carry a shape (npy/npz) before shapes are
resolved, because a file's shape also fixes that input's dynamic dims; ``finish_input_samples`` checks each file
against its resolved input (dtype, shape) and reads raw .bin files and images, whose shape comes from the input.
A folder contributes every usable file directly in it, sorted by name; other files in it are skipped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import numpy as np

from ..config.datafiles import DATA_SUFFIXES, IMAGE_SUFFIXES, folder_files
from ..config.datafiles import error_reason as _reason
from ..config.values import InputFile
from ..errors import InputError, UsageError
from ..model.io import InputDescription
from .images import image_fill, image_samples, require_pillow
from .shapes import ResolvedInput
from .synthetic import PreparedInput

_NO_LAYOUTS: Mapping[str, str] = MappingProxyType({})
_LISTED_SOURCES = 3  # -i paths named in a fill before "and N more"


@dataclass(frozen=True)
class LoadedFile:
    input: str
    path: Path
    array: np.ndarray | None  # None for raw .bin files and images until the shape is known
    key: str | None = None  # .npz member
    folder: Path | None = None  # the -i folder the file was found in
    kind: Literal["array", "archive", "raw", "image"] = "array"  # array: .npy, named .npz; archive: .npz by keys

    @property
    def family(self) -> str:
        """Files of one family can be samples of one input: archives, images, or arrays and raw files."""
        return "array" if self.kind == "raw" else self.kind


@dataclass(frozen=True)
class LoadedInput:
    """Every file given for one input, in order: one sample per file (images: one per batch of files)."""

    name: str
    files: tuple[LoadedFile, ...]

    @property
    def path(self) -> Path:
        return self.files[0].path

    @property
    def array(self) -> np.ndarray | None:
        return self.files[0].array

    @property
    def key(self) -> str | None:
        return self.files[0].key


def load_input_files(files: Sequence[InputFile], inputs: Sequence[InputDescription]) -> dict[str, LoadedInput]:
    names = [i.name for i in inputs]
    grouped: dict[str, list[LoadedFile]] = {}
    for entry in files:
        for item in _load_entry(entry, names):
            earlier = grouped.setdefault(item.input, [])
            if earlier and earlier[0].family != item.family:
                raise InputError(f"-i: input {item.input!r} is given by both {earlier[0].path} and {item.path}; "
                                 f"{_mix_hint(earlier[0], item)}")
            earlier.append(item)
    for name, items in grouped.items():
        _check_same_shapes(name, items)
    return {name: LoadedInput(name, tuple(items)) for name, items in grouped.items()}


def _mix_hint(first: LoadedFile, second: LoadedFile) -> str:
    if "archive" in (first.family, second.family):
        return "an unnamed .npz feeds inputs by its keys: give one input either archives or files"
    return "give one input either images or array files"


def _check_same_shapes(name: str, items: list[LoadedFile]) -> None:
    arrays = [(item.path, item.array) for item in items if item.array is not None]
    for path, array in arrays[1:]:
        first_path, first = arrays[0]
        if array.shape != first.shape:
            raise InputError(f"-i {path}: shape {list(array.shape)} differs from {list(first.shape)} of "
                             f"{first_path}, the first sample of input {name!r}; all samples of an input "
                             "must have one shape")


def _load_entry(entry: InputFile, names: list[str]) -> list[LoadedFile]:
    if entry.input is not None and entry.input not in names:
        raise InputError(f"-i {entry.input}:{entry.path}: the model has no input {entry.input!r}; "
                         f"inputs: {', '.join(names)}")
    if not entry.path.is_dir():
        return _load_file(entry.path, entry.input, names, None)
    return [item for path in folder_files(entry.path, _given(entry.input, entry.path))
            for item in _load_file(path, entry.input, names, entry.path)]


def _load_file(path: Path, target: str | None, names: list[str], folder: Path | None) -> list[LoadedFile]:
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return [dataclasses.replace(item, folder=folder) for item in _load_npz(InputFile(target, path), names)]
    if suffix not in DATA_SUFFIXES:
        raise InputError(f"-i {_given(target, path)}: unsupported file type {path.suffix or '(none)'!r}; use .npy, "
                         ".npz, .bin or an image")
    name = target if target is not None else _only_input(folder or path, names)
    if suffix == ".npy":
        return [LoadedFile(name, path, _read_npy(path, _given(target, path)), folder=folder)]
    if suffix in IMAGE_SUFFIXES:
        require_pillow(path)  # fail before shapes are resolved, naming the first image
        return [LoadedFile(name, path, None, folder=folder, kind="image")]
    return [LoadedFile(name, path, None, folder=folder, kind="raw")]


def _only_input(path: Path, names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    raise InputError(f"-i {path}: the model has {len(names)} inputs ({', '.join(names)}); "
                     f"say which one as NAME:{path}")


def _given(target: str | None, path: Path) -> str:
    """A -i value as the user gave it: ``NAME:PATH``, or ``PATH``."""
    return f"{target}:{path}" if target is not None else str(path)


def _read_npy(path: Path, given: str) -> np.ndarray:
    try:
        with open(path, "rb") as stream:
            array = np.load(stream, allow_pickle=False)
    except Exception as error:  # numpy raises ValueError, EOFError, tokenize.TokenError... on damaged headers
        raise InputError(f"-i {given}: not a readable .npy file ({_reason(error)})") from None
    if not isinstance(array, np.ndarray):
        raise InputError(f"-i {given}: expected one array")
    return array


def _load_npz(entry: InputFile, names: list[str]) -> list[LoadedFile]:
    try:
        with open(entry.path, "rb") as stream:
            archive = np.load(stream, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise InputError(f"-i {_given(entry.input, entry.path)}: not a .npz archive (it holds a single "
                                 "array: name it .npy)")
            with archive:
                members = {key: archive[key] for key in archive.files}
    except InputError:
        raise
    except Exception as error:  # BadZipFile, ValueError, EOFError... on damaged archives
        raise InputError(f"-i {_given(entry.input, entry.path)}: not a readable .npz file ({_reason(error)})") \
            from None
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
    return [LoadedFile(key, entry.path, array, key, kind="archive") for key, array in members.items()]


def _first_array(loaded: LoadedInput) -> LoadedFile | None:
    return next((item for item in loaded.files if item.array is not None), None)


def file_sources(loaded: Mapping[str, LoadedInput]) -> dict[str, str]:
    """Per input, the file its shape comes from (the first with an array), else its first file."""
    return {name: str((_first_array(entry) or entry.files[0]).path) for name, entry in loaded.items()}


def file_shapes(loaded: Mapping[str, LoadedInput]) -> dict[str, tuple[int, ...]]:
    """Per input given .npy/.npz data, the shape of its first such sample (all its samples share it)."""
    shapes: dict[str, tuple[int, ...]] = {}
    for name, entry in loaded.items():
        first = _first_array(entry)
        if first is not None and first.array is not None:
            shapes[name] = tuple(first.array.shape)
    return shapes


def finish_input_samples(loaded: Mapping[str, LoadedInput], resolved: Sequence[ResolvedInput],
                         layouts: Mapping[str, str] = _NO_LAYOUTS,
                         channel_order: str = "BGR") -> tuple[dict[str, list[PreparedInput]], list[str]]:
    """Per input given with -i, one or more samples of its resolved shape and dtype, plus notes (resized
    images, inferred layouts, batches filled by cycling) for the user. Inputs without files are left out."""
    known = [item.name for item in resolved]
    for name in layouts:
        if name not in known:
            raise UsageError(f"-layout names input {name!r}, which the model does not have; "
                             f"inputs: {', '.join(known)}")
    samples: dict[str, list[PreparedInput]] = {}
    notes: list[str] = []
    for item in resolved:
        entry = loaded.get(item.name)
        if entry is None:
            continue
        if entry.files[0].kind == "image":
            samples[item.name] = _finish_images(entry, item, layouts.get(item.name), channel_order, notes)
        else:
            samples[item.name] = _finish_arrays(entry, item)
    return samples, notes


def finish_input_files(loaded: Mapping[str, LoadedInput],
                       resolved: Sequence[ResolvedInput]) -> dict[str, PreparedInput]:
    """The first sample of every input given with -i (see ``finish_input_samples`` for all of them)."""
    samples, _ = finish_input_samples(loaded, resolved)
    return {name: prepared[0] for name, prepared in samples.items()}


def _finish_images(entry: LoadedInput, item: ResolvedInput, layout: str | None, channel_order: str,
                   notes: list[str]) -> list[PreparedInput]:
    result = image_samples([f.path for f in entry.files], item, layout, channel_order)
    notes.extend(result.notes)
    fill = image_fill(_sources(entry.files), len(entry.files), result, channel_order)
    return [PreparedInput(item.name, array, fill) for array in result.arrays]


def _finish_arrays(entry: LoadedInput, item: ResolvedInput) -> list[PreparedInput]:
    prepared = [_finish(file, item) for file in entry.files]
    if len(prepared) == 1:
        return prepared
    dtype = np.dtype(item.description.dtype)  # feedable: _finish checked it
    casts = sorted({str(f.array.dtype) for f in entry.files if f.array is not None and f.array.dtype != dtype})
    fill = f"{len(prepared)} files from {_sources(entry.files)}"
    if casts:
        fill += f" (cast from {', '.join(casts)})"
    return [dataclasses.replace(p, fill=fill) for p in prepared]


def _sources(files: Sequence[LoadedFile]) -> str:
    """The -i paths the files came from, in order, folders with a trailing slash."""
    given: list[str] = []
    for item in files:
        text = f"{item.folder}/" if item.folder is not None else str(item.path)
        if text not in given:
            given.append(text)
    if len(given) > _LISTED_SOURCES:
        return f"{', '.join(given[:2])} and {len(given) - 2} more"
    return ", ".join(given)


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
