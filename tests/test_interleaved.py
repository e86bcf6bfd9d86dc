"""Interleaved A/B (``run A --vs B``, comma lists): units in a seeded random order, each configuration's requests
back to back, the comparison by neighbouring units, --until-decided, the gates and ``compare`` of the saved
session. The fake engine's virtual clock makes every number exact; B draws its latencies from its own stream."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import infermeter
from cli_outcome import Outcome
from infermeter.errors import EXIT_NOT_VALID, EXIT_REGRESSION
from infermeter.results.comparison import EQUIVALENT, INCONCLUSIVE, SLOWER
from infermeter.results.interleaved import Sequential, replay, side_units
from infermeter.results.report import RunResult
from infermeter.results.session import Session
from infermeter.runs.files import load_session_or_report

A_B = ("run", "zoo:resnet18", "-e", "fake", "--vs", "zoo:resnet18", "--fake-latency", "lognormal:5ms,0.2",
       "--fake-vs-latency", "lognormal:5.5ms,0.2")
SYNC = (*A_B, "-api", "sync")
ASYNC = (*A_B, "-api", "async", "-nireq", "2")


def saved(im: Callable[..., Outcome], tmp_path: Path, *args: str) -> tuple[Outcome, Session, dict[str, Any]]:
    path = tmp_path / "s.json"
    outcome = im(*args, "-q", "-x", path)
    return outcome, load_session_or_report(path), json.loads(path.read_text())


def test_request_by_request_every_round_runs_each_side_once_in_a_seeded_order(im: Any, tmp_path: Path) -> None:
    outcome, session, data = saved(im, tmp_path, *SYNC, "-t", "2")
    assert outcome.code == 0
    record = session.interleaving
    assert record is not None and record.mode == "request" and record.burst == 1
    rounds = record.sides.reshape(-1, 2)
    assert all(sorted(pair) == [0, 1] for pair in rounds.tolist())
    assert 0.3 < float(np.mean(rounds[:, 0] == 0)) < 0.7  # random order, not A B A B
    assert data["labels"] == ["A", "B"] and data["interleaving"]["reason"].startswith("request by request")
    again = load_session_or_report(tmp_path / "s.json")
    assert again.interleaving is not None and np.array_equal(again.interleaving.sides, record.sides)
    runs = [reports[0].run for reports in session.reports]
    assert all(run is not None and run.window_ns >= 2_000_000_000 for run in runs)  # -t is per configuration


def test_a_side_s_requests_are_back_to_back_and_real_times_are_kept(im: Any, tmp_path: Path) -> None:
    _, session, _ = saved(im, tmp_path, *SYNC, "-t", "1")
    record = session.interleaving
    assert record is not None
    runs = [reports[0].run for reports in session.reports]
    assert all(run is not None for run in runs)
    run_a = runs[0]
    assert run_a is not None
    assert np.array_equal(run_a.start_ns[1:], run_a.end_ns[:-1])  # chained, the other side's time taken out
    # real time: unit k began at starts_ns[k] and lasted its latency; units never overlap
    durations = np.empty(len(record.sides), dtype=np.int64)
    for index, run in enumerate(runs):
        assert run is not None
        durations[record.sides == index] = run.latency_ns
    ends = record.starts_ns + durations
    assert np.all(record.starts_ns[1:] >= ends[:-1])
    assert np.array_equal(record.starts_ns[1:], ends[:-1])  # the virtual clock: back to back in real time too


def test_b_ten_percent_slower_is_slower_and_the_gate_exits_4(im: Any, tmp_path: Path) -> None:
    outcome, session, _ = saved(im, tmp_path, *SYNC, "-t", "3", "--fail-on-regression")
    assert outcome.code == EXIT_REGRESSION
    assert outcome.err == "infermeter: regression: B is slower than A on median beyond ±2.0% (B)\n"
    (label, comparison), = session.comparisons("median")
    assert label == "B" and comparison is not None and comparison.verdict == SLOWER
    assert 1.05 < comparison.ratio.low < 1.1 < comparison.ratio.high < 1.15
    assert comparison.method.startswith("interleaved requests (")


def test_compare_of_the_saved_session_gives_the_verdicts_run_gave(im: Any, tmp_path: Path) -> None:
    outcome, session, _ = saved(im, tmp_path, *SYNC, "-t", "3")
    assert outcome.code == 0  # no gate asked for
    compared = im("compare", tmp_path / "s.json", "--markdown")
    assert compared.code == EXIT_REGRESSION
    (_, comparison), = session.comparisons("median")
    assert comparison is not None
    assert f"| median | {comparison.a / 1e6:.3f} ms | {comparison.b / 1e6:.3f} ms |" in compared.out
    assert "**B is" in compared.out and "interleaved requests" in compared.out


def test_an_a_a_of_two_compiled_copies_covers_one(im: Any, tmp_path: Path) -> None:
    outcome, session, _ = saved(im, tmp_path, "run", "zoo:resnet18", "-e", "fake", "--vs", "zoo:resnet18",
                                "--fake-latency", "lognormal:5ms,0.2", "-api", "sync", "-t", "3")
    assert outcome.code == 0
    (_, comparison), = session.comparisons("median")
    assert comparison is not None and comparison.ratio.low <= 1.0 <= comparison.ratio.high
    assert comparison.verdict in (EQUIVALENT, INCONCLUSIVE)


def test_bursts_keep_requests_in_flight_and_compare_throughput(im: Any, tmp_path: Path) -> None:
    outcome, session, _ = saved(im, tmp_path, *ASYNC, "-t", "2")
    assert outcome.code == 0
    record = session.interleaving
    assert record is not None and record.mode == "burst" and record.burst >= 4  # at least 2 per request in flight
    assert set(record.counts.tolist()) == {record.burst}
    (_, comparison), = session.comparisons("throughput")
    assert comparison is not None and comparison.verdict == SLOWER
    assert comparison.method.startswith(f"interleaved bursts of {record.burst} (")
    run_a = session.reports[0][0].run
    assert run_a is not None and run_a.requests == 2
    units = side_units(record, [r[0].run for r in session.reports], 0)
    assert int(units.durations.sum()) == run_a.window_ns  # bursts laid back to back


def test_until_decided_stops_when_decided_and_a_fixed_session_replays_it(im: Any, tmp_path: Path) -> None:
    outcome, live, _ = saved(im, tmp_path, *SYNC, "--until-decided", "--max-time", "6")
    assert outcome.code == 0
    record = live.interleaving
    assert record is not None and record.sequential is not None
    decided_at = record.sequential.decided_at
    assert decided_at is not None and "--until-decided: decided after" in outcome.out
    run_a = live.reports[0][0].run
    assert run_a is not None and 1e9 <= run_a.window_ns < 2e9  # at least -t 1 s (the default), well under 6 s
    (_, comparison), = live.comparisons("median")
    assert comparison is not None and comparison.verdict == SLOWER and comparison.method.endswith("anytime-valid)")
    fixed = tmp_path / "fixed.json"
    im(*SYNC, "-t", "6", "-q", "-x", fixed)
    session = load_session_or_report(fixed)
    assert session.interleaving is not None
    runs: list[RunResult | None] = [reports[0].run for reports in session.reports]
    assert replay(session.interleaving, runs, session.pairs(), Sequential("median", 10**9, 6 * 10**9), 0.02) == \
        decided_at


def test_until_decided_an_a_a_is_equivalent_or_runs_out_of_time(im: Any, tmp_path: Path) -> None:
    outcome, session, _ = saved(im, tmp_path, "run", "zoo:resnet18", "-e", "fake", "--vs", "zoo:resnet18",
                                "--fake-latency", "lognormal:5ms,0.05", "-api", "sync", "--until-decided",
                                "--max-time", "20", "--require-decided")
    (_, comparison), = session.comparisons("median")
    assert comparison is not None and comparison.verdict == EQUIVALENT
    assert outcome.code == 0


def test_require_decided_exits_3_when_the_time_runs_out(im: Any, tmp_path: Path) -> None:
    outcome, session, _ = saved(im, tmp_path, "run", "zoo:resnet18", "-e", "fake", "--vs", "zoo:resnet18",
                                "--fake-latency", "lognormal:5ms,0.3", "--fake-vs-latency", "lognormal:5.1ms,0.3",
                                "-api", "sync", "--until-decided", "--max-time", "2", "--require-decided")
    assert outcome.code == EXIT_NOT_VALID
    assert outcome.err.startswith("infermeter: undecided: B on median")
    record = session.interleaving
    assert record is not None and record.sequential is not None and record.sequential.decided_at is None


def test_comma_lists_with_vs_compare_each_b_with_its_a(im: Any, tmp_path: Path) -> None:
    outcome, session, _ = saved(im, tmp_path, *ASYNC[:-1], "1,2", "-t", "1")
    assert outcome.code == 0
    assert session.labels == ("A nireq=1", "A nireq=2", "B nireq=1", "B nireq=2")
    assert session.pairs() == [(0, 2), (1, 3)]
    assert "B nireq=1 vs A nireq=1:" in outcome.out and "B nireq=2 vs A nireq=2:" in outcome.out


def test_paired_rounds_pair_by_round_index() -> None:
    """A round that measured nothing for B drops that round only (it used to shift every later pair)."""
    session = infermeter.compare_configurations(
        "zoo:resnet18", [{"fake_latency": "cycle:1ms,2ms,3ms"}, {"fake_latency": "cycle:1.1ms,2.2ms,3.3ms"}],
        rounds=3, engine="fake", api="sync", niter=30, no_warmup=True, seed=0)
    empty = RunResult("latency", 1, 1, np.empty(0, np.int64), np.empty(0, np.int64))
    b = session.reports[1]
    broken = dataclasses.replace(session, reports=(session.reports[0],
                                                   (dataclasses.replace(b[0], run=empty), *b[1:])))
    runs_a, runs_b = broken.paired_runs(0, 1)
    assert len(runs_a) == len(runs_b) == 2
    assert runs_a[0] is session.reports[0][1].run and runs_b[0] is b[1].run  # round 2 with round 2
    (_, comparison), = broken.comparisons("median")
    assert comparison is not None and comparison.ratio.estimate == pytest.approx(1.1)
