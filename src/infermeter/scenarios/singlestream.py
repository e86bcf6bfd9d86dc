"""MLPerf's SingleStream: one request at a time (the latency scenario's loop), headline the p90 latency as
LoadGen reports it, with LoadGen's early-stopping check of that claim."""

from __future__ import annotations

from typing import ClassVar

from ..analysis.checks import latency_variance
from ..analysis.load_checks import early_stopping
from .base import Check
from .latency import LatencyScenario


class SingleStreamScenario(LatencyScenario):
    name = "singlestream"
    headline = "p90"
    checks: ClassVar[tuple[Check, ...]] = (latency_variance, early_stopping(90.0))
    claim_percentile = 90.0
