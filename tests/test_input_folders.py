"""benchmark_app-style -i: folders, several files per input, and images decoded with Pillow.

Images are written with Pillow into tmp_path as lossless PNGs with known pixels, so the loaded arrays can be
checked exactly: channel order, layout, resizing, grayscale, batching. No engine is involved.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from infermeter.config.values import InputFile, parse_input_files
from infermeter.engines.base import Dim, InputDescription
from infermeter.errors import InputError, UsageError
from infermeter.inputs.files import (
    file_shapes,
    file_sources,
    finish_input_files,
    finish_input_samples,
    load_input_files,
)
from infermeter.inputs.shapes import ResolvedInput
from infermeter.inputs.synthetic import PreparedInput

needs_pillow = pytest.mark.skipif(importlib.util.find_spec("PIL") is None, reason="Pillow not installed")

# a 2×3 RGB picture: every pixel differs, every channel differs
RGB = np.array([[[10, 20, 30], [40, 50, 60], [70, 80, 90]],
                [[11, 21, 31], [41, 51, 61], [71, 81, 91]]], dtype=np.uint8)


def save(path: Path, pixels: np.ndarray) -> Path:
    from PIL import Image

    Image.fromarray(pixels).save(path)
    return path


def solid(path: Path, value: int, height: int = 2, width: int = 3) -> Path:
    return save(path, np.full((height, width, 3), value, dtype=np.uint8))


def resolved(name: str, dtype: str, shape: tuple[int, ...], dims: tuple[Dim, ...] | None = None) -> ResolvedInput:
    return ResolvedInput(InputDescription(name, dtype, dims if dims is not None else shape), shape)


def samples(files: Sequence[InputFile], inputs: Sequence[ResolvedInput], layouts: Mapping[str, str] | None = None,
            channel_order: str = "BGR") -> tuple[dict[str, list[PreparedInput]], list[str]]:
    loaded = load_input_files(files, [item.description for item in inputs])
    return finish_input_samples(loaded, inputs, layouts or {}, channel_order)


def values(prepared: list[PreparedInput], channel: int = 0) -> list[int]:
    """The first pixel of ``channel`` in every image of every sample (NCHW), in order."""
    return [int(v) for p in prepared for v in p.array[:, channel, 0, 0]]


# ================================================================ one image: order, layout, dtype


@needs_pillow
@pytest.mark.parametrize(("order", "channels"), [("BGR", [2, 1, 0]), ("RGB", [0, 1, 2])])
def test_nchw_channel_order(tmp_path: Path, order: str, channels: list[int]) -> None:
    image = save(tmp_path / "a.png", RGB)
    got, notes = samples([InputFile(None, image)], [resolved("image", "float32", (1, 3, 2, 3))], channel_order=order)
    (only,) = got["image"]
    assert only.array.dtype == np.float32
    assert only.array.flags.c_contiguous
    assert np.array_equal(only.array, RGB[:, :, channels].transpose(2, 0, 1)[np.newaxis].astype(np.float32))
    assert only.array[0, 0, 0, 0] == (30.0 if order == "BGR" else 10.0)  # raw 0–255, no scaling
    assert only.fill == f"image {image} ({order}, NCHW)"
    assert notes == ["input 'image': layout NCHW inferred from its shape [1, 3, 2, 3] for images; "
                     "pass -layout image[...] if that is wrong"]


@needs_pillow
def test_nhwc_uint8(tmp_path: Path) -> None:
    image = save(tmp_path / "a.png", RGB)
    got, _ = samples([InputFile(None, image)], [resolved("x", "uint8", (1, 2, 3, 3))])
    assert got["x"][0].array.dtype == np.uint8
    assert np.array_equal(got["x"][0].array, RGB[np.newaxis, :, :, ::-1])
    assert got["x"][0].fill == f"image {image} (BGR, NHWC)"


@needs_pillow
@pytest.mark.parametrize(("shape", "layout", "expected"), [
    ((3, 2, 3), None, RGB[:, :, ::-1].transpose(2, 0, 1)),
    ((2, 3, 3), None, RGB[:, :, ::-1]),
    ((1, 3, 3, 3), None, None),  # 3 in both places: NCHW wins, but the image is 2 high, so it is resized
    ((1, 2, 3, 3), "[N,H,W,C]", RGB[np.newaxis, :, :, ::-1]),
    ((1, 3, 2, 3), "nchw", RGB[:, :, ::-1].transpose(2, 0, 1)[np.newaxis]),
])
def test_layouts(tmp_path: Path, shape: tuple[int, ...], layout: str | None, expected: np.ndarray | None) -> None:
    image = save(tmp_path / "a.png", RGB)
    got, notes = samples([InputFile(None, image)], [resolved("x", "int32", shape)], {"x": layout} if layout else {})
    assert got["x"][0].array.shape == shape
    if expected is not None:
        assert np.array_equal(got["x"][0].array, expected.astype(np.int32))
        assert not any("resized" in note for note in notes)
    assert any("inferred" in note for note in notes) == (layout is None)


@needs_pillow
def test_explicit_layout_overrides_inference(tmp_path: Path) -> None:
    image = solid(tmp_path / "a.png", 9, height=3, width=3)
    got, notes = samples([InputFile(None, image)], [resolved("x", "float32", (1, 3, 3, 3))], {"x": "NHWC"})
    assert got["x"][0].fill == f"image {image} (BGR, NHWC)"
    assert notes == []


@needs_pillow
def test_grayscale_input(tmp_path: Path) -> None:
    pixels = np.array([[[100, 100, 100], [255, 0, 0]], [[0, 0, 0], [255, 255, 255]]], dtype=np.uint8)
    image = save(tmp_path / "a.png", pixels)
    got, _ = samples([InputFile(None, image)], [resolved("x", "float32", (1, 1, 2, 2))])
    # ITU-R 601 luma, as OpenCV's BGR2GRAY: red alone gives 76
    assert got["x"][0].array.tolist() == [[[[100.0, 76.0], [0.0, 255.0]]]]
    assert got["x"][0].fill == f"image {image} (gray, NCHW)"


@needs_pillow
def test_four_channels_keep_alpha_last(tmp_path: Path) -> None:
    from PIL import Image

    image = tmp_path / "a.png"
    Image.fromarray(np.array([[[1, 2, 3, 4]]], dtype=np.uint8)).save(image)
    got, _ = samples([InputFile(None, image)], [resolved("x", "uint8", (1, 1, 1, 4))], {"x": "NHWC"})
    assert got["x"][0].array.tolist() == [[[[3, 2, 1, 4]]]]
    assert got["x"][0].fill == f"image {image} (BGRA, NHWC)"


@needs_pillow
def test_resize_to_the_input_and_say_so(tmp_path: Path) -> None:
    image = solid(tmp_path / "big.png", 7, height=4, width=6)
    got, notes = samples([InputFile(None, image)], [resolved("x", "float32", (1, 3, 2, 3))])
    assert got["x"][0].array.shape == (1, 3, 2, 3)
    assert np.all(got["x"][0].array == 7.0)
    assert f"image {image} 6×4 resized to 3×2" in notes
    assert got["x"][0].fill == f"image {image} (BGR, NCHW, resized)"


@needs_pillow
def test_many_resizes_are_summarised(tmp_path: Path) -> None:
    folder = tmp_path / "dir"
    folder.mkdir()
    for index in range(5):
        solid(folder / f"{index}.png", index, height=4, width=4)
    _, notes = samples([InputFile(None, folder)], [resolved("x", "float32", (1, 3, 2, 2))], {"x": "NCHW"})
    assert notes == [f"image {folder / '0.png'} 4×4 resized to 2×2", "…and 4 more images for input 'x' resized to 2×2"]


@needs_pillow
def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    from PIL import Image

    image = tmp_path / "turned.png"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 2 wide × 1 high, shown rotated: 1 wide × 2 high
    Image.fromarray(np.array([[[10, 10, 10], [200, 200, 200]]], dtype=np.uint8)).save(image, exif=exif)
    got, notes = samples([InputFile(None, image)], [resolved("x", "uint8", (1, 1, 2, 1))])
    assert got["x"][0].array[0, 0, :, 0].tolist() == [10, 200]
    assert not any("resized" in note for note in notes)


# ================================================================ folders, several files, batches


@needs_pillow
def test_folder_sorted_by_name_skipping_other_files(tmp_path: Path) -> None:
    folder = tmp_path / "dir"
    folder.mkdir()
    for name, value in (("b.png", 2), ("a.png", 1), ("c.png", 3)):
        solid(folder / name, value)
    (folder / "notes.txt").write_text("not data")
    (folder / ".hidden.png").write_text("skipped: hidden")
    (folder / "sub").mkdir()
    solid(folder / "sub" / "0.png", 99)  # not recursive
    got, _ = samples([InputFile(None, folder)], [resolved("x", "float32", (1, 3, 2, 3))], {"x": "NCHW"})
    assert values(got["x"]) == [1, 2, 3]
    assert {p.fill for p in got["x"]} == {f"3 images from {folder}/ (BGR, NCHW)"}


@needs_pillow
def test_several_files_and_folders_append_in_order(tmp_path: Path) -> None:
    folder = tmp_path / "dir"
    folder.mkdir()
    solid(folder / "b.png", 2)
    solid(folder / "a.png", 1)
    first, last = solid(tmp_path / "first.png", 5), solid(tmp_path / "last.png", 6)
    files = [InputFile(None, first), InputFile("x", folder), InputFile(None, last)]
    got, _ = samples(files, [resolved("x", "float32", (1, 3, 2, 3))], {"x": "NCHW"})
    assert values(got["x"]) == [5, 1, 2, 6]
    assert got["x"][0].fill == f"4 images from {first}, {folder}/, {last} (BGR, NCHW)"


@needs_pillow
@pytest.mark.parametrize(("count", "batch", "expected"), [
    (4, 2, [[0, 1], [2, 3]]),
    (5, 2, [[0, 1], [2, 3], [4, 0]]),
    (2, 4, [[0, 1, 0, 1]]),
    (3, 1, [[0], [1], [2]]),
])
def test_batch_takes_consecutive_images_and_cycles(tmp_path: Path, count: int, batch: int,
                                                    expected: list[list[int]]) -> None:
    folder = tmp_path / "dir"
    folder.mkdir()
    for index in range(count):
        solid(folder / f"img{index}.png", index)
    item = resolved("x", "float32", (batch, 3, 2, 3), ("batch", 3, 2, 3))
    got, notes = samples([InputFile(None, folder)], [item], {"x": "NCHW"})
    assert [p.array[:, 0, 0, 0].astype(int).tolist() for p in got["x"]] == expected
    assert all(p.array.shape == (batch, 3, 2, 3) for p in got["x"])
    repeated = len(expected) * batch - count
    cycle_notes = [n for n in notes if "repeats" in n]
    if repeated:
        assert cycle_notes == [f"input 'x': {count} images fill {len(expected)} batches of {batch}; "
                               f"the last one repeats {repeated} from the first"]
    else:
        assert cycle_notes == []


@needs_pillow
def test_nhwc_batch(tmp_path: Path) -> None:
    one, two = solid(tmp_path / "1.png", 1), solid(tmp_path / "2.png", 2)
    got, _ = samples([InputFile(None, one), InputFile(None, two)], [resolved("x", "uint8", (2, 2, 3, 3))])
    (only,) = got["x"]
    assert only.array[:, 0, 0, 0].tolist() == [1, 2]


def test_npy_files_are_one_sample_each(tmp_path: Path) -> None:
    folder = tmp_path / "arrays"
    folder.mkdir()
    for index in range(3):
        np.save(folder / f"{index}.npy", np.full((2, 4), index, np.float64))
    inputs = [resolved("x", "float32", (2, 4), ("batch", 4))]
    loaded = load_input_files([InputFile(None, folder)], [i.description for i in inputs])
    assert file_shapes(loaded) == {"x": (2, 4)}
    assert file_sources(loaded) == {"x": str(folder / "0.npy")}
    got, notes = finish_input_samples(loaded, inputs)
    assert [float(p.array[0, 0]) for p in got["x"]] == [0.0, 1.0, 2.0]
    assert all(p.array.dtype == np.float32 for p in got["x"])
    assert got["x"][0].fill == f"3 files from {folder}/ (cast from float64)"
    assert notes == []
    assert finish_input_files(loaded, inputs)["x"].array.tolist() == [[0.0] * 4] * 2  # the first sample


def test_samples_of_one_input_need_one_shape(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.ones((1, 8), np.float32))
    np.save(tmp_path / "b.npy", np.ones((2, 8), np.float32))
    with pytest.raises(InputError) as info:
        load_input_files([InputFile("x", tmp_path / "a.npy"), InputFile("x", tmp_path / "b.npy")],
                         [InputDescription("x", "float32", ("batch", 8))])
    assert str(info.value) == (f"-i {tmp_path / 'b.npy'}: shape [2, 8] differs from [1, 8] of {tmp_path / 'a.npy'}, "
                               "the first sample of input 'x'; all samples of an input must have one shape")


def test_raw_files_in_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "raw"
    folder.mkdir()
    np.arange(6, dtype=np.float32).tofile(folder / "a.bin")
    np.arange(6, 12, dtype=np.float32).tofile(folder / "b.raw")
    inputs = [resolved("x", "float32", (2, 3), ("batch", 3))]
    loaded = load_input_files([InputFile(None, folder)], [i.description for i in inputs])
    assert file_shapes(loaded) == {}
    got, _ = finish_input_samples(loaded, inputs)
    assert [p.array.tolist() for p in got["x"]] == [[[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 10, 11]]]
    assert got["x"][1].fill == f"2 files from {folder}/"


def test_npz_archives_give_one_sample_per_archive(tmp_path: Path) -> None:
    folder = tmp_path / "sets"
    folder.mkdir()
    for index in range(2):
        np.savez(folder / f"{index}.npz", ids=np.full((1, 4), index, np.int64), mask=np.ones((1, 4), np.int64))
    inputs = [resolved("ids", "int64", (1, 4)), resolved("mask", "int64", (1, 4))]
    got, _ = samples([InputFile(None, folder)], inputs)
    assert [int(p.array[0, 0]) for p in got["ids"]] == [0, 1]
    assert len(got["mask"]) == 2


@needs_pillow
def test_npz_and_image_folder_together(tmp_path: Path) -> None:
    np.savez(tmp_path / "ids.npz", ids=np.arange(4, dtype=np.int64).reshape(1, 4))
    folder = tmp_path / "images"
    folder.mkdir()
    solid(folder / "a.png", 1)
    solid(folder / "b.png", 2)
    inputs = [resolved("ids", "int64", (1, 4), ("batch", 4)), resolved("image", "float32", (1, 3, 2, 3))]
    files = parse_input_files([str(tmp_path / "ids.npz"), f"image:{folder}"])
    loaded = load_input_files(files, [i.description for i in inputs])
    assert file_shapes(loaded) == {"ids": (1, 4)}  # images fix no shape
    got, _ = finish_input_samples(loaded, inputs, {"image": "NCHW"})
    assert got["ids"][0].array.tolist() == [[0, 1, 2, 3]]
    assert got["ids"][0].fill == f"file {tmp_path / 'ids.npz'} [ids]"
    assert values(got["image"]) == [1, 2]


def test_archive_and_file_for_one_input_still_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.ones(3, np.float32))
    np.savez(tmp_path / "all.npz", a=np.ones(3, np.float32))
    with pytest.raises(InputError, match=r"input 'a' is given by both .*x\.npy and .*all\.npz"):
        load_input_files([InputFile("a", tmp_path / "x.npy"), InputFile(None, tmp_path / "all.npz")],
                         [InputDescription("a", "float32", (3,))])


@needs_pillow
def test_images_and_arrays_for_one_input_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.ones((1, 3, 2, 3), np.float32))
    image = solid(tmp_path / "a.png", 1)
    with pytest.raises(InputError, match="give one input either images or array files"):
        load_input_files([InputFile(None, tmp_path / "x.npy"), InputFile(None, image)],
                         [InputDescription("x", "float32", (1, 3, 2, 3))])


# ================================================================ errors


def test_empty_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError) as info:
        load_input_files([InputFile(None, empty)], [InputDescription("x", "float32", (3,))])
    assert str(info.value) == f"-i {empty}: the folder holds no .npy/.npz/.bin/image files"
    with pytest.raises(InputError) as info:
        load_input_files([InputFile("x", empty)], [InputDescription("x", "float32", (3,))])
    assert str(info.value) == f"-i x:{empty}: the folder holds no .npy/.npz/.bin/image files"
    with pytest.raises(InputError) as info:
        parse_input_files(f"x:{empty}")
    assert str(info.value) == f"-i x:{empty}: the folder holds no .npy/.npz/.bin/image files"


def test_folder_of_other_files_says_what_was_skipped(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "sub").mkdir()
    with pytest.raises(InputError) as info:
        parse_input_files(str(tmp_path))
    assert str(info.value) == f"-i {tmp_path}: the folder holds no .npy/.npz/.bin/image files (2 other entries skipped)"


@needs_pillow
@pytest.mark.parametrize("damage", ["text", "truncated", "empty"])
def test_unreadable_image_names_the_file(tmp_path: Path, damage: str) -> None:
    good = solid(tmp_path / "good.png", 1, height=64, width=64).read_bytes()
    content = {"text": b"not a picture\n", "truncated": good[: len(good) // 2], "empty": b""}[damage]
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(f"-i {path}: not a readable image (")):
        samples([InputFile(None, path)], [resolved("x", "float32", (1, 3, 64, 64))])


@needs_pillow
def test_unreadable_image_in_a_folder_names_that_file(tmp_path: Path) -> None:
    solid(tmp_path / "a.png", 1)
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(InputError, match=re.escape(f"-i {tmp_path / 'b.png'}: not a readable image")):
        samples([InputFile(None, tmp_path)], [resolved("x", "float32", (1, 3, 2, 3))])


@needs_pillow
@pytest.mark.parametrize("shape", [(1, 8), (8,), (1, 1, 3, 2, 3)])
def test_image_for_a_non_image_input(tmp_path: Path, shape: tuple[int, ...]) -> None:
    image = solid(tmp_path / "a.png", 1)
    with pytest.raises(InputError) as info:
        samples([InputFile(None, image)], [resolved("x", "float32", shape)])
    assert str(info.value) == (f"-i {image}: input 'x' has shape {list(shape)}; an image needs a 4-D (NCHW/NHWC) "
                               "or 3-D (CHW/HWC) input")


@needs_pillow
def test_layout_cannot_be_inferred(tmp_path: Path) -> None:
    image = solid(tmp_path / "a.png", 1)
    with pytest.raises(InputError, match=re.escape("cannot tell the layout of input 'x' [1, 8, 2, 8]; "
                                                   "pass -layout x[NCHW]")):
        samples([InputFile(None, image)], [resolved("x", "float32", (1, 8, 2, 8))])


@needs_pillow
@pytest.mark.parametrize(("layout", "shape", "message"), [
    ("NCH", (1, 3, 2, 3), "layout 'NCH' does not fit input 'x' [1, 3, 2, 3]; give the letters NCHW in the "
                          "input's order, e.g. -layout x[NCHW]"),
    ("NCDW", (1, 3, 2, 3), "layout 'NCDW' does not fit input 'x'"),
    ("CHW", (1, 3, 2, 3), "layout 'CHW' does not fit input 'x'"),
    ("NHWC", (1, 3, 2, 7), "input 'x' has 7 channels in layout NHWC [1, 3, 2, 7]; images give 1, 3 or 4"),
])
def test_bad_explicit_layout(tmp_path: Path, layout: str, shape: tuple[int, ...], message: str) -> None:
    image = solid(tmp_path / "a.png", 1)
    with pytest.raises(InputError, match=re.escape(message)):
        samples([InputFile(None, image)], [resolved("x", "float32", shape)], {"x": layout})


def test_layout_for_an_unknown_input(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.ones(3, np.float32))
    with pytest.raises(UsageError, match=r"-layout names input 'nope', which the model does not have; inputs: x"):
        samples([InputFile(None, tmp_path / "x.npy")], [resolved("x", "float32", (3,))], {"nope": "NCHW"})


@needs_pillow
@pytest.mark.parametrize("dtype", ["int8", "bool", "string"])
def test_image_into_a_type_that_cannot_hold_pixels(tmp_path: Path, dtype: str) -> None:
    image = solid(tmp_path / "a.png", 1)
    with pytest.raises(InputError, match=re.escape(f"input 'x' has type {dtype}, which cannot hold 0–255 pixel")):
        samples([InputFile(None, image)], [resolved("x", dtype, (1, 3, 2, 3))])


@needs_pillow
def test_bad_channel_order(tmp_path: Path) -> None:
    image = solid(tmp_path / "a.png", 1)
    with pytest.raises(UsageError, match="channel order 'GBR'"):
        samples([InputFile(None, image)], [resolved("x", "float32", (1, 3, 2, 3))], channel_order="GBR")


def test_unnamed_folder_with_several_inputs(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.ones(3, np.float32))
    with pytest.raises(InputError) as info:
        load_input_files([InputFile(None, tmp_path)], [InputDescription("a", "float32", (3,)),
                                                       InputDescription("b", "float32", (3,))])
    assert str(info.value) == f"-i {tmp_path}: the model has 2 inputs (a, b); say which one as NAME:{tmp_path}"


def test_pillow_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = tmp_path / "a.jpg"
    image.write_bytes(b"never decoded")
    (tmp_path / "b.jpg").write_bytes(b"never decoded")
    for module in [name for name in sys.modules if name == "PIL" or name.startswith("PIL.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "PIL", None)  # `from PIL import Image` now raises ImportError
    with pytest.raises(UsageError) as info:
        load_input_files([InputFile(None, tmp_path)], [InputDescription("x", "float32", (1, 3, 2, 3))])
    assert not isinstance(info.value, InputError)
    assert str(info.value) == f"-i {image}: reading images needs Pillow: pip install 'infermeter[images]'"


# ================================================================ parse_input_files


def test_parse_folders_images_and_repeats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dir").mkdir()
    np.save(tmp_path / "dir" / "0.npy", np.ones(3))
    for name in ("a.jpg", "b.JPEG", "c.png", "d.bmp", "e.tif", "f.tiff", "g.webp"):
        (tmp_path / name).write_bytes(b"")
    assert parse_input_files("dir/") == (InputFile(None, Path("dir")),)
    assert parse_input_files(["in1:dir/", "a.jpg", "a.jpg"]) == (
        InputFile("in1", Path("dir")), InputFile(None, Path("a.jpg")), InputFile(None, Path("a.jpg")))
    assert parse_input_files("x:a.jpg,x:c.png") == (InputFile("x", Path("a.jpg")), InputFile("x", Path("c.png")))
    assert len(parse_input_files(["b.JPEG", "d.bmp", "e.tif", "f.tiff", "g.webp"])) == 5


def test_parse_unnamed_after_named_in_one_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("a.jpg", "b.jpg", "c.npy", "d.npy"):
        (tmp_path / name).write_bytes(b"")
    assert parse_input_files("in1:a.jpg,b.jpg,in2:c.npy,d.npy") == (
        InputFile("in1", Path("a.jpg")), InputFile("in1", Path("b.jpg")),
        InputFile("in2", Path("c.npy")), InputFile("in2", Path("d.npy")))
    # separate values do not inherit a name
    expected = (InputFile("in1", Path("a.jpg")), InputFile(None, Path("b.jpg")))
    assert parse_input_files(["in1:a.jpg", "b.jpg"]) == expected
