"""The rest geometry fitted to what the FaceLandmarker reads: the camera reads the face where its
mesh is, and the rest pose reads as no expression; the face stays symmetric and textured."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from facetwin.agents.fidelity.neutral_fit import REST_TRAVEL, read_as_neutral, seen_where_it_is
from facetwin.faces import faces_root
from facetwin.mesh_io import read_obj
from facetwin.sim.rig import load_face


@pytest.fixture()
def face(tmp_path):
    folder = tmp_path / "mira"
    shutil.copytree(faces_root() / "mira", folder, ignore=shutil.ignore_patterns("policies", "targets"))
    return folder


def test_the_shipped_face_is_read_where_it_is(face):
    """mira was fitted when it was built: the camera reads its rest face within a millimetre."""
    rounds = seen_where_it_is(face, rounds=0)
    assert len(rounds) == 1 and rounds[0].read_error_mm < 1.0


def test_a_round_moves_the_skin_with_its_texture_and_keeps_it_symmetric(face):
    mesh = face / "skin.obj"
    before = read_obj(mesh)
    rounds = seen_where_it_is(face, rounds=1)
    after = read_obj(mesh)
    assert np.array_equal(after.uv, before.uv) and np.array_equal(after.faces, before.faces)
    assert 0.0 < np.abs(after.vertices - before.vertices).max() < 2.0
    assert rounds[1].read_error_mm < rounds[0].read_error_mm + 0.1
    model = load_face(face)
    mirror = np.asarray(model.config.landmark_mirror)
    assert np.abs(model.neutral_landmarks[mirror] * [-1, 1, 1] - model.neutral_landmarks).max() < 1e-3


def test_the_rest_pose_moves_by_the_faces_own_actuators_within_their_travel(face):
    before = read_obj(face / "skin.obj").vertices
    offsets = read_as_neutral(face)
    assert offsets and all(abs(v) <= REST_TRAVEL + 1e-9 for v in offsets.values())
    after = read_obj(face / "skin.obj").vertices
    assert np.array_equal(after[468:], before[468:])  # the irises belong to the eyeballs
    assert np.linalg.norm(after - before, axis=1).max() < 15.0
