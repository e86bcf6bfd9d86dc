"""Parsing and formatting of durations and rates (pure functions)."""

from __future__ import annotations

import math
import re

_NS_PER_UNIT = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "min": 60_000_000_000}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ns|us|µs|ms|s|min)?\s*$")


def parse_duration_ns(text: str, default_unit: str = "s") -> int:
    """'5ms' -> 5_000_000; '2' -> 2 s (default unit). Raises ValueError on anything else."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (examples: 10, 2.5s, 500ms, 80us)")
    value = float(match.group(1))
    unit = match.group(2) or default_unit
    ns = value * _NS_PER_UNIT[unit]
    if not math.isfinite(ns):
        raise ValueError(f"not a finite duration: {text!r}")
    return round(ns)


def format_duration(ns: float | None, digits: int = 4) -> str:
    """Adaptive unit with a fixed number of significant digits: 5_000_000 -> '5.000 ms'."""
    if ns is None or not math.isfinite(ns):
        return "–"
    if ns == 0:
        return "0 ns"  # exact (a virtual clock's set-up phases): no digits that suggest a resolution
    magnitude = abs(ns)
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if magnitude >= scale:
            return f"{_significant(ns / scale, digits)} {unit}"
    return f"{_significant(ns, digits)} ns"


def format_durations_common(values: list[float | None], reference: float | None = None,
                             digits: int = 4) -> tuple[list[str], str]:
    """Format several durations in one unit (for aligned tables).

    The unit is chosen from ``reference`` (e.g. the median), else from the smallest non-zero value; the
    reference gets ``digits`` significant digits and every value the same number of decimals.
    """
    present = [abs(v) for v in values if v is not None and math.isfinite(v) and v != 0]
    anchor = abs(reference) if reference else (min(present) if present else 0.0)
    unit, scale = "ns", 1.0
    for name, factor in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if anchor >= factor:
            unit, scale = name, factor
            break
    decimals = max(0, digits - _int_digits(anchor / scale)) if anchor else 0
    texts = ["–" if v is None or not math.isfinite(v) else f"{v / scale:.{decimals}f}" for v in values]
    return texts, unit


def format_rate(per_second: float | None) -> str:
    if per_second is None or not math.isfinite(per_second):
        return "–"
    if per_second >= 100:
        return f"{per_second:,.1f}"
    return _significant(per_second, 4)


def format_rate_interval(rate: float | None, half_width: float) -> str:
    """'38.03 ± 1.16': the half-width with as many decimals as the rate is shown with."""
    text = format_rate(rate)
    decimals = len(text.partition(".")[2])
    return f"{text} ± {half_width:,.{decimals}f}"


def _int_digits(value: float) -> int:
    return 1 if value < 10 else math.floor(math.log10(value)) + 1


def _significant(value: float, digits: int) -> str:
    decimals = max(0, digits - _int_digits(abs(value)))
    return f"{value:.{decimals}f}"
