"""Any policy made to arrive on time: its command planned through the face's own servo model.

A policy answers as if the servos were instant; they are not. A command reaches the horn
`latency` late and then closes the gap with time constant `tau`, never faster than `max_speed`,
so the face shows the policy's answer one servo time constant after it was due. This wrapper
keeps a copy of the face's servos (`ServoBank` with the face.yaml parameters, the ones the twin
runs), fed with every command it sends and re-anchored on the horn positions the face reports,
and plans each command over a short horizon: the one command which, held, brings the horn
closest to the policy's answer at the end of this control period and of the next ones. Aiming at
the end of this period alone would be deadbeat, and with a latency of more than half a period
its commands would swing ever wider (the part of the period still driven by the last command
outweighs the part the new one drives); a horizon of two periods keeps the plan stable while
driving a step about 1.8 times as hard as the plain policy.

The horn's answer to a held command is affine in it until the travel or the speed limit clips
it, so two trial commands, integrated together as a batch of two servo banks, give the plan by
least squares; where the speed limit binds the plan asks for as much as the travel allows.
Only the face's actuators are planned: the neck follows the person's head, passed through.
`intended` is the wrapped policy's own answer for the frame: where the command settles.
"""

from __future__ import annotations

import numpy as np

from facetwin.agents.metrics import face_actuators
from facetwin.agents.policies.policy import Policy
from facetwin.observation import FaceObservation
from facetwin.sim.rig import FaceModel
from facetwin.sim.servo import ServoBank, ServoParams

HORIZON = 2  # control periods over which a held command is planned
PROBE = 0.05  # the second trial command, this fraction of each actuator's travel beyond the first


class ServoCompensation(Policy):
    """`inner` with its commands planned through the servo model of `model`'s face (its face.yaml
    parameters: a hardware calibration measures travel, not servo dynamics)."""

    def __init__(self, inner: Policy, model: FaceModel, horizon: int = HORIZON) -> None:
        super().__init__(inner.spec)
        spec = inner.spec
        self.inner = inner
        self.name = f"{inner.name}+compensate"
        self.horizon = horizon
        params = ServoParams.from_config(model.config)
        neutral = spec.command_to_position(spec.neutral_command)
        self._face = face_actuators(spec)
        self._model = ServoBank(params, neutral, spec.control_period)
        self._trial = ServoBank(params, neutral, spec.control_period, batch=2)
        self._probe = PROBE * (spec.high - spec.low)
        self._low, self._high = spec.low.astype(np.float64), spec.high.astype(np.float64)
        self.intended: np.ndarray | None = None

    def reset(self) -> None:
        self.inner.reset()
        self._model.reset()
        self.intended = None

    def act(self, target: np.ndarray, observation: FaceObservation | None = None) -> np.ndarray:
        self.intended = np.asarray(self.inner.act(target, observation), dtype=np.float32)
        if observation is not None:
            self._anchor(np.asarray(observation.actuator_positions, dtype=np.float64))
        due = self.spec.command_to_position(self.intended)
        planned = self.plan(due)
        command = self.intended.copy()
        command[self._face] = self.spec.position_to_command(planned)[self._face]
        command = np.clip(command, -1.0, 1.0)
        self._model.step(self.spec.command_to_position(command)[None])
        return command

    def act_batch(self, targets: np.ndarray) -> np.ndarray:
        """Each target as a fresh request held until it settles: where compensation ends up is
        where the wrapped policy's answer does."""
        return self.inner.act_batch(targets)

    def plan(self, due: np.ndarray) -> np.ndarray:
        """The held command (actuator units) whose horn is nearest `due` at the end of each of
        the next `horizon` periods, by least squares on two trial commands."""
        trial = self._trial
        trial.copy_state(self._model, slice(None))
        commands = np.stack([due, due + self._probe])
        reached = np.empty((self.horizon, 2, len(due)))
        for k in range(self.horizon):
            trial.step(commands)
            reached[k] = trial.horn
        gain = (reached[:, 1] - reached[:, 0]) / self._probe
        power = (gain * gain).sum(axis=0)
        shortfall = (gain * (due - reached[:, 0])).sum(axis=0)
        step = np.divide(shortfall, power, out=np.zeros_like(due), where=power > 1e-9)
        return np.clip(due + step, self._low, self._high)

    def _anchor(self, commands: np.ndarray) -> None:
        """Move the model's horns to where the face reports them (command units), its linkages
        kept within their backlash of them: the face, not the model, says where it is."""
        horn = self.spec.command_to_position(commands)
        if horn.shape != self._model.horn[0].shape or not np.isfinite(horn).all():
            return
        half = 0.5 * self._model.params.backlash[0]
        self._model.horn[0] = horn
        self._model.load[0] = np.clip(self._model.load[0], horn - half, horn + half)
