"""Engine tuning and pre-processing options (benchmark_app, deepsparse and ONNX Runtime spellings).

Everything here is parsed before any engine loads and carried to the engine in ``EngineOptions.tuning``.
Which engine honours which option is declared once, in ``ENGINE_SUPPORT``; a run that asks an engine for
something it cannot do is refused up front with one line naming the engines that can (never ignored).
No numpy here: ``--help`` must stay light.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..errors import InputError, UsageError
from .values import positive_int

PIN_VALUES = {"yes": "YES", "no": "NO", "numa": "NUMA", "hybrid_aware": "HYBRID_AWARE",
              # deepsparse.benchmark -pin spellings
              "none": "NO", "core": "YES", "true": "YES", "false": "NO"}
ELEMENT_TYPES = ("u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "f16", "f32", "f64", "bf16", "boolean")
ELEMENT_ALIASES = {"fp32": "f32", "float32": "f32", "fp16": "f16", "float16": "f16", "fp64": "f64",
                   "float64": "f64", "uint8": "u8", "int8": "i8", "int32": "i32", "int64": "i64", "bool": "boolean",
                   "uint16": "u16", "int16": "i16", "uint32": "u32", "uint64": "u64", "bfloat16": "bf16"}
INFER_PRECISIONS = {"f32": "f32", "fp32": "f32", "float32": "f32", "f16": "f16", "fp16": "f16",
                    "float16": "f16", "bf16": "bf16", "bfloat16": "bf16"}
GRAPH_LEVELS = {"0": "disable", "disable": "disable", "disable_all": "disable", "1": "basic", "basic": "basic",
                "2": "extended", "extended": "extended", "3": "layout", "layout": "layout",
                "99": "all", "all": "all", "enable_all": "all"}


@dataclass(frozen=True)
class Tuning:
    """What an engine may be asked beyond the basics. Empty/None = the engine's default."""

    streams: str | None = None  # "4", "AUTO" or per device "CPU:4,GPU:2"
    pinning: str | None = None  # YES | NO | NUMA | HYBRID_AWARE
    input_precision: str | None = None  # -ip: element type of every input tensor
    output_precision: str | None = None  # -op
    io_precisions: tuple[tuple[str, str], ...] = ()  # -iop name:type
    layouts: tuple[tuple[str | None, str], ...] = ()  # -layout [NCHW] or name[NCHW]
    mean_values: tuple[tuple[str | None, tuple[float, ...]], ...] = ()
    scale_values: tuple[tuple[str | None, tuple[float, ...]], ...] = ()
    cache_dir: str | None = None  # -cdir
    compile_from_file: bool = False  # -lfile
    extensions: tuple[str, ...] = ()  # -extensions / -l: custom-op libraries
    device_config_file: str | None = None  # -c (GPU custom kernels XML)
    properties: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # -load_config device -> key -> value
    perf_counts: bool = False  # per-layer counters (-pc, -report_type *_counters)
    runtime_graph_path: str | None = None  # -exec_graph_path
    execution_provider: str | None = None  # --ep (onnxruntime)
    provider_options: tuple[tuple[str, str], ...] = ()  # --ep-option key=value
    inter_op_threads: int | None = None  # --inter-op-threads (onnxruntime)
    graph_optimization_level: str | None = None  # disable | basic | extended | layout | all
    session_config: tuple[tuple[str, str], ...] = ()  # --session-config key=value
    io_binding: bool | None = None  # --io-binding / --no-io-binding (onnxruntime); None = on where it can be
    elastic: bool = False  # deepsparse -s elastic: async with the engine's own scheduler
    torch_compile: bool = False  # --torch-compile (pytorch): torch.compile the module; its compile is timed

    def requested(self) -> list[str]:
        """Names of the fields set to something other than the default."""
        default = Tuning()
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(default, f.name)]


