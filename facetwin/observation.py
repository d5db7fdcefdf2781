"""What a backend reports after each control period."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class FaceObservation:
    """One observation of a face, twin or physical.

    `landmarks` are 478x3 float32 in the face frame (millimetres, head pose removed) or None
    when the face is not seen. `command` is the command actually applied after clipping and
    rate limits, so a policy can learn from what the face really did. `head_pose` is the 4x4
    transform from the face frame to the camera/world frame when the backend knows it.
    """

    time: float
    actuator_positions: np.ndarray
    landmarks: np.ndarray | None
    command: np.ndarray
    image: np.ndarray | None = None
    blendshapes: dict[str, float] | None = None
    head_pose: np.ndarray | None = None

    @property
    def face_visible(self) -> bool:
        return self.landmarks is not None
