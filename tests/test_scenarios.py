"""Scenarios as objects: the stop rule every loop asks, the registry, and what each scenario declares."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infermeter import scenarios
from infermeter.config import scenario as config_scenario
from infermeter.config.benchmark import StopRule, Warmup
from infermeter.engines.base import RuntimeInfo
from infermeter.scenarios.base import TimedFacts
from infermeter.scenarios.stop import ENDED, NEVER, Stop, stop_for, warmup_stop

SRC = Path(scenarios.__file__).resolve().parents[1]


# --- Stop -------------------------------------------------------------------------------------------------


def test_stop_both_minimums_must_be_met() -> None:
    stop = Stop(requests=3, duration_ns=100)
    assert stop.begin(1_000) == 1_100
    assert stop.ask(0, 1_000) == 3  # three owed: ask again after them
    assert stop.ask(3, 1_050) == NEVER  # none owed, time left: ask when the clock passes the deadline
    assert stop.deadline == 1_100
    assert stop.ask(3, 1_100) == ENDED
    assert stop.ended(3, 1_100) and not stop.ended(2, 5_000) and not stop.ended(3, 1_099)


def test_stop_time_up_with_requests_owed_moves_the_deadline_away() -> None:
    stop = Stop(requests=10, duration_ns=5)
    stop.begin(0)
    assert stop.ask(4, 5) == 6  # the time minimum is met: the rest is counted, not clocked
    assert stop.deadline == NEVER
    assert stop.ask(10, 6) == ENDED


def test_stop_with_no_limits_starts_nothing() -> None:
    stop = Stop()
    stop.begin(7)
    assert stop.ask(0, 7) == ENDED


def test_stop_refuses_negative_limits() -> None:
    with pytest.raises(ValueError, match="negative"):
        Stop(requests=-1)


def test_stop_for_a_precision_rule_is_capped_by_the_max_time() -> None:
    rule = StopRule(min_iterations=5, min_duration_ns=1_000, rel_precision=0.01, max_duration_ns=9_000)

    class Never:
        next_at, step = 16, 16

        def __call__(self) -> bool:
            return False

    check = Never()
    stop = stop_for(rule, check)
    assert (stop.requests, stop.duration_ns, stop.checkpoint) == (0, 9_000, check)
    plain = stop_for(StopRule(min_iterations=5, min_duration_ns=1_000))
    assert (plain.requests, plain.duration_ns, plain.checkpoint) == (5, 1_000, None)
    warm = warmup_stop(Warmup(iterations=7))
    assert (warm.requests, warm.duration_ns) == (7, 0)


# --- the registry -----------------------------------------------------------------------------------------


def test_every_scenario_name_of_the_command_line_has_a_scenario_and_back() -> None:
    assert set(config_scenario.SCENARIOS) == set(scenarios.SCENARIOS)
    assert set(config_scenario.SCENARIO_ALIASES.values()) <= set(scenarios.SCENARIOS)
    assert set(config_scenario.ONE_AT_A_TIME) <= set(scenarios.SCENARIOS)


def test_scenarios_declare_headline_api_goal_and_checks() -> None:
    latency, throughput = scenarios.get("latency"), scenarios.get("throughput")
    assert (latency.api, latency.headline, latency.goal) == ("sync", "median", "latency")
    assert (throughput.api, throughput.headline, throughput.goal) == ("async", "throughput", "throughput")
    assert [check.__name__ for check in latency.checks] == ["latency_variance"]
    assert [check.__name__ for check in throughput.checks] == ["window_variance", "queueing"]
    with pytest.raises(scenarios.UnknownScenario):
        scenarios.get("server-of-the-future")
    assert scenarios.api_of("latency") == "sync" and scenarios.api_of("nope") == "?"


def test_requests_in_flight() -> None:
    runtime = RuntimeInfo(precision="f32", optimal_requests=2, default_requests=4)
    assert scenarios.get("latency").requests_in_flight(None, runtime) == 1
    assert scenarios.get("throughput").requests_in_flight(None, runtime) == 4
    assert scenarios.get("throughput").requests_in_flight(3, runtime) == 3
    assert scenarios.get("throughput").requests_in_flight(None, RuntimeInfo(precision="f32", optimal_requests=2)) == 2


def test_what_was_timed_sentences() -> None:
    facts = TimedFacts(requests=4, async_mode="openvino AsyncInferQueue", warmup="1 s", two_stamps=False)
    assert scenarios.get("throughput").timed(facts) == (
        "latency = submission to completion, including queueing inside the engine with 4 requests in flight; "
        "throughput = batch × completed requests / (last completion − first submission); inputs prepared and "
        "bound once before timing; outputs stay in engine memory; warm-up (1 s) and the first inference are "
        "excluded.")
    threads = TimedFacts(requests=2, async_mode="runner threads sharing one InferenceSession", warmup="none",
                         two_stamps=True, max_rate=50.0, outputs_copied=True)
    assert scenarios.get("throughput").timed(threads) == (
        "latency = one blocking run call in one of 2 runner threads that share the model (includes waiting for a "
        "free core), clock read just before and just after it; throughput = batch × completed requests / (last "
        "completion − first submission); inputs prepared and bound once before timing; each call copies the "
        "outputs into new numpy arrays (session.run, no IO binding); warm-up (none) and the first inference are "
        "excluded; starts capped at 50/s (-max_irate), the wait is not in the latency.")
    full = TimedFacts(requests=1, async_mode="", warmup="5 iterations", two_stamps=False, input_sets=3, copy_in=True)
    assert scenarios.get("latency").timed(full) == (
        "latency = one blocking infer call, one clock read after each call ends it and starts the next (the "
        "loop's bookkeeping between calls, a fraction of a µs, counts in the latency); one request at a time; "
        "throughput = batch × completed requests / (last completion − first submission); full mode "
        "(-inference_only false): each call first copies the next of 3 input samples into the request's input "
        "buffers, inside the timed call; samples prepared before timing; outputs stay in engine memory; warm-up "
        "(5 iterations) and the first inference are excluded.")


def test_no_module_outside_the_scenario_vocabulary_compares_scenario_names() -> None:
    allowed = {SRC / "config" / "scenario.py",
               SRC / "results" / "upgrade.py"}  # history: the headline of the two scenarios schema-2 files knew
    pattern = re.compile(r"scenario\w*\s*(==|!=|in)\s*[\"(]")
    found = [f"{path.relative_to(SRC)}:{number}" for path in SRC.rglob("*.py") if path not in allowed
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert found == []


def test_the_interleaving_vocabulary_matches_the_scenarios() -> None:
    """config.comparison chooses --interleave from config.scenario.INTERLEAVING; each scenario declares its own."""
    assert {name: scenario.interleaving for name, scenario in scenarios.SCENARIOS.items()
            if scenario.interleaving is not None} == config_scenario.INTERLEAVING
