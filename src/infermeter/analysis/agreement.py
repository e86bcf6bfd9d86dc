"""Do two engines compute the same thing? Output-by-output comparison against a reference engine's outputs.

For each output pair (matched by position; the reference is the first engine):
  max abs error   max |a - r| over every element
  max rel error   max |a - r| / |r| over the elements where r != 0
  cosine          a·r / (|a| |r|) over the flattened outputs (1 = same direction)
  top-1 / top-5   for 2-D score outputs [N, C]: the share of the N rows whose best class (top-1), or whose set of
                  5 best classes (top-5, when C >= 5), is the same in both
  within tol      every element satisfies |a - r| <= atol + rtol * |r| (numpy.allclose's rule);
                  ``tolerance_used`` = max |a - r| / (atol + rtol * |r|): 1.0 is the limit
Default tolerances depend on the lower of the two precisions the engines computed in (``TOLERANCES``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

# precision -> (atol, rtol): f32 engines differ by reordered sums (~1e-6 relative per op, growing with depth);
# f16/bf16 keep 11/8 mantissa bits; int8 quantizes to 1/256 of the range.
TOLERANCES = {"f32": (1e-4, 1e-3), "f16": (1e-2, 1e-2), "bf16": (5e-2, 5e-2), "i8": (1e-1, 1e-1)}
_RANK = {"f64": 0, "f32": 1, "f16": 2, "bf16": 3, "i8": 4, "u8": 4}
_ALIASES = {"fp32": "f32", "float32": "f32", "fp16": "f16", "float16": "f16", "bfloat16": "bf16", "int8": "i8",
            "u8": "i8", "uint8": "i8"}


def canonical_precision(text: str) -> str:
    word = text.strip().split(" ")[0].lower()
    return _ALIASES.get(word, word)


def lowest_precision(precisions: Sequence[str]) -> str:
    """The least precise of the engines' precisions (unknown words count as f32)."""
    known = [precision if precision in _RANK else "f32" for precision in map(canonical_precision, precisions)]
    return max(known, key=lambda p: _RANK[p]) if known else "f32"


def default_tolerance(precisions: Sequence[str]) -> tuple[float, float]:
    return TOLERANCES.get(lowest_precision(precisions), TOLERANCES["f32"])


@dataclass(frozen=True)
class OutputAgreement:
    output: str
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    cosine: float
    top1: float | None
    top5: float | None
    tolerance_used: float
    within_tolerance: bool
    problem: str = ""  # why the outputs could not be compared (shape or count mismatch)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: an infinite or undefined number (outputs that could not be compared) is null."""
        data = {key: (None if isinstance(value, float) and not np.isfinite(value) else value)
                for key, value in asdict(self).items()}
        data["shape"] = list(self.shape)
        return data


@dataclass(frozen=True)
class EngineAgreement:
    """One engine's outputs against the reference engine's."""

    label: str
    reference: str
    precision: str
    atol: float
    rtol: float
    outputs: tuple[OutputAgreement, ...]

    @property
    def agrees(self) -> bool:
        return bool(self.outputs) and all(o.within_tolerance for o in self.outputs)

    def worst(self) -> OutputAgreement | None:
        return max(self.outputs, key=lambda o: (not o.within_tolerance, o.tolerance_used), default=None)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "reference": self.reference, "precision": self.precision, "atol": self.atol,
                "rtol": self.rtol, "agrees": self.agrees, "outputs": [o.to_dict() for o in self.outputs]}


def compare_outputs(names: Sequence[str], reference: Sequence[np.ndarray], candidate: Sequence[np.ndarray],
                    atol: float, rtol: float) -> tuple[OutputAgreement, ...]:
    found = []
    for index, ref in enumerate(reference):
        name = names[index] if index < len(names) else f"output{index}"
        if index >= len(candidate):
            found.append(_problem(name, ref, f"the engine returned {len(candidate)} output(s), the reference "
                                              f"{len(reference)}"))
            continue
        found.append(compare_arrays(name, ref, candidate[index], atol, rtol))
    return tuple(found)


