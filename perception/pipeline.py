"""Perception of one stream: detect, remove head pose, filter. Frames in, `Percept`s out.

The pipeline owns the per-stream state (detector tracking, filter memory), so one `Perception`
serves exactly one stream. A frame without a face resets the filters: the next face may be in a
different place or a different person, and smoothing across the gap would drag the old one in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facetwin.config_model import ConfigModel
from facetwin.perception.alignment import FaceAligner, HeadPose
from facetwin.perception.detector import Detection, LandmarkDetector, create_detector
from facetwin.perception.one_euro import OneEuroConfig, OneEuroFilter
from facetwin.perception.sources import Frame, FrameSource


class PerceptionConfig(ConfigModel):
    """`landmarker`: the detector, a face_landmarker.task or `face-mesh` for the legacy face mesh
    (None: $FACETWIN_FACE_LANDMARKER, else the shipped model; `detector.landmarker_path`).
    `landmark_filter` smooths face-frame landmarks (mm), `pose_filter` the head's yaw/pitch/roll
    (degrees)."""

    landmarker: str | Path | None = None
    landmark_filter: OneEuroConfig = OneEuroConfig()
    pose_filter: OneEuroConfig = OneEuroConfig(min_cutoff=0.5, beta=0.05)


@dataclass
class Percept:
    """One perceived frame. `landmarks` are filtered, `raw_landmarks` not (both 478x3 float32 mm
    in the face frame, None without a face); `head_euler_deg` is the filtered (yaw, pitch, roll)."""

    index: int
    time: float
    detection: Detection
    landmarks: np.ndarray | None = None
    raw_landmarks: np.ndarray | None = None
    pose: HeadPose | None = None
    head_euler_deg: np.ndarray | None = None
    image: np.ndarray | None = None

    @property
    def face_visible(self) -> bool:
        return self.landmarks is not None

    @property
    def blendshapes(self) -> dict[str, float] | None:
        return self.detection.blendshapes


class Perception:
    """Detector + aligner + filters for one stream. `video` selects tracking (streams) or
    per-image detection (unrelated stills); pass `detector` to share or substitute one."""

    def __init__(self, config: PerceptionConfig | None = None, video: bool = True,
                 detector: LandmarkDetector | None = None, aligner: FaceAligner | None = None) -> None:
        self.config = config or PerceptionConfig()
        self._own_detector = detector is None
        self._detector = detector
        self._video = video
        self.aligner = aligner or FaceAligner()
        self._landmark_filter = OneEuroFilter(self.config.landmark_filter)
        self._pose_filter = OneEuroFilter(self.config.pose_filter)

    @property
    def detector(self) -> LandmarkDetector:
        """Created on first use, so replaying a recorded sequence never loads a model."""
        if self._detector is None:
            self._detector = create_detector(self.config.landmarker, video=self._video)
        return self._detector

    def reset(self) -> None:
        self._landmark_filter.reset()
        self._pose_filter.reset()

    def process(self, frame: Frame) -> Percept:
        if not self._video:  # unrelated stills: nothing to smooth across
            self.reset()
        detection = frame.detection if frame.detection is not None else self.detector.detect(frame.image, frame.time)
        percept = Percept(frame.index, frame.time, detection, image=frame.image)
        aligned = self.aligner.align(detection)
        if aligned is None:
            self.reset()
            return percept
        raw, pose = aligned
        percept.raw_landmarks = raw
        percept.pose = pose
        percept.landmarks = self._landmark_filter(raw, frame.time).astype(np.float32)
        percept.head_euler_deg = self._pose_filter(pose.euler_deg(), frame.time)
        return percept

    def close(self) -> None:
        if self._own_detector and self._detector is not None:
            self._detector.close()
            self._detector = None

    def __enter__(self) -> Perception:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def perceive(source: FrameSource, config: PerceptionConfig | None = None) -> Iterator[Percept]:
    """Percepts of every frame of `source`, tracking when the source is a stream."""
    with Perception(config, video=source.is_stream) as perception:
        for frame in source:
            yield perception.process(frame)
