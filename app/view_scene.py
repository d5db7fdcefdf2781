"""The twin in the browser's 3D scene: skin, head shell, eyes, mouth and teeth as the camera
renders them (sim/appearance.py, sim/head_shell.py), and the landmarks and regions on request.

The skin goes to the page as a small glTF with one colour per vertex (the texture sampled at each
vertex's texture coordinate), sent again only when the skin has moved, so a face at rest costs
the network nothing. The rigid parts are sent once and then only moved. Units are the face
frame's millimetres.
"""

from __future__ import annotations

import io

import numpy as np
import trimesh
import viser
import viser.transforms as vtf

from facetwin.sim.appearance import (
    eyeball,
    jaw_offset,
    mouth_cavity,
    mouth_parts,
    shell_skin_rgb,
    skin_colors,
    skin_texture,
)
from facetwin.sim.head_shell import HeadShell
from facetwin.sim.kinematics import eye_rotation, head_pose
from facetwin.sim.rig import FaceModel
from facetwin.sim.sim_face import SimFace

MOVED_MM = 1e-3
"""A skin that moved less than this since the last frame sent is not sent again."""
CAMERA_DISTANCE_MM = 400.0
CAMERA_FOV_DEG = 30.0
"""The twin's own camera (sim/camera.py): the page opens on the view perception sees."""
LANDMARK_SIZE_MM = 1.2


def vertex_rgba(model: FaceModel) -> np.ndarray:
    """RGBA uint8 per skin vertex: the texture at the vertex's texture coordinate, or the face's
    procedural paint when it has no texture."""
    texture = skin_texture(model)
    if texture is None or model.mesh.uv is None:
        return skin_colors(model)
    h, w = texture.shape[:2]
    uv = model.mesh.uv[: model.mesh.n_vertices]
    rows = np.clip((uv[:, 1] * h).astype(int), 0, h - 1)
    cols = np.clip((uv[:, 0] * w).astype(int), 0, w - 1)
    rgb = texture[rows, cols]
    return np.concatenate([rgb, np.full((len(rgb), 1), 255, dtype=np.uint8)], axis=1)


def region_colors(n_regions: int) -> np.ndarray:
    """One distinct RGB uint8 colour per region (evenly spaced hues)."""
    hues = np.arange(n_regions) / max(n_regions, 1)
    k = (np.array([5.0, 3.0, 1.0])[None] + hues[:, None] * 6.0) % 6.0
    rgb = 1.0 - np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)
    return (rgb * 230).astype(np.uint8)


def _glb(*meshes: trimesh.Trimesh) -> bytes:
    buffer = io.BytesIO()
    trimesh.Scene(list(meshes)).export(buffer, file_type="glb")
    return buffer.getvalue()


def _wxyz(rotation: np.ndarray) -> np.ndarray:
    return vtf.SO3.from_matrix(np.asarray(rotation, dtype=np.float64)).wxyz


class FaceScene:
    """The scene nodes of one twin on `server`; `show(twin)` moves them to the twin's state."""

    def __init__(self, server: viser.ViserServer, model: FaceModel):
        self.server = server
        self.model = model
        self._colors = vertex_rgba(model)
        texture = skin_texture(model)
        self._shell = HeadShell(model, shell_skin_rgb(model, texture))
        self._sent: np.ndarray | None = None
        self.frames_sent = 0
        scene = server.scene
        scene.set_up_direction("+y")
        self._head = scene.add_frame("/head", show_axes=False)
        rest = model.mesh.vertices.astype(np.float64)
        self._skin = scene.add_glb("/head/skin", self._skin_glb(rest))
        self._eyes = [scene.add_mesh_trimesh(f"/head/eye_{side}", eyeball(model, side),
                                             position=model.eye_centers[side]) for side in (0, 1)]
        scene.add_mesh_trimesh("/head/mouth", mouth_cavity(model))
        upper_teeth, on_jaw = mouth_parts(model)
        scene.add_mesh_trimesh("/head/upper_teeth", upper_teeth)
        self._jaw = scene.add_mesh_trimesh("/head/lower_teeth", on_jaw)
        landmarks = model.neutral_landmarks
        self._landmarks = scene.add_point_cloud("/head/landmarks", landmarks, colors=(20, 200, 60),
                                                point_size=LANDMARK_SIZE_MM, point_shape="circle", visible=False)
        regions = model.spec.regions
        palette = region_colors(len(regions))
        self._regions = {
            name: scene.add_point_cloud(f"/head/regions/{name}", landmarks[list(indices)], colors=tuple(palette[i]),
                                        point_size=1.5 * LANDMARK_SIZE_MM, point_shape="circle", visible=False)
            for i, (name, indices) in enumerate(regions.items())
        }

    def _skin_glb(self, vertices: np.ndarray) -> bytes:
        skin = trimesh.Trimesh(vertices, self.model.mesh.faces, vertex_colors=self._colors, process=False)
        shell = trimesh.Trimesh(self._shell.positions(vertices), self._shell.faces,
                                vertex_colors=self._shell.colors, process=False)
        return _glb(skin, shell)

    def place_camera(self, client: viser.ClientHandle) -> None:
        """A frontal view of the face at about the camera's distance, for a newly opened page."""
        target = np.array([0.0, -32.0, 0.0])
        client.camera.up_direction = (0.0, 1.0, 0.0)
        client.camera.position = target + np.array([0.0, 0.0, CAMERA_DISTANCE_MM])
        client.camera.look_at = target
        client.camera.fov = float(np.deg2rad(CAMERA_FOV_DEG))
        client.camera.far = 5000.0

    def show_landmarks(self, visible: bool) -> None:
        self._landmarks.visible = visible

    def show_regions(self, visible: bool) -> None:
        for handle in self._regions.values():
            handle.visible = visible

    def show(self, twin: SimFace) -> bool:
        """Move the scene to `twin`'s state; whether the skin was sent (it had moved)."""
        load = twin.dynamics.load[0]
        vertices = twin.skin.vertices(load).astype(np.float64)
        pose = head_pose(self.model, load)
        rotation = eye_rotation(self.model, load)
        landmarks = np.asarray(twin.skin.landmarks(load), dtype=np.float64)
        moved = self._sent is None or float(np.abs(vertices - self._sent).max()) >= MOVED_MM
        with self.server.atomic():
            self._head.wxyz = _wxyz(pose[:3, :3])
            self._head.position = pose[:3, 3]
            for eye in self._eyes:
                eye.wxyz = _wxyz(rotation)
            if moved:
                self._skin.glb_data = self._skin_glb(vertices)
                self._jaw.position = jaw_offset(self.model, vertices)
                if self._landmarks.visible:
                    self._landmarks.points = landmarks.astype(np.float16)
                for name, handle in self._regions.items():
                    if handle.visible:
                        handle.points = landmarks[list(self.model.spec.regions[name])].astype(np.float16)
                self._sent = vertices
                self.frames_sent += 1
        return moved

    def refresh_points(self) -> None:
        """Send the landmarks again on the next `show` (they are only sent while visible)."""
        self._sent = None
