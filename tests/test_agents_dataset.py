"""Babbling datasets: atomic shards, a manifest tied to the face, resuming after an interruption."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from facetwin.agents.selfmodel import dataset as dataset_module
from facetwin.agents.selfmodel.babble import BabbleConfig
from facetwin.agents.selfmodel.dataset import BabbleDataset, Manifest, record_dataset
from facetwin.errors import ConfigError
from facetwin.sim.sim_face import SimFace
from tests.guards import time_limit


class Interrupting(SimFace):
    """The twin, with Ctrl-C pressed after `after` steps."""

    def __init__(self, model, after: int):
        super().__init__(model)
        self.after = after

    def step(self, command):
        self.after -= 1
        if self.after < 0:
            raise KeyboardInterrupt
        return super().step(command)


def _record(model, out, samples=25, **kwargs):
    with SimFace(model) as twin, time_limit(60):
        return record_dataset(twin, out, samples, model.config, shard_size=10, seed=7, progress=False, **kwargs)


@pytest.fixture(scope="module")
def complete(model, tmp_path_factory):
    out = tmp_path_factory.mktemp("complete") / "data"
    _record(model, out)
    return out


def test_writes_shards_a_manifest_and_the_neutral(complete, model):
    manifest = json.loads((complete / "manifest.json").read_text())
    assert manifest["face"] == "mira" and manifest["spec_digest"] == model.spec.digest
    assert [s["samples"] for s in manifest["shards"]] == [10, 10, 5] and manifest["samples"] == 25
    assert manifest["babble"] == BabbleConfig().model_dump() and manifest["seed"] == 7
    files = sorted(p.name for p in complete.iterdir())
    assert files == ["manifest.json", "neutral.npz", "shard-00000.npz", "shard-00001.npz", "shard-00002.npz"]
    data = BabbleDataset.open(complete, model.spec)
    arrays = data.load()
    assert len(data) == 25 and arrays["command"].shape == (25, model.spec.n_actuators)
    assert arrays["landmarks"].shape == (25, 478, 3) and arrays["settled"].all()
    neutral = data.neutral()
    assert np.abs(neutral - model.neutral_landmarks).max() < 0.05


def test_an_interrupted_run_resumes_without_lost_or_duplicate_shards(complete, model, tmp_path):
    out = tmp_path / "data"
    # About 12 control periods per sample: this stops in the middle of the second shard.
    with Interrupting(model, after=12 * 15) as twin, pytest.raises(KeyboardInterrupt), time_limit(60):
        record_dataset(twin, out, 25, model.config, shard_size=10, seed=7, progress=False)
    manifest = Manifest.read(out / "manifest.json")
    assert [s["file"] for s in manifest.shards] == ["shard-00000.npz"]
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "neutral.npz", "shard-00000.npz"]
    _record(model, out)
    resumed = BabbleDataset.open(out, model.spec).load()
    reference = BabbleDataset.open(complete, model.spec).load()
    assert np.array_equal(resumed["command"], reference["command"])
    assert len(np.unique(resumed["command"], axis=0)) == 25
    # Every shard starts from rest on its own stream, so the resumed dataset is the uninterrupted one.
    for field in ("positions", "landmarks", "settled"):
        assert np.array_equal(resumed[field], reference[field]), field


def test_a_shard_that_fails_while_written_leaves_nothing_behind(model, tmp_path, monkeypatch):
    out = tmp_path / "data"
    real = np.savez
    calls = {"n": 0}

    def failing(handle, **arrays):
        calls["n"] += 1
        if "command" in arrays and calls["n"] > 2:  # neutral.npz and the first shard go through
            handle.write(b"half a shard")
            raise OSError("disk full")
        real(handle, **arrays)

    monkeypatch.setattr(dataset_module.np, "savez", failing)
    with pytest.raises(OSError, match="disk full"):
        _record(model, out)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "neutral.npz", "shard-00000.npz"]
    monkeypatch.setattr(dataset_module.np, "savez", real)
    _record(model, out)
    assert len(BabbleDataset.open(out, model.spec)) == 25


def test_a_dataset_of_another_face_is_refused(complete, model):
    other = dataclasses.replace(model.spec, name="other")
    with pytest.raises(ConfigError, match="not of 'other'"):
        BabbleDataset.open(complete, other)


def test_resuming_with_another_config_is_refused(complete, model):
    with SimFace(model) as twin, pytest.raises(ConfigError, match="babble config"):
        record_dataset(twin, complete, 30, model.config, babble=BabbleConfig(max_rate=4.0), shard_size=10, seed=7,
                       progress=False)
    with SimFace(model) as twin, pytest.raises(ConfigError, match="seed"):
        record_dataset(twin, complete, 30, model.config, shard_size=10, seed=8, progress=False)


def test_a_folder_that_is_not_a_dataset(model, tmp_path):
    with pytest.raises(ConfigError, match="not a babbling dataset"):
        BabbleDataset.open(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    with SimFace(model) as twin, pytest.raises(ConfigError, match="not a babbling dataset"):
        record_dataset(twin, tmp_path, 5, model.config, progress=False)


def test_a_changed_shard_is_detected(complete, model, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(complete, copy)
    with np.load(copy / "shard-00001.npz") as data:
        arrays = dict(data)
    arrays["command"][0, 0] += 0.5
    with open(copy / "shard-00001.npz", "wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(ConfigError, match="hash mismatch"):
        BabbleDataset.open(copy, model.spec).load()


def test_a_damaged_shard_is_recomputed_on_resume(complete, model, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(complete, copy)
    (copy / "shard-00001.npz").write_bytes(b"damaged")
    (copy / "shard-00002.npz").unlink()
    _record(model, copy)
    assert capsys.readouterr().err == (f"{copy / 'shard-00001.npz'}: missing or damaged (hash mismatch); recomputed\n"
                                       f"{copy / 'shard-00002.npz'}: missing or damaged (hash mismatch); recomputed\n")
    repaired = BabbleDataset.open(copy, model.spec).load()
    reference = BabbleDataset.open(complete, model.spec).load()
    assert np.array_equal(repaired["command"], reference["command"])  # each shard's draws come from its own seed
    assert repaired["landmarks"].shape == (25, 478, 3) and np.isfinite(repaired["landmarks"]).all()
