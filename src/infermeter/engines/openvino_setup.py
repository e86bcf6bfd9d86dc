"""OpenVINO set-up beyond the basics: compile properties from the tuning options, pre/post-processing
(-ip/-op/-iop, -layout, mean/scale), model cache, extensions, and the -dump_config record.

Imported only by ``engines/openvino.py`` (which has already imported OpenVINO successfully).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openvino as ov
from openvino.preprocess import PrePostProcessor

from ..config.tuning import Tuning
from ..errors import EngineError, UsageError
from .base import EngineOptions, property_value

if TYPE_CHECKING:
    from ..results.facts import PropertyValue

HINTS = {"latency": "LATENCY", "throughput": "THROUGHPUT", "cumulative_throughput": "CUMULATIVE_THROUGHPUT"}
PINNING = {"YES": {"ENABLE_CPU_PINNING": "YES"}, "NO": {"ENABLE_CPU_PINNING": "NO"},
           # OpenVINO 2024+ has no NUMA binding mode: threads float, and each stream stays on its NUMA node
           "NUMA": {"ENABLE_CPU_PINNING": "NO"},
           "HYBRID_AWARE": {"ENABLE_CPU_PINNING": "YES", "SCHEDULING_CORE_TYPE": "ANY_CORE"}}
DUMP_SKIP = {"PERF_COUNT", "LOG_LEVEL"}


def per_device(value: str, device: str) -> str | None:
    """``4`` -> 4; ``CPU:4,GPU:2`` -> the entry for ``device`` (None when not listed)."""
    if ":" not in value:
        return value
    for item in value.split(","):
        name, _, setting = item.strip().rpartition(":")
        if name.upper() == device.upper():
            return setting
    return None


def target_devices(device: str) -> list[str]:
    """CPU -> [CPU]; MULTI:CPU,GPU / HETERO:GPU,CPU -> the listed devices; AUTO -> [AUTO]."""
    prefix, sep, listed = device.partition(":")
    if sep and prefix.upper() in ("AUTO", "MULTI", "HETERO", "BATCH"):
        return [d.split("(")[0].strip() for d in listed.split(",") if d.strip()]
    return [device]


def compile_config(options: EngineOptions, device: str) -> dict[str, str]:
    """Properties for ``device``: -load_config's entry first, then the command line, which wins."""
    tuning = options.tuning
    config: dict[str, str] = dict(tuning.properties.get(device, {}))
    hint = options.hint or options.goal
    if tuning.elastic:
        hint = "throughput"
    file_hint = "PERFORMANCE_HINT" in config and options.hint is None and not options.api_given
    if hint in HINTS and not file_hint:  # -load_config's hint stands unless -hint/-api say otherwise
        config["PERFORMANCE_HINT"] = HINTS[hint]
    if options.infer_precision:
        precision = per_device(options.infer_precision, device)
        if precision:
            config["INFERENCE_PRECISION_HINT"] = precision
    if options.threads:
        config["INFERENCE_NUM_THREADS"] = str(options.threads)
    if tuning.streams:
        streams = per_device(tuning.streams, device)
        if streams:
            config["NUM_STREAMS"] = streams
    if tuning.pinning:
        config.update(PINNING[tuning.pinning])
    if tuning.perf_counts or tuning.runtime_graph_path:
        config["PERF_COUNT"] = "YES"
    if tuning.cache_dir:
        config["CACHE_DIR"] = tuning.cache_dir
    if tuning.device_config_file:
        config["CONFIG_FILE"] = tuning.device_config_file
    return config


def check_device_options(tuning: Tuning, device: str, options_precision: str | None = None) -> None:
    """Options that name a device must name one this run uses."""
    devices = {d.upper() for d in target_devices(device)} | {device.upper()}
    for flag, value in (("-nstreams", tuning.streams), ("-infer_precision", options_precision)):
        if value and ":" in value and not any(per_device(value, d) for d in devices):
            raise UsageError(f"{flag} {value}: none of the listed devices is used here (-d {device})")
    if tuning.device_config_file and not any(d.startswith("GPU") for d in devices):
        raise UsageError(f"-c {tuning.device_config_file}: custom-kernel configs are for GPU; -d here is {device}")


def load_extensions(core: Any, paths: tuple[str, ...]) -> None:
    for path in paths:
        try:
            core.add_extension(path)
        except (RuntimeError, TypeError) as error:
            raise UsageError(f"-extensions {path}: openvino cannot load it ({_last_line(error)})") from None


def refuse_preprocessing_with_lfile(tuning: Tuning) -> None:
    """-lfile compiles the file as it is: nothing can be built into the model."""
    asked = [flag for flag, value in (("-ip", tuning.input_precision), ("-op", tuning.output_precision),
                                      ("-iop", tuning.io_precisions), ("-layout", tuning.layouts),
                                      ("--mean_values", tuning.mean_values), ("--scale_values", tuning.scale_values))
             if value]
    if asked:
        raise UsageError(f"-lfile compiles the model file as it is, so {', '.join(asked)} cannot be applied: "
                         "drop -lfile or those options")


