"""The scenario vocabulary of the command line: which words name which scenario, and what a scenario's name
rules out in the other options. What each scenario does is in ``scenarios/`` (one type per scenario,
registered under these names; a test keeps the two lists equal)."""

from __future__ import annotations

from ..errors import UsageError
from .values import parse_choice

SCENARIOS = ("latency", "throughput")
SCENARIO_ALIASES = {
    "sync": "latency",
    "latency": "latency",
    "async": "throughput",
    "throughput": "throughput",
    "elastic": "throughput",  # deepsparse: async with the engine's own scheduler
}
ONE_AT_A_TIME = ("latency",)  # scenarios that never have more than one request in flight
# how finely each scenario can take turns with others in one measurement (config.comparison); a scenario not
# listed is compared in rounds only
INTERLEAVING = {"latency": "request", "throughput": "burst"}
HINTS = ("latency", "throughput", "cumulative_throughput", "none")
HINT_ALIASES = {"tput": "throughput", "ctput": "cumulative_throughput"}


def parse_scenario(api: str | None, hint: str | None) -> tuple[str, str | None]:
    """The scenario named by -api/-s (or implied by -hint) and the -hint itself."""
    hint_name = None
    if hint is not None:
        hint_name = parse_choice("-hint", HINT_ALIASES.get(hint.lower(), hint.lower()), HINTS)
    if api is None:
        scenario = "latency" if hint_name == "latency" else "throughput"
    else:
        scenario = SCENARIO_ALIASES.get(api.lower(), "")
        if not scenario:
            raise UsageError(f"-api {api!r} is not one of: sync, async (or latency, throughput)")
    return scenario, hint_name


def check_requests(scenario: str, requests: int | None) -> None:
    if requests is not None and scenario in ONE_AT_A_TIME and requests != 1:
        raise UsageError(f"-nireq {requests} needs -api async (sync runs one request at a time)")
