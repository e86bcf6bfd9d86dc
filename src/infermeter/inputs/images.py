"""Images as input data (benchmark_app's ``-i photo.jpg`` / ``-i folder/``), decoded with Pillow.

Pillow is imported here only, and only when an image is read, so it stays an optional extra. Each image is
decoded to uint8, converted to the input's channel count (3, 1 = grayscale, 4 = with alpha), put in BGR order
by default (benchmark_app reads with OpenCV, which is BGR) or RGB, resized to the input's H×W with bilinear
filtering, laid out per the input's layout (given, or inferred from where the 1/3/4-sized dim sits) and cast to
the input's dtype without scaling: float inputs get the raw 0–255 values, as benchmark_app feeds them.
An input with batch B takes B consecutive images per sample, cycling from the first to fill the last batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from ..config.datafiles import error_reason as _reason
from ..errors import InputError, UsageError
from .shapes import ResolvedInput

CHANNEL_ORDERS = ("BGR", "RGB")
PILLOW_MISSING = "reading images needs Pillow: pip install 'infermeter[images]'"
_CHANNELS = (1, 3, 4)
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}
_LISTED_RESIZES = 3  # resize notes listed one by one per input; beyond that, one summary line


@dataclass(frozen=True)
class ImageLayout:
    text: str  # "NCHW", "NHWC", "CHW" or "HWC"
    inferred: bool
    batch: int  # size of the N dim; 1 when the layout has none
    channels: int
    height: int
    width: int


@dataclass(frozen=True)
class ImageSamples:
    arrays: list[np.ndarray]  # each of the input's resolved shape and dtype
    layout: ImageLayout
    resized: int  # how many images were resized
    notes: list[str]


def require_pillow(path: Path) -> ModuleType:
    """The ``PIL.Image`` module, or a UsageError naming the image that needed it."""
    try:
        from PIL import Image
    except ImportError:
        raise UsageError(f"-i {path}: {PILLOW_MISSING}") from None
    return Image


def image_layout(item: ResolvedInput, given: str | None, path: Path) -> ImageLayout:
    """Where N, C, H and W sit in the input's resolved shape: from ``given`` (e.g. "NHWC"), else inferred."""
    shape = item.shape
    if len(shape) not in (3, 4):
        raise InputError(f"-i {path}: input {item.name!r} has shape {list(shape)}; an image needs a 4-D "
                         "(NCHW/NHWC) or 3-D (CHW/HWC) input")
    text = _parsed_layout(item, given, path) if given is not None else _inferred_layout(item, path)
    channels = shape[text.index("C")]
    if channels not in _CHANNELS:
        raise InputError(f"-i {path}: input {item.name!r} has {channels} channels in layout {text} "
                         f"{list(shape)}; images give 1, 3 or 4")
    batch = shape[text.index("N")] if "N" in text else 1
    return ImageLayout(text, given is None, batch, channels, shape[text.index("H")], shape[text.index("W")])


def _parsed_layout(item: ResolvedInput, given: str, path: Path) -> str:
    text = "".join(c for c in given.upper() if c not in "[], ")
    wanted = "NCHW" if len(item.shape) == 4 else "CHW"
    if len(text) != len(item.shape) or sorted(text) != sorted(wanted):
        raise InputError(f"-i {path}: layout {given!r} does not fit input {item.name!r} {list(item.shape)}; "
                         f"give the letters {wanted} in the input's order, e.g. -layout {item.name}[{wanted}]")
    return text


def _inferred_layout(item: ResolvedInput, path: Path) -> str:
    shape = item.shape
    first, last = ("NCHW", "NHWC") if len(shape) == 4 else ("CHW", "HWC")
    if shape[first.index("C")] in _CHANNELS:
        return first
    if shape[last.index("C")] in _CHANNELS:
        return last
    raise InputError(f"-i {path}: cannot tell the layout of input {item.name!r} {list(shape)}; "
                     f"pass -layout {item.name}[{first}]")


