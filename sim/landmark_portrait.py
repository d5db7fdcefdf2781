"""The twin's face drawn through given landmarks, whatever command could or could not reach them.

A target (a person's expression retargeted onto the face) is landmarks, not a command. Placing the
skin's landmark vertices on it, the refined vertices on the midpoints between them as the mesh's
own refinement defines them, and rendering that with the twin's camera shows what the target
itself looks like on this face: at the neutral landmarks it is the twin's neutral picture exactly.
"""

from __future__ import annotations

import numpy as np

from facetwin.sim.kinematics import eye_rotation, head_pose
from facetwin.sim.mesh import fill_midpoints
from facetwin.sim.rig import FaceModel
from facetwin.spec import N_LANDMARKS


class LandmarkPortrait:
    """Renders the face at given landmarks (478x3 mm, face frame), the eyes and the neck at a
    command's positions (the skin actuators in it play no part)."""

    def __init__(self, model: FaceModel, width: int = 256, height: int = 256) -> None:
        from facetwin.sim.camera import FaceCamera

        self.model = model
        self.camera = FaceCamera(model, width, height)

    def skin(self, landmarks: np.ndarray) -> np.ndarray:
        """Every vertex of the refined skin (V, 3) with the landmark vertices at `landmarks`."""
        vertices = self.model.mesh.vertices.copy()
        vertices[:N_LANDMARKS] = landmarks
        return fill_midpoints(self.model.mesh, vertices)

    def render(self, landmarks: np.ndarray, command: np.ndarray) -> np.ndarray:
        """RGB uint8 (H, W, 3): the skin through `landmarks`, gaze and head pose from `command`."""
        positions = self.model.spec.command_to_position(command)
        return self.camera.render(self.skin(np.asarray(landmarks, dtype=np.float64)),
                                  eye_rotation(self.model, positions), head_pose(self.model, positions))

    def close(self) -> None:
        self.camera.close()
