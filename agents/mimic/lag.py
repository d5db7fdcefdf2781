"""How late the face is: the delay that best aligns the person's expression with the twin's.

A copy shifted by half a second reads as a parrot, not a partner, however small its error once
settled. The person's trajectory is the retargeted target made from the unfiltered landmarks (so
the One Euro filter's delay counts against the face, as perception's does); the twin's is its
observed landmarks. Both are taken over the movable landmarks, each coordinate's mean removed,
and the lag is the shift with the highest correlation, refined between frames by a parabola
through the peak. Positive: the face follows the person; zero or negative: it is on time or
ahead. A region that barely moves in the clip has no trajectory to align, and gets None.
"""

from __future__ import annotations

import numpy as np

from facetwin.agents.metrics import STATIC_REGION, movable_landmarks
from facetwin.spec import FaceSpec

MAX_LAG_S = 0.5
MIN_MOTION_MM = 0.05  # below this RMS motion a trajectory is noise, not an expression to align


def shift_correlations(person: np.ndarray, face: np.ndarray, valid: np.ndarray, max_shift: int) -> np.ndarray:
    """Correlation of face[t + k] with person[t] for k in -max_shift..max_shift, over the frames
    where both are valid; `person` and `face` are (T, D), NaN where a shift leaves too few pairs."""
    n = len(person)
    out = np.full(2 * max_shift + 1, np.nan)
    for j, k in enumerate(range(-max_shift, max_shift + 1)):
        lo, hi = max(0, -k), min(n, n - k)
        if hi - lo < 3:
            continue
        both = valid[lo:hi] & valid[lo + k:hi + k]
        if both.sum() < 3:
            continue
        a = person[lo:hi][both]
        b = face[lo + k:hi + k][both]
        a = a - a.mean(axis=0)
        b = b - b.mean(axis=0)
        denominator = np.sqrt((a * a).sum() * (b * b).sum())
        if denominator > 0:
            out[j] = float((a * b).sum() / denominator)
    return out


def peak_shift(correlations: np.ndarray, max_shift: int) -> float | None:
    """The shift (frames, fractional) of the correlation peak, None when there is none."""
    if not np.isfinite(correlations).any():
        return None
    j = int(np.nanargmax(correlations))
    shift = float(j - max_shift)
    if 0 < j < len(correlations) - 1 and np.isfinite(correlations[j - 1:j + 2]).all():
        left, mid, right = correlations[j - 1:j + 2]
        curvature = left - 2.0 * mid + right
        if curvature < 0:
            shift += 0.5 * (left - right) / curvature
    return shift


def trajectory_lag_ms(person: np.ndarray, face: np.ndarray, valid: np.ndarray, period_s: float) -> float | None:
    """Lag (ms) of `face` behind `person`, both (T, L, 3) over the same landmarks; None when
    the person's trajectory does not move enough to be aligned."""
    if valid.sum() < 3:  # also a run stopped before its first frames (no rows to reshape)
        return None
    person = person.reshape(len(person), -1).astype(np.float64)
    face = face.reshape(len(face), -1).astype(np.float64)
    moving = person[valid] - person[valid].mean(axis=0)
    if np.sqrt((moving ** 2).sum(axis=1).mean() / (person.shape[1] / 3)) < MIN_MOTION_MM:
        return None
    max_shift = max(1, round(MAX_LAG_S / period_s))
    shift = peak_shift(shift_correlations(person, face, valid, max_shift), max_shift)
    return None if shift is None else 1000.0 * period_s * shift


def lag_summary(person: np.ndarray, face: np.ndarray, valid: np.ndarray, spec: FaceSpec,
                period_s: float) -> dict:
    """`lag_ms` over the movable landmarks and `per_region_lag_ms` for each expressive region.
    `person`/`face`: (T, 478, 3), rows not `valid` (no face in one of them) are left out."""
    regions = {name: np.asarray(indices) for name, indices in spec.regions.items()
               if name != STATIC_REGION and indices}
    movable = movable_landmarks(spec)
    return {
        "lag_ms": _rounded(trajectory_lag_ms(person[:, movable], face[:, movable], valid, period_s)),
        "per_region_lag_ms": {name: _rounded(trajectory_lag_ms(person[:, idx], face[:, idx], valid, period_s))
                              for name, idx in sorted(regions.items())},
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
