"""Upgrades of saved files to the current schemas: pure functions, old dict -> new dict, one step per version.

Reports: 1 -> 2 -> 3 -> 4. Sessions: 1 -> 2 -> 3. Sweeps: 1 -> 2 -> 3. A session or sweep upgrade upgrades the
reports it embeds (to the current version, at its first step). Nothing is read or written here, and the input is
never modified. Values that cannot be upgraded are left as they are: the typed reader (``Report.from_dict``) then
says what is wrong.

- report 1 -> 2: version 2 added ``findings``, ``verdict`` and ``run.cpu``. ``findings`` stays absent: they are
  derived from the samples by whoever loads the file (``runs.files``, which may import ``analysis``).
- report 2 -> 3: the report names its ``headline`` metric (version 2 had two scenarios: latency, whose headline
  is the median, and throughput). Engine property values become typed. Version 2 wrote every value as text: numbers
  (``"2"``, ``"0.5"``) become numbers, Python booleans written as ``"True"``/``"False"`` in
  ``engine.properties`` and booleans written as ``"YES"``/``"NO"`` in ``engine.device_config`` become
  booleans (version 3 writes a boolean where the engine returned one).
- report 3 -> 4: version 4 added ``memory`` (peak RSS per phase) and ``run.cpu.machine_cpus``; both stay
  absent (not measured), and the cost figures derived from ``run.cpu`` (CPU per item) work as they are.
  It also added the open-loop fields of ``run`` (``samples.issued_offset_ns``, ``samples.started_offset_ns``,
  ``queue_delay``, ``service``, ``lateness``, ``offered_qps``, ``achieved_qps``, ``dropped``) and
  ``config.load``; a version-3 run has none of them, and reads as the closed-loop run it was.
  Version-3 files written before ``headline`` was added get it as from version 2.
- session 1 -> 2 -> 3, sweep 1 -> 2 -> 3: the embedded reports become the current version.
- session 2 -> 3: version 3 also added ``baselines``, ``threshold`` and ``interleaving`` (interleaved sessions);
  a version-2 session compared every configuration with the first at the 2 % default, in rounds.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ..config.axes import SWEEP_VERSION
from .facts import PropertyValue, number_or_text
from .report import SCHEMA_VERSION as REPORT_VERSION
from .session import SESSION_VERSION

Step = Callable[[dict[str, Any]], dict[str, Any]]


def upgrade_report(data: dict[str, Any]) -> dict[str, Any]:
    """A report dict of any readable version as the current version; a current one comes back as a copy, a
    version this code does not know unchanged (the reader refuses it)."""
    return _steps(copy.deepcopy(data), _REPORT_STEPS, REPORT_VERSION)


def upgrade_session(data: dict[str, Any]) -> dict[str, Any]:
    return _steps(copy.deepcopy(data), {1: _session_1_to_2, 2: _session_2_to_3}, SESSION_VERSION)


def upgrade_sweep(data: dict[str, Any]) -> dict[str, Any]:
    return _steps(copy.deepcopy(data), {1: _sweep_1_to_2, 2: _sweep_2_to_3}, SWEEP_VERSION)


def upgrade_suite(data: dict[str, Any]) -> dict[str, Any]:
    """Suites have one version; the reports they hold are brought to the current version."""
    data = copy.deepcopy(data)
    points = data.get("points")
    if isinstance(points, list):
        for point in points:
            runs = point.get("runs") if isinstance(point, dict) else None
            for run in runs if isinstance(runs, list) else []:
                if isinstance(run, dict) and isinstance(run.get("report"), dict):
                    run["report"] = _embedded(run["report"])
    return data


def _steps(data: dict[str, Any], steps: dict[int, Step], current: int) -> dict[str, Any]:
    version = data.get("schema_version")
    while version != current and isinstance(version, int) and version in steps:
        data = steps[version](data)
        version = data["schema_version"]
    return data


def _report_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "schema_version": 2}


def _report_2_to_3(data: dict[str, Any]) -> dict[str, Any]:
    engine = data.get("engine")
    if isinstance(engine, dict):
        engine = dict(engine)
        if isinstance(engine.get("properties"), dict):
            engine["properties"] = {key: _typed(value, ("True", "False")) for key, value in
                                    engine["properties"].items()}
        if isinstance(engine.get("device_config"), dict):
            engine["device_config"] = {device: {key: _typed(value, ("YES", "NO")) for key, value in entries.items()}
                                       if isinstance(entries, dict) else entries
                                       for device, entries in engine["device_config"].items()}
    return {**data, "schema_version": 3, "engine": engine, "headline": data.get("headline", _headline(data))}


def _typed(value: Any, booleans: tuple[str, str]) -> PropertyValue | Any:
    """A version-2 property value (text) as version 3 writes it; ``booleans`` = (true, false) spellings."""
    if not isinstance(value, str):
        return value
    if value in booleans:
        return value == booleans[0]
    return number_or_text(value)


def _report_3_to_4(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "schema_version": 4, "headline": data.get("headline", _headline(data))}


def _headline(data: dict[str, Any]) -> str:
    """The headline metric of a report that does not name it (version 2, and version 3 before it had the field):
    those releases had two scenarios, latency (headline: the median) and throughput."""
    config = data.get("config")
    scenario = config.get("scenario") if isinstance(config, dict) else None
    return "median" if scenario == "latency" else "throughput"


def _session_reports(data: dict[str, Any], version: int) -> dict[str, Any]:
    reports = data.get("reports")
    if isinstance(reports, list):
        reports = [[_embedded(report) for report in rounds] if isinstance(rounds, list) else rounds
                   for rounds in reports]
    return {**data, "schema_version": version, "reports": reports}


def _session_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    return _session_reports(data, 2)


def _session_2_to_3(data: dict[str, Any]) -> dict[str, Any]:
    return {**_session_reports(data, 3), "baselines": data.get("baselines", []),
            "interleaving": data.get("interleaving")}


def _sweep_points(data: dict[str, Any], version: int) -> dict[str, Any]:
    points = data.get("points")
    if isinstance(points, list):
        points = [{**point, "reports": [_embedded(report) for report in point["reports"]]}
                  if isinstance(point, dict) and isinstance(point.get("reports"), list) else point
                  for point in points]
    return {**data, "schema_version": version, "points": points}


def _sweep_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    return _sweep_points(data, 2)


def _sweep_2_to_3(data: dict[str, Any]) -> dict[str, Any]:
    return _sweep_points(data, 3)


def _embedded(report: Any) -> Any:
    return _steps(report, _REPORT_STEPS, REPORT_VERSION) if isinstance(report, dict) else report


_REPORT_STEPS: dict[int, Step] = {1: _report_1_to_2, 2: _report_2_to_3, 3: _report_3_to_4}
