"""What the envs build on the twin: the landmark map and code, target resampling, episode plans."""

from __future__ import annotations

import numpy as np
import pytest

from facetwin.envs.config import mimic_config
from facetwin.envs.episodes import EpisodePlanner
from facetwin.envs.landmark_space import LandmarkSpace, eye_rotation_from_irises, product
from facetwin.envs.targets import reachable_schedule, resample
from facetwin.sim.kinematics import eye_rotation
from facetwin.target_sequence import TargetSequence


@pytest.fixture(scope="module")
def space(model, skin):
    return LandmarkSpace(model, skin)


def test_landmark_map_reproduces_the_fast_skin(model, skin, space):
    positions = model.spec.command_to_position(np.random.default_rng(3).uniform(-1, 1, (20, model.spec.n_actuators)))
    expected = space.flatten(skin.landmarks(positions))
    assert np.abs(product(space.state(positions), space.landmark_map) - expected).max() < 1e-4
    assert np.abs(space.state(positions) @ space.landmark_map - expected).max() < 1e-4
    assert space.n_movable == 478 - len(model.spec.regions["static"])
    assert space.inter_ocular_mm == pytest.approx(63.0, abs=5.0)


def _reference_state(space: LandmarkSpace, positions: np.ndarray, gains: np.ndarray | None) -> np.ndarray:
    """The landmark-space state as plain numpy: what the compiled loop must reproduce bit for bit."""
    angles = np.deg2rad(positions[:, space._angles])
    table = np.concatenate([np.ones((len(positions), 1)), positions, np.sin(angles), 1.0 - np.cos(angles)], axis=1)
    skin = table[:, space._skin_columns].astype(np.float32)
    if gains is not None:
        skin *= gains
    eye = np.prod(np.stack([table[:, c] for c in space._eye_columns]), axis=0).astype(np.float32)
    return np.concatenate([skin, eye, np.ones((len(positions), 1), dtype=np.float32)], axis=1)


@pytest.mark.parametrize("scaled", [False, True])
def test_the_compiled_state_is_the_numpy_formulation(model, space, scaled):
    rng = np.random.default_rng(8)
    positions = model.spec.command_to_position(rng.uniform(-1, 1, (300, model.spec.n_actuators)))
    gains = rng.uniform(0.8, 1.2, (300, space.n_skin)).astype(np.float32) if scaled else None
    assert space.n_eye > 0
    assert np.array_equal(space.state(positions, gains), _reference_state(space, positions, gains))
    assert np.array_equal(space.state(positions[:1], None if gains is None else gains[:1]),
                          _reference_state(space, positions[:1], None if gains is None else gains[:1]))


def test_code_is_the_projection_of_any_landmarks(model, skin, space):
    positions = model.spec.command_to_position(np.random.default_rng(4).uniform(-1, 1, (50, model.spec.n_actuators)))
    codes = space.state(positions) @ space.code_map
    assert np.allclose(space.encode(space.flatten(skin.landmarks(positions))), codes, atol=1e-3)
    assert 0.3 < codes.std(axis=0).mean() < 3.0  # whitened
    assert np.allclose(space.encode(space.neutral), 0.0, atol=1e-6)


def test_gains_scale_the_skin_features(model, space):
    positions = model.spec.command_to_position(np.zeros((1, model.spec.n_actuators)))
    gains = np.full((1, space.n_skin), 1.1, dtype=np.float32)
    plain, scaled = space.state(positions), space.state(positions, gains)
    assert np.allclose(scaled[:, : space.n_skin], 1.1 * plain[:, : space.n_skin])
    assert np.array_equal(scaled[:, space.n_skin :], plain[:, space.n_skin :])


def test_eye_rotation_from_irises(model, skin):
    positions = model.spec.command_to_position(np.where(np.arange(26) == 10, 0.6, 0.0))
    landmarks = skin.landmarks(positions)
    assert np.allclose(eye_rotation_from_irises(model, landmarks), eye_rotation(model, positions), atol=1e-5)


def test_resampling_to_the_control_rate(model):
    frames = np.stack([model.neutral_landmarks + k for k in range(4)]).astype(np.float32)
    sequence = TargetSequence("mira", model.spec.digest, frames, np.ones(4, bool), np.array([0.0, 0.1, 0.2, 0.3]),
                              np.full((4, 26), np.nan, np.float32))
    out = resample(sequence, 30.0)
    assert len(out) == 10  # 0 .. 0.3 s at 30 Hz
    assert np.allclose(out[3], frames[1], atol=1e-4)  # t = 0.1 s
    assert np.allclose(out[1], model.neutral_landmarks + 1 / 3, atol=1e-4)


def test_reachable_schedule_holds_and_leaves_the_neck_alone():
    rng = np.random.default_rng(6)
    neutral = np.full(5, -1.0, dtype=np.float32)
    expressive = np.array([True, True, True, False, False])
    commands, segment = reachable_schedule(rng, 100, neutral, expressive, (4, 8), 0.5)
    assert len(segment) == 100 and segment.max() == len(commands) - 1
    runs = np.diff(np.flatnonzero(np.diff(segment)))
    assert runs.min() >= 4 and runs.max() <= 8
    assert np.all(commands[:, 3:] == -1.0)
    assert np.any(commands[:, :3] != -1.0)


def test_plans_are_a_function_of_the_generator(model, space):
    config = mimic_config({"randomization": "default", "episode_steps": 20})
    planner = EpisodePlanner(model, space, config, None)
    a = planner.plan(np.random.default_rng(9))
    b = planner.plan(np.random.default_rng(9))
    assert np.array_equal(a.commands, b.commands) and np.array_equal(a.noise, b.noise)
    assert np.array_equal(a.servo.tau, b.servo.tau) and a.view == b.view
    assert a.noise.shape == (21, space.n_code) and len(a.segment) == 21
