"""Head-pose removal: a similarity alignment of the detected landmarks onto a reference face.

The alignment uses only landmarks expressions barely move (`facetwin.topology.STABLE_LANDMARKS`),
so the expression survives as what differs from the reference, while the rotation, translation
and scale it removes are returned as the head pose for a neck to mimic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from facetwin.perception.detector import Detection
from facetwin.perception.reference import reference_landmarks
from facetwin.topology import STABLE_LANDMARKS, image_to_face_axes, similarity_align


@dataclass(frozen=True)
class HeadPose:
    """camera_point = scale * rotation @ face_point + translation.

    Camera points are image pixels in face-frame axes (x image right, y up, z towards the
    viewer); face points are millimetres, so `scale` is pixels per millimetre.
    """

    rotation: np.ndarray
    translation: np.ndarray
    scale: float

    def matrix(self) -> np.ndarray:
        """The 4x4 transform face frame (mm) -> camera (pixels)."""
        out = np.eye(4)
        out[:3, :3] = self.scale * self.rotation
        out[:3, 3] = self.translation
        return out

    def euler_deg(self) -> np.ndarray:
        """(yaw, pitch, roll) in degrees in the neck's conventions: yaw about +y (turning to the
        face's own left is positive), pitch about -x (looking up is positive), roll about +z."""
        yaw, minus_pitch, roll = Rotation.from_matrix(self.rotation).as_euler("YXZ", degrees=True)
        return np.array([yaw, -minus_pitch, roll])


class FaceAligner:
    """Aligns detections onto a reference face; `reference` defaults to the default face's neutral skin."""

    def __init__(self, reference: np.ndarray | None = None, indices=STABLE_LANDMARKS) -> None:
        self.reference = np.asarray(reference_landmarks() if reference is None else reference, dtype=np.float64)
        self.indices = tuple(indices)

    def align(self, detection: Detection) -> tuple[np.ndarray, HeadPose] | None:
        """478x3 float32 landmarks in the face frame (mm) and the head pose, or None without a face."""
        if detection.landmarks is None:
            return None
        width, height = detection.image_size
        points = image_to_face_axes(detection.landmarks, width, height)
        to_face = similarity_align(points, self.reference, self.indices)
        to_camera = to_face.inverse()
        pose = HeadPose(to_camera.rotation, to_camera.translation, to_camera.scale)
        return to_face.apply(points).astype(np.float32), pose
