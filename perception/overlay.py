"""Overlay videos: the detected mesh drawn on the frames, to see at a glance what perception saw."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from facetwin.perception.detector import Detection
from facetwin.perception.errors import PerceptionError


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
    """Writes an mp4 (H.264 through imageio-ffmpeg) to a temporary file and renames it into place
    on `close()`, so a crash never leaves a truncated video under the requested name."""

    def __init__(self, path: str | Path, fps: float) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() != ".mp4":
            raise PerceptionError(f"{self.path}: the overlay video must be an .mp4 file")
        if not self.path.parent.is_dir():
            raise PerceptionError(f"{self.path}: folder {self.path.parent} does not exist")
        self._tmp = self.path.with_name(f".{self.path.stem}.tmp.mp4")
        self.fps = fps
        self._edges = mesh_edges()
        self._writer = None
        self._size: tuple[int, int] | None = None

    def write(self, image: np.ndarray, detection: Detection) -> None:
        import cv2
        import imageio.v2 as imageio

        frame = draw_mesh(image, detection, self._edges)
        if self._writer is None:
            # H.264 in yuv420p needs even sides; crop the odd row/column rather than rescale.
            self._size = (frame.shape[1] // 2 * 2, frame.shape[0] // 2 * 2)
            self._writer = imageio.get_writer(self._tmp, fps=self.fps, codec="libx264", quality=7,
                                              macro_block_size=1, ffmpeg_log_level="error")
        width, height = self._size
        if frame.shape[:2] != (height, width):
            if frame.shape[0] - height in (0, 1) and frame.shape[1] - width in (0, 1):
                frame = frame[:height, :width]
            else:  # a folder of stills of different sizes
                frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
        self._writer.append_data(np.ascontiguousarray(frame))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            os.replace(self._tmp, self.path)

    def abort(self) -> None:
        """Drop the partial video (after an error)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._tmp.unlink(missing_ok=True)
