"""Exports people paste and load: Markdown, CSV (runs and samples), the export manager, pandas and HTML repr.

Every result comes from the fake engine on its fake clock, so the numbers are exact.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infermeter import compare_configurations
from infermeter.config.benchmark import build_config
from infermeter.errors import UsageError
from infermeter.measure import run as app
from infermeter.reporters.export import (
    Export,
    parse_exports,
    render,
    to_json,
    write_exports,
    write_text,
)
from infermeter.reporters.notebook import repr_html, to_pandas
from infermeter.reporters.tables import (
    RUN_COLUMNS,
    report_markdown,
    runs_csv,
    samples_csv,
    session_markdown,
    sweep_markdown,
)
from infermeter.results.report import Report, RunResult
from infermeter.results.session import Session
from infermeter.results.sweep import Sweep, SweepPoint

RUN_HEADER = [name for name, _ in RUN_COLUMNS]


@pytest.fixture(scope="module")
def report() -> Report:
    """100 back-to-back requests of 2, 3, 1, 2, 3, 1, … ms: 200 ms, 500 items/s."""
    return app.run(build_config("zoo:resnet18", engine="fake", api="sync", niter=100, no_warmup=True,
                                fake_latency="cycle:1ms,2ms,3ms"))


@pytest.fixture(scope="module")
def session() -> Session:
    return compare_configurations("zoo:resnet18", [{"nireq": 1}, {"nireq": 2}], rounds=2, engine="fake",
                                  api="async", niter=50, no_warmup=True, fake_latency="cycle:1ms,2ms,3ms")


def contended(nireq: int) -> Report:
    return app.run(build_config("zoo:resnet18", engine="fake", api="async", nireq=nireq, niter=100, no_warmup=True,
                                fake_latency="4ms", fake_contention=0.25))


@pytest.fixture(scope="module")
def sweep() -> Sweep:
    points = [SweepPoint({"nireq": str(n)}, (contended(n),)) for n in (1, 2, 4, 8)]
    points.append(SweepPoint({"nireq": "16"}, (), ("exit code 1: boom",)))
    return Sweep("zoo:resnet18", {"nireq": ["1", "2", "4", "8", "16"]}, tuple(points))


def parse(text: str) -> list[dict[str, str]]:
    assert "\r" not in text and text.endswith("\n")
    return list(csv.DictReader(io.StringIO(text)))


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Each table: its rows, each a list of cells (split on pipes that are not escaped)."""
    tables: list[list[list[str]]] = []
    previous = False
    for line in text.splitlines():
        is_row = line.startswith("|")
        if is_row:
            assert line.endswith("|"), line
            cells = [c.strip() for c in line.replace("\\|", "\0")[1:-1].split("|")]
            if not previous:
                tables.append([])
            tables[-1].append([c.replace("\0", "|") for c in cells])
        previous = is_row
    for table in tables:
        assert len({len(row) for row in table}) == 1, table
        assert all(set(c) <= set("-:") and c for c in table[1]), table[1]
    return tables


# --- runs CSV --------------------------------------------------------------------------------------------------


def test_runs_csv_of_a_report_has_exact_numbers(report: Report) -> None:
    text = runs_csv(report)
    assert text.splitlines()[0] == ",".join(RUN_HEADER)
    (row,) = parse(text)
    assert row | {"throughput_ci_low": "", "throughput_ci_high": ""} == {
        "label": "zoo:resnet18", "round": "1", "engine": "fake", "device": "CPU", "precision": "none (fake engine)",
        "scenario": "latency", "requests_in_flight": "1", "batch": "1", "count": "100", "window_ns": "200000000",
        "throughput_items_per_s": "500.0", "throughput_ci_low": "", "throughput_ci_high": "",
        "latency_mean_ns": "2000000.0", "latency_median_ns": "2000000.0", "latency_p90_ns": "3000000.0",
        "latency_p95_ns": "3000000.0", "latency_p99_ns": "3000000.0", "latency_min_ns": "1000000",
        "latency_max_ns": "3000000", "latency_median_ci_low_ns": "2000000.0",
        "latency_median_ci_high_ns": "2000000.0", "cpu_ns_per_item": "", "machine_busy_share": "",
        "peak_rss_read_bytes": "", "peak_rss_compile_bytes": "", "peak_rss_measure_bytes": "",
        "verdict": "INSUFFICIENT", "partial": "false", "error": ""}  # no cost figures on the fake engine
    interval = report.run.throughput_interval if report.run else None
    assert interval is not None
    assert float(row["throughput_ci_low"]) == interval.low  # full precision: the float round-trips
    assert float(row["throughput_ci_high"]) == interval.high


