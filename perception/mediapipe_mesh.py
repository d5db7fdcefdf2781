"""MediaPipe's legacy face mesh: the default detector, because its weights ship inside the
mediapipe wheel (0.10.x before 0.10.30), so it works on a fresh machine without any download.

`refine_landmarks=True` adds the ten iris points, giving the full 478-point topology.
"""

from __future__ import annotations

import os

import numpy as np

from facetwin.perception.detector import Detection, LandmarkDetector

os.environ.setdefault("GLOG_minloglevel", "2")  # keep MediaPipe's C++ start-up chatter off stderr


class FaceMeshDetector(LandmarkDetector):
    """`static_image_mode=False` tracks the face from frame to frame (fast: the face detector runs
    only when tracking is lost); `True` detects afresh in every image (for unrelated stills)."""

    name = "mediapipe-face-mesh"

    def __init__(self, static_image_mode: bool = False, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5) -> None:
        from mediapipe.python.solutions import face_mesh

        self._mesh = face_mesh.FaceMesh(
            static_image_mode=static_image_mode,
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self._closed = False

    def detect(self, image: np.ndarray, timestamp: float = 0.0) -> Detection:
        height, width = image.shape[:2]
        result = self._mesh.process(np.ascontiguousarray(image))
        if not result.multi_face_landmarks:
            return Detection((width, height), None)
        points = result.multi_face_landmarks[0].landmark
        return Detection((width, height), np.array([(p.x, p.y, p.z) for p in points], dtype=np.float32))

    def close(self) -> None:
        if not self._closed:
            self._mesh.close()
            self._closed = True
