"""Loading saved files, the front door: a report, a session or a sweep of any version this release reads.

``results.loader`` parses, upgrades and types them; here reports saved without findings (schema 1) get the
findings that the samples alone support (``analysis.checks``, which the data model does not import).
Everything unusable is an ``InputError`` of one line naming the file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ..analysis.checks import CheckContext
from ..config.axes import CAPACITY_SCHEMA
from ..errors import InputError
from ..results import loader
from ..results.capacity import Capacity
from ..results.loader import (
    SESSION_SCHEMA,
    SUITE_SCHEMA,
    SWEEP_SCHEMA,
    read_json,
    session_from_data,
    suite_from_data,
    sweep_from_data,
)
from ..results.report import Report
from ..results.session import Session
from ..results.suite import Suite
from ..results.sweep import Sweep


def load_report(path: Path) -> Report:
    """Read a saved JSON report; anything unusable is an InputError naming the file and the reason."""
    return report_from_data(path, read_json(path))


def report_from_data(path: Path, data: dict[str, Any]) -> Report:
    """The report in ``data`` (parsed JSON of any readable version); ``path`` names it in errors."""
    return with_findings(loader.report_from_data(path, data), data)


def load_session_or_report(path: Path) -> Session:
    """A session file as is; a single report as a session of one configuration and one round."""
    data = read_json(path, accept=(SESSION_SCHEMA,))
    return _session(path, data)


def load_suite(path: Path) -> Suite:
    data = read_json(path, accept=(SUITE_SCHEMA,))
    if data.get("schema") != SUITE_SCHEMA:
        raise InputError(f"{path} is not an infermeter suite (no \"schema\": \"{SUITE_SCHEMA}\")")
    return suite_from_data(path, data)


def load_saved(path: Path) -> Session | Sweep | Suite | Capacity:
    """What ``show`` reads: a suite, a capacity search, a sweep, a session, or a single report (as a session of
    one)."""
    data = read_json(path, accept=(SESSION_SCHEMA, SWEEP_SCHEMA, SUITE_SCHEMA, CAPACITY_SCHEMA))
    if data.get("schema") == SUITE_SCHEMA:
        return suite_from_data(path, data)
    if data.get("schema") == CAPACITY_SCHEMA:
        return loader.capacity_from_data(path, data)
    if data.get("schema") == SWEEP_SCHEMA:
        sweep = sweep_from_data(path, data)
        points = tuple(dataclasses.replace(point, reports=_all_with_findings(point.reports, _list(saved, "reports")))
                       for point, saved in zip(sweep.points, _list(data, "points"), strict=True))
        return dataclasses.replace(sweep, points=points)
    return _session(path, data)


def _session(path: Path, data: dict[str, Any]) -> Session:
    if data.get("schema") == SESSION_SCHEMA:
        session = session_from_data(path, data)
        reports = tuple(_all_with_findings(row, saved) for row, saved in zip(session.reports, data["reports"],
                                                                             strict=True))
        return dataclasses.replace(session, reports=reports)
    report = report_from_data(path, data)
    return Session((report.model.ref,), 1, ((0,),), ((report,),), report.interrupted, report.command)


def with_findings(report: Report, saved: Any) -> Report:
    """``report`` with the findings derived from its samples when its file had none (schema 1)."""
    if isinstance(saved, dict) and "findings" not in saved:
        from ..scenarios import check_run

        return dataclasses.replace(report, findings=tuple(check_run(report.run, CheckContext())))
    return report


def _all_with_findings(reports: tuple[Report, ...], saved: list[Any]) -> tuple[Report, ...]:
    """Each report read from ``saved`` (its list in the file, one to one) with findings where it had none."""
    return tuple(with_findings(report, data) for report, data in zip(reports, saved, strict=True))


def _list(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []
