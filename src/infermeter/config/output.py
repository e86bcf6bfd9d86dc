"""What to report besides the console summary: benchmark_app's report files, counters and progress style.

Parsed with the rest of the configuration (no numpy, no engine), so a bad value fails before anything loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from .tuning import parse_bool
from .values import parse_choice

REPORT_TYPES = ("no_counters", "average_counters", "detailed_counters")
SORT_MODES = ("sort", "no_sort", "simple_sort")
PROGRESS_STYLES = ("auto", "bar", "lines", "none")


@dataclass(frozen=True)
class OutputOptions:
    latency_percentile: int = 50  # -latency_percentile: the extra percentile reported benchmark_app's way
    report_type: str = "no_counters"
    report_folder: str | None = None
    json_stats: bool = False
    print_counters: bool = False  # -pc
    counters_sort: str | None = None  # -pcsort
    per_shape: bool = False  # -pcseq (per-shape statistics are always in the JSON; this prints them)
    dump_config: str | None = None
    progress: str = "auto"  # auto | bar | lines (-stream_output) | none

    @property
    def wants_counters(self) -> bool:
        return self.print_counters or self.counters_sort is not None or self.report_type != "no_counters"


def build_output_options(
    *,
    latency_percentile: int | str | None = None,
    report_type: str | None = None,
    report_folder: str | None = None,
    json_stats: str | bool | None = False,
    pc: str | bool | None = False,
    pcsort: str | None = None,
    pcseq: str | bool | None = False,
    dump_config: str | None = None,
    progress: str | bool | None = None,
    stream_output: str | bool | None = False,
) -> OutputOptions:
    percentile = _percentile(latency_percentile)
    kind = parse_choice("-report_type", report_type.lower(), REPORT_TYPES) if report_type else "no_counters"
    if (kind != "no_counters" or _flag("-json_stats", json_stats)) and not report_folder:
        flag = "-json_stats" if kind == "no_counters" else f"-report_type {kind}"
        raise UsageError(f"{flag} writes into -report_folder: give -report_folder DIR")
    if report_folder is not None:
        _check_folder(report_folder)
    if dump_config is not None:
        _check_parent("-dump_config", dump_config)
    return OutputOptions(
        latency_percentile=percentile,
        report_type=kind,
        report_folder=report_folder,
        json_stats=_flag("-json_stats", json_stats),
        print_counters=_flag("-pc", pc),
        counters_sort=parse_choice("-pcsort", pcsort.lower(), SORT_MODES) if pcsort else None,
        per_shape=_flag("-pcseq", pcseq),
        dump_config=dump_config,
        progress=_progress(progress, _flag("-stream_output", stream_output)),
    )


def _flag(flag: str, value: str | bool | None) -> bool:
    return False if value is False else parse_bool(flag, value)


def _percentile(value: int | str | None) -> int:
    if value is None:
        return 50
    try:
        number = int(str(value).strip())
    except ValueError:
        raise UsageError(f"-latency_percentile expects an integer from 1 to 100, got {value!r}") from None
    if not 1 <= number <= 100:
        raise UsageError(f"-latency_percentile must be from 1 to 100, got {number}")
    return number


def _progress(value: str | bool | None, stream_output: bool) -> str:
    if stream_output:
        if isinstance(value, str) and value.lower() in PROGRESS_STYLES:
            return "none" if value.lower() == "none" else "lines"
        if value is not None and value is not False and parse_bool("-progress", value) is False:
            return "none"
        return "lines"
    if value is None:
        return "auto"
    if isinstance(value, str) and value.lower() in PROGRESS_STYLES:
        return value.lower()
    return "bar" if parse_bool("-progress", value) else "none"


def _check_folder(folder: str) -> None:
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise UsageError(f"-report_folder {folder}: exists and is not a folder")


def _check_parent(flag: str, file: str) -> None:
    parent = Path(file).parent
    if not parent.is_dir():
        raise UsageError(f"{flag} {file}: folder {parent} does not exist")
