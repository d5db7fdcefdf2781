"""The head around the face and the mouth behind the lips: grown from the skin's rim, following the
jaw."""

from __future__ import annotations

import numpy as np

from facetwin.sim.appearance import jaw_offset, mouth_parts
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.head_shell import OUTWARD_MM, HeadShell, rim_loop


def test_the_rim_is_the_face_oval(model):
    rim = rim_loop(model.mesh.faces)
    assert {10, 152, 234, 454} <= set(rim.tolist())
    assert len(set(rim.tolist())) == len(rim)


def test_the_shell_follows_the_jaw_at_its_rim_and_not_at_the_back(model):
    shell = HeadShell(model, np.array([0.8, 0.6, 0.5]))
    spec, skin = model.spec, FastSkin(model)
    open_jaw = spec.neutral_command.copy()
    open_jaw[spec.index("jaw_open")] = 1.0
    rest = shell.positions(model.mesh.vertices)
    opened = shell.positions(skin.vertices(spec.command_to_position(open_jaw)))
    n = len(shell.rim)
    chin = int(np.flatnonzero(shell.rim == 152)[0])
    moved = np.linalg.norm(opened - rest, axis=1).reshape(len(OUTWARD_MM) + 1, n)[:, chin]
    assert moved[0] > 10.0 and moved[-1] < 1e-6 and np.all(np.diff(moved) <= 1e-9)
    assert shell.colors.shape == (len(rest), 4)


def test_the_lower_teeth_ride_on_the_jaw(model):
    upper, on_jaw = mouth_parts(model)
    assert upper.bounds[0, 1] > on_jaw.bounds[0, 1]
    spec, skin = model.spec, FastSkin(model)
    open_jaw = spec.neutral_command.copy()
    open_jaw[spec.index("jaw_open")] = 1.0
    assert np.allclose(jaw_offset(model, model.mesh.vertices), 0.0, atol=1e-4)
    assert jaw_offset(model, skin.vertices(spec.command_to_position(open_jaw)))[1] < -10.0
