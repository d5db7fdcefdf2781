"""The policies behind `make_policy`: baselines, the oracle, and the inverse model shipped with the face."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facetwin.agents.metrics import command_l1, face_actuators, landmark_error
from facetwin.agents.policies.policy import Policy
from facetwin.agents.policies.registry import POLICY_NAMES, default_model_path, make_policy
from facetwin.agents.selfmodel.evaluation import babble_heldout, media_targets
from facetwin.errors import CommandError, ConfigError
from facetwin.sim.twin_batch import equilibrium_landmarks
from tests.guards import time_limit

FACES = Path(__file__).resolve().parents[2] / "shared/data/faces"


@pytest.fixture(scope="module")
def heldout(model):
    with time_limit(60):
        return babble_heldout(model, samples=300, seed=2024)


@pytest.fixture(scope="module")
def oracle(model):
    return make_policy("oracle", model)


def _neck(spec):
    return [i for i, a in enumerate(spec.actuators) if a.group == "neck"]


@pytest.mark.parametrize("name", ["neutral", "random", "inverse", "oracle"])
def test_every_policy_answers_in_bounds_with_the_neck_at_rest(name, model, heldout):
    policy = make_policy(name, model, seed=0)
    assert isinstance(policy, Policy) and policy.name == name
    commands = policy.act_batch(heldout.landmarks[:4])
    one = policy.act(heldout.landmarks[0])
    assert commands.shape == (4, model.spec.n_actuators) and commands.dtype == np.float32
    assert one.shape == (model.spec.n_actuators,) and one.dtype == np.float32
    assert np.abs(commands).max() <= 1.0
    neck = _neck(model.spec)
    assert np.allclose(commands[:, neck], model.spec.neutral_command[neck])


def test_policy_names_and_their_errors(model):
    assert set(POLICY_NAMES) == {"neutral", "random", "nn", "inverse", "oracle", "rl"}
    with pytest.raises(ConfigError, match="unknown policy"):
        make_policy("psychic", model)
    with pytest.raises(ConfigError, match="needs babbling data"):
        make_policy("nn", model)
    with pytest.raises(ConfigError, match="no such model file"):
        make_policy("inverse", model, model="missing.pt")
    with pytest.raises(ConfigError, match="needs a saved policy"):
        make_policy("rl", model)


@pytest.mark.parametrize("bad", [np.zeros((478, 2)), np.zeros(3), np.full((478, 3), np.nan)])
def test_bad_targets_are_command_errors(bad, model):
    for name in ("neutral", "inverse"):
        with pytest.raises(CommandError):
            make_policy(name, model).act(bad)


def test_random_is_repeatable_with_its_seed(model, heldout):
    a = make_policy("random", model, seed=5).act_batch(heldout.landmarks[:8])
    b = make_policy("random", model, seed=5).act_batch(heldout.landmarks[:8])
    assert np.array_equal(a, b) and a[:, face_actuators(model.spec)].std() > 0.3


def test_nearest_neighbour_finds_a_babbled_face_again(model, heldout):
    from facetwin.agents.policies.baselines import NearestNeighbourPolicy

    policy = NearestNeighbourPolicy(model.spec, heldout.command, heldout.landmarks)
    assert np.array_equal(policy.act_batch(heldout.landmarks[:20]), heldout.command[:20])
    assert np.array_equal(policy.act(heldout.landmarks[7]), heldout.command[7])


def test_the_oracle_reaches_reachable_targets(model, oracle, heldout):
    from facetwin.sim.fast_skin import FastSkin

    skin, spec = FastSkin(model), model.spec
    targets = skin.landmarks(spec.command_to_position(heldout.command[:8]))
    with time_limit(60):
        commands = oracle.act_batch(targets)
    errors = landmark_error(skin.landmarks(spec.command_to_position(commands)), targets, spec)
    assert errors.max() < 0.02


def test_the_oracle_beats_the_neutral_face_on_unreachable_targets(model, oracle, heldout):
    rng = np.random.default_rng(0)
    targets = (heldout.landmarks[:8] + rng.normal(0.0, 1.0, heldout.landmarks[:8].shape)).astype(np.float32)
    with time_limit(60):
        commands = oracle.act_batch(targets)
    spec = model.spec
    error = landmark_error(equilibrium_landmarks(model, commands), targets, spec)
    neutral = landmark_error(equilibrium_landmarks(model, spec.neutral_command), targets, spec)
    inverse = landmark_error(equilibrium_landmarks(model, make_policy("inverse", model).act_batch(targets)), targets,
                             spec)
    assert (error < neutral).all() and (error <= inverse + 1e-3).all()


def test_the_shipped_inverse_model_recovers_held_out_babbled_commands(model, heldout):
    assert default_model_path(model.spec).is_file()
    policy = make_policy("inverse", model)
    l1 = command_l1(policy.act_batch(heldout.landmarks), heldout.command, model.spec).mean()
    random = command_l1(make_policy("random", model, seed=0).act_batch(heldout.landmarks), heldout.command,
                        model.spec).mean()
    assert l1 <= 0.03 < random


@pytest.mark.skipif(not FACES.is_dir(), reason="the shared real-face images are not on this machine")
@pytest.mark.parametrize("name", ["0-f1-su-ph.jpg", "single_face.mp4"])
def test_the_shipped_inverse_model_is_near_the_oracle_on_real_faces(name, model, oracle):
    with time_limit(60):
        sequence = media_targets(FACES / name, model)
        targets = sequence.landmarks[sequence.visible]
        spec = model.spec
        errors = {policy: landmark_error(equilibrium_landmarks(model, make_policy(policy, model).act_batch(targets)),
                                         targets, spec).mean() for policy in ("inverse", "neutral")}
        errors["oracle"] = landmark_error(equilibrium_landmarks(model, oracle.act_batch(targets)), targets, spec).mean()
    assert errors["inverse"] <= 1.10 * errors["oracle"]
    assert errors["inverse"] < errors["neutral"]
