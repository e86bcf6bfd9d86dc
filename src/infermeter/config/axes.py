"""What a sweep can vary, with every spelling; no numpy here, so building the command line stays light."""

from __future__ import annotations

SWEEP_SCHEMA = "infermeter.sweep"
SWEEP_VERSION = 3
READABLE_SWEEP_VERSIONS = (1, 2, 3)  # results.upgrade brings 1 and 2 to 3
RUN_CONFIG_SCHEMA = "infermeter.run-config"
CAPACITY_SCHEMA = "infermeter.capacity"
CAPACITY_VERSION = 1
LATENCY_METRICS = ("median", "p90", "p95", "p99", "mean")
# swept option -> (flag passed to each run, every spelling accepted on the sweep command line)
AXES: dict[str, tuple[str, tuple[str, ...]]] = {
    "engine": ("-e", ("-e", "--engine")),
    "nireq": ("-nireq", ("-nireq", "--nireq", "--number_infer_requests")),
    "nstreams": ("-nstreams", ("-nstreams", "--nstreams", "--number_streams", "--num_streams")),
    "nthreads": ("-nthreads", ("-nthreads", "--nthreads", "--number_threads", "-ncores", "--num_cores")),
    "batch": ("-b", ("-b", "--batch", "--batch_size")),
    "hint": ("-hint", ("-hint", "--hint", "--perf_hint")),
    "infer_precision": ("-infer_precision", ("-infer_precision", "--infer-precision", "--infer_precision")),
    "qps": ("--qps", ("--qps",)),  # the offered load of --scenario server (a load sweep; capacity's replay)
}

__all__ = ["AXES", "CAPACITY_SCHEMA", "CAPACITY_VERSION", "LATENCY_METRICS", "READABLE_SWEEP_VERSIONS",
           "RUN_CONFIG_SCHEMA", "SWEEP_SCHEMA", "SWEEP_VERSION"]