def apply_preprocessing(model: Any, tuning: Tuning) -> Any:
    """-ip/-op/-iop element types, -layout, --mean_values/--scale_values, built into the model."""
    if not (tuning.input_precision or tuning.output_precision or tuning.io_precisions or tuning.layouts
            or tuning.mean_values or tuning.scale_values):
        return model
    names = {_name(port, i): port for i, port in enumerate(model.inputs)}
    outputs = {_name(port, i): port for i, port in enumerate(model.outputs)}
    _check_names(tuning, names, outputs)
    ppp = PrePostProcessor(model)
    io_types = dict(tuning.io_precisions)
    for index, name in enumerate(names):
        _prepare_input(ppp.input(index), name, names[name], tuning, io_types)
    for index, name in enumerate(outputs):
        kind = io_types.get(name) or tuning.output_precision
        if kind:
            ppp.output(index).tensor().set_element_type(_element_type(kind))
    try:
        return ppp.build()
    except RuntimeError as error:
        raise UsageError(f"openvino pre-processing (-ip/-op/-iop/-layout/mean/scale) failed: "
                         f"{_last_line(error)}") from None


def _prepare_input(port_ppp: Any, name: str, port: Any, tuning: Tuning, io_types: dict[str, str]) -> None:
    kind = io_types.get(name) or tuning.input_precision
    layout = _for_input(tuning.layouts, name)
    mean = _for_input(tuning.mean_values, name)
    scale = _for_input(tuning.scale_values, name)
    if kind:
        port_ppp.tensor().set_element_type(_element_type(kind))
    if (mean or scale) and layout is None:
        layout = _guess_layout(port, name)
    if layout is not None:
        port_ppp.model().set_layout(ov.Layout(layout))
    if mean or scale:
        if kind and not kind.startswith(("f", "bf")):
            port_ppp.preprocess().convert_element_type(ov.Type.f32)
        if mean:
            port_ppp.preprocess().mean(list(mean))
        if scale:
            port_ppp.preprocess().scale(list(scale))


def _element_type(kind: str) -> Any:
    """Our short names (f16, u8, boolean) are attribute names of ``ov.Type``; ``ov.Type("f16")`` would read
    "f16" as a numpy dtype string (float128)."""
    return getattr(ov.Type, kind)


def _for_input(items: tuple[tuple[str | None, Any], ...], name: str) -> Any:
    for target, value in items:
        if target is None or target == name:
            return value
    return None


def _guess_layout(port: Any, name: str) -> str:
    shape = port.get_partial_shape()
    if shape.rank.is_static and len(shape) == 4:
        channels = shape[1]
        if channels.is_static and channels.get_length() in (1, 3, 4):
            return "NCHW"
        last = shape[3]
        if last.is_static and last.get_length() in (1, 3, 4):
            return "NHWC"
    raise UsageError(f"--mean_values/--scale_values: cannot tell where the channels of input {name!r} are; "
                     f"give -layout {name}[NCHW] (or NHWC)")


def _check_names(tuning: Tuning, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> None:
    for flag, items in (("-layout", tuning.layouts), ("--mean_values", tuning.mean_values),
                        ("--scale_values", tuning.scale_values)):
        for target, _ in items:
            if target is not None and target not in inputs:
                raise UsageError(f"{flag}: the model has no input {target!r}; inputs: {', '.join(inputs)}")
    for target, _ in tuning.io_precisions:
        if target not in inputs and target not in outputs:
            raise UsageError(f"-iop: the model has no input or output {target!r}; inputs: {', '.join(inputs)}; "
                             f"outputs: {', '.join(outputs)}")


def _name(port: Any, index: int) -> str:
    return str(port.get_any_name()) if port.get_names() else f"port{index}"


def cache_files(cache_dir: str | None) -> set[str]:
    if not cache_dir or not Path(cache_dir).is_dir():
        return set()
    return {p.name for p in Path(cache_dir).iterdir() if p.is_file()}


def device_dump(core: Any, compiled: Any, device: str) -> dict[str, dict[str, PropertyValue]]:
    """The settable properties as the compiled model reports them (-dump_config writes them in -load_config
    form): booleans as booleans, numbers as numbers, the rest as text."""
    dumped: dict[str, PropertyValue] = {}
    try:
        settable = {k for k, mode in core.get_property(device, "SUPPORTED_PROPERTIES").items() if mode == "RW"}
        present = set(compiled.get_property("SUPPORTED_PROPERTIES"))
    except RuntimeError:
        return {}
    for key in sorted(settable & present - DUMP_SKIP):
        try:
            value = compiled.get_property(key)
        except RuntimeError:
            continue
        text = _text(value)
        if text:
            dumped[key] = value if isinstance(value, bool) else property_value(text)
    return {device: dumped}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "YES" if value else "NO"
    if isinstance(value, ov.Type):
        return str(value.to_string())
    if isinstance(value, (set, list, tuple)):
        return ",".join(str(getattr(v, "name", v)) for v in value)
    name = getattr(value, "name", None)
    return str(name) if name is not None and not isinstance(value, (str, int)) else str(value)


def save_runtime_graph(compiled: Any, path: str) -> None:
    try:
        ov.serialize(compiled.get_runtime_model(), path)
    except (RuntimeError, OSError) as error:
        raise EngineError(f"-exec_graph_path {path}: could not save the runtime graph ({_last_line(error)})") from None


def _last_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__
