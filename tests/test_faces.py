"""Every bundled face folder is complete, loads, and behaves like a face (menagerie style)."""

from __future__ import annotations

import numpy as np
import pytest

from facetwin.faces import available_faces, faces_root
from facetwin.sim import SimFace, load_face

FACES = available_faces()


@pytest.mark.parametrize("name", FACES)
def test_folder_is_complete(name):
    folder = faces_root() / name
    for required in ("face.yaml", "README.md", "LICENSE"):
        assert (folder / required).is_file(), f"{name} lacks {required}"


@pytest.mark.parametrize("name", FACES)
def test_loads_and_steps(name):
    with SimFace(name) as face:
        obs = face.reset(seed=0)
        rng = np.random.default_rng(0)
        for _ in range(5):
            obs = face.step(rng.uniform(-1, 1, face.spec.n_actuators))
        assert obs.landmarks.shape == (478, 3) and np.isfinite(obs.landmarks).all()


def test_default_face_has_a_full_rig():
    spec = load_face().spec
    facial = [a for a in spec.actuators if a.group == "face"]
    assert len(facial) >= 20
    names = set(spec.actuator_names)
    for required in ("brow_inner_raiser_L", "brow_outer_raiser_R", "brow_lowerer_L", "upper_lid_R", "lower_lid_L",
                     "eye_yaw", "eye_pitch", "cheek_raiser_L", "nose_wrinkler", "lip_corner_puller_R",
                     "lip_corner_depressor_L", "upper_lip_raiser", "lower_lip_depressor", "lip_pucker", "jaw_open"):
        assert required in names
    for actuator in spec.actuators:
        if actuator.mirror:
            assert spec.actuators[spec.index(actuator.mirror)].mirror == actuator.name


def test_default_face_is_symmetric(model):
    mirror = np.asarray(model.config.landmark_mirror)
    neutral = model.neutral_landmarks
    assert np.abs(neutral[mirror] * [-1, 1, 1] - neutral).max() < 1e-3
    # pupils 63 mm apart, origin between them
    assert np.linalg.norm(neutral[468] - neutral[473]) == pytest.approx(63.0, abs=0.01)


def test_every_landmark_in_one_region(model):
    regions = model.spec.regions
    members = np.concatenate([np.asarray(v) for v in regions.values()])
    assert sorted(members.tolist()) == list(range(478))
