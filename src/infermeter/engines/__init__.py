"""Engine registry: names -> engine factories, imported lazily so a missing SDK costs nothing until used.

Third-party engines register under the ``infermeter.engines`` entry-point group: the entry point is a
callable taking the ``BenchmarkConfig`` and returning an object that satisfies ``engines.base.Engine``.
In-process code (a notebook, a benchmark script) can call ``register_engine(name, factory)`` instead.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import EngineNotInstalled, UsageError
from .sdk import FAKE_DETAIL, SDKS, use_lean_sdk_imports

if TYPE_CHECKING:
    from ..config.benchmark import BenchmarkConfig
    from .base import Engine

BUILTIN = ("openvino", "onnxruntime", "fake")
_REGISTERED: dict[str, Callable[[BenchmarkConfig], Engine]] = {}


def register_engine(name: str, factory: Callable[[BenchmarkConfig], Engine]) -> None:
    """Make ``factory(config) -> Engine`` available as ``-e name`` in this process."""
    if not name or name in BUILTIN:
        raise ValueError(f"cannot register an engine named {name!r}")
    _REGISTERED[name] = factory


def is_installed(name: str) -> bool:
    sdk = SDKS.get(name)
    return sdk is None or importlib.util.find_spec(sdk.module) is not None


def choose_engine(requested: str | None, model_format: str) -> tuple[str, str]:
    """The engine to use and why, in words."""
    if requested is not None:
        return requested, "-e/--engine"
    if model_format == "openvino-ir":
        return "openvino", "the model is OpenVINO IR"
    installed = [name for name in ("openvino", "onnxruntime") if is_installed(name)]
    if not installed:
        raise EngineNotInstalled(
            "no inference engine is installed: pip install 'infermeter[openvino]' or 'infermeter[onnxruntime]'"
        )
    return installed[0], f"default; installed: {', '.join(installed)}; choose with -e"


def create_engine(name: str, config: BenchmarkConfig) -> Engine:
    if name == "fake":
        from .fake import FakeEngine

        fake = config.fake
        return FakeEngine(fake.latency, fake.first_call_ns, fake.fail_at, config.seed + fake.stream, fake.contention)
    if name == "openvino":
        from .openvino import OpenVINOEngine

        return OpenVINOEngine(config.tuning)
    if name == "onnxruntime":
        from .onnxruntime import OnnxRuntimeEngine

        return OnnxRuntimeEngine()
    if name in _REGISTERED:
        return _REGISTERED[name](config)
    plugin = _plugins().get(name)
    if plugin is None:
        raise UsageError(f"unknown engine {name!r}; available: {', '.join(available_engines())}")
    engine: Engine = plugin.load()(config)
    return engine


def _plugins() -> dict[str, Any]:
    from importlib.metadata import entry_points  # ~20 ms: only when a non-built-in engine is asked for

    return {ep.name: ep for ep in entry_points(group="infermeter.engines")}


def available_engines() -> list[str]:
    return [*BUILTIN, *sorted((set(_plugins()) | set(_REGISTERED)) - set(BUILTIN))]


__all__ = ["BUILTIN", "FAKE_DETAIL", "available_engines", "choose_engine", "create_engine", "is_installed",
           "register_engine", "use_lean_sdk_imports"]
