"""Figures for the HTML report, each rendered to an inline SVG string.

matplotlib is optional (the ``report`` extra) and imported on first use. Only its object API is used
(``Figure`` + ``FigureCanvasSVG``), never pyplot's global state, so rendering works without a display and
in threads. Output is deterministic: a fixed ``svg.hashsalt``, no date in the metadata, and every id in an
SVG prefixed with the caller's ``ident`` so several figures can be inlined into one HTML page.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UsageError
from ..stats.latency import LatencyStats
from ..units import format_duration

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..results.session import Session
    from ..results.sweep import Sweep
    from ..stats.intervals import Interval

MISSING_MATPLOTLIB = "HTML reports need matplotlib: pip install 'infermeter[report]'"
RASTERIZE_ABOVE = 5000  # scatter points drawn as one embedded image beyond this, so files stay small
CDF_POINTS = 2000  # the CDF line is drawn through at most this many order statistics
ROLLING_POSITIONS = 400  # the rolling median is evaluated at most at this many places
LOG_SPAN = 10.0  # a latency axis spanning more than this factor (a long tail) is drawn on a log scale
MARKED = ((50.0, "median", "#1b7837", "-"), (90.0, "p90", "#c98a00", "--"), (95.0, "p95", "#d95f02", "-."),
          (99.0, "p99", "#b2182b", ":"))
FILL = "#4c78a8"
STYLE: dict[Any, Any] = {  # keys are matplotlib rcParams
    "svg.hashsalt": "infermeter", "svg.fonttype": "path", "svg.image_inline": True, "font.family": "DejaVu Sans",
    "font.size": 9.0, "axes.titlesize": 10.0, "axes.labelsize": 9.0, "legend.fontsize": 8.0,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.color": "#e3e3e3",
    "grid.linewidth": 0.6, "axes.axisbelow": True, "figure.dpi": 100.0, "savefig.dpi": 100.0,
    "path.simplify": True, "text.parse_math": False, "text.usetex": False,  # names are text, never TeX
}
_GLYPH_WARNING = r"Glyph \d+ .*missing from (current )?font"  # text a font cannot draw comes out as boxes

NewFigure = Callable[[float, float], "Figure"]


def require_matplotlib() -> None:
    """Raise the UsageError that says how to install matplotlib when it is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError(MISSING_MATPLOTLIB) from None


@contextmanager
def rendering() -> Iterator[NewFigure]:
    """A fixed style (the user's matplotlibrc does not leak in) and a factory of SVG-backed figures."""
    require_matplotlib()
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    def new_figure(width: float, height: float) -> Figure:
        figure = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasSVG(figure)
        return figure

    with matplotlib.rc_context(STYLE), warnings.catch_warnings():
        # A model or configuration name may hold characters DejaVu Sans has no glyph for: they are drawn as
        # boxes, which is the best a self-contained file can do; the warning would only repeat that.
        warnings.filterwarnings("ignore", message=_GLYPH_WARNING, category=UserWarning)
        yield new_figure


def to_svg(figure: Figure, ident: str) -> str:
    """The figure as an ``<svg>`` element for inlining: no XML prolog, no metadata, ids scoped by ``ident``."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.DOTALL)
    text = re.sub(r"\s*<!--.*?-->", "", text, flags=re.DOTALL)  # matplotlib repeats every drawn text in comments
    return scope_ids(_RUN_OF_MARKERS.sub(_grouped_markers, text), ident)


_MARKER = re.compile(r'<use xlink:href="(#[^"]+)" x="([-\d.e]+)" y="([-\d.e]+)" style="([^"]+)"/>')
_RUN_OF_MARKERS = re.compile(r'(?:[ \t]*<use xlink:href="#[^"]+" x="[-\d.e]+" y="[-\d.e]+" style="[^"]+"/>\n){2,}')


def _grouped_markers(match: re.Match[str]) -> str:
    """A run of markers drawn with one style: the style once on a group and coordinates to 0.01 pt, which
    halves the size of a scatter plot's SVG without a visible change."""
    markers = _MARKER.findall(match.group(0))
    if len({style for *_, style in markers}) > 1:
        return match.group(0)
    uses = "".join(f'<use xlink:href="{href}" x="{float(x):.2f}" y="{float(y):.2f}"/>\n' for href, x, y, _ in markers)
    return f'<g style="{markers[0][3]}">\n{uses}</g>\n'


