"""Checks of loaded runs (server, and the MLPerf scenarios' early stopping); thresholds documented in
docs/methodology.md. Each is a pure function of the run's samples, like the checks in ``checks``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..results.findings import INFO, INSUFFICIENT, UNSTABLE, Finding
from ..stats import early_stopping as stopping
from ..units import format_duration

if TYPE_CHECKING:
    from ..results.run import RunResult
    from .checks import CheckContext

LATE_SHARE = 0.05  # lateness p99 above this share of the median service time: the generator was late
ACHIEVED_SHARE = 0.95  # achieved QPS below this share of the schedule's own rate: offered ≠ achieved
GROWTH_SERVICES = 5.0  # last third's median queue delay above the first third's by this many service times
MIN_FOR_GROWTH = 30


def generator_late(run: RunResult, context: CheckContext) -> Finding | None:
    """GENERATOR_LATE: the issuing loop's lateness p99 (or max, for fewer than 100 requests) is a noticeable share
    of the service time, so it is a noticeable share of every latency it delays."""
    if not run.open_loop or not run.count:
        return None
    late = run.lateness.percentile(99.0) if run.count >= 100 else run.lateness.maximum
    service = run.service.median
    if late is None or not service or late <= LATE_SHARE * service:
        return None
    share = late / service
    return Finding("GENERATOR_LATE", UNSTABLE, f"the load generator issued requests late: lateness p99 "
                   f"{format_duration(late)} is {share:.0%} of the median service time ({format_duration(service)}; "
                   f"threshold {LATE_SHARE:.0%})", "the machine is too busy for the offered schedule: stop other "
                   "work, or measure a model whose requests take longer", {"lateness_p99_ns": float(late),
                                                                             "share": share})


def offered_not_achieved(run: RunResult, context: CheckContext) -> Finding | None:
    """OFFERED_NOT_ACHIEVED: completions did not keep up with the schedule's own rate, or arrivals were dropped."""
    if not run.open_loop or run.count < 2:
        return None
    scheduled = run.count + run.dropped
    span = int(run.start_ns.max()) - int(run.start_ns.min())
    achieved = run.achieved_qps
    if span <= 0 or achieved is None:
        return None
    rate = (scheduled - 1) * 1e9 / span
    if achieved >= ACHIEVED_SHARE * rate and not run.dropped:
        return None
    dropped = f"; {run.dropped} of {scheduled} arrivals dropped (--max-in-flight)" if run.dropped else ""
    return Finding("OFFERED_NOT_ACHIEVED", INFO, f"offered {rate:,.1f} QPS (the schedule's own rate; asked "
                   f"{run.offered_qps or rate:,.1f}), achieved {achieved:,.1f} QPS{dropped}",
                   "the offered load is above what the engine sustains here; infermeter capacity finds the "
                   "highest rate that meets a latency SLO", {"offered_qps": rate, "achieved_qps": achieved,
                                                            "dropped": run.dropped})


def queue_growth(run: RunResult, context: CheckContext) -> Finding | None:
    """QUEUE_GROWTH: queue delay rose from the first third of the run to the last by more than a few service
    times and at least doubled: the queue grew without bound, the run was above capacity."""
    if not run.open_loop or run.count < MIN_FOR_GROWTH:
        return None
    delays = run.started_ns - run.start_ns
    third = run.count // 3
    first, last = float(np.median(delays[:third])), float(np.median(delays[-third:]))
    service = run.service.median or 0.0
    if last <= first + GROWTH_SERVICES * service or last <= 2.0 * first:
        return None
    return Finding("QUEUE_GROWTH", UNSTABLE, f"the queue grew without bound: median queue delay went from "
                   f"{format_duration(first)} in the first third of the run to {format_duration(last)} in the last "
                   f"(median service {format_duration(service)})", "the run was above capacity: its latency "
                   "percentiles grow with its length; lower --qps (infermeter capacity finds the limit)",
                   {"first_ns": first, "last_ns": last})


def early_stopping(percentile: float) -> Callable[[RunResult, CheckContext], Finding | None]:
    """EARLY_STOPPING: fewer queries than LoadGen's early-stopping rule needs for a p-th percentile claim."""

    def check(run: RunResult, context: CheckContext) -> Finding | None:
        p = percentile / 100.0
        needed = stopping.min_queries(p)
        if run.count >= needed:
            return None
        return Finding("EARLY_STOPPING", INSUFFICIENT, f"{run.count} queries measured: LoadGen's early-stopping "
                       f"rule needs at least {needed} for a p{percentile:g} claim at "
                       f"{stopping.CONFIDENCE:.0%} confidence", f"measure at least {needed} queries (-niter "
                       f"{needed} or a longer -t)", {"count": run.count, "needed": needed})

    check.__name__ = "early_stopping"
    return check
