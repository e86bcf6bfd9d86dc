"""What a model declares about its inputs and outputs, before any shape is resolved (read by ``model.files``,
``model.zoo`` and every engine; a leaf)."""

from __future__ import annotations

from dataclasses import dataclass

Dim = int | str | None  # static size, symbolic name, or unknown (-1 / ? / unset)


@dataclass(frozen=True)
class InputDescription:
    """A model input as declared by the model, before any shape is resolved."""

    name: str
    dtype: str  # numpy dtype name: "float32", "int64", "bool", "string", ...
    dims: tuple[Dim, ...] | None  # None = rank unknown
    index_bound: int | None = None  # exclusive upper bound for index-like inputs (size of the table indexed)
    index_source: str | None = None  # where index_bound was read from, e.g. "Gather 'embeddings'"


@dataclass(frozen=True)
class OutputDescription:
    name: str
    dtype: str
    dims: tuple[Dim, ...] | None
