"""What the report says about OpenVINO's precision: read back, compared with what was asked."""

from __future__ import annotations

import pytest

pytest.importorskip("openvino")

from infermeter.engines.openvino import _precision_note


@pytest.mark.parametrize(("requested", "actual", "note"), [
    (None, "bf16", "device default"),
    (None, "f32", "device default"),
    ("f32", "f32", "set by -infer_precision"),
    ("FP32", "f32", "set by -infer_precision"),
    ("bfloat16", "bf16", "set by -infer_precision"),
    ("bf16", "f32", "-infer_precision bf16 was asked; the device runs f32"),
])
def test_precision_note(requested: str | None, actual: str, note: str) -> None:
    assert _precision_note(requested, actual) == note
