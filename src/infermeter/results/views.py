"""How reports, sessions and sweeps show in notebooks: one mixin, the work is in ``notebook.py`` (imported on
use, so pandas is needed only by whoever calls ``to_pandas``)."""

from __future__ import annotations

from typing import Any


class NotebookViews:
    def to_pandas(self, samples: bool = False) -> Any:
        """One row per run (or per request with ``samples=True``) as a pandas DataFrame (pandas optional)."""
        from ..reporters.notebook import to_pandas

        return to_pandas(self, samples)  # type: ignore[arg-type]  # only Report, Session and Sweep mix it in

    def _repr_html_(self) -> str:
        from ..reporters.notebook import repr_html

        return repr_html(self)  # type: ignore[arg-type]
