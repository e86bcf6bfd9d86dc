"""SIGTERM is turned into the same KeyboardInterrupt path as Ctrl-C; only the exit code and the words differ."""

from __future__ import annotations

import os
import signal

DIE_WITH_PARENT = "INFERMETER_DIE_WITH_PARENT"  # set by a cluster task for the point process it starts


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



def die_with_parent_if_asked() -> None:
    """A point started by a cluster task (``DIE_WITH_PARENT`` set to the task's pid) is killed with it: Linux's
    PR_SET_PDEATHSIG, so a killed task (node gone, Ctrl-C) leaves no benchmark running. Elsewhere: nothing."""
    parent = os.environ.pop(DIE_WITH_PARENT, None)
    if parent is None:
        return
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        return
    if str(os.getppid()) != parent:  # the task died before the request was made
        os._exit(137)
