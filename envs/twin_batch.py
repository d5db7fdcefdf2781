"""The environments' dynamics core: a batch of twins with exactly SimFace's dynamics.

A command goes through the same mapping onto actuator travel, the same `ServoBank` (eight
substeps per control period) and the same fast-skin modes as `SimFace.step`, but for a whole
batch at once and without building a `FaceObservation` per face: the state kept per face is the
row of `[skin features, eye terms, 1]` that the `LandmarkSpace` turns into landmarks and codes. The
single env is a batch of two (its face and the reference face of its targets), the batched env a
batch of 2N.
"""

from __future__ import annotations

import numpy as np

from facetwin.envs.landmark_space import LandmarkSpace
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.rig import FaceModel
from facetwin.sim.servo import ServoBank, ServoParams


class TwinBatch:
    """`batch` twins; `state` (batch, n_state) float32 is kept current after every change."""

    def __init__(self, model: FaceModel, skin: FastSkin, space: LandmarkSpace, batch: int,
                 max_latency: float | None = None):
        spec = model.spec
        self.model, self.skin, self.space = model, skin, space
        self.batch = batch
        self._low = spec.low
        self._span = spec.high - spec.low
        # Halving is exact in floating point, so (c + 1) * half_span rounds exactly like
        # FaceSpec's (c + 1) * 0.5 * span, one operation fewer.
        self._half_span = 0.5 * self._span
        self.nominal = ServoParams.from_config(model.config)
        self.neutral = spec.command_to_position(spec.neutral_command)
        self._max_latency = max_latency
        self.servos = ServoBank(self.nominal, self.neutral, spec.control_period, batch=batch, max_latency=max_latency)
        self.gains = np.ones((batch, space.n_skin), dtype=np.float32)
        self._randomised_servos = False
        self.state = space.state(self.servos.load, self.gains)

    def positions(self, commands: np.ndarray) -> np.ndarray:
        """Commands in [-1, 1] -> actuator travel, exactly as `FaceSpec.command_to_position`."""
        positions = np.add(commands, 1.0, dtype=np.float64)
        np.multiply(positions, self._half_span, positions)
        return np.add(self._low, positions, positions)

    def step(self, commands: np.ndarray) -> None:
        """One control period for every twin; `commands` (batch, A) already validated and clipped."""
        self.servos.step(self.positions(commands))
        self.space.state(self.servos.load, self.gains, out=self.state)

    def actuator_commands(self, rows=slice(None)) -> np.ndarray:
        """Horn positions in command units (batch, A) float32, as `SimFace` reports them."""
        commands = np.subtract(self.servos.horn[rows], self._low)
        np.multiply(commands, 2.0, commands)
        np.divide(commands, self._span, commands)
        return np.subtract(commands, 1.0, commands).astype(np.float32)

    def restart(self, rows: np.ndarray, servo: ServoParams | None = None, gains: np.ndarray | None = None) -> None:
        """Put twins `rows` at rest at neutral, with servo parameters (nominal when None) and skin
        gains (ones when None) given per row as (len(rows), ...) arrays."""
        # Once any face had randomised servos, a restart without them must put the nominal ones back.
        self._randomised_servos = self._randomised_servos or servo is not None
        if self._randomised_servos:
            self.servos.set_params(servo or self.nominal, rows)
        self.gains[rows] = 1.0 if gains is None else gains
        self.servos.reset(rows=rows)
        self.state[rows] = self.space.state(self.servos.load[rows], self.gains[rows])

    def advance(self, rows: np.ndarray, commands: np.ndarray) -> None:
        """Step only twins `rows`, just restarted, by one control period with `commands`
        (len(rows), A): the reference faces start each episode one step ahead of the faces the
        policy drives. A separate bank of those rows takes the step, and they take over its state."""
        p = self.servos.params
        own = ServoParams(p.latency[rows], p.tau[rows], p.max_speed[rows], p.deadband[rows], p.backlash[rows])
        bank = ServoBank(own, self.neutral, self.servos.period, self.servos.substeps, batch=len(rows),
                         max_latency=self._max_latency)
        bank.step(self.positions(commands))
        self.servos.copy_state(bank, rows)
        self.state[rows] = self.space.state(self.servos.load[rows], self.gains[rows])
