"""What ``infermeter engines`` lists, remembered between calls.

Importing OpenVINO alone takes about a third of a second, so the devices and execution providers found the
last time are kept in ``~/.cache/infermeter/engines.json``, keyed by the engine's installed version (read from
package metadata, which imports nothing). A new version, ``--refresh``, or a damaged file means a fresh look.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..paths import cache_root
from .sdk import SDKS


def cache_path() -> Path:
    return cache_root() / "engines.json"


def installed_version(name: str) -> str | None:
    """The installed distribution's version, from package metadata; None when it is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    sdk = SDKS.get(name)
    if sdk is None:
        return None
    try:
        return version(sdk.distribution)
    except PackageNotFoundError:
        return None


def cached_info(name: str) -> dict[str, Any] | None:
    """The entry stored for this engine at its installed version, or None."""
    wanted = installed_version(name)
    entry = _read().get(name)
    if wanted is None or not isinstance(entry, dict) or entry.get("package_version") != wanted:
        return None
    return entry


def remember(name: str, info_version: str, devices: tuple[str, ...], detail: str) -> None:
    package_version = installed_version(name)
    if package_version is None:
        return
    known = _read()
    known[name] = {"package_version": package_version, "version": info_version, "devices": list(devices),
                   "detail": detail}
    path = cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(known, indent=2, sort_keys=True) + "\n")
    except OSError:
        pass  # a read-only home only costs the next call its speed


def _read() -> dict[str, Any]:
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
