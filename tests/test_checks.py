"""Known-answer tests for infermeter.checks: every finding at its threshold and just short of it, the verdict,
and findings derived when loading a schema-version-1 report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infermeter.analysis.checks import (
    CODES,
    INFO,
    INSUFFICIENT,
    OUTLIER_Z,
    UNSTABLE,
    VALID,
    CheckContext,
    Finding,
    median_without,
    modified_z_scores,
    outlier_cutoffs,
    verdict,
)
from infermeter.results.facts import CpuUsage
from infermeter.results.report import SCHEMA_ID, Report, RunResult
from infermeter.runs.files import report_from_data
from infermeter.scenarios import check_run

LEGACY = Path(__file__).parent / "data" / "legacy"

MS = 1_000_000
CLEAN = CheckContext()


# --- building runs -----------------------------------------------------------------------------------------


def back_to_back(latencies_ns: Sequence[int], *, scenario: str = "latency", requests: int = 1, batch: int = 1,
                 partial: bool = False, stop_reason: str = "stop rule met", offset: int = 10**12) -> RunResult:
    """One request at a time: each submitted when the previous one completed (clock values start at offset)."""
    latencies = np.asarray(latencies_ns, dtype=np.int64)
    start = offset + np.concatenate(([0], np.cumsum(latencies)[:-1])).astype(np.int64)
    return RunResult(scenario, requests, batch, start, start + latencies, stop_reason, partial)


def constant(count: int, latency_ns: int = MS, **kwargs: Any) -> RunResult:
    return back_to_back([latency_ns] * count, **kwargs)


def per_window(counts: Sequence[int], *, width_ns: int = MS, scenario: str = "throughput",
               requests: int = 4) -> RunResult:
    """Window k = [k·width, (k+1)·width) holds counts[k] requests that start and end inside it, so with
    K = len(counts) windows (K = min(20, total // 5) must hold) window k's rate is counts[k] · 1e9 / width."""
    starts: list[int] = []
    ends: list[int] = []
    for k, count in enumerate(counts):
        edges = [k * width_ns + round(i * width_ns / count) for i in range(count + 1)]
        starts += edges[:-1]
        ends += edges[1:]
    assert min(20, len(starts) // 5) == len(counts)
    return RunResult(scenario, requests, 1, np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64))


def codes(run: RunResult | None, context: CheckContext = CLEAN) -> list[str]:
    return [finding.code for finding in check_run(run, context)]


def only(run: RunResult | None, code: str, context: CheckContext = CLEAN) -> Finding | None:
    found = [finding for finding in check_run(run, context) if finding.code == code]
    assert len(found) <= 1
    return found[0] if found else None


# --- a clean run -------------------------------------------------------------------------------------------


def test_clean_latency_run_has_no_findings() -> None:
    run = constant(2000)  # 2000 × 1 ms back to back: a 2 s window
    assert run.window_ns == 2_000_000_000
    assert check_run(run, CLEAN) == []
    assert verdict(check_run(run, CLEAN)) == VALID


def test_clean_throughput_run_has_no_findings() -> None:
    # 4 in flight, 4 ms each, completing together: 2000 requests in 2 s; rates equal in every 100 ms window
    start = 10**12 + np.repeat(np.arange(500, dtype=np.int64) * 4 * MS, 4)
    run = RunResult("throughput", 4, 2, start, start + 4 * MS)
    assert run.window_rates.tolist() == [2000.0] * 20
    assert check_run(run, CheckContext(parallel_capacity=4)) == []


# --- PARTIAL -----------------------------------------------------------------------------------------------


def test_partial_run_is_insufficient() -> None:
    finding = only(constant(2000, partial=True, stop_reason="interrupted"), "PARTIAL")
    assert finding is not None
    assert finding.effect == INSUFFICIENT
    assert "interrupted" in finding.saw and "2000 requests" in finding.saw


def test_complete_run_is_not_partial() -> None:
    assert only(constant(2000, partial=False), "PARTIAL") is None


@pytest.mark.parametrize("run", [None, RunResult("latency", 1, 1, np.empty(0, np.int64), np.empty(0, np.int64))],
                         ids=["none", "empty"])
def test_no_completed_request_is_partial_and_insufficient(run: RunResult | None) -> None:
    findings = check_run(run, CLEAN)
    assert findings == [Finding("PARTIAL", INSUFFICIENT, "no request completed", "see the error above and run again")]
    assert verdict(findings) == INSUFFICIENT


# --- TOO_FEW_SAMPLES ---------------------------------------------------------------------------------------


def test_five_samples_have_no_median_ci_insufficient() -> None:
    finding = only(constant(5), "TOO_FEW_SAMPLES")
    assert finding is not None
    assert finding.effect == INSUFFICIENT
    assert finding.values == {"count": 5}
    assert "p50 shown, but its CI needs 6" in finding.saw


def test_six_samples_have_a_median_ci_info() -> None:
    finding = only(constant(6), "TOO_FEW_SAMPLES")
    assert finding is not None
    assert finding.effect == INFO
    assert "p50" not in finding.saw
    assert "p90 not shown: its CI needs 36" in finding.saw  # p90 itself needs 10 samples


def test_367_samples_miss_only_the_p99_ci_info() -> None:
    finding = only(constant(367), "TOO_FEW_SAMPLES")
    assert finding is not None
    assert finding.effect == INFO
    assert finding.saw == "367 requests measured; p99 shown, but its CI needs 368"
    assert finding.remedy.startswith("measure more requests: -niter 368")


def test_368_samples_are_enough() -> None:
    assert only(constant(368), "TOO_FEW_SAMPLES") is None


# --- SHORT_RUN ---------------------------------------------------------------------------------------------


def test_window_of_exactly_one_second_is_not_short() -> None:
    run = constant(2000, 500_000)
    assert run.window_ns == 1_000_000_000
    assert only(run, "SHORT_RUN") is None


def test_window_just_under_one_second_is_short() -> None:
    run = back_to_back([500_000] * 1999 + [499_999])
    assert run.window_ns == 999_999_999
    finding = only(run, "SHORT_RUN")
    assert finding is not None
    assert finding.effect == INSUFFICIENT
    assert finding.values == {"window_ns": 999_999_999}


# --- PRECISION_NOT_MET -------------------------------------------------------------------------------------


def test_precision_met_exactly_is_not_a_finding() -> None:
    context = CheckContext(precision_target=0.01, precision_achieved=0.01)
    assert only(constant(2000), "PRECISION_NOT_MET", context) is None


def test_precision_just_missed_is_insufficient() -> None:
    context = CheckContext(precision_target=0.01, precision_achieved=0.010001, precision_metric="p99")
    finding = only(constant(2000), "PRECISION_NOT_MET", context)
    assert finding is not None
    assert finding.effect == INSUFFICIENT
    assert finding.saw == "p99 reached ±1.00%, target ±1.00%"
    assert finding.values == {"target": 0.01, "achieved": 0.010001}


def test_precision_without_any_ci_is_insufficient() -> None:
    finding = only(constant(2000), "PRECISION_NOT_MET", CheckContext(precision_target=0.05))
    assert finding is not None
    assert finding.saw == "median reached no CI yet, target ±5.00%"
    assert finding.values == {"target": 0.05, "achieved": None}


def test_no_precision_target_is_not_a_finding() -> None:
    assert only(constant(2000), "PRECISION_NOT_MET", CheckContext(precision_achieved=0.5)) is None


# --- TIMER_RESOLUTION --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("clock_cost_ns", "effect"), [
    (9_999.0, None),  # 0.9999 % of the 1 ms median
    (10_000.0, INFO),  # exactly 1 %
    (99_999.0, INFO),
    (100_000.0, INSUFFICIENT),  # exactly 10 %
    (2 * MS, INSUFFICIENT),
])
def test_timer_resolution_thresholds(clock_cost_ns: float, effect: str | None) -> None:
    finding = only(constant(2000), "TIMER_RESOLUTION", CheckContext(clock_cost_ns=clock_cost_ns))
    if effect is None:
        assert finding is None
        return
    assert finding is not None
    assert finding.effect == effect
    assert finding.values == {"share": clock_cost_ns / MS}


