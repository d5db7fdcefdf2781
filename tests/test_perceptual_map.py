"""The perceptual map and perceptual retargeting: learned from the face's own babbling, tied to
its face, and a person's expression lands as a target that reads as that expression."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from facetwin.agents.selfmodel.perceptual import fit_map, load_face_map, train_perceptual
from facetwin.faces import shipped_landmarker
from facetwin.perception.blendshape_reader import NAMES, BlendshapeReader
from facetwin.perception.errors import PerceptionError
from facetwin.perception.perceptual_map import INPUTS, PerceptualMap
from facetwin.perception.reachable import reachable_bounds
from facetwin.perception.retarget import RetargetConfig, Retargeter
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.sim_face import SimFace
from facetwin.topology import LEFT_IRIS, RIGHT_IRIS, UPPER_LIDS, reflect
from tests.guards import time_limit


@pytest.fixture(scope="module")
def trained(model):
    """Learned from 1,500 faces of random commands (a fifth of the actuators each) on the fast
    skin; a babbling dataset is the same data on disk (`test_it_trains_from_a_babbling_dataset`)."""
    spec, skin = model.spec, FastSkin(model)
    rng = np.random.default_rng(5)
    commands = np.where(rng.random((1500, spec.n_actuators)) < 0.2, rng.uniform(-1.0, 1.0, (1500, spec.n_actuators)),
                        spec.neutral_command)
    landmarks = skin.landmarks(spec.command_to_position(commands)).astype(np.float64)
    neutral = skin.landmarks(spec.command_to_position(spec.neutral_command)).astype(np.float64)
    with time_limit(120):
        return fit_map(landmarks, neutral, spec, epochs=40, hidden=(128, 128), batch_size=128)


def test_it_trains_from_a_babbling_dataset(model, babbled):
    with time_limit(60):
        result = train_perceptual(babbled, model.spec, epochs=2, hidden=(16,))
    assert result.samples > 300 and result.map.digest == model.spec.digest


def test_it_learns_to_keep_what_a_viewer_reads(trained):
    assert trained.samples == 1500
    assert trained.val_landmark_mm < 0.7 * trained.val_neutral_mm
    assert trained.val_read_back < 0.1


def test_it_is_tied_to_its_face(trained, tmp_path):
    path = tmp_path / "perceptual.npz"
    trained.map.save(path)
    again = PerceptualMap.load(path, trained.map.digest)
    probe = np.zeros(len(INPUTS), dtype=np.float32)
    assert np.allclose(again(probe), trained.map(probe))
    with pytest.raises(PerceptionError, match="train it again"):
        PerceptualMap.load(path, "0" * 16)
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(PerceptionError, match="not a perceptual map"):
        PerceptualMap.load(tmp_path / "junk.npz")


def test_perceptual_retargeting_lands_a_smile_as_a_smile(model):
    """The twin's own smile, given as a person: through the shipped map, the target reads as a smile too."""
    spec, skin = model.spec, FastSkin(model)
    with SimFace(model) as twin:
        bounds = reachable_bounds(twin)
    smile = spec.neutral_command.copy()
    for name in ("lip_corner_puller_L", "lip_corner_puller_R"):
        smile[spec.index(name)] = 0.6
    person = skin.landmarks(spec.command_to_position(smile)).astype(np.float64)
    retargeter = Retargeter(spec, bounds, bounds.neutral, RetargetConfig(space="perceptual"),
                            perceptual=load_face_map(spec))
    target = retargeter.target_landmarks(person)
    reader = BlendshapeReader(shipped_landmarker())
    rise = reader.read_face(target) - reader.read_face(bounds.neutral)
    wanted = reader.read_face(person) - reader.read_face(bounds.neutral)
    smiles = [NAMES.index("mouthSmileLeft"), NAMES.index("mouthSmileRight")]
    assert rise[smiles].mean() > 0.5 * wanted[smiles].mean() > 0.1


def test_perceptual_retargeting_needs_the_map(model):
    with SimFace(model) as twin:
        bounds = reachable_bounds(twin)
    with pytest.raises(PerceptionError, match="needs the face's perceptual map"):
        Retargeter(model.spec, bounds, bounds.neutral, RetargetConfig(space="perceptual"))


