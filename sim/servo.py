"""Hobby-servo dynamics for a batch of faces: latency, first-order lag, speed limit, deadband, backlash.

A command reaches the skin only through this model. Within a control period the command is
held and the servos are integrated in substeps: the command arrives `latency` late, the horn
follows it with time constant `tau` but never faster than `max_speed`, ignores errors inside
the `deadband`, and the linkage that pulls the skin lags the horn by up to half the `backlash`
on each side. Every parameter is per actuator and may differ per face in the batch (domain
randomisation), so arrays broadcast as (batch, actuators); `set_params` and `reset` can address
selected faces only, so a batched environment re-draws and restarts the faces whose episode ended.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facetwin.face_config import FaceConfig
from facetwin.sim.servo_kernel import integrate_period


@dataclass
class ServoParams:
    """Arrays of shape (A,) or (B, A); times in seconds, speed/deadband/backlash in actuator units."""

    latency: np.ndarray
    tau: np.ndarray
    max_speed: np.ndarray
    deadband: np.ndarray
    backlash: np.ndarray

    @classmethod
    def from_config(cls, config: FaceConfig) -> ServoParams:
        servos = [a.servo for a in config.actuators]
        return cls(
            latency=np.array([s.latency_ms / 1000.0 for s in servos]),
            tau=np.array([s.tau_ms / 1000.0 for s in servos]),
            max_speed=np.array([s.max_speed for s in servos]),
            deadband=np.array([s.deadband for s in servos]),
            backlash=np.array([s.backlash for s in servos]),
        )


class ServoBank:
    """The servos of `batch` faces, stepped together one control period at a time.

    `max_latency` (seconds) sizes the command history for latencies that `set_params` may set
    later; the latencies given at construction are always covered.
    """

    def __init__(self, params: ServoParams, neutral: np.ndarray, control_period: float, substeps: int = 8,
                 batch: int = 1, max_latency: float | None = None):
        self.neutral = np.asarray(neutral, dtype=np.float64)
        self.period = control_period
        self.substeps = substeps
        self.batch = batch
        self.n_actuators = len(self.neutral)
        self._dt = control_period / substeps
        shape = (batch, self.n_actuators)
        self.params = ServoParams(*(np.broadcast_to(np.asarray(v, dtype=np.float64), shape).copy()
                                    for v in (params.latency, params.tau, params.max_speed, params.deadband,
                                              params.backlash)))
        cap = max(float(np.max(self.params.latency)), max_latency or 0.0)
        self._history_len = self._age_of(0, self._delay_of(np.array(cap))).item() + 1
        self._alpha, self._max_step, self._deadband, self._half_backlash = (np.empty(shape) for _ in range(4))
        self._age = np.empty((substeps, *shape), dtype=np.int64)
        self._configure(slice(None))
        self.reset()

    def _delay_of(self, latency: np.ndarray) -> np.ndarray:
        return np.rint(latency / self._dt).astype(np.int64)

    def _age_of(self, substep, delay: np.ndarray) -> np.ndarray:
        # Substep s of a period sees the command issued ceil((delay - s) / substeps) periods ago.
        return np.maximum(-((substep - delay) // self.substeps), 0)

    def set_params(self, params: ServoParams, rows=None) -> None:
        """Give the faces `rows` (an index or mask; all when None) new parameters, each array
        (A,) or (len(rows), A). Their state is kept; reset them too for a fresh start."""
        rows = slice(None) if rows is None else rows
        for name in ("latency", "tau", "max_speed", "deadband", "backlash"):
            getattr(self.params, name)[rows] = getattr(params, name)
        delay = self._delay_of(self.params.latency[rows])
        if self._age_of(0, delay).max(initial=0) >= self._history_len:
            raise ValueError(f"a latency of {self.params.latency[rows].max() * 1e3:.1f} ms exceeds the "
                             f"history this bank was built for; pass a larger max_latency")
        self._configure(rows)

    def _configure(self, rows) -> None:
        p, dt = self.params, self._dt
        self._alpha[rows] = 1.0 - np.exp(-dt / p.tau[rows])
        self._max_step[rows] = p.max_speed[rows] * dt
        self._deadband[rows] = p.deadband[rows]
        self._half_backlash[rows] = 0.5 * p.backlash[rows]
        delay = self._delay_of(p.latency[rows])
        for s in range(self.substeps):
            self._age[s][rows] = self._age_of(s, delay)

    def reset(self, positions: np.ndarray | None = None, rows=None) -> None:
        """Put the faces `rows` (all when None) at rest at `positions` (default: neutral), with a
        command history that has held them there."""
        start = self.neutral if positions is None else np.asarray(positions, dtype=np.float64)
        if rows is None:
            self.horn = np.broadcast_to(start, (self.batch, self.n_actuators)).astype(np.float64).copy()
            self.load = self.horn.copy()
            self._history = np.repeat(self.horn[None], self._history_len, axis=0)
            self._head = 0
            return
        self.horn[rows] = start
        self.load[rows] = start
        self._history[:, rows] = start

    def copy_state(self, source: ServoBank, rows) -> None:
        """Make the faces `rows` continue exactly where the faces of `source` (a bank of len(rows)
        faces with the same history length) are: horn, linkage and the commands still in flight."""
        if source._history_len != self._history_len:
            raise ValueError("the banks keep command histories of different lengths")
        self.horn[rows] = source.horn
        self.load[rows] = source.load
        for age in range(self._history_len):
            self._history[(self._head - age) % self._history_len, rows] = \
                source._history[(source._head - age) % self._history_len]

    def step(self, targets: np.ndarray) -> np.ndarray:
        """Integrate one control period towards `targets` (B, A) in actuator units; returns the load side."""
        self._head = (self._head + 1) % self._history_len
        self._history[self._head] = targets
        integrate_period(self._history, self._head, self._age, self._alpha, self._max_step, self._deadband,
                         self._half_backlash, self.horn, self.load)
        return self.load
