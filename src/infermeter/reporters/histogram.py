"""A compact terminal histogram of latency samples (a pure, deterministic function of the samples).

Bins are equal-width between the 0.5th and 99.5th percentiles (so one stray request does not squash the
rest into a single bar); samples below and above are counted on their own rows. Each row: the bin's range
in one unit, a bar of block characters proportional to its count (eighths of a cell), the count and its
share of all samples. The bin holding the median is marked.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from rich.text import Text

from ..stats.latency import percentile

EIGHTHS = "▏▎▍▌▋▊▉"
FULL = "█"
LOW_PERCENTILE, HIGH_PERCENTILE = 0.5, 99.5
MEDIAN_MARK = "◀ median"
MIN_BAR = 8


@dataclass(frozen=True)
class Bins:
    """Counts per bin between ``edges`` (bin k is [edges[k], edges[k+1]), the last one closed), plus the
    samples below the first edge and above the last."""

    edges: np.ndarray  # float64, len(counts) + 1
    counts: np.ndarray  # int64
    under: int
    over: int
    median_bin: int
    total: int
    median: float


def latency_bins(latency_ns: np.ndarray, bins: int = 12) -> Bins:
    """Bin the samples between p0.5 and p99.5 (one bin when those are equal)."""
    if bins < 1:
        raise ValueError("a histogram needs at least one bin")
    ordered = np.sort(np.asarray(latency_ns, dtype=np.int64))
    if len(ordered) == 0:
        raise ValueError("a histogram of no samples")
    low, high = percentile(ordered, LOW_PERCENTILE), percentile(ordered, HIGH_PERCENTILE)
    inside = ordered[(ordered >= low) & (ordered <= high)]
    if high <= low:
        edges = np.array([low, high], dtype=np.float64)
        counts = np.array([len(inside)], dtype=np.int64)
    else:
        edges = np.linspace(low, high, bins + 1)
        counts = np.histogram(inside, bins=edges)[0].astype(np.int64)
    median = percentile(ordered, 50.0)
    median_bin = min(int(np.searchsorted(edges, median, side="right")) - 1, len(counts) - 1)
    return Bins(edges, counts, int(np.sum(ordered < low)), int(np.sum(ordered > high)), max(median_bin, 0),
                len(ordered), median)


def bar(count: int, largest: int, width: int) -> str:
    """``count / largest`` of ``width`` cells in eighths; a non-empty bin shows at least one eighth."""
    if count <= 0 or largest <= 0:
        return ""
    eighths = max(1, round(count / largest * width * 8))
    return FULL * (eighths // 8) + (EIGHTHS[eighths % 8 - 1] if eighths % 8 else "")


def _unit(reference: float) -> tuple[str, float]:
    for name, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if abs(reference) >= scale:
            return name, scale
    return "ns", 1.0


def _decimals(step: float, scale: float) -> int:
    """Decimals that show a bin's width (``step`` ns) to three significant digits."""
    if step <= 0:
        return 3
    return min(6, max(0, math.ceil(-math.log10(step / scale)) + 2))


def _labels(found: Bins) -> tuple[list[str], str, str, str]:
    """Bin labels, the underflow and overflow labels, all in the unit of the median."""
    edges = found.edges
    unit, scale = _unit(found.median)
    decimals = _decimals(float(edges[1] - edges[0]), scale)

    def show(value: float) -> str:
        return f"{value / scale:.{decimals}f}"

    if len(found.counts) == 1 and edges[0] == edges[-1]:
        labels = [f"{show(edges[0])} {unit}"]
    else:
        labels = [f"{show(a)} – {show(b)} {unit}" for a, b in itertools.pairwise(edges)]
    return labels, f"< {show(edges[0])} {unit}", f"> {show(edges[-1])} {unit}", unit


def latency_histogram(latency_ns: np.ndarray, width: int = 60, bins: int = 12) -> Text:
    """The histogram as rich Text about ``width`` cells wide (the bars get what the labels leave)."""
    samples = np.asarray(latency_ns, dtype=np.int64)
    if len(samples) == 0:
        return Text("latency histogram: no samples", style="dim")
    found = latency_bins(samples, bins)
    labels, under_label, over_label, _ = _labels(found)
    rows = [(under_label, found.under, "dim")] if found.under else []
    rows += [(label, int(count), "bold" if k == found.median_bin else "") for k, (label, count)
             in enumerate(zip(labels, found.counts.tolist(), strict=True))]
    rows += [(over_label, found.over, "dim")] if found.over else []
    label_width = max(len(label) for label, _, _ in rows)
    count_width = max(len(f"{count:,}") for _, count, _ in rows)
    bar_width = max(MIN_BAR, width - label_width - count_width - len("100.0%") - len(MEDIAN_MARK) - 4)
    largest = max(count for _, count, _ in rows)
    text = Text(f"latency distribution: {found.total:,} samples, {len(found.counts)} bin(s) from p0.5 to p99.5\n",
                style="dim", no_wrap=True, overflow="crop")
    for number, (label, count, style) in enumerate(rows):
        text.append(f"{label:>{label_width}} ", style=style)
        text.append(f"{bar(count, largest, bar_width):<{bar_width}}", style="cyan" if style != "dim" else "dim")
        text.append(f" {count:>{count_width},} {100.0 * count / found.total:5.1f}%", style=style)
        if style == "bold":
            text.append(f" {MEDIAN_MARK}", style="bold")
        if number < len(rows) - 1:
            text.append("\n")
    return text
