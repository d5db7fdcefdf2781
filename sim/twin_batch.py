"""The twin's dynamics for a batch of faces: the one implementation of command -> servos -> skin.

A command goes onto each actuator's travel exactly as `FaceSpec.command_to_position`, then through
the `ServoBank` (latency, lag, speed limit, deadband, backlash, in substeps); the linkages (the
load side of the servos) pull the skin, and the horns are read back in command units, as a
calibrated hardware face reports them. `SimFace` is a batch of one of it; the environments step
2N faces of it at once (N driven by the policy, N replaying their targets), so there is no second
copy of the dynamics to keep in step with the first. Rows can be restarted, with their own servo
parameters, and advanced alone, which is what a batched env needs when some episodes end.
"""

from __future__ import annotations

import numpy as np

from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.rig import FaceModel
from facetwin.sim.servo import ServoBank, ServoParams
from facetwin.sim.servo_kernel import command_positions, position_commands


class TwinBatch:
    """`batch` twins of one face, stepped together one control period at a time.

    `skin`, when given, is the fast skin that `landmarks` reads; a twin with another skin (the
    physics skin keeps its own state) takes the linkage positions, `load`, instead. `max_latency`
    (seconds) sizes the command history for latencies that `restart` may set later.
    """

    def __init__(self, model: FaceModel, batch: int = 1, *, skin: FastSkin | None = None, substeps: int = 8,
                 max_latency: float | None = None):
        spec = model.spec
        self.model, self.skin, self.batch = model, skin, batch
        self._low = spec.low
        self._span = spec.high - spec.low
        # Halving is exact in floating point, so (c + 1) * half_span rounds exactly like
        # FaceSpec's (c + 1) * 0.5 * span, one operation fewer.
        self._half_span = 0.5 * self._span
        self.nominal = ServoParams.from_config(model.config)
        self.neutral = spec.command_to_position(spec.neutral_command)
        self._max_latency = max_latency
        self.servos = ServoBank(self.nominal, self.neutral, spec.control_period, substeps=substeps, batch=batch,
                                max_latency=max_latency)
        self._randomised_servos = False
        linkages = [a.linkage for a in model.config.actuators]
        self._gain = np.array([k.gain for k in linkages])
        self._offset = np.array([k.offset for k in linkages])
        self._identity_linkage = bool(np.all(self._gain == 1.0) and np.all(self._offset == 0.0))

    @property
    def load(self) -> np.ndarray:
        """Linkage positions (batch, A) in actuator units: where the skin is pulled to (after
        backlash, and through each linkage's gain and offset when the face names any)."""
        if self._identity_linkage:
            return self.servos.load
        return self.neutral + self._gain * (self.servos.load - self.neutral) + self._offset

    @property
    def horn(self) -> np.ndarray:
        """Horn positions (batch, A) in actuator units."""
        return self.servos.horn

    def positions(self, commands: np.ndarray) -> np.ndarray:
        """Commands in [-1, 1] -> actuator travel, exactly as `FaceSpec.command_to_position`."""
        commands = np.asarray(commands)
        positions = np.empty(commands.shape, dtype=np.float64)
        command_positions(commands, self._low, self._half_span, positions)
        return positions

    def step(self, commands: np.ndarray) -> None:
        """One control period for every twin; `commands` (batch, A) already validated and clipped."""
        self.servos.step(self.positions(commands))

    def hold(self, commands: np.ndarray) -> None:
        """Put every twin at rest where `commands` (batch, A) put it, as if held there for long:
        a twin that follows servos measured elsewhere adds no second lag."""
        self.servos.reset(self.positions(commands))

    def actuator_commands(self, rows=slice(None)) -> np.ndarray:
        """Horn positions of `rows` in command units, float32, exactly as `FaceSpec.position_to_command`."""
        horn = self.servos.horn[rows]
        commands = np.empty(horn.shape, dtype=np.float32)
        position_commands(horn.reshape(-1, horn.shape[-1]), self._low, self._span,
                          commands.reshape(-1, horn.shape[-1]))
        return commands

    def landmarks(self, rows=slice(None)) -> np.ndarray:
        """Fast-skin landmarks of `rows` (float32, face frame, mm): (478, 3) for one row, else (n, 478, 3)."""
        return self.skin.landmarks(self.load[rows])

    def restart(self, rows=None, servo: ServoParams | None = None) -> None:
        """Put twins `rows` (all when None) at rest at neutral, with servo parameters given per row
        as (len(rows), A) arrays (the face's nominal ones when None)."""
        # Once any face had randomised servos, a restart without them must put the nominal ones back.
        self._randomised_servos = self._randomised_servos or servo is not None
        if self._randomised_servos:
            self.servos.set_params(servo or self.nominal, rows)
        self.servos.reset(rows=rows)

    def advance(self, rows: np.ndarray, commands: np.ndarray) -> None:
        """Step only twins `rows`, just restarted, by one control period with `commands`
        (len(rows), A): a batched env's reference faces start each episode one step ahead of the
        faces the policy drives. A separate bank of those rows takes the step, and they take over its state."""
        p = self.servos.params
        own = ServoParams(p.latency[rows], p.tau[rows], p.max_speed[rows], p.deadband[rows], p.backlash[rows])
        bank = ServoBank(own, self.neutral, self.servos.period, self.servos.substeps, batch=len(rows),
                         max_latency=self._max_latency)
        bank.step(self.positions(commands))
        self.servos.copy_state(bank, rows)


def equilibrium_landmarks(model: FaceModel, commands: np.ndarray, seconds: float = 1.5) -> np.ndarray:
    """Landmarks (B, 478, 3) of each command (B, A) held from neutral for `seconds` on the twin,
    servo model included, i.e. after the servos settle (backlash and deadband count): where a
    command really puts the face, which is how policies' commands are scored."""
    commands = np.atleast_2d(np.asarray(commands, dtype=np.float64))
    twin = TwinBatch(model, len(commands), skin=FastSkin(model))
    for _ in range(max(1, int(round(seconds * model.spec.control_hz)))):
        twin.step(commands)
    return twin.landmarks()
