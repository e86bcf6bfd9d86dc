"""Seeded synthetic input data, valid by construction for index-like inputs.

Each input gets its own random stream derived from (seed, input name), so adding an input or reordering
them does not change the others' bytes. The rule used for each input is returned in words so the report
can say exactly what was fed.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .shapes import ResolvedInput, is_batch_dim

UNBOUNDED_INT_HIGH = 128


@dataclass(frozen=True)
class PreparedInput:
    name: str
    array: np.ndarray
    fill: str  # how the data was made, e.g. "token ids uniform in [0, 30522) (Gather 'emb')"


def role_of(name: str) -> str:
    """Classify an input by its name: mask, token_type, position, beam, or plain."""
    key = re.sub(r"[^a-z0-9]", "_", name.lower())
    if "mask" in key:
        return "mask"
    if "token_type" in key or "segment" in key:
        return "token_type"
    if "position_id" in key or key.startswith("pos_id") or key == "positions":
        return "position"
    if "beam_idx" in key:
        return "beam"
    return "plain"


def synthesize(item: ResolvedInput, seed: int) -> PreparedInput:
    description = item.description
    dtype_name = description.dtype
    if dtype_name in ("string", "unsupported", "bfloat16"):
        raise InputError(f"input {item.name!r} has type {dtype_name}, which infermeter cannot synthesize; "
                         f"pass data with -i {item.name}:file.npy")
    dtype = np.dtype(dtype_name)
    rng = np.random.default_rng([seed, zlib.crc32(item.name.encode())])
    role = role_of(item.name)
    if role == "mask":
        return PreparedInput(item.name, np.ones(item.shape, dtype), "ones (attention mask)")
    if dtype.kind in "iu":
        return _integers(item, dtype, role, rng)
    if dtype.kind == "b":
        return PreparedInput(item.name, rng.integers(0, 2, item.shape).astype(bool), "random booleans")
    if dtype.kind in "fc":
        data = rng.standard_normal(item.shape, dtype=np.float64).astype(dtype)
        return PreparedInput(item.name, data, f"random normal N(0,1), seed {seed}")
    raise InputError(f"input {item.name!r} has type {dtype_name}, which infermeter cannot synthesize; "
                     f"pass data with -i {item.name}:file.npy")


def _integers(item: ResolvedInput, dtype: np.dtype, role: str, rng: np.random.Generator) -> PreparedInput:
    shape = item.shape
    if role == "token_type":
        return PreparedInput(item.name, np.zeros(shape, dtype), "zeros (token type ids)")
    if role == "position" and shape:
        positions = np.broadcast_to(np.arange(shape[-1], dtype=dtype), shape).copy()
        return PreparedInput(item.name, positions, f"0..{shape[-1] - 1} along the last dim (position ids)")
    if role == "beam":
        batch = _batch_size(item)
        data = np.broadcast_to(np.arange(shape[-1], dtype=dtype) % max(batch, 1), shape).copy() if shape else \
            np.zeros(shape, dtype)
        return PreparedInput(item.name, data, "0..n-1 (beam indices)")
    info = np.iinfo(dtype)
    if item.description.index_bound is not None:
        high = min(item.description.index_bound, int(info.max) + 1)
        source = f" ({item.description.index_source})" if item.description.index_source else ""
        what = "token ids" if "id" in item.name.lower() else "indices"
        fill = f"{what} uniform in [0, {high}){source}"
    else:
        high = 256 if dtype.itemsize == 1 and info.min == 0 else UNBOUNDED_INT_HIGH
        fill = f"uniform integers in [0, {high}) (no index table found in the graph)"
    data = rng.integers(0, high, size=shape, dtype=np.int64).astype(dtype)
    return PreparedInput(item.name, data, fill)


def _batch_size(item: ResolvedInput) -> int:
    dims = item.description.dims or ()
    for index in range(len(dims)):
        if is_batch_dim(dims, index):
            return item.shape[index]
    return item.shape[0] if item.shape else 1
