"""The pybullet skin behind SimFace: same contract and observation as the fast skin, its own dynamics,
and divergence reported instead of rendered."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from facetwin.errors import BackendError
from facetwin.face_config import SkinPhysicsConfig
from facetwin.sim.bullet_skin import BulletSkin
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.kinematics import head_pose
from facetwin.sim.mesh import triangle_edges
from facetwin.sim.sim_face import SimFace
from facetwin.spec import N_LANDMARKS
from tests.guards import time_limit


@pytest.fixture(scope="module")
def twin(model):
    with SimFace(model, skin="bullet") as face:
        yield face


def _command(spec, **values) -> np.ndarray:
    command = spec.neutral_command.copy()
    for name, value in values.items():
        command[spec.actuator_names.index(name)] = value
    return command


def test_reset_is_the_neutral_face_at_rest(twin, model):
    with time_limit(30):
        obs = twin.reset()
    assert obs.landmarks.shape == (N_LANDMARKS, 3) and obs.landmarks.dtype == np.float32
    assert np.abs(obs.landmarks - model.neutral_landmarks).max() < 1e-3
    assert np.allclose(obs.head_pose, np.eye(4))


def test_anchors_follow_the_servos_and_the_skin_follows_them(twin, model):
    spec = model.spec
    with time_limit(30):
        twin.reset()
        for _ in range(30):
            obs = twin.step(_command(spec, lip_corner_puller_L=1.0, jaw_open=0.5))
    skin = twin.skin
    load = twin.dynamics.load[0]
    assert np.abs(skin.positions_mm[skin._slot[skin.driven]] - skin.anchor_targets(load)).max() < 1e-2
    glued = skin.positions_mm[skin._slot[skin.glued]]
    assert np.abs(glued - model.neutral_landmarks[skin.glued]).max() < 1e-3
    fast = FastSkin(model).landmarks(load)
    moved = np.linalg.norm(obs.landmarks - model.neutral_landmarks, axis=1)
    assert moved.max() > 10.0 and np.isfinite(obs.landmarks).all()
    # Eyes and neck are rigid motions shared with the fast skin.
    iris = np.concatenate(model.iris)
    assert np.allclose(obs.landmarks[iris], fast[iris], atol=1e-4)
    assert np.allclose(obs.head_pose, head_pose(model, load))


def test_the_skin_has_its_own_dynamics(twin, model):
    """After a step the anchors stop with the servos, but the free skin keeps moving for a while."""
    spec = model.spec
    with time_limit(60):
        twin.reset()
        trace = [twin.step(_command(spec, jaw_open=1.0)).landmarks for _ in range(45)]
    trace = np.asarray(trace, dtype=np.float64)
    skin = twin.skin
    free = np.setdiff1d(skin.nodes, np.concatenate([skin.driven, skin.glued]))
    anchor_motion = np.abs(np.diff(trace[:, skin.driven], axis=0)).max(axis=(1, 2))
    free_motion = np.abs(np.diff(trace[:, free], axis=0)).max(axis=(1, 2))
    still = np.flatnonzero(anchor_motion < 1e-6)
    assert len(still) and free_motion[still[0]] > 0.05  # anchors at rest, skin still swinging
    final = trace[-1, free]
    # ... and it overshoots: some free landmark passes beyond where it comes to rest.
    start = trace[0, free]
    overshoot = ((trace[:, free] - final) * (final - start)).sum(-1).max()
    assert overshoot > 0


def test_render_vertices_cover_the_refined_mesh(twin, model):
    with time_limit(30):
        twin.reset()
        obs = twin.step(_command(model.spec, brow_inner_raiser_L=1.0))
    vertices = twin.skin.vertices(twin.dynamics.load[0])
    assert vertices.shape == (model.mesh.n_vertices, 3) and np.isfinite(vertices).all()
    assert np.allclose(vertices[:N_LANDMARKS], obs.landmarks, atol=1e-4)
    a, b = model.mesh.parents[0]
    assert np.allclose(vertices[N_LANDMARKS], 0.5 * (vertices[a] + vertices[b]))


def test_close_is_idempotent_and_final(model):
    with time_limit(30):
        face = SimFace(model, skin="bullet")
        face.reset()
        face.close()
        face.close()
    with pytest.raises(BackendError, match="closed"):
        face.step(model.spec.neutral_command)


def test_pickling_says_what_to_do(twin):
    with pytest.raises(BackendError, match="cannot be pickled"):
        pickle.dumps(twin)


def test_unknown_skin_is_named(model):
    with pytest.raises(BackendError, match="'rubber'"):
        SimFace(model, skin="rubber")


def test_non_finite_skin_is_reported_not_rendered(model):
    skin = BulletSkin(model)
    try:
        positions = model.spec.command_to_position(model.spec.neutral_command)
        broken = positions.copy()
        broken[model.spec.actuator_names.index("lip_corner_puller_L")] = np.nan
        with time_limit(30), pytest.raises(BackendError, match="not finite"):
            skin.advance(positions, broken)
    finally:
        skin.close()


def test_exploding_skin_is_reported_and_was_rejected_on_load(model):
    """Springs too stiff for their mass and damping: face.yaml would refuse them, and a skin built
    with them anyway blows up within a period, which advance() reports."""
    unstable = SkinPhysicsConfig(mass_g=150.0, stretch=8.0, bending=8.0, damping=4e-4)
    assert unstable.stability_problem(model.spec.control_hz, N_LANDMARKS) is not None
    skin = BulletSkin(model, unstable)
    try:
        positions = model.spec.command_to_position(model.spec.neutral_command)
        pulled = model.spec.command_to_position(_command(model.spec, lip_corner_puller_L=0.0, jaw_open=0.0))
        with time_limit(30), pytest.raises(BackendError, match="diverged"):
            for _ in range(30):
                skin.advance(positions, pulled)
    finally:
        skin.close()


def test_cli_renders_the_physics_skin(tmp_path):
    from typer.testing import CliRunner

    from facetwin.app.cli import app

    out = tmp_path / "smile.png"
    with time_limit(60):
        result = CliRunner().invoke(app, ["render", "--skin", "bullet", "--pose", "smile", "--size", "96",
                                          "--settle", "0.3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0


def test_open_backend_passes_the_skin_through(model):
    from facetwin.app.backends import open_backend

    with time_limit(30), open_backend("sim", skin="bullet") as backend:
        assert isinstance(backend.skin, BulletSkin)
        assert np.isfinite(backend.reset().landmarks).all()


def test_each_skin_and_each_fit_is_its_own_twin_model(model):
    """Measured behaviour (the reach retargeting clips to) is cached per twin model, not per spec."""
    with SimFace(model) as fast, SimFace(model, skin="bullet") as physics, SimFace("mira-tissue") as tissue:
        keys = {fast.model_key, physics.model_key, tissue.model_key}
    assert len(keys) == 3


def test_the_tissue_fins_are_mirror_images_where_the_face_is():
    """Each fin reaches a neighbour of its node (sharing a skin edge, as pybullet's collision tree
    needs), the nearest one, and the fins of mirrored nodes are mirrored."""
    from facetwin.sim.rig import load_face

    model = load_face("mira-tissue")
    skin = BulletSkin(model)
    try:
        partner = skin.fin_partners()
        edges = triangle_edges(skin._faces)
        sides = {tuple(e) for e in edges.tolist()}
        assert all((a, int(b)) in sides or (int(b), a) in sides for a, b in enumerate(partner))
        mirror = skin._slot[np.asarray(model.config.landmark_mirror)[skin.nodes]]
        assert np.array_equal(partner[mirror], mirror[partner])
        points = skin.rest[skin.nodes]
        length = np.linalg.norm(points - points[partner], axis=1)
        assert length.max() < 0.5 * skin.physics.foundation_mm
        # off the midline (where a midline partner is preferred) the partner is the nearest neighbour
        side = np.linalg.norm(points[edges[:, 0]] - points[edges[:, 1]], axis=1)
        nearest = np.full(len(points), np.inf)
        np.minimum.at(nearest, edges[:, 0], side)
        np.minimum.at(nearest, edges[:, 1], side)
        off_midline = mirror != np.arange(len(points))
        assert np.allclose(length[off_midline], nearest[off_midline], atol=1e-6)
    finally:
        skin.close()


def test_mirrored_commands_settle_to_mirrored_skins():
    """A symmetric face must not prefer a side: what its fast skin is fitted to assumes it."""
    from facetwin.sim.rig import load_face
    from facetwin.sim.skin_fit import mirror_commands, mirror_landmarks

    model = load_face("mira-tissue")
    command = np.random.default_rng(11).uniform(-1.0, 1.0, model.spec.n_actuators)
    command[[model.spec.index("eye_yaw"), model.spec.index("eye_pitch")]] = 0.0  # the eyes turn rigidly
    skin = BulletSkin(model)
    try:
        with time_limit(120):
            settled = []
            for c in (command, mirror_commands(model, command[None])[0]):
                positions = model.spec.command_to_position(c)
                skin.settle(positions)
                settled.append(skin.landmarks(positions).astype(np.float64))
    finally:
        skin.close()
    assert np.abs(mirror_landmarks(model, settled[0][None])[0] - settled[1]).max() < 0.01
