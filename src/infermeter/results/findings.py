"""Findings and the verdict: what the checks (``analysis.checks``) saw in a run, as stored in a report.

Verdict: INSUFFICIENT when a finding says the data cannot support the headline numbers; else UNSTABLE when a
finding says the numbers moved while measuring; else VALID. Findings with the effect ``info`` are notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .codec import from_dict, to_data

VALID, UNSTABLE, INSUFFICIENT = "VALID", "UNSTABLE", "INSUFFICIENT"
INFO = "info"


@dataclass(frozen=True)
class Finding:
    code: str
    effect: str  # UNSTABLE | INSUFFICIENT | info
    saw: str
    remedy: str
    values: Mapping[str, int | float | None] = field(default_factory=dict)  # ints stay ints: int comes first

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = to_data(self)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return from_dict(cls, dict(data), "finding")


def verdict(findings: Iterable[Finding]) -> str:
    effects = {finding.effect for finding in findings}
    if INSUFFICIENT in effects:
        return INSUFFICIENT
    if UNSTABLE in effects:
        return UNSTABLE
    return VALID
