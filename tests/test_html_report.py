"""The self-contained HTML report of a run, a session and a sweep, on the fake engine (exact values)."""

from __future__ import annotations

import dataclasses
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from infermeter import __version__, compare_configurations
from infermeter.config.benchmark import build_config
from infermeter.errors import UsageError
from infermeter.measure import run as app
from infermeter.reporters import plots
from infermeter.reporters.html import report_html, session_html, sweep_html, write_html
from infermeter.results.counters import Counters, LayerCounter
from infermeter.results.report import Report
from infermeter.results.session import Session
from infermeter.results.sweep import Slo, Sweep, SweepPoint

EVIL = '<script>alert("x")</script> & $\\frac{1}{0}$ \'q\' 🚀 名前'
VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "embed", "source", "track", "wbr"}


def fake_report(**options: object) -> Report:
    settings: dict[str, object] = {"engine": "fake", "no_warmup": True, "fake_latency": "lognormal:5ms,0.2",
                                   **options}
    return app.run(build_config("zoo:resnet18", **settings))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def report() -> Report:
    return fake_report(api="sync", niter=200)


@pytest.fixture(scope="module")
def session() -> Session:
    return compare_configurations("zoo:resnet18", [{"nireq": 1}, {"nireq": 4}], rounds=2, engine="fake", api="async",
                                  niter=200, no_warmup=True, fake_latency="lognormal:5ms,0.2", fake_contention=0.25)


@pytest.fixture(scope="module")
def sweep() -> Sweep:
    points = [SweepPoint({"nireq": str(n)}, (fake_report(api="async", nireq=n, niter=200, fake_contention=0.25),))
              for n in (1, 2, 4, 8)]
    points.append(SweepPoint({"nireq": "16"}, (), ("exit 1: engine crashed <boom>",)))
    return Sweep("zoo:resnet18", {"nireq": ["1", "2", "4", "8", "16"]}, tuple(points), slo=Slo("median", 12_000_000))