def image_samples(paths: Sequence[Path], item: ResolvedInput, layout_text: str | None,
                  channel_order: str) -> ImageSamples:
    """The input's samples from ``paths``: ceil(images / batch) arrays of its resolved shape."""
    if channel_order not in CHANNEL_ORDERS:
        raise UsageError(f"channel order {channel_order!r} is not one of: {', '.join(CHANNEL_ORDERS)}")
    layout = image_layout(item, layout_text, paths[0])
    dtype = _pixel_dtype(item, paths[0])
    pictures: list[np.ndarray] = []
    resized: list[str] = []
    for path in paths:
        pixels, original = _decode(path, layout, channel_order)
        if original != (layout.width, layout.height):
            resized.append(f"image {path} {original[0]}×{original[1]} resized to {layout.width}×{layout.height}")
        pictures.append(_arranged(pixels, layout))  # kept as uint8: cast per sample, to keep memory low
    count = math.ceil(len(pictures) / layout.batch)
    arrays = [_sample(pictures, index, layout, dtype) for index in range(count)]
    notes = _resize_notes(resized, item, layout)
    if layout.inferred:
        notes.append(f"input {item.name!r}: layout {layout.text} inferred from its shape {list(item.shape)} "
                     f"for images; pass -layout {item.name}[...] if that is wrong")
    if count * layout.batch != len(pictures):
        notes.append(f"input {item.name!r}: {len(pictures)} images fill {count} batches of {layout.batch}; "
                     f"the last one repeats {count * layout.batch - len(pictures)} from the first")
    return ImageSamples(arrays, layout, len(resized), notes)


def _pixel_dtype(item: ResolvedInput, path: Path) -> np.dtype:
    try:
        dtype = np.dtype(item.description.dtype)
    except TypeError:
        dtype = None
    if dtype is not None and (dtype.kind == "f" or (dtype.kind in "iu" and np.iinfo(dtype).max >= 255)):
        return dtype
    raise InputError(f"-i {path}: input {item.name!r} has type {item.description.dtype}, which cannot hold "
                     "0–255 pixel values")


def _decode(path: Path, layout: ImageLayout, channel_order: str) -> tuple[np.ndarray, tuple[int, int]]:
    """HWC uint8 pixels at the layout's H×W, channels in ``channel_order``, and the image's own W×H."""
    image_module = require_pillow(path)
    from PIL import ImageOps

    try:
        with image_module.open(path) as opened:
            upright = ImageOps.exif_transpose(opened)  # OpenCV's imread honours EXIF orientation too
            original = upright.size
            picture = upright.convert(_MODES[layout.channels])
            if picture.size != (layout.width, layout.height):
                picture = picture.resize((layout.width, layout.height), image_module.Resampling.BILINEAR)
            pixels = np.asarray(picture, dtype=np.uint8)
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError... on damaged files
        raise InputError(f"-i {path}: not a readable image ({_reason(error)})") from None
    if layout.channels == 1:
        return pixels[:, :, np.newaxis], original
    if channel_order == "BGR":
        pixels = pixels[:, :, [2, 1, 0, 3][: layout.channels]]
    return pixels, original


def _arranged(pixels: np.ndarray, layout: ImageLayout) -> np.ndarray:
    """HWC pixels in the order of the layout's C, H and W letters."""
    target = [letter for letter in layout.text if letter != "N"]
    return np.transpose(pixels, ["HWC".index(letter) for letter in target])


def _sample(pictures: list[np.ndarray], index: int, layout: ImageLayout, dtype: np.dtype) -> np.ndarray:
    """Sample ``index``: the next ``batch`` pictures along N, wrapping to the first ones at the end."""
    if "N" not in layout.text:
        return pictures[index % len(pictures)].astype(dtype, order="C")
    chosen = [pictures[(index * layout.batch + b) % len(pictures)] for b in range(layout.batch)]
    return np.stack(chosen, axis=layout.text.index("N")).astype(dtype, order="C")


def _resize_notes(resized: list[str], item: ResolvedInput, layout: ImageLayout) -> list[str]:
    if len(resized) <= _LISTED_RESIZES:
        return list(resized)
    return [resized[0], f"…and {len(resized) - 1} more images for input {item.name!r} resized to "
                        f"{layout.width}×{layout.height}"]


def image_fill(paths_from: str, count: int, samples: ImageSamples, channel_order: str) -> str:
    """E.g. "8 images from dir/ (BGR, NCHW, resized)"."""
    order = {1: "gray", 3: channel_order, 4: channel_order + "A"}[samples.layout.channels]
    details = [order, samples.layout.text] + (["resized"] if samples.resized else [])
    what = f"image {paths_from}" if count == 1 else f"{count} images from {paths_from}"
    return f"{what} ({', '.join(details)})"


