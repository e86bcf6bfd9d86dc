"""Every error about an ``-i`` input file is one line naming the file as given (``PATH`` or ``NAME:PATH``) and,
once it is known, the input: through ``infermeter.cli.main`` on the fake engine, from the current folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from infermeter import cli

ERROR_PREFIX = "infermeter: error: "
EXIT_USAGE = 2
FLOAT_8 = "float32[1, 8]"

# (arguments after the model, the error line after "infermeter: error: "); {add} / {multi} pick the model
CASES = {
    "missing": ("{add}", ["-i", "missing.npy"], "-i missing.npy: file not found"),
    "missing-named": ("{add}", ["-i", "x:missing.npy"], "-i x:missing.npy: file not found"),
    "unsupported-type": ("{add}", ["-i", "notes.txt"], "-i notes.txt: unsupported file type '.txt'; use .npy, .npz, "
                         ".bin or an image (.jpg, .png, .bmp, .tif, .webp)"),
    "empty-folder-named": ("{add}", ["-i", "x:empty"],
                           "-i x:empty: the folder holds no .npy/.npz/.bin/image files"),
    "unknown-input": ("{add}", ["-i", "nope:x.npy"], "-i nope:x.npy: the model has no input 'nope'; inputs: x"),
    "vs-shape": ("{add}", ["-i", "x.npy", "-shape", "x[2,8]"],
                 "-shape [2,8] for input 'x' disagrees with the shape [1,8] of its -i file x.npy"),
    "vs-batch": ("{add}", ["-i", "x.npy", "-b", "2"],
                 "-b 2 conflicts with the shape [1,8] of -i x.npy for input 'x': keep one"),
    "vs-data-shape": ("{add}", ["-i", "x:x.npy", "-data_shape", "[1,8][2,8]"],
                      "-data_shape with -i x:x.npy: the files fix the data shapes; give one or the other"),
    "wrong-rank": ("{add}", ["-i", "rank1.npy"], "-i rank1.npy: its shape [8] has rank 1 but input 'x' has rank 2 "
                   "[batch,8]"),
    "samples-differ": ("{add}", ["-i", "x:x.npy,x:x2.npy"],
                       "-i x2.npy: shape [2, 8] differs from [1, 8] of x.npy, the first sample of input 'x'; all "
                       "samples of an input must have one shape"),
    "raw-size": ("{add}", ["-i", "short.bin"], f"-i short.bin: 12 bytes, but input 'x' {FLOAT_8} needs 32"),
    "unnamed-for-two-inputs": ("{multi}", ["--dim", "sequence=4", "-i", "ids.npy"],
                               "-i ids.npy: the model has 2 inputs (input_ids, attention_mask); say which one as "
                               "NAME:ids.npy"),
    "dtype": ("{multi}", ["--dim", "sequence=4", "-i", "input_ids:float_ids.npy"],
              "-i float_ids.npy: dtype float32 cannot feed input 'input_ids' of type int64"),
}


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "x.npy", np.ones((1, 8), np.float32))
    np.save(tmp_path / "x2.npy", np.ones((2, 8), np.float32))
    np.save(tmp_path / "rank1.npy", np.ones(8, np.float32))
    np.save(tmp_path / "ids.npy", np.ones((1, 4), np.int64))
    np.save(tmp_path / "float_ids.npy", np.ones((1, 4), np.float32))
    (tmp_path / "short.bin").write_bytes(bytes(12))
    (tmp_path / "corrupt.npy").write_bytes(b"not a numpy file")
    (tmp_path / "notes.txt").write_text("notes", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    return tmp_path


@pytest.mark.parametrize("name", CASES)
def test_input_file_error_names_the_file(name: str, data: Path, add_model: Path, multi_io_model: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    model, args, expected = CASES[name]
    capsys.readouterr()
    code = cli.main(["run", model.format(add=add_model, multi=multi_io_model), "-e", "fake", "-niter", "1", *args])
    captured = capsys.readouterr()
    assert (code, captured.out) == (EXIT_USAGE, "")
    assert captured.err == f"{ERROR_PREFIX}{expected}\n"


def test_unreadable_file_error_names_the_file(data: Path, add_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The reason in brackets is numpy's own words, which change between numpy versions."""
    capsys.readouterr()
    code = cli.main(["run", str(add_model), "-e", "fake", "-niter", "1", "-i", "x:corrupt.npy"])
    captured = capsys.readouterr()
    assert (code, captured.out) == (EXIT_USAGE, "")
    assert captured.err.startswith(f"{ERROR_PREFIX}-i x:corrupt.npy: not a readable .npy file (")
    assert captured.err.endswith(")\n") and captured.err.count("\n") == 1
