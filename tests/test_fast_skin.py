"""The fast skin: linear elastic modes that agree in numpy and torch and respect the rig."""

from __future__ import annotations

import numpy as np
import torch

from facetwin.cache import cache_dir
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.torch_skin import TorchFastSkin


def _positions(model, command):
    return model.spec.command_to_position(np.asarray(command, dtype=np.float64))


def test_neutral_command_gives_neutral_landmarks(model, skin):
    landmarks = skin.landmarks(_positions(model, model.spec.neutral_command))
    assert np.abs(landmarks - model.neutral_landmarks).max() < 1e-4


def test_numpy_and_torch_agree(model, skin):
    commands = np.random.default_rng(0).uniform(-1, 1, (256, model.spec.n_actuators))
    numpy_lm = skin.landmarks(_positions(model, commands))
    torch_lm = TorchFastSkin(skin, dtype=torch.float64).from_command(torch.as_tensor(commands)).numpy()
    assert np.abs(numpy_lm - torch_lm).max() <= 1e-4


def test_torch_gives_gradients(model, skin):
    command = torch.zeros(1, model.spec.n_actuators, requires_grad=True)
    TorchFastSkin(skin).from_command(command)[..., 0:468, 1].sum().backward()
    assert torch.isfinite(command.grad).all() and command.grad.abs().sum() > 0


def test_mirrored_actuators_mirror_the_face(model, skin):
    spec = model.spec
    mirror = np.asarray(model.config.landmark_mirror)
    neutral = skin.landmarks(_positions(model, spec.neutral_command))
    pairs = [(a.name, a.mirror) for a in spec.actuators if a.mirror and a.name.endswith("_L")]
    assert len(pairs) >= 8
    for left, right in pairs:
        moved = []
        for name in (left, right):
            command = spec.neutral_command.copy()
            command[spec.index(name)] = 1.0
            moved.append(skin.landmarks(_positions(model, command)) - neutral)
        assert np.abs(moved[0]).max() > 1.0, f"{left} does not move the skin"
        assert np.abs(moved[0][mirror] * [-1, 1, 1] - moved[1]).max() < 1e-3, f"{left}/{right} not mirrored"


def test_glued_skin_stays_and_anchors_follow(model, skin):
    spec = model.spec
    command = np.ones(spec.n_actuators)
    vertices = skin.vertices(_positions(model, command))
    glued = model.glued
    assert np.abs(vertices[glued] - model.mesh.vertices[glued]).max() < 1e-9
    # a pull actuator alone moves its anchors by exactly travel x direction
    index = spec.index("brow_inner_raiser_L")
    feature = next(f for f in model.features if f.actuator == index)
    one = spec.neutral_command.copy()
    one[index] = 1.0
    moved = skin.vertices(_positions(model, one)) - model.mesh.vertices
    travel = spec.actuators[index].high
    assert np.allclose(moved[feature.anchors], travel * feature.displacement, atol=1e-6)


def test_jaw_moves_the_chin_down_and_keeps_the_upper_lip(model, skin):
    spec = model.spec
    command = spec.neutral_command.copy()
    command[spec.index("jaw_open")] = 1.0
    delta = skin.landmarks(_positions(model, command)) - model.neutral_landmarks
    assert delta[152, 1] < -15.0  # chin
    assert delta[14, 1] < -10.0  # lower inner lip follows the jaw
    assert abs(delta[13, 1]) < 1.0  # upper inner lip stays


def test_eyes_turn_the_irises(model, skin):
    spec = model.spec
    command = spec.neutral_command.copy()
    command[spec.index("eye_yaw")] = 1.0
    delta = skin.landmarks(_positions(model, command)) - model.neutral_landmarks
    assert (delta[[468, 473], 0] > 3.0).all()  # both pupils move to the face's left
    assert np.abs(delta[:468]).max() < 1e-4  # the skin does not


def test_modes_are_cached_on_disk(model):
    FastSkin(model)
    cached = list(cache_dir().glob(f"{model.spec.name}-{model.digest}-*.npy"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    FastSkin(model)
    assert cached[0].stat().st_mtime_ns == stamp
    cached[0].write_bytes(b"not a numpy file")
    again = FastSkin(model)
    assert again.modes.shape == (model.n_features, model.mesh.n_vertices, 3)
