"""How a native framework (pytorch, litert) is laid out on the CPU: requests in flight and threads per request.

Neither framework has an async API worth the name on the CPU, so the throughput scenario runs one runner thread
per request in flight (``create_async_session`` returns None), as for onnxruntime. No SDK is imported here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..errors import UsageError
from .base import EngineOptions

RUNNER_THREADS_MODE = "runner threads, one per request in flight ({what})"


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


@dataclass
class NativePlan:
    requests: int
    threads: int
    reasons: list[str] = field(default_factory=list)


def plan_native(engine: str, options: EngineOptions) -> NativePlan:
    """Latency: one request with every usable core (or -nthreads). Throughput: one request per core (or -nstreams /
    -nireq), each with cores // requests threads (or -nthreads)."""
    cpus = usable_cpus()
    latency = (options.hint or options.goal) == "latency"
    requests = 1 if latency else cpus
    reasons: list[str] = []
    streams = _streams(engine, options.tuning.streams)
    if streams is not None:
        if latency:
            reasons.append(f"-nstreams {streams} not applied: the latency scenario runs one request at a time")
        else:
            requests = streams
            reasons.append(f"-nstreams {streams}: {streams} runner thread(s)")
    if options.requests and not latency:
        requests = options.requests
        reasons.append(f"-nireq {requests}: {requests} runner thread(s)")
    if options.threads:
        threads = options.threads
        reasons.insert(0, f"{threads} thread(s) per request (-nthreads)")
    elif latency:
        threads = cpus
        reasons.insert(0, f"latency: one request using all {cpus} usable cores")
    else:
        threads = max(1, cpus // requests)
        reasons.insert(0, f"throughput: {requests} request(s) in flight on {cpus} cores, {threads} thread(s) each")
    return NativePlan(requests, threads, reasons)


def _streams(engine: str, text: str | None) -> int | None:
    if text is None:
        return None
    value = text.rpartition(":")[2]
    if not value.isdigit():
        raise UsageError(f"-nstreams {text}: {engine} takes a number of runner threads (AUTO and per-device values "
                         "are openvino's)")
    return int(value)
