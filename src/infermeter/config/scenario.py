"""The scenario vocabulary of the command line: which words name which scenario, and what a scenario's name
rules out in the other options. What each scenario does is in ``scenarios/`` (one type per scenario,
registered under these names; a test keeps the two lists equal).

``-api``/``-s``/``--scenario`` takes benchmark_app's and deepsparse's words (sync, async, elastic) and
MLPerf LoadGen's scenario names in any case (Server, Offline, SingleStream, MultiStream)."""

from __future__ import annotations

from ..errors import UsageError
from .values import parse_choice

SCENARIOS = ("latency", "throughput", "server", "offline", "singlestream", "multistream")
SCENARIO_ALIASES = {
    "sync": "latency",
    "latency": "latency",
    "async": "throughput",
    "throughput": "throughput",
    "elastic": "throughput",  # deepsparse: async with the engine's own scheduler
    "server": "server",  # MLPerf LoadGen: open loop, arrivals at --qps
    "offline": "offline",
    "singlestream": "singlestream",
    "single-stream": "singlestream",
    "multistream": "multistream",
    "multi-stream": "multistream",
}
ONE_AT_A_TIME = ("latency", "singlestream")  # scenarios that never have more than one request in flight
OPEN_LOOP = ("server",)  # requests arrive on a schedule (--qps, --arrival, --arrivals, --max-in-flight)
PER_QUERY = ("multistream",)  # queries of --samples-per-query requests
# how finely each scenario can take turns with others in one measurement (config.comparison); a scenario not
# listed is compared in rounds only
INTERLEAVING = {"latency": "request", "singlestream": "request", "throughput": "burst"}
HINTS = ("latency", "throughput", "cumulative_throughput", "none")
HINT_ALIASES = {"tput": "throughput", "ctput": "cumulative_throughput"}
SCENARIO_WORDS = "sync, async, elastic, server, offline, singlestream, multistream"


def parse_scenario(api: str | None, hint: str | None, open_loop: bool = False) -> tuple[str, str | None]:
    """The scenario named by -api/-s/--scenario (or implied by -hint, or by ``open_loop``: --qps or --arrivals
    given without a scenario) and the -hint itself."""
    hint_name = None
    if hint is not None:
        hint_name = parse_choice("-hint", HINT_ALIASES.get(hint.lower(), hint.lower()), HINTS)
    if api is None:
        scenario = "server" if open_loop else "latency" if hint_name == "latency" else "throughput"
    else:
        scenario = SCENARIO_ALIASES.get(api.strip().lower(), "")
        if not scenario:
            raise UsageError(f"-api {api!r} is not one of: {SCENARIO_WORDS} (-s/--scenario alike)")
    return scenario, hint_name


def check_requests(scenario: str, requests: int | None) -> None:
    if requests is not None and scenario in ONE_AT_A_TIME and requests != 1:
        raise UsageError(f"-nireq {requests} needs -api async (sync runs one request at a time)")


def check_load_options(scenario: str, given: dict[str, bool]) -> None:
    """Load options only where they mean something: ``given`` maps each flag to whether it was given."""
    open_loop = [flag for flag in ("--qps", "--arrival", "--arrivals", "--max-in-flight", "--loadgen")
                 if given.get(flag)]
    if open_loop and scenario not in OPEN_LOOP:
        raise UsageError(f"{', '.join(open_loop)} apply to --scenario server (open loop), not to {scenario}")
    if scenario in OPEN_LOOP and not (given.get("--qps") or given.get("--arrivals")):
        raise UsageError("--scenario server needs the offered load: --qps RATE (or --arrivals FILE)")
    if given.get("--samples-per-query") and scenario not in PER_QUERY:
        raise UsageError(f"--samples-per-query applies to --scenario multistream, not to {scenario}")
