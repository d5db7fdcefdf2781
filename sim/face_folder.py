"""A face folder written the way every generated face is: built beside its destination, then renamed,
so a reader never sees half a face and an interrupted job leaves nothing at `out`."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

from facetwin.atomic import atomic_write
from facetwin.face_config import FaceConfig
from facetwin.mesh_io import write_obj


def write_face_folder(out: Path, raw: dict, source: FaceConfig, vertices: np.ndarray, faces: np.ndarray,
                      uv: np.ndarray | None, header: str, extra: Callable[[Path], None]) -> Path:
    """Write face folder `out`: `raw` as its face.yaml (its skin mesh named skin.obj), the skin at
    `vertices`, `source`'s texture copied beside it, then whatever `extra(staging)` adds (a fit, a
    report, a record; it may load the staged face). Returns `out`/face.yaml."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        texture = source.appearance.texture
        if texture is not None:
            shutil.copyfile(texture, staging / texture.name)
            raw["appearance"]["texture"] = texture.name
        write_obj(staging / "skin.obj", vertices, faces, header=header, uv=uv)
        with atomic_write(staging / "face.yaml", "w") as handle:
            yaml.safe_dump(raw, handle, sort_keys=False, width=120)
        extra(staging)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out / "face.yaml"
