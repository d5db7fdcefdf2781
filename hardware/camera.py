"""A camera watching the physical face, and the landmark detector that reads it.

A thread keeps only the newest frame (with its capture time), so a slow detector or a slow
policy never works on a stale, queued image. OpenCV is imported only when a real camera is
opened; perception's detector arrives as any object with `detect(image)` (or any callable)
returning a result with `.landmarks` (and optionally `.blendshapes`), or None.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from facetwin.errors import BackendError


@dataclass(frozen=True)
class Frame:
    image: np.ndarray
    """RGB, uint8, height x width x 3."""
    time: float
    """time.monotonic() when the frame was read."""
    index: int


def _open_cv_capture(source: int | str):
    try:
        import cv2
    except ImportError:
        raise BackendError("camera: OpenCV is not installed (pip install opencv-python)") from None
    return cv2.VideoCapture(source)


class Camera:
    """`capture_factory(source)` returns an object with OpenCV's isOpened/read/release (default: cv2.VideoCapture)."""

    def __init__(self, source: int | str = 0, capture_factory: Callable | None = None) -> None:
        self.source = source
        self._factory = capture_factory or _open_cv_capture
        self._capture = None
        self._latest: Frame | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0

    def start(self) -> Camera:
        self._capture = self._factory(self.source)
        if not self._capture.isOpened():
            raise BackendError(f"camera {self.source!r}: cannot open it")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="facetwin-camera", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        index = 0
        while not self._stop.is_set():
            ok, bgr = self._capture.read()
            if not ok or bgr is None:
                self.failures += 1
                self._stop.wait(0.01)
                continue
            frame = Frame(np.ascontiguousarray(bgr[..., ::-1]), time.monotonic(), index)
            index += 1
            with self._lock:
                self._latest = frame

    def latest(self) -> Frame | None:
        with self._lock:
            return self._latest

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self._capture is not None:
            self._capture.release()
            self._capture = None


def detect(detector, image: np.ndarray) -> tuple[np.ndarray | None, dict[str, float] | None]:
    """(landmarks, blendshapes) from any detector shape perception may hand us."""
    run = detector.detect if hasattr(detector, "detect") else detector
    result = run(image)
    if result is None:
        return None, None
    landmarks = getattr(result, "landmarks", None)
    if landmarks is not None:
        landmarks = np.asarray(landmarks, dtype=np.float32)
    return landmarks, getattr(result, "blendshapes", None)
