"""How the twin looks: its skin texture (or procedural skin tone, brows and lips), eyes and mouth,
from the face folder alone."""

from __future__ import annotations

import numpy as np
import trimesh

from facetwin.errors import ConfigError
from facetwin.sim.mesh import inherit_by_refinement
from facetwin.sim.rig import FaceModel
from facetwin.spec import N_LANDMARKS


def skin_texture(model: FaceModel) -> np.ndarray | None:
    """The face's texture image, RGB uint8 (rows downwards, as the mesh's `vt` count them), or None."""
    path = model.config.appearance.texture
    if path is None:
        return None
    from PIL import Image

    try:
        with Image.open(path) as image:
            return np.ascontiguousarray(np.asarray(image.convert("RGB")))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the skin texture ({exc})") from None


def shell_skin_rgb(model: FaceModel, texture: np.ndarray | None) -> np.ndarray:
    """One skin tone for the head around the face: the texture's median over the skin, or `skin`."""
    if texture is None:
        return np.asarray(model.config.appearance.skin)
    h, w = texture.shape[:2]
    uv = model.mesh.uv[: model.mesh.n_vertices]
    rows = np.clip((uv[:, 1] * h).astype(int), 0, h - 1)
    cols = np.clip((uv[:, 0] * w).astype(int), 0, w - 1)
    return np.median(texture[rows, cols], axis=0) / 255.0


def skin_colors(model: FaceModel) -> np.ndarray:
    """RGBA per refined vertex; a refinement vertex takes a paint only if both parents have it."""
    look = model.config.appearance
    n = model.mesh.n_vertices
    colors = np.tile(np.array([*look.skin, 1.0]), (n, 1))
    for paint in (look.brows, look.lips):
        if paint is None:
            continue
        painted = np.zeros(N_LANDMARKS, dtype=bool)
        painted[paint.vertices] = True
        colors[inherit_by_refinement(model.mesh, painted), :3] = paint.color
    return (colors * 255).astype(np.uint8)


def eyeball(model: FaceModel, side: int) -> trimesh.Trimesh:
    """A sphere in the eye's own frame (centre at the origin, gaze along +z): sclera, iris, pupil."""
    look = model.config.appearance
    radius = float(model.eye_radius[side])
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=radius)
    v = sphere.vertices
    off_axis = np.hypot(v[:, 0], v[:, 1])
    front = v[:, 2] > 0
    colors = np.tile(np.array([*look.sclera, 1.0]), (len(v), 1))
    colors[front & (off_axis < look.iris_radius), :3] = look.iris
    colors[front & (off_axis < look.pupil_radius), :3] = look.pupil
    sphere.visual.vertex_colors = (colors * 255).astype(np.uint8)
    return sphere


def mouth_cavity(model: FaceModel) -> trimesh.Trimesh:
    """A dark body behind the lips, so an open mouth shows a mouth and not the background."""
    lips = model.neutral_landmarks[[61, 291, 13, 14]].astype(np.float64)
    width = float(np.linalg.norm(lips[0] - lips[1]))
    body = trimesh.creation.icosphere(subdivisions=2, radius=1.0)
    body.apply_scale([0.56 * width, 0.6 * width, 0.4 * width])
    centre = lips.mean(0) + np.array([0.0, -0.15 * width, -0.45 * width])
    body.apply_translation(centre)
    rgba = (np.array([*model.config.appearance.mouth, 1.0]) * 255).astype(np.uint8)
    body.visual = trimesh.visual.ColorVisuals(body, vertex_colors=np.tile(rgba, (len(body.vertices), 1)))
    return body
