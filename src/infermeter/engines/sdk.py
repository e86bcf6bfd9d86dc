"""Facts about the engines that are known without importing any of them (a leaf module): which Python package
each built-in engine needs, the fake engine's one-line description, and the lean-import switch of the CLI."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sdk:
    module: str  # what the engine module imports
    distribution: str  # what pip installs (package metadata name)
    extra: str  # pip install 'infermeter[extra]'


SDKS = {
    "openvino": Sdk("openvino", "openvino", "openvino"),
    "onnxruntime": Sdk("onnxruntime", "onnxruntime", "onnxruntime"),
    "pytorch": Sdk("torch", "torch", "pytorch"),
    "litert": Sdk("ai_edge_litert", "ai-edge-litert", "litert"),
}
FAKE_DETAIL = "deterministic, virtual clock"  # the fake engine has one device, CPU, and infermeter's version
_LEAN_SDK_IMPORTS = [False]


def use_lean_sdk_imports() -> None:
    """For the command-line process only: engine SDKs are imported without parts infermeter never uses
    (OpenVINO's model-conversion API and the telemetry it starts: 0.3 s of start-up and exit). Not done for
    library use, where the caller's own code may want ``openvino.convert_model``."""
    _LEAN_SDK_IMPORTS[0] = True


def lean_sdk_imports() -> bool:
    return _LEAN_SDK_IMPORTS[0]
