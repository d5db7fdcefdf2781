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
    body.apply_scale([0.7 * width, 0.9 * width, 0.45 * width])
    centre = lips.mean(0) + np.array([0.0, -0.35 * width, -0.62 * width])
    body.apply_translation(centre)
    rgba = (np.array([*model.config.appearance.mouth, 1.0]) * 255).astype(np.uint8)
    body.visual = trimesh.visual.ColorVisuals(body, vertex_colors=np.tile(rgba, (len(body.vertices), 1)))
    return body


UPPER_INNER_LIP = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LOWER_INNER_LIP = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
CHIN = (152, 175, 199, 200)
"""Landmarks that move with the jaw and nothing else: the lower teeth and tongue follow them."""
TEETH_RGB = (0.90, 0.88, 0.80)
TONGUE_RGB = (0.62, 0.28, 0.28)


def _coloured(mesh: trimesh.Trimesh, rgb) -> trimesh.Trimesh:
    rgba = (np.array([*rgb, 1.0]) * 255).astype(np.uint8)
    mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=np.tile(rgba, (len(mesh.vertices), 1)))
    return mesh


def _tooth_row(arc: np.ndarray, height: float) -> trimesh.Trimesh:
    """A strip of teeth along `arc` (points from corner to corner), `height` mm tall (negative: downwards)."""
    n = len(arc)
    top = arc + np.array([0.0, height, 0.0])
    vertices = np.concatenate([arc, top])
    faces = [(i, i + 1, n + i) for i in range(n - 1)] + [(i + 1, n + i + 1, n + i) for i in range(n - 1)]
    faces = np.array(faces)
    # Seen from the front and from inside the mouth alike: both windings.
    mesh = trimesh.Trimesh(vertices, np.concatenate([faces, faces[:, ::-1]]), process=False)
    return _coloured(mesh, TEETH_RGB)


def mouth_parts(model: FaceModel) -> tuple[trimesh.Trimesh, trimesh.Trimesh]:
    """Teeth and tongue: the upper row fixed to the skull just behind the upper lip, the lower row
    and the tongue (the second mesh) riding on the jaw. An open mouth that shows teeth is read as an
    open mouth; a dark hole is read with its lower lip at the hole's bottom edge."""
    lm = model.neutral_landmarks.astype(np.float64)
    width = float(np.linalg.norm(lm[61] - lm[291]))
    keep = slice(2, -2)
    lip_line = 0.5 * (lm[list(UPPER_INNER_LIP)] + lm[list(LOWER_INNER_LIP)])[keep]
    back = np.array([0.0, 0.0, -0.06 * width])
    # The upper teeth end just above the lip line (the closed lips hide them), the lower row
    # sits just behind them and rides down with the jaw.
    upper = _tooth_row(lip_line + back + np.array([0.0, 0.6, 0.0]), 0.2 * width)
    lower = _tooth_row(lip_line + 1.4 * back - np.array([0.0, 0.05 * width, 0.0]), -0.16 * width)
    tongue = trimesh.creation.icosphere(subdivisions=2, radius=1.0)
    tongue.apply_scale([0.32 * width, 0.12 * width, 0.35 * width])
    tongue.apply_translation(lip_line.mean(0) + np.array([0.0, -0.3 * width, -0.45 * width]))
    return upper, trimesh.util.concatenate([lower, _coloured(tongue, TONGUE_RGB)])


def jaw_offset(model: FaceModel, vertices: np.ndarray) -> np.ndarray:
    """How far the chin has moved from rest: where the lower teeth go."""
    chin = list(CHIN)
    return (vertices[chin] - model.neutral_landmarks[chin]).mean(0)
