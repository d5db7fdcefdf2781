"""MediaPipe Tasks' FaceLandmarker: the same 478 landmarks plus 52 blendshape scores and a
facial transformation matrix, for users who have a `face_landmarker.task` model bundle.

Nothing is ever downloaded: the user points at the file (`--landmarker PATH` or
$FACETWIN_FACE_LANDMARKER). The file is read here, so a missing or corrupt bundle is reported
as one line naming it rather than as a MediaPipe stack trace.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from facetwin.perception.detector import Detection, LandmarkDetector
from facetwin.perception.errors import PerceptionError
from facetwin.topology import LEFT_EYE_RING, LEFT_IRIS, RIGHT_EYE_RING, RIGHT_IRIS

os.environ.setdefault("GLOG_minloglevel", "2")


class TaskLandmarkerDetector(LandmarkDetector):
    """`video=True` runs MediaPipe's VIDEO mode (tracking, needs increasing time stamps);
    `video=False` runs IMAGE mode, every image on its own."""

    name = "mediapipe-face-landmarker"
    provides_blendshapes = True

    def __init__(self, model_path: str | Path, video: bool = True, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5) -> None:
        model_path = Path(model_path)
        if not model_path.is_file():
            raise PerceptionError(f"{model_path}: face landmarker model not found (expected a .task file)")
        try:
            buffer = model_path.read_bytes()
        except OSError as exc:
            raise PerceptionError(f"{model_path}: cannot read face landmarker model: {exc.strerror}") from None

        from mediapipe.tasks.python import BaseOptions, vision

        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=buffer),
            running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
            num_faces=1,
            min_face_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        try:
            self._landmarker = vision.FaceLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise PerceptionError(f"{model_path}: not a usable face landmarker model: {first_line}") from None
        self._video = video
        self._last_ms = -1
        self._closed = False

    def detect(self, image: np.ndarray, timestamp: float = 0.0) -> Detection:
        import mediapipe as mp

        height, width = image.shape[:2]
        mp_image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image))
        if self._video:
            # VIDEO mode rejects repeated or decreasing time stamps; stills and jittery webcams produce them.
            stamp_ms = max(int(round(timestamp * 1000.0)), self._last_ms + 1)
            self._last_ms = stamp_ms
            result = self._landmarker.detect_for_video(mp_image, stamp_ms)
        else:
            result = self._landmarker.detect(mp_image)
        if not result.face_landmarks:
            return Detection((width, height), None)
        landmarks = _iris_on_eye_depth(np.array([(p.x, p.y, p.z) for p in result.face_landmarks[0]], dtype=np.float32))
        blendshapes = (
            {c.category_name: float(c.score) for c in result.face_blendshapes[0]} if result.face_blendshapes else None
        )
        transform = (
            np.asarray(result.facial_transformation_matrixes[0], dtype=np.float64)
            if result.facial_transformation_matrixes
            else None
        )
        return Detection((width, height), landmarks, blendshapes, transform)

    def close(self) -> None:
        if not self._closed:
            self._landmarker.close()
            self._closed = True


def _iris_on_eye_depth(landmarks: np.ndarray) -> np.ndarray:
    """Give each iris the mean depth of its eye's contour, as the legacy face mesh does.

    The Tasks model's iris depths wander once the head turns: on a face turned 45 degrees the far
    iris sits some 20 mm behind its eye, which the head-pose alignment turns into a pupil 13 mm
    to the side. The iris's image position is sound; only its depth is replaced.
    """
    for iris, ring in ((RIGHT_IRIS, RIGHT_EYE_RING), (LEFT_IRIS, LEFT_EYE_RING)):
        landmarks[list(iris), 2] = landmarks[list(ring), 2].mean()
    return landmarks
