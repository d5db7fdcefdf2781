"""Motor babbling: what it records, the rules it keeps, the rate it keeps to, its symmetric mode."""

from __future__ import annotations

import numpy as np
import pytest

from facetwin.agents.metrics import face_actuators
from facetwin.agents.selfmodel.babble import BabbleConfig, Babbler, CommandSampler, PlausibilityRules, activation
from facetwin.errors import ConfigError
from facetwin.sim.sim_face import SimFace
from tests.guards import time_limit


class Recording(SimFace):
    """The twin, remembering every command it was sent."""

    def __init__(self, model):
        super().__init__(model)
        self.sent: list[np.ndarray] = []

    def step(self, command):
        self.sent.append(np.asarray(command, dtype=np.float64).copy())
        return super().step(command)


@pytest.fixture(scope="module")
def recorded(model):
    twin = Recording(model)
    with time_limit(60):
        record = Babbler(twin, model.config).run(60, np.random.default_rng(1))
    return twin, record


def test_records_settled_samples_of_the_right_shapes(recorded, model):
    _, record = recorded
    spec = model.spec
    assert len(record) == 60
    assert record.command.shape == record.positions.shape == (60, spec.n_actuators)
    assert record.landmarks.shape == (60, 478, 3) and record.landmarks.dtype == np.float32
    assert record.command.dtype == np.float32 and record.images is None
    assert record.settled.all()
    # At rest the measured servo horns sit on the command, within the servos' deadband.
    assert np.abs(record.positions - record.command).max() < 0.03
    assert len(np.unique(record.command, axis=0)) == 60


def test_the_neck_stays_neutral(recorded, model):
    _, record = recorded
    neck = [i for i, a in enumerate(model.spec.actuators) if a.group == "neck"]
    assert neck and np.allclose(record.command[:, neck], model.spec.neutral_command[neck])


def test_commands_slew_within_the_rate_limit(recorded, model):
    twin, _ = recorded
    sent = np.stack(twin.sent)
    limit = BabbleConfig().max_rate * model.spec.control_period
    steps = np.abs(np.diff(sent, axis=0)).max(axis=1)
    assert steps.max() <= limit + 1e-5
    assert steps.max() > 0.5 * limit  # it does move, at the limit when it has far to go


def test_every_babbled_command_is_plausible(model):
    sampler = CommandSampler(model.config)
    commands = sampler.sample(np.random.default_rng(2), 3000)
    assert sampler.rules.accept(commands).all()
    candidates, _ = sampler._candidates(np.random.default_rng(2), 3000)
    assert not sampler.rules.accept(candidates).all()  # the rules do reject something
    assert np.abs(commands).max() <= 1.0


def test_rules_reject_co_contraction_and_overloaded_anchors(model):
    spec = model.spec
    rules = PlausibilityRules.from_config(model.config)
    names = {(spec.actuator_names[i], spec.actuator_names[j]) for i, j in rules.antagonists}
    assert ("brow_inner_raiser_L", "brow_lowerer_L") in names
    assert ("lip_corner_puller_L", "lip_corner_depressor_L") in names
    assert ("upper_lip_raiser", "lower_lip_depressor") not in names
    neutral = spec.neutral_command.copy()
    assert rules.accept(neutral[None]).all()
    fight = neutral.copy()
    fight[[spec.index("brow_inner_raiser_L"), spec.index("brow_lowerer_L")]] = 1.0
    co, overload = rules.violations(fight[None])
    assert co[0]
    pile = neutral.copy()
    for name in ("lip_corner_depressor_L", "lip_pucker", "jaw_open", "lower_lip_depressor"):
        pile[spec.index(name)] = 1.0
    co, overload = rules.violations(pile[None])
    assert overload[0] and not co[0]
    one = neutral.copy()
    one[spec.index("brow_lowerer_L")] = 1.0
    assert rules.accept(one[None]).all()


def test_activation_is_the_fraction_of_travel_from_rest(model):
    spec = model.spec
    act = activation(spec, np.stack([spec.neutral_command, np.ones(spec.n_actuators), -np.ones(spec.n_actuators)]))
    assert np.allclose(act[0], 0.0, atol=1e-6)
    assert np.allclose(act[1], 1.0) and np.allclose(act[2][spec.neutral_command > -0.999], 1.0)


def test_symmetric_mode_mirrors_left_and_right(model):
    spec = model.spec
    sampler = CommandSampler(model.config, BabbleConfig(uniform=0.0, poses=0.0, symmetric=1.0))
    commands = sampler.sample(np.random.default_rng(3), 500)
    pairs = [(i, spec.index(a.mirror)) for i, a in enumerate(spec.actuators) if a.mirror]
    assert pairs
    for i, j in pairs:
        assert np.array_equal(commands[:, i], commands[:, j])
    assert commands[:, face_actuators(spec)].std(axis=0).min() > 0.2


def test_pose_mode_stays_near_the_named_poses(model):
    sampler = CommandSampler(model.config, BabbleConfig(uniform=0.0, poses=1.0, symmetric=0.0, pose_sigma=0.05))
    commands = sampler.sample(np.random.default_rng(4), 200).astype(np.float64)
    face = face_actuators(model.spec)
    distance = np.abs(commands[:, None, face] - sampler.poses[None, :, face]).max(axis=2).min(axis=1)
    assert distance.max() < 0.35


@pytest.mark.parametrize("bad", [dict(uniform=-1.0), dict(uniform=0.0, poses=0.0, symmetric=0.0),
                                 dict(max_rate=0.0), dict(min_hold=5, max_hold=2), dict(settle_tol=float("nan"))])
def test_bad_babble_config_is_a_config_error(bad):
    with pytest.raises(ConfigError):
        BabbleConfig(**bad)


def test_a_config_of_another_face_is_refused(model):
    other = model.config.model_copy(update={"name": "other"})
    with SimFace(model) as twin, pytest.raises(ConfigError, match="does not describe"):
        Babbler(twin, other)


def test_images_are_recorded_when_asked(model):
    with SimFace(model, width=64, height=64) as twin, time_limit(60):
        record = Babbler(twin, model.config, images=True).run(2, np.random.default_rng(5))
    assert record.images.shape == (2, 64, 64, 3) and record.images.dtype == np.uint8
    assert record.images[0].std() > 1.0
