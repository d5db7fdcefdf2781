"""The fast skin fitted to the physics skin: the fit, its file, and the fast skin built from it."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml

from facetwin.errors import ConfigError
from facetwin.faces import resolve_face
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.mesh import fill_midpoints
from facetwin.sim.rig import load_face
from facetwin.sim.skin_fit import (
    collect_equilibria,
    fit_key,
    fit_skin,
    fitted_nodes,
    load_fit,
    mirror_commands,
    mirror_landmarks,
    random_commands,
    save_fit,
)
from facetwin.spec import N_LANDMARKS


@pytest.fixture
def face_dir(tmp_path):
    """A copy of the face with tissue and a skin fit, without its fit file."""
    target = tmp_path / "face"
    shutil.copytree(resolve_face("mira-tissue").parent, target, ignore=shutil.ignore_patterns("policies", "*.npz"))
    return target


def _synthetic(model, n=120, seed=0):
    """Equilibria of a known linear skin, mirror-symmetric like the face."""
    rng = np.random.default_rng(seed)
    nodes = fitted_nodes(model)
    fields = np.zeros((model.n_features, N_LANDMARKS, 3))
    fields[:, nodes] = rng.normal(size=(model.n_features, len(nodes), 3))
    commands = random_commands(model, n, seed)
    features = model.feature_values(model.spec.command_to_position(commands))
    landmarks = model.neutral_landmarks + np.tensordot(features, fields, axes=1)
    # the same equilibria seen in the mirror are equilibria too; a fit of both is symmetric
    mirrored = mirror_landmarks(model, landmarks)
    mirrored_features = model.feature_values(model.spec.command_to_position(mirror_commands(model, commands)))
    fields_sym, *_ = np.linalg.lstsq(np.concatenate([features, mirrored_features]),
                                     np.concatenate([landmarks, mirrored]).reshape(2 * n, -1)
                                     - model.neutral_landmarks.reshape(1, -1), rcond=None)
    fields_sym = fields_sym.reshape(model.n_features, N_LANDMARKS, 3)
    landmarks = model.neutral_landmarks + np.tensordot(features, fields_sym, axes=1)
    return commands, landmarks, fields_sym


def test_midpoints_rebuild_the_refined_mesh(model):
    values = np.zeros_like(model.mesh.vertices)
    values[:N_LANDMARKS] = model.mesh.vertices[:N_LANDMARKS]
    assert np.abs(fill_midpoints(model.mesh, values) - model.mesh.vertices).max() < 1e-9


def test_mirroring_twice_is_the_identity(model):
    commands = random_commands(model, 4, 0)
    assert np.array_equal(mirror_commands(model, mirror_commands(model, commands)), commands)
    landmarks = model.neutral_landmarks[None] + np.random.default_rng(0).normal(size=(4, N_LANDMARKS, 3))
    assert np.allclose(mirror_landmarks(model, mirror_landmarks(model, landmarks)), landmarks)
    assert np.abs(mirror_landmarks(model, model.neutral_landmarks) - model.neutral_landmarks).max() < 1e-3


def test_a_linear_skin_is_recovered_exactly(model):
    commands, landmarks, fields = _synthetic(model)
    fit = fit_skin(model, commands, landmarks, seed=0)
    assert fit.heldout_rms_mm < 1e-6 and fit.train_rms_mm < 1e-6
    nodes = fitted_nodes(model)
    assert np.abs(fit.modes[:, nodes] - fields[:, nodes]).max() < 1e-6


def test_a_nonlinear_skin_shows_in_the_held_out_error(model):
    commands, landmarks, _ = _synthetic(model)
    bent = landmarks + 0.3 * (commands[:, :1, None] ** 2)
    assert fit_skin(model, commands, bent, seed=0).heldout_rms_mm > 0.05


def test_too_few_commands_are_refused(model):
    commands, landmarks, _ = _synthetic(model, n=10)
    with pytest.raises(ConfigError, match="needs at least"):
        fit_skin(model, commands, landmarks, seed=0)


def test_the_fast_skin_is_the_fit_with_the_rig_prescribed(face_dir):
    model = load_face(str(face_dir))
    commands, landmarks, fields = _synthetic(model)
    save_fit(fit_skin(model, commands, landmarks, seed=0), model.config.skin.fit)
    skin = FastSkin(load_face(str(face_dir)))
    positions = model.spec.command_to_position(commands[:5])
    nodes = np.setdiff1d(fitted_nodes(model), np.concatenate([model.glued, *[f.anchors for f in model.features]]))
    assert np.abs(skin.landmarks(positions)[:, nodes] - landmarks[:5, nodes]).max() < 1e-3
    vertices = skin.vertices(positions[0])
    assert np.abs(vertices[model.glued] - model.mesh.vertices[model.glued]).max() < 1e-9


def test_a_missing_fit_names_the_file_and_the_command(face_dir):
    (face_dir / "skin_fit.npz").unlink(missing_ok=True)
    with pytest.raises(ConfigError) as info:
        FastSkin(load_face(str(face_dir)))
    assert "skin_fit.npz" in str(info.value) and "facetwin fit-skin" in str(info.value)


def test_a_fit_of_other_physics_is_refused(face_dir):
    model = load_face(str(face_dir))
    commands, landmarks, _ = _synthetic(model)
    save_fit(fit_skin(model, commands, landmarks, seed=0), model.config.skin.fit)
    path = face_dir / "face.yaml"
    data = yaml.safe_load(path.read_text())
    data["skin"]["physics"]["stretch"] = 0.2
    path.write_text(yaml.safe_dump(data))
    changed = load_face(str(face_dir))
    assert fit_key(changed) != fit_key(model)
    with pytest.raises(ConfigError, match="fit-skin"):
        load_fit(changed)


def test_a_corrupt_fit_is_a_config_error(face_dir):
    (face_dir / "skin_fit.npz").write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="not a skin fit"):
        load_fit(load_face(str(face_dir)))


def test_collected_chunks_are_reused(tmp_path, model):
    commands = random_commands(model, 2, 7)
    first = collect_equilibria(model, commands, workers=1, work_dir=tmp_path)
    chunk = next(tmp_path.glob("chunk-*.npz"))
    stamp = chunk.stat().st_mtime_ns
    again = collect_equilibria(model, commands, workers=1, work_dir=tmp_path)
    assert np.array_equal(first, again) and chunk.stat().st_mtime_ns == stamp
    assert np.isfinite(first).all() and first.shape == (2, N_LANDMARKS, 3)


def test_an_unreadable_chunk_is_collected_again(tmp_path, model):
    commands = random_commands(model, 2, 7)
    first = collect_equilibria(model, commands, workers=1, work_dir=tmp_path)
    chunk = next(tmp_path.glob("chunk-*.npz"))
    chunk.write_bytes(b"PK\x03\x04 cut short")
    again = collect_equilibria(model, commands, workers=1, work_dir=tmp_path)
    assert np.array_equal(first, again)
    with np.load(chunk) as saved:
        assert np.array_equal(saved["landmarks"], first)


def test_chunks_of_another_physics_skin_are_collected_again(tmp_path, face_dir):
    """A run interrupted before the physics changed must not lend its equilibria to the new skin."""
    model = load_face(str(face_dir))
    commands = random_commands(model, 2, 7)
    collect_equilibria(model, commands, workers=1, work_dir=tmp_path / "work")
    path = face_dir / "face.yaml"
    data = yaml.safe_load(path.read_text())
    data["skin"]["physics"]["foundation_mm"] = 20.0
    path.write_text(yaml.safe_dump(data))
    chunk = next((tmp_path / "work").glob("chunk-*.npz"))
    stamp = chunk.stat().st_mtime_ns
    collect_equilibria(load_face(str(face_dir)), commands, workers=1, work_dir=tmp_path / "work")
    assert chunk.stat().st_mtime_ns != stamp


def test_the_bundled_fit_belongs_to_its_face():
    fit = load_fit(load_face("mira-tissue"))
    assert fit.n_commands >= 1000 and fit.heldout_rms_mm < 0.5


def test_a_face_without_a_fit_keeps_its_elastic_skin(model):
    assert model.config.skin.fit is None and FastSkin(model).modes.shape == (model.n_features, model.mesh.n_vertices, 3)


def test_the_command_refuses_too_few_commands_before_any_physics(tmp_path):
    from typer.testing import CliRunner

    from facetwin.app.cli import app

    result = CliRunner().invoke(app, ["fit-skin", "--face", "mira-tissue", "--commands", "10",
                                      "--out", str(tmp_path / "fit.npz")])
    assert isinstance(result.exception, ConfigError) and "needs at least" in str(result.exception)
    assert not any(tmp_path.iterdir())  # no chunks, no fit
