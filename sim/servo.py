"""Hobby-servo dynamics for a batch of faces: latency, first-order lag, speed limit, deadband, backlash.

A command reaches the skin only through this model. Within a control period the command is
held and the servos are integrated in substeps: the command arrives `latency` late, the horn
follows it with time constant `tau` but never faster than `max_speed`, ignores errors inside
the `deadband`, and the linkage that pulls the skin lags the horn by up to half the `backlash`
on each side. Every parameter is per actuator and may differ per face in the batch (domain
randomisation), so arrays broadcast as (batch, actuators).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facetwin.face_config import FaceConfig


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
    """The servos of `batch` faces, stepped together one control period at a time."""

    def __init__(self, params: ServoParams, neutral: np.ndarray, control_period: float, substeps: int = 8,
                 batch: int = 1):
        self.params = params
        self.neutral = np.asarray(neutral, dtype=np.float64)
        self.period = control_period
        self.substeps = substeps
        self.batch = batch
        self.n_actuators = len(self.neutral)
        self._configure()
        self.reset()

    def _configure(self) -> None:
        dt = self.period / self.substeps
        p = self.params
        shape = (self.batch, self.n_actuators)
        self._alpha = np.broadcast_to(1.0 - np.exp(-dt / p.tau), shape).copy()
        self._max_step = np.broadcast_to(p.max_speed * dt, shape).copy()
        self._deadband = np.broadcast_to(p.deadband, shape).copy()
        self._half_backlash = np.broadcast_to(0.5 * p.backlash, shape).copy()
        delay = np.broadcast_to(np.rint(p.latency / dt).astype(np.int64), shape)
        # Substep s of a period sees the command issued ceil((delay - s) / substeps) periods ago.
        sub = np.arange(self.substeps)[:, None, None]
        self._age = np.maximum(-((sub - delay[None]) // self.substeps), 0)
        self._history_len = int(self._age.max()) + 1
        self._rows = np.arange(self.batch)[None, :, None]
        self._cols = np.arange(self.n_actuators)[None, None, :]

    def reset(self, positions: np.ndarray | None = None) -> None:
        start = self.neutral if positions is None else positions
        self.horn = np.broadcast_to(start, (self.batch, self.n_actuators)).astype(np.float64).copy()
        self.load = self.horn.copy()
        self._history = np.repeat(self.horn[None], self._history_len, axis=0)
        self._head = 0

    def step(self, targets: np.ndarray) -> np.ndarray:
        """Integrate one control period towards `targets` (B, A) in actuator units; returns the load side."""
        self._head = (self._head + 1) % self._history_len
        self._history[self._head] = targets
        slots = (self._head - self._age) % self._history_len
        delayed = self._history[slots, self._rows, self._cols]
        horn, load = self.horn, self.load
        error, move, low, high = (np.empty_like(horn) for _ in range(4))
        moving = np.empty(horn.shape, dtype=bool)
        # In-place arithmetic: at a batch of 1,024 faces the allocations would cost more than the maths.
        for s in range(self.substeps):
            np.subtract(delayed[s], horn, out=error)
            np.multiply(error, self._alpha, out=move)
            np.clip(move, -self._max_step, self._max_step, out=move)
            np.greater(np.abs(error, out=error), self._deadband, out=moving)
            np.multiply(move, moving, out=move)
            horn += move
            np.subtract(horn, self._half_backlash, out=low)
            np.add(horn, self._half_backlash, out=high)
            np.clip(load, low, high, out=load)
        return load
