"""An interleaved session's record and its analysis: configurations that took turns unit by unit in one
process (``runs.interleaved``), compared by pairing neighbouring units.

The record keeps every unit in the order it ran: which configuration ran it, when it began (from the
session's first unit) and how many requests it completed. Each configuration's report holds its own requests
laid back to back on its own clock (the time the other configurations ran is left out), so its statistics
read like those of a run of its own. A request's real time is its unit's start plus its offset inside the
unit; nothing else is needed to redo the analysis.

Round r holds unit r of every configuration (each round runs every configuration once, in a seeded random
order), so the r-th units of A and B ran next to each other. Per round the analysis takes the log ratio
``d_r = log(value_B / value_A)`` of the metric measured on the two units: a unit's latency (one request) or
median latency (a burst), or its throughput (requests × batch / the unit's duration). Load from other
processes that lasts longer than a round hits both alike and cancels in ``d_r``. The comparison is the
median of the ``d_r`` with a sign-test interval (``stats.paired``), widened when neighbouring rounds are
dependent; a percentile such as p99 needs enough requests per side, so rounds are grouped into blocks of
``group`` rounds for it. With ``--until-decided`` (``Sequential``) the interval is the confidence sequence,
valid however often it was looked at, evaluated where the decision was taken.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..stats.intervals import Interval
from ..stats.latency import percentile
from ..stats.paired import ALPHA, median_interval, median_sequence
from .codec import from_data
from .comparison import INCONCLUSIVE, Comparison, band_verdict, higher_is_better, metric_value
from .run import RunResult

REQUEST, BURST = "request", "burst"
FIRST_LOOK = 16  # rounds before the first look of --until-decided
LOOK_GROWTH = 1.05  # then a look every 5 % more rounds (the sequence is valid at any of them)


@dataclass(frozen=True)
class Sequential:
    """``--until-decided``: the deciding metric, the time limits per configuration, the confidence level, and
    the rounds at which every comparison was decided (None: undecided when the time ran out)."""

    metric: str
    min_ns: int
    max_ns: int
    alpha: float = ALPHA
    decided_at: int | None = None


@dataclass(frozen=True, eq=False)
class Interleaving:
    mode: str  # request | burst
    reason: str  # why this interleaving
    seed: int
    burst: int  # requests per unit (1 in request mode)
    sides: np.ndarray = field(repr=False)  # int8: the configuration of each unit, in the order they ran
    starts_ns: np.ndarray = field(repr=False)  # int64: when each unit began, from the first unit
    counts: np.ndarray = field(repr=False)  # int64: requests each unit completed
    planned: int = 400  # rounds in about 2 s per configuration at the warm-up's pace: where a sequence is tightest
    threshold: float = 0.02  # the band --until-decided decided against
    sequential: Sequential | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "reason": self.reason, "seed": self.seed, "burst": self.burst,
                "sides": self.sides.tolist(), "starts_ns": self.starts_ns.tolist(), "counts": self.counts.tolist(),
                "planned": self.planned, "threshold": self.threshold,
                "sequential": None if self.sequential is None else {
                    "metric": self.sequential.metric,
                    "min_ns": self.sequential.min_ns, "max_ns": self.sequential.max_ns,
                    "alpha": self.sequential.alpha, "decided_at": self.sequential.decided_at}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Interleaving:
        sequential = data.get("sequential")
        return cls(
            mode=from_data(str, data["mode"], "interleaving.mode"),
            reason=from_data(str, data.get("reason", ""), "interleaving.reason"),
            seed=from_data(int, data.get("seed", 0), "interleaving.seed"),
            burst=from_data(int, data["burst"], "interleaving.burst"),
            sides=_integers(data["sides"], "interleaving.sides").astype(np.int8),
            starts_ns=_integers(data["starts_ns"], "interleaving.starts_ns"),
            counts=_integers(data["counts"], "interleaving.counts"),
            planned=from_data(int, data.get("planned", 400), "interleaving.planned"),
            threshold=from_data(float, data.get("threshold", 0.02), "interleaving.threshold"),
            sequential=None if sequential is None else Sequential(
                metric=from_data(str, sequential["metric"], "sequential.metric"),
                min_ns=from_data(int, sequential["min_ns"], "sequential.min_ns"),
                max_ns=from_data(int, sequential["max_ns"], "sequential.max_ns"),
                alpha=from_data(float, sequential.get("alpha", ALPHA), "sequential.alpha"),
                decided_at=from_data(int | None, sequential.get("decided_at"), "sequential.decided_at")),
        )


def _integers(values: Any, where: str) -> np.ndarray:
    if not isinstance(values, list):
        raise TypeError(f"{where}: expected a list of integers")
    array = np.asarray(values)
    if array.size and (array.ndim != 1 or array.dtype.kind != "i"):
        raise TypeError(f"{where}: expected a list of integers")
    return array.astype(np.int64)


@dataclass(frozen=True)
class SideUnits:
    """One configuration's units in order: duration, requests, and its latencies grouped by unit."""

    durations: np.ndarray  # int64 ns
    counts: np.ndarray
    latencies: np.ndarray  # int64 ns, unit after unit
    batch: float

    @classmethod
    def of(cls, run: RunResult, counts: np.ndarray) -> SideUnits:
        """From a side's run (its requests in unit order, back to back) and its units' request counts."""
        offsets = np.concatenate(([0], np.cumsum(counts)))
        if offsets[-1] != run.count:
            raise ValueError(f"the units hold {int(offsets[-1])} requests, the run {run.count}")
        order = np.argsort(run.start_ns, kind="stable")
        starts, ends = run.start_ns[order], run.end_ns[order]
        full = counts > 0
        durations = np.zeros(len(counts), dtype=np.int64)
        if full.any():
            firsts = offsets[:-1][full]
            durations[full] = np.maximum.reduceat(ends, firsts) - np.minimum.reduceat(starts, firsts)
        return cls(durations, counts.astype(np.int64), ends - starts, run.mean_batch)

    @property
    def rounds(self) -> int:
        return len(self.counts)


def unit_values(durations: np.ndarray, counts: np.ndarray, batch: float, metric: str) -> np.ndarray:
    """The headline value of each unit from its duration and request count alone: throughput (items/s), or
    for one-request units their latency (the only value a unit of one has for any latency statistic)."""
    spans: np.ndarray = np.maximum(durations, 1).astype(np.float64)
    if metric == "throughput":
        rates: np.ndarray = counts * batch * 1e9 / spans
        return rates
    return spans


def group_for(metric: str, burst: int) -> int:
    """Rounds per block so that each side has enough requests in a block for the metric: 1 for the median and
    throughput; for a percentile p, ⌈100 / min(p, 100 − p)⌉ requests."""
    if metric in ("median", "throughput"):
        return 1
    p = float(metric.lstrip("p"))
    return max(1, math.ceil(math.ceil(100.0 / min(p, 100.0 - p) - 1e-9) / burst))


def block_values(units: SideUnits, metric: str, group: int, rounds: int) -> np.ndarray:
    """One value per block of ``group`` rounds among the first ``rounds``."""
    if group == 1 and (metric == "throughput" or units.counts[:rounds].max(initial=0) <= 1):
        return unit_values(units.durations[:rounds], units.counts[:rounds], units.batch, metric)
    blocks = rounds // group
    offsets = np.concatenate(([0], np.cumsum(units.counts)))
    values = np.empty(blocks, dtype=np.float64)
    for block in range(blocks):
        first, last = block * group, (block + 1) * group
        if metric == "throughput":
            values[block] = units.counts[first:last].sum() * units.batch * 1e9 / max(
                int(units.durations[first:last].sum()), 1)
            continue
        latencies = np.sort(units.latencies[offsets[first]:offsets[last]])
        p = 50.0 if metric == "median" else float(metric.lstrip("p"))
        values[block] = max(percentile(latencies, p), 1.0) if len(latencies) else math.nan
    return values


def differences(a: SideUnits, b: SideUnits, metric: str, burst: int, rounds: int | None = None) -> np.ndarray:
    """``log(value_B / value_A)`` per round (or block of rounds), in the order they ran."""
    common = min(a.rounds, b.rounds) if rounds is None else min(rounds, a.rounds, b.rounds)
    group = group_for(metric, burst)
    values_a, values_b = block_values(a, metric, group, common), block_values(b, metric, group, common)
    found: np.ndarray = np.log(values_b) - np.log(values_a)
    finite: np.ndarray = found[np.isfinite(found)]
    return finite