class Structure(HTMLParser):
    """Checks that every element is closed in order; collects ids, references and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[str] = []
        self.ids: list[str] = []
        self.references: list[str] = []
        self.text: list[str] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(tag, attrs)

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name in ("href", "xlink:href") and value and value.startswith("#"):
                self.references.append(value[1:])
            if value and "url(#" in value:
                self.references += re.findall(r"url\(#([^)]+)\)", value)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] not in ("style", "script"):
            self.text.append(data)


def parsed(page: str) -> Structure:
    parser = Structure()
    parser.feed(page)
    parser.close()
    assert parser.doctype.lower() == "doctype html"
    assert not parser.problems, parser.problems[:5]
    assert parser.stack == []
    assert parser.tags.count("html") == parser.tags.count("head") == parser.tags.count("body") == 1
    assert parser.tags.count("title") == 1
    assert len(parser.ids) == len(set(parser.ids)), "duplicate ids in the page"
    assert set(parser.references) <= set(parser.ids), "a reference to an id that is not in the page"
    return parser


def text_of(page: str) -> str:
    return " ".join(" ".join(parsed(page).text).split())


def assert_offline(page: str) -> None:
    """No URL anywhere but the SVG namespace declarations; nothing loaded from outside the file."""
    without_namespaces = re.sub(r'xmlns(:\w+)?="http://www\.w3\.org/[^"]*"', "", page)
    assert "http://" not in without_namespaces and "https://" not in without_namespaces
    for forbidden in ("<script", "<link", "<iframe", "<img", "@import", "@font-face", " src="):
        assert forbidden not in page.lower()
    assert not re.findall(r"url\((?!#)", page)


# --- one run ----------------------------------------------------------------------------------------------


def test_report_page_is_valid_offline_html_with_three_figures(report: Report) -> None:
    page = report_html(report)
    parsed(page)
    assert_offline(page)
    assert page.count("<svg") == 3
    assert "<title>infermeter: zoo:resnet18</title>" in page


def test_report_page_shows_the_exact_fake_engine_numbers(report: Report) -> None:
    text = text_of(report_html(report))
    for expected in ("195.9 ± 6.0", "[189.9, 201.9]", "5.045 ms ± 211 µs", "7.200 ms", "[4.843, 5.256]",
                     "[6.189, 6.768]", "no CI: needs more samples (200 taken)", "200 items (batch 1) in 1.021 s",
                     "first inference 5.127 ms", "VALID"):
        assert expected in text, expected
    # a per-request spread of 19 % (lognormal σ 0.2) is the model's own: the 100-ms block means agree
    assert ("TOO_FEW_SAMPLES (note): 200 requests measured; p99 shown, but its CI needs 368 → measure more requests: "
            "-niter 368 or a longer -t") in text
    assert "HIGH_VARIANCE" not in text
    assert ("What was timed latency = one blocking infer call, one clock read after each call ends it and starts the "
            "next (the loop's bookkeeping between calls, a fraction of a µs, counts in the latency); one request at "
            "a time; throughput = batch × completed requests / (last completion − first submission); inputs "
            "prepared and bound once before timing; outputs stay in engine memory; warm-up (none) and the first "
            "inference are excluded.") in text
    assert f"CPU {report.environment.cpu_model}" in text  # this machine's CPU: the page shows what was recorded
    assert "precision none (fake engine)" in text and "requests in flight 1" in text
    assert "input float32 1×3×224×224 random normal N(0,1), seed 0 602,112" in text


def test_report_page_is_deterministic_and_survives_a_json_round_trip(report: Report) -> None:
    first = report_html(report)
    assert report_html(report) == first
    assert report_html(Report.from_dict(report.to_dict())) == first


def test_names_and_messages_are_escaped(report: Report) -> None:
    evil = dataclasses.replace(report, model=dataclasses.replace(report.model, ref=EVIL), notes=(EVIL,), error=EVIL,
                               engine=dataclasses.replace(report.engine, why=EVIL))
    page = report_html(evil)
    parsed(page)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in page
    assert EVIL in text_of(page)


def test_a_100k_sample_run_stays_small_and_its_scatter_is_an_image() -> None:
    big = fake_report(api="async", nireq=4, niter=100_000)
    assert big.run is not None and big.run.count == 100_000
    page = report_html(big)
    assert len(page.encode()) < 1_500_000
    assert page.count("data:image/png;base64,") == 1  # latency over time, rasterised


def test_a_small_run_is_all_vector(report: Report) -> None:
    assert "data:image/png" not in report_html(report)


def test_per_shape_statistics_and_per_layer_counters() -> None:
    shaped = fake_report(api="sync", niter=12, data_shape="[1,3,224,224][1,3,112,112]",
                         fake_latency="cycle:1ms,3ms")
    layers = [LayerCounter(f"layer{k}", "Convolution", "jit_avx2", "EXECUTED", (k + 1) * 10_000, 0)
              for k in range(25)]
    page = report_html(dataclasses.replace(shaped, counters=Counters.of(layers, None)))
    text = text_of(page)
    assert "Latency per data shape" in text
    assert "input[1,3,224,224] 6 3.000 ms 3.000 ms 3.000 ms 3.000 ms –" in text
    assert "input[1,3,112,112] 6 1.000 ms 1.000 ms 1.000 ms 1.000 ms –" in text
    assert "showing the 20 slowest of 25 layers" in text
    assert text.index("layer24 ") < text.index("layer5 ")
    assert "layer4 " not in text  # the 21st slowest and below are left out
    assert "total (25 layers) 3.250" in text
    assert "layers sum to 3.250 ms = 162.5 % of the median latency (2.000 ms)" in text


def test_compile_only_report_has_no_figures() -> None:
    page = report_html(fake_report(niter=0))
    parsed(page)
    assert "<svg" not in page
    assert "Compile only (-niter 0)" in text_of(page)


# --- session ----------------------------------------------------------------------------------------------


def test_session_page(session: Session) -> None:
    page = session_html(session)
    parsed(page)
    assert_offline(page)
    assert page.count("<svg") == 1 + len(session.labels)
    text = text_of(page)
    assert "2 configuration(s) · 2 of 2 rounds each" in text
    for expected in (
        "Configurations configuration throughput (items/s) latency median latency p99 rounds verdicts "
        "nireq=1 197.5 ± 20.5 4.929 ms ± 1.7 ms 7.746 ms ± 12 ms 2 VALID ×2 "
        "nireq=4 449.5 ± 50.5 8.576 ms ± 2.3 ms 13.56 ms ± 21 ms 2 INSUFFICIENT ×2 (SHORT_RUN)",
        "Against nireq=1 configuration (B) metric ratio B/A [95 % CI] verdict method "
        "nireq=4 throughput (items/s) 2.276× [2.259, 2.293] B is 127.6% faster (CI 125.9% to 129.3%, beyond ±2.0%) "
        "paired rounds (2) "
        "nireq=4 latency median 1.740× [1.638, 1.849] B is 42.5% slower (CI 38.9% to 45.9%, beyond ±2.0%) paired "
        "rounds (2) "
        "nireq=4 latency p99 1.750× [1.750, 1.750] B is 42.9% slower (CI 42.9% to 42.9%, beyond ±2.0%) paired "
        "rounds (2) "
        "A = nireq=1; ratios paired by round; threshold 2.0%.",
        f"nireq=1 fake {__version__} · precision none (fake engine) · 1 request(s) in flight 400 requests of 2 "
        "round(s), pooled.",
        f"nireq=4 fake {__version__} · precision none (fake engine) · 4 request(s) in flight 400 requests of 2 "
        "round(s), pooled.",
    ):
        assert expected in text, expected
    assert session_html(session) == page


def test_session_labels_are_escaped(session: Session) -> None:
    evil = dataclasses.replace(session, labels=(EVIL, *session.labels[1:]))
    page = session_html(evil)
    parsed(page)
    assert "<script" not in page.lower() and EVIL in text_of(page)


# --- sweep ------------------------------------------------------------------------------------------------


def test_sweep_page(sweep: Sweep) -> None:
    page = sweep_html(sweep)
    parsed(page)
    assert_offline(page)
    assert page.count("<svg") == 2  # the curve and the best point's latency histogram
    text = text_of(page)
    assert (sweep.best(), sweep.knee()) == (2, 2)
    for expected in (
        "best (throughput) -nireq 4 meets the SLO median <= 12 ms best throughput 445.7 items/s best latency median "
        "8.736 ms p99 12.60 ms knee -nireq 4 past it, each step buys less throughput",
        "Pareto frontier (no other point has both more throughput and less latency): -nireq 1 → -nireq 2 → -nireq 4 "
        "→ -nireq 8 knee: -nireq 4 — past it, each step buys less throughput per unit of added latency",
        "Points (by throughput) point items/s latency median latency p99 runs marks error "
        "-nireq 8 568.2 13.72 ms 19.80 ms 1/1 frontier "
        "-nireq 4 445.7 8.736 ms 12.60 ms 1/1 best, knee, frontier "
        "-nireq 2 313.6 6.306 ms 9.000 ms 1/1 frontier "
        "-nireq 1 195.9 5.045 ms 7.200 ms 1/1 frontier "
        "-nireq 16 – – – 0/1 failed: exit 1: engine crashed <boom>",
        "Best configuration: -nireq 4 nireq 4 Measure it again with: infermeter run zoo:resnet18 -nireq 4",
    ):
        assert expected in text, expected
    assert "&lt;boom&gt;" in page
    assert re.findall(r'<tr(?: class="(\w+)")?><td>(-nireq \d+)</td>', page) == [
        ("", "-nireq 8"), ("best", "-nireq 4"), ("", "-nireq 2"), ("", "-nireq 1"), ("failed", "-nireq 16")]
    assert sweep_html(sweep) == page


def test_sweep_without_measured_points_still_renders() -> None:
    empty = Sweep("zoo:resnet18", {"nireq": ["1"]}, (SweepPoint({"nireq": "1"}, (), ("timed out",)),))
    page = sweep_html(empty)
    parsed(page)
    assert "none" in text_of(page) and page.count("<svg") == 1


def test_sweep_names_are_escaped(sweep: Sweep) -> None:
    evil = dataclasses.replace(sweep, model=EVIL, points=(
        dataclasses.replace(sweep.points[0], options={"nireq": EVIL}), *sweep.points[1:]))
    page = sweep_html(evil)
    parsed(page)
    assert "<script" not in page.lower() and EVIL in text_of(page)


# --- plots and files --------------------------------------------------------------------------------------


def test_figures_scope_their_ids_and_drop_the_prolog(report: Report) -> None:
    assert report.run is not None
    svg = plots.latency_histogram(report.run.latency_ns, "abc")
    assert svg.startswith("<svg") and "<?xml" not in svg and "DOCTYPE" not in svg and "<metadata" not in svg
    ids = re.findall(r' id="([^"]+)"', svg)
    assert ids and all(name.startswith("abc-") for name in ids)
    assert plots.latency_histogram(report.run.latency_ns, "abc") == svg


def test_rolling_median() -> None:
    x = np.arange(10, dtype=np.float64)
    y = np.array([1, 1, 1, 9, 1, 5, 5, 5, 5, 5], dtype=np.float64)
    centres, medians = plots.rolling_median(x, y, 3)
    assert centres.tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert medians.tolist() == [1, 1, 1, 5, 5, 5, 5, 5]
    assert len(plots.rolling_median(x, y, 11)[0]) == 0


def test_missing_matplotlib_is_a_usage_error(report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(UsageError, match=r"pip install 'infermeter\[report\]'"):
        report_html(report)


def test_write_html_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    assert write_html(target, "<!DOCTYPE html>\n<p>µ</p>\n") == target
    assert target.read_text(encoding="utf-8") == "<!DOCTYPE html>\n<p>µ</p>\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


@pytest.mark.parametrize("where", ["missing/report.html", "folder"])
def test_write_html_to_an_unwritable_path_names_it(tmp_path: Path, where: str) -> None:
    (tmp_path / "folder").mkdir()
    target = tmp_path / where
    with pytest.raises(UsageError, match=re.escape(str(target))):
        write_html(target, "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]
    assert list((tmp_path / "folder").iterdir()) == []
