"""Suite files (``infermeter suite SUITE.toml``): models × configurations, read and checked before anything runs.

```toml
[suite]                      # optional
name = "production models"
rounds = 3                   # every point measured 3 times, interleaved (default 1)
options = ["-t", "5"]        # run options of every point (before the model's and the configuration's)

[[model]]
name = "cnn"
path = "models/cnn.onnx"     # relative to this file; or "zoo:resnet18"
options = ["-shape", "[1,3,224,224]"]

[[config]]
name = "ort"
options = ["-e", "onnxruntime", "-api", "sync"]
```

Every error is one ``UsageError``/``InputError`` line naming the file and, where TOML tells it, the line and
column; an unknown key names the closest known one. A missing model file is refused here, before any point runs.
Pure: reads one file, runs nothing.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, UsageError

KEYS = {"": ("suite", "model", "config"), "suite": ("name", "rounds", "seed", "options", "point_timeout"),
        "model": ("name", "path", "options"), "config": ("name", "options")}
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}")


@dataclass(frozen=True)
class SuiteModel:
    name: str
    ref: str  # a path (resolved against the suite file's folder) or zoo:NAME
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class SuiteConfig:
    name: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class SuiteFile:
    path: Path
    name: str
    models: tuple[SuiteModel, ...]
    configs: tuple[SuiteConfig, ...]
    rounds: int = 1
    seed: int = 0
    options: tuple[str, ...] = ()
    point_timeout: str | None = None


def read_suite(path: Path) -> SuiteFile:
    """The suite in ``path``, every model file checked to exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"suite file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"suite file {path} cannot be read ({type(error).__name__})") from None
    return parse_suite(text, path)


def parse_suite(text: str, path: Path) -> SuiteFile:
    data = _toml(text, path)
    where = _Where(path, text)
    where.check_keys(data, "")
    suite = data.get("suite", {})
    if not isinstance(suite, dict):
        raise where.error("suite", "[suite] must be a table")
    where.check_keys(suite, "suite")
    models = tuple(_model(item, index, where) for index, item in enumerate(where.tables(data, "model"), 1))
    configs = tuple(_config(item, index, where) for index, item in enumerate(where.tables(data, "config"), 1))
    if not models:
        raise UsageError(f"{path}: no [[model]]: list at least one model (name and path)")
    if not configs:
        configs = (SuiteConfig("default"),)
    for kind, names in (("model", [m.name for m in models]), ("config", [c.name for c in configs])):
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise where.error(f'name = "{twice[0]}"', f"two [[{kind}]] tables are named {twice[0]!r}: give each "
                              "its own name", last=True)
    _check_files(models, path)
    return SuiteFile(path=path, name=where.text_value(suite, "name", "suite") or path.stem, models=models,
                     configs=configs, rounds=where.integer(suite, "rounds", 1, low=1),
                     seed=where.integer(suite, "seed", 0, low=0), options=where.options(suite, "suite"),
                     point_timeout=where.text_value(suite, "point_timeout", "suite"))


def _toml(text: str, path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10: the tomli dependency (pyproject.toml)
        import tomli as tomllib
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message) or "invalid TOML"
        if found:
            raise UsageError(f"{path}:{found[1]}:{found[2]}: invalid TOML: {reason}") from None
        lines = text.splitlines() or [""]  # "at end of document": the position after the last character
        line, column = (len(lines) + 1, 1) if text.endswith("\n") else (len(lines), len(lines[-1]) + 1)
        raise UsageError(f"{path}:{line}:{column}: invalid TOML: {reason} (at the end of the file)") from None


def _model(item: dict[str, Any], index: int, where: _Where) -> SuiteModel:
    label = f"[[model]] #{index}"
    where.check_keys(item, "model", label, ("model", index))
    name = where.name(item, label)
    ref = where.text_value(item, "path", f"{label} ({name})")
    if not ref:
        raise where.error(f'name = "{name}"', f"{label} ({name}) has no path: give path = \"model.onnx\" or "
                          "\"zoo:NAME\"")
    if not ref.startswith("zoo:"):
        file = Path(ref).expanduser()
        ref = str(file if file.is_absolute() else where.path.parent / file)
    return SuiteModel(name, ref, where.options(item, f"{label} ({name})"))


