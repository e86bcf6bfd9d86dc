"""Inputs that vary from request to request, as prepared before timing: K complete input sets fed round-robin
(several samples from -i files, or several shapes from -data_shape). ``scenarios.feed`` feeds them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class InputFeed:
    sets: Sequence[Mapping[str, np.ndarray]]  # K complete input sets, fed in this order, round-robin
    groups: Sequence[int]  # shape group of each set
    labels: Sequence[str]  # one label per shape group, e.g. "input[1,3,224,224]"
    copy_in: bool  # full mode: copy the sample into the bound inputs inside the timed call
    group_batches: Sequence[int] = ()  # items per request of each shape group

    def group_of_index(self, count: int) -> np.ndarray:
        """Shape group of a worker's first ``count`` requests."""
        table = np.asarray(self.groups, dtype=np.int16)
        return table[np.arange(count, dtype=np.int64) % len(table)]