def scope_ids(svg: str, ident: str) -> str:
    """Prefix every referenced id with ``ident`` and drop the ids nothing refers to (matplotlib names glyphs
    and groups the same in every figure; duplicate ids in one HTML page are invalid and resolve wrongly)."""
    referenced = set(re.findall(r'(?:href="#|url\(#)([^")]+)', svg))
    svg = re.sub(r' id="([^"]+)"', lambda m: f' id="{ident}-{m[1]}"' if m[1] in referenced else "", svg)
    return re.sub(r'(href="#|url\(#)([^")]+)', lambda m: f"{m[1]}{ident}-{m[2]}", svg)


def time_unit(reference_ns: float | None) -> tuple[str, float]:
    """The unit (name, ns per unit) that shows ``reference_ns`` with a few digits before the point."""
    magnitude = abs(reference_ns or 0.0)
    for name, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if magnitude >= scale:
            return name, scale
    return "ns", 1.0


def mark_percentiles(axes: Axes, stats: LatencyStats, scale: float, dots_at: str | None = None) -> None:
    """Vertical lines at the median, p90, p95 and p99 (those with enough samples), labelled with their values
    in the legend; ``dots_at="cdf"`` also puts a dot where each line meets the CDF."""
    for p, name, color, style in MARKED:
        value = stats.percentile(p)
        if value is None:
            continue
        axes.axvline(value / scale, color=color, linestyle=style, linewidth=1.3,
                     label=f"{name} {format_duration(value)}")
        if dots_at == "cdf":
            axes.plot([value / scale], [p], marker="o", markersize=3.5, color=color)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="lower right" if dots_at == "cdf" else "upper right", frameon=True, framealpha=0.9)


def long_tail(low: float, high: float) -> bool:
    return low > 0 and high / low > LOG_SPAN


def log_scale(axes: Axes, which: str) -> None:
    """A log axis labelled with plain numbers at 1-2-5 steps (no TeX, no powers of ten)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis = axes.xaxis if which == "x" else axes.yaxis
    (axes.set_xscale if which == "x" else axes.set_yscale)("log")
    axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())


def latency_histogram(latency_ns: np.ndarray, ident: str, title: str = "Latency distribution") -> str:
    """Histogram of latencies. A few far outliers would squeeze the rest into a couple of bins, so the axis
    ends at p99 + (p99 − median), and at p99.9 with 1000+ samples; what lies beyond is counted in the label."""
    stats = LatencyStats(np.asarray(latency_ns, dtype=np.int64))
    unit, scale = time_unit(stats.median)
    values = stats.sorted_ns / scale
    top = float(values[-1]) if stats.count else 1.0
    p99, median = stats.percentile(99), stats.median
    if p99 is not None and median is not None:
        top = min(top, (2 * p99 - median) / scale)
    if stats.count >= 1000:
        top = min(top, (stats.percentile(99.9) or 0.0) / scale)
    low = float(values[0]) if stats.count else 0.0
    bins = int(np.clip(1.5 * np.sqrt(stats.count), 12, 120))
    logarithmic = long_tail(low, top)
    edges = np.geomspace(low, top, bins + 1) if logarithmic else bins
    counts, edges = np.histogram(values, bins=edges, range=(low, top if top > low else low + 1.0))
    with rendering() as new_figure:
        figure = new_figure(7.4, 2.9)
        axes = figure.add_subplot()
        axes.stairs(counts, edges, fill=True, color=FILL, alpha=0.75, label="_requests")
        if logarithmic:
            log_scale(axes, "x")
        mark_percentiles(axes, stats, scale)
        beyond = int(np.count_nonzero(values > top))
        cut = f"  ·  {beyond:,} slower beyond the axis (max {format_duration(stats.maximum)})" if beyond else ""
        axes.set(title=title, xlabel=f"latency ({unit}){cut}", ylabel="requests")
        return to_svg(figure, ident)


def latency_cdf(latency_ns: np.ndarray, ident: str, title: str = "Latency CDF") -> str:
    """Share of requests at or below each latency, with the same percentiles marked."""
    stats = LatencyStats(np.asarray(latency_ns, dtype=np.int64))
    unit, scale = time_unit(stats.median)
    count = stats.count
    picks = np.unique(np.linspace(0, count - 1, min(count, CDF_POINTS)).round().astype(np.int64))
    x = stats.sorted_ns[picks] / scale
    y = (picks + 1) * 100.0 / count
    with rendering() as new_figure:
        figure = new_figure(7.4, 2.9)
        axes = figure.add_subplot()
        axes.step(x, y, where="post", color=FILL, linewidth=1.4, label="_cdf")
        if count and long_tail(float(x[0]), float(x[-1])):
            log_scale(axes, "x")
        mark_percentiles(axes, stats, scale, dots_at="cdf")
        axes.set(title=title, xlabel=f"latency ({unit})", ylabel="requests at or below (%)", ylim=(0, 101))
        return to_svg(figure, ident)


def rolling_median(x: np.ndarray, y: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Median of ``window`` consecutive values, centred, at most at ROLLING_POSITIONS evenly spaced places."""
    count = len(y)
    if count < window or window < 1:
        return np.empty(0), np.empty(0)
    first = window // 2
    centres = np.unique(np.linspace(first, count - window + first, min(ROLLING_POSITIONS, count - window + 1))
                        .round().astype(np.int64))
    medians = np.array([np.median(y[c - first:c - first + window]) for c in centres], dtype=np.float64)
    return x[centres], medians


