"""What one in-process ``infermeter`` command returned: its exit code and what it printed (the ``im`` fixture of
conftest.py runs commands this way, with a wide console and the tests' zoo cache)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Outcome:
    code: int
    out: str
    err: str


Run = Callable[..., Outcome]
