"""MediaPipe's 478-point face topology and the alignment that removes head pose.

Every face in facetwin, human or robot, is a set of landmarks in this topology, so a robot
face and a person compare point for point. Head pose is removed by a similarity alignment on
landmarks that expressions barely move (forehead, nose bridge, temples, inner eye corners),
which leaves the expression as what differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RIGHT_IRIS = tuple(range(468, 473))
"""The face's own right iris (image left in a frontal view); 468 is its centre."""
LEFT_IRIS = tuple(range(473, 478))

RIGHT_EYE_RING = (7, 33, 133, 144, 145, 153, 154, 155, 157, 158, 159, 160, 161, 163, 173, 246)
"""The contour of the face's own right eye (MediaPipe's FACEMESH_RIGHT_EYE), around `RIGHT_IRIS`."""
LEFT_EYE_RING = (249, 263, 362, 373, 374, 380, 381, 382, 384, 385, 386, 387, 388, 390, 398, 466)
UPPER_LIDS = (246, 161, 160, 159, 158, 157, 173, 466, 388, 387, 386, 385, 384, 398)
"""The upper lids' edges of both eye contours, corners excluded: what a blink moves."""

STABLE_LANDMARKS = (
    10, 151, 9, 8, 168, 6, 197, 195, 5, 4,  # midline: forehead, nose bridge, nose
    109, 338, 67, 297, 103, 332, 69, 299,  # forehead
    133, 362, 243, 463,  # inner eye corners
    127, 356, 234, 454, 93, 323,  # temples and upper cheek rim
)


@dataclass(frozen=True)
class Similarity:
    """x_target = scale * rotation @ x + translation."""

    rotation: np.ndarray
    translation: np.ndarray
    scale: float

    def apply(self, points: np.ndarray) -> np.ndarray:
        return self.scale * points @ self.rotation.T + self.translation

    def inverse(self) -> Similarity:
        rot_t = self.rotation.T
        return Similarity(rot_t, -(rot_t @ self.translation) / self.scale, 1.0 / self.scale)

    def matrix(self) -> np.ndarray:
        out = np.eye(4)
        out[:3, :3] = self.scale * self.rotation
        out[:3, 3] = self.translation
        return out


def similarity_align(source: np.ndarray, target: np.ndarray, indices=STABLE_LANDMARKS) -> Similarity:
    """Umeyama's least-squares similarity taking `source[indices]` onto `target[indices]`."""
    src = np.asarray(source, dtype=np.float64)[list(indices)]
    dst = np.asarray(target, dtype=np.float64)[list(indices)]
    mu_s, mu_d = src.mean(0), dst.mean(0)
    src_c, dst_c = src - mu_s, dst - mu_d
    cov = dst_c.T @ src_c / len(src)
    u, sigma, vt = np.linalg.svd(cov)
    flip = np.eye(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        flip[2, 2] = -1.0
    rotation = u @ flip @ vt
    var_s = (src_c**2).sum() / len(src)
    scale = float(np.trace(np.diag(sigma) @ flip) / var_s)
    translation = mu_d - scale * rotation @ mu_s
    return Similarity(rotation, translation, scale)


def image_to_face_axes(landmarks_normalised: np.ndarray, width: int, height: int) -> np.ndarray:
    """MediaPipe's normalised image landmarks (x right, y down, z into the image, z scaled like x)
    as pixel-unit points in face-frame axes (x to the face's left, y up, z towards the viewer)."""
    lm = np.asarray(landmarks_normalised, dtype=np.float64)
    return np.stack([lm[:, 0] * width, -lm[:, 1] * height, -lm[:, 2] * width], axis=1)


def mirror_partners(face: np.ndarray) -> np.ndarray:
    """For each landmark of a face in the face frame (478x3, x to the face's left), the index of the
    landmark nearest its mirror image (x negated): on a symmetric face, its mirror partner."""
    face = np.asarray(face, dtype=np.float64)
    flipped = face * np.array([-1.0, 1.0, 1.0])
    return np.argmin(((flipped[:, None, :] - face[None, :, :]) ** 2).sum(axis=2), axis=1)


def reflect(landmarks: np.ndarray, partners) -> np.ndarray:
    """Landmarks (..., 478, 3) reflected through the face's mid-plane (x = 0): each landmark takes
    its mirror partner's place (`partners`, a permutation such as `mirror_partners` gives), x negated."""
    return np.asarray(landmarks)[..., partners, :] * np.array([-1.0, 1.0, 1.0])
