"""SimFace honours the FaceBackend contract."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from facetwin.backend import FaceBackend
from facetwin.errors import BackendError, CommandError
from facetwin.sim import SimFace


@pytest.fixture
def twin(model):
    face = SimFace(model)
    face.reset()
    yield face
    face.close()


def test_is_a_backend_with_a_spec(twin):
    assert isinstance(twin, FaceBackend)
    assert twin.spec.n_actuators == len(twin.spec.actuator_names) >= 20


def test_reset_is_neutral(twin):
    obs = twin.reset(seed=3)
    assert obs.time == 0.0
    assert obs.landmarks.dtype == np.float32 and obs.landmarks.shape == (478, 3)
    assert np.allclose(obs.actuator_positions, twin.spec.neutral_command, atol=1e-6)
    assert np.abs(obs.landmarks - twin.model.neutral_landmarks).max() < 1e-4


def test_step_advances_one_period_and_reports_the_applied_command(twin):
    command = np.full(twin.spec.n_actuators, 3.0)
    obs = twin.step(command)
    assert obs.time == pytest.approx(twin.spec.control_period)
    assert obs.command.dtype == np.float32 and np.all(obs.command == 1.0)
    for _ in range(60):
        obs = twin.step(command)
    # every servo settles at its target, short of it by at most its deadband
    deadband = np.array([a.servo.deadband for a in twin.model.config.actuators])
    tolerance = 2.0 * deadband / (twin.spec.high - twin.spec.low) + 1e-3
    assert np.all(np.abs(obs.actuator_positions - 1.0) <= tolerance)


@pytest.mark.parametrize("bad", [np.full(26, np.nan), np.ones(5), np.ones((2, 26)), [np.inf] * 26, "smile"])
def test_bad_commands_are_rejected_and_change_nothing(twin, bad):
    before = twin.step(np.zeros(twin.spec.n_actuators))
    with pytest.raises(CommandError) as info:
        twin.step(bad)
    assert "\n" not in str(info.value)
    after = twin.step(before.command)
    assert after.time == pytest.approx(before.time + twin.spec.control_period)


def test_named_commands(twin):
    obs = twin.step({"jaw_open": 1.0})
    assert obs.command[twin.spec.index("jaw_open")] == 1.0
    assert obs.command[twin.spec.index("eye_yaw")] == twin.spec.neutral_command[twin.spec.index("eye_yaw")]
    with pytest.raises(CommandError, match="^unknown actuator 'ear'; the face 'mira' has brow_inner_raiser_L, "):
        twin.step({"ear": 1.0})


def test_close_is_idempotent_and_final(model):
    with SimFace(model) as face:
        face.reset()
    face.close()
    with pytest.raises(BackendError):
        face.step(np.zeros(face.spec.n_actuators))


def test_pickles(twin):
    twin.step(np.ones(twin.spec.n_actuators))
    clone = pickle.loads(pickle.dumps(twin))
    command = np.zeros(twin.spec.n_actuators)
    assert np.allclose(clone.step(command).landmarks, twin.step(command).landmarks)


def test_unknown_skin(model):
    with pytest.raises(BackendError, match="unknown skin"):
        SimFace(model, skin="rubber")


def test_neck_moves_the_head_not_the_face_frame_landmarks(twin):
    command = twin.spec.neutral_command.copy()
    command[twin.spec.index("neck_yaw")] = 1.0
    for _ in range(60):
        obs = twin.step(command)
    assert np.abs(obs.landmarks - twin.model.neutral_landmarks).max() < 1e-4
    angle = np.degrees(np.arctan2(obs.head_pose[0, 2], obs.head_pose[0, 0]))
    assert angle == pytest.approx(twin.spec.actuators[twin.spec.index("neck_yaw")].high, abs=1.0)