def latency_over_time(start_ns: np.ndarray, end_ns: np.ndarray, ident: str,
                      title: str = "Latency over the run") -> str:
    """Every request at its submission time, with a rolling median: warm-up effects and drift show up here."""
    order = np.argsort(start_ns, kind="stable")
    starts = np.asarray(start_ns, dtype=np.int64)[order]
    latency = (np.asarray(end_ns, dtype=np.int64)[order] - starts).astype(np.float64)
    unit, scale = time_unit(float(np.median(latency)) if len(latency) else None)
    x = (starts - (starts[0] if len(starts) else 0)) / 1e9
    y = latency / scale
    window = int(np.clip(len(y) // 15, 5, 2000))
    many = len(y) > RASTERIZE_ABOVE
    with rendering() as new_figure:
        figure = new_figure(7.4, 2.9)
        axes = figure.add_subplot()
        axes.plot(x, y, linestyle="none", marker="o", markersize=1.4 if many else 2.2, markeredgewidth=0,
                  color=FILL, alpha=0.35 if many else 0.6, rasterized=many, label="request")
        rolled_x, rolled_y = rolling_median(x, y, window)
        if len(rolled_x):
            axes.plot(rolled_x, rolled_y, color="#b2182b", linewidth=1.6,
                      label=f"rolling median ({window} requests)")
        axes.legend(loc="upper right", frameon=True, framealpha=0.9, markerscale=2.0)
        axes.set(title=title, xlabel="time since the first submission (s)", ylabel=f"latency ({unit})")
        if len(y) and long_tail(float(y.min()), float(y.max())):
            log_scale(axes, "y")
        else:
            axes.set_ylim(bottom=0)
        return to_svg(figure, ident)


def session_figure(session: Session, ident: str) -> str:
    """Per configuration: throughput and median latency, each with its 95 % CI (geometric mean over rounds;
    one round: the run's own CI). The first configuration is at the top."""
    count = len(session.labels)
    medians = [session.summary(index, "median") for index in range(count)]
    unit, scale = time_unit(next((m.estimate for m in medians if m is not None), None))
    with rendering() as new_figure:
        figure = new_figure(7.4, 1.3 + 0.38 * count)
        left, right = figure.subplots(1, 2, sharey=True)
        _interval_panel(left, [session.summary(index, "throughput") for index in range(count)], 1.0, FILL)
        _interval_panel(right, medians, scale, "#1b7837")
        left.set_yticks(range(count), [_short(label, 40) for label in reversed(session.labels)])
        left.set(title="Throughput (95 % CI)", xlabel="items/s", ylim=(-0.6, count - 0.4))
        right.set(title="Median latency (95 % CI)", xlabel=f"latency ({unit})")
        return to_svg(figure, ident)


def _interval_panel(axes: Axes, intervals: Sequence[Interval | None], scale: float, color: str) -> None:
    top = len(intervals) - 1
    for index, interval in enumerate(intervals):
        if interval is None:
            continue
        below, above = (interval.estimate - interval.low) / scale, (interval.high - interval.estimate) / scale
        axes.errorbar([interval.estimate / scale], [top - index], xerr=[[max(below, 0.0)], [max(above, 0.0)]],
                      fmt="o", color=color, ecolor=color, capsize=4, markersize=5, linewidth=1.4)
    axes.grid(axis="y", visible=False)
    axes.margins(x=0.15)


def sweep_figure(sweep: Sweep, ident: str) -> str:
    """Throughput against latency for every measured point; the Pareto frontier as a line, the knee and the
    best point named, the SLO limit as a vertical line (when it is on the plotted metric); failed points are
    listed, not plotted."""
    measured, frontier, best = sweep.measured(), sweep.pareto(), sweep.best()
    unit, scale = time_unit(max((sweep.points[i].latency_ns(sweep.metric) or 0.0 for i in measured), default=None))
    places = {i: ((sweep.points[i].latency_ns(sweep.metric) or 0.0) / scale, sweep.points[i].throughput or 0.0)
              for i in measured}

    def xy(indices: Sequence[int]) -> tuple[list[float], list[float]]:
        return [places[i][0] for i in indices], [places[i][1] for i in indices]

    with rendering() as new_figure:
        figure = new_figure(7.4, 4.0)
        axes = figure.add_subplot()
        others = [i for i in measured if i not in frontier]
        if others:
            axes.scatter(*xy(others), s=28, color="#9a9a9a", zorder=3, label="measured point")
        if frontier:
            axes.plot(*xy(frontier), "-o", color=FILL, linewidth=2.0, markersize=7, zorder=4, label="Pareto frontier")
        if best is not None:
            axes.scatter(*xy([best]), marker="*", s=260, color="#d95f02", edgecolors="white", zorder=5,
                         label=f"best ({sweep.goal})")
        slo_x = _sweep_slo(axes, sweep, scale)
        limits = (1.15 * max([x for x, _ in places.values()] + [slo_x or 0.0, 1e-9]),
                  1.15 * max([y for _, y in places.values()] + [1e-9]))
        axes.set(xlim=(0, limits[0]), ylim=(0, limits[1]), title=f"Throughput against latency {sweep.metric}",
                 xlabel=f"latency {sweep.metric} ({unit})", ylabel="throughput (items/s)")
        _label_points(axes, sweep, places if len(measured) <= 24 else {i: places[i] for i in frontier}, limits)
        if not measured:
            axes.text(0.5, 0.5, "no point was measured", transform=axes.transAxes, ha="center", va="center")
        _failed_note(axes, sweep)
        if axes.get_legend_handles_labels()[0]:
            axes.legend(loc="best", frameon=True, framealpha=0.9)
        return to_svg(figure, ident)


def _label_points(axes: Axes, sweep: Sweep, places: dict[int, tuple[float, float]],
                  limits: tuple[float, float]) -> None:
    """Name each point (with best/knee marks). Points that nearly coincide share one label of several lines;
    each label goes to the first of a few spots around its point where it covers no other label and no point
    (text sizes estimated from the font size, so the result is deterministic)."""
    marks = _sweep_marks(sweep)
    scaled = {i: (x / limits[0], y / limits[1]) for i, (x, y) in places.items()}
    groups: list[list[int]] = []
    for index in sorted(places, key=lambda i: (i not in marks, -places[i][1], i)):
        near = next((g for g in groups if abs(scaled[g[0]][0] - scaled[index][0]) < 0.015
                     and abs(scaled[g[0]][1] - scaled[index][1]) < 0.02), None)
        if near is None:
            groups.append([index])
        else:
            near.append(index)
    taken = [(x - 0.012, y - 0.02, x + 0.012, y + 0.02) for x, y in scaled.values()]  # the markers
    for group in groups:
        lines = [_short(sweep.points[i].label, 30) + "".join(f" · {m}" for m in marks.get(i, ())) for i in group]
        offset, box = _free_spot(scaled[group[0]], lines, taken)
        taken.append(box)
        axes.annotate("\n".join(lines), places[group[0]], xytext=offset, textcoords="offset points",
                      ha="left" if offset[0] > 0 else "right" if offset[0] < 0 else "center",
                      va="top" if offset[1] < 0 else "bottom", fontsize=LABEL_SIZE, zorder=6,
                      bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
                      fontweight="bold" if any(i in marks for i in group) else "normal")


LABEL_SIZE = 7.5
_AXES_PT = (7.4 * 72 * 0.86, 4.0 * 72 * 0.78)  # about the size of the sweep figure's axes, in points
_SPOTS = ((7.0, -5.0), (7.0, 5.0), (-7.0, -5.0), (-7.0, 5.0), (0.0, -9.0), (0.0, 9.0))


def _free_spot(anchor: tuple[float, float], lines: Sequence[str],
               taken: Sequence[tuple[float, float, float, float]]) -> tuple[tuple[float, float],
                                                                         tuple[float, float, float, float]]:
    """The first offset (points) around ``anchor`` (axes fraction) whose text box stays inside the axes and
    overlaps nothing in ``taken``; the first inside the axes when every spot is covered."""
    width = max(len(line) for line in lines) * LABEL_SIZE * 0.6 / _AXES_PT[0]
    height = len(lines) * LABEL_SIZE * 1.25 / _AXES_PT[1]
    fallback = None
    for dx, dy in _SPOTS:
        x0 = anchor[0] + dx / _AXES_PT[0] - (width if dx < 0 else width / 2 if dx == 0 else 0.0)
        y0 = anchor[1] + dy / _AXES_PT[1] - (height if dy < 0 else 0.0)
        box = (x0, y0, x0 + width, y0 + height)
        if x0 < 0 or y0 < 0 or box[2] > 1 or box[3] > 1:
            continue
        if not any(box[0] < t[2] and t[0] < box[2] and box[1] < t[3] and t[1] < box[3] for t in taken):
            return (dx, dy), box
        fallback = fallback or ((dx, dy), box)
    return fallback or ((_SPOTS[0]), (anchor[0], anchor[1] - height, anchor[0] + width, anchor[1]))


def _sweep_marks(sweep: Sweep) -> dict[int, list[str]]:
    marks: dict[int, list[str]] = {}
    for index, mark in ((sweep.best(), "best"), (sweep.knee(), "knee")):
        if index is not None:
            marks.setdefault(index, []).append(mark)
    return marks


def _sweep_slo(axes: Axes, sweep: Sweep, scale: float) -> float | None:
    """Draw the SLO limit when it is on the plotted metric (returns its x); otherwise say it is not drawn."""
    if sweep.slo is None:
        return None
    if sweep.slo.metric == sweep.metric:
        axes.axvline(sweep.slo.limit_ns / scale, color="#b2182b", linestyle="--", linewidth=1.3,
                     label=f"SLO {sweep.slo.text()}")
        return sweep.slo.limit_ns / scale
    axes.text(0.99, 0.98, f"SLO {sweep.slo.text()} (another metric: not drawn)", transform=axes.transAxes,
              ha="right", va="top", fontsize=7.5, color="#b2182b")
    return None


def _failed_note(axes: Axes, sweep: Sweep) -> None:
    failed = [point.label for point in sweep.points if point.errors]
    if failed:
        listed = ", ".join(_short(label, 24) for label in failed[:6]) + (" …" if len(failed) > 6 else "")
        axes.text(0.99, 0.02, f"failed, not plotted: {listed}", transform=axes.transAxes, ha="right", va="bottom",
                  fontsize=7.5, color="#b2182b")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
