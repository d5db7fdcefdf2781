"""Commands planned through the servo model bring the face to the policy's answer sooner."""

from __future__ import annotations

import numpy as np

from facetwin.agents.metrics import face_actuators
from facetwin.agents.policies.policy import Policy
from facetwin.agents.policies.servo_compensation import ServoCompensation
from facetwin.sim.sim_face import SimFace


class _Scripted(Policy):
    """Answers a scripted command per call, whatever the target: the timing alone is under test."""

    name = "scripted"

    def __init__(self, spec, commands):
        super().__init__(spec)
        self.commands, self.calls = commands, 0

    def reset(self):
        self.calls = 0

    def act(self, target, observation=None):
        command = self.commands[min(self.calls, len(self.commands) - 1)]
        self.calls += 1
        return command


def _horn_errors(model, policy, commands) -> np.ndarray:
    face = face_actuators(model.spec)
    policy.reset()
    errors = []
    with SimFace(model) as twin:
        observation = twin.reset()
        for wanted in commands:
            observation = twin.step(policy.act(np.zeros((478, 3), np.float32), observation))
            errors.append(np.abs(observation.actuator_positions[face] - wanted[face]).mean())
    return np.array(errors)


def test_compensation_tracks_a_moving_command_closer_and_settles_where_the_policy_does(model):
    spec = model.spec
    t = np.arange(90) * spec.control_period
    wave = 0.6 * np.sin(2 * np.pi * 1.5 * t)[:, None]
    commands = np.clip(spec.neutral_command[None] + wave, -1, 1).astype(np.float32)
    plain = _horn_errors(model, _Scripted(spec, commands), commands).mean()
    compensated = ServoCompensation(_Scripted(spec, commands), model)
    planned = _horn_errors(model, compensated, commands).mean()
    assert planned < 0.6 * plain
    np.testing.assert_array_equal(compensated.intended, commands[-1])
    held = np.repeat(commands[5:6], 30, axis=0)  # a step, then held: the plan settles on it, no overshoot left
    errors = _horn_errors(model, ServoCompensation(_Scripted(spec, held), model), held)
    assert errors[0] > 0.1 and errors[-10:].max() < 0.02