def test_runs_csv_of_a_session_is_one_row_per_configuration_and_round(session: Session) -> None:
    rows = parse(runs_csv(session))
    assert [(r["label"], r["round"], r["requests_in_flight"], r["count"]) for r in rows] == [
        ("nireq=1", "1", "1", "50"), ("nireq=1", "2", "1", "50"), ("nireq=2", "1", "2", "50"),
        ("nireq=2", "2", "2", "50")]
    assert [float(r["throughput_items_per_s"]) for r in rows] == [50e9 / 101_000_000] * 2 + [50e9 / 51_000_000] * 2
    assert {r["latency_p99_ns"] for r in rows} == {""}  # 50 samples: p99 is missing, not invented
    assert {r["latency_median_ns"] for r in rows} == {"2000000.0"}


def test_runs_csv_of_a_sweep_has_option_columns_and_failed_rows(sweep: Sweep) -> None:
    text = runs_csv(sweep)
    assert text.splitlines()[0] == ",".join([*RUN_HEADER, "option_nireq"])
    rows = parse(text)
    assert [(r["label"], r["option_nireq"], r["requests_in_flight"], r["throughput_items_per_s"]) for r in rows] == [
        ("-nireq 1", "1", "1", "250.0"), ("-nireq 2", "2", "2", "400.0"), ("-nireq 4", "4", "4", "571.4285714285714"),
        ("-nireq 8", "8", "8", "719.4244604316547"), ("-nireq 16", "16", "", "")]
    assert [r["latency_median_ns"] for r in rows] == ["4000000.0", "5000000.0", "7000000.0", "11000000.0", ""]
    assert rows[-1]["error"] == "exit code 1: boom" and rows[-1]["count"] == "" and rows[-1]["round"] == "1"


def test_runs_csv_of_several_results_concatenates(report: Report, sweep: Sweep) -> None:
    rows = parse(runs_csv([report, report, sweep]))
    assert len(rows) == 7
    assert rows[0]["option_nireq"] == "" and rows[2]["option_nireq"] == "1"


def test_runs_csv_of_a_failed_report_keeps_the_error(report: Report) -> None:
    failed = dataclasses.replace(report, run=None, error="engine exploded")
    (row,) = parse(runs_csv(failed))
    assert (row["count"], row["throughput_items_per_s"], row["partial"], row["error"]) == ("", "", "true",
                                                                                          "engine exploded")
    assert row["engine"] == "fake" and row["batch"] == "1"


# --- samples CSV -----------------------------------------------------------------------------------------------


def test_samples_csv_of_a_report(report: Report) -> None:
    lines = samples_csv(report).splitlines()
    assert lines[:5] == ["label,round,index,start_offset_ns,latency_ns", "zoo:resnet18,1,0,0,2000000",
                         "zoo:resnet18,1,1,2000000,3000000", "zoo:resnet18,1,2,5000000,1000000",
                         "zoo:resnet18,1,3,6000000,2000000"]
    rows = parse(samples_csv(report))
    assert len(rows) == 100
    assert [int(r["index"]) for r in rows] == list(range(100))
    assert sum(int(r["latency_ns"]) for r in rows) == 200_000_000
    assert all("." not in r["start_offset_ns"] + r["latency_ns"] for r in rows)  # integers only


def test_samples_csv_of_a_session_labels_rounds(session: Session) -> None:
    rows = parse(samples_csv(session))
    assert len(rows) == 4 * 50
    assert [(r["label"], r["round"]) for r in rows[::50]] == [("nireq=1", "1"), ("nireq=1", "2"), ("nireq=2", "1"),
                                                              ("nireq=2", "2")]
    assert rows[0]["start_offset_ns"] == "0"


