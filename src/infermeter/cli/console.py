"""The console the command line prints on (rich is imported only when something is shown)."""

from __future__ import annotations

import os
from typing import Any

PIPED_WIDTH = 110


def make_console(stderr: bool = False) -> Any:
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH  # logs and CI: wide lines read better than 80-column wrapping
    return console

