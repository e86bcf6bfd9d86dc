"""Exports: pure serialisers plus one writer that owns files vs stdout and writes atomically.

The export manager (hyperfine-style): ``parse_exports`` turns the export options into ``Export`` items and
checks every path before anything is measured; ``write_exports`` renders each for a report, a session or a
sweep and writes it atomically (or to stdout for ``-``, at most one).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import write_atomic
from ..errors import UsageError

if TYPE_CHECKING:  # the renderers are imported when an export is written: a run without one never loads them
    from ..results.capacity import Capacity
    from ..results.report import Report
    from ..results.session import Session
    from ..results.suite import Suite
    from ..results.sweep import Sweep
    from .tables import Exportable

# kind -> the command-line flag that asks for it (named in error messages)
EXPORT_FLAGS = {"json": "-x/--export-json", "markdown": "--export-markdown", "csv": "--export-csv",
                "csv-samples": "--export-csv-samples", "html": "--html"}
EXPORT_KINDS = tuple(EXPORT_FLAGS)
HTML_MODULE = "infermeter.reporters.html"
HtmlRenderer = Callable[[Any], str]


COMPACT_AT = 64  # lists of this many ints or more (the samples) go on one line


def to_json(result: Report | Session | Sweep | Suite | Capacity) -> str:
    """Lossless JSON: ints stay ints, floats use repr (round-trip exact); NaN/inf become null. Indented, except
    long lists of integers (the samples), which are written on one line by the C encoder: with one number per
    line a run of 600,000 requests took 1.8 s to write and 17 MB; so it takes 0.2 s."""
    from ..results.suite import ReportText, Suite

    compact: list[Any] = []  # long int lists and reports' own texts, spliced in after
    token = uuid.uuid4().hex
    data = result.to_dict(texts=True) if isinstance(result, Suite) else result.to_dict()
    text = json.dumps(_finite(data, compact, token, ReportText), indent=1, ensure_ascii=False, allow_nan=False)
    for index, value in enumerate(compact):
        spliced = value.strip() if isinstance(value, ReportText) else json.dumps(value, separators=(", ", ": "))
        text = text.replace(f'"{token}:{index}"', spliced, 1)
    return text + "\n"


def _finite(value: Any, compact: list[Any] | None = None, token: str = "", raw: type | None = None) -> Any:
    """``value`` with NaN/inf as None; with ``compact``, long int lists and ``raw`` texts become placeholders."""
    if compact is not None and raw is not None and isinstance(value, raw):
        compact.append(value)
        return f"{token}:{len(compact) - 1}"
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v, compact, token, raw) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if compact is not None and len(value) >= COMPACT_AT and all(type(v) is int for v in value):
            compact.append(list(value))
            return f"{token}:{len(compact) - 1}"
        return [_finite(v, compact, token, raw) for v in value]
    return value


@dataclass(frozen=True)
class Export:
    """One export: its kind (json | markdown | csv | csv-samples | html) and where it goes (``-`` = stdout)."""

    kind: str
    path: str

    def __post_init__(self) -> None:
        if self.kind not in EXPORT_FLAGS:
            raise UsageError(f"unknown export kind {self.kind!r}; choose from {', '.join(EXPORT_KINDS)}")

    @property
    def flag(self) -> str:
        return EXPORT_FLAGS[self.kind]

    @property
    def to_stdout(self) -> bool:
        return self.path == "-"


def parse_exports(*, json: str | None = None, markdown: str | None = None, csv: str | None = None,
                  csv_samples: str | None = None, html: str | None = None) -> list[Export]:
    """The exports asked for, every path checked now (before the benchmark): at most one ``-`` (stdout), no
    file named twice, each folder existing and writable; HTML only when its renderer is installed."""
    given = (("json", json), ("markdown", markdown), ("csv", csv), ("csv-samples", csv_samples), ("html", html))
    exports = [Export(kind, path) for kind, path in given if path is not None]
    to_stdout = [export.flag for export in exports if export.to_stdout]
    if len(to_stdout) > 1:
        raise UsageError(f"only one export can go to stdout ('-'): {' and '.join(to_stdout)} both ask for it")
    seen: dict[Path, str] = {}
    for export in exports:
        check_export_path(export.path, export.flag)
        if export.to_stdout:
            continue
        key = Path(os.path.abspath(export.path))
        if key in seen:
            raise UsageError(f"{seen[key]} and {export.flag} both write {export.path}: give different files")
        seen[key] = export.flag
    if any(export.kind == "html" for export in exports) and importlib.util.find_spec(HTML_MODULE) is None:
        raise UsageError("--html: the HTML report is not available in this installation of infermeter")
    return exports


def render(kind: str, result: Exportable | Capacity, html_renderer: HtmlRenderer | None = None) -> str:
    """The text of one export of a Report, Session, Sweep or capacity search."""
    if kind == "json":
        return to_json(result)
    from ..results.capacity import Capacity

    if isinstance(result, Capacity):
        return _capacity(kind, result)
    from ..results.session import Session
    from ..results.sweep import Sweep
    from .tables import report_markdown, runs_csv, samples_csv, session_markdown, sweep_markdown

    if kind == "markdown":
        from ..results.suite import Suite

        if isinstance(result, Suite):
            from .suite_tables import suite_markdown

            return suite_markdown(result)
        if isinstance(result, Session):
            return session_markdown(result)
        return sweep_markdown(result) if isinstance(result, Sweep) else report_markdown(result)
    if kind == "csv":
        return runs_csv(result)
    if kind == "csv-samples":
        return samples_csv(result)
    if kind == "html":
        return (html_renderer or _html_renderer(result))(result)
    raise UsageError(f"unknown export kind {kind!r}; choose from {', '.join(EXPORT_KINDS)}")


def _capacity(kind: str, capacity: Capacity) -> str:
    from .capacity_export import capacity_csv, capacity_html, capacity_markdown

    renderers = {"markdown": capacity_markdown, "csv": capacity_csv, "html": capacity_html}
    if kind not in renderers:
        raise UsageError(f"{EXPORT_FLAGS[kind]}: a capacity search has no per-request export; -x keeps every sample")
    return renderers[kind](capacity)


def _html_renderer(result: Exportable) -> HtmlRenderer:
    """``report_html`` / ``session_html`` / ``sweep_html`` of the HTML reporter, imported when first needed."""
    from ..results.session import Session
    from ..results.suite import Suite
    from ..results.sweep import Sweep

    name = "session_html" if isinstance(result, Session) else "sweep_html" if isinstance(result, Sweep) \
        else "suite_html" if isinstance(result, Suite) else "report_html"
    try:
        module = importlib.import_module(HTML_MODULE)
    except ModuleNotFoundError as error:
        if error.name != HTML_MODULE:
            raise
        raise UsageError("--html: the HTML report is not available in this installation of infermeter") from None
    renderer: HtmlRenderer = getattr(module, name)
    return renderer


def write_exports(exports: Sequence[Export], result: Exportable | Capacity,
                  html_renderer: HtmlRenderer | None = None) -> None:
    """Render every export first (a rendering error writes nothing), then write each one atomically."""
    texts = [(export.path, render(export.kind, result, html_renderer)) for export in exports]
    for path, text in texts:
        write_text(path, text)


def check_export_path(target: str, flag: str = "-x/--export-json") -> None:
    """Fail before the benchmark, not after it, when the export cannot be written."""
    if target == "-":
        return
    if not target.strip():
        raise UsageError(f"{flag} is empty: give a file name, or - for stdout")
    path = Path(target)
    if path.is_dir():
        raise UsageError(f"{flag} {target}: is a folder; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{flag} {target}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{flag} {target}: folder {parent} is not writable")


def write_text(target: str, text: str) -> None:
    """Write to ``-`` (stdout) or atomically to a file (``atomic.write_atomic``)."""
    if target == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_atomic(target, text)