def compare(record: Interleaving, runs: Sequence[RunResult | None], a: int, b: int, metric: str,
            threshold: float) -> Comparison | None:
    """Configuration ``b`` against ``a`` on ``metric`` (see the module docstring)."""
    run_a, run_b = runs[a], runs[b]
    if run_a is None or run_b is None or not run_a.count or not run_b.count:
        return None
    side_a, side_b = side_units(record, runs, a), side_units(record, runs, b)
    sequential = record.sequential
    rounds = sequential.decided_at if sequential is not None else None
    found = differences(side_a, side_b, metric, record.burst, rounds)
    group = group_for(metric, record.burst)
    if sequential is not None:
        interval = median_sequence(found, max(1, record.planned // group), sequential.alpha)
    else:
        interval = median_interval(found)
    value_a, value_b = metric_value(run_a, metric), metric_value(run_b, metric)
    if interval is None or value_a is None or value_b is None:
        return None
    ratio = Interval(math.exp(interval.estimate), math.exp(interval.low), math.exp(interval.high))
    return Comparison(metric, value_a, value_b, ratio, method_text(record, len(found), group), threshold)


def side_units(record: Interleaving, runs: Sequence[RunResult | None], index: int) -> SideUnits:
    run = runs[index]
    assert run is not None
    return SideUnits.of(run, record.counts[record.sides == index])


def method_text(record: Interleaving, pairs: int, group: int) -> str:
    unit = "requests" if record.mode == REQUEST else f"bursts of {record.burst}"
    blocks = f", blocks of {group} rounds" if group > 1 else ""
    valid = ", anytime-valid" if record.sequential is not None else ""
    return f"interleaved {unit} ({pairs} pairs{blocks}{valid})"


def look_points(limit: int) -> list[int]:
    """The round counts at which ``--until-decided`` looks: FIRST_LOOK, then every LOOK_GROWTH more."""
    points, rounds = [], FIRST_LOOK
    while rounds <= limit:
        points.append(rounds)
        rounds = max(rounds + 1, math.ceil(rounds * LOOK_GROWTH))
    return points


def decide_at(units: Sequence[SideUnits], pairs: Sequence[tuple[int, int]], burst: int, planned: int,
              sequential: Sequential, threshold: float, looks: Sequence[int]) -> int | None:
    """The first of ``looks`` (round counts, increasing) at which every side has spent ``min_ns`` of its own
    time and every comparison is decided (``decided``); None if none is. The live ``--until-decided`` and a
    replay of a saved session (``replay``) both decide here, so they agree."""
    elapsed = [np.cumsum(side.durations) for side in units]
    for look in looks:
        if min(int(spent[look - 1]) for spent in elapsed) < sequential.min_ns:
            continue
        found = [differences(units[a], units[b], sequential.metric, burst, look) for a, b in pairs]
        if decided(found, sequential.metric, planned, threshold, sequential.alpha):
            return look
    return None


def last_round(units: Sequence[SideUnits], limit_ns: int) -> int | None:
    """The first round count at which some side has spent ``limit_ns`` of its own time, if one has."""
    rounds = min(side.rounds for side in units)
    found = []
    for side in units:
        spent = np.cumsum(side.durations[:rounds])
        if len(spent) and spent[-1] >= limit_ns:
            found.append(int(np.searchsorted(spent, limit_ns, side="left")) + 1)
    return min(found) if found else None


def replay(record: Interleaving, runs: Sequence[RunResult | None], pairs: Sequence[tuple[int, int]],
           sequential: Sequential, threshold: float) -> int | None:
    """Where ``--until-decided`` with these limits would have stopped this session: the rounds of its decision,
    or None if it would have run out of time (or data) first. A saved session of fixed length replays every
    shorter ``--until-decided`` run with the same seed exactly."""
    units = [side_units(record, runs, index) for index in range(len(runs))]
    rounds = min(side.rounds for side in units)
    last = last_round(units, sequential.max_ns)
    return decide_at(units, pairs, record.burst, record.planned, sequential, threshold,
                     look_points(rounds if last is None else min(rounds, last)))


def decided(found: Sequence[np.ndarray], metric: str, planned: int, threshold: float,
            alpha: float = ALPHA) -> bool:
    """Every comparison's confidence sequence lies wholly inside or wholly beyond the threshold band."""
    for values in found:
        interval = median_sequence(values, planned, alpha)
        if interval is None:
            return False
        ratio = Interval(math.exp(interval.estimate), math.exp(interval.low), math.exp(interval.high))
        speed = ratio if higher_is_better(metric) else Interval(1 / ratio.estimate, 1 / ratio.high, 1 / ratio.low)
        if band_verdict(speed, threshold) == INCONCLUSIVE:
            return False
    return True
