"""A second look at stills where the whole-image pass finds no face.

MediaPipe's face detectors see the whole image at 128 or so pixels, so a face a tenth of a group
photo's width shrinks to a dozen pixels and is missed. For unrelated stills (never video, where
tracking handles it and time matters) this wrapper retries on overlapping half-size tiles and maps
the landmarks of the first face found well inside a tile back to the whole image.
"""

from __future__ import annotations

import numpy as np

from facetwin.perception.detector import Detection, LandmarkDetector

TILE_OFFSETS = ((0.25, 0.25), (0.0, 0.0), (0.5, 0.0), (0.0, 0.5), (0.5, 0.5), (0.25, 0.0), (0.0, 0.25),
                (0.5, 0.25), (0.25, 0.5))
"""Top-left corners of half-size tiles as fractions of the image, centre first."""

EDGE_MARGIN = 0.02
"""A face touching a tile's border (within this fraction) may be cut off, so it is not trusted."""


class TiledStillDetector(LandmarkDetector):
    """Wraps a still-image detector: whole image first, then half-size tiles."""

    def __init__(self, detector: LandmarkDetector) -> None:
        self.inner = detector
        self.name = f"{detector.name}+tiles"
        self.provides_blendshapes = detector.provides_blendshapes

    def detect(self, image: np.ndarray, timestamp: float = 0.0) -> Detection:
        whole = self.inner.detect(image, timestamp)
        if whole.face_visible:
            return whole
        height, width = image.shape[:2]
        tile_w, tile_h = width // 2, height // 2
        for fx, fy in TILE_OFFSETS:
            x0, y0 = int(fx * width), int(fy * height)
            found = self.inner.detect(image[y0:y0 + tile_h, x0:x0 + tile_w], timestamp)
            if not found.face_visible:
                continue
            xy = found.landmarks[:, :2]
            if xy.min() < EDGE_MARGIN or xy.max() > 1.0 - EDGE_MARGIN:
                continue
            landmarks = found.landmarks.copy()
            landmarks[:, 0] = (landmarks[:, 0] * tile_w + x0) / width
            landmarks[:, 1] = (landmarks[:, 1] * tile_h + y0) / height
            landmarks[:, 2] *= tile_w / width  # z is in units of the (tile) width
            # The transform describes the tile's camera, not the image's, so it is dropped.
            return Detection((width, height), landmarks, found.blendshapes, None)
        return whole

    def close(self) -> None:
        self.inner.close()
