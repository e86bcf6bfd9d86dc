"""Engine names: the built-in ones, those registered in this process and the entry-point plugins. A leaf the
configuration can ask (is ``-e NAME`` an engine?) without importing any engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..config.benchmark import BenchmarkConfig
    from .base import Engine

BUILTIN = ("openvino", "onnxruntime", "pytorch", "litert", "fake")
REGISTERED: dict[str, Callable[[BenchmarkConfig], Engine]] = {}


def register_engine(name: str, factory: Callable[[BenchmarkConfig], Engine]) -> None:
    """Make ``factory(config) -> Engine`` available as ``-e name`` in this process."""
    if not name or name in BUILTIN:
        raise ValueError(f"cannot register an engine named {name!r}")
    REGISTERED[name] = factory


def plugins() -> dict[str, Any]:
    from importlib.metadata import entry_points  # ~20 ms: only when a non-built-in engine is asked for

    return {ep.name: ep for ep in entry_points(group="infermeter.engines")}


def available_engines() -> list[str]:
    return [*BUILTIN, *sorted((set(plugins()) | set(REGISTERED)) - set(BUILTIN))]