def test_samples_csv_has_a_group_column_with_shape_groups(report: Report) -> None:
    starts = np.array([0, 10, 20, 30], dtype=np.int64)
    run = RunResult("latency", 1, 1, starts + 1000, starts + 1005, groups=np.array([0, 1, 0, 1], dtype=np.int16),
                    group_labels=("a", "b"))
    grouped = dataclasses.replace(report, run=run)
    assert samples_csv(grouped).splitlines() == ["label,round,index,start_offset_ns,latency_ns,group",
                                                 "zoo:resnet18,1,0,0,5,0", "zoo:resnet18,1,1,10,5,1",
                                                 "zoo:resnet18,1,2,20,5,0", "zoo:resnet18,1,3,30,5,1"]
    both = parse(samples_csv([grouped, report]))
    assert len(both) == 104 and both[4]["group"] == ""


def test_samples_csv_of_a_sweep(sweep: Sweep) -> None:
    rows = parse(samples_csv(sweep))
    assert len(rows) == 4 * 100  # the failed point has no samples
    assert {r["label"] for r in rows} == {"-nireq 1", "-nireq 2", "-nireq 4", "-nireq 8"}


# --- Markdown --------------------------------------------------------------------------------------------------


def test_report_markdown(report: Report) -> None:
    text = report_markdown(report)
    setup, results = markdown_tables(text)
    assert setup[0] == ["model", "engine", "device", "precision", "scenario", "requests in flight", "batch"]
    assert setup[2] == ["zoo:resnet18", "fake 0.1.0", "CPU", "none (fake engine)", "latency", "1", "1"]
    assert results[0] == ["metric", "value", "unit"]
    assert results[2:] == [
        ["throughput", "500.0 ± 13.4", "items/s"], ["latency median", "2.000 ± 0.000", "ms"],
        ["latency p90", "3.000 ± 0.000", "ms"], ["latency p95", "3.000 ± 0.000", "ms"],
        ["latency p99", "3.000", "ms"], ["latency mean", "2.000", "ms"], ["latency min", "1.000", "ms"],
        ["latency max", "3.000", "ms"], ["cost", "–", "not measured on the fake engine (virtual clock)"]]
    assert "**Verdict: INSUFFICIENT** (SHORT_RUN); notes: TOO_FEW_SAMPLES" in text.splitlines()
    assert "100 requests (100 items) in 200.0 ms" in text
    assert f"What was timed: {report.timed}" in text


def test_report_markdown_escapes_pipes_and_reports_failures(report: Report) -> None:
    odd = dataclasses.replace(report, model=dataclasses.replace(report.model, ref="a|b\nc"), run=None,
                              error="it | broke")
    text = report_markdown(odd)
    (setup,) = markdown_tables(text)
    assert setup[2][0] == "a|b c"
    assert "PARTIAL" in text.splitlines()[0]
    assert "nothing was measured" in text and "error: it \\| broke" in text


def test_session_markdown(session: Session) -> None:
    text = session_markdown(session)
    (table,) = markdown_tables(text)
    assert table[0] == ["configuration", "throughput (items/s)", "latency median", "latency p99",
                        "B/A throughput [95% CI]", "verdict", "runs"]
    assert table[2][:6] == ["nireq=1", "495.0 ± 0.0", "2.000 ms ± 0 ns", "–", "baseline", ""]
    assert table[3][:6] == ["nireq=2", "980.4 ± 0.0", "2.000 ms ± 0 ns", "–", "1.980× [1.980, 1.980]",
                            "B is 98.0% faster (CI 98.0% to 98.0%, beyond ±2.0%)"]
    assert table[3][6].startswith("INSUFFICIENT ×2")
    assert "paired rounds (2)" in text and "2 of 2 round(s)" in text


