"""The terminal latency histogram: exact bins for constructed samples, and its rendering."""

from __future__ import annotations

import numpy as np
import pytest
from rich.console import Console

from infermeter.reporters.histogram import bar, latency_bins, latency_histogram

US = 1_000
MS = 1_000_000


def render(samples: np.ndarray, width: int = 60, bins: int = 12) -> list[str]:
    console = Console(record=True, width=100, color_system=None)
    console.print(latency_histogram(samples, width=width, bins=bins))
    return console.export_text().splitlines()


def test_bins_span_p0_5_to_p99_5_with_under_and_overflow() -> None:
    # 201 samples 0, 1, …, 200 µs: p0.5 is the 2nd (1 µs) and p99.5 the 200th (199 µs)
    found = latency_bins(np.arange(201) * US, bins=4)
    assert found.edges.tolist() == [1_000.0, 50_500.0, 100_000.0, 149_500.0, 199_000.0]
    assert found.counts.tolist() == [50, 49, 50, 50]
    assert (found.under, found.over, found.total) == (1, 1, 201)
    assert (found.median, found.median_bin) == (100_000.0, 2)


def test_an_outlier_goes_to_the_overflow_row() -> None:
    samples = np.array([1 * MS] * 100 + [2 * MS] * 100 + [100 * MS], dtype=np.int64)
    found = latency_bins(samples, bins=2)
    assert found.edges.tolist() == [1e6, 1.5e6, 2e6]
    assert found.counts.tolist() == [100, 100]
    assert (found.under, found.over, found.median_bin) == (0, 1, 1)  # the median (2 ms) is on the last edge


def test_equal_samples_make_one_bin() -> None:
    found = latency_bins(np.full(7, 5 * US), bins=12)
    assert found.counts.tolist() == [7] and (found.under, found.over, found.median_bin) == (0, 0, 0)
    assert render(np.full(7, 5 * US)) == [
        "latency distribution: 7 samples, 1 bin(s) from p0.5 to p99.5",
        "5.000 µs " + "█" * 33 + " 7 100.0% ◀ median"]  # 60 cells


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="no samples"):
        latency_bins(np.empty(0, dtype=np.int64))
    with pytest.raises(ValueError, match="at least one bin"):
        latency_bins(np.arange(5), bins=0)
    assert render(np.empty(0, dtype=np.int64)) == ["latency histogram: no samples"]


def test_bar_lengths_are_in_eighths() -> None:
    assert bar(8, 8, 3) == "███"
    assert bar(5, 8, 3) == "█▉"  # 15 eighths
    assert bar(1, 8, 3) == "▍"  # 3 eighths
    assert bar(1, 1000, 10) == "▏"  # a non-empty bin is never invisible
    assert bar(0, 8, 3) == ""


def test_rendered_rows() -> None:
    lines = render(np.arange(201) * US, width=60, bins=4)
    # labels 16 cells, counts 2, so the longest bar is 60 - 16 - 2 - 6 ("100.0%") - 8 ("◀ median") - 4 = 24
    assert lines == [
        "latency distribution: 201 samples, 4 bin(s) from p0.5 to p99.5",
        "        < 1.0 µs ▌                         1   0.5%",  # 1/50 of 24 cells = 3.84 eighths -> 4
        "   1.0 – 50.5 µs ████████████████████████ 50  24.9%",
        " 50.5 – 100.0 µs ███████████████████████▌ 49  24.4%",  # 49/50 of 192 eighths = 188 = 23 cells + 4/8
        "100.0 – 149.5 µs ████████████████████████ 50  24.9% ◀ median",
        "149.5 – 199.0 µs ████████████████████████ 50  24.9%",
        "      > 199.0 µs ▌                         1   0.5%"]
    assert len(lines[4]) == 60


def test_rendering_is_deterministic_and_fits_the_width() -> None:
    samples = np.random.default_rng(7).lognormal(np.log(5 * MS), 0.3, 5000).astype(np.int64)
    lines = render(samples, width=70)
    assert lines == render(samples, width=70)
    assert max(len(line) for line in lines[1:]) <= 70
    assert sum("◀ median" in line for line in lines) == 1
    assert len(lines) == 1 + 12 + 2  # header, bins, under- and overflow
    assert all(line.endswith(" ms") or "ms " in line for line in lines[1:])  # one unit throughout
