"""The person's neutral face, which retargeting measures expressions against.

An explicit neutral frame is best. Without one, the neutral is estimated as the mean of the
frames with the least expression: by default the frames closest to the sequence's per-landmark
median (people spend most of a recording near their resting face), or, when blendshape scores
are available, the frames whose expression blendshapes sum lowest.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from facetwin.perception.errors import PerceptionError
from facetwin.topology import STABLE_LANDMARKS


def expression_score(blendshapes: dict[str, float]) -> float:
    """Sum of all blendshape scores except MediaPipe's `_neutral`: zero for a resting face."""
    return float(sum(v for k, v in blendshapes.items() if k != "_neutral"))


def estimate_neutral(landmarks: np.ndarray, scores: np.ndarray | None = None, quantile: float = 0.2) -> np.ndarray:
    """Mean of the least-expressive `quantile` of frames of a T x 478 x 3 face-frame sequence.

    `scores` (one per frame, lower = less expression) overrides the default geometric score,
    the mean distance of the non-stable landmarks from the per-landmark median.
    """
    sequence = np.asarray(landmarks, dtype=np.float64)
    if sequence.ndim != 3 or len(sequence) == 0:
        raise PerceptionError(f"a neutral needs a T x 478 x 3 sequence of faces, got shape {sequence.shape}")
    if not 0.0 < quantile <= 1.0:
        raise PerceptionError(f"neutral quantile {quantile} must lie in (0, 1]")
    if scores is None:
        moving = np.setdiff1d(np.arange(sequence.shape[1]), STABLE_LANDMARKS)
        median = np.median(sequence[:, moving], axis=0)
        scores = np.linalg.norm(sequence[:, moving] - median, axis=2).mean(axis=1)
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (len(sequence),):
        raise PerceptionError(f"{len(scores)} expression scores for {len(sequence)} frames")
    keep = max(1, int(round(quantile * len(sequence))))
    chosen = np.argsort(scores, kind="stable")[:keep]
    return sequence[chosen].mean(axis=0).astype(np.float32)


class RunningNeutral:
    """A neutral estimated online from the last `window` faces, refreshed every `every` frames,
    for live use when nobody recorded a neutral frame first."""

    def __init__(self, window: int = 300, every: int = 15, quantile: float = 0.2) -> None:
        self._faces: deque[np.ndarray] = deque(maxlen=window)
        self._scores: deque[float | None] = deque(maxlen=window)
        self.every = every
        self.quantile = quantile
        self._since = 0
        self.neutral: np.ndarray | None = None

    def add(self, landmarks: np.ndarray, score: float | None = None) -> np.ndarray:
        """Add one face (and its expression score, if known); returns the current neutral."""
        self._faces.append(np.asarray(landmarks, dtype=np.float32))
        self._scores.append(score)
        self._since += 1
        if self.neutral is None or self._since >= self.every:
            scored = all(s is not None for s in self._scores)
            scores = np.array(self._scores, dtype=np.float64) if scored else None
            self.neutral = estimate_neutral(np.stack(self._faces), scores, self.quantile)
            self._since = 0
        return self.neutral
