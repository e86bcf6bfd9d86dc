"""SIGTERM is turned into the same KeyboardInterrupt path as Ctrl-C; only the exit code and the words differ."""

from __future__ import annotations

import signal


class Termination:
    """SIGTERM is turned into the same KeyboardInterrupt path as Ctrl-C; only the exit code differs."""

    received = False

    @classmethod
    def install(cls) -> None:
        cls.received = False
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, cls._handle)

    @classmethod
    def _handle(cls, signum: int, frame: object) -> None:
        cls.received = True
        raise KeyboardInterrupt

    @classmethod
    def signal_name(cls) -> str:
        return "SIGTERM" if cls.received else "Ctrl-C"

