"""From options to what the requests are fed: shape plans (one per -data_shape group), the model shape to
compile for, and the input sets cycled by the runner (several files, several shapes, or full mode).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..config.benchmark import BenchmarkConfig
from ..config.values import ShapeOverride
from ..errors import InputError, UsageError
from ..model.files import ModelRef
from .feed import InputFeed
from .shapes import ShapePlan, check_batch_applies, is_batch_dim, resolve_shapes
from .synthetic import PreparedInput, synthesize

if TYPE_CHECKING:
    from ..engines.base import ModelHandle
    from . import files as input_files


@dataclass(frozen=True)
class InputsReady:
    plan: ShapePlan  # the first (or only) group's shapes: what the report's model section describes
    inputs: dict[str, PreparedInput]  # the first input set
    model_shapes: dict[str, tuple[int | None, ...]]  # what to reshape the model to (None = dynamic dim)
    feed: InputFeed | None  # None: one input set, bound once
    notes: tuple[str, ...] = ()
    group_plans: tuple[ShapePlan, ...] = ()


def prepare_inputs(config: BenchmarkConfig, handle: ModelHandle, model: ModelRef) -> InputsReady:
    overrides = _with_positional(config.shapes, config.positional_shapes, [i.name for i in handle.inputs])
    overrides = _static_batch(config, handle, overrides)
    if config.data_shapes:
        return _shape_groups(config, handle, model, overrides)
    if config.input_files:
        from . import files as input_files  # with its image reader: only for runs that read files

        loaded = input_files.load_input_files(config.input_files, handle.inputs)
        overrides = overrides + _image_sizes(loaded, handle, overrides, dict(config.tuning.layouts))
        plan = _resolve(config, handle, model, overrides, input_files.file_shapes(loaded),
                        input_files.file_sources(loaded))
        samples, notes = input_files.finish_input_samples(loaded, plan.inputs, _layouts(config, plan),
                                                          config.channel_order)
    else:
        plan = _resolve(config, handle, model, overrides)
        samples, notes = {}, []
    for item in plan.inputs:
        if item.name not in samples:
            samples[item.name] = [synthesize(item, config.seed)]
    count = max(len(s) for s in samples.values()) if samples else 1
    sets = [{name: s[k % len(s)].array for name, s in samples.items()} for k in range(count)]
    first = {name: s[0] for name, s in samples.items()}
    if samples and count > 1 and len({len(s) for s in samples.values()}) > 1:
        notes.append(f"inputs have different numbers of samples; {count} sets are cycled, shorter lists repeat")
    feed = None
    if count > 1 or config.full_mode:
        feed = InputFeed(sets, [0] * count, ["all"], copy_in=config.full_mode)
    return InputsReady(plan, first, dict(plan.shapes()), feed, tuple(notes))


def _resolve(config: BenchmarkConfig, handle: ModelHandle, model: ModelRef, overrides: Sequence[ShapeOverride],
             file_shapes: dict[str, tuple[int, ...]] | None = None,
             sources: dict[str, str] | None = None) -> ShapePlan:
    plan = resolve_shapes(
        handle.inputs, batch=config.batch, overrides=overrides, dims=config.dims,
        file_shapes=file_shapes or {}, default_dims=model.zoo.default_dims if model.zoo is not None else {},
        file_sources=sources or {},
    )
    check_batch_applies(config.batch, plan)
    return plan


def _with_positional(shapes: Sequence[ShapeOverride], positional: Sequence[tuple[int, ...]],
                     names: list[str]) -> list[ShapeOverride]:
    """deepsparse -shapes: the k-th shape is the k-th input's."""
    if not positional:
        return list(shapes)
    if len(positional) > len(names):
        raise UsageError(f"-shapes gives {len(positional)} shapes, but the model has {len(names)} inputs "
                         f"({', '.join(names)})")
    if shapes:
        raise UsageError("-shapes and -shape both set input shapes: keep one")
    if len(positional) == 1 and len(names) > 1:
        raise UsageError(f"-shapes gives one shape for {len(names)} inputs ({', '.join(names)}); give one per input")
    return [ShapeOverride(name, tuple(dims)) for name, dims in zip(names, positional, strict=False)]


def _static_batch(config: BenchmarkConfig, handle: ModelHandle,
                  overrides: list[ShapeOverride]) -> list[ShapeOverride]:
    """-b on a model whose batch dims are all static: set the N dim (from -layout, else dim 0) of every input of
    rank ≥ 2 that -shape does not name, as benchmark_app (reshape) and deepsparse (graph rewrite) do."""
    if config.batch is None or any(o.input is None for o in overrides):
        return overrides
    inputs = handle.inputs
    if any(is_batch_dim(d.dims or (), i) for d in inputs for i in range(len(d.dims or ()))):
        return overrides
    named = {o.input for o in overrides}
    layouts = {name: layout for name, layout in config.tuning.layouts}
    extra = []
    for description in inputs:
        dims = description.dims
        if description.name in named or dims is None or len(dims) < 2 or not all(isinstance(d, int) for d in dims):
            continue
        layout = layouts.get(description.name, layouts.get(None, ""))
        index = layout.index("N") if "N" in layout and len(layout) == len(dims) else 0
        static = [int(d) for d in dims if isinstance(d, int)]
        static[index] = config.batch
        extra.append(ShapeOverride(description.name, tuple(static)))
    return overrides + extra