# option field -> (flag as the user knows it, engines that honour it)
ENGINE_SUPPORT: dict[str, tuple[str, tuple[str, ...]]] = {
    "streams": ("-nstreams", ("openvino", "onnxruntime", "pytorch", "litert")),
    "pinning": ("-pin", ("openvino",)),
    "input_precision": ("-ip", ("openvino",)),
    "output_precision": ("-op", ("openvino",)),
    "io_precisions": ("-iop", ("openvino",)),
    "layouts": ("-layout", ("openvino", "onnxruntime")),
    "mean_values": ("--mean_values", ("openvino",)),
    "scale_values": ("--scale_values", ("openvino",)),
    "cache_dir": ("-cdir", ("openvino",)),
    "compile_from_file": ("-lfile", ("openvino",)),
    "extensions": ("-extensions", ("openvino", "onnxruntime")),
    "device_config_file": ("-c", ("openvino",)),
    "properties": ("-load_config", ("openvino", "onnxruntime")),
    "perf_counts": ("-pc / -report_type *_counters", ("openvino", "onnxruntime")),
    "runtime_graph_path": ("-exec_graph_path", ("openvino", "onnxruntime")),
    "execution_provider": ("--ep", ("onnxruntime",)),
    "provider_options": ("--ep-option", ("onnxruntime",)),
    "inter_op_threads": ("--inter-op-threads", ("onnxruntime",)),
    "graph_optimization_level": ("--graph-opt-level", ("onnxruntime",)),
    "session_config": ("--session-config", ("onnxruntime",)),
    "io_binding": ("--io-binding/--no-io-binding", ("onnxruntime",)),
    "elastic": ("-s elastic", ("openvino",)),
    "torch_compile": ("--torch-compile", ("pytorch",)),
}


def check_engine_support(engine: str, tuning: Tuning) -> None:
    """Refuse, with one line, an option the chosen engine cannot honour."""
    for name in tuning.requested():
        flag, engines = ENGINE_SUPPORT[name]
        if engine not in engines:
            raise UsageError(f"{flag} is honoured by the {engine_list(engines)} engine"
                             f"{'s' if len(engines) > 1 else ''} only (engine here: {engine})")


def engine_list(engines: Iterable[str]) -> str:
    """``openvino``, ``openvino and onnxruntime``, ``openvino, onnxruntime and pytorch``."""
    names = list(engines)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def parse_pinning(value: str | None) -> str | None:
    if value is None:
        return None
    canonical = PIN_VALUES.get(value.strip().lower())
    if canonical is None:
        raise UsageError(f"-pin {value!r} is not one of: YES, NO, NUMA, HYBRID_AWARE (or none, core, numa)")
    return canonical


def parse_streams(value: str | int | None) -> str | None:
    """``4``, ``AUTO`` or ``CPU:4,GPU:2``."""
    if value is None:
        return None
    text = str(value).strip()
    items = [item.strip() for item in text.split(",")]
    for item in items:
        device, sep, number = item.rpartition(":")
        count = number.strip()
        if (sep and not device.strip()) or not ((count.isdigit() and int(count) > 0) or count.upper() == "AUTO"):
            raise UsageError(f"-nstreams {text!r}: expected a positive number, AUTO, or DEVICE:N,DEVICE:N")
        if not sep and len(items) > 1:
            raise UsageError(f"-nstreams {text!r}: name the device of each value, e.g. CPU:4,GPU:2")
    return text.upper() if text.upper() == "AUTO" else text


def parse_infer_precision(value: str | None) -> str | None:
    """``f32`` or per device ``CPU:bf16,GPU:f32``; returns a canonical form of the same text."""
    if value is None:
        return None
    parts = []
    for item in (part.strip() for part in value.split(",")):
        device, sep, precision = item.rpartition(":")
        canonical = INFER_PRECISIONS.get(precision.strip().lower())
        if canonical is None or (sep and not device.strip()):
            raise UsageError(f"-infer_precision {value!r}: expected f32, f16, bf16 or DEVICE:PRECISION,…")
        parts.append(f"{device.strip().upper()}:{canonical}" if sep else canonical)
    if len(parts) > 1 and any(":" not in p for p in parts):
        raise UsageError(f"-infer_precision {value!r}: name the device of each value, e.g. CPU:bf16,GPU:f32")
    return ",".join(parts)


