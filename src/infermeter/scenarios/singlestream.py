"""MLPerf's SingleStream: one request at a time (the latency scenario's loop), headline the p90 latency as
LoadGen reports it, with LoadGen's early-stopping check of that claim."""

from __future__ import annotations

from ..analysis.checks import latency_variance
from ..analysis.load_checks import early_stopping
from .latency import LatencyScenario


class SingleStreamScenario(LatencyScenario):
    name = "singlestream"
    headline = "p90"
    checks = (latency_variance, early_stopping(90.0))
    claim_percentile = 90.0
