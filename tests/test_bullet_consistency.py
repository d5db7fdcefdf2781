"""Twin consistency: the fast and the physics skin are two models of one face and should agree at equilibrium."""

from __future__ import annotations

import numpy as np
import pytest

from facetwin.sim.bullet_consistency import (
    ABSOLUTE_BOUND_MM,
    RELATIVE_BOUND,
    measure_consistency,
    movable_landmarks,
    rms,
)
from facetwin.sim.bullet_skin import BulletSkin
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.rig import load_face
from tests.guards import time_limit


def test_rms_is_the_root_mean_square_distance():
    a = np.zeros((2, 4, 3))
    b = a.copy()
    b[0, 0] = [3.0, 4.0, 0.0]  # one landmark of eight is 5 mm off
    assert rms(a, b) == pytest.approx(np.sqrt(25.0 / 8))


def test_both_skins_share_anchors_and_glue_at_equilibrium(model):
    """Whatever the free skin does, the hands that pull it and the glue that holds it are the same."""
    rng = np.random.default_rng(3)
    fast = FastSkin(model)
    skin = BulletSkin(model)
    try:
        with time_limit(60):
            for command in rng.uniform(-1.0, 1.0, (3, model.spec.n_actuators)):
                positions = model.spec.command_to_position(command)
                skin.settle(positions, tolerance_mm=1e-2, max_seconds=3.0)
                physics, reference = skin.landmarks(positions), fast.landmarks(positions)
                held = np.concatenate([skin.driven, skin.glued])
                assert np.abs(physics[held] - reference[held]).max() < 1e-2
                assert np.isfinite(physics).all()
    finally:
        skin.close()


def test_movable_landmarks_leave_out_the_static_region(model):
    movable = movable_landmarks(model)
    assert not np.isin(movable, model.config.regions["static"]).any()
    assert len(movable) == len(model.neutral_landmarks) - len(set(model.config.regions["static"]))


def test_with_a_fitted_fast_skin_the_equilibria_agree_within_the_criterion():
    """mira-tissue: 100 random commands its fit never saw (seed 0; the fit used seed 1), each held
    until the physics skin has nearly settled."""
    with time_limit(400):
        report = measure_consistency(load_face("mira-tissue"), n_commands=100, tolerance_mm=1e-2, max_seconds=0.5)
    assert report.bound_mm == max(ABSOLUTE_BOUND_MM, RELATIVE_BOUND * report.mean_displacement_mm)
    assert report.passed, report.summary()


@pytest.mark.xfail(strict=True, reason=(
    "not met by mira: its thin-sheet fast skin and its physics skin settle about 4.3 mm RMS apart; a fit would "
    "agree but cost mira the expressiveness its mimicry figures rest on (docs/physics.md, 'Twin consistency')"))
def test_mira_equilibria_agree_within_the_criterion(model):
    with time_limit(400):
        report = measure_consistency(model, n_commands=100, tolerance_mm=1e-2, max_seconds=0.5)
    assert report.passed, report.summary()


def _settled_in_two_orders(face: str, n_commands: int) -> tuple[np.ndarray, np.ndarray]:
    """The movable landmarks where the physics skin settles for the same commands held first in
    one order, then in the reverse one."""
    model = load_face(face)
    movable = movable_landmarks(model)
    positions = model.spec.command_to_position(
        np.random.default_rng(5).uniform(-1.0, 1.0, (n_commands, model.spec.n_actuators)))
    skin = BulletSkin(model)
    forward, backward = np.empty((2, n_commands, len(movable), 3))
    try:
        for order, out in ((range(n_commands), forward), (reversed(range(n_commands)), backward)):
            for k in order:
                skin.settle(positions[k])
                out[k] = skin.landmarks(positions[k])[movable]
    finally:
        skin.close()
    return forward, backward


def test_on_tissue_each_command_has_one_equilibrium():
    """What lets a fast skin be fitted to the physics skin at all: hung from its tissue, the skin
    settles in the same place whichever command it came from (a bare sheet buckles one way or the
    other: on mira the same twelve commands settle 1.15 mm RMS apart, here 0.00006 mm)."""
    with time_limit(300):
        forward, backward = _settled_in_two_orders("mira-tissue", 12)
    assert rms(forward, backward) < 0.1
