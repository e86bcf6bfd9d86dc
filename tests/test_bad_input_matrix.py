"""Bad input through the real command line: one table, one ``python -m infermeter run ...`` subprocess per row.

Every row must end with exactly one non-empty line on stderr, ``infermeter: error: ...`` naming the culprit
(the flag, the file or the input), the row's exit code (2 = usage/input, 1 = runtime), no traceback, and no
export file or temp file left behind -- unless measurement had started, in which case the JSON is there and
says ``"partial": true``.

Argument strings hold ``{placeholders}`` filled from fixtures at run time (see ``Filler``), so a row only
builds the models and files it uses. The fake engine is used wherever the engine does not matter.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import string
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import _save, _value

HAS_OPENVINO = importlib.util.find_spec("openvino") is not None
HAS_ONNXRUNTIME = importlib.util.find_spec("onnxruntime") is not None

ERROR_PREFIX = "infermeter: error: "
OUT_NAME = "OUT.json"
EXIT_RUNTIME = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class Row:
    argv: tuple[str, ...]  # after "run"; may hold {placeholders}
    code: int
    culprit: str  # substring of the error line; may hold {placeholders}
    partial: bool = False  # measurement started: -x {out} must exist with "partial": true
    needs: tuple[str, ...] = ()  # "openvino", "onnxruntime", "no-cuda"
    shim_openvino: bool = False  # put a broken `openvino` package first on PYTHONPATH


def case(case_id: str, *argv: str, code: int = EXIT_USAGE, culprit: str, partial: bool = False,
         needs: tuple[str, ...] = (), shim_openvino: bool = False, bug: str | None = None) -> Any:
    marks: list[Any] = []
    for engine, installed in (("openvino", HAS_OPENVINO), ("onnxruntime", HAS_ONNXRUNTIME)):
        if engine in needs:
            marks += [getattr(pytest.mark, engine), pytest.mark.skipif(not installed, reason=f"{engine} not installed")]
    if bug is not None:
        marks.append(pytest.mark.xfail(reason=f"BUG: {bug}", strict=True))
    row = Row(tuple(argv), code, culprit, partial, needs, shim_openvino)
    return pytest.param(row, id=case_id, marks=marks)


FAKE = ("-e", "fake")
QUICK = (*FAKE, "-niter", "1", "--no-warmup")

CASES = [
    # --- model ---------------------------------------------------------------------------------------------
    case("model-missing", "{tmp}/missing.onnx", *QUICK, "-x", "{out}", culprit="missing.onnx"),
    case("model-empty", "{bad}/empty.onnx", *QUICK, "-x", "{out}", culprit="empty.onnx"),
    case("model-truncated-fake", "{bad}/truncated.onnx", *QUICK, "-x", "{out}", culprit="truncated.onnx"),
    case("model-truncated-onnxruntime", "{bad}/truncated.onnx", "-e", "onnxruntime", "-niter", "1", "-x", "{out}",
         culprit="truncated.onnx", needs=("onnxruntime",)),
    case("model-truncated-openvino", "{bad}/truncated.onnx", "-e", "openvino", "-niter", "1", "-x", "{out}",
         culprit="truncated.onnx", needs=("openvino",)),
    case("model-random-bytes-fake", "{bad}/random.onnx", *QUICK, "-x", "{out}", culprit="random.onnx"),
    case("model-random-bytes-onnxruntime", "{bad}/random.onnx", "-e", "onnxruntime", "-niter", "1",
         culprit="random.onnx", needs=("onnxruntime",)),
    case("model-random-bytes-openvino", "{bad}/random.onnx", "-e", "openvino", "-niter", "1",
         culprit="random.onnx", needs=("openvino",)),
    case("model-text-as-onnx-fake", "{bad}/text.onnx", *QUICK, "-x", "{out}", culprit="text.onnx"),
    case("model-text-as-onnx-onnxruntime", "{bad}/text.onnx", "-e", "onnxruntime", "-niter", "1",
         culprit="text.onnx", needs=("onnxruntime",)),
    case("model-text-as-onnx-openvino", "{bad}/text.onnx", "-e", "openvino", "-niter", "1",
         culprit="text.onnx", needs=("openvino",)),
    case("model-xml-without-bin", "{bad}/lonely.xml", *QUICK, "-x", "{out}", culprit="lonely.xml"),
    case("model-xml-not-xml-fake", "{bad}/notxml.xml", *QUICK, "-x", "{out}", culprit="notxml.xml"),
    case("model-xml-not-xml-openvino", "{bad}/notxml.xml", "-e", "openvino", "-niter", "1", "-x", "{out}",
         culprit="notxml.xml", needs=("openvino",)),
    case("model-xml-not-ir-fake", "{bad}/notir.xml", *QUICK, "-x", "{out}", culprit="notir.xml"),
    case("model-directory", "{bad}/model_folder", *QUICK, culprit="model_folder"),
    case("model-extension-pb", "{bad}/model.pb", *QUICK, culprit="model.pb"),
    case("model-extension-txt", "{bad}/model.txt", *QUICK, culprit="model.txt"),
    case("model-zoo-unknown", "zoo:nope", *QUICK, culprit="'nope'"),
    case("model-none", *QUICK, "-x", "{out}", culprit="no model given"),
    case("model-two-different", "{add}", "-m", "{static}", *QUICK, culprit="static.onnx"),
    # --- engine / device -----------------------------------------------------------------------------------
    case("engine-unknown", "{add}", "-e", "bogus", "-niter", "1", culprit="'bogus'"),
    case("engine-not-installed", "{add}", "-e", "openvino", "-niter", "1", "-x", "{out}",
         culprit="pip install 'infermeter[openvino]'", shim_openvino=True),
    case("device-unknown-openvino", "{add}", "-e", "openvino", "-d", "FOO", "-niter", "1", culprit="-d FOO",
         needs=("openvino",)),
    case("device-unknown-onnxruntime", "{add}", "-e", "onnxruntime", "-d", "FOO", "-niter", "1", culprit="-d FOO",
         needs=("onnxruntime",)),
    case("device-gpu-onnxruntime", "{add}", "-e", "onnxruntime", "-d", "GPU", "-niter", "1", culprit="-d GPU",
         needs=("onnxruntime", "no-cuda")),
    case("device-gpu-fake", "{add}", *QUICK, "-d", "GPU", culprit="-d GPU"),
    case("device-empty", "{add}", *QUICK, "-d", " ", culprit="-d/--device"),
    # --- shapes --------------------------------------------------------------------------------------------
    case("shape-wrong-rank", "{add}", *QUICK, "-shape", "[1,8,3]", culprit="-shape [1,8,3]"),
    case("shape-channel-openvino", "{conv}", "-e", "openvino", "-niter", "1", "-shape", "[1,4,8,8]", "-x", "{out}",
         culprit="image", needs=("openvino",)),
    case("shape-channel-onnxruntime", "{conv}", "-e", "onnxruntime", "-niter", "1", "-shape", "[1,4,8,8]",
         "-x", "{out}", culprit="'image'", needs=("onnxruntime",)),
    case("shape-channel-onnxruntime-zoo", "{zoo}", "-e", "onnxruntime", "-niter", "1", "-shape", "[1,4,224,224]",
         culprit="'input'", needs=("onnxruntime",)),
    case("shape-unknown-input", "{add}", *QUICK, "-shape", "nope[1,8]", culprit="'nope'"),
    case("shape-bad-syntax", "{add}", *QUICK, "-shape", "1,3", culprit="-shape '1,3'"),
    case("shape-zero-dim", "{add}", *QUICK, "-shape", "[0,8]", culprit="-shape '[0,8]'"),
    case("shape-same-input-twice", "{add}", *QUICK, "-shape", "x[1,8],x[2,8]", culprit="'x'"),
    case("shape-flag-twice", "{add}", *QUICK, "-shape", "x[1,8]", "-shape", "x[2,8]", "-x", "{out}",
         culprit="-shape"),
    case("shape-unnamed-and-named", "{add}", *QUICK, "-shape", "x[1,8],[2,8]", culprit="-shape"),
    case("dim-unresolved", "{multi}", *QUICK, "-x", "{out}", culprit="--dim sequence="),
    case("dim-unnamed-dynamic", "{unnamed}", *QUICK, "-x", "{out}", culprit="-shape x["),
    case("dim-unknown-name", "{add}", *QUICK, "--dim", "unknown=3", culprit="--dim unknown"),
    case("dim-not-a-number", "{multi}", *QUICK, "--dim", "sequence=abc", culprit="--dim sequence"),
    case("dim-no-name", "{multi}", *QUICK, "--dim", "=3", culprit="--dim '=3'"),
    # --- numbers -------------------------------------------------------------------------------------------
    case("batch-0", "{add}", *QUICK, "-b", "0", culprit="-b/--batch"),
    case("batch-conflicts-shape", "{static}", *QUICK, "-b", "3", "-shape", "[2,4]", culprit="-b 3"),
    case("batch-negative", "{add}", *QUICK, "-b", "-1", culprit="-b/--batch"),
    case("batch-word", "{add}", *QUICK, "-b", "x", culprit="-b/--batch"),
    case("nireq-0", "{add}", *QUICK, "-nireq", "0", culprit="-nireq"),
    case("nireq-negative", "{add}", *QUICK, "-nireq", "-2", culprit="-nireq"),
    case("nireq-word", "{add}", *QUICK, "-nireq", "two", culprit="-nireq"),
    case("niter-negative", "{add}", *FAKE, "-niter", "-1", culprit="-niter"),
    case("niter-word", "{add}", *FAKE, "-niter", "x", culprit="-niter"),
    case("niter-negative", "{add}", *FAKE, "-niter", "-1", culprit="-niter"),
    case("time-negative", "{add}", *FAKE, "-t", "-1", culprit="-t"),
    case("time-word", "{add}", *FAKE, "-t", "abc", culprit="'abc'"),
    case("time-0-alone", "{add}", *FAKE, "-t", "0", culprit="-t 0"),
    case("warmup-negative", "{add}", *FAKE, "-niter", "1", "-w", "-1", culprit="-w/--warmup"),
    case("warmup-word", "{add}", *FAKE, "-niter", "1", "-w", "xyz", culprit="-w/--warmup"),
    case("seed-negative", "{add}", *QUICK, "--seed", "-1", culprit="--seed"),
    case("seed-word", "{add}", *QUICK, "--seed", "x", culprit="--seed"),
    case("nthreads-0", "{add}", *QUICK, "-nthreads", "0", culprit="-nthreads"),
    case("fake-latency-0ms", "{add}", *QUICK, "--fake-latency", "0ms", culprit="--fake-latency"),
    case("fake-latency-word", "{add}", *QUICK, "--fake-latency", "nope", culprit="--fake-latency"),
    case("fake-first-call-word", "{add}", *QUICK, "--fake-first-call", "soon", culprit="--fake-first-call"),
    case("fake-fail-at-0", "{add}", *QUICK, "--fake-fail-at", "0", culprit="--fake-fail-at"),
    # --- conflicts -----------------------------------------------------------------------------------------
    case("api-sync-with-nireq", "{add}", *QUICK, "-api", "sync", "-nireq", "4", culprit="-nireq 4"),
    case("hint-latency-with-nireq", "{add}", *QUICK, "-hint", "latency", "-nireq", "4", culprit="-nireq 4"),
    case("warmup-and-no-warmup", "{add}", *FAKE, "-niter", "1", "-w", "1", "--no-warmup", culprit="--no-warmup"),
    case("batch-vs-dim", "{add}", *QUICK, "-b", "2", "--dim", "batch=3", culprit="--dim batch=3"),
    case("infer-precision-onnxruntime", "{add}", "-e", "onnxruntime", "-niter", "1", "-infer_precision", "f32",
         culprit="-infer_precision"),
    case("infer-precision-bogus-openvino", "{add}", "-e", "openvino", "-niter", "1", "-infer_precision", "bogus",
         "-x", "{out}", culprit="-infer_precision", needs=("openvino",)),
    case("nthreads-fake", "{add}", *QUICK, "-nthreads", "2", culprit="-nthreads"),
    case("api-bogus", "{add}", *QUICK, "-api", "bogus", culprit="-api 'bogus'"),
    case("hint-bogus", "{add}", *QUICK, "-hint", "bogus", culprit="-hint 'bogus'"),
    case("unknown-flag", "{add}", *QUICK, "--frobnicate", culprit="--frobnicate"),
    # --- input files ---------------------------------------------------------------------------------------
    case("input-missing", "{add}", *QUICK, "-i", "{tmp}/missing.npy", "-x", "{out}", culprit="missing.npy"),
    case("input-empty-folder", "{add}", *QUICK, "-i", "{bad}/empty_folder/", "-x", "{out}", culprit="empty_folder"),
    case("input-jpg", "{add}", *QUICK, "-i", "{bad}/x.jpg", "-x", "{out}", culprit="x.jpg"),
    case("input-corrupt-npy", "{add}", *QUICK, "-i", "{bad}/corrupt.npy", "-x", "{out}", culprit="corrupt.npy"),
    case("input-npy-wrong-rank", "{add}", *QUICK, "-i", "{bad}/rank1.npy", "-x", "{out}", culprit="'x'"),
    case("input-npy-static-dim-onnxruntime", "{static}", "-e", "onnxruntime", "-niter", "1", "-i", "{bad}/wide.npy",
         "-x", "{out}", culprit="'x'", needs=("onnxruntime",)),
    case("input-npy-float-into-int64", "{multi}", *QUICK, "--dim", "sequence=4", "-i",
         "input_ids:{bad}/float_ids.npy", "-x", "{out}", culprit="float_ids.npy"),
    case("input-npy-vs-batch", "{add}", *QUICK, "-i", "{bad}/x.npy", "-b", "2", "-x", "{out}",
         culprit="-b 2 conflicts with the shape [1,8] of -i {bad}/x.npy for input 'x'"),
    case("input-npy-vs-shape", "{add}", *QUICK, "-i", "{bad}/x.npy", "-shape", "x[2,8]", "-x", "{out}",
         culprit="for input 'x' disagrees with the shape [1,8] of its -i file {bad}/x.npy"),
    case("input-npy-channel-openvino", "{conv}", "-e", "openvino", "-niter", "1", "-i", "image:{bad}/four.npy",
         "-x", "{out}", culprit="image", needs=("openvino",)),
    case("input-same-name-twice", "{add}", *QUICK, "-i", "x:{bad}/x.npy", "x:{bad}/rank1.npy", "-x", "{out}",
         culprit="'x'"),
    case("input-npy-into-string-input", "{strings}", *QUICK, "-i", "text:{bad}/text.npy", "-x", "{out}",
         culprit="'text'"),
    case("input-raw-wrong-size", "{add}", *QUICK, "-i", "{bad}/short.bin", "-x", "{out}", culprit="short.bin"),
    case("input-unknown-name", "{add}", *QUICK, "-i", "nope:{bad}/x.npy", "-x", "{out}", culprit="'nope'"),
    case("input-unnamed-multi-input", "{multi}", *QUICK, "--dim", "sequence=4", "-i", "{bad}/ids.npy",
         "-x", "{out}", culprit="ids.npy"),
    case("input-npz-unknown-key", "{multi}", *QUICK, "--dim", "sequence=4", "-i", "{bad}/unknown_key.npz",
         "-x", "{out}", culprit="'bogus'"),
    # --- export --------------------------------------------------------------------------------------------
    case("export-missing-folder", "{add}", *QUICK, "-x", "{out_dir}/missing/OUT.json", culprit="-x/--export-json"),
    case("export-is-directory", "{add}", *QUICK, "-x", "{out_dir}", culprit="-x/--export-json"),
    case("export-empty-path", "{add}", *QUICK, "-x", "", culprit="-x/--export-json"),
    case("export-read-only-folder", "{add}", *QUICK, "-x", "{read_only_dir}/OUT.json", culprit="-x/--export-json"),
    # --- comparisons (--vs, --interleave, --until-decided) ----------------------------------------------------
    case("vs-missing", "zoo:resnet18", *QUICK, "--vs", "{tmp}/missing.onnx", "-x", "{out}",
         culprit="--vs: model file not found: {tmp}/missing.onnx"),
    case("interleave-request-async", "zoo:resnet18", *QUICK, "-api", "async", "--vs", "zoo:resnet18",
         "--interleave", "request", culprit="--interleave request: a configuration keeps requests in flight, "
         "-api async; use --interleave burst"),
    case("interleave-request-paced", "zoo:resnet18", *QUICK, "-api", "sync", "-max_irate", "100", "--vs",
         "zoo:resnet18", "--interleave", "request",
         culprit="--interleave request: -max_irate paces one configuration's own requests; use --interleave round"),
    case("interleave-unknown", "zoo:resnet18", *QUICK, "--vs", "zoo:resnet18", "--interleave", "pairs",
         culprit="--interleave 'pairs' is not one of: request, burst, round"),
    case("until-decided-zero-threshold", "zoo:resnet18", *QUICK, "--vs", "zoo:resnet18", "--until-decided",
         "--threshold", "0", culprit="--threshold 0 with --until-decided"),
    case("until-decided-one-configuration", "zoo:resnet18", *QUICK, "--until-decided",
         culprit="--until-decided compares configurations"),
    case("until-decided-in-rounds", "zoo:resnet18", *QUICK, "--vs", "zoo:resnet18", "--until-decided",
         "--interleave", "round", culprit="--until-decided needs configurations that take turns"),
    case("until-decided-max-time-below-one-request", "zoo:resnet18", *FAKE, "--fake-latency", "5ms", "--vs",
         "zoo:resnet18", "--until-decided", "--max-time", "1ms", "--no-warmup", "-t", "1ms", "-x", "{out}",
         culprit="--max-time 0.001 s is shorter than one request of"),
    case("until-decided-max-time-below-min", "zoo:resnet18", *FAKE, "--vs", "zoo:resnet18", "--until-decided",
         "--max-time", "1", "-t", "2", culprit="--max-time 1 s is shorter than the minimum measuring time"),
    case("rounds-with-request-interleaving", "zoo:resnet18", *QUICK, "-api", "sync", "--vs", "zoo:resnet18",
         "--rounds", "3", "--interleave", "request", culprit="--rounds applies to --interleave round"),
    # --- runtime -------------------------------------------------------------------------------------------
    case("fail-at-first-call", "zoo:resnet18", *FAKE, "--fake-fail-at", "1", "-x", "{out}", code=EXIT_RUNTIME,
         culprit="--fake-fail-at"),
    case("fail-during-measurement", "zoo:resnet18", *FAKE, "--fake-fail-at", "30", "--no-warmup", "-niter", "100",
         "-x", "{out}", code=EXIT_RUNTIME, culprit="--fake-fail-at", partial=True),
    case("string-input-fake", "{strings}", *QUICK, "-x", "{out}", culprit="-i text:"),
    case("string-input-onnxruntime", "{strings}", "-e", "onnxruntime", "-niter", "1", "-x", "{out}",
         culprit="-i text:", needs=("onnxruntime",)),
    case("string-input-openvino", "{strings}", "-e", "openvino", "-niter", "1", "-x", "{out}",
         culprit="-i text:", needs=("openvino",)),
]

ROWS: dict[str, Row] = {param.id: param.values[0] for param in CASES}

# --- models and files ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def conv_model(model_dir: Path) -> Path:
    """image float32 [batch, 3, 8, 8] -> Conv with weights [4, 3, 3, 3] -> features [batch, 4, 6, 6]."""
    from onnx import TensorProto, helper, numpy_helper

    weights = np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype(np.float32)
    return _save(model_dir, "conv", [helper.make_node("Conv", ["image", "weights"], ["features"])],
                 [_value("image", TensorProto.FLOAT, ["batch", 3, 8, 8])],
                 [_value("features", TensorProto.FLOAT, ["batch", 4, 6, 6])],
                 [numpy_helper.from_array(weights, "weights")])


@pytest.fixture(scope="session")
def string_model(model_dir: Path) -> Path:
    """text string [1] -> Identity -> same: an input no synthetic data can fill."""
    from onnx import TensorProto, helper

    return _save(model_dir, "strings", [helper.make_node("Identity", ["text"], ["same"])],
                 [_value("text", TensorProto.STRING, [1])], [_value("same", TensorProto.STRING, [1])])


@pytest.fixture(scope="session")
def bad_files(tmp_path_factory: pytest.TempPathFactory, multi_io_model: Path) -> Path:
    """Broken models and input files, plus a fake `openvino` package whose import fails."""
    bad = tmp_path_factory.mktemp("bad")
    rng = np.random.default_rng(0)
    (bad / "empty.onnx").write_bytes(b"")
    real = multi_io_model.read_bytes()
    (bad / "truncated.onnx").write_bytes(real[: len(real) // 2])
    (bad / "random.onnx").write_bytes(rng.bytes(4096))
    (bad / "text.onnx").write_text("this is not a model, just a text file\n")
    (bad / "lonely.xml").write_text("<?xml version='1.0'?><net name='x' version='11'><layers/></net>\n")
    (bad / "notxml.xml").write_text("not xml at all { ] <\n")
    (bad / "notxml.bin").write_bytes(rng.bytes(64))
    (bad / "notir.xml").write_text("<html><body/></html>\n")
    (bad / "notir.bin").write_bytes(rng.bytes(64))
    (bad / "model_folder").mkdir()
    (bad / "model.pb").write_bytes(rng.bytes(64))
    (bad / "model.txt").write_text("model\n")
    (bad / "empty_folder").mkdir()
    (bad / "x.jpg").write_text("not a picture\n")
    (bad / "corrupt.npy").write_bytes(b"\x93NUMPY\x01\x00garbage that is not a header")
    np.save(bad / "rank1.npy", np.ones(8, dtype=np.float32))
    np.save(bad / "wide.npy", np.ones((2, 5), dtype=np.float32))
    np.save(bad / "float_ids.npy", np.ones((1, 4), dtype=np.float32))
    np.save(bad / "x.npy", np.ones((1, 8), dtype=np.float32))
    np.save(bad / "four.npy", np.ones((1, 4, 8, 8), dtype=np.float32))
    np.save(bad / "text.npy", np.array(["hello"]))
    np.save(bad / "ids.npy", np.ones((1, 4), dtype=np.int64))
    np.savez(bad / "unknown_key.npz", input_ids=np.ones((1, 4), dtype=np.int64),
             bogus=np.ones((1, 4), dtype=np.int64))
    (bad / "short.bin").write_bytes(b"\0" * 10)
    shim = bad / "shim" / "openvino"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text('raise ImportError("simulated")\n')
    return bad


@functools.cache
def _onnxruntime_has_cuda() -> bool:
    import onnxruntime

    return "CUDAExecutionProvider" in onnxruntime.get_available_providers()


FIXTURE_FOR = {"add": "add_model", "static": "static_model", "multi": "multi_io_model", "conv": "conv_model",
               "strings": "string_model", "unnamed": "unnamed_dim_model", "bad": "bad_files"}


class Filler:
    """Fills {placeholders}, requesting only the fixtures a row uses."""

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        self._request = request
        self.tmp = tmp_path
        self.out_dir = tmp_path / "out"
        self.out_dir.mkdir()
        self.read_only: Path | None = None

    def __call__(self, text: str) -> str:
        names = {field for _, field, _, _ in string.Formatter().parse(text) if field}
        return text.format(**{name: self._value(name) for name in names})

    def _value(self, name: str) -> str:
        if name in FIXTURE_FOR:
            return str(self._request.getfixturevalue(FIXTURE_FOR[name]))
        if name == "zoo":
            self._request.getfixturevalue("built_resnet18")  # built once into the private cache
            return "zoo:resnet18"
        if name == "tmp":
            return str(self.tmp)
        if name == "out_dir":
            return str(self.out_dir)
        if name == "out":
            return str(self.out_dir / OUT_NAME)
        if name == "read_only_dir":
            return str(self._read_only())
        raise KeyError(name)

    def _read_only(self) -> Path:
        if self.read_only is None:
            self.read_only = self.out_dir
            self.read_only.chmod(0o500)
            if os.access(self.read_only, os.W_OK):
                pytest.skip("a chmod 0o500 folder is still writable here (running as root)")
        return self.read_only

    def restore(self) -> None:
        if self.read_only is not None:
            self.read_only.chmod(0o700)


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def _run(row: Row, argv: list[str], cli_env: dict[str, str], bad_dir: Path | None, cwd: Path) -> Outcome:
    env = dict(cli_env)
    if row.shim_openvino:
        assert bad_dir is not None
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(bad_dir / "shim"), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", "infermeter", "run", *argv], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=60, check=False)
    return Outcome(done.returncode, done.stdout, done.stderr)


def _check_needs(row: Row) -> None:
    if "no-cuda" in row.needs and _onnxruntime_has_cuda():
        pytest.skip("this onnxruntime has CUDA: -d GPU is valid here")


def _prepare(row: Row, request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Filler, list[str], str, Path | None]:
    _check_needs(row)
    fill = Filler(request, tmp_path)
    request.addfinalizer(fill.restore)
    argv = [fill(arg) for arg in row.argv]
    culprit = fill(row.culprit)
    bad_dir = request.getfixturevalue("bad_files") if row.shim_openvino else None
    return fill, argv, culprit, bad_dir


# --- the matrix ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("row", CASES)
def test_bad_input(row: Row, request: pytest.FixtureRequest, tmp_path: Path, cli_env: dict[str, str]) -> None:
    fill, argv, culprit, bad_dir = _prepare(row, request, tmp_path)
    result = _run(row, argv, cli_env, bad_dir, tmp_path)

    assert "Traceback" not in result.err and "Traceback" not in result.out, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert lines[0].startswith(ERROR_PREFIX), lines[0]
    assert culprit in lines[0], lines[0]
    assert result.code == row.code, lines[0]

    exported = fill.out_dir / OUT_NAME
    if row.partial:
        assert "{out}" in row.argv
        assert json.loads(exported.read_text(encoding="utf-8"))["partial"] is True
        assert sorted(os.listdir(fill.out_dir)) == [OUT_NAME]  # no temp file beside it
    else:
        assert not exported.exists()
        assert os.listdir(fill.out_dir) == []  # no ".OUT.json.*.tmp", no folder created
    assert sorted(os.listdir(tmp_path)) == ["out"]  # nothing written to the working folder either


DEBUG_CASES = ["batch-0", "unknown-flag", "input-corrupt-npy", "model-truncated-fake", "fail-at-first-call"]


@pytest.mark.parametrize("case_id", DEBUG_CASES)
def test_debug_prints_the_traceback(case_id: str, request: pytest.FixtureRequest, tmp_path: Path,
                                    cli_env: dict[str, str]) -> None:
    row = ROWS[case_id]
    _, argv, culprit, bad_dir = _prepare(row, request, tmp_path)
    result = _run(row, [*argv, "--debug"], cli_env, bad_dir, tmp_path)
    assert result.code == row.code, result.err
    assert "Traceback (most recent call last)" in result.err
    last = result.err.splitlines()[-1]
    assert last.startswith(ERROR_PREFIX) and culprit in last, last
