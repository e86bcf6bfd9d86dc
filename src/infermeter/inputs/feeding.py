"""From options to what the requests are fed: shape plans (one per -data_shape group), the model shape to
compile for, and the input sets cycled by the runner (several files, several shapes, or full mode).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..config import BenchmarkConfig
from ..engines.base import ModelHandle
from ..errors import UsageError
from ..modelfile import ModelRef
from ..options import ShapeOverride
from ..scenarios.feed import InputFeed
from . import files as input_files
from .shapes import ShapePlan, check_batch_applies, resolve_shapes
from .synthetic import PreparedInput, synthesize


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
    if config.data_shapes:
        return _shape_groups(config, handle, model, overrides)
    loaded = input_files.load_input_files(config.input_files, handle.inputs)
    plan = _resolve(config, handle, model, overrides, input_files.file_shapes(loaded),
                    input_files.file_sources(loaded))
    samples, notes = input_files.finish_input_samples(loaded, plan.inputs, _layouts(config, plan),
                                                      config.channel_order)
    for item in plan.inputs:
        if item.name not in samples:
            samples[item.name] = [synthesize(item, config.seed)]
    count = max(len(s) for s in samples.values()) if samples else 1
    sets = [{name: s[k % len(s)].array for name, s in samples.items()} for k in range(count)]
    first = {name: s[0] for name, s in samples.items()}
    if len(samples) and count > 1 and len({len(s) for s in samples.values()}) > 1:
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
        raise UsageError("-data_shape with -i: the files fix the data shapes; give one or the other")
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
    feed = InputFeed(sets, groups, labels, copy_in=full)
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