def parse_element_type(flag: str, value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip().lower()
    canonical = ELEMENT_ALIASES.get(text, text)
    if canonical not in ELEMENT_TYPES:
        raise UsageError(f"{flag} {value!r} is not an element type: {', '.join(ELEMENT_TYPES)}")
    return canonical


def parse_io_precisions(value: str | None) -> tuple[tuple[str, str], ...]:
    """``-iop "input:f16,output:f32"`` (benchmark_app): element type per tensor name."""
    if not value:
        return ()
    pairs = []
    for item in (part.strip() for part in value.split(",") if part.strip()):
        name, sep, kind = item.rpartition(":")
        if not sep or not name:
            raise UsageError(f"-iop {item!r}: expected NAME:TYPE, e.g. input:f16")
        pairs.append((name, parse_element_type(f"-iop {name}", kind) or ""))
    return tuple(pairs)


def parse_named_brackets(flag: str, value: str | Iterable[str] | None) -> tuple[tuple[str | None, str], ...]:
    """``[NCHW]`` or ``in1[NCHW],in2[NC]`` -> ((None, "NCHW"),) / (("in1", "NCHW"), ("in2", "NC"))."""
    texts = [value] if isinstance(value, str) else list(value or ())
    found: list[tuple[str | None, str]] = []
    for text in texts:
        rest = text.strip()
        while rest:
            match = re.match(r"\s*([^\[\]]*?)\s*\[([^\]]*)\]\s*(,|$)", rest)
            if not match:
                raise UsageError(f"{flag} {text!r}: expected [VALUE] or name[VALUE],name2[VALUE]")
            found.append((match.group(1) or None, match.group(2).strip()))
            rest = rest[match.end():]
    names = [name for name, _ in found]
    if None in names and len(names) > 1:
        raise UsageError(f"{flag}: an unnamed value applies to every input; name each input instead")
    repeated = sorted({name for name in names if name is not None and names.count(name) > 1})
    if repeated:
        raise UsageError(f"{flag} gives input {repeated[0]!r} more than once")
    return tuple(found)


def parse_layouts(value: str | Iterable[str] | None) -> tuple[tuple[str | None, str], ...]:
    layouts = parse_named_brackets("-layout", value)
    for name, layout in layouts:
        letters = layout.replace("?", "").replace(".", "")
        if not re.fullmatch(r"[A-Za-z?.]+", layout) or len(set(letters.upper())) != len(letters):
            target = f" of input {name!r}" if name else ""
            raise UsageError(f"-layout{target} {layout!r}: expected letters such as NCHW, NHWC or NC")
    return tuple((name, layout.upper()) for name, layout in layouts)


def parse_values(flag: str, value: str | None) -> tuple[tuple[str | None, tuple[float, ...]], ...]:
    """``--mean_values [123.7,116.3,103.5]`` or ``data[123.7,116.3,103.5]``."""
    parsed = []
    for name, body in parse_named_brackets(flag, value):
        try:
            numbers = tuple(float(part) for part in body.replace(" ", ",").split(",") if part)
        except ValueError:
            raise UsageError(f"{flag} [{body}]: expected numbers, e.g. [123.675,116.28,103.53]") from None
        if not numbers:
            raise UsageError(f"{flag} [{body}]: no values given")
        if flag.startswith("--scale") and any(n == 0 for n in numbers):
            raise UsageError(f"{flag} [{body}]: a scale of 0 would divide by zero")
        parsed.append((name, numbers))
    return tuple(parsed)


def parse_key_values(flag: str, value: str | Iterable[str] | None) -> tuple[tuple[str, str], ...]:
    """``key=value`` (repeatable, or several separated by spaces); ORT's ``key|value`` is accepted too."""
    texts = [value] if isinstance(value, str) else list(value or ())
    pairs = []
    for text in texts:
        for item in text.split():
            key, sep, val = item.partition("=") if "=" in item else item.partition("|")
            if not sep or not key:
                raise UsageError(f"{flag} {item!r}: expected KEY=VALUE")
            pairs.append((key, val))
    return tuple(pairs)


def parse_graph_level(value: str | int | None) -> str | None:
    if value is None:
        return None
    level = GRAPH_LEVELS.get(str(value).strip().lower())
    if level is None:
        raise UsageError(f"--graph-opt-level {value!r} is not one of: 0/disable, 1/basic, 2/extended, "
                         "3/layout, 99/all")
    return level


def load_device_config(path: str | None) -> dict[str, dict[str, str]]:
    """``-load_config FILE``: ``{"CPU": {"NUM_STREAMS": "2", ...}, ...}`` as benchmark_app writes it."""
    if path is None:
        return {}
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"-load_config: file not found: {file}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"-load_config {file}: not a readable JSON file ({str(error).splitlines()[0]})") from None
    if isinstance(data, dict) and data.get("schema") == "infermeter.run-config":
        return {}  # a sweep's saved configuration: the command line was expanded from it (cli_options)
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError(f"-load_config {file}: expected {{\"DEVICE\": {{\"PROPERTY\": value, ...}}, ...}}")
    return {str(device): {str(k): _property_value(v) for k, v in props.items()} for device, props in data.items()}


def _property_value(value: object) -> str:
    if isinstance(value, bool):
        return "YES" if value else "NO"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def parse_extensions(value: str | Iterable[str] | None) -> tuple[str, ...]:
    texts = [value] if isinstance(value, str) else list(value or ())
    paths = tuple(part.strip() for text in texts for part in text.split(",") if part.strip())
    for path in paths:
        if not Path(path).is_file():
            raise InputError(f"-extensions: library not found: {path}")
    return paths


def parse_bool(flag: str, value: str | bool | None, default: bool = False) -> bool:
    """benchmark_app's str2bool: true/false, yes/no, 1/0; a bare flag (None) means true."""
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    text = value.strip().lower()
    if text in ("true", "yes", "y", "1", "on"):
        return True
    if text in ("false", "no", "n", "0", "off"):
        return False
    raise UsageError(f"{flag} {value!r}: expected true or false")


def build_tuning(
    *,
    nstreams: str | int | None = None,
    pin: str | None = None,
    ip: str | None = None,
    op: str | None = None,
    iop: str | None = None,
    layout: str | Iterable[str] | None = None,
    mean_values: str | None = None,
    scale_values: str | None = None,
    cache_dir: str | None = None,
    load_from_file: bool = False,
    extensions: str | Iterable[str] | None = None,
    device_config: str | None = None,
    load_config: str | None = None,
    perf_counts: bool = False,
    exec_graph_path: str | None = None,
    ep: str | None = None,
    ep_options: str | Iterable[str] | None = None,
    inter_op_threads: int | str | None = None,
    graph_opt_level: str | int | None = None,
    session_config: str | Iterable[str] | None = None,
    io_binding: bool | None = None,
    elastic: bool = False,
    torch_compile: bool = False,
) -> Tuning:
    """Validate the tuning options (as typed, or as passed to the Python API) into a ``Tuning``."""
    if device_config is not None and not Path(device_config).is_file():
        raise InputError(f"-c: file not found: {device_config}")
    if exec_graph_path is not None and not Path(exec_graph_path).parent.is_dir():
        raise UsageError(f"-exec_graph_path {exec_graph_path}: folder {Path(exec_graph_path).parent} does not exist")
    if cache_dir is not None and Path(cache_dir).exists() and not Path(cache_dir).is_dir():
        raise UsageError(f"-cdir {cache_dir}: exists and is not a folder")
    return Tuning(
        streams=parse_streams(nstreams),
        pinning=parse_pinning(pin),
        input_precision=parse_element_type("-ip", ip),
        output_precision=parse_element_type("-op", op),
        io_precisions=parse_io_precisions(iop),
        layouts=parse_layouts(layout),
        mean_values=parse_values("--mean_values", mean_values),
        scale_values=parse_values("--scale_values", scale_values),
        cache_dir=cache_dir,
        compile_from_file=load_from_file,
        extensions=parse_extensions(extensions),
        device_config_file=device_config,
        properties=load_device_config(load_config),
        perf_counts=perf_counts,
        runtime_graph_path=exec_graph_path,
        execution_provider=ep,
        provider_options=parse_key_values("--ep-option", ep_options),
        inter_op_threads=positive_int("--inter-op-threads", inter_op_threads),
        graph_optimization_level=parse_graph_level(graph_opt_level),
        session_config=parse_key_values("--session-config", session_config),
        io_binding=io_binding,
        elastic=elastic,
        torch_compile=torch_compile,
    )
