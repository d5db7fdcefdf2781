"""The errors every policy is judged by, in one place so the mimic loop, the evaluation, the
training losses and the oracle's objective all measure the same thing.

Landmark error: mean Euclidean distance (mm, face frame) between a face's landmarks and a target's
over the movable landmarks, i.e. every landmark not in the face's `static` region (the skull-glued
points no actuator moves, which would only dilute the figure). Command error: Emo's metric, the
mean absolute difference of commands scaled to [0, 1], over the face actuators (the neck moves the
head, which face-frame landmarks cannot show, so no policy is asked to infer it).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from facetwin.spec import N_LANDMARKS, FaceSpec

STATIC_REGION = "static"


@lru_cache(maxsize=16)
def _movable(static: tuple[int, ...]) -> np.ndarray:
    keep = np.ones(N_LANDMARKS, dtype=bool)
    keep[list(static)] = False
    return np.flatnonzero(keep)


def movable_landmarks(spec: FaceSpec) -> np.ndarray:
    """Indices of the landmarks an actuator can move: all but the face's `static` region."""
    return _movable(tuple(spec.regions.get(STATIC_REGION, ())))


def face_actuators(spec: FaceSpec) -> np.ndarray:
    """Indices of the actuators a face-frame target can express (all but the neck)."""
    return np.array([i for i, a in enumerate(spec.actuators) if a.group != "neck"], dtype=np.int64)


def landmark_error(landmarks: np.ndarray, targets: np.ndarray, spec: FaceSpec) -> np.ndarray:
    """Mean distance (mm) over the movable landmarks; (..., 478, 3) pairs broadcast to (...)."""
    idx = movable_landmarks(spec)
    diff = np.asarray(landmarks, dtype=np.float64)[..., idx, :] - np.asarray(targets, dtype=np.float64)[..., idx, :]
    return np.linalg.norm(diff, axis=-1).mean(axis=-1)


def region_errors(landmarks: np.ndarray, targets: np.ndarray, spec: FaceSpec) -> dict[str, float | np.ndarray]:
    """The same mean distance per expressive region (every region but `static`): floats for one
    face (478, 3), arrays for a batch (..., 478, 3)."""
    distance = np.linalg.norm(np.asarray(landmarks, dtype=np.float64) - np.asarray(targets, dtype=np.float64), axis=-1)
    out = {name: distance[..., list(indices)].mean(axis=-1)
           for name, indices in spec.regions.items() if name != STATIC_REGION and indices}
    return {name: float(value) for name, value in out.items()} if distance.ndim == 1 else out


def command_l1(commands: np.ndarray, truth: np.ndarray, spec: FaceSpec) -> np.ndarray:
    """Mean |difference| of commands scaled to [0, 1] over the face actuators; (..., A) -> (...)."""
    idx = face_actuators(spec)
    diff = np.asarray(commands, dtype=np.float64)[..., idx] - np.asarray(truth, dtype=np.float64)[..., idx]
    return 0.5 * np.abs(diff).mean(axis=-1)
