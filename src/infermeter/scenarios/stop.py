"""When a timed loop stops starting requests: one object that every loop asks, and the one place that says it.

A ``Stop`` ends a run once at least ``requests`` requests have been started *and* ``duration_ns`` has passed
since ``begin``: both limits are minimums, as in benchmark_app (``-niter`` and ``-t`` together). Requests
already in flight are always completed and counted, so a throughput window ends at the last completion.
A ``checkpoint`` (``--rel-precision``) may end the run earlier: the ``Recorder`` asks it between batches.
With a checkpoint the minimums live in the checkpoint and ``duration_ns`` is the latest end
(``Stop.at_most``).

A loop asks cheaply. Per request it compares the clock with ``deadline`` and its count with a due count
(both plain integers it holds in locals); only when one of them is reached does it call ``ask``, which says
whether to stop and, if not, when to ask again. Once the time minimum has passed but requests are still
owed, ``deadline`` becomes ``NEVER`` and the due count lands exactly on the request minimum, so no loop asks
on every request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config.benchmark import StopRule, Warmup

if TYPE_CHECKING:
    from .recording import Checkpoint

NEVER = 1 << 62
ENDED = -1


class Stop:
    """Both limits are minimums; see the module docstring. Shared by the runner threads of one run."""

    def __init__(self, requests: int = 0, duration_ns: int = 0, checkpoint: Checkpoint | None = None) -> None:
        if requests < 0 or duration_ns < 0:
            raise ValueError("a stop rule's limits cannot be negative")
        self.requests = requests
        self.duration_ns = duration_ns
        self.checkpoint = checkpoint
        self.deadline = NEVER  # the clock value at which a loop asks next; set by begin
        self._time_up_at = NEVER

    @classmethod
    def at_most(cls, duration_ns: int, checkpoint: Checkpoint) -> Stop:
        """Until ``checkpoint`` says stop (it holds the minimums), at the latest ``duration_ns`` after begin."""
        return cls(0, duration_ns, checkpoint)

    def begin(self, now: int) -> int:
        """Start the clock of the time limit; returns the first ``deadline``."""
        self._time_up_at = now + self.duration_ns
        self.deadline = self._time_up_at
        return self.deadline

    def ended(self, started: int, now: int) -> bool:
        """The definition: no request is started once both minimums are met."""
        return started >= self.requests and now >= self._time_up_at

    def ask(self, started: int, now: int) -> int:
        """``ENDED`` (-1) when no more requests may start; else how many more may start before the next ask
        (``NEVER``: none is owed, ask again when the clock reaches ``deadline``)."""
        owed = self.requests - started
        if now >= self._time_up_at:
            if owed <= 0:
                return ENDED
            self.deadline = NEVER  # the time minimum is met: only the request count is left
            return owed
        return owed if owed > 0 else NEVER


def stop_for(rule: StopRule, checkpoint: Checkpoint | None = None) -> Stop:
    """The measurement's stop from the configured rule; with ``--rel-precision`` the checkpoint decides, within
    ``--max-time``."""
    if checkpoint is not None:
        return Stop.at_most(rule.max_duration_ns, checkpoint)
    return Stop(rule.min_iterations, rule.min_duration_ns)


def warmup_stop(warmup: Warmup) -> Stop:
    return Stop(warmup.iterations, warmup.duration_ns)
