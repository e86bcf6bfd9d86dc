"""Resolve every model input to one static shape before compiling, or fail naming the input and the flag.

Sources, strongest first: ``-shape`` (or the shape of an ``-i`` file), the model's static dims, ``--dim NAME=N``
for every dim with that symbolic name, the zoo's documented defaults, and ``-b`` for the batch dim.
The batch dim is a dim whose symbolic name says batch, or else a dynamic first dim.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from ..config.values import ShapeOverride
from ..errors import UsageError
from ..model.io import Dim, InputDescription

_BATCH_NAME = re.compile(r"^(n|b|bs|batch.*|.*_batch|.*batch_?size.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class ResolvedInput:
    description: InputDescription
    shape: tuple[int, ...]

    @property
    def name(self) -> str:
        return self.description.name


@dataclass(frozen=True)
class ShapePlan:
    inputs: tuple[ResolvedInput, ...]
    batch: int
    batch_origin: str
    symbols: Mapping[str, int]  # symbolic dim name -> size, where one size was used for every occurrence

    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {r.name: r.shape for r in self.inputs}


def is_batch_dim(dims: Sequence[Dim], index: int, not_batch: Collection[str] = ()) -> bool:
    """A dim named like a batch, or else a dynamic first dim (unless its name is known not to be a batch)."""
    dim = dims[index]
    if isinstance(dim, int) or (isinstance(dim, str) and dim in not_batch):
        return False
    if isinstance(dim, str) and _BATCH_NAME.match(dim):
        return True
    named_batch = any(isinstance(d, str) and _BATCH_NAME.match(d) for d in dims)
    return index == 0 and not named_batch


def resolve_shapes(
    inputs: Sequence[InputDescription],
    *,
    batch: int | None,
    overrides: Sequence[ShapeOverride],
    dims: Mapping[str, int],
    file_shapes: Mapping[str, tuple[int, ...]],
    default_dims: Mapping[str, int],
    file_sources: Mapping[str, str] | None = None,
) -> ShapePlan:
    names = [i.name for i in inputs]
    by_name = _overrides_by_name(overrides, names)
    _check_dim_names(dims, inputs)
    batch_value = _batch_value(batch, dims, inputs)
    resolved = []
    for description in inputs:
        file = None
        if description.name in file_shapes:
            file = (file_sources or {}).get(description.name, "(its file)")
        override = _merge_override(description, by_name.get(description.name), file_shapes.get(description.name),
                                   file)
        source = "-shape" if file is None else f"-i {file}: its shape"
        shape = _resolve_one(description, override, dims, default_dims, batch_value, source)
        _check_batch_conflict(description, shape, batch, file)
        resolved.append(ResolvedInput(description, shape))
    plan_batch, origin = _batch_of(resolved, batch)
    return ShapePlan(tuple(resolved), plan_batch, origin, _symbol_sizes(resolved))


def _overrides_by_name(overrides: Sequence[ShapeOverride], names: list[str]) -> dict[str, tuple[int | None, ...]]:
    result: dict[str, tuple[int | None, ...]] = {}
    for override in overrides:
        if override.input is None:
            return dict.fromkeys(names, override.dims)
        if override.input not in names:
            raise UsageError(f"-shape names input {override.input!r}, which the model does not have; "
                             f"{_known(override.input, names)}")
        result[override.input] = override.dims
    return result


def _known(wrong: str, names: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(wrong, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{hint}inputs: {', '.join(names)}"


def _check_dim_names(dims: Mapping[str, int], inputs: Sequence[InputDescription]) -> None:
    symbols = sorted({d for i in inputs for d in (i.dims or ()) if isinstance(d, str)})
    for name in dims:
        if name not in symbols:
            known = f"symbolic dims in this model: {', '.join(symbols)}" if symbols else "this model has none"
            raise UsageError(f"--dim {name}: no input has a dim named {name!r}; {known}")


def _batch_value(batch: int | None, dims: Mapping[str, int], inputs: Sequence[InputDescription]) -> int:
    """The size of every batch dim: -b, else a --dim given for a batch dim by name, else 1."""
    named: int | None = None
    for description in inputs:
        for index, dim in enumerate(description.dims or ()):
            if isinstance(dim, str) and dim in dims and is_batch_dim(description.dims or (), index):
                if batch is not None and dims[dim] != batch:
                    raise UsageError(f"-b {batch} conflicts with --dim {dim}={dims[dim]}: keep one")
                named = dims[dim] if named is None else named
                if named == 0:
                    raise UsageError(f"--dim {dim}=0: {dim!r} is the batch dim, which needs 1 or more")
    if batch is not None:
        return batch
    return named if named is not None else 1


def _check_batch_conflict(description: InputDescription, shape: tuple[int, ...], batch: int | None,
                          file: str | None = None) -> None:
    """``file``: the -i file the shape came from, if it did."""
    dims = description.dims or ()
    given = f"of -i {file} for" if file is not None else "given for"
    for index in range(len(dims)):
        if batch is not None and is_batch_dim(dims, index) and shape[index] != batch:
            raise UsageError(f"-b {batch} conflicts with the shape {_fmt(shape)} {given} input "
                             f"{description.name!r}: keep one")


def _merge_override(description: InputDescription, shape: tuple[int | None, ...] | None,
                    file_shape: tuple[int, ...] | None, file: str | None) -> tuple[int | None, ...] | None:
    if file_shape is None:
        return shape
    if shape is not None and (len(shape) != len(file_shape) or
                              any(s is not None and s != f for s, f in zip(shape, file_shape, strict=True))):
        raise UsageError(f"-shape {_fmt(shape)} for input {description.name!r} disagrees with the shape "
                         f"{_fmt(file_shape)} of its -i file {file}")
    return file_shape


def _resolve_one(description: InputDescription, override: tuple[int | None, ...] | None,
                 dims: Mapping[str, int], default_dims: Mapping[str, int], batch: int,
                 source: str = "-shape") -> tuple[int, ...]:
    model_dims = description.dims
    if model_dims is None:
        if override is None or any(d is None for d in override):
            raise UsageError(f"input {description.name!r} has no declared shape: pass -shape "
                             f"{description.name}[...] with every dim")
        return tuple(int(d) for d in override if d is not None)
    if override is not None and len(override) != len(model_dims):
        raise UsageError(f"{source} {_fmt(override)} has rank {len(override)} but input {description.name!r} "
                         f"has rank {len(model_dims)} {_fmt(model_dims)}")
    shape: list[int] = []
    for index, dim in enumerate(model_dims):
        given = override[index] if override is not None else None
        is_batch = is_batch_dim(model_dims, index, not_batch=default_dims)
        value = _resolve_dim(dim, given, dims, default_dims, batch if is_batch else None)
        if value is None:
            raise UsageError(_unresolved_message(description, index, shape, model_dims))
        shape.append(value)
    return tuple(shape)


def _resolve_dim(dim: Dim, given: int | None, dims: Mapping[str, int], default_dims: Mapping[str, int],
                 batch: int | None) -> int | None:
    if given is not None:
        return given
    if isinstance(dim, int):
        return dim
    if isinstance(dim, str) and dim in dims:
        return dims[dim]
    if batch is not None:
        return batch
    if isinstance(dim, str) and dim in default_dims:
        return default_dims[dim]
    return None


def _unresolved_message(description: InputDescription, index: int, done: list[int],
                        model_dims: tuple[Dim, ...]) -> str:
    dim = model_dims[index]
    example = [str(d) for d in done] + ["N"] + [str(d) if isinstance(d, int) else "N" for d in model_dims[index + 1:]]
    shape_flag = f"-shape {description.name}[{','.join(example)}]"
    if isinstance(dim, str):
        return (f"input {description.name!r} dim {index} ({dim!r}) is dynamic: pass --dim {dim}=N "
                f"(or {shape_flag})")
    return f"input {description.name!r} dim {index} is dynamic and unnamed: pass {shape_flag}"


def _batch_of(resolved: Sequence[ResolvedInput], batch: int | None) -> tuple[int, str]:
    if batch is not None:
        return batch, "-b"
    for item in resolved:
        dims = item.description.dims or ()
        for index in range(len(dims)):
            if is_batch_dim(dims, index):
                return item.shape[index], f"input {item.name!r} dim {index}"
    for item in resolved:
        if len(item.shape) >= 2:
            return item.shape[0], f"input {item.name!r} dim 0 (static)"
    return 1, "no batch dim"


def _symbol_sizes(resolved: Sequence[ResolvedInput]) -> dict[str, int]:
    sizes: dict[str, set[int]] = {}
    for item in resolved:
        for dim, size in zip(item.description.dims or (), item.shape, strict=False):
            if isinstance(dim, str):
                sizes.setdefault(dim, set()).add(size)
    return {name: next(iter(values)) for name, values in sizes.items() if len(values) == 1}


def _fmt(dims: Sequence[Dim | None]) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def check_batch_applies(batch: int | None, plan: ShapePlan) -> None:
    """-b given for a model without a dynamic batch dim must match the model's static batch."""
    if batch is None:
        return
    has_dynamic_batch = any(
        is_batch_dim(r.description.dims or (), i) for r in plan.inputs for i in range(len(r.description.dims or ()))
    )
    if has_dynamic_batch:
        return
    for item in plan.inputs:
        if len(item.shape) >= 2 and item.shape[0] != batch:
            raise UsageError(f"-b {batch}: input {item.name!r} has a static batch of {item.shape[0]}; "
                             f"reshape it with -shape {item.name}[{batch},...] (openvino) or drop -b")
