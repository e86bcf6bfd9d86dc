"""How several configurations are compared: ``--vs``, ``--interleave``, ``--until-decided``, the threshold band and
the gates (``--require-decided``, ``--fail-on-regression``). Validated here, before anything loads.

Interleaving modes, finest first: ``request`` (configurations that run one request at a time alternate request by
request), ``burst`` (requests in flight: short bursts alternate), ``round`` (whole measurements in rounds, each
with its own warm-up: for what cannot share a process or a timeline). The default is the finest that is valid;
``choose_interleaving`` says which and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import UsageError
from .benchmark import DEFAULT_MAX_TIME_NS, BenchmarkConfig
from .scenario import INTERLEAVING
from .values import parse_duration

MODES = ("request", "burst", "round")
DEFAULT_THRESHOLD = 0.02
UNTIL_DECIDED_MIN = "1s"  # -t when --until-decided is given without -t or -niter


@dataclass(frozen=True)
class ComparisonOptions:
    interleave: str | None = None  # asked for; None = the finest valid
    until_decided: bool = False
    threshold: float = DEFAULT_THRESHOLD
    max_time_ns: int = DEFAULT_MAX_TIME_NS  # --until-decided: at most this much measuring per configuration
    require_decided: bool = False
    fail_on_regression: bool = False


def parse_threshold(value: str | float | None) -> float:
    """``2%`` -> 0.02; 0 is allowed (a band of width zero: only a CI that excludes 1 decides)."""
    if value is None:
        return DEFAULT_THRESHOLD
    text = str(value).strip()
    try:
        number = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        raise UsageError(f"--threshold {value!r} is not a percentage such as 2% or 0.5%") from None
    if not text.endswith("%") and number >= 1:
        raise UsageError(f"--threshold {value!r} is ambiguous: write it as a percentage, e.g. {text}%")
    if not 0.0 <= number < 1.0:
        raise UsageError(f"--threshold {value!r} must be from 0% to below 100%")
    return number


def build_comparison_options(*, interleave: str | None = None, until_decided: bool = False,
                             threshold: str | float | None = None, max_time: str | float | None = None,
                             min_time_ns: int = 0, require_decided: bool = False,
                             fail_on_regression: bool = False) -> ComparisonOptions:
    if interleave is not None and interleave.lower() not in MODES:
        raise UsageError(f"--interleave {interleave!r} is not one of: {', '.join(MODES)}")
    band = parse_threshold(threshold)
    if until_decided and band == 0:
        raise UsageError("--threshold 0 with --until-decided: a band of width zero can never be shown "
                         "equivalent, so equal configurations would run until --max-time; give a band such as "
                         "--threshold 2%")
    limit = DEFAULT_MAX_TIME_NS
    if max_time is not None:
        if not until_decided:
            raise UsageError("--max-time applies with --until-decided or --rel-precision")
        limit = parse_duration("--max-time", max_time)
        if limit <= 0:
            raise UsageError(f"--max-time {max_time!r} must be positive")
        if limit < min_time_ns:
            raise UsageError(f"--max-time {limit / 1e9:g} s is shorter than the minimum measuring time per "
                             f"configuration (-t {min_time_ns / 1e9:g} s)")
    return ComparisonOptions(interleave.lower() if interleave else None, until_decided, band, limit,
                             require_decided, fail_on_regression)


def process_blocker(configs: Sequence[BenchmarkConfig]) -> str | None:
    """Why these configurations cannot take turns inside one measurement (None: they can)."""
    engines = {config.engine for config in configs}
    if "fake" in engines and len(engines) > 1:
        return "the fake engine's virtual clock cannot take turns with a real engine's"
    for config in configs:
        if config.max_rate:
            return "-max_irate paces one configuration's own requests"
        if config.on_error == "continue":
            return "--on-error continue counts failures per measurement"
        if config.stop.rel_precision is not None:
            return "--rel-precision stops one measurement on its own precision (use --until-decided)"
        if config.compile_only:
            return "-niter 0 measures nothing"
    devices = {config.device for config in configs}
    if len(devices) > 1 and any(":" in device for device in devices):
        return ("OpenVINO sets the properties of MULTI/HETERO member devices on the process's one Core, so "
                "these devices are process-wide settings")
    return None


def choose_interleaving(configs: Sequence[BenchmarkConfig], options: ComparisonOptions,
                        rounds_given: bool) -> tuple[str, str]:
    """(mode, why) for a comparison of ``configs``; UsageError when the mode asked for is not valid."""
    asked = options.interleave
    finest, why_not_finer = _finest(configs)
    if rounds_given and asked in ("request", "burst"):
        raise UsageError(f"--rounds applies to --interleave round; with --interleave {asked}, -t is the "
                         "measuring time per configuration")
    if asked == "round" or (asked is None and rounds_given):
        why = "--interleave round" if asked == "round" else "--rounds given"
        mode, reason = "round", f"in rounds ({why})"
    elif asked is None:
        mode, reason = finest, _reason(finest, why_not_finer)
    elif MODES.index(asked) < MODES.index(finest):
        raise UsageError(f"--interleave {asked}: {why_not_finer}; use --interleave {finest}")
    else:
        mode, reason = asked, _reason(asked, f"--interleave {asked}" if asked != finest else why_not_finer)
    if options.until_decided and mode == "round":
        raise UsageError("--until-decided needs configurations that take turns in one measurement (--interleave "
                         f"request or burst); here: {reason}")
    return mode, reason


def _finest(configs: Sequence[BenchmarkConfig]) -> tuple[str, str]:
    """The finest valid mode and, when it is not ``request``, why no finer one is."""
    blocker = process_blocker(configs)
    if blocker is not None:
        return "round", blocker
    modes = [INTERLEAVING.get(config.scenario) for config in configs]
    if None in modes:
        name = next(config.scenario for config, mode in zip(configs, modes, strict=True) if mode is None)
        return "round", f"the {name} scenario cannot share its timeline"
    if all(mode == "request" for mode in modes):
        return "request", ""
    return "burst", "a configuration keeps requests in flight, -api async"


def _reason(mode: str, why_not_finer: str) -> str:
    if mode == "request":
        return "request by request (every configuration runs one request at a time)"
    if mode == "burst":
        return f"in short bursts ({why_not_finer})"
    return f"in rounds ({why_not_finer})"
