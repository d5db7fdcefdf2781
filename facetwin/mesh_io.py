"""Reading a face's skin mesh (Wavefront OBJ) in landmark order, for every room that needs it."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from facetwin.errors import ConfigError


class ObjMesh(NamedTuple):
    vertices: np.ndarray
    """(V, 3) float64, in file order: vertex k is MediaPipe landmark k."""
    faces: np.ndarray
    """(F, 3) int64 zero-based vertex indices."""


def read_obj(path: str | Path) -> ObjMesh:
    """Read `v` and `f` lines only, keeping vertex order (general loaders such as trimesh drop
    unreferenced vertices like the iris points, which would break the landmark numbering).
    Text that is not UTF-8, malformed entries, non-finite coordinates, faces naming missing
    vertices and a mesh without faces (it would render a skinless head) are a ConfigError naming
    the file."""
    path = Path(path)
    vertices, faces = [], []
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the mesh ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a text OBJ file (byte {exc.start} is not UTF-8)") from None
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0] not in ("v", "f"):
            continue
        try:
            if len(parts) < 4:
                raise ValueError(f"{len(parts) - 1} values, need 3")
            if parts[0] == "v":
                vertices.append([float(t) for t in parts[1:4]])
            else:
                faces.append([int(t.split("/")[0]) - 1 for t in parts[1:4]])
        except ValueError as exc:
            raise ConfigError(f"{path}: line {number}: malformed OBJ entry ({exc})") from None
    vertices_arr = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    faces_arr = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    if not np.isfinite(vertices_arr).all():
        raise ConfigError(f"{path}: non-finite vertex coordinates")
    if faces_arr.size and (faces_arr.min() < 0 or faces_arr.max() >= len(vertices_arr)):
        raise ConfigError(f"{path}: a face refers to a vertex that does not exist")
    if not faces_arr.size:
        raise ConfigError(f"{path}: has no faces (`f` lines); a skin needs its triangles")
    return ObjMesh(vertices_arr, faces_arr)
