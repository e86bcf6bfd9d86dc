"""Open-loop load options (``--scenario server``) and the MLPerf scenarios' own: the offered rate, the arrival
process, a trace of issue times, the queue bound, samples per query. Parsed and checked here, before anything
loads; no numpy (the schedule itself is drawn in ``scenarios.arrivals``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, UsageError
from .values import positive_int

ARRIVALS = ("poisson", "constant", "gamma:CV")
DEFAULT_SAMPLES_PER_QUERY = 8


@dataclass(frozen=True)
class Load:
    """How requests arrive in the server scenario, and how many samples a multistream query has.

    ``arrival``: ``poisson``, ``constant`` or ``gamma:CV`` (inter-arrival times gamma-distributed with that
    coefficient of variation; ``gamma:1`` is Poisson). ``arrivals``: a trace file of issue times replayed
    instead (scaled to ``qps`` when both are given). ``max_in_flight``: requests admitted and not yet
    completed, at most; an arrival beyond it is dropped and counted (None: unbounded).
    """

    qps: float | None = None
    arrival: str = "poisson"
    arrivals: str | None = None
    max_in_flight: int | None = None
    samples_per_query: int = DEFAULT_SAMPLES_PER_QUERY
    loadgen: str | None = None  # --loadgen DIR: MLPerf LoadGen issues the requests and writes its logs there

    @property
    def cv(self) -> float:
        """Coefficient of variation of the inter-arrival times (0 for constant arrivals)."""
        if self.arrival == "constant":
            return 0.0
        if self.arrival.startswith("gamma:"):
            return float(self.arrival.partition(":")[2])
        return 1.0

    def describe(self) -> str:
        """``Poisson arrivals at 200 QPS`` / ``the trace t.txt (1,000 arrivals) at 50 QPS``."""
        if self.arrivals is not None:
            rate = f" scaled to {self.qps:g} QPS" if self.qps is not None else ""
            return f"the issue times of {Path(self.arrivals).name}{rate}"
        kind = {"poisson": "Poisson arrivals", "constant": "constant arrivals"}.get(
            self.arrival, f"gamma arrivals (CV {self.cv:g})")
        return f"{kind} at {self.qps:g} QPS"


def parse_qps(value: float | str | None) -> float | None:
    if value is None:
        return None
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"--qps expects queries per second, e.g. --qps 200, got {value!r}") from None
    if not 0 < rate < math.inf:  # also refuses nan
        raise UsageError(f"--qps must be a positive rate in queries per second, got {value!r}")
    return rate


def parse_arrival(value: str | None) -> str:
    """``poisson`` | ``constant`` | ``gamma:CV`` (CV > 0), normalised to lower case."""
    if value is None:
        return "poisson"
    text = value.strip().lower()
    if text in ("poisson", "constant"):
        return text
    kind, _, cv_text = text.partition(":")
    if kind != "gamma":
        raise UsageError(f"--arrival {value!r} is not one of: poisson, constant, gamma:CV (e.g. gamma:2)")
    try:
        cv = float(cv_text)
    except ValueError:
        raise UsageError(f"--arrival {value!r}: expected gamma:CV with a number CV, e.g. gamma:2") from None
    if not 0 < cv <= 100:  # also refuses nan
        raise UsageError(f"--arrival {value!r}: the CV must be above 0 and at most 100 (gamma:1 is Poisson; "
                         "--arrival constant has no variation)")
    return f"gamma:{cv:g}"


def read_trace(path: str) -> list[int]:
    """Issue times of a trace file as ns offsets from its first: one time in seconds per line (the first field of
    a CSV line), ``#`` comments and blank lines skipped, a header line of text allowed; times must not decrease."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"--arrivals {path}: cannot be read ({type(error).__name__})") from None
    times: list[float] = []
    for number, line in enumerate(lines, 1):
        field = line.split("#", 1)[0].split(",", 1)[0].strip()
        if not field:
            continue
        try:
            value = float(field)
        except ValueError:
            if not times:
                continue  # a header line
            raise InputError(f"--arrivals {path}: line {number} is not a time in seconds: {field!r}") from None
        if not math.isfinite(value):
            raise InputError(f"--arrivals {path}: line {number} is not a finite time: {field!r}")
        if times and value < times[-1]:
            raise InputError(f"--arrivals {path}: line {number} ({value:g} s) is earlier than the line before it; "
                             "issue times must be sorted")
        times.append(value)
    if len(times) < 2:
        raise InputError(f"--arrivals {path}: needs at least two issue times, found {len(times)}")
    first = times[0]
    return [round((t - first) * 1e9) for t in times]


def trace_rate(offsets: list[int]) -> float:
    """Mean arrival rate of a trace (arrivals per second), from its first to its last issue time."""
    span = offsets[-1] - offsets[0]
    return (len(offsets) - 1) * 1e9 / span if span > 0 else math.inf


def build_load(qps: float | str | None, arrival: str | None, arrivals: str | None,
               max_in_flight: int | str | None, samples_per_query: int | str | None,
               loadgen: str | None = None) -> Load:
    rate = parse_qps(qps)
    if loadgen is not None:
        _check_loadgen(loadgen, rate, arrival, arrivals, max_in_flight)
    if arrivals is not None and arrival is not None:
        raise UsageError("--arrival and --arrivals contradict each other: a trace has its own arrival times")
    if arrivals is not None and not math.isfinite(trace_rate(read_trace(arrivals))):
        raise InputError(f"--arrivals {arrivals}: every issue time is the same (no rate to replay)")
    return Load(qps=rate, arrival=parse_arrival(arrival), arrivals=arrivals,
                max_in_flight=positive_int("--max-in-flight", max_in_flight),
                samples_per_query=positive_int("--samples-per-query", samples_per_query) or DEFAULT_SAMPLES_PER_QUERY,
                loadgen=loadgen)


def _check_loadgen(folder: str, rate: float | None, arrival: str | None, arrivals: str | None,
                   max_in_flight: int | str | None) -> None:
    """LoadGen's Server issues Poisson arrivals at a rate and never drops: the options it can honour."""
    if rate is None:
        raise UsageError("--loadgen needs --qps RATE (LoadGen's server_target_qps)")
    for flag, given in (("--arrivals", arrivals is not None), ("--max-in-flight", max_in_flight is not None),
                        ("--arrival", arrival is not None and parse_arrival(arrival) != "poisson")):
        if given:
            raise UsageError(f"{flag} does not apply with --loadgen: LoadGen's Server issues Poisson arrivals")
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--loadgen {folder}: not a folder (LoadGen writes its logs into it)")
    if not path.exists() and not (path.parent if str(path.parent) else Path(".")).is_dir():
        raise UsageError(f"--loadgen {folder}: folder {path.parent} does not exist")