def compare_arrays(name: str, reference: np.ndarray, candidate: np.ndarray, atol: float,
                   rtol: float) -> OutputAgreement:
    ref = np.asarray(reference)
    got = np.asarray(candidate)
    if ref.size != got.size:
        return _problem(name, ref, f"shape {list(got.shape)} vs the reference's {list(ref.shape)}")
    r = ref.astype(np.float64).reshape(-1)
    a = got.astype(np.float64).reshape(-1)
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(a))):
        same = bool(np.array_equal(r, a, equal_nan=True))
        return OutputAgreement(name, tuple(ref.shape), 0.0 if same else float("inf"), 0.0 if same else float("inf"),
                               1.0 if same else float("nan"), None, None, 0.0 if same else float("inf"), same,
                               "" if same else "non-finite values (NaN/inf) differ")
    diff = np.abs(a - r)
    nonzero = r != 0
    rel = float(np.max(diff[nonzero] / np.abs(r[nonzero]))) if np.any(nonzero) else 0.0
    allowed = atol + rtol * np.abs(r)
    ratio = np.divide(diff, allowed, out=np.where(diff > 0, np.inf, 0.0), where=allowed > 0)
    used = float(np.max(ratio)) if diff.size else 0.0
    top1, top5 = _top_k(ref, got)
    return OutputAgreement(name, tuple(ref.shape), float(diff.max()) if diff.size else 0.0, rel, _cosine(a, r),
                           top1, top5, used, used <= 1.0)


def _cosine(a: np.ndarray, r: np.ndarray) -> float:
    norms = float(np.linalg.norm(a) * np.linalg.norm(r))
    if norms == 0.0:
        return 1.0 if not np.any(a) and not np.any(r) else 0.0
    return float(np.dot(a, r) / norms)


def _top_k(reference: np.ndarray, candidate: np.ndarray) -> tuple[float | None, float | None]:
    """For 2-D score outputs [N, C] with C >= 2 (top-5 needs C >= 5)."""
    if reference.ndim != 2 or reference.shape != candidate.shape or reference.shape[1] < 2:
        return None, None
    if not np.issubdtype(reference.dtype, np.floating):
        return None, None
    top1 = float(np.mean(np.argmax(reference, axis=1) == np.argmax(candidate, axis=1)))
    if reference.shape[1] < 5:
        return top1, None
    best_ref = np.sort(np.argsort(-reference, axis=1, kind="stable")[:, :5], axis=1)
    best_got = np.sort(np.argsort(-candidate, axis=1, kind="stable")[:, :5], axis=1)
    return top1, float(np.mean(np.all(best_ref == best_got, axis=1)))


def _problem(name: str, reference: np.ndarray, problem: str) -> OutputAgreement:
    return OutputAgreement(name, tuple(np.asarray(reference).shape), float("inf"), float("inf"), float("nan"), None,
                           None, float("inf"), False, problem)


def summary_line(agreement: EngineAgreement) -> str:
    """One line: 'pytorch vs openvino: agree within f32 tolerance (max abs err 1.2e-06, cosine 1.000000, ...)'."""
    worst = agreement.worst()
    head = f"{agreement.label} vs {agreement.reference}"
    if worst is None:
        return f"{head}: no outputs to compare"
    if worst.problem:
        return f"{head}: DISAGREE: {worst.output}: {worst.problem}"
    verdict = "agree" if agreement.agrees else "DISAGREE"
    topk = f", top-1 {worst.top1:.1%}" if worst.top1 is not None else ""
    return (f"{head}: {verdict} within {agreement.precision} tolerance (atol {agreement.atol:g}, rtol "
            f"{agreement.rtol:g}): max abs err {worst.max_abs_error:.3g}, max rel err {worst.max_rel_error:.3g}, "
            f"cosine {worst.cosine:.6f}{topk} (worst output: {worst.output}, {worst.tolerance_used:.2g} of the "
            f"tolerance)")


@dataclass(frozen=True)
class EngineRun:
    """One configuration of a verification, as it ran."""

    label: str
    engine: str
    version: str
    precision: str
    frontend: str = ""


@dataclass(frozen=True)
class Verification:
    """``infermeter verify``: the same inputs through every engine, each compared with the first."""

    model: str
    engines: tuple[EngineRun, ...]
    notes: tuple[str, ...]
    results: tuple[EngineAgreement, ...]
    tolerance_source: str  # "--atol/--rtol" or "default for the precision"

    @property
    def agrees(self) -> bool:
        return all(result.agrees for result in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "infermeter.verify", "schema_version": 1, "model": self.model, "agrees": self.agrees,
                "engines": [asdict(e) for e in self.engines], "notes": list(self.notes),
                "tolerance_source": self.tolerance_source, "results": [r.to_dict() for r in self.results]}
