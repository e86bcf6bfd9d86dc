"""Checks after a run: a closed set of findings, each saying what it saw and what to do, and a verdict.

Every check is a pure function of the raw samples plus a few facts about the run (the clock, the CPU load
measured during it, how many requests the engine can run at once). Thresholds are module constants and are
documented in docs/methodology.md.

The findings and the verdict are data-model types (``results.findings``), so a saved report carries them.
Verdict: INSUFFICIENT when a finding says the data cannot support the headline numbers (too few samples,
too short, cut short, precision target missed, clock too coarse); else UNSTABLE when a finding says the
numbers moved while measuring (variance, drift, slow start, other load); else VALID.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..results.facts import CpuUsage
from ..results.findings import INFO, INSUFFICIENT, UNSTABLE, VALID, Finding, verdict
from ..stats.intervals import min_samples_for_ci
from ..stats.latency import REPORTED_PERCENTILES, min_samples_for

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ..results.run import RunResult

    Check = Callable[[RunResult, "CheckContext"], "Finding | None"]

__all__ = ["CODES", "INFO", "INSUFFICIENT", "UNSTABLE", "VALID", "CheckContext", "Finding", "run_checks", "verdict"]

CODES = ("PARTIAL", "TOO_FEW_SAMPLES", "SHORT_RUN", "PRECISION_NOT_MET", "TIMER_RESOLUTION", "HIGH_VARIANCE",
         "OUTLIERS", "SLOW_FIRST_SAMPLES", "THROTTLING_OR_DRIFT", "BUSY_MACHINE", "LATENCY_HIDES_QUEUEING",
         "EARLY_STOPPING", "GENERATOR_LATE", "OFFERED_NOT_ACHIEVED", "QUEUE_GROWTH")  # the last four: load_checks

SHORT_RUN_NS = 1_000_000_000
HIGH_CV = 0.10
BLOCK_NS = 100_000_000  # HIGH_VARIANCE judges means of consecutive blocks of about this long (as pyperf)
MIN_BLOCKS = 3
OUTLIER_Z = 3.5
OUTLIER_SHARE = 0.01
SLOW_FIRST_SHARE = 0.10
SLOW_FIRST_RATIO = 1.10
MIN_SAMPLES_FOR_TREND = 50
DRIFT_RATIO = 0.10
CLOCK_SHARE_NOTE = 0.01
CLOCK_SHARE_INSUFFICIENT = 0.10
FOREIGN_CORES = 0.10
QUEUEING_FACTOR = 1.5


@dataclass(frozen=True)
class CheckContext:
    """Facts about the run that are not in the samples."""

    clock_cost_ns: float = 1.0  # max(clock resolution, cost of one clock read)
    cpu: CpuUsage | None = None  # CPU use over the measurement
    parallel_capacity: int | None = None  # requests the engine can execute at once (streams / threads)
    warmup: str = "1 s"
    precision_target: float | None = None  # --rel-precision, as a fraction
    precision_metric: str = "median"
    precision_achieved: float | None = None


def run_checks(run: RunResult | None, context: CheckContext, scenario_checks: Sequence[Check] = ()) -> list[Finding]:
    """All findings for one run: the checks every run gets plus its scenario's own (``Scenario.checks``,
    which see the samples as the latency-shape checks do), in the order of ``CODES``."""
    if run is None or run.count == 0:
        return [Finding("PARTIAL", INSUFFICIENT, "no request completed", "see the error above and run again")]
    shaped = _per_shape_normalized(run)
    service = _service_view(shaped)
    findings = [
        _partial(run), _too_few_samples(run), _short_run(run), _precision(context),
        _timer_resolution(run, context), _outliers(service), _slow_first_samples(service, context), _drift(run),
        _busy_machine(context), *(check(shaped, context) for check in scenario_checks),
    ]
    return sorted((finding for finding in findings if finding is not None), key=lambda f: CODES.index(f.code))


def _per_shape_normalized(run: RunResult) -> RunResult:
    """With several data shapes, latency spread between shapes is by design: the latency-shape checks see
    each sample scaled by (overall median / its shape's median) instead."""
    groups = run.groups
    if groups is None or len(run.group_labels) < 2:
        return run
    overall = float(np.median(run.latency_ns))
    scale = np.ones(len(run.group_labels), dtype=np.float64)
    for index in range(len(run.group_labels)):
        members = run.latency_ns[groups == index]
        if len(members) and float(np.median(members)) > 0:
            scale[index] = overall / float(np.median(members))
    scaled = np.rint(run.latency_ns * scale[groups]).astype(np.int64)
    return dataclasses.replace(run, end_ns=run.start_ns + scaled, groups=None, group_labels=())


def _service_view(run: RunResult) -> RunResult:
    """An open-loop run's latency is mostly queueing, long-tailed by design: the latency-shape checks (outliers,
    slow first samples) look at its service times instead."""
    if run.started_ns is None:
        return run
    return dataclasses.replace(run, start_ns=run.started_ns, issued_ns=None, started_ns=None)


def _partial(run: RunResult) -> Finding | None:
    if not run.partial:
        return None
    return Finding("PARTIAL", INSUFFICIENT, f"the run was cut short ({run.stop_reason}) after "
                   f"{run.count} requests", "numbers cover only the part measured; run again to completion")


def _too_few_samples(run: RunResult) -> Finding | None:
    missing = []
    worst = INFO
    for p in REPORTED_PERCENTILES:
        needed = min_samples_for_ci(p / 100.0)
        if run.count < needed:
            shown = "shown, but" if run.count >= min_samples_for(p) else "not shown:"
            missing.append(f"p{p:g} {shown} its CI needs {needed}")
            worst = INSUFFICIENT if p == 50.0 else worst
    if not missing:
        return None
    wanted = min_samples_for_ci(0.99)
    return Finding("TOO_FEW_SAMPLES", worst, f"{run.count} requests measured; " + "; ".join(missing),
                   f"measure more requests: -niter {wanted} or a longer -t", {"count": run.count})


def _short_run(run: RunResult) -> Finding | None:
    if run.window_ns >= SHORT_RUN_NS:
        return None
    return Finding("SHORT_RUN", INSUFFICIENT, f"measured for {run.window_ns / 1e6:.1f} ms; under 1 s, caches, "
                   "clock frequency and the engine's threads may not have settled",
                   "measure for at least a few seconds: -t 10", {"window_ns": run.window_ns})


def _precision(context: CheckContext) -> Finding | None:
    target, achieved = context.precision_target, context.precision_achieved
    if target is None or (achieved is not None and achieved <= target):
        return None
    reached = f"±{achieved:.2%}" if achieved is not None else "no CI yet"
    return Finding("PRECISION_NOT_MET", INSUFFICIENT, f"{context.precision_metric} reached {reached}, target "
                   f"±{target:.2%}", "raise --max-time, relax --rel-precision, or quieten the machine",
                   {"target": target, "achieved": achieved})


def _timer_resolution(run: RunResult, context: CheckContext) -> Finding | None:
    median = run.latency.median
    if not median:
        return None
    share = context.clock_cost_ns / median
    if share < CLOCK_SHARE_NOTE:
        return None
    effect = INSUFFICIENT if share >= CLOCK_SHARE_INSUFFICIENT else INFO
    return Finding("TIMER_RESOLUTION", effect, f"the median latency ({median:.0f} ns) is only "
                   f"{1 / share:.0f}× the clock's resolution or read cost ({context.clock_cost_ns:.0f} ns)",
                   "measure more work per request (a larger -b or model); sub-microsecond differences are "
                   "not meaningful here", {"share": share})


def latency_variance(run: RunResult, context: CheckContext) -> Finding | None:
    """HIGH_VARIANCE of one-at-a-time latency: std / mean of the mean latencies of ~100 ms blocks (pyperf's
    rule is about such means, not single requests, whose spread is the model's own and averages out)."""
    means = block_means(run.start_ns, run.latency_ns, BLOCK_NS)
    if len(means) < MIN_BLOCKS or not float(np.mean(means)):
        return None
    cv = float(np.std(means, ddof=1) / np.mean(means))
    return _high_variance(cv, f"std / mean of the mean latency of {len(means)} blocks of ≥ {BLOCK_NS // 1_000_000} ms",
                          context)


def block_means(start_ns: np.ndarray, latency_ns: np.ndarray, block_ns: int) -> np.ndarray:
    """Mean latency of consecutive blocks of requests in submission order, each closed at the first request
    submitted ``block_ns`` or more after the block's first (so a block holds at least one request); the last
    block is left out when it covers less than that (up to its last completion)."""
    if len(start_ns) == 0:
        return np.empty(0, dtype=np.float64)
    order = np.argsort(start_ns, kind="stable")
    starts, latencies = start_ns[order], latency_ns[order].astype(np.float64)
    firsts, index = [], 0
    while index < len(starts):
        firsts.append(index)
        index = max(index + 1, int(np.searchsorted(starts, starts[index] + block_ns, side="left")))
    bounds = np.array([*firsts, len(starts)])
    complete = len(firsts) if starts[-1] + latencies[-1] - starts[firsts[-1]] >= block_ns else len(firsts) - 1
    sums = np.add.reduceat(latencies, bounds[:-1])[:complete]
    return sums / np.diff(bounds)[:complete]


def window_variance(run: RunResult, context: CheckContext) -> Finding | None:
    """HIGH_VARIANCE with requests in flight: std / mean of the per-window throughput."""
    rates = run.window_rates
    if len(rates) < 3 or not float(np.mean(rates)):
        return None
    cv = float(np.std(rates, ddof=1) / np.mean(rates))
    return _high_variance(cv, "std / mean of the per-window throughput", context)


def _high_variance(cv: float, what: str, context: CheckContext) -> Finding | None:
    if cv < HIGH_CV:
        return None
    remedy = "close other programs or pin the process (taskset -c …)"
    if context.precision_target is None:
        remedy += "; --rel-precision 1% runs until the headline number is known that well despite the noise"
    return Finding("HIGH_VARIANCE", UNSTABLE, f"{what} is {cv:.1%} (threshold {HIGH_CV:.0%})", remedy,
                   {"cv": cv})


def modified_z_scores(samples: np.ndarray) -> np.ndarray:
    """Iglewicz–Hoaglin: 0.6745 (x − median) / MAD; when MAD is 0, (x − median) / (1.253314 · mean |x − median|)."""
    values = samples.astype(np.float64)
    median = float(np.median(values))
    deviation = np.abs(values - median)
    mad = float(np.median(deviation))
    if mad > 0:
        return 0.6745 * (values - median) / mad
    mean_deviation = float(np.mean(deviation))
    if mean_deviation == 0:
        return np.zeros_like(values)
    return (values - median) / (1.253314 * mean_deviation)


def outlier_cutoffs(sorted_ns: np.ndarray, median: float) -> tuple[float, float]:
    """Latencies outside (low, high) have a modified Z-score above OUTLIER_Z (same rule as
    ``modified_z_scores``), computed from sorted samples with one temporary array."""
    deviation = np.abs(sorted_ns - median)  # one array; partitioned in place below
    middle = (len(deviation) - 1) // 2
    deviation.partition([middle, len(deviation) // 2])
    mad = (float(deviation[middle]) + float(deviation[len(deviation) // 2])) / 2.0
    scale = mad / 0.6745 if mad > 0 else 1.253314 * float(np.mean(deviation))
    reach = OUTLIER_Z * scale
    return median - reach, median + reach


def _outliers(run: RunResult) -> Finding | None:
    if run.count < MIN_SAMPLES_FOR_TREND:
        return None
    latency = run.latency
    assert latency.median is not None
    low, high = outlier_cutoffs(latency.sorted_ns, latency.median)
    fast = int(np.searchsorted(latency.sorted_ns, low, side="left"))
    slow = run.count - int(np.searchsorted(latency.sorted_ns, high, side="right"))
    count = fast + slow
    share = count / run.count
    if share < OUTLIER_SHARE or high <= low:
        return None
    shape = "; so many that the latencies form more than one group (e.g. a slow phase)" if share >= 0.1 else ""
    return Finding("OUTLIERS", INFO, f"{count} of {run.count} latencies ({share:.1%}) are outliers "
                   f"(modified Z-score > {OUTLIER_Z}); {slow} of them slow{shape}",
                   "look at p99 and max rather than the mean; interruptions by other processes are the usual "
                   "cause", {"outliers": count, "share": share})


def _slow_first_samples(run: RunResult, context: CheckContext) -> Finding | None:
    if run.count < MIN_SAMPLES_FOR_TREND:
        return None
    head = max(5, int(run.count * SLOW_FIRST_SHARE))
    first_sorted = np.sort(run.latency_ns[:head])  # in submission order: the first requests measured
    first = float(np.median(first_sorted))
    rest = median_without(run.latency.sorted_ns, first_sorted)
    if not rest or first / rest < SLOW_FIRST_RATIO:
        return None
    return Finding("SLOW_FIRST_SAMPLES", UNSTABLE, f"the first {head} requests' median latency is "
                   f"{first / rest:.2f}× the rest's: the warm-up ({context.warmup}) was too short",
                   "warm up longer, e.g. -w 5", {"ratio": first / rest})


def median_without(sorted_all: np.ndarray, sorted_part: np.ndarray) -> float:
    """Median of the samples of ``sorted_all`` that are not in ``sorted_part`` (a sub-multiset), without
    copying the rest: its k-th smallest is found by binary search on counts."""
    size = len(sorted_all) - len(sorted_part)

    def kth(k: int) -> float:
        low, high = 0, len(sorted_all) - 1
        while low < high:  # smallest index i with count_rest(≤ sorted_all[i]) ≥ k + 1
            mid = (low + high) // 2
            value = sorted_all[mid]
            kept = int(np.searchsorted(sorted_all, value, "right")) - int(np.searchsorted(sorted_part, value, "right"))
            low, high = (low, mid) if kept >= k + 1 else (mid + 1, high)
        return float(sorted_all[low])

    return (kth((size - 1) // 2) + kth(size // 2)) / 2.0


def _drift(run: RunResult) -> Finding | None:
    """Throughput of the first third of the run against the last third. Under an offered load the window rates
    follow the arrivals, not the engine, so there the rate is the service rate: 1 / median service time."""
    if run.offered_qps is not None and run.started_ns is not None:
        rates = 1e9 / np.maximum(run.end_ns - run.started_ns, 1).astype(np.float64)
    else:
        rates = run.window_rates
    third = len(rates) // 3
    if run.count < MIN_SAMPLES_FOR_TREND or third == 0:
        return None
    if run.offered_qps is not None and run.started_ns is not None:
        first, last = float(np.median(rates[:third])), float(np.median(rates[-third:]))
    else:
        first, last = float(np.mean(rates[:third])), float(np.mean(rates[-third:]))
    if first <= 0:
        return None
    change = last / first - 1.0
    if abs(change) < DRIFT_RATIO - 1e-9:  # a change of exactly 10 % counts, either way
        return None
    direction = "fell" if change < 0 else "rose"
    return Finding("THROTTLING_OR_DRIFT", UNSTABLE, f"throughput {direction} by {abs(change):.1%} from the first "
                   f"{third} time windows of the run to the last {third}", "check for thermal or power throttling "
                   "(governor 'performance'), other load, or a warm-up that is too short", {"change": change})


def _busy_machine(context: CheckContext) -> Finding | None:
    cpu = context.cpu
    if cpu is None:
        return None
    foreign, steal = cpu.foreign_cores, cpu.steal_cores
    if foreign < FOREIGN_CORES and steal < FOREIGN_CORES:
        return None
    return Finding("BUSY_MACHINE", UNSTABLE, f"other processes used {foreign:.2f} cores on average during the run "
                   f"(hypervisor steal {steal:.2f}) of {cpu.cpus}", "stop other work on the machine, or "
                   "compare configurations with --rounds so that the load hits all of them alike",
                   {"foreign_cores": foreign, "steal_cores": steal})


def queueing(run: RunResult, context: CheckContext) -> Finding | None:
    """LATENCY_HIDES_QUEUEING: far more requests in flight than the engine executes at once."""
    capacity = context.parallel_capacity
    if capacity is None or run.requests <= capacity * QUEUEING_FACTOR:
        return None
    waiting = 1.0 - capacity / run.requests
    return Finding("LATENCY_HIDES_QUEUEING", INFO, f"{run.requests} requests in flight on {capacity} parallel "
                   f"executors: about {waiting:.0%} of each latency sample is waiting in a queue",
                   "latency here measures the queue, not the model; for per-request latency run -api sync or "
                   f"-nireq {capacity}", {"requests": run.requests, "capacity": capacity})
