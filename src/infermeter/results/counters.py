"""Per-layer performance counters (-pc, -report_type average_counters|detailed_counters, ORT profiling).

Engines turn what they measured into ``LayerCounter`` lists, one list per request object (OpenVINO) or per
run (ONNX Runtime profiling); everything else here is engine-agnostic and needs no engine SDK.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..errors import EngineError


@dataclass(frozen=True)
class LayerCounter:
    name: str  # layer (node) name
    layer_type: str  # operation type, e.g. Convolution
    exec_type: str  # kernel / implementation that ran, e.g. jit_avx512_FP32
    status: str  # EXECUTED | NOT_RUN | OPTIMIZED_OUT
    real_ns: int  # wall time of the layer
    cpu_ns: int  # CPU time of the layer (as the engine reports it; 0 when unknown)


EXECUTED = "EXECUTED"
SORT_MODES = ("sort", "simple_sort", "no_sort")  # benchmark_app's -pcsort
COUNTERS_SCHEMA = "infermeter.counters"
COUNTERS_SCHEMA_VERSION = 1
ORT_KERNEL_SUFFIX = "_kernel_time"  # ORT also writes <node>_fence_before / _fence_after events: not layer time


# --- OpenVINO ---------------------------------------------------------------------------------------------


def counters_from_openvino(profiling_info: Sequence[Any]) -> list[LayerCounter]:
    """``InferRequest.profiling_info`` (a list of ``ov.ProfilingInfo``) as counters, times exact to the ns."""
    return [
        LayerCounter(
            name=str(item.node_name),
            layer_type=str(item.node_type),
            exec_type=str(item.exec_type),
            status=status_name(item.status),
            real_ns=timedelta_ns(item.real_time),
            cpu_ns=timedelta_ns(item.cpu_time),
        )
        for item in profiling_info
    ]


def timedelta_ns(value: timedelta) -> int:
    """Integer nanoseconds of a timedelta (µs resolution), without going through a float."""
    if not isinstance(value, timedelta):
        raise TypeError(f"expected a datetime.timedelta, got {type(value).__name__}")
    return ((value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds) * 1_000


def status_name(status: Any) -> str:
    """EXECUTED / NOT_RUN / OPTIMIZED_OUT from an enum member (``.name``) or its text ("Status.NOT_RUN")."""
    name = getattr(status, "name", None)
    if isinstance(name, str):
        return name
    return str(status).rpartition(".")[2]


# --- ONNX Runtime profiling -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    start_us: int
    end_us: int
    thread: Any


def counters_from_ort_profile(path: str | Path) -> list[list[LayerCounter]]:
    """One counter list per ``model_run`` of an ORT profile (``SessionOptions.enable_profiling``).

    A node event belongs to the run whose [ts, ts + dur] holds its start (the same thread wins when runs
    overlap); repeated nodes of one run (loops) are summed. ORT reports no CPU time, so ``cpu_ns`` is 0.
    """
    events = _load_profile(Path(path))
    try:
        runs = sorted((_span(e) for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"),
                      key=lambda span: span.start_us)
        nodes = sorted((e for e in events if _is_kernel_event(e)), key=lambda e: _int_field(e, "ts"))
        starts = [run.start_us for run in runs]
        longest = max((run.end_us - run.start_us for run in runs), default=0)
        per_run: list[list[LayerCounter]] = [[] for _ in runs]
        for event in nodes:
            index = _run_holding(runs, starts, longest, _int_field(event, "ts"), event.get("tid"))
            if index is not None:
                per_run[index].append(_ort_counter(event))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise EngineError(f"ONNX Runtime profile {path} is malformed ({type(error).__name__}: "
                          f"{str(error)[:80]})") from None
    return [merge_repeats(run) for run in per_run]


def _load_profile(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EngineError(f"ONNX Runtime profile {path} was not written") from None
    except (OSError, UnicodeDecodeError) as error:
        raise EngineError(f"ONNX Runtime profile {path} cannot be read ({type(error).__name__})") from None
    except (json.JSONDecodeError, RecursionError) as error:
        reason = str(error).splitlines()[0][:80] if str(error) else type(error).__name__
        raise EngineError(f"ONNX Runtime profile {path} is not valid JSON ({reason})") from None
    if not isinstance(data, list) or not all(isinstance(event, dict) for event in data):
        raise EngineError(f"ONNX Runtime profile {path} is not a list of trace events")
    return data


def _is_kernel_event(event: dict[str, Any]) -> bool:
    name = event.get("name")
    return event.get("cat") == "Node" and isinstance(name, str) and name.endswith(ORT_KERNEL_SUFFIX)


def _int_field(event: dict[str, Any], key: str) -> int:
    value = event[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"event {key!r} is {value!r}, not a non-negative number")
    return int(value)


def _span(event: dict[str, Any]) -> _Span:
    start = _int_field(event, "ts")
    return _Span(start, start + _int_field(event, "dur"), event.get("tid"))


def _run_holding(runs: list[_Span], starts: list[int], longest: int, ts: int, thread: Any) -> int | None:
    """Index of the run holding time ``ts``: the one on ``thread`` if several overlap, else the latest."""
    found = None
    index = bisect.bisect_right(starts, ts) - 1
    while index >= 0 and starts[index] + longest >= ts:
        if runs[index].end_us >= ts:
            if runs[index].thread == thread:
                return index
            if found is None:
                found = index
        index -= 1
    return found


def _ort_counter(event: dict[str, Any]) -> LayerCounter:
    args = event.get("args") or {}
    return LayerCounter(
        name=str(event["name"])[: -len(ORT_KERNEL_SUFFIX)],
        layer_type=str(args.get("op_name", "")),
        exec_type=str(args.get("provider", "")),
        status=EXECUTED,
        real_ns=_int_field(event, "dur") * 1_000,
        cpu_ns=0,
    )


# --- combining, sorting, summarising ----------------------------------------------------------------------


def merge_repeats(counters: Sequence[LayerCounter]) -> list[LayerCounter]:
    """Sum the times of layers that appear more than once (loops), keeping the order of first appearance."""
    merged: dict[str, LayerCounter] = {}
    for counter in counters:
        seen = merged.get(counter.name)
        if seen is None:
            merged[counter.name] = counter
            continue
        status = EXECUTED if EXECUTED in (seen.status, counter.status) else seen.status
        merged[counter.name] = replace(seen, status=status, real_ns=seen.real_ns + counter.real_ns,
                                       cpu_ns=seen.cpu_ns + counter.cpu_ns)
    return list(merged.values())


def average_counters(runs: Sequence[Sequence[LayerCounter]]) -> list[LayerCounter]:
    """Per layer name, the floor mean of real and CPU ns over the runs in which it appears.

    Order of first appearance; type and exec type from the first appearance; EXECUTED if executed in any run.
    (benchmark_app divides by the number of requests; with the same layers in every request that is equal.)
    """
    first: dict[str, LayerCounter] = {}
    sums: dict[str, tuple[int, int, int]] = {}  # name -> (real ns, cpu ns, runs)
    executed: set[str] = set()
    for run in runs:
        for counter in merge_repeats(run):
            first.setdefault(counter.name, counter)
            real, cpu, count = sums.get(counter.name, (0, 0, 0))
            sums[counter.name] = (real + counter.real_ns, cpu + counter.cpu_ns, count + 1)
            if counter.status == EXECUTED:
                executed.add(counter.name)
    averaged = []
    for name, counter in first.items():
        real, cpu, count = sums[name]
        status = EXECUTED if name in executed else counter.status
        averaged.append(replace(counter, status=status, real_ns=real // count, cpu_ns=cpu // count))
    return averaged


def sort_counters(counters: Sequence[LayerCounter], mode: str) -> list[LayerCounter]:
    """benchmark_app's -pcsort: ``sort`` by real time descending; ``simple_sort`` the same, EXECUTED layers
    only; ``no_sort`` as given. Ties keep their original order."""
    if mode not in SORT_MODES:
        raise ValueError(f"unknown counters sort mode {mode!r}; expected one of {', '.join(SORT_MODES)}")
    if mode == "no_sort":
        return list(counters)
    ordered = sorted(counters, key=lambda counter: counter.real_ns, reverse=True)
    if mode == "simple_sort":
        return [counter for counter in ordered if counter.status == EXECUTED]
    return ordered


def total_real_ns(counters: Sequence[LayerCounter]) -> int:
    return sum(counter.real_ns for counter in counters)


def total_cpu_ns(counters: Sequence[LayerCounter]) -> int:
    return sum(counter.cpu_ns for counter in counters)


def counters_coverage(counters: Sequence[LayerCounter], latency_ns: float) -> float:
    """Sum of the layers' real time as a fraction of a measured latency (1.0 = the layers explain it all)."""
    if latency_ns <= 0:
        raise ValueError(f"latency must be positive to compare counters with it, got {latency_ns}")
    return total_real_ns(counters) / latency_ns


