"""Shared fixtures. The fast-skin cache goes to a per-run folder so tests never read a stale one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    os.environ["FACETWIN_CACHE_DIR"] = str(tmp_path_factory.mktemp("facetwin-cache"))


@pytest.fixture(scope="session")
def model():
    from facetwin.sim import load_face

    return load_face()


@pytest.fixture(scope="session")
def skin(model):
    from facetwin.sim.fast_skin import FastSkin

    return FastSkin(model)
