"""The perceptual map and perceptual retargeting: learned from the face's own babbling, tied to
its face, and a person's expression lands as a target that reads as that expression."""

from __future__ import annotations

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