def _check_files(models: tuple[SuiteModel, ...], path: Path) -> None:
    for model in models:
        if not model.ref.startswith("zoo:") and not Path(model.ref).exists():
            raise InputError(f"{path}: model {model.name!r}: file not found: {model.ref} (nothing was run)")


def _config(item: dict[str, Any], index: int, where: _Where) -> SuiteConfig:
    label = f"[[config]] #{index}"
    where.check_keys(item, "config", label, ("config", index))
    name = where.name(item, label)
    return SuiteConfig(name, where.options(item, f"{label} ({name})"))


@dataclass(frozen=True)
class _Where:
    """Checks of values, each error naming the file and, when the key is found in the text, its line."""

    path: Path
    text: str

    def error(self, needle: str, message: str, section: tuple[str, int] | None = None, last: bool = False
              ) -> UsageError:
        """``needle``: a key, or ``key = "value"``, looked for from the start of ``section`` (the n-th
        ``[[kind]]``), the first match (the last one with ``last``) giving the line number."""
        line = self._line_of(needle, section, last)
        return UsageError(f"{self.path}:{line}: {message}" if line else f"{self.path}: {message}")

    def _line_of(self, needle: str, section: tuple[str, int] | None, last: bool) -> int | None:
        key, _, value = (part.strip() for part in needle.partition("="))
        pattern = re.compile(rf"^\s*(\[\[?\s*)?[\"']?{re.escape(key)}[\"']?\s*(\]|=)"
                             + (rf"\s*{re.escape(value)}" if value else ""))
        lines = self.text.splitlines()
        start = 0
        if section is not None:
            headers = [n for n, line in enumerate(lines) if re.match(rf"^\s*\[\[\s*{section[0]}\s*\]\]", line)]
            start = headers[section[1] - 1] if len(headers) >= section[1] else 0
        found = [number + 1 for number in range(start, len(lines)) if pattern.search(lines[number])]
        return (found[-1] if last else found[0]) if found else None

    def check_keys(self, table: Mapping[str, Any], kind: str, label: str | None = None,
                   section: tuple[str, int] | None = None) -> None:
        known = KEYS[kind]
        for key in table:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
                place = label or (f"[{kind}]" if kind else "the top level")
                raise self.error(key, f"unknown key {key!r} in {place}{hint}", section)

    def tables(self, data: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
        value = data.get(kind, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.error(kind, f"{kind} must be an array of tables: write [[{kind}]]")
        return value

    def name(self, item: Mapping[str, Any], label: str) -> str:
        name = item.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise self.error("name", f"{label}: name must be text of letters, digits, _ . + - (at most 64), "
                             f"got {name!r}")
        return name

    def text_value(self, item: Mapping[str, Any], key: str, label: str) -> str | None:
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            raise self.error(key, f"{label}: {key} must be text, got {value!r}")
        return value

    def options(self, item: Mapping[str, Any], label: str) -> tuple[str, ...]:
        value = item.get("options", [])
        if isinstance(value, str):
            raise self.error("options", f"{label}: options must be a list of strings, e.g. [\"-t\", \"5\"], "
                             f"got the string {value!r}")
        if not isinstance(value, list) or not all(isinstance(token, (str, int, float)) and
                                                  not isinstance(token, bool) for token in value):
            raise self.error("options", f"{label}: options must be a list of strings, got {value!r}")
        return tuple(str(token) for token in value)

    def integer(self, item: Mapping[str, Any], key: str, default: int, low: int) -> int:
        value = item.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise self.error(key, f"[suite] {key} must be an integer ≥ {low}, got {value!r}")
        return value