def test_sweep_markdown(sweep: Sweep) -> None:
    text = sweep_markdown(sweep)
    (table,) = markdown_tables(text)
    assert table[2:] == [
        ["**-nireq 8**", "719.4", "11.00 ms", "11.00 ms", "1/1", "best, frontier"],
        ["-nireq 4", "571.4", "7.000 ms", "7.000 ms", "1/1", "knee, frontier"],
        ["-nireq 2", "400.0", "5.000 ms", "5.000 ms", "1/1", "frontier"],
        ["-nireq 1", "250.0", "4.000 ms", "4.000 ms", "1/1", "frontier"],
        ["-nireq 16", "–", "–", "–", "0/1", "failed (1): exit code 1: boom"]]
    assert "- knee: -nireq 4 — past it, each step buys less throughput per unit of added latency" in text


# --- export manager ---------------------------------------------------------------------------------------------


def test_several_exports_at_once(report: Report, tmp_path: Path) -> None:
    paths = {kind: tmp_path / f"out.{kind}" for kind in ("json", "md", "csv", "samples.csv")}
    exports = parse_exports(json=str(paths["json"]), markdown=str(paths["md"]), csv=str(paths["csv"]),
                            csv_samples=str(paths["samples.csv"]))
    assert [e.kind for e in exports] == ["json", "markdown", "csv", "csv-samples"]
    write_exports(exports, report)
    loaded = Report.from_dict(json.loads(paths["json"].read_text(encoding="utf-8")))
    assert loaded.run is not None and loaded.run.count == 100
    assert paths["md"].read_text(encoding="utf-8") == report_markdown(report)
    assert paths["csv"].read_text(encoding="utf-8") == runs_csv(report)
    assert len(parse(paths["samples.csv"].read_text(encoding="utf-8"))) == 100
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths.values())  # no temp files


