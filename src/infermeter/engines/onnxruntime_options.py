"""ONNX Runtime session settings: the execution provider, the ``SessionOptions``, and what was applied.

Sources, highest precedence first: the command line (``--ep``, ``--ep-option``, ``-nthreads``,
``--inter-op-threads``, ``--graph-opt-level``, ``--session-config``, ``-nstreams``), then the ``-load_config``
entry for the device ("CPU") or the provider ("CPUExecutionProvider"), then infermeter's defaults. Nothing
asked for is silently dropped: onnxruntime ignores unknown session-config keys and every CPU provider
option, so those are refused here with one line naming the culprit.

Imported only by ``engines/onnxruntime.py``, after its onnxruntime import guard.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import onnxruntime as ort

from ..config.tuning import parse_graph_level
from ..errors import UsageError
from .base import EngineOptions, property_value

if TYPE_CHECKING:
    from ..results.facts import PropertyValue

DEVICE_PROVIDERS = {
    "CPU": "CPUExecutionProvider",
    "GPU": "CUDAExecutionProvider",
    "CUDA": "CUDAExecutionProvider",
    "TENSORRT": "TensorrtExecutionProvider",
    "DML": "DmlExecutionProvider",
    "OPENVINO": "OpenVINOExecutionProvider",
    "COREML": "CoreMLExecutionProvider",
    "ROCM": "ROCMExecutionProvider",
    "QNN": "QNNExecutionProvider",
}
CPU_PROVIDER = "CPUExecutionProvider"
LEVEL_ENUMS = {"disable": "ORT_DISABLE_ALL", "basic": "ORT_ENABLE_BASIC", "extended": "ORT_ENABLE_EXTENDED",
               "layout": "ORT_ENABLE_LAYOUT", "all": "ORT_ENABLE_ALL"}
# -load_config keys that are SessionOptions attributes; every other key is a session config entry
FILE_ATTRIBUTES = ("intra_op_num_threads", "inter_op_num_threads", "graph_optimization_level", "execution_mode")
PROFILE_PREFIX = "ort_profile"


@dataclass
class SessionPlan:
    """Everything one InferenceSession is created with, and why (``reasons``, in words)."""

    provider: str
    provider_options: dict[str, str]
    session_options: Any  # ort.SessionOptions
    latency: bool
    requests: int
    streams: int | None = None
    reasons: list[str] = field(default_factory=list)
    config_entries: dict[str, str] = field(default_factory=dict)
    extensions: tuple[str, ...] = ()
    profile_dir: str | None = None
    overrides: dict[str, int] = field(default_factory=dict)


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def provider_for(device: str) -> str:
    upper = device.upper()
    provider = device if device.endswith("ExecutionProvider") else DEVICE_PROVIDERS.get(upper)
    available = ort.get_available_providers()
    if provider is None:
        raise UsageError(f"-d {device}: onnxruntime has no such device; use one of "
                         f"{', '.join(DEVICE_PROVIDERS)} or an execution provider name ({', '.join(available)})")
    if provider not in available:
        raise UsageError(f"-d {device} needs {provider}, which this onnxruntime build lacks "
                         f"(available: {', '.join(available)})")
    return provider


def execution_provider(name: str) -> str:
    """``--ep``: a provider by full name or short name (cpu, cuda, tensorrt, ...), case-insensitive."""
    available: list[str] = list(ort.get_available_providers())
    wanted = name.strip().lower()
    if not wanted.endswith("executionprovider"):
        wanted += "executionprovider"
    for provider in (*available, *DEVICE_PROVIDERS.values()):
        if provider.lower() == wanted:
            if provider in available:
                return provider
            break
    raise UsageError(f"--ep {name}: this onnxruntime build has no such execution provider "
                     f"(available: {', '.join(available)})")


def plan_session(options: EngineOptions, overrides: Mapping[str, int], model_path: str) -> SessionPlan:
    """Provider, SessionOptions and run layout for ``options``; raises UsageError for anything unusable."""
    tuning = options.tuning
    provider = execution_provider(tuning.execution_provider) if tuning.execution_provider else \
        provider_for(options.device)
    names = {options.device.upper(), provider.upper(), provider.upper().removesuffix("EXECUTIONPROVIDER")}
    file = _file_properties(tuning.properties, names)
    latency = (options.hint or options.goal) == "latency"
    plan = SessionPlan(provider, _provider_options(provider, tuning.provider_options), ort.SessionOptions(),
                       latency, 1 if latency else usable_cpus(), overrides=dict(overrides))
    _apply_streams(plan, tuning.streams, names)
    if options.requests and not latency:
        plan.requests = options.requests
        plan.reasons.append(f"-nireq {options.requests}: {options.requests} runner thread(s) sharing one session")
    _apply_threads(plan, options, file)
    _apply_graph_level(plan, tuning.graph_optimization_level, file)
    _apply_config_entries(plan, tuning.session_config, file)
    for library in tuning.extensions:
        try:
            plan.session_options.register_custom_ops_library(library)
        except Exception as error:  # ORT raises its own pybind exception types
            raise UsageError(f"-extensions {library}: onnxruntime cannot load this custom-op library "
                             f"({first_line(error)})") from None
    plan.extensions = tuple(tuning.extensions)
    for name, size in overrides.items():
        plan.session_options.add_free_dimension_override_by_name(name, size)
    _apply_outputs(plan, tuning.perf_counts, tuning.runtime_graph_path, model_path)  # last: may make a folder
    return plan


def _file_properties(properties: Mapping[str, Mapping[str, str]], names: set[str]) -> dict[str, tuple[str, str]]:
    """The -load_config entries for this device/provider: key -> (value, label naming where it came from)."""
    found: dict[str, tuple[str, str]] = {}
    for device, entries in properties.items():
        if device.upper() in names:
            found.update({key: (value, f"-load_config {device}.{key}") for key, value in entries.items()})
    return found


def _provider_options(provider: str, pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    if pairs and provider == CPU_PROVIDER:
        raise UsageError(f"--ep-option {pairs[0][0]}: {CPU_PROVIDER} takes no provider options (onnxruntime "
                         "ignores them); session settings go to --session-config KEY=VALUE")
    return dict(pairs)


def _apply_streams(plan: SessionPlan, streams: str | None, names: set[str]) -> None:
    """``-nstreams N`` = N runner threads sharing the session (requests in flight with -api async)."""
    count = _stream_count(streams, names)
    if count is None:
        return
    if plan.latency:
        plan.reasons.append(f"-nstreams {count} not applied: the latency scenario runs one request at a time")
        return
    plan.requests = plan.streams = count
    plan.reasons.append(f"-nstreams {count}: {count} runner thread(s) sharing one session "
                        "(= requests in flight with -api async)")


def _stream_count(streams: str | None, names: set[str]) -> int | None:
    if streams is None:
        return None
    for item in streams.split(","):
        device, sep, count = item.strip().rpartition(":")
        if sep and device.strip().upper() not in names:
            continue
        return None if count.strip().upper() == "AUTO" else int(count)
    raise UsageError(f"-nstreams {streams}: no value for this device ({', '.join(sorted(names))})")


def _apply_threads(plan: SessionPlan, options: EngineOptions, file: Mapping[str, tuple[str, str]]) -> None:
    session_options = plan.session_options
    cpus = usable_cpus()
    per_stream = max(1, cpus // plan.streams) if plan.streams else 1
    intra = options.threads if options.threads else _file_int(file, "intra_op_num_threads")
    if options.threads:
        plan.reasons.insert(0, f"intra-op threads {options.threads} (-nthreads)")
    elif intra is not None:
        plan.reasons.insert(0, f"intra-op threads {intra} ({file['intra_op_num_threads'][1]})")
    elif plan.latency or options.hint == "none":
        intra = 0
        plan.reasons.insert(0, f"latency: one request using all {cpus} cores "
                               "(intra-op threads = onnxruntime's default)")
    else:
        intra = per_stream
        plan.reasons.insert(0, f"throughput: {plan.requests} request(s) in flight on {cpus} cores, each "
                               f"with {intra} intra-op thread(s), sharing one session")
    session_options.intra_op_num_threads = intra
    _apply_inter_op(plan, options.tuning.inter_op_threads, file)


def _apply_inter_op(plan: SessionPlan, cli: int | None, file: Mapping[str, tuple[str, str]]) -> None:
    inter = cli if cli is not None else _file_int(file, "inter_op_num_threads")
    mode = _file_mode(file)
    if inter is not None and inter > 1:
        if cli is None and mode == "sequential":
            raise UsageError(f"{file['inter_op_num_threads'][1]} {inter} needs execution_mode parallel "
                             "(onnxruntime uses inter-op threads only in parallel mode)")
        mode = "parallel"
        source = "--inter-op-threads" if cli is not None else file["inter_op_num_threads"][1]
        plan.reasons.append(f"inter-op threads {inter} ({source}): execution mode parallel, "
                            "since onnxruntime uses inter-op threads only in parallel mode")
    elif mode == "parallel":
        plan.reasons.append(f"execution mode parallel ({file['execution_mode'][1]})")
    mode = mode or "sequential"
    plan.session_options.execution_mode = (ort.ExecutionMode.ORT_PARALLEL if mode == "parallel"
                                           else ort.ExecutionMode.ORT_SEQUENTIAL)
    plan.session_options.inter_op_num_threads = inter if inter is not None else (0 if mode == "parallel" else 1)


def _file_int(file: Mapping[str, tuple[str, str]], key: str) -> int | None:
    if key not in file:
        return None
    value, label = file[key]
    if not value.strip().isdigit():
        raise UsageError(f"{label} {value!r}: expected a whole number >= 0")
    return int(value)


def _file_mode(file: Mapping[str, tuple[str, str]]) -> str | None:
    if "execution_mode" not in file:
        return None
    value, label = file["execution_mode"]
    mode = value.strip().lower().removeprefix("ort_")
    if mode not in ("sequential", "parallel"):
        raise UsageError(f"{label} {value!r}: expected sequential or parallel")
    return mode


def _apply_graph_level(plan: SessionPlan, cli: str | None, file: Mapping[str, tuple[str, str]]) -> None:
    label = "--graph-opt-level"
    level = cli
    if level is None and "graph_optimization_level" in file:
        value, label = file["graph_optimization_level"]
        try:
            level = parse_graph_level(value.strip().lower().removeprefix("ort_").removeprefix("enable_"))
        except UsageError:
            raise UsageError(f"{label} {value!r}: expected disable, basic, extended, layout or all") from None
    level = level or "all"
    enum = getattr(ort.GraphOptimizationLevel, LEVEL_ENUMS[level], None)
    if enum is None:
        raise UsageError(f"{label} {level}: onnxruntime {ort.__version__} lacks {LEVEL_ENUMS[level]}; "
                         "use extended or all")
    plan.session_options.graph_optimization_level = enum


def _apply_config_entries(plan: SessionPlan, cli: tuple[tuple[str, str], ...],
                          file: Mapping[str, tuple[str, str]]) -> None:
    entries = {key: (_file_value(value), label) for key, (value, label) in file.items()
               if key not in FILE_ATTRIBUTES}
    entries.update({key: (value, f"--session-config {key}") for key, value in cli})
    for key, (value, label) in entries.items():
        if "." not in key:
            raise UsageError(f"{label}: not an onnxruntime session config key (those look like "
                             f"session.intra_op.allow_spinning) nor one of {', '.join(FILE_ATTRIBUTES)}")
        try:
            plan.session_options.add_session_config_entry(key, value)
        except Exception as error:  # ORT raises RuntimeError (key empty or too long)
            raise UsageError(f"{_shorten(label)}: onnxruntime refuses this session config entry "
                             f"({first_line(error)})") from None
        plan.config_entries[key] = value


def _file_value(value: str) -> str:
    """-load_config turns JSON booleans into YES/NO (OpenVINO's spelling); ORT config entries want 1/0."""
    return {"YES": "1", "NO": "0"}.get(value, value)


def _apply_outputs(plan: SessionPlan, perf_counts: bool, graph_path: str | None, model_path: str) -> None:
    """The optimized (runtime) graph file, and profiling into a private temporary folder (made last)."""
    if graph_path is not None:
        target = Path(graph_path)
        if not target.parent.is_dir():
            raise UsageError(f"-exec_graph_path {graph_path}: folder {target.parent} does not exist")
        if target.exists() and target.resolve() == Path(model_path).resolve():
            raise UsageError(f"-exec_graph_path {graph_path} is the model itself; choose another file")
        plan.session_options.optimized_model_filepath = str(target)
    if perf_counts:
        plan.profile_dir = tempfile.mkdtemp(prefix="infermeter-ort-profile-")
        plan.session_options.enable_profiling = True
        plan.session_options.profile_file_prefix = os.path.join(plan.profile_dir, PROFILE_PREFIX)


def check_provider_options(session: Any, plan: SessionPlan) -> None:
    """Refuse options the provider did not take: it echoes every option it knows in get_provider_options."""
    known = session.get_provider_options().get(plan.provider, {})
    if not known:
        return  # this provider echoes nothing: its options cannot be checked
    for key in plan.provider_options:
        if key not in known:
            raise UsageError(f"--ep-option {key}: {plan.provider} has no such option "
                             f"(it has: {', '.join(sorted(known))})")


def provider_option_error(error: BaseException, plan: SessionPlan) -> UsageError | None:
    """A session-creation failure blamed on ``--ep-option``, when options were given."""
    if not plan.provider_options:
        return None
    text = first_line(error)
    named = [key for key in plan.provider_options if key in text] or list(plan.provider_options)
    return UsageError(f"--ep-option {', '.join(named)}: {plan.provider} refused it ({text})")


def applied_properties(session: Any, plan: SessionPlan, io_binding: bool) -> dict[str, PropertyValue]:
    """What the session reports it applied (read back from the session, not echoed from the request); numbers
    as numbers (``property_value``)."""
    return {key: property_value(text) for key, text in _applied_text(session, plan, io_binding).items()}


def _applied_text(session: Any, plan: SessionPlan, io_binding: bool) -> dict[str, str]:
    applied = session.get_session_options()
    echoed = session.get_provider_options().get(plan.provider, {})
    level = applied.graph_optimization_level.name
    return {
        "providers": ",".join(session.get_providers()),
        "provider_options": "; ".join(f"{k}={echoed.get(k, v)}" for k, v in plan.provider_options.items()),
        "intra_op_num_threads": str(applied.intra_op_num_threads or "auto"),
        "inter_op_num_threads": str(applied.inter_op_num_threads or "auto"),
        "execution_mode": "parallel" if applied.execution_mode == ort.ExecutionMode.ORT_PARALLEL else "sequential",
        "graph_optimization_level": next((k for k, v in LEVEL_ENUMS.items() if v == level), level),
        "session_config": "; ".join(f"{k}={applied.get_session_config_entry(k)}" for k in plan.config_entries),
        "custom_op_libraries": ",".join(plan.extensions),
        "profiling": "on" if applied.enable_profiling else "off",
        "io_binding": "on" if io_binding else "off",
        "optimized_model_filepath": applied.optimized_model_filepath,
        "free_dimension_overrides": ",".join(f"{k}={v}" for k, v in plan.overrides.items()),
    }


def device_config(session: Any, plan: SessionPlan, device: str) -> dict[str, dict[str, PropertyValue]]:
    """-dump_config for onnxruntime: what -load_config reads back (session options and config entries)."""
    applied = session.get_session_options()
    level = applied.graph_optimization_level.name
    entries = {
        "intra_op_num_threads": str(applied.intra_op_num_threads),
        "inter_op_num_threads": str(applied.inter_op_num_threads),
        "execution_mode": "parallel" if applied.execution_mode == ort.ExecutionMode.ORT_PARALLEL else "sequential",
        "graph_optimization_level": next((k for k, v in LEVEL_ENUMS.items() if v == level), level),
    }
    entries.update({key: applied.get_session_config_entry(key) for key in plan.config_entries})
    return {device: {key: property_value(text) for key, text in entries.items()}}


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _shorten(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
