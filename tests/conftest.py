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
def spec():
    """The default face's spec."""
    from facetwin.face_config import load_spec

    return load_spec()


@pytest.fixture()
def calibration_dir(tmp_path, monkeypatch):
    """Calibrations kept in the test's own folder (never the user's), within a 30 s guard."""
    from tests.guards import time_limit

    monkeypatch.setenv("FACETWIN_CALIBRATION_DIR", str(tmp_path))
    with time_limit(30):
        yield tmp_path


@pytest.fixture(scope="session")
def model():
    from facetwin.sim import load_face

    return load_face()


@pytest.fixture(scope="session")
def skin(model):
    from facetwin.sim.fast_skin import FastSkin

    return FastSkin(model)


@pytest.fixture(scope="session")
def babbled(model, tmp_path_factory):
    """A small babbling dataset of the default face (400 samples, two shards), shared by the tests
    that train on one."""
    from facetwin.agents.selfmodel.dataset import record_dataset
    from facetwin.sim.sim_face import SimFace
    from tests.guards import time_limit

    out = tmp_path_factory.mktemp("babble") / "data"
    with SimFace(model) as twin, time_limit(60):
        record_dataset(twin, out, 400, model.config, shard_size=200, seed=3, progress=False)
    return out
