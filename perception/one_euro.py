"""The One Euro filter (Casiez, Roussel and Vogel, CHI 2012), vectorised over any array shape.

Landmark noise is worst when the face is still and matters least when it moves fast; the One
Euro filter's cutoff rises with speed (`beta`), so it smooths a still face hard and lets a blink
or a jaw drop through with little lag. It works in seconds, so dropped or uneven frames are fine.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from facetwin.config_model import ConfigModel


class OneEuroConfig(ConfigModel):
    """`min_cutoff` (Hz) sets the smoothing of a still signal, `beta` (per signal unit/s) how fast
    the cutoff rises with speed, `d_cutoff` (Hz) the smoothing of the speed estimate. The defaults
    suit face-frame landmarks in millimetres at 24-60 fps (see docs/perception.md)."""

    min_cutoff: float = Field(0.5, gt=0.0)
    beta: float = Field(0.1, ge=0.0)
    d_cutoff: float = Field(1.0, gt=0.0)


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Call with (value, time in seconds); `reset()` forgets the past (after a no-face gap)."""

    def __init__(self, config: OneEuroConfig | None = None) -> None:
        self.config = config or OneEuroConfig()
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t = 0.0

    def __call__(self, value: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(value, dtype=np.float64)
        if self._x is None or x.shape != self._x.shape:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        if dt <= 0:  # a repeated time stamp carries no new information about speed
            return self._x.copy()
        cfg = self.config
        dx = (x - self._x) / dt
        self._dx = self._dx + _alpha(cfg.d_cutoff, dt) * (dx - self._dx)
        cutoff = cfg.min_cutoff + cfg.beta * np.abs(self._dx)
        self._x = self._x + _alpha(cutoff, dt) * (x - self._x)
        self._t = t
        return self._x.copy()
