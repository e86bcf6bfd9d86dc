"""Output agreement: exact numbers on small arrays (analysis/agreement.py)."""

from __future__ import annotations

import numpy as np
import pytest

from infermeter.analysis.agreement import (
    EngineAgreement,
    compare_arrays,
    compare_outputs,
    default_tolerance,
    lowest_precision,
    summary_line,
)


def test_errors_cosine_and_tolerance() -> None:
    reference = np.array([[1.0, 2.0, 0.0, -4.0]], np.float32)
    candidate = np.array([[1.1, 2.0, 0.05, -4.0]], np.float32)
    found = compare_arrays("y", reference, candidate, atol=0.1, rtol=0.0)
    assert found.max_abs_error == pytest.approx(0.1, rel=1e-6)
    assert found.max_rel_error == pytest.approx(0.1, rel=1e-6)  # the zero reference element is left out
    cosine = float(np.dot(candidate.ravel(), reference.ravel()) /
                   (np.linalg.norm(candidate.astype(np.float64)) * np.linalg.norm(reference.astype(np.float64))))
    assert found.cosine == pytest.approx(cosine, rel=1e-7)
    assert found.tolerance_used == pytest.approx(1.0, rel=1e-5)
    assert found.top1 == 1.0 and found.top5 is None  # 4 classes: no top-5
    strict = compare_arrays("y", reference, candidate, atol=0.01, rtol=0.0)
    assert not strict.within_tolerance and strict.tolerance_used == pytest.approx(10.0, rel=1e-5)


def test_top_k_agreement_per_row() -> None:
    reference = np.array([[0, 1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1, 0]], np.float32)
    candidate = reference.copy()
    candidate[1, 6] = 10.0  # row 1: its best class changes, and so does its top-5 set
    found = compare_arrays("scores", reference, candidate, 1e-4, 1e-3)
    assert found.top1 == 0.5
    assert found.top5 == 0.5
    swapped = reference.copy()
    swapped[0, [5, 6]] = swapped[0, [6, 5]]  # row 0: the best two swap, the top-5 set stays
    assert compare_arrays("scores", reference, swapped, 1e-4, 1e-3).top1 == 0.5
    assert compare_arrays("scores", reference, swapped, 1e-4, 1e-3).top5 == 1.0


def test_zero_tolerance_and_identical_outputs() -> None:
    same = np.arange(6, dtype=np.float32).reshape(2, 3)
    found = compare_arrays("y", same, same.copy(), 0.0, 0.0)
    assert found.within_tolerance and found.tolerance_used == 0.0 and found.max_abs_error == 0.0
    off = same.copy()
    off[0, 0] += 1
    assert compare_arrays("y", same, off, 0.0, 0.0).tolerance_used == float("inf")


def test_nan_size_and_count_mismatches_disagree() -> None:
    reference = np.array([1.0, np.nan], np.float32)
    assert compare_arrays("y", reference, reference.copy(), 1e-4, 1e-3).within_tolerance
    differs = compare_arrays("y", reference, np.array([1.0, 2.0], np.float32), 1e-4, 1e-3)
    assert not differs.within_tolerance and differs.problem == "non-finite values (NaN/inf) differ"
    wrong = compare_arrays("y", np.zeros((2, 3)), np.zeros((3, 3)), 1e-4, 1e-3)
    assert wrong.problem == "shape [3, 3] vs the reference's [2, 3]" and not wrong.within_tolerance
    assert wrong.to_dict()["max_abs_error"] is None  # not finite: null in JSON
    missing = compare_outputs(["a", "b"], [np.zeros(2), np.zeros(2)], [np.zeros(2)], 1e-4, 1e-3)
    assert missing[1].problem == "the engine returned 1 output(s), the reference 2"


def test_tolerances_follow_the_lower_precision() -> None:
    assert lowest_precision(["f32", "bf16"]) == "bf16"
    assert lowest_precision(["f32", "model-defined"]) == "f32"
    assert lowest_precision(["FP16", "f32"]) == "f16"
    assert lowest_precision(["i8", "f16"]) == "i8"
    assert default_tolerance(["f32", "f32"]) == (1e-4, 1e-3)
    assert default_tolerance(["bf16 (autocast)", "f32"]) == (5e-2, 5e-2)
    assert default_tolerance(["f32", "i8"]) == (1e-1, 1e-1)


def test_summary_line() -> None:
    outputs = compare_outputs(["y"], [np.array([[1.0, 2.0]])], [np.array([[1.0, 2.00001]])], 1e-4, 1e-3)
    line = summary_line(EngineAgreement("openvino", "pytorch", "f32", 1e-4, 1e-3, outputs))
    assert line.startswith("openvino vs pytorch: agree within f32 tolerance (atol 0.0001, rtol 0.001): max abs err "
                           "1e-05, max rel err 5e-06, cosine 1.000000, top-1 100.0% (worst output: y, 0.0048 of the "
                           "tolerance)")