def test_timer_resolution_skipped_for_a_zero_median() -> None:
    start = np.arange(2000, dtype=np.int64) * MS
    run = RunResult("latency", 1, 1, start, start.copy())
    assert only(run, "TIMER_RESOLUTION", CheckContext(clock_cost_ns=100.0)) is None


# --- HIGH_VARIANCE -----------------------------------------------------------------------------------------


def _spread_latencies(deviation: int) -> list[int]:
    """1 ms, then 1000 pairs of 1 ms ∓ deviation: mean 1 ms, sample std exactly ``deviation`` (n - 1 = 2000)."""
    return [MS] + [MS - deviation, MS + deviation] * 1000


def _spread_blocks(deviation: int) -> list[int]:
    """21 blocks of ~100 ms, each of one latency: 1 ms, then 10 pairs of 1 ms ∓ deviation. A block holds
    ceil(100 ms / latency) requests, so each closes exactly where the next latency starts: the block means
    are those latencies (mean 1 ms, sample std over 21 blocks exactly ``deviation``)."""
    latencies = []
    for latency in [MS] + [MS - deviation, MS + deviation] * 10:
        latencies += [latency] * -(-100 * MS // latency)
    return latencies


def test_latency_cv_of_exactly_ten_percent_of_block_means_is_high_variance() -> None:
    run = back_to_back(_spread_blocks(100_000))
    finding = only(run, "HIGH_VARIANCE")
    assert finding is not None
    assert finding.effect == UNSTABLE
    assert finding.values["cv"] == pytest.approx(0.1, rel=1e-12)
    assert finding.saw == "std / mean of the mean latency of 21 blocks of ≥ 100 ms is 10.0% (threshold 10%)"


def test_latency_cv_of_block_means_just_under_ten_percent_is_not_high_variance() -> None:
    assert only(back_to_back(_spread_blocks(99_999)), "HIGH_VARIANCE") is None


def test_spread_of_single_requests_is_not_high_variance_when_blocks_agree() -> None:
    # the old rule judged single requests: latencies spread by ±30 % (std / mean 0.3) made a steady small
    # model UNSTABLE; their 100-ms block means agree within about 3 %
    latencies = np.rint(MS * np.exp(0.3 * np.random.default_rng(0).standard_normal(5000))).astype(np.int64)
    run = back_to_back(latencies.tolist())
    assert run.latency.std is not None and run.latency.mean is not None
    assert run.latency.std / run.latency.mean > 0.29
    assert only(run, "HIGH_VARIANCE") is None


def test_a_slow_phase_shows_in_the_block_means() -> None:
    run = back_to_back([MS] * 1000 + [13 * MS // 10] * 1000)
    finding = only(run, "HIGH_VARIANCE")
    assert finding is not None and finding.values["cv"] > 0.1


def test_block_means_need_three_complete_blocks() -> None:
    run = back_to_back([MS] * 100 + [2 * MS] * 75)  # blocks of 1 ms and 2 ms, then 50 ms left over
    assert only(run, "HIGH_VARIANCE") is None


def _constant_latency_with_a_slow_half(scenario: str) -> RunResult:
    """2000 requests of 1 ms: the first 1000 back to back, the rest with 1 ms pauses between them."""
    start = np.concatenate((np.arange(1000) * MS, 1000 * MS + np.arange(1000) * 2 * MS)).astype(np.int64)
    return RunResult(scenario, 1, 1, start, start + MS)


def test_latency_scenario_ignores_window_rates() -> None:
    run = _constant_latency_with_a_slow_half("latency")
    assert run.latency.std == 0.0
    assert float(np.std(run.window_rates, ddof=1) / np.mean(run.window_rates)) > 0.1
    assert only(run, "HIGH_VARIANCE") is None


def test_throughput_scenario_uses_window_rates() -> None:
    finding = only(_constant_latency_with_a_slow_half("throughput"), "HIGH_VARIANCE")
    assert finding is not None
    assert "per-window throughput" in finding.saw


# window counts around 20 whose sample std over 20 windows is sqrt(sum of squared deviations / 19) · 1000
_CV_10 = [26, 14, 21, 19, 21, 19] + [20] * 14  # squared deviations 36+36+1+1+1+1 = 76: std 2, cv 0.1
_CV_UNDER_10 = [26, 14, 21, 19] + [20] * 16  # 74: std sqrt(74/19) = 1.97, cv 0.0987


def test_throughput_window_cv_of_exactly_ten_percent_is_high_variance() -> None:
    run = per_window(_CV_10)
    assert run.window_rates.tolist() == [1000.0 * count for count in _CV_10]
    finding = only(run, "HIGH_VARIANCE")
    assert finding is not None
    assert finding.effect == UNSTABLE
    assert finding.values == {"cv": 0.1}
    assert "per-window throughput" in finding.saw


def test_throughput_window_cv_just_under_ten_percent_is_not_high_variance() -> None:
    run = per_window(_CV_UNDER_10)
    assert float(np.std(run.window_rates, ddof=1) / np.mean(run.window_rates)) == pytest.approx(
        (74 / 19) ** 0.5 / 20, rel=1e-12)
    assert only(run, "HIGH_VARIANCE") is None


def test_throughput_scenario_ignores_latency_spread() -> None:
    # latencies spread by ±10 % back to back: windows still hold equal work, so no throughput variance
    run = back_to_back(_spread_latencies(100_000), scenario="throughput")
    assert only(run, "HIGH_VARIANCE") is None


def test_high_variance_remedy_mentions_rel_precision_only_without_a_target() -> None:
    run = back_to_back(_spread_blocks(100_000))
    without = only(run, "HIGH_VARIANCE")
    with_target = only(run, "HIGH_VARIANCE", CheckContext(precision_target=0.01, precision_achieved=0.001))
    assert without is not None and with_target is not None
    assert "--rel-precision" in without.remedy
    assert "--rel-precision" not in with_target.remedy


# --- OUTLIERS ----------------------------------------------------------------------------------------------


def _with_outlier(outlier_ns: int, zeros: int = 2) -> list[int]:
    """49 × 0.9 ms, ``zeros`` × 1 ms, 48 × 1.1 ms and one outlier: median 1 ms, MAD 0.1 ms."""
    return [900_000] * 49 + [MS] * zeros + [1_100_000] * 48 + [outlier_ns]


def test_modified_z_just_above_3_5_is_an_outlier_at_one_percent() -> None:
    run = back_to_back(_with_outlier(1_519_000))  # Z = 0.6745 · 0.519 / 0.1 = 3.5007
    assert run.count == 100
    finding = only(run, "OUTLIERS")
    assert finding is not None
    assert finding.effect == INFO
    assert finding.values == {"outliers": 1, "share": 0.01}
    assert finding.saw.endswith("1 of them slow")


def test_modified_z_just_below_3_5_is_not_an_outlier() -> None:
    run = back_to_back(_with_outlier(1_518_000))  # Z = 0.6745 · 0.518 / 0.1 = 3.4939
    assert only(run, "OUTLIERS") is None


def test_fast_outliers_count_too() -> None:
    run = back_to_back(_with_outlier(481_000))  # Z = -0.6745 · 0.519 / 0.1 = -3.5007
    finding = only(run, "OUTLIERS")
    assert finding is not None
    assert finding.values == {"outliers": 1, "share": 0.01}
    assert finding.saw.endswith("0 of them slow")


def test_one_outlier_in_101_is_under_one_percent() -> None:
    run = back_to_back(_with_outlier(1_519_000, zeros=3))  # median and MAD unchanged
    assert run.count == 101
    assert only(run, "OUTLIERS") is None


def test_outliers_need_50_samples() -> None:
    assert only(back_to_back([MS] * 48 + [100 * MS]), "OUTLIERS") is None
    assert only(back_to_back([MS] * 49 + [100 * MS]), "OUTLIERS") is not None  # MAD 0 branch, share 2 %


# --- modified_z_scores -------------------------------------------------------------------------------------


def test_modified_z_scores_known_answer() -> None:
    scores = modified_z_scores(np.array([1, 2, 3, 4, 100], dtype=np.int64))
    # median 3, |deviations| 2, 1, 0, 1, 97 → MAD 1
    assert scores.tolist() == pytest.approx([0.6745 * d for d in (-2, -1, 0, 1, 97)], rel=1e-15)


def test_modified_z_scores_even_count() -> None:
    scores = modified_z_scores(np.array([10, 20, 30, 40], dtype=np.int64))
    # median 25, |deviations| 15, 5, 5, 15 → MAD 10
    assert scores.tolist() == pytest.approx([0.6745 * d / 10 for d in (-15, -5, 5, 15)], rel=1e-15)


def test_modified_z_scores_zero_mad_uses_mean_absolute_deviation() -> None:
    scores = modified_z_scores(np.array([5, 5, 5, 5, 10], dtype=np.int64))
    # median 5, MAD 0; mean |deviation| = 5 / 5 = 1 → (x - 5) / 1.253314
    assert scores.tolist() == pytest.approx([0.0, 0.0, 0.0, 0.0, 5 / 1.253314], rel=1e-15)


def test_modified_z_scores_of_constant_samples_are_zero() -> None:
    scores = modified_z_scores(np.full(7, 42, dtype=np.int64))
    assert scores.dtype == np.float64
    assert scores.tolist() == [0.0] * 7


# --- SLOW_FIRST_SAMPLES ------------------------------------------------------------------------------------


def test_first_tenth_exactly_ten_percent_slower_is_slow_first_samples() -> None:
    run = back_to_back([1_100_000] * 10 + [MS] * 90)  # head = 10 % of 100
    finding = only(run, "SLOW_FIRST_SAMPLES", CheckContext(warmup="2 s"))
    assert finding is not None
    assert finding.effect == UNSTABLE
    assert finding.values == {"ratio": 1.1}
    assert "first 10 requests" in finding.saw and "(2 s)" in finding.saw


def test_first_tenth_just_under_ten_percent_slower_is_not_slow_first_samples() -> None:
    assert only(back_to_back([1_099_999] * 10 + [MS] * 90), "SLOW_FIRST_SAMPLES") is None


def test_slow_first_samples_head_is_at_least_five() -> None:
    finding = only(back_to_back([2 * MS] * 5 + [MS] * 45), "SLOW_FIRST_SAMPLES")  # int(50 · 0.1) = 5
    assert finding is not None
    assert finding.values == {"ratio": 2.0}


def test_slow_first_samples_needs_50_samples() -> None:
    assert only(back_to_back([2 * MS] * 5 + [MS] * 44), "SLOW_FIRST_SAMPLES") is None


def test_slow_first_samples_only_looks_at_the_head() -> None:
    # 10 slow requests right after the head do not count
    assert only(back_to_back([MS] * 10 + [2 * MS] * 10 + [MS] * 80), "SLOW_FIRST_SAMPLES") is None


# --- THROTTLING_OR_DRIFT -----------------------------------------------------------------------------------
# 20 windows: the mean rate of the first 6 against the last 6


def test_throughput_rising_ten_percent_is_drift() -> None:
    run = per_window([20] * 14 + [22] * 6)
    finding = only(run, "THROTTLING_OR_DRIFT")
    assert finding is not None
    assert finding.effect == UNSTABLE
    assert finding.values["change"] == pytest.approx(22 / 20 - 1, rel=1e-12)
    assert finding.saw.startswith("throughput rose by 10.0% from the first 6 time windows")


def test_throughput_rising_five_percent_is_not_drift() -> None:
    assert only(per_window([20] * 14 + [21] * 6), "THROTTLING_OR_DRIFT") is None


def test_throughput_falling_fifteen_percent_is_drift() -> None:
    finding = only(per_window([20] * 14 + [17] * 6), "THROTTLING_OR_DRIFT")
    assert finding is not None
    assert finding.values["change"] == pytest.approx(17 / 20 - 1, rel=1e-12)
    assert finding.saw.startswith("throughput fell by 15.0%")


def test_throughput_falling_five_percent_is_not_drift() -> None:
    assert only(per_window([20] * 14 + [19] * 6), "THROTTLING_OR_DRIFT") is None


def test_throughput_falling_exactly_ten_percent_is_drift() -> None:
    assert only(per_window([20] * 14 + [18] * 6), "THROTTLING_OR_DRIFT") is not None


def test_drift_ignores_the_middle_windows() -> None:
    assert only(per_window([20] * 6 + [30] * 8 + [20] * 6), "THROTTLING_OR_DRIFT") is None


def test_drift_needs_50_samples() -> None:
    # 49 requests: 9 windows, thirds of 3, the last third 83 % faster than the first, but too few samples
    run = per_window([4, 4, 4, 5, 5, 5, 8, 7, 7], width_ns=10 * MS)
    assert run.count == 49
    assert only(run, "THROTTLING_OR_DRIFT") is None
    run = per_window([4, 4, 4, 5, 5, 5, 5, 6, 6, 6], width_ns=10 * MS)  # 50 requests: 10 windows, +50 %
    finding = only(run, "THROTTLING_OR_DRIFT")
    assert finding is not None
    assert finding.values["change"] == pytest.approx(6 / 4 - 1, rel=1e-12)


# --- BUSY_MACHINE ------------------------------------------------------------------------------------------


def usage(foreign: float = 0.0, steal: float = 0.0, cpus: int = 8, wall_ns: int = 10_000) -> CpuUsage:
    """CPU use with exactly these shares of other processes' and the hypervisor's cores."""
    return CpuUsage(wall_ns, 0, round(foreign * wall_ns), round(steal * wall_ns), cpus)


@pytest.mark.parametrize(("cpu", "busy"), [
    (usage(foreign=0.1), True),
    (usage(foreign=0.0999, steal=0.0999), False),
    (usage(steal=0.1), True),
    (usage(foreign=2.5), True),
    (usage(), False),
    (usage(wall_ns=0, cpus=0), False),
    (None, False),
])
def test_busy_machine_threshold(cpu: CpuUsage | None, busy: bool) -> None:
    finding = only(constant(2000), "BUSY_MACHINE", CheckContext(cpu=cpu))
    assert (finding is not None) == busy
    if finding is not None:
        assert cpu is not None
        assert finding.effect == UNSTABLE
        assert finding.values == {"foreign_cores": cpu.foreign_cores, "steal_cores": cpu.steal_cores}


# --- LATENCY_HIDES_QUEUEING --------------------------------------------------------------------------------


@pytest.mark.parametrize(("scenario", "requests", "capacity", "hides"), [
    ("throughput", 7, 4, True),  # 7 > 1.5 × 4
    ("throughput", 6, 4, False),  # exactly 1.5 ×
    ("throughput", 2, 1, True),
    ("throughput", 100, None, False),  # capacity unknown
    ("latency", 7, 4, False),
])
def test_latency_hides_queueing_threshold(scenario: str, requests: int, capacity: int | None, hides: bool) -> None:
    run = constant(2000, scenario=scenario, requests=requests)
    finding = only(run, "LATENCY_HIDES_QUEUEING", CheckContext(parallel_capacity=capacity))
    assert (finding is not None) == hides
    if finding is not None:
        assert finding.effect == INFO
        assert finding.values == {"requests": requests, "capacity": capacity}


def test_latency_hides_queueing_estimates_the_waiting_share() -> None:
    finding = only(constant(2000, scenario="throughput", requests=8), "LATENCY_HIDES_QUEUEING",
                   CheckContext(parallel_capacity=2))
    assert finding is not None
    assert "about 75% of each latency sample is waiting" in finding.saw  # 1 - 2 / 8


# --- verdict -----------------------------------------------------------------------------------------------


def _finding(effect: str, code: str = "HIGH_VARIANCE") -> Finding:
    return Finding(code, effect, "saw", "remedy")


@pytest.mark.parametrize(("effects", "expected"), [
    ([], VALID),
    ([INFO], VALID),
    ([INFO, INFO], VALID),
    ([UNSTABLE], UNSTABLE),
    ([INFO, UNSTABLE], UNSTABLE),
    ([INSUFFICIENT], INSUFFICIENT),
    ([UNSTABLE, INSUFFICIENT], INSUFFICIENT),
    ([INSUFFICIENT, UNSTABLE, INFO], INSUFFICIENT),
])
def test_verdict_ordering(effects: list[str], expected: str) -> None:
    assert verdict([_finding(effect) for effect in effects]) == expected


# --- order and serialisation -------------------------------------------------------------------------------


def test_findings_come_in_the_order_of_codes() -> None:
    # a short, partial throughput run of 100 requests with a slow start, on a busy machine, with a coarse clock
    run = back_to_back([3 * MS] * 10 + [MS] * 90, scenario="throughput", requests=8, partial=True)
    context = CheckContext(clock_cost_ns=200_000.0, cpu=usage(foreign=1.0, cpus=4), parallel_capacity=2,
                           precision_target=0.01)
    found = codes(run, context)
    assert found == ["PARTIAL", "TOO_FEW_SAMPLES", "SHORT_RUN", "PRECISION_NOT_MET", "TIMER_RESOLUTION",
                     "HIGH_VARIANCE", "OUTLIERS", "SLOW_FIRST_SAMPLES", "THROTTLING_OR_DRIFT", "BUSY_MACHINE",
                     "LATENCY_HIDES_QUEUEING"]
    assert found == list(CODES[:len(found)])  # the load codes follow (tests/test_serving.py)


def test_finding_round_trips_through_a_dict() -> None:
    finding = Finding("OUTLIERS", INFO, "saw it", "do this", {"outliers": 3, "share": 0.03, "none": None})
    data = finding.to_dict()
    assert data == {"code": "OUTLIERS", "effect": INFO, "saw": "saw it", "remedy": "do this",
                    "values": {"outliers": 3, "share": 0.03, "none": None}}
    assert Finding.from_dict(data) == finding


def test_finding_from_dict_without_values() -> None:
    finding = Finding.from_dict({"code": "SHORT_RUN", "effect": INSUFFICIENT, "saw": "s", "remedy": "r"})
    assert finding == Finding("SHORT_RUN", INSUFFICIENT, "s", "r", {})


def test_every_finding_of_a_run_round_trips() -> None:
    run = back_to_back([3 * MS] * 10 + [MS] * 90, scenario="throughput", requests=8, partial=True)
    findings = check_run(run, CheckContext(clock_cost_ns=200_000.0, parallel_capacity=2))
    assert findings
    assert [Finding.from_dict(finding.to_dict()) for finding in findings] == findings


# --- reports -----------------------------------------------------------------------------------------------


def _report_dict(run: RunResult | None, version: int) -> dict[str, Any]:
    """A report as a release writing ``version`` saved it, with this run: the facts of a genuine version-1
    file (tests/data/legacy), its run replaced."""
    data = json.loads((LEGACY / "report-v1-fake.json").read_text(encoding="utf-8"))
    assert data["schema"] == SCHEMA_ID
    data.update(schema_version=version, partial=run is None or run.partial,
                run=run.to_dict() if run is not None else None)
    return data


def _loaded(data: dict[str, Any]) -> Report:
    return report_from_data(Path("saved.json"), data)


def test_version_1_report_derives_findings_from_the_samples() -> None:
    report = _loaded(_report_dict(constant(50), version=1))  # 50 ms: short, too few for p95/p99 CIs
    assert [finding.code for finding in report.findings] == ["TOO_FEW_SAMPLES", "SHORT_RUN"]
    assert report.findings[0].effect == INFO
    assert report.verdict == INSUFFICIENT
    assert report.run is not None
    assert list(report.findings) == check_run(report.run, CheckContext())


def test_version_1_report_of_a_clean_run_is_valid() -> None:
    report = _loaded(_report_dict(constant(2000), version=1))
    assert report.findings == ()
    assert report.verdict == VALID


def test_version_1_report_without_a_run_is_partial() -> None:
    report = _loaded(_report_dict(None, version=1))
    assert [(finding.code, finding.effect) for finding in report.findings] == [("PARTIAL", INSUFFICIENT)]
    assert report.verdict == INSUFFICIENT


def test_version_2_report_keeps_its_findings() -> None:
    data = _report_dict(constant(50), version=2)
    data["findings"] = [Finding("BUSY_MACHINE", UNSTABLE, "saw", "remedy", {"foreign_cores": 0.5}).to_dict()]
    report = _loaded(data)
    assert report.findings == (Finding("BUSY_MACHINE", UNSTABLE, "saw", "remedy", {"foreign_cores": 0.5}),)
    assert report.verdict == UNSTABLE


def test_report_round_trip_keeps_findings_and_verdict() -> None:
    report = _loaded(_report_dict(constant(50), version=1))
    data = report.to_dict()
    assert data["schema_version"] == 4
    assert data["verdict"] == INSUFFICIENT
    assert [item["code"] for item in data["findings"]] == ["TOO_FEW_SAMPLES", "SHORT_RUN"]
    again = Report.from_dict(data)
    assert again.findings == report.findings
    assert again.verdict == report.verdict


@pytest.mark.parametrize("seed", range(5))
def test_median_without_equals_numpy_median_of_the_rest(seed: int) -> None:
    rng = np.random.default_rng(seed)
    samples = rng.integers(1, 50, size=int(rng.integers(60, 400)))  # many duplicates
    head = int(rng.integers(5, 40))
    expected = float(np.median(samples[head:]))
    assert median_without(np.sort(samples), np.sort(samples[:head])) == expected


@pytest.mark.parametrize("seed", range(5))
def test_outlier_cutoffs_agree_with_modified_z_scores(seed: int) -> None:
    rng = np.random.default_rng(seed)
    samples = np.round(rng.lognormal(13, 0.4, size=500)).astype(np.int64)
    sorted_ns = np.sort(samples)
    low, high = outlier_cutoffs(sorted_ns, float(np.median(samples)))
    by_cutoff = int(np.count_nonzero((samples < low) | (samples > high)))
    assert by_cutoff == int(np.count_nonzero(np.abs(modified_z_scores(samples)) > OUTLIER_Z))
