"""Typed errors. Every failure the user can cause or meet maps to one exit code, here and nowhere else."""

from __future__ import annotations

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_NOT_VALID = 3  # run --require-valid: the verdict was UNSTABLE or INSUFFICIENT
EXIT_REGRESSION = 4  # compare: B is slower than A beyond the threshold
EXIT_DISAGREE = 5  # verify: an engine's outputs differ from the reference's beyond the tolerance
EXIT_INTERRUPTED = 130  # SIGINT (Ctrl-C)
EXIT_TERMINATED = 143  # SIGTERM


class InfermeterError(Exception):
    """Base class: carries a one-line message for the user and the process exit code."""

    exit_code = EXIT_RUNTIME

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(InfermeterError):
    """Bad command line, bad option value or combination (exit 2)."""

    exit_code = EXIT_USAGE


class InputError(UsageError):
    """A model or input file cannot be used as given: missing, unreadable, wrong shape or dtype (exit 2)."""


class EngineNotInstalled(UsageError):
    """The engine's Python package is missing; the message says which extra to install (exit 2)."""


class EngineError(InfermeterError):
    """The engine failed while reading, compiling or running the model (exit 1)."""


class BenchmarkInterrupted(InfermeterError):
    """Ctrl-C (SIGINT) before anything was measured (exit 130)."""

    exit_code = EXIT_INTERRUPTED


def exit_code_for(error: BaseException | None, outcome: int = EXIT_OK, terminated: bool = False) -> int:
    """The single place where the end of a command becomes the process exit code: the exception's code when
    one ended it (a bug is 1), else the outcome its handler returned; an interruption by SIGTERM
    (``terminated``) is 143 instead of 130."""
    if error is None:
        code = outcome
    elif isinstance(error, InfermeterError):
        code = error.exit_code
    elif isinstance(error, KeyboardInterrupt):
        code = EXIT_INTERRUPTED
    else:
        code = EXIT_RUNTIME
    return EXIT_TERMINATED if code == EXIT_INTERRUPTED and terminated else code


_TRACE_LINES = ("Exception from ", "Check '", "[ GENERAL_ERROR ]", "Traceback")


def one_line(error: BaseException) -> str:
    """One useful line of an exception's text. Engines raise multi-line C++ traces whose first line is only
    a source location ("Exception from src/...cpp:67:"): the first line that says something wins."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(_TRACE_LINES)]
    if useful:
        return useful[0]
    return lines[0] if lines else type(error).__name__
