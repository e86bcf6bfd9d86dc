"""Results: raw samples plus everything needed to interpret them, serialised losslessly.

Only raw samples are stored; every statistic is derived from them on demand (``RunResult.latency``), so a
saved report can be re-analysed later. JSON values are numbers (ints for nanoseconds), never strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis.checks import CheckContext, Finding, verdict
from ..errors import InputError
from ..stats.intervals import Interval, throughput_interval, window_rates
from ..stats.latency import LatencyStats, throughput
from .views import NotebookViews

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1 had no findings, verdict or CPU record: they are derived on load
SCHEMA_ID = "infermeter.report"


@dataclass(frozen=True)
class RunResult:
    """One measured run: per-request submission and completion times on the runner's clock (ns)."""

    scenario: str  # latency | throughput
    requests: int  # requests kept in flight
    batch: int  # items per request
    start_ns: np.ndarray = field(repr=False)  # int64, absolute clock values
    end_ns: np.ndarray = field(repr=False)
    stop_reason: str = "stop rule met"
    partial: bool = False
    errors: int = 0  # failed requests left out of the samples (--on-error continue)
    cpu: dict[str, Any] | None = None  # CPU use of this and other processes while measuring (environment)
    groups: np.ndarray | None = field(default=None, repr=False)  # shape group of each sample (-data_shape)
    group_labels: tuple[str, ...] = ()
    group_batches: tuple[int, ...] = ()  # items per request of each shape group (-data_shape with several -b)

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
        """Items/s in equal time windows of the run (see intervals.window_rates)."""
        if self.count == 0:
            return np.empty(0, dtype=np.float64)
        return window_rates(self.start_ns, self.end_ns, self.mean_batch)

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
            "cpu": self.cpu,
            "samples": {
                "start_offset_ns": (self.start_ns - origin).tolist(),
                "latency_ns": self.latency_ns.tolist(),
                **({"group": self.groups.tolist()} if self.groups is not None else {}),
            },
            **({"group_labels": list(self.group_labels), "group_batches": list(self.group_batches)}
               if self.groups is not None else {}),
            **({"groups": [{"label": label, "count": count, "latency": stats.as_dict()}
                           for label, stats, count in self.group_stats()]} if self.groups is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        starts = np.asarray(data["samples"]["start_offset_ns"], dtype=np.int64)
        latencies = np.asarray(data["samples"]["latency_ns"], dtype=np.int64)
        return cls(
            scenario=data["scenario"],
            requests=int(data["requests_in_flight"]),
            batch=int(data["batch"]),
            start_ns=starts,
            end_ns=starts + latencies,
            stop_reason=data.get("stop_reason", ""),
            partial=bool(data.get("partial", False)),
            errors=int(data.get("errors", 0)),
            cpu=data.get("cpu"),
            groups=np.asarray(data["samples"]["group"], dtype=np.int16) if "group" in data["samples"] else None,
            group_labels=tuple(data.get("group_labels", ())),
            group_batches=tuple(int(b) for b in data.get("group_batches", ())),
        )


@dataclass(frozen=True)
class PhaseTimes:
    """Durations (ns) of the set-up phases, each measured on the runner's clock."""

    read_ns: int | None = None
    reshape_ns: int | None = None
    compile_ns: int | None = None
    inputs_ns: int | None = None
    first_inference_ns: int | None = None
    cached_compile_ns: int | None = None  # -cdir on a cold cache: a second compile, loaded from the cache

    def to_dict(self) -> dict[str, int | None]:
        return {
            "read_ns": self.read_ns,
            "reshape_ns": self.reshape_ns,
            "compile_ns": self.compile_ns,
            "prepare_inputs_ns": self.inputs_ns,
            "first_inference_ns": self.first_inference_ns,
            **({"cached_compile_ns": self.cached_compile_ns} if self.cached_compile_ns is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PhaseTimes:
        return cls(data.get("read_ns"), data.get("reshape_ns"), data.get("compile_ns"),
                   data.get("prepare_inputs_ns"), data.get("first_inference_ns"), data.get("cached_compile_ns"))


@dataclass(frozen=True)
class Report(NotebookViews):
    """Everything one ``infermeter run`` produced. ``partial`` is true when measurement was cut short."""

    tool_version: str
    created_utc: str
    config: dict[str, Any]
    environment: dict[str, Any]
    engine: dict[str, Any]
    model: dict[str, Any]
    phases: PhaseTimes
    run: RunResult | None
    timed: str  # what the latency and throughput numbers include, in words
    notes: tuple[str, ...] = ()
    error: str | None = None
    command: tuple[str, ...] | None = None
    findings: tuple[Finding, ...] = ()
    counters: dict[str, Any] | None = None  # per-layer counters (counters.counters_to_dict), when asked for

    @property
    def compile_only(self) -> bool:
        return bool(self.config.get("compile_only")) and self.run is None and self.error is None

    @property
    def verdict(self) -> str:
        return verdict(list(self.findings))

    @property
    def partial(self) -> bool:
        if self.compile_only:
            return False
        return self.run is None or self.run.partial

    @property
    def interrupted(self) -> bool:
        return self.run is not None and self.run.stop_reason == "interrupted"

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_ID,
            "schema_version": SCHEMA_VERSION,
            "tool_version": self.tool_version,
            "created_utc": self.created_utc,
            "command": list(self.command) if self.command is not None else None,
            "partial": self.partial,
            "error": self.error,
            "config": self.config,
            "environment": self.environment,
            "engine": self.engine,
            "model": self.model,
            "phases": self.phases.to_dict(),
            "run": self.run.to_dict() if self.run is not None else None,
            "timed": self.timed,
            "notes": list(self.notes),
            "verdict": self.verdict,
            "findings": [finding.to_dict() for finding in self.findings],
            **({"counters": self.counters} if self.counters is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        if data.get("schema") != SCHEMA_ID or data.get("schema_version") not in READABLE_VERSIONS:
            raise ValueError(f"not an infermeter report of schema version {SCHEMA_VERSION}")
        run_data = data.get("run")
        run = RunResult.from_dict(run_data) if run_data is not None else None
        if "findings" in data:
            findings = tuple(Finding.from_dict(item) for item in data["findings"])
        else:  # version 1: derive what can be derived from the samples alone
            from ..scenarios import check_run

            findings = tuple(check_run(run, CheckContext()))
        return cls(
            tool_version=data["tool_version"],
            created_utc=data["created_utc"],
            config=data["config"],
            environment=data["environment"],
            engine=data["engine"],
            model=data["model"],
            phases=PhaseTimes.from_dict(data["phases"]),
            run=run,
            timed=data.get("timed", ""),
            notes=tuple(data.get("notes", [])),
            error=data.get("error"),
            command=tuple(data["command"]) if data.get("command") is not None else None,
            findings=findings,
            counters=data.get("counters"),
        )


def load_report(path: Path) -> Report:
    """Read a saved JSON report; anything unusable is an InputError naming the file and the reason."""
    return report_from_data(path, load_report_data(path))


def load_report_data(path: Path, accept: tuple[str, ...] = ()) -> dict[str, Any]:
    """The parsed JSON of an infermeter file whose "schema" is a report or one of ``accept``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"report file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"report {path} cannot be read ({type(error).__name__})") from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise InputError(f"report {path} is not valid JSON ({str(error).splitlines()[0][:80]})") from None
    if not isinstance(data, dict) or (data.get("schema") != SCHEMA_ID and data.get("schema") not in accept):
        raise InputError(f"report {path} is not an infermeter report (no \"schema\": \"{SCHEMA_ID}\")")
    return data


def report_from_data(path: Path, data: dict[str, Any]) -> Report:
    version = data.get("schema_version")
    if version not in READABLE_VERSIONS:
        readable = ", ".join(str(v) for v in READABLE_VERSIONS)
        raise InputError(f"report {path} has schema_version {version!r}; this infermeter reads {readable}")
    try:
        return _checked(Report.from_dict(data))
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
        raise InputError(f"report {path} is malformed ({type(error).__name__}: {str(error)[:80]})") from None


def _checked(report: Report) -> Report:
    """Touch what renderers read, so a malformed report fails here and not halfway through a render."""
    for key in ("name", "version", "why", "device", "precision", "precision_note", "requests_in_flight"):
        _ = report.engine[key]
    for key in ("ref", "format", "batch"):
        _ = report.model[key]
    for item in report.model["inputs"]:
        _ = (item["name"], item["dtype"], item["fill"], [int(d) for d in item["shape"]])
    _ = report.config["scenario"]
    for value in report.phases.to_dict().values():
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise TypeError(f"phase time {value!r} is not a number")
    if not isinstance(report.timed, str) or not (report.error is None or isinstance(report.error, str)):
        raise TypeError("'timed' and 'error' must be text")
    run = report.run
    if run is not None:
        if len(run.start_ns) != len(run.end_ns):
            raise ValueError("samples: start and latency lists differ in length")
        _ = (run.latency.as_dict(), run.throughput)
    return report
