"""The envs' dynamics core: per-face servo parameters and restarts, the landmark map and code,
target resampling, episode plans."""

from __future__ import annotations

import numpy as np
import pytest

from facetwin.envs.config import mimic_config
from facetwin.envs.episodes import EpisodePlanner
from facetwin.envs.landmark_space import LandmarkSpace, eye_rotation_from_irises, product
from facetwin.envs.targets import reachable_schedule, resample
from facetwin.envs.twin_batch import TwinBatch
from facetwin.sim.kinematics import eye_rotation
from facetwin.sim.servo import ServoBank, ServoParams
from facetwin.target_sequence import TargetSequence


@pytest.fixture(scope="module")
def space(model, skin):
    return LandmarkSpace(model, skin)


def _params(rng, batch, actuators=3):
    shape = (batch, actuators)
    return ServoParams(latency=rng.uniform(0, 0.05, shape), tau=rng.uniform(0.01, 0.1, shape),
                       max_speed=rng.uniform(20, 300, shape), deadband=rng.uniform(0, 0.2, shape),
                       backlash=rng.uniform(0, 0.4, shape))


def _row(params: ServoParams, row: int) -> ServoParams:
    return ServoParams(*(getattr(params, f)[row] for f in ("latency", "tau", "max_speed", "deadband", "backlash")))


def test_per_row_parameters_match_banks_of_one():
    rng = np.random.default_rng(0)
    params = _params(rng, 4)
    bank = ServoBank(_params(rng, 4), np.zeros(3), 1 / 30, batch=4, max_latency=0.06)
    bank.set_params(params)
    singles = [ServoBank(_row(params, r), np.zeros(3), 1 / 30, max_latency=0.06) for r in range(4)]
    for _ in range(40):
        targets = rng.uniform(-5, 5, (4, 3))
        out = bank.step(targets).copy()
        for r, single in enumerate(singles):
            assert np.array_equal(out[r], single.step(targets[r : r + 1])[0])


def test_partial_reset_and_copy_state():
    rng = np.random.default_rng(1)
    params = _params(rng, 3)
    bank = ServoBank(params, np.zeros(3), 1 / 30, batch=3)
    for _ in range(10):
        bank.step(rng.uniform(-5, 5, (3, 3)))
    before = bank.load.copy()
    bank.reset(rows=np.array([1]))
    assert np.all(bank.load[1] == 0.0) and np.array_equal(bank.load[[0, 2]], before[[0, 2]])
    # a row that takes over another bank's state continues exactly like it
    other = ServoBank(_row(params, 1), np.zeros(3), 1 / 30)
    for _ in range(5):
        other.step(rng.uniform(-5, 5, (1, 3)))
    bank.copy_state(other, np.array([1]))
    for _ in range(10):
        targets = rng.uniform(-5, 5, (3, 3))
        assert np.array_equal(bank.step(targets)[1], other.step(targets[1:2])[0])


def test_a_latency_beyond_the_history_is_refused():
    bank = ServoBank(_params(np.random.default_rng(2), 1), np.zeros(3), 1 / 30)
    with pytest.raises(ValueError, match="max_latency"):
        bank.set_params(ServoParams(np.full(3, 0.5), np.full(3, 0.04), np.full(3, 100.0), np.zeros(3), np.zeros(3)))


def test_landmark_map_reproduces_the_fast_skin(model, skin, space):
    positions = model.spec.command_to_position(np.random.default_rng(3).uniform(-1, 1, (20, model.spec.n_actuators)))
    expected = space.flatten(skin.landmarks(positions))
    assert np.abs(product(space.state(positions), space.landmark_map) - expected).max() < 1e-4
    assert np.abs(space.state(positions) @ space.landmark_map - expected).max() < 1e-4
    assert space.n_movable == 478 - len(model.spec.regions["static"])
    assert space.inter_ocular_mm == pytest.approx(63.0, abs=5.0)


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


def test_twin_batch_steps_like_the_servo_bank_and_skin(model, skin, space):
    twin = TwinBatch(model, skin, space, 2)
    commands = np.random.default_rng(5).uniform(-1, 1, (2, 26)).astype(np.float32)
    bank = ServoBank(ServoParams.from_config(model.config), model.spec.command_to_position(model.spec.neutral_command),
                     model.spec.control_period, batch=2)
    for _ in range(5):
        twin.step(commands)
        bank.step(model.spec.command_to_position(commands))
    assert np.array_equal(twin.servos.load, bank.load)
    assert np.allclose(twin.actuator_commands(), model.spec.position_to_command(bank.horn))
    twin.restart(np.array([1]))
    twin.advance(np.array([1]), commands[1:])
    fresh = ServoBank(ServoParams.from_config(model.config), model.spec.command_to_position(model.spec.neutral_command),
                      model.spec.control_period)
    assert np.array_equal(twin.servos.load[1], fresh.step(model.spec.command_to_position(commands[1:]))[0])


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
