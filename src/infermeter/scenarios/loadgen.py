"""MLPerf LoadGen (the ``mlcommons-loadgen`` wheel, module ``mlperf_loadgen``) as the load generator of the server
scenario: ``--loadgen DIR``. LoadGen schedules Poisson arrivals at ``--qps`` and calls ``issue`` from its own
thread; runner threads (one per engine slot) run each sample and report it complete to LoadGen. LoadGen writes
its MLPerf logs (``mlperf_log_summary.txt``, ``mlperf_log_detail.txt``) to DIR, with its own figures
(``read_results``); infermeter keeps its own stamps of each sample: issued (when LoadGen handed it over: LoadGen
does not expose its scheduled times, so here lateness is not known and issued stands for scheduled), started and
completed. This is the only module that imports mlperf_loadgen (the ``loadgen`` extra).
"""

from __future__ import annotations

import json
import queue
import threading
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..clock import Clock
from ..engines.base import Session
from ..errors import EngineNotInstalled
from .base import Pace, Setup
from .drivers import private_copy
from .feed import CyclingSession
from .openloop import OpenLoopRecord
from .recording import SampleBuffer
from .stop import Stop

try:
    import mlperf_loadgen as lg
except ImportError as _missing:  # pragma: no cover - exercised when the extra is absent
    raise EngineNotInstalled("--loadgen needs MLPerf LoadGen: pip install 'infermeter[loadgen]'") from _missing

QSL_SIZE = 1024
SAFETY_LATENCY_NS = 10_000_000_000  # LoadGen's target latency: only its own validity verdict reads it


@dataclass(frozen=True)
class LoadGenResults:
    """LoadGen's own figures of a run, read from its detail log."""

    completed_qps: float | None
    scheduled_qps: float | None
    p50_ns: float | None
    p99_ns: float | None
    queries: int | None
    valid: str | None


def read_results(folder: Path) -> LoadGenResults:
    values: dict[str, Any] = {}
    for line in (folder / "mlperf_log_detail.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith(":::MLLOG "):
            entry = json.loads(line[len(":::MLLOG "):])
            values[str(entry.get("key"))] = entry.get("value")

    def number(key: str) -> float | None:
        value = values.get(key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    queries = number("result_query_count")
    return LoadGenResults(number("result_completed_samples_per_sec"), number("result_scheduled_samples_per_sec"),
                          number("result_50.00_percentile_latency_ns"), number("result_99.00_percentile_latency_ns"),
                          int(queries) if queries is not None else None,
                          str(values["result_validity"]) if "result_validity" in values else None)


def settings(qps: float, duration_ns: int, min_queries: int, seed: int) -> Any:
    test = lg.TestSettings()
    test.scenario = lg.TestScenario.Server
    test.mode = lg.TestMode.PerformanceOnly
    test.server_target_qps = qps
    test.server_target_latency_ns = SAFETY_LATENCY_NS
    test.min_duration_ms = max(1, duration_ns // 1_000_000)
    test.min_query_count = max(1, min_queries)
    test.schedule_rng_seed = seed + 1  # LoadGen's own generator, seeded from --seed
    return test


class LoadGenServer:
    """One LoadGen Server run over runner threads; ``run`` returns infermeter's record of it."""

    def __init__(self, infers: Sequence[Callable[[], None]], clock: Clock) -> None:
        self._infers = infers
        self._clock = clock

    def run(self, test: Any, folder: Path, progress: array) -> OpenLoopRecord:  # type: ignore[type-arg]
        work: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
        issued: list[int] = []
        clock = self._clock
        stamps: list[tuple[int, int, int]] = []  # (request, started, completed), appended by the runners

        def issue(samples: Sequence[Any]) -> None:
            now = clock()
            for sample in samples:
                issued.append(now)
                work.put((sample.id, len(issued) - 1))

        def runner(infer: Callable[[], None]) -> None:
            while True:
                sample_id, request = work.get()
                if request < 0:
                    return
                started = clock()
                infer()
                completed = clock()
                stamps.append((request, started, completed))
                lg.QuerySamplesComplete([lg.QuerySampleResponse(sample_id, 0, 0)])
                progress[0] = len(stamps)

        threads = [threading.Thread(target=runner, args=(infer,), daemon=True, name="infermeter-loadgen")
                   for infer in self._infers]
        for thread in threads:
            thread.start()
        sut = lg.ConstructSUT(issue, lambda: None)
        qsl = lg.ConstructQSL(QSL_SIZE, QSL_SIZE, lambda indices: None, lambda indices: None)
        log = lg.LogSettings()
        log.log_output.outdir = str(folder)
        log.log_output.copy_summary_to_stdout = False
        log.enable_trace = False
        try:
            lg.StartTestWithLogSettings(sut, qsl, test, log)
        finally:
            for _ in threads:
                work.put((0, -1))
            for thread in threads:
                thread.join()
            lg.DestroyQSL(qsl)
            lg.DestroySUT(sut)
        return _record(issued, stamps)


def _record(issued: list[int], stamps: list[tuple[int, int, int]]) -> OpenLoopRecord:
    n = len(issued)
    started, completed = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    for request, start, end in stamps:
        started[request], completed[request] = start, end
    keep = completed >= 0
    times = np.asarray(issued, dtype=np.int64)
    return OpenLoopRecord(times[keep], times[keep].copy(), started[keep], completed[keep], 0, n)


class LoadGenDriver:
    """The server scenario's driver with LoadGen issuing the requests (``--loadgen DIR``)."""

    in_worker_order = False
    engine_queue = False  # per-request service is timed around blocking calls: no throughput credit

    def __init__(self, setup: Setup, folder: str) -> None:
        compiled, feed = setup.compiled, setup.feed
        self._setup = setup
        self._folder = Path(folder)
        self._phase = 1
        self._record: OpenLoopRecord | None = None
        self.results: LoadGenResults | None = None
        sessions: list[Session]
        if feed is not None:
            sessions = [CyclingSession(compiled, feed) for _ in range(setup.requests)]
        else:
            sessions = [setup.first_session, *(compiled.create_session(private_copy(setup.inputs))
                                               for _ in range(setup.requests - 1))]
        self._server = LoadGenServer([session.infer for session in sessions], setup.clock)

    def buffers(self, min_requests: int, ring: bool) -> list[SampleBuffer]:
        return [SampleBuffer(ring=ring)]

    def restart(self) -> None:
        self._phase = 0

    def record(self) -> OpenLoopRecord | None:
        return self._record

    def run(self, stop: Stop, buffers: list[SampleBuffer], progress: array[int], errors: array[int] | None,
            pace: Pace | None) -> None:
        load = self._setup.load
        assert load.qps is not None
        folder = self._folder / ("warmup" if self._phase else "")
        folder.mkdir(parents=True, exist_ok=True)
        test = settings(load.qps, stop.duration_ns, stop.requests, self._setup.seed + self._phase)
        record = self._server.run(test, folder, progress)
        self._record = record
        buffers[0].extend(record.scheduled, record.completed)
        self.results = read_results(folder)