@dataclass(frozen=True)
class CounterSummary:
    """Totals of a counter list, each layer's share of the real time, and real time per layer type."""

    counters: tuple[LayerCounter, ...]
    total_real_ns: int
    total_cpu_ns: int
    shares: tuple[float, ...]  # fraction of total_real_ns, one per counter, same order
    type_totals: tuple[tuple[str, int], ...]  # (layer type, real ns), slowest first, ties in order of appearance


def summarize_counters(counters: Sequence[LayerCounter]) -> CounterSummary:
    total = total_real_ns(counters)
    shares = tuple(counter.real_ns / total if total > 0 else 0.0 for counter in counters)
    by_type: dict[str, int] = {}
    for counter in counters:
        by_type[counter.layer_type] = by_type.get(counter.layer_type, 0) + counter.real_ns
    type_totals = tuple(sorted(by_type.items(), key=lambda item: item[1], reverse=True))
    return CounterSummary(tuple(counters), total, total_cpu_ns(counters), shares, type_totals)


# --- JSON section -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counters:
    """A report's per-layer counters: the average over requests, and each request's (or run's) own."""

    layers: tuple[LayerCounter, ...]
    per_request: tuple[tuple[LayerCounter, ...], ...] | None = None

    @classmethod
    def of(cls, average: Sequence[LayerCounter], per_request: Sequence[Sequence[LayerCounter]] | None) -> Counters:
        return cls(tuple(average), None if per_request is None else tuple(tuple(run) for run in per_request))

    def to_dict(self) -> dict[str, Any]:
        return counters_to_dict(self.layers, self.per_request)

    @classmethod
    def from_dict(cls, data: Any) -> Counters:
        return cls.of(*counters_from_dict(data))


