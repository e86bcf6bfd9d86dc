"""Reading saved files: JSON -> upgraded to the current schema (``upgrade``) -> typed objects.

Anything unusable is an ``InputError`` of one line naming the file and the reason. Reports of schema 1 have no
findings; they are derived from the samples by ``runs.files`` (the front door, which may use ``analysis``),
so load files through ``infermeter.load_report`` / ``load_session_or_report`` rather than from here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..config.axes import READABLE_SWEEP_VERSIONS, SWEEP_SCHEMA
from ..errors import InputError
from .capacity import Capacity
from .report import READABLE_VERSIONS, SCHEMA_ID, Report
from .session import READABLE_SESSION_VERSIONS, SESSION_SCHEMA, Session
from .suite import READABLE_SUITE_VERSIONS, SUITE_SCHEMA, Suite
from .sweep import Sweep
from .upgrade import upgrade_report, upgrade_session, upgrade_suite, upgrade_sweep

MALFORMED = (KeyError, TypeError, ValueError, AttributeError, OverflowError)


def read_json(path: Path, accept: tuple[str, ...] = ()) -> dict[str, Any]:
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
    _check_version(path, "report", data, READABLE_VERSIONS)
    try:
        return checked(Report.from_dict(upgrade_report(data)))
    except MALFORMED as error:
        raise InputError(f"report {path} is malformed ({_reason(error)})") from None


def session_from_data(path: Path, data: dict[str, Any]) -> Session:
    _check_version(path, "session", data, READABLE_SESSION_VERSIONS)
    try:
        session = Session.from_dict(upgrade_session(data))
        for reports in session.reports:
            for report in reports:
                checked(report)
    except MALFORMED as error:
        raise InputError(f"session {path} is malformed ({_reason(error)})") from None
    return session


def sweep_from_data(path: Path, data: dict[str, Any]) -> Sweep:
    _check_version(path, "sweep", data, READABLE_SWEEP_VERSIONS)
    try:
        sweep = Sweep.from_dict(upgrade_sweep(data))
        for point in sweep.points:
            for report in point.reports:
                checked(report)
    except MALFORMED as error:
        raise InputError(f"sweep {path} is malformed ({_reason(error)})") from None
    return sweep


def suite_from_data(path: Path, data: dict[str, Any]) -> Suite:
    """A suite; the reports it holds are upgraded to the current version first (the suite schema itself has
    one version so far)."""
    _check_version(path, "suite", data, READABLE_SUITE_VERSIONS)
    try:
        suite = Suite.from_dict(upgrade_suite(data))
        for point in suite.points:
            for run in point.runs:
                if run.report is not None:
                    checked(run.report)
    except MALFORMED as error:
        raise InputError(f"suite {path} is malformed ({_reason(error)})") from None
    return suite
def capacity_from_data(path: Path, data: dict[str, Any]) -> Capacity:
    from ..config.axes import CAPACITY_VERSION

    _check_version(path, "capacity search", data, (CAPACITY_VERSION,))
    try:
        capacity = Capacity.from_dict(data)
        for probe in capacity.probes:
            if probe.report is not None:
                checked(probe.report)
    except MALFORMED as error:
        raise InputError(f"capacity search {path} is malformed ({_reason(error)})") from None
    return capacity


def checked(report: Report) -> Report:
    """Touch what renderers compute, so a malformed report fails here and not halfway through a render."""
    if report.run is not None:
        _ = (report.run.latency.as_dict(), report.run.throughput)
    return report


def _check_version(path: Path, kind: str, data: dict[str, Any], readable: tuple[int, ...]) -> None:
    version = data.get("schema_version")
    if version not in readable or isinstance(version, bool):
        known = ", ".join(str(v) for v in readable)
        subject = f"report {path} has" if kind == "report" else f"{path} has {kind}"
        raise InputError(f"{subject} schema_version {version!r}; this infermeter reads {known}")


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:80]}"


__all__ = ["SCHEMA_ID", "SESSION_SCHEMA", "SUITE_SCHEMA", "SWEEP_SCHEMA", "checked", "read_json",
           "report_from_data", "session_from_data", "suite_from_data", "sweep_from_data"]
