"""Configurations from comma lists: ``-e openvino,onnxruntime -nireq 1,2`` gives one config per combination,
each labelled by what varies. Light on imports, since every ``run`` starts here."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from ..errors import UsageError
from .benchmark import BenchmarkConfig, build_config

LISTABLE_OPTIONS = ("engine", "device", "api", "nireq", "hint", "batch", "infer_precision", "nthreads")


def expand_configurations(model: str, options: dict[str, Any]) -> tuple[list[BenchmarkConfig], list[str]]:
    """One config per combination of the comma-separated values of LISTABLE_OPTIONS, labelled by what varies."""
    choices = [[(key, value) for value in list_values(key, options.get(key))] for key in LISTABLE_OPTIONS]
    varied = [key for key, values in zip(LISTABLE_OPTIONS, choices, strict=True) if len(values) > 1]
    configs, described = [], []
    for combination in itertools.product(*choices):
        chosen = dict(combination)
        configs.append(build_config(model, **{**options, **chosen}))
        described.append([(key, str(chosen[key])) for key in varied])
    return configs, configuration_labels(described, single=model)


def list_values(key: str, value: Any) -> list[Any]:
    """``openvino,onnxruntime`` -> two values; a device string with ``:`` (MULTI:CPU,GPU) stays one."""
    if not isinstance(value, str) or "," not in value or (key in ("device", "infer_precision") and ":" in value):
        return [value]
    values = [part.strip() for part in value.split(",")]
    if not all(values):
        raise UsageError(f"--{key.replace('_', '-')} {value!r}: empty item in the list")
    return values


def configuration_labels(varied: Sequence[Sequence[tuple[str, str]]], single: str = "A") -> list[str]:
    """``engine=openvino nireq=4``-style labels from what varies; identical configurations get A, B, …;
    a lone configuration with nothing varied is called ``single``."""
    labels = [" ".join(f"{name}={value}" for name, value in items) for items in varied]
    if len(labels) == 1 and not labels[0]:
        return [single]
    if len(set(labels)) < len(labels) or not all(labels):
        letters = [chr(ord("A") + i) if i < 26 else f"#{i + 1}" for i in range(len(varied))]
        labels = [f"{letter} {label}".strip() for letter, label in zip(letters, labels, strict=True)]
    return labels