def counters_to_dict(average: Sequence[LayerCounter],
                     per_request: Sequence[Sequence[LayerCounter]] | None = None) -> dict[str, Any]:
    """A versioned JSON section: integer nanoseconds, lossless (``counters_from_dict`` reads it back)."""
    return {
        "schema": COUNTERS_SCHEMA,
        "schema_version": COUNTERS_SCHEMA_VERSION,
        "layers": [_layer_dict(counter) for counter in average],
        "per_request": None if per_request is None else [[_layer_dict(c) for c in run] for run in per_request],
    }


def counters_from_dict(data: Any) -> tuple[list[LayerCounter], list[list[LayerCounter]] | None]:
    """(average, per_request) from ``counters_to_dict`` output; ValueError/TypeError when malformed."""
    if not isinstance(data, dict) or data.get("schema") != COUNTERS_SCHEMA:
        raise ValueError(f"not a counters section (no \"schema\": \"{COUNTERS_SCHEMA}\")")
    if data.get("schema_version") != COUNTERS_SCHEMA_VERSION:
        raise ValueError(f"counters schema_version {data.get('schema_version')!r} is not "
                         f"{COUNTERS_SCHEMA_VERSION}")
    average = _layers_from_list(data["layers"])
    runs = data.get("per_request")
    if runs is None:
        return average, None
    if not isinstance(runs, list):
        raise TypeError("counters per_request must be a list of lists")
    return average, [_layers_from_list(run) for run in runs]


def _layer_dict(counter: LayerCounter) -> dict[str, Any]:
    return {"name": counter.name, "type": counter.layer_type, "exec_type": counter.exec_type,
            "status": counter.status, "real_ns": counter.real_ns, "cpu_ns": counter.cpu_ns}


def _layers_from_list(items: Any) -> list[LayerCounter]:
    if not isinstance(items, list):
        raise TypeError("counter layers must be a list")
    return [_layer_from_dict(item) for item in items]


def _layer_from_dict(item: Any) -> LayerCounter:
    if not isinstance(item, dict):
        raise TypeError("a counter layer must be an object")
    texts = [item[key] for key in ("name", "type", "exec_type", "status")]
    times = [item[key] for key in ("real_ns", "cpu_ns")]
    if not all(isinstance(text, str) for text in texts):
        raise TypeError(f"counter layer {item.get('name')!r}: name, type, exec_type and status must be text")
    if not all(isinstance(ns, int) and not isinstance(ns, bool) and ns >= 0 for ns in times):
        raise ValueError(f"counter layer {item['name']!r}: real_ns and cpu_ns must be non-negative integers")
    return LayerCounter(texts[0], texts[1], texts[2], texts[3], times[0], times[1])
