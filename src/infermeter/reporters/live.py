"""What the console shows while a benchmark runs: a status line on a terminal, and the report's header as
soon as the first inference is done.

Start-up matters (process start to first inference no slower than benchmark_app), so this module imports
no ``rich`` and no renderer: a piped run imports them when it first prints, after the first inference.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    from ..results.report import Report

_PHASE_WORDS = {"read": "reading model", "inputs": "preparing inputs", "reshape": "reshaping",
                "compile": "compiling"}


def stream_may_be_terminal(stderr: bool) -> bool:
    """False when rich would certainly not see a terminal (no TTY, nothing forcing one), decided without
    importing rich; True means: ask rich."""
    if any(name in os.environ for name in ("FORCE_COLOR", "FORCE_TERMINAL", "TTY_COMPATIBLE", "JUPYTER_COLUMNS")):
        return True
    if "ipykernel" in sys.modules:
        return True
    stream = sys.stderr if stderr else sys.stdout
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class ConsoleObserver:
    """Shows what is happening on a terminal; stays silent when output is piped or ``quiet``.

    With ``header``, the report's header (engine, precision, layout, inputs, phase times) is printed as soon as
    the first inference is done, before measuring: ``header_shown`` then tells ``render_report`` to skip it.
    The console is made on first use (``console_factory``), so a piped run imports rich only when it prints.
    """

    def __init__(self, console_factory: Callable[[], Console], quiet: bool = False, style: str = "auto",
                 header: bool = False, stderr: bool = False) -> None:
        self._console_factory = console_factory
        self._console_made: Console | None = None
        self._quiet = quiet
        self._header = header and not quiet
        self._stderr = stderr
        self.header_shown = False
        self._style = style  # auto (live line on a terminal) | bar (live line) | lines (-stream_output) | none
        self._live: Live | None = None
        self._lock = threading.Lock()
        self._last_line_s = 0.0

    @property
    def console(self) -> Console:
        if self._console_made is None:
            self._console_made = self._console_factory()
        return self._console_made

    @property
    def wants_progress(self) -> bool:
        if self._style == "none":
            return False
        if self._style in ("bar", "lines"):
            return True
        if self._quiet or (self._console_made is None and not stream_may_be_terminal(self._stderr)):
            return False
        return self.console.is_terminal

    def phase_started(self, name: str) -> None:
        if self.wants_progress:
            self._show(_text(f"{_PHASE_WORDS.get(name, name)}…", style="dim"))

    def phase_finished(self, name: str, duration_ns: int) -> None:
        return None

    def note(self, text: str) -> None:
        if not self._quiet:
            self.console.print(_text(text, style="dim"))

    def ready(self, report: Callable[[], Report]) -> None:
        if self._header and not self.header_shown:
            from .console import header_table

            self.console.print(header_table(report()))
            self.header_shown = True

    def progress(self, completed: int, elapsed_ns: int) -> None:
        seconds = elapsed_ns / 1e9
        rate = completed / seconds if seconds > 0 else 0.0
        text = _text(f"measuring: {seconds:6.1f} s · {completed:,} requests · {rate:,.1f} requests/s", style="cyan")
        if self._style == "lines":
            if seconds - self._last_line_s >= 1.0:  # plain lines for logs, one a second
                self._last_line_s = seconds
                self.console.print(text)
            return
        self._show(text)

    def _show(self, text: Text) -> None:
        if not self.wants_progress or self._style == "lines":
            return
        with self._lock:
            if self._live is None:
                from rich.live import Live

                self._live = Live(text, console=self.console, transient=True, auto_refresh=False)
                self._live.start()
            self._live.update(text, refresh=True)

    def close(self) -> None:
        with self._lock:
            if self._live is not None:
                self._live.stop()
                self._live = None


def _text(text: str, style: str) -> Any:
    from rich.text import Text

    return Text(text, style=style)
