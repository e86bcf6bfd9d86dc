"""The report of one measurement: raw samples plus everything needed to interpret them, serialised losslessly.

Only raw samples are stored; every statistic is derived from them on demand (``RunResult.latency``), so a
saved report can be re-analysed later. JSON values are numbers (ints for nanoseconds), never strings; the
format is report schema 3 (docs/results-schema.md). ``Report.from_dict`` reads schema 3 only: files of
earlier versions go through ``results.loader`` (``infermeter.load_report``), which upgrades them first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config.benchmark import BenchmarkConfig
from .codec import from_data, from_dict, to_data
from .counters import Counters
from .facts import EngineFacts, MachineFacts, ModelFacts
from .findings import Finding, verdict
from .run import RunResult
from .views import NotebookViews

__all__ = ["READABLE_VERSIONS", "SCHEMA_ID", "SCHEMA_VERSION", "PhaseTimes", "Report", "RunResult"]

SCHEMA_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)  # results.upgrade brings 1 and 2 to 3
SCHEMA_ID = "infermeter.report"


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
        if not isinstance(data, dict):
            raise TypeError("phases: expected an object")
        keys = ("read_ns", "reshape_ns", "compile_ns", "prepare_inputs_ns", "first_inference_ns", "cached_compile_ns")
        return cls(*(from_data(int | None, data.get(key), f"phases.{key}") for key in keys))


@dataclass(frozen=True)
class Report(NotebookViews):
    """Everything one ``infermeter run`` produced. ``partial`` is true when measurement was cut short."""

    tool_version: str
    created_utc: str
    config: BenchmarkConfig
    environment: MachineFacts
    engine: EngineFacts
    model: ModelFacts
    phases: PhaseTimes
    run: RunResult | None
    timed: str  # what the latency and throughput numbers include, in words
    headline: str  # the metric the scenario leads with ("median", "throughput", …): summaries and comparisons
    notes: tuple[str, ...] = ()
    error: str | None = None
    command: tuple[str, ...] | None = None
    findings: tuple[Finding, ...] = ()
    counters: Counters | None = None  # per-layer counters, when asked for

    @property
    def compile_only(self) -> bool:
        return self.config.compile_only and self.run is None and self.error is None

    @property
    def verdict(self) -> str:
        return verdict(self.findings)

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
            "config": to_data(self.config),
            "environment": to_data(self.environment),
            "engine": to_data(self.engine),
            "model": to_data(self.model),
            "phases": self.phases.to_dict(),
            "run": self.run.to_dict() if self.run is not None else None,
            "timed": self.timed,
            "headline": self.headline,
            "notes": list(self.notes),
            "verdict": self.verdict,
            "findings": [finding.to_dict() for finding in self.findings],
            **({"counters": self.counters.to_dict()} if self.counters is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """A report of schema 3 (what ``to_dict`` writes); TypeError / KeyError / ValueError when malformed."""
        if data.get("schema") != SCHEMA_ID or data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"not an infermeter report of schema version {SCHEMA_VERSION} (load_report reads and "
                             "upgrades earlier versions)")
        run, counters = data.get("run"), data.get("counters")
        return cls(
            tool_version=from_data(str, data["tool_version"], "tool_version"),
            created_utc=from_data(str, data["created_utc"], "created_utc"),
            config=from_dict(BenchmarkConfig, data["config"], "config"),
            environment=from_dict(MachineFacts, data["environment"], "environment"),
            engine=from_dict(EngineFacts, data["engine"], "engine"),
            model=from_dict(ModelFacts, data["model"], "model"),
            phases=PhaseTimes.from_dict(data["phases"]),
            run=RunResult.from_dict(run) if run is not None else None,
            timed=from_data(str, data.get("timed", ""), "timed"),
            headline=from_data(str, data["headline"], "headline"),
            notes=from_data(tuple[str, ...], data.get("notes", []), "notes"),
            error=from_data(str | None, data.get("error"), "error"),
            command=from_data(tuple[str, ...] | None, data.get("command"), "command"),
            findings=from_data(tuple[Finding, ...], data.get("findings", []), "findings"),
            counters=Counters.from_dict(counters) if counters is not None else None,
        )
