"""Frozen dataclasses to JSON-ready values and back, driven by the classes' type hints.

``to_data`` turns a dataclass into a dict of its fields in declaration order (tuples and lists become lists,
mappings dicts, paths text; a field whose metadata has ``OMIT_IF_NONE`` is left out while it is None).
``from_data(hint, data)`` is the reverse and checks every value against its hint, so a report with a number
where text belongs fails when it is read, with the path of the value in the message. Rules:

- a missing key takes the field's default (files written before the field existed still load); a field
  without a default must be there (``KeyError``);
- keys the class does not know are ignored (a later release may add fields);
- an int is accepted where a float is expected; a bool is never an int;
- in a union the members are tried in order, the first that accepts the value wins.

Supported hints: dataclasses, ``str``, ``int``, ``float``, ``bool``, ``None``, ``Path``, ``Any``, unions,
``tuple[X, ...]``, ``tuple[X, Y]``, ``list[X]``, ``Mapping[str, V]`` / ``dict[str, V]``.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
OMIT_IF_NONE = {"omit_if_none": True}


def to_data(value: Any) -> Any:
    """A dataclass (or anything it holds) as JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: to_data(getattr(value, item.name)) for item in dataclasses.fields(value)
                if not (item.metadata.get("omit_if_none") and getattr(value, item.name) is None)}
    if isinstance(value, Mapping):
        return {str(key): to_data(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [to_data(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    return value


def from_dict(cls: type[T], data: Any, where: str = "") -> T:
    """An instance of the dataclass ``cls`` from ``to_data`` output; TypeError / KeyError when malformed."""
    if not isinstance(data, dict):
        raise TypeError(f"{where or cls.__name__}: expected an object, got {_shown(data)}")
    hints = _hints(cls)
    values = {}
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]  # cls is a dataclass
        if not item.init:
            continue
        path = f"{where}.{item.name}" if where else item.name
        if item.name in data:
            values[item.name] = from_data(hints[item.name], data[item.name], path)
        elif item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
            raise KeyError(path)
    return cls(**values)


def from_data(hint: Any, data: Any, where: str = "value") -> Any:
    """``data`` read as the type ``hint`` (see the module doc)."""
    if hint is Any:
        return data
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, data, where)  # type: ignore[arg-type]  # hint is a dataclass type here
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _union(typing.get_args(hint), data, where)
    if origin in (tuple, list):
        return _sequence(origin, typing.get_args(hint), data, where)
    if origin in (dict, Mapping):
        key_hint, value_hint = typing.get_args(hint)
        if not isinstance(data, dict):
            raise TypeError(f"{where}: expected an object, got {_shown(data)}")
        return {from_data(key_hint, key, where): from_data(value_hint, value, f"{where}.{key}")
                for key, value in data.items()}
    return _scalar(hint, data, where)


def _union(members: tuple[Any, ...], data: Any, where: str) -> Any:
    if data is None and type(None) in members:
        return None
    for member in members:
        if member is type(None):
            continue
        try:
            return from_data(member, data, where)
        except (TypeError, KeyError, ValueError):
            continue
    names = " | ".join(getattr(member, "__name__", str(member)) for member in members)
    raise TypeError(f"{where}: expected {names}, got {_shown(data)}")


def _sequence(origin: Any, args: tuple[Any, ...], data: Any, where: str) -> Any:
    if not isinstance(data, list):
        raise TypeError(f"{where}: expected a list, got {_shown(data)}")
    if origin is list:
        return [from_data(args[0], item, f"{where}[{index}]") for index, item in enumerate(data)]
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(from_data(args[0], item, f"{where}[{index}]") for index, item in enumerate(data))
    if len(data) != len(args):
        raise TypeError(f"{where}: expected {len(args)} items, got {len(data)}")
    pairs = enumerate(zip(args, data, strict=True))
    return tuple(from_data(arg, item, f"{where}[{index}]") for index, (arg, item) in pairs)


def _scalar(hint: Any, data: Any, where: str) -> Any:
    if hint is type(None) or hint is None:
        if data is None:
            return None
    elif hint is bool:
        if isinstance(data, bool):
            return data
    elif hint is int:
        if isinstance(data, int) and not isinstance(data, bool):
            return data
    elif hint is float:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return float(data)
    elif hint is str:
        if isinstance(data, str):
            return data
    elif hint is Path:
        if isinstance(data, str):
            return Path(data)
    else:
        raise TypeError(f"{where}: the codec cannot read a {hint!r}")
    raise TypeError(f"{where}: expected {getattr(hint, '__name__', 'null')}, got {_shown(data)}")


def _hints(cls: type) -> dict[str, Any]:
    return _cached_hints(cls)


@functools.cache
def _cached_hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _shown(data: Any) -> str:
    text = repr(data)
    return text if len(text) <= 40 else text[:39] + "…"
