"""Reading and writing a face's skin mesh (Wavefront OBJ) in landmark order, for every room that needs it."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from facetwin.atomic import atomic_write
from facetwin.errors import ConfigError


class ObjMesh(NamedTuple):
    vertices: np.ndarray
    """(V, 3) float64, in file order: vertex k is MediaPipe landmark k."""
    faces: np.ndarray
    """(F, 3) int64 zero-based vertex indices."""
    uv: np.ndarray | None = None
    """(V, 2) texture coordinates, one per vertex (`vt` k belongs to `v` k; image rows downwards
    from v = 0 at the top), or None for a mesh without `vt` lines."""


def read_obj(path: str | Path) -> ObjMesh:
    """Read `v`, `vt` and `f` lines only, keeping vertex order (general loaders such as trimesh drop
    unreferenced vertices like the iris points, which would break the landmark numbering).
    Text that is not UTF-8, malformed entries, non-finite coordinates, faces naming missing
    vertices and a mesh without faces (it would render a skinless head) are a ConfigError naming
    the file."""
    path = Path(path)
    vertices, faces, uv = [], [], []
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the mesh ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a text OBJ file (byte {exc.start} is not UTF-8)") from None
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0] not in ("v", "vt", "f"):
            continue
        try:
            need = 2 if parts[0] == "vt" else 3
            if len(parts) < need + 1:
                raise ValueError(f"{len(parts) - 1} values, need {need}")
            if parts[0] == "vt":
                uv.append([float(t) for t in parts[1:3]])
            elif parts[0] == "v":
                vertices.append([float(t) for t in parts[1:4]])
            else:
                corners = [t.split("/") for t in parts[1:4]]
                faces.append([int(c[0]) - 1 for c in corners])
                if uv and any(len(c) < 2 or c[1] != c[0] for c in corners):
                    raise ValueError("texture coordinates must be one per vertex (f a/a b/b c/c)")
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
    if not uv:
        return ObjMesh(vertices_arr, faces_arr)
    uv_arr = np.asarray(uv, dtype=np.float64)
    if len(uv_arr) != len(vertices_arr) or not np.isfinite(uv_arr).all():
        raise ConfigError(f"{path}: {len(uv_arr)} texture coordinates (`vt`) for {len(vertices_arr)} vertices; "
                          "the skin needs one finite pair per vertex")
    return ObjMesh(vertices_arr, faces_arr, uv_arr)


def write_obj(path: str | Path, vertices: np.ndarray, faces: np.ndarray, header: str = "",
              uv: np.ndarray | None = None) -> None:
    """Write atomically, vertices in landmark order; with `uv`, one texture coordinate per vertex
    (`f a/a b/b c/c`), as `read_obj` reads them back."""
    lines = [f"# {line}" for line in header.splitlines()]
    lines += [f"v {x:.4f} {y:.4f} {z:.4f}" for x, y, z in vertices]
    if uv is None:
        lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in faces]
    else:
        lines += [f"vt {u:.6f} {v:.6f}" for u, v in uv]
        lines += [f"f {a + 1}/{a + 1} {b + 1}/{b + 1} {c + 1}/{c + 1}" for a, b, c in faces]
    with atomic_write(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def obj_header(path: str | Path) -> str:
    """The comment lines at the top of an OBJ file, without their `# `, to keep them on a rewrite."""
    lines = []
    for line in Path(path).read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[2:] if line.startswith("# ") else line[1:])
    return "\n".join(lines)
