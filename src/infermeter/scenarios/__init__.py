"""Scenarios: how a compiled model is loaded with requests, one type per scenario (see ``base``).

``get(name)`` returns the scenario a report names; ``check_run`` gives a run every finding that applies
to it, its scenario's own included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..analysis.checks import run_checks
from .base import Scenario, UnknownScenario, registry
from .latency import LatencyScenario
from .multistream import MultiStreamScenario
from .offline import OfflineScenario
from .server import ServerScenario
from .singlestream import SingleStreamScenario
from .throughput import ThroughputScenario

if TYPE_CHECKING:
    from ..analysis.checks import CheckContext
    from ..results.findings import Finding
    from ..results.run import RunResult

SCENARIOS = registry([LatencyScenario(), ThroughputScenario(), ServerScenario(), OfflineScenario(),
                      SingleStreamScenario(), MultiStreamScenario()])


def get(name: str) -> Scenario:
    """The scenario called ``name`` (as written in reports and ``BenchmarkConfig.scenario``)."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise UnknownScenario(name) from None


def api_of(name: str) -> str:
    """The benchmark_app API word (sync/async) of a scenario named in a report; "?" for a name this version
    does not know."""
    scenario = SCENARIOS.get(name)
    return scenario.api if scenario is not None else "?"


def check_run(run: RunResult | None, context: CheckContext) -> list[Finding]:
    """All findings for one run, its scenario's own checks included, in the order of ``checks.CODES``."""
    scenario = SCENARIOS.get(run.scenario) if run is not None else None
    return run_checks(run, context, scenario.checks if scenario is not None else ())


__all__ = ["SCENARIOS", "Scenario", "UnknownScenario", "api_of", "check_run", "get"]
