"""Which format a model file is in, which engines can read it, and the checks that need no engine.

Every format is recognised from the file alone (suffix, a zip's member names, a flatbuffer's identifier, a
SavedModel's signatures), before any engine is imported, so that a file an engine cannot read is refused up
front in one line naming the engines that can, and a damaged file is named before an SDK prints anything.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..errors import InputError
from .onnx_graph import OnnxFormatError, protobuf_fields

ONNX = "onnx"
IR = "openvino-ir"
TFLITE = "tflite"
TENSORFLOW = "tensorflow"  # a frozen GraphDef .pb, or a SavedModel folder
SAVED_MODEL = "tensorflow-savedmodel"
PADDLE = "paddle"
TORCHSCRIPT = "torchscript"
TORCH_EXPORT = "torch-export"
TORCH_FACTORY = "torch-factory"  # path/to/file.py:make_model
TORCH_FORMATS = (TORCHSCRIPT, TORCH_EXPORT, TORCH_FACTORY)

# format -> built-in engines that read it, in the order a default is chosen (plugins declare their own)
READERS: dict[str, tuple[str, ...]] = {
    ONNX: ("openvino", "onnxruntime", "fake"),
    IR: ("openvino", "fake"),
    TFLITE: ("litert", "openvino"),
    TENSORFLOW: ("openvino",),
    SAVED_MODEL: ("openvino",),
    PADDLE: ("openvino",),
    TORCHSCRIPT: ("pytorch", "openvino"),
    TORCH_EXPORT: ("pytorch", "openvino"),
    TORCH_FACTORY: ("pytorch", "openvino"),
}
SUFFIXES = {".onnx": ONNX, ".xml": IR, ".tflite": TFLITE, ".pb": TENSORFLOW, ".pdmodel": PADDLE,
            ".pt": TORCHSCRIPT, ".jit": TORCHSCRIPT, ".pt2": TORCH_EXPORT}
DESCRIPTION = {ONNX: "ONNX", IR: "OpenVINO IR", TFLITE: "TensorFlow Lite (.tflite)",
               TENSORFLOW: "TensorFlow frozen graph (.pb)", SAVED_MODEL: "TensorFlow SavedModel",
               PADDLE: "PaddlePaddle (.pdmodel)", TORCHSCRIPT: "TorchScript",
               TORCH_EXPORT: "torch.export program (.pt2)", TORCH_FACTORY: "Python factory of a torch.nn.Module"}
ACCEPTED = ".onnx, .xml, .tflite, .pb, a SavedModel folder, .pdmodel, .pt/.jit (TorchScript), .pt2 (torch.export), " \
           "file.py:make_model or zoo:NAME"


def split_factory(text: str) -> tuple[str, str | None] | None:
    """``path/to/file.py:make_model`` -> (path, name); ``file.py`` alone -> (path, None); else None."""
    head, sep, name = text.rpartition(":")
    if sep and head.lower().endswith(".py"):
        return head, name
    if text.lower().endswith(".py"):
        return text, None
    return None


def check_factory(text: str, path: str, name: str | None) -> None:
    if not name:
        raise InputError(f"model {text}: a Python model is named as FILE.py:FUNCTION (a function returning a "
                         "torch.nn.Module), e.g. model.py:make_model")
    if not name.isidentifier():
        raise InputError(f"model {text}: {name!r} is not a Python function name")
    if not Path(path).is_file():
        raise InputError(f"model file not found: {path}")


def format_of(path: Path) -> str:
    """The format of an existing file or folder; raises InputError for anything infermeter cannot read."""
    if path.is_dir():
        if (path / "saved_model.pb").is_file():
            return SAVED_MODEL
        raise InputError(f"model {path} is a folder without saved_model.pb; give a model file ({ACCEPTED})")
    suffix = path.suffix.lower()
    found = SUFFIXES.get(suffix)
    if found is None:
        raise InputError(f"model {path}: unsupported file type {suffix or '(none)'!r}; use {ACCEPTED}")
    return found


def check_file(path: Path, kind: str) -> None:
    """What can be checked without an engine: a .pt is TorchScript, a .pt2 a torch.export archive, a .tflite
    a TFLite flatbuffer, a SavedModel has a signature."""
    if kind == TORCHSCRIPT:
        _check_torch_zip(path, "constants.pkl", "TorchScript", "torch.jit.script(model) or torch.jit.trace(model, "
                         "example).save(PATH), or torch.export.save(torch.export.export(...), 'model.pt2')")
    elif kind == TORCH_EXPORT:
        _check_torch_zip(path, "models/model.json", "a torch.export program",
                         "torch.export.save(torch.export.export(model, example_args), PATH)")
    elif kind == TFLITE:
        with path.open("rb") as stream:
            head = stream.read(8)
        if len(head) < 8 or head[4:8] != b"TFL3":
            raise InputError(f"model file {path} is not a TensorFlow Lite flatbuffer (no TFL3 identifier)")
    elif kind == SAVED_MODEL:
        check_saved_model(path)


def _check_torch_zip(path: Path, member: str, what: str, how: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        raise InputError(f"model file {path} is not {what} (not a PyTorch zip archive, or truncated); save it "
                         f"with {how}") from None
    if not any(name == member or name.endswith("/" + member) for name in names):
        saved = " (it looks like torch.save of a state_dict or module)" if any(
            name.endswith("data.pkl") for name in names) else ""
        raise InputError(f"model file {path} is not {what}{saved}; save it with {how}")


def check_saved_model(folder: Path) -> None:
    """A SavedModel must declare at least one signature (what its callers feed and fetch)."""
    try:
        data = memoryview((folder / "saved_model.pb").read_bytes())
        signatures = 0
        for number, _, meta in protobuf_fields(data):  # SavedModel.meta_graphs = 2
            if number == 2 and isinstance(meta, memoryview):
                signatures += sum(1 for n, _, _ in protobuf_fields(meta) if n == 5)  # MetaGraphDef.signature_def
    except (OnnxFormatError, OSError, ValueError) as error:
        raise InputError(f"model {folder}: saved_model.pb cannot be parsed ({error})") from None
    if signatures == 0:
        raise InputError(f"model {folder}: the SavedModel has no signature; save it with tf.saved_model.save(model, "
                         "PATH, signatures=...) so its inputs and outputs are declared")
