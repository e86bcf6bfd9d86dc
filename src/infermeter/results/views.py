"""How reports, sessions and sweeps show in notebooks: one mixin; the work is in ``reporters.notebook``.

This is the one deliberate inversion in the data model: ``results`` imports no reporter, so the notebook
renderer is looked up by name when a notebook asks for it (``importlib``), not imported. That also keeps
pandas needed only by whoever calls ``to_pandas``.
"""

from __future__ import annotations

import importlib
from typing import Any

NOTEBOOK_MODULE = "infermeter.reporters.notebook"


class NotebookViews:
    def to_pandas(self, samples: bool = False) -> Any:
        """One row per run (or per request with ``samples=True``) as a pandas DataFrame (pandas optional)."""
        return importlib.import_module(NOTEBOOK_MODULE).to_pandas(self, samples)

    def _repr_html_(self) -> str:
        text: str = importlib.import_module(NOTEBOOK_MODULE).repr_html(self)
        return text
