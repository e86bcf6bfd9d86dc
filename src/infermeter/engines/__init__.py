"""Engine registry: names -> engine factories, imported lazily so a missing SDK costs nothing until used.

Third-party engines register under the ``infermeter.engines`` entry-point group: the entry point is a
callable taking the ``BenchmarkConfig`` and returning an object that satisfies ``engines.base.Engine``.
In-process code (a notebook, a benchmark script) can call ``register_engine(name, factory)`` instead.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from ..errors import EngineNotInstalled, UsageError
from .registry import BUILTIN, REGISTERED, available_engines, plugins, register_engine
from .sdk import FAKE_DETAIL, SDKS, use_lean_sdk_imports

if TYPE_CHECKING:
    from ..config.benchmark import BenchmarkConfig
    from .base import Engine


def is_installed(name: str) -> bool:
    sdk = SDKS.get(name)
    return sdk is None or importlib.util.find_spec(sdk.module) is not None


def choose_engine(requested: str | None, model_format: str, model_text: str = "the model") -> tuple[str, str]:
    """The engine to use and why, in words. A built-in engine that cannot read the format is refused here, in one
    line naming the engines that can (a plugin engine is left to say so itself)."""
    from ..model.formats import DESCRIPTION, READERS

    kind = "onnx" if model_format == "onnx (zoo)" else model_format
    readers = READERS.get(kind, ())
    if requested is not None:
        if requested in BUILTIN and readers and requested not in readers:
            raise UsageError(f"-e {requested} cannot read {model_text} ({DESCRIPTION.get(kind, kind)}); engines that "
                             f"can: {', '.join(r for r in readers if r != 'fake')}")
        return requested, "-e/--engine"
    if kind == "openvino-ir":
        return "openvino", "the model is OpenVINO IR"
    candidates = [name for name in readers if name != "fake"]
    installed = [name for name in candidates if is_installed(name)]
    if not installed:
        extras = " or ".join(f"'infermeter[{SDKS[name].extra}]'" for name in candidates)
        what = "inference engine" if kind == "onnx" else f"engine that reads {DESCRIPTION.get(kind, kind)} models"
        raise EngineNotInstalled(f"no {what} is installed: pip install {extras}")
    return installed[0], f"default; installed: {', '.join(installed)}; choose with -e"


def create_engine(name: str, config: BenchmarkConfig) -> Engine:
    if name == "fake":
        from .fake import FakeEngine

        fake = config.fake
        return FakeEngine(fake.latency, fake.first_call_ns, fake.fail_at, config.seed + fake.stream, fake.contention,
                          (fake.stall_at, fake.stall_ns) if fake.stall_at is not None else None)
    if name == "openvino":
        from .openvino import OpenVINOEngine

        return OpenVINOEngine(config.tuning)
    if name == "onnxruntime":
        from .onnxruntime import OnnxRuntimeEngine

        return OnnxRuntimeEngine()
    if name == "pytorch":
        from .pytorch import PyTorchEngine

        return PyTorchEngine()
    if name == "litert":
        from .litert import LiteRTEngine

        return LiteRTEngine()
    if name in REGISTERED:
        return REGISTERED[name](config)
    plugin = plugins().get(name)
    if plugin is None:
        raise UsageError(f"unknown engine {name!r}; available: {', '.join(available_engines())}")
    engine: Engine = plugin.load()(config)
    return engine


__all__ = ["BUILTIN", "FAKE_DETAIL", "available_engines", "choose_engine", "create_engine", "is_installed",
           "register_engine", "use_lean_sdk_imports"]
