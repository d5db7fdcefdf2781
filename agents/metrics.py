"""The one error every report uses: mean landmark distance on the movable regions, in mm.

Movable landmarks are all but the face's `static` region (skull-fixed points such as the
forehead top and the face outline); counting them would dilute every error with zeros.
"""

from __future__ import annotations

import numpy as np

from facetwin.spec import FaceSpec

_MOVABLE: dict[str, np.ndarray] = {}


def _movable(spec: FaceSpec) -> np.ndarray:
    index = _MOVABLE.get(spec.digest)
    if index is None:
        static = set(spec.regions.get("static", ()))
        index = _MOVABLE[spec.digest] = np.array([i for i in range(spec.n_landmarks) if i not in static])
    return index


def movable_landmarks(spec: FaceSpec) -> np.ndarray:
    """Indices of the landmarks that expressions move."""
    return _movable(spec)


def landmark_error(landmarks: np.ndarray, targets: np.ndarray, spec: FaceSpec) -> np.ndarray | float:
    """Mean Euclidean distance (mm) over the movable landmarks; batched over leading axes."""
    index = _movable(spec)
    diff = np.asarray(landmarks, dtype=np.float64)[..., index, :] - np.asarray(targets, dtype=np.float64)[..., index, :]
    error = np.sqrt((diff * diff).sum(axis=-1)).mean(axis=-1)
    return float(error) if np.ndim(error) == 0 else error


def region_errors(landmarks: np.ndarray, target: np.ndarray, spec: FaceSpec) -> dict[str, float]:
    """Mean distance (mm) per named region except `static`, for one face."""
    distance = np.linalg.norm(np.asarray(landmarks, dtype=np.float64) - np.asarray(target, dtype=np.float64), axis=-1)
    return {name: float(distance[list(index)].mean()) for name, index in spec.regions.items()
            if name != "static" and index}