def test_perceptual_retargeting_keeps_the_persons_own_lids_and_gaze(model):
    """The map reads no gaze and reads closed eyes poorly: a person who only closes their lids and
    looks aside gets those upper lids and irises as landmark retargeting gives them, the irises at
    the person's own scale; and `auto` picks the map the face ships."""
    spec, skin = model.spec, FastSkin(model)
    with SimFace(model) as twin:
        bounds = reachable_bounds(twin)
    look = spec.neutral_command.copy()
    for name, value in (("upper_lid_L", 0.5), ("upper_lid_R", 0.5), ("eye_yaw", 0.8)):
        look[spec.index(name)] = value
    person = skin.landmarks(spec.command_to_position(look)).astype(np.float64)
    perceptual = Retargeter(spec, bounds, bounds.neutral, RetargetConfig(), perceptual=load_face_map(spec))
    landmarks = Retargeter(spec, bounds, bounds.neutral, RetargetConfig(space="landmarks"),
                           perceptual=load_face_map(spec))
    assert perceptual.space == "perceptual" and landmarks.space == "landmarks"
    eyes = sorted(UPPER_LIDS + LEFT_IRIS + RIGHT_IRIS)
    by_map, by_landmarks = perceptual.target_landmarks(person), landmarks.target_landmarks(person)
    assert np.abs(by_landmarks[eyes] - bounds.neutral[eyes]).max() > 1.0  # the lids and irises did move
    np.testing.assert_allclose(by_map[eyes], by_landmarks[eyes], atol=1e-5)
    rest = np.setdiff1d(np.arange(spec.n_landmarks), eyes + list(spec.regions["static"]))
    assert np.abs(by_map[rest] - by_landmarks[rest]).max() > 0.1  # the rest is the map's
    iris = [RIGHT_IRIS[0], LEFT_IRIS[0]]
    person_gaze = (person[iris] - bounds.neutral[iris]) * landmarks.scales[iris, None] * [1, 1, 0]
    assert np.abs(person_gaze).max() > 1.0  # the person looked aside
    np.testing.assert_allclose(by_map[iris] - bounds.neutral[iris], person_gaze, atol=1e-4)  # by as much, not 3x


def test_an_even_expression_lands_as_an_even_target(model):
    """Neither the blendshape model nor the learned map is symmetric, and the gain amplifies it;
    retargeting averages with the mirror image, so the twin's own even smile comes back even (before
    the reach, whose measured box is not exactly symmetric either, clips it)."""
    spec, skin = model.spec, FastSkin(model)
    with SimFace(model) as twin:
        measured = reachable_bounds(twin)
    unbounded = dataclasses.replace(measured, lower=np.full_like(measured.lower, -np.inf),
                                    upper=np.full_like(measured.upper, np.inf))
    smile = spec.neutral_command.copy()
    for name in ("lip_corner_puller_L", "lip_corner_puller_R", "lower_lid_L", "lower_lid_R"):
        smile[spec.index(name)] = 0.5
    person = skin.landmarks(spec.command_to_position(smile)).astype(np.float64)
    mirror = np.asarray(model.config.landmark_mirror)
    assert np.abs(reflect(person, mirror) - person).max() < 0.05  # the twin's face is symmetric
    face_map = load_face_map(spec)
    target = Retargeter(spec, unbounded, unbounded.neutral, perceptual=face_map).target_landmarks(person)
    moved = target - unbounded.neutral
    assert np.abs(moved).max() > 2.0 and np.abs(reflect(moved, mirror) - moved).max() < 1e-3
    reader = BlendshapeReader(shipped_landmarker())
    alone = face_map(3.0 * PerceptualMap.expression(reader.read_face(person), reader.read_face(unbounded.neutral)))
    assert np.abs(reflect(alone, mirror) - alone).max() > 0.5  # what the mirror average removes


def test_scores_beyond_what_the_face_was_read_as_are_held_at_its_edge(trained, tmp_path):
    """fit_map records each input's range on its faces; the map holds inputs to it, and keeps it on disk."""
    low, high = trained.map.domain
    assert trained.map.domain.shape == (2, len(INPUTS)) and (low <= high).all() and high.max() > 0.3
    edge = trained.map(high)
    assert np.allclose(trained.map(high + 2.0), edge) and np.allclose(trained.map(low - 2.0), trained.map(low))
    trained.map.save(tmp_path / "perceptual.npz")
    np.testing.assert_array_equal(PerceptualMap.load(tmp_path / "perceptual.npz").domain, trained.map.domain)
