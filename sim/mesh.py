"""The skin mesh as the simulation uses it: refined without losing the landmark identity."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facetwin.mesh_io import read_obj


@dataclass(frozen=True)
class SkinMesh:
    """Vertices (mm, face frame) and triangles. The first 478 vertices are MediaPipe's landmarks
    (the 10 iris points belong to no triangle); refinement appends vertices after them, and
    `parents` gives, for each appended vertex, the two vertices it is the midpoint of. `uv` holds
    one texture coordinate per vertex when the face has a texture."""

    vertices: np.ndarray
    faces: np.ndarray
    parents: np.ndarray
    uv: np.ndarray | None = None

    @property
    def n_vertices(self) -> int:
        return len(self.vertices)

    @classmethod
    def from_obj(cls, path: Path) -> SkinMesh:
        """The unrefined mesh of an OBJ file."""
        vertices, faces, uv = read_obj(path)
        return cls(vertices, faces, np.zeros((0, 2), dtype=np.int64), uv)


def inherit_by_refinement(mesh: SkinMesh, mask: np.ndarray) -> np.ndarray:
    """Extend a per-vertex flag given on the original vertices to the refined mesh: a
    refinement vertex has it when both vertices it splits have it (in refinement order, so a
    second level sees the first)."""
    out = np.zeros(mesh.n_vertices, dtype=bool)
    out[: len(mask)] = mask
    first = mesh.n_vertices - len(mesh.parents)
    for offset, (a, b) in enumerate(mesh.parents):
        out[first + offset] = out[a] and out[b]
    return out


def triangle_edges(faces: np.ndarray) -> np.ndarray:
    """The sides of every triangle as (3F, 2) vertex pairs, in each triangle's own winding: all
    first sides, then all second, then all third (an edge inside the mesh appears once each way)."""
    return np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])


def subdivide(mesh: SkinMesh, levels: int) -> SkinMesh:
    """Midpoint subdivision: each triangle into four, original vertices keep their indices."""
    vertices, faces, uv = mesh.vertices, mesh.faces, mesh.uv
    parents = [mesh.parents]
    for _ in range(levels):
        edges = np.sort(triangle_edges(faces), axis=1)
        unique, inverse = np.unique(edges, axis=0, return_inverse=True)
        inverse = inverse.reshape(3, -1)
        mid = len(vertices) + inverse
        vertices = np.concatenate([vertices, vertices[unique].mean(axis=1)])
        if uv is not None:
            uv = np.concatenate([uv, uv[unique].mean(axis=1)])
        parents.append(unique)
        a, b, c = faces.T
        ab, bc, ca = mid
        faces = np.concatenate(
            [np.stack(t, axis=1) for t in ((a, ab, ca), (ab, b, bc), (ca, bc, c), (ab, bc, ca))]
        )
    return SkinMesh(vertices, faces, np.concatenate(parents), uv)


def fill_midpoints(mesh: SkinMesh, values: np.ndarray) -> np.ndarray:
    """Extend per-vertex values (..., V, k) given on the original vertices to the refined ones,
    each the mean of the two it splits, in refinement order and one level at a time (a second
    level's parents are first-level vertices). The rows past the original vertices are written."""
    first = mesh.n_vertices - len(mesh.parents)
    done = first
    while done < mesh.n_vertices:
        level = np.flatnonzero(mesh.parents[done - first :].max(axis=1) >= done)
        stop = mesh.n_vertices if not len(level) else done + int(level[0])
        a, b = mesh.parents[done - first : stop - first].T
        values[..., done:stop, :] = 0.5 * (values[..., a, :] + values[..., b, :])
        done = stop
    return values
