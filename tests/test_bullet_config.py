"""Physics-skin parameters that would make the simulation blow up are rejected when face.yaml loads."""

from __future__ import annotations

import pytest

from facetwin.face_config import SkinPhysicsConfig, load_face_config
from facetwin.faces import resolve_face
from facetwin.spec import N_LANDMARKS
from tests.face_edits import config_error, copy_face, edit_face


@pytest.fixture
def face_dir(tmp_path):
    return copy_face(tmp_path)


def _with_physics(face_dir, **physics) -> str:
    return edit_face(face_dir, lambda data: data["skin"].setdefault("physics", {}).update(physics))


def test_bundled_physics_is_in_the_stable_range():
    config = load_face_config(resolve_face(None))
    physics = config.skin.physics
    assert physics.substeps * config.control_hz >= 240
    assert physics.stability_problem(config.control_hz, N_LANDMARKS) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("mass_g", 0.0), ("mass_g", -5.0), ("stretch", -1.0), ("stretch", 0.0), ("bending", -0.5),
     ("damping", -1e-4), ("diverged_mm", 0.0), ("substeps", 0), ("mass_g", float("nan")), ("foundation_mm", -1.0)],
)
def test_impossible_parameters_name_their_field(face_dir, field, value):
    assert f"skin.physics.{field}" in config_error(_with_physics(face_dir, **{field: value}))


def test_the_bundled_tissue_is_in_the_stable_range():
    config = load_face_config(resolve_face("mira-tissue"))
    assert config.skin.physics.layers == 2
    assert config.skin.physics.stability_problem(config.control_hz, N_LANDMARKS) is None


def test_tissue_lowers_the_stiffness_that_is_accepted(face_dir):
    """40 mm of tissue with 4 N/m bending springs blew up in a period; on a single sheet the same
    springs are fine."""
    assert load_face_config(_with_physics(face_dir, bending=4.0))
    message = config_error(_with_physics(face_dir, bending=4.0, foundation_mm=40.0))
    assert "for the tissue" in message


def test_too_stiff_for_the_mass_is_rejected(face_dir):
    message = config_error(_with_physics(face_dir, stretch=8.0, bending=8.0, damping=4e-4))
    assert "skin.physics" in message and "stiffness number" in message


def test_enough_damping_makes_stiff_springs_acceptable(face_dir):
    config = load_face_config(_with_physics(face_dir, stretch=8.0, bending=8.0, damping=0.01))
    assert config.skin.physics.stretch == 8.0


def test_physics_below_240_hz_is_rejected(face_dir):
    assert "240 Hz" in config_error(_with_physics(face_dir, substeps=4))


def test_unknown_physics_field_is_rejected(face_dir):
    assert "skin.physics.youngs_modulus" in config_error(_with_physics(face_dir, youngs_modulus=1.0))


def test_stiffness_number_follows_time_step_and_mass():
    base = SkinPhysicsConfig(mass_g=100.0, stretch=1.0, bending=1.0, substeps=8)
    heavier = SkinPhysicsConfig(mass_g=200.0, stretch=1.0, bending=1.0, substeps=8)
    finer = SkinPhysicsConfig(mass_g=100.0, stretch=1.0, bending=1.0, substeps=16)
    number = base.stiffness_number(30.0, N_LANDMARKS)
    assert heavier.stiffness_number(30.0, N_LANDMARKS) == pytest.approx(number / 2)
    assert finer.stiffness_number(30.0, N_LANDMARKS) == pytest.approx(number / 4)
