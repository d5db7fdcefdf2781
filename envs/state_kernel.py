"""The landmark-space state of a batch of faces as one compiled loop.

`LandmarkSpace.state` runs on every env step; for one face it was a dozen numpy calls and fancy
indexings on rows of a few dozen values, whose overhead outweighed the arithmetic. The loop does
the same operations in the same precision and order (float64 table, sines and versines of the
angles in radians, products of the eye terms, then float32), so the state is the numpy
formulation's bit for bit; `tests/test_envs_core.py` holds it to that formulation.
"""

from __future__ import annotations

import math

import numba
import numpy as np

DEGREE = np.pi / 180.0


@numba.njit(cache=True, nogil=True)
def fill_state(positions: np.ndarray, angles: np.ndarray, skin_columns: np.ndarray, eye_columns: np.ndarray,
               gains: np.ndarray, scaled: bool, table: np.ndarray, out: np.ndarray) -> None:
    """Write `[skin features * gains, eye terms, 1]` (float32) of each row of `positions` into `out`.

    `table` (table size,) float64 is scratch for one face's `[1, positions, sines, versines]`;
    `skin_columns` picks each skin feature from it, `eye_columns` (joints, terms) the factors of
    each eye term; `gains` (B, F) scales the skin features when `scaled`.
    """
    batch, n_act = positions.shape
    n_angles = angles.shape[0]
    n_skin = skin_columns.shape[0]
    n_joints, n_eye = eye_columns.shape
    for b in range(batch):
        table[0] = 1.0
        for a in range(n_act):
            table[1 + a] = positions[b, a]
        for k in range(n_angles):
            angle = positions[b, angles[k]] * DEGREE
            table[1 + n_act + k] = math.sin(angle)
            table[1 + n_act + n_angles + k] = 1.0 - math.cos(angle)
        for f in range(n_skin):
            value = np.float32(table[skin_columns[f]])
            out[b, f] = value * gains[b, f] if scaled else value
        for e in range(n_eye):
            term = table[eye_columns[0, e]]
            for j in range(1, n_joints):
                term = term * table[eye_columns[j, e]]
            out[b, n_skin + e] = term
        out[b, n_skin + n_eye] = 1.0
