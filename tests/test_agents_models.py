"""The self-models: checkpoints tied to their face, training with validation, early stopping and resume."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from facetwin.agents.metrics import command_l1, face_actuators, movable_landmarks
from facetwin.agents.policies.inverse import InversePolicy
from facetwin.agents.selfmodel import train as train_selfmodel
from facetwin.agents.selfmodel.models import LandmarkCodec, SelfModel
from facetwin.agents.selfmodel.train import TrainConfig, train_forward, train_inverse
from facetwin.errors import ConfigError
from tests.guards import time_limit

SMALL = dict(hidden=(32, 32), bottleneck=16, batch_size=64)


@pytest.fixture(scope="module")
def data(babbled):
    return babbled


@pytest.fixture(scope="module")
def forward(data, model, tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "forward.pt"
    with time_limit(60):
        return train_forward(data, model.spec, path, TrainConfig(epochs=25, **SMALL), progress=False), path


def _model(model, kind="inverse"):
    spec = model.spec
    codec = LandmarkCodec(model.neutral_landmarks, movable_landmarks(spec), 2.0)
    return SelfModel.create(kind, spec, codec, face_actuators(spec), (16,), 8)


def test_a_checkpoint_round_trips(model, tmp_path):
    saved = _model(model)
    saved.metrics = {"val_command_l1": 0.5}
    path = saved.save(tmp_path / "inverse.pt")
    loaded = SelfModel.load(path, model.spec, kind="inverse")
    x = torch.randn(4, len(saved.codec.movable) * 3)
    assert all(torch.equal(a, b) for a, b in zip(saved.net.state_dict().values(), loaded.net.state_dict().values()))
    assert torch.allclose(saved.net(x), loaded.net(x), atol=1e-6)  # BLAS may round differently by alignment
    assert loaded.face == "mira" and loaded.spec_digest == model.spec.digest and loaded.metrics == saved.metrics
    assert np.array_equal(loaded.codec.neutral, saved.codec.neutral) and loaded.codec.scale == 2.0
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_model_of_another_face_or_kind_is_refused(model, tmp_path):
    path = _model(model).save(tmp_path / "inverse.pt")
    other = dataclasses.replace(model.spec, name="other")
    with pytest.raises(ConfigError, match="not of 'other'"):
        SelfModel.load(path, other)
    with pytest.raises(ConfigError, match="where a forward model was expected"):
        SelfModel.load(path, model.spec, kind="forward")
    with pytest.raises(ConfigError, match="not of 'other'"):
        InversePolicy(SelfModel.load(path), other)


def test_unreadable_model_files(tmp_path):
    with pytest.raises(ConfigError, match="no such model file"):
        SelfModel.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="not a readable model checkpoint"):
        SelfModel.load(tmp_path / "junk.pt")
    torch.save({"format": 1}, tmp_path / "partial.pt")
    with pytest.raises(ConfigError, match="not a facetwin self-model"):
        SelfModel.load(tmp_path / "partial.pt")


def test_the_forward_model_learns_the_face(forward, model):
    trained, path = forward
    history = trained.history
    assert history[-1]["val_landmark_mm"] < 0.5 * history[0]["val_landmark_mm"]
    assert trained.metrics["val_landmark_mm"] == min(row["val_landmark_mm"] for row in history)
    assert path.is_file() and not path.with_name(path.name + ".state").exists()
    loaded = SelfModel.load(path, model.spec, kind="forward")
    assert loaded.data["samples"] == 400 and loaded.train_config["epochs"] == 25


def test_the_inverse_model_learns_commands_through_the_forward_model(forward, data, model, tmp_path):
    from facetwin.agents.selfmodel.dataset import BabbleDataset

    with time_limit(60):
        trained = train_inverse(data, model.spec, forward[1], tmp_path / "inverse.pt",
                                TrainConfig(epochs=15, **SMALL), progress=False)
    history = trained.history
    assert history[-1]["val_command_l1"] < 0.7 * history[0]["val_command_l1"]
    policy = InversePolicy(SelfModel.load(tmp_path / "inverse.pt", model.spec), model.spec)
    arrays = BabbleDataset.open(data, model.spec).load()
    commands = policy.act_batch(arrays["landmarks"][:50])
    assert command_l1(commands, arrays["command"][:50], model.spec).mean() < 0.2
    one = policy.act(arrays["landmarks"][0])
    # One request runs float32 matrix-vector products, a batch matrix-matrix ones: the sums over
    # 1,434 inputs round differently, by up to about 1.5e-5 on these weights (1e-5 failed about one
    # run in six). A wrong single-request path would be off by orders of magnitude more.
    assert np.allclose(one, commands[0], atol=1e-4)


def test_early_stopping_ends_a_run_that_stops_improving(data, model, tmp_path):
    config = TrainConfig(epochs=50, patience=2, lr=0.0, **SMALL)
    trained = train_forward(data, model.spec, tmp_path / "forward.pt", config, progress=False)
    assert trained.metrics["epochs_run"] == 3 and trained.metrics["stopped_early"]


def test_an_interrupted_training_resumes_where_it_stopped(data, model, tmp_path, monkeypatch):
    out = tmp_path / "forward.pt"
    config = TrainConfig(epochs=4, **SMALL)
    real = train_selfmodel._Trainer._save_state
    saved = {"n": 0}

    def interrupt_after_two(self):
        real(self)
        saved["n"] += 1
        if saved["n"] == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(train_selfmodel._Trainer, "_save_state", interrupt_after_two)
    with pytest.raises(KeyboardInterrupt):
        train_forward(data, model.spec, out, config, progress=False)
    assert out.is_file() and out.with_name(out.name + ".state").is_file()
    trained = train_forward(data, model.spec, out, config, progress=False)
    assert [row["epoch"] for row in trained.history] == [1, 2, 3, 4]
    assert saved["n"] == 4 and not out.with_name(out.name + ".state").exists()


@pytest.mark.parametrize("bad", [dict(hidden=()), dict(val_fraction=1.0), dict(epochs=0), dict(augment=2.0),
                                 dict(lr=float("nan"))])
def test_bad_training_config_is_a_config_error(bad):
    with pytest.raises(ConfigError):
        TrainConfig(**bad)
