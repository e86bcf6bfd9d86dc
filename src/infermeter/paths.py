"""Where infermeter keeps what it can rebuild: generated zoo models, the measured peak, engine facts."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """$INFERMETER_CACHE_DIR, else $XDG_CACHE_HOME/infermeter, else ~/.cache/infermeter."""
    own = os.environ.get("INFERMETER_CACHE_DIR")
    if own:
        return Path(own).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "infermeter"