def test_one_export_to_stdout(session: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exports = parse_exports(markdown="-", csv=str(tmp_path / "runs.csv"))
    assert exports == [Export("markdown", "-"), Export("csv", str(tmp_path / "runs.csv"))]
    write_exports(exports, session)
    assert capsys.readouterr().out == session_markdown(session)
    assert (tmp_path / "runs.csv").read_text(encoding="utf-8") == runs_csv(session)


def test_two_exports_to_stdout_are_refused() -> None:
    with pytest.raises(UsageError, match=r"only one export can go to stdout.*--export-markdown and --export-csv"):
        parse_exports(markdown="-", csv="-")


def test_bad_export_paths_are_refused_up_front(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--export-csv .*folder .* does not exist"):
        parse_exports(csv=str(tmp_path / "missing" / "runs.csv"))
    with pytest.raises(UsageError, match=r"--export-markdown .*is a folder"):
        parse_exports(markdown=str(tmp_path))
    with pytest.raises(UsageError, match=r"--export-csv-samples is empty"):
        parse_exports(csv_samples=" ")
    with pytest.raises(UsageError, match=r"--export-csv and --export-csv-samples both write"):
        parse_exports(csv=str(tmp_path / "x.csv"), csv_samples=str(tmp_path / "." / "x.csv"))
    with pytest.raises(UsageError, match="unknown export kind 'xml'"):
        Export("xml", "out.xml")
    assert parse_exports() == []


def test_a_failed_render_writes_nothing(report: Report, tmp_path: Path) -> None:
    markdown, page = tmp_path / "r.md", tmp_path / "r.html"
    markdown.write_text("old\n", encoding="utf-8")

    def broken(_: Any) -> str:
        raise RuntimeError("renderer failed")

    with pytest.raises(RuntimeError, match="renderer failed"):
        write_exports([Export("markdown", str(markdown)), Export("html", str(page))], report, html_renderer=broken)
    assert markdown.read_text(encoding="utf-8") == "old\n" and not page.exists()


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "runs.csv"
    target.write_text("old\n", encoding="utf-8")

    def no_rename(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(OSError, match="disk full"):
        write_text(str(target), "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["runs.csv"]


def test_new_exports_get_ordinary_permissions(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_text(str(tmp_path / "a.csv"), "x\n")
    finally:
        os.umask(previous)
    assert (tmp_path / "a.csv").stat().st_mode & 0o777 == 0o644
    (tmp_path / "a.csv").chmod(0o600)
    write_text(str(tmp_path / "a.csv"), "y\n")  # an existing file keeps its permissions
    assert (tmp_path / "a.csv").stat().st_mode & 0o777 == 0o600


def test_html_uses_the_given_renderer_or_the_html_reporter(report: Report, session: Session, sweep: Sweep,
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "r.html"
    write_exports([Export("html", str(page))], report, html_renderer=lambda r: f"<p>{type(r).__name__}</p>")
    assert page.read_text(encoding="utf-8") == "<p>Report</p>"
    fake = types.ModuleType("infermeter.reporters.html")
    for name in ("report_html", "session_html", "sweep_html"):
        setattr(fake, name, lambda result, name=name: f"{name}:{type(result).__name__}")
    monkeypatch.setitem(sys.modules, "infermeter.reporters.html", fake)
    assert [render("html", item) for item in (report, session, sweep)] == [
        "report_html:Report", "session_html:Session", "sweep_html:Sweep"]


def test_render_and_to_json_cover_every_kind(report: Report, sweep: Sweep) -> None:
    assert render("json", report) == to_json(report)
    assert render("markdown", sweep) == sweep_markdown(sweep)
    assert render("csv-samples", sweep) == samples_csv(sweep)
    again = Sweep.from_dict(json.loads(to_json(sweep)))
    assert [p.throughput for p in again.points] == [p.throughput for p in sweep.points]


# --- pandas and Jupyter -------------------------------------------------------------------------------------------


def test_to_pandas_runs(report: Report, session: Session, sweep: Sweep) -> None:
    pytest.importorskip("pandas")
    frame = to_pandas(report)
    assert list(frame.columns) == RUN_HEADER and len(frame) == 1
    dtypes = {name: str(frame[name].dtype) for name in ("round", "count", "window_ns", "latency_min_ns",
                                                         "throughput_items_per_s", "latency_median_ns", "partial")}
    assert dtypes == {"round": "int64", "count": "int64", "window_ns": "int64", "latency_min_ns": "int64",
                      "throughput_items_per_s": "float64", "latency_median_ns": "float64", "partial": "bool"}
    assert frame["window_ns"].iloc[0] == 200_000_000 and frame["throughput_items_per_s"].iloc[0] == 500.0
    assert len(to_pandas(session)) == 4
    swept = to_pandas(sweep)
    assert len(swept) == 5 and list(swept["option_nireq"]) == ["1", "2", "4", "8", "16"]
    assert str(swept["count"].dtype) == "Int64" and swept["count"].isna().tolist() == [False] * 4 + [True]
    assert np.isnan(swept["latency_median_ns"].iloc[4]) and swept["latency_median_ns"].iloc[0] == 4_000_000.0


def test_to_pandas_samples(report: Report, session: Session) -> None:
    pytest.importorskip("pandas")
    frame = to_pandas(report, samples=True)
    assert list(frame.columns) == ["label", "round", "index", "start_offset_ns", "latency_ns"]
    assert len(frame) == 100 and int(frame["latency_ns"].sum()) == 200_000_000
    assert {str(frame[c].dtype) for c in ("round", "index", "start_offset_ns", "latency_ns")} == {"int64"}
    both = to_pandas(session, samples=True)
    assert len(both) == 200 and both.groupby(["label", "round"]).size().tolist() == [50, 50, 50, 50]


def test_to_pandas_without_pandas_says_how_to_install(report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(UsageError, match=r"^to_pandas needs pandas: pip install pandas$"):
        to_pandas(report)


def test_repr_html_escapes_text(report: Report, session: Session, sweep: Sweep) -> None:
    text = repr_html(report)
    assert text.startswith("<table") and "500.0 ± 13.4" in text
    assert ">INSUFFICIENT</b> (SHORT_RUN)" in text
    hostile = dataclasses.replace(report, model=dataclasses.replace(report.model, ref="<script>alert(1)</script>"),
                                  error="a<b&c")
    text = repr_html(hostile)
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "a&lt;b&amp;c" in text
    assert "nireq=2" in repr_html(session) and "1.980× [1.980, 1.980]" in repr_html(session)
    bad = dataclasses.replace(sweep, points=(SweepPoint({"nireq": "1"}, (), ("<b>crash</b>",)),))
    assert "&lt;b&gt;crash&lt;/b&gt;" in repr_html(bad) and "<b>crash" not in repr_html(bad)
    assert "best, frontier" in repr_html(sweep)
