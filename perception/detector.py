"""One interface for every landmark detector, so the rest of perception never knows which ran.

A detector takes an RGB image and returns a `Detection`; a frame without a face is a normal
result (`landmarks is None`), never an exception, because faces leave and re-enter video all the
time and the pipeline must hold and relax rather than crash.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facetwin.faces import shipped_landmarker

LANDMARKER_ENV = "FACETWIN_FACE_LANDMARKER"
"""Environment variable naming a MediaPipe `face_landmarker.task` file, or `FACE_MESH` (used when no
choice is given)."""
FACE_MESH = "face-mesh"
"""The landmarker choice that selects MediaPipe's legacy face mesh (its weights ship in the wheel;
faster, no blendshapes) instead of a Tasks model."""


@dataclass
class Detection:
    """What a detector saw in one image.

    `landmarks` are MediaPipe's normalised image coordinates (x right and y down in [0, 1] of the
    width/height, z into the image in units of the width), 478x3 float32, or None when no face
    was found. `blendshapes` (52 ARKit-style scores) and `transform` (MediaPipe's 4x4 facial
    transformation matrix, canonical face in cm to camera) come only from the Tasks landmarker.
    """

    image_size: tuple[int, int]
    landmarks: np.ndarray | None
    blendshapes: dict[str, float] | None = None
    transform: np.ndarray | None = None

    @property
    def face_visible(self) -> bool:
        return self.landmarks is not None


class LandmarkDetector(ABC):
    """Image in, `Detection` out. `video=True` detectors track between calls (one stream only)."""

    name: str = "detector"
    provides_blendshapes: bool = False

    @abstractmethod
    def detect(self, image: np.ndarray, timestamp: float = 0.0) -> Detection:
        """Detect one face in an HxWx3 uint8 RGB image taken at `timestamp` seconds."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> LandmarkDetector:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def landmarker_path(landmarker: str | Path | None = None) -> Path | None:
    """The Tasks model that detects landmarks: the explicit choice, else $FACETWIN_FACE_LANDMARKER,
    else the model facetwin ships; None when the choice is `FACE_MESH`, the legacy face mesh."""
    chosen = str(landmarker).strip() if landmarker else os.environ.get(LANDMARKER_ENV, "").strip()
    if chosen == FACE_MESH:
        return None
    return Path(chosen) if chosen else shipped_landmarker()


def blendshape_landmarker(landmarker: str | Path | None = None) -> Path:
    """The Tasks model that scores blendshapes: the one that detects (`landmarker_path`), else, when
    the legacy face mesh detects, the one facetwin ships."""
    return landmarker_path(landmarker) or shipped_landmarker()


def create_detector(landmarker: str | Path | None = None, video: bool = True) -> LandmarkDetector:
    """The Tasks FaceLandmarker (landmarks and blendshapes; `landmarker_path` says which model) or,
    for `FACE_MESH`, MediaPipe's legacy face mesh.

    The FaceLandmarker is the default because it carries more of a person's expression: on the
    sample clips its landmarks move further from the person's neutral and read back closer to the
    person's own blendshapes (docs/perception.md), at about twice the legacy mesh's time per frame.

    `video=True` uses tracking across frames (one stream, time stamps increasing); `video=False`
    treats every image on its own and looks again on tiles when the whole image shows no face.
    """
    model = landmarker_path(landmarker)
    detector: LandmarkDetector
    if model is not None:
        from facetwin.perception.face_landmarker import TaskLandmarkerDetector

        detector = TaskLandmarkerDetector(model, video=video)
    else:
        from facetwin.perception.mediapipe_mesh import FaceMeshDetector

        detector = FaceMeshDetector(static_image_mode=not video)
    if video:
        return detector
    from facetwin.perception.tiling import TiledStillDetector

    return TiledStillDetector(detector)
