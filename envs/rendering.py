"""Pictures for the environments: the twin as its camera sees it, and a target drawn as a face.

A reachable target is drawn from the reference twin's own state, exactly as the twin would look
reproducing it. A human target is only landmarks, so its skin is rebuilt the way the mesh was
refined (each refinement vertex the midpoint of its two parents) and its eyes turned by the best
rigid fit of its irises. OpenGL is only loaded when the first picture is asked for.
"""

from __future__ import annotations

import numpy as np

from facetwin.envs.episodes import CameraView
from facetwin.envs.landmark_space import eye_rotation_from_irises
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.kinematics import eye_rotation, head_pose
from facetwin.sim.rig import FaceModel


class FaceRenderer:
    """Square images of side `size` from one lazily opened camera."""

    def __init__(self, model: FaceModel, skin: FastSkin, size: int):
        self.model, self.skin, self.size = model, skin, size
        self._camera = None
        self._modes = skin.modes.reshape(model.n_features, -1)

    @property
    def camera(self):
        if self._camera is None:
            from facetwin.sim.camera import FaceCamera

            self._camera = FaceCamera(self.model, self.size, self.size)
        return self._camera

    def twin(self, positions: np.ndarray, gains: np.ndarray | None, view: CameraView) -> np.ndarray:
        """RGB (size, size, 3) of a twin at actuator `positions` (A,), skin features scaled by `gains`."""
        features = self.model.feature_values(np.asarray(positions, dtype=np.float64))
        if gains is not None:
            features = features * gains
        vertices = self.model.mesh.vertices + (features @ self._modes).reshape(-1, 3)
        return self._render(vertices, eye_rotation(self.model, positions), head_pose(self.model, positions), view)

    def landmarks(self, landmarks: np.ndarray, view: CameraView) -> np.ndarray:
        """RGB (size, size, 3) of a face whose 478 landmarks (face frame, mm) are given."""
        mesh = self.model.mesh
        vertices = np.zeros((mesh.n_vertices, 3))
        base = mesh.n_vertices - len(mesh.parents)
        vertices[:base] = landmarks
        for _ in range(self.model.config.skin.subdivisions):  # level k is right after k passes
            vertices[base:] = vertices[mesh.parents].mean(axis=1)
        return self._render(vertices, eye_rotation_from_irises(self.model, landmarks), np.eye(4), view)

    def _render(self, vertices, eyes, pose, view: CameraView) -> np.ndarray:
        camera = self.camera
        camera.set_view(offset_mm=view.offset_mm, light_intensity=view.light_intensity, light_dir=view.light_dir)
        return camera.render(vertices, eyes, pose)

    def close(self) -> None:
        if self._camera is not None:
            self._camera.close()
            self._camera = None

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_camera"] = None
        return state