def _image_sizes(loaded: dict[str, input_files.LoadedInput], handle: ModelHandle, overrides: list[ShapeOverride],
                 layouts: dict[str | None, str]) -> list[ShapeOverride]:
    """An image input whose H and W are dynamic takes them from its first image (the others are resized to
    it, with a note), unless -shape names the input."""
    named = {o.input for o in overrides}
    found = []
    for description in handle.inputs:
        entry = loaded.get(description.name)
        dims = description.dims
        if entry is None or entry.files[0].kind != "image" or description.name in named or None in named:
            continue
        if dims is None or len(dims) != 4 or all(isinstance(d, int) for d in dims):
            continue
        layout = layouts.get(description.name) or layouts.get(None) or _guess_image_layout(dims)
        if layout not in ("NCHW", "NHWC"):
            continue
        width, height = _image_size(entry.files[0].path)
        h_index, w_index = (2, 3) if layout == "NCHW" else (1, 2)
        wanted: list[int | None] = [d if isinstance(d, int) else None for d in dims]
        wanted[h_index] = wanted[h_index] or height
        wanted[w_index] = wanted[w_index] or width
        found.append(ShapeOverride(description.name, tuple(wanted)))
    return found


def _guess_image_layout(dims: Sequence[object]) -> str:
    if dims[1] in (1, 3, 4):
        return "NCHW"
    return "NHWC" if dims[3] in (1, 3, 4) else ""


def _image_size(path: Path) -> tuple[int, int]:
    from .images import require_pillow

    image_module = require_pillow(path)
    try:
        with image_module.open(path) as image:
            size: tuple[int, int] = image.size
            return size
    except (OSError, ValueError) as error:
        raise InputError(f"-i {path}: not a readable image ({error})") from None


def _layouts(config: BenchmarkConfig, plan: ShapePlan) -> dict[str, str]:
    """-layout per input name; an unnamed layout applies to every input of the same rank."""
    found: dict[str, str] = {}
    for name, layout in config.tuning.layouts:
        if name is not None:
            found[name] = layout
        else:
            found.update({item.name: layout for item in plan.inputs if len(item.shape) == len(layout)})
    return found


def _shape_groups(config: BenchmarkConfig, handle: ModelHandle, model: ModelRef,
                  overrides: Sequence[ShapeOverride]) -> InputsReady:
    """-data_shape: one plan and one synthetic input set per group; the model keeps dims that vary dynamic."""
    if config.input_files:
        file = config.input_files[0]
        given = f"{file.input}:{file.path}" if file.input is not None else str(file.path)
        raise UsageError(f"-data_shape with -i {given}: the files fix the data shapes; give one or the other")
    names = [i.name for i in handle.inputs]
    plans = []
    for group in config.data_shapes:
        for entry in group:
            if entry.input is not None and entry.input not in names:
                raise UsageError(f"-data_shape: the model has no input {entry.input!r}; inputs: {', '.join(names)}")
        chosen = _merge_group(overrides, group, names)
        plans.append(_resolve(config, handle, model, chosen))
    sets = [{item.name: synthesize(item, config.seed).array for item in plan.inputs} for plan in plans]
    labels, groups = _group_labels(plans)
    first = {item.name: synthesize(item, config.seed) for item in plans[0].inputs}
    full = config.full_mode
    notes = [] if full or len(plans) < 2 else [
        "-inference_only true with several data shapes: each shape keeps its own bound request "
        "(inputs are not set inside the timed loop)"]
    batches = [plans[groups.index(k)].batch for k in range(len(labels))]
    feed = InputFeed(sets, groups, labels, copy_in=full, group_batches=batches)
    return InputsReady(plans[0], first, _model_shapes(plans), feed, tuple(notes), tuple(plans))


def _merge_group(overrides: Sequence[ShapeOverride], group: Sequence[ShapeOverride],
                 names: list[str]) -> list[ShapeOverride]:
    if any(entry.input is None for entry in group):
        return [ShapeOverride(name, group[0].dims) for name in names]
    given = {entry.input for entry in group}
    kept = [o for o in overrides if o.input is not None and o.input not in given]
    if any(o.input is None for o in overrides):
        kept += [ShapeOverride(name, o.dims) for o in overrides if o.input is None for name in names
                 if name not in given]
    return kept + list(group)


def _group_labels(plans: Sequence[ShapePlan]) -> tuple[list[str], list[int]]:
    labels: list[str] = []
    groups = []
    for plan in plans:
        label = ",".join(f"{item.name}[{','.join(map(str, item.shape))}]" for item in plan.inputs)
        if label not in labels:
            labels.append(label)
        groups.append(labels.index(label))
    return labels, groups


def _model_shapes(plans: Sequence[ShapePlan]) -> dict[str, tuple[int | None, ...]]:
    """Per input: the shape if every group agrees, else a dim that differs becomes dynamic (None)."""
    merged: dict[str, tuple[int | None, ...]] = {}
    for item in plans[0].inputs:
        shapes = [dict(plan.shapes())[item.name] for plan in plans]
        if len({len(s) for s in shapes}) > 1:
            raise UsageError(f"-data_shape: input {item.name!r} changes rank between shapes ({shapes[0]}, …)")
        merged[item.name] = tuple(d if all(s[i] == d for s in shapes) else None for i, d in enumerate(shapes[0]))
    return merged


def input_bytes(inputs: dict[str, PreparedInput]) -> int:
    return sum(int(np.asarray(item.array).nbytes) for item in inputs.values())
