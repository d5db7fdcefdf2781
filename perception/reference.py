"""The reference face human landmarks are aligned onto: a face model's neutral skin, in mm.

Aligning onto a real neutral face (rather than scaling by a pupil distance) puts people in the
same millimetre face frame as the robot, with the origin between the pupils, and is immune to
where the person looks. The default face (mira) is itself an average of real neutral faces.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from facetwin.errors import ConfigError
from facetwin.face_config import load_face_config
from facetwin.faces import resolve_face
from facetwin.mesh_io import read_obj
from facetwin.spec import N_LANDMARKS


@lru_cache(maxsize=8)
def _reference(face_yaml: Path) -> np.ndarray:
    config = load_face_config(face_yaml)
    vertices = read_obj(config.skin.mesh).vertices
    if vertices.shape != (N_LANDMARKS, 3):
        raise ConfigError(f"{face_yaml}: skin mesh has {len(vertices)} vertices, expected {N_LANDMARKS}")
    vertices.setflags(write=False)
    return vertices


def reference_landmarks(face: str | Path | None = None) -> np.ndarray:
    """The neutral skin landmarks (478x3 mm, face frame) of a face model (default: mira)."""
    return _reference(resolve_face(face).resolve())
