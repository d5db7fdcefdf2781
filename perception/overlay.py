"""Overlay videos: the detected mesh drawn on the frames, to see at a glance what perception saw."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facetwin.perception.detector import Detection
from facetwin.perception.errors import PerceptionError
from facetwin.video import VideoWriter


def _edges(connections) -> np.ndarray:
    return np.array(sorted(tuple(edge) for edge in connections), dtype=np.int64)


def mesh_edges() -> dict[str, np.ndarray]:
    """MediaPipe's tessellation, feature contours and iris rings as (E, 2) landmark index pairs."""
    from mediapipe.python.solutions import face_mesh_connections as connections

    return {
        "tessellation": _edges(connections.FACEMESH_TESSELATION),
        "contours": _edges(connections.FACEMESH_CONTOURS),
        "irises": _edges(connections.FACEMESH_IRISES),
    }


STYLE = {"tessellation": ((150, 150, 150), 1), "contours": ((60, 220, 60), 1), "irises": ((60, 160, 255), 1)}
"""RGB colour and thickness per edge set."""


def draw_mesh(image: np.ndarray, detection: Detection, edges: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """A copy of `image` (RGB) with the detected mesh drawn on it; unchanged copy without a face."""
    import cv2

    out = np.ascontiguousarray(image).copy()
    if detection.landmarks is None:
        cv2.putText(out, "no face", (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 80, 80), 2, cv2.LINE_AA)
        return out
    height, width = out.shape[:2]
    pixels = detection.landmarks[:, :2] * np.array([width, height], dtype=np.float32)
    for name, pairs in (edges or mesh_edges()).items():
        colour, thickness = STYLE[name]
        segments = np.round(pixels[pairs]).astype(np.int32)  # (E, 2, 2): one polyline per edge
        cv2.polylines(out, list(segments), False, colour, thickness, cv2.LINE_AA)
    return out


class OverlayWriter:
    """The overlay mp4: each frame with the detected mesh drawn on it, written atomically by the
    core's `VideoWriter` (`close()` renames it into place, `abort()` drops it)."""

    def __init__(self, path: str | Path, fps: float) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() != ".mp4":
            raise PerceptionError(f"{self.path}: the overlay video must be an .mp4 file")
        if not self.path.parent.is_dir():
            raise PerceptionError(f"{self.path}: folder {self.path.parent} does not exist")
        self._edges = mesh_edges()
        self._video = VideoWriter(self.path, fps)

    def write(self, image: np.ndarray, detection: Detection) -> None:
        self._video.write(draw_mesh(image, detection, self._edges))

    def close(self) -> None:
        self._video.close()

    def abort(self) -> None:
        """Drop the partial video (after an error)."""
        self._video.abort()
