"""Same inputs for every engine, and whether their outputs agree (``verify`` and the A/B agreement line).

``share_inputs`` gives every prepared configuration the first one's input arrays (matched by position, since
engines may name the inputs of one file differently), converted once, before anything is timed, when an engine
wants another element type or layout. ``agreement`` runs one more call on each engine outside any timed window
and compares every output with the first configuration's.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from itertools import permutations

import numpy as np

from ..analysis.agreement import EngineAgreement, compare_outputs, default_tolerance, lowest_precision
from ..errors import EngineError, InfermeterError, one_line
from ..inputs.synthetic import PreparedInput
from ..measure.run import Prepared

_LAYOUTS: dict[tuple[int, ...], str] = {(0, 2, 3, 1): "NCHW → NHWC", (0, 3, 1, 2): "NHWC → NCHW"}


def share_inputs(prepared: Sequence[Prepared], labels: Sequence[str]) -> list[str]:
    """Make every configuration's inputs the first one's bytes; returns what was done, in words."""
    if len(prepared) < 2:
        return []
    reference = list(prepared[0].ready.inputs.values())
    if any(p.ready.feed is not None for p in prepared):
        return ["inputs: several input sets (-i files or -data_shape): each configuration prepared its own from "
                "the same files and seed"]
    notes: list[str] = []
    for label, other in zip(labels[1:], prepared[1:], strict=True):
        mine = list(other.ready.inputs.values())
        if len(mine) != len(reference):
            notes.append(f"inputs: {label} has {len(mine)} input(s), {labels[0]} {len(reference)}: not shared")
            continue
        shared: dict[str, PreparedInput] = {}
        for ref, own in zip(reference, mine, strict=True):
            array, how = _converted(ref.array, own.array)
            if array is None:
                notes.append(f"inputs: {label}'s {own.name} {list(own.array.shape)} cannot take {labels[0]}'s "
                             f"{list(ref.array.shape)}: not shared")
                shared[own.name] = own
                continue
            if how:
                notes.append(f"inputs: {ref.name} for {label}: {how}, converted once before timing")
            shared[own.name] = PreparedInput(own.name, array, ref.fill)
        other.ready = dataclasses.replace(other.ready, inputs=shared)
        other.inputs = shared
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(i.array).tobytes() for i in reference)).hexdigest()[:12]
    notes.insert(0, f"inputs: the same bytes for all {len(prepared)} configurations (sha256 {digest}…)")
    return notes


def _converted(reference: np.ndarray, own: np.ndarray) -> tuple[np.ndarray | None, str]:
    how = []
    array = reference
    if array.shape != own.shape:
        axes = _permutation(array.shape, own.shape)
        if axes is None:
            return None, ""
        array = np.ascontiguousarray(array.transpose(axes))
        how.append(f"layout {_LAYOUTS.get(axes, f'transposed {axes}')}")
    if array.dtype != own.dtype:
        how.append(f"{array.dtype} → {own.dtype}")
        array = array.astype(own.dtype)
    return array, ", ".join(how)


def _permutation(source: tuple[int, ...], target: tuple[int, ...]) -> tuple[int, ...] | None:
    """The axes order that turns ``source`` into ``target`` (preferring the image layouts), or None."""
    if sorted(source) != sorted(target) or len(source) > 6:
        return None
    preferred = [axes for axes in _LAYOUTS if len(axes) == len(source)]
    for axes in [*preferred, *permutations(range(len(source)))]:
        if tuple(source[a] for a in axes) == tuple(target):
            return tuple(axes)
    return None


def outputs_of(prepared: Prepared) -> list[np.ndarray]:
    """One call on the prepared model's inputs (outside any timed window), its outputs in model order."""
    arrays = {name: item.array for name, item in prepared.ready.inputs.items()}
    session = prepared.compiled.create_session(arrays)
    reader = getattr(session, "outputs", None)
    if reader is None:
        raise EngineError(f"engine {prepared.info.name} returns no outputs (its sessions have no outputs())")
    try:
        return list(reader())
    except InfermeterError:
        raise
    except Exception as error:  # the engine failed on its inputs
        raise EngineError(f"engine {prepared.info.name} failed computing outputs: {one_line(error)[:200]}") from None


def agreement(prepared: Sequence[Prepared], labels: Sequence[str], atol: float | None = None,
              rtol: float | None = None) -> list[EngineAgreement]:
    """Every configuration after the first against the first."""
    reference = outputs_of(prepared[0])
    names = [name or f"output{i}" for i, name in enumerate(prepared[0].output_names)]
    found = []
    for label, other in zip(labels[1:], prepared[1:], strict=True):
        precisions = [prepared[0].compiled.runtime.precision, other.compiled.runtime.precision]
        default_atol, default_rtol = default_tolerance(precisions)
        chosen_atol = default_atol if atol is None else atol
        chosen_rtol = default_rtol if rtol is None else rtol
        outputs = compare_outputs(names, reference, outputs_of(other), chosen_atol, chosen_rtol)
        found.append(EngineAgreement(label, labels[0], lowest_precision(precisions), chosen_atol, chosen_rtol,
                                     outputs))
    return found


def precision_warning(prepared: Sequence[Prepared], labels: Sequence[str]) -> str | None:
    precisions = [p.compiled.runtime.precision for p in prepared]
    if len(set(precisions)) <= 1:
        return None
    listed = ", ".join(f"{label} {precision}" for label, precision in zip(labels, precisions, strict=True))
    return f"precision differs between configurations ({listed}): their speed and their outputs are not like for like"
