"""One measured run: per-request submission and completion times (ns), and every statistic derived from them.

Only raw samples are stored; every statistic is derived on demand (``RunResult.latency``), so a saved report
can be re-analysed later. An open-loop run (``--scenario server``; offline too) also keeps, per request, when
it was issued and when an engine slot started it: ``start_ns`` is then the *scheduled* time, so ``latency`` is
measured from it (coordinated-omission safe) and splits into ``queue_delay`` (scheduled -> started) and
``service`` (started -> completed); ``lateness`` is the generator's own (issued - scheduled).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ..stats.intervals import Interval, throughput_interval, window_rates
from ..stats.latency import LatencyStats, throughput
from .codec import from_data, from_dict
from .facts import CpuUsage


@dataclass(frozen=True, eq=False)
class RunResult:
    """One measured run: per-request submission and completion times on the runner's clock (ns).

    Two runs are equal when every field is, the samples element by element, as the JSON keeps them: start
    times from the run's first submission (the clock's origin is not part of a measurement)."""

    scenario: str  # latency | throughput
    requests: int  # requests kept in flight
    batch: int  # items per request
    start_ns: np.ndarray = field(repr=False)  # int64, absolute clock values
    end_ns: np.ndarray = field(repr=False)
    stop_reason: str = "stop rule met"
    partial: bool = False
    errors: int = 0  # failed requests left out of the samples (--on-error continue)
    cpu: CpuUsage | None = None  # CPU use of this and other processes while measuring
    groups: np.ndarray | None = field(default=None, repr=False)  # shape group of each sample (-data_shape)
    group_labels: tuple[str, ...] = ()
    group_batches: tuple[int, ...] = ()  # items per request of each shape group (-data_shape with several -b)
    issued_ns: np.ndarray | None = field(default=None, repr=False)  # open loop: handed to the engine or its queue
    started_ns: np.ndarray | None = field(default=None, repr=False)  # open loop: an engine slot started it
    dropped: int = 0  # open loop: arrivals refused because --max-in-flight requests were in flight
    offered_qps: float | None = None  # open loop: the rate the schedule offers (--qps, or the trace's)
    executors: int | None = None  # requests the engine executes at once when fewer than in flight (a queue)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RunResult):
            return NotImplemented
        arrays = [(self._offsets(), other._offsets()), (self.latency_ns, other.latency_ns)]
        for mine, theirs in ((self.issued_ns, other.issued_ns), (self.started_ns, other.started_ns)):
            if mine is not None and theirs is not None:
                arrays.append((_relative(mine, self), _relative(theirs, other)))
        same_groups = (self.groups is None) == (other.groups is None) and (
            self.groups is None or other.groups is None or np.array_equal(self.groups, other.groups))
        return same_groups and all(np.array_equal(a, b) for a, b in arrays) and self._scalars() == other._scalars()

    __hash__ = None  # type: ignore[assignment]  # mutable arrays inside: not hashable

    def _offsets(self) -> np.ndarray:
        offsets: np.ndarray = self.start_ns - (int(self.start_ns.min()) if self.count else 0)
        return offsets

    def _scalars(self) -> tuple[Any, ...]:
        return (self.scenario, self.requests, self.batch, self.stop_reason, self.partial, self.errors, self.cpu,
                self.group_labels, self.group_batches, self.dropped, self.offered_qps,
                self.issued_ns is None, self.started_ns is None, self.executors)

    def group_stats(self) -> list[tuple[str, LatencyStats, int]]:
        """Per shape group: label, latency statistics, completed requests (-pcseq)."""
        if self.groups is None or not self.group_labels:
            return []
        found = []
        for index, label in enumerate(self.group_labels):
            latencies = self.latency_ns[self.groups == index]
            if len(latencies):
                found.append((label, LatencyStats(latencies), len(latencies)))
        return found

    @property
    def count(self) -> int:
        return len(self.start_ns)

    @cached_property
    def latency_ns(self) -> np.ndarray:
        latencies: np.ndarray = self.end_ns - self.start_ns
        return latencies

    @cached_property
    def latency(self) -> LatencyStats:
        return LatencyStats(self.latency_ns)

    @property
    def open_loop(self) -> bool:
        """Requests were issued on a schedule: queue delay, service time and lateness are known."""
        return self.started_ns is not None and self.issued_ns is not None

    @cached_property
    def queue_delay(self) -> LatencyStats:
        """Scheduled time -> an engine slot starts the request (empty unless open loop)."""
        return LatencyStats(self.started_ns - self.start_ns if self.started_ns is not None else _EMPTY)

    @cached_property
    def service(self) -> LatencyStats:
        """An engine slot starts the request -> it completes (empty unless open loop)."""
        return LatencyStats(self.end_ns - self.started_ns if self.started_ns is not None else _EMPTY)

    @cached_property
    def lateness(self) -> LatencyStats:
        """The generator's own delay: issued - scheduled (empty unless open loop)."""
        return LatencyStats(self.issued_ns - self.start_ns if self.issued_ns is not None else _EMPTY)

    @property
    def achieved_qps(self) -> float | None:
        """Completed requests per second over the run (first scheduled time -> last completion)."""
        return self.requests_per_second

    @property
    def window_ns(self) -> int:
        """First submission to last completion."""
        if self.count == 0:
            return 0
        return int(self.end_ns.max()) - int(self.start_ns.min())

    @property
    def items(self) -> int:
        if self.groups is not None and len(self.group_batches) == len(self.group_labels) > 1:
            return int(np.asarray(self.group_batches, dtype=np.int64)[self.groups].sum())
        return self.count * self.batch

    @property
    def mean_batch(self) -> float:
        """Items per request on average (the batch, unless shape groups have different batches)."""
        if self.groups is not None and len(self.group_batches) == len(self.group_labels) > 1 and self.count:
            return self.items / self.count
        return self.batch

    @property
    def throughput(self) -> float | None:
        """Items per second: batch x completed requests / window."""
        return throughput(self.items, self.window_ns)

    @property
    def requests_per_second(self) -> float | None:
        return throughput(self.count, self.window_ns)

    @cached_property
    def window_rates(self) -> np.ndarray:
        """Items/s in equal time windows of the run (see intervals.window_rates). A request whose service start
        is known (open loop, offline: ``started_ns``) counts as work from then, not from its arrival: waiting in
        the harness's queue is not work."""
        if self.count == 0:
            return np.empty(0, dtype=np.float64)
        begun = self.started_ns if self.started_ns is not None else self.start_ns
        return window_rates(begun, self.end_ns, self.mean_batch, self.executors)

    @cached_property
    def throughput_interval(self) -> Interval | None:
        if self.count == 0:
            return None
        return throughput_interval(self.start_ns, self.end_ns, self.mean_batch, self.window_rates)

    def metric_interval(self, metric: str) -> Interval | None:
        """The CI of ``median`` latency, a percentile ``p90``/``p95``/``p99``, or ``throughput``."""
        if metric == "throughput":
            return self.throughput_interval
        return self.latency.interval(50.0 if metric == "median" else float(metric.lstrip("p")))

    def to_dict(self) -> dict[str, Any]:
        origin = int(self.start_ns.min()) if self.count else 0
        return {
            "scenario": self.scenario,
            "requests_in_flight": self.requests,
            "batch": self.batch,
            "count": self.count,
            "items": self.items,
            "window_ns": self.window_ns,
            "throughput_items_per_s": self.throughput,
            "throughput_interval": self.throughput_interval.to_dict() if self.throughput_interval else None,
            "requests_per_s": self.requests_per_second,
            "latency": self.latency.as_dict(),
            "stop_reason": self.stop_reason,
            "partial": self.partial,
            "errors": self.errors,
            **({"executors": self.executors} if self.executors is not None else {}),
            "cpu": self.cpu.to_dict() if self.cpu is not None else None,
            **self._open_loop_dict(),
            "samples": {
                "start_offset_ns": (self.start_ns - origin).tolist(),
                "latency_ns": self.latency_ns.tolist(),
                **({"group": self.groups.tolist()} if self.groups is not None else {}),
                **({"issued_offset_ns": (self.issued_ns - origin).tolist()} if self.issued_ns is not None else {}),
                **({"started_offset_ns": (self.started_ns - origin).tolist()} if self.started_ns is not None else {}),
            },
            **({"group_labels": list(self.group_labels), "group_batches": list(self.group_batches)}
               if self.groups is not None else {}),
            **({"groups": [{"label": label, "count": count, "latency": stats.as_dict()}
                           for label, stats, count in self.group_stats()]} if self.groups is not None else {}),
        }

    def _open_loop_dict(self) -> dict[str, Any]:
        if not self.open_loop:
            return {}
        return {"offered_qps": self.offered_qps, "achieved_qps": self.achieved_qps, "dropped": self.dropped,
                "queue_delay": self.queue_delay.as_dict(), "service": self.service.as_dict(),
                "lateness": self.lateness.as_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        """The reverse of ``to_dict`` (derived statistics are recomputed, not read); TypeError / KeyError /
        ValueError when malformed."""
        samples = data["samples"]
        starts = _ns_array(samples["start_offset_ns"], "run.samples.start_offset_ns")
        latencies = _ns_array(samples["latency_ns"], "run.samples.latency_ns")
        if len(starts) != len(latencies):
            raise ValueError("samples: start and latency lists differ in length")
        cpu = data.get("cpu")
        issued, started = (_ns_array(samples[key], f"run.samples.{key}") if key in samples else None
                           for key in ("issued_offset_ns", "started_offset_ns"))
        for extra in (issued, started):
            if extra is not None and len(extra) != len(starts):
                raise ValueError("samples: issued/started lists differ in length from the start list")
        return cls(
            scenario=from_data(str, data["scenario"], "run.scenario"),
            requests=from_data(int, data["requests_in_flight"], "run.requests_in_flight"),
            batch=from_data(int, data["batch"], "run.batch"),
            start_ns=starts,
            end_ns=starts + latencies,
            stop_reason=from_data(str, data.get("stop_reason", ""), "run.stop_reason"),
            partial=from_data(bool, data.get("partial", False), "run.partial"),
            errors=from_data(int, data.get("errors", 0), "run.errors"),
            cpu=from_dict(CpuUsage, cpu, "run.cpu") if cpu is not None else None,
            groups=_ns_array(samples["group"], "run.samples.group").astype(np.int16) if "group" in samples else None,
            group_labels=from_data(tuple[str, ...], data.get("group_labels", []), "run.group_labels"),
            group_batches=from_data(tuple[int, ...], data.get("group_batches", []), "run.group_batches"),
            issued_ns=issued,
            started_ns=started,
            dropped=from_data(int, data.get("dropped", 0), "run.dropped"),
            offered_qps=from_data(float | None, data.get("offered_qps"), "run.offered_qps"),
            executors=from_data(int | None, data.get("executors"), "run.executors"),
        )


_EMPTY = np.empty(0, dtype=np.int64)


def _relative(values: np.ndarray, run: RunResult) -> np.ndarray:
    """Per-request times as the JSON keeps them: from the run's first scheduled time."""
    relative: np.ndarray = values - (int(run.start_ns.min()) if run.count else 0)
    return relative


def _ns_array(values: Any, where: str) -> np.ndarray:
    """A JSON list of integers as an int64 array (fast: numpy checks the type, not a Python loop)."""
    if not isinstance(values, list):
        raise TypeError(f"{where}: expected a list of integers")
    array = np.asarray(values)
    if array.size and (array.ndim != 1 or array.dtype.kind != "i"):
        raise TypeError(f"{where}: expected a list of integers")
    return array.astype(np.int64)
