"""Where facetwin keeps what it can recompute (skin modes, measured reach)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """$FACETWIN_CACHE_DIR, else $XDG_CACHE_HOME/facetwin, else ~/.cache/facetwin."""
    if os.environ.get("FACETWIN_CACHE_DIR"):
        return Path(os.environ["FACETWIN_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "facetwin"
