"""The servo model's substeps as one compiled loop, shared by every batch size.

A control period is `substeps` updates of 11 arithmetic steps on arrays of a few dozen values;
as numpy calls, one face pays the call overhead of some 90 ufuncs per step, more than the maths.
Compiled, the period is one call whatever the batch. The arithmetic is the model's, operation
for operation and in the same order (no fast-math), so the trajectories are those of the numpy
formulation bit for bit; `tests/test_servo.py` holds the kernel to a numpy reference.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def integrate_period(history: np.ndarray, head: int, age: np.ndarray, alpha: np.ndarray, max_step: np.ndarray,
                     deadband: np.ndarray, half_backlash: np.ndarray, horn: np.ndarray, load: np.ndarray) -> None:
    """Advance `horn` and `load` (B, A) in place through one control period.

    `history` (L, B, A) is the ring of commanded positions with the newest at `head`; `age`
    (substeps, B, A) says how many periods old the command each substep of each servo sees
    (its latency). The horn moves by `alpha` of the error, at most `max_step` either way, and not
    at all while the error is within `deadband`; the linkage is dragged along once the horn is
    more than `half_backlash` away from it.
    """
    length = history.shape[0]
    substeps, batch, actuators = age.shape
    for b in range(batch):
        for a in range(actuators):
            h = horn[b, a]
            x = load[b, a]
            gain, limit, band, slack = alpha[b, a], max_step[b, a], deadband[b, a], half_backlash[b, a]
            for s in range(substeps):
                error = history[(head - age[s, b, a]) % length, b, a] - h
                move = error * gain
                move = min(move, limit)
                move = max(move, -limit)
                if not abs(error) > band:
                    move = move * 0.0
                h = h + move
                x = max(x, h - slack)
                x = min(x, h + slack)
            horn[b, a] = h
            load[b, a] = x


@numba.njit(cache=True, nogil=True)
def command_positions(commands: np.ndarray, low: np.ndarray, half_span: np.ndarray, out: np.ndarray) -> None:
    """Commands (B, A) in [-1, 1] onto each actuator's travel, `low + (c + 1) * half_span`, into
    `out` (float64): `FaceSpec.command_to_position` as TwinBatch rounds it."""
    batch, actuators = commands.shape
    for b in range(batch):
        for a in range(actuators):
            out[b, a] = low[a] + (np.float64(commands[b, a]) + 1.0) * half_span[a]


@numba.njit(cache=True, nogil=True)
def position_commands(horn: np.ndarray, low: np.ndarray, span: np.ndarray, out: np.ndarray) -> None:
    """Horn positions (B, A) back in command units, `(h - low) * 2 / span - 1`, as float32 into
    `out`: `FaceSpec.position_to_command` with its rounding."""
    batch, actuators = horn.shape
    for b in range(batch):
        for a in range(actuators):
            out[b, a] = (horn[b, a] - low[a]) * 2.0 / span[a] - 1.0
