"""The face watching itself: camera frames through perception, to the face's own landmarks.

`HardwareFace` hands each camera frame to a detector; this one is perception's pipeline (the
MediaPipe detector in tracking mode, then the similarity alignment into the face frame on the
face model's own neutral skin), so a physical face reports landmarks in the same millimetre frame
as its twin. Unsmoothed by default: a One Euro filter would make the reported face lag the real
one, which is what a policy reading its own face must not see.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facetwin.perception.alignment import FaceAligner
from facetwin.perception.pipeline import Perception, PerceptionConfig
from facetwin.perception.reference import reference_landmarks
from facetwin.perception.sources import Frame


@dataclass(frozen=True)
class Sighting:
    """What the camera saw of the face: 478x3 float32 landmarks (mm, face frame) or None."""

    landmarks: np.ndarray | None
    blendshapes: dict[str, float] | None = None


class SelfPerception:
    """A detector for `HardwareFace(detector=...)`. `face` names the face model whose neutral
    skin the landmarks are aligned onto; `landmarker` a Tasks model file (blendshapes too)."""

    def __init__(self, face: str | Path | None = None, landmarker: str | Path | None = None,
                 smooth: bool = False) -> None:
        config = PerceptionConfig(landmarker=landmarker)
        self.perception = Perception(config, video=True, aligner=FaceAligner(reference_landmarks(face)))
        self.smooth = smooth
        self._index = 0

    def detect(self, image: np.ndarray) -> Sighting:
        percept = self.perception.process(Frame(self._index, time.monotonic(), image))
        self._index += 1
        return Sighting(percept.landmarks if self.smooth else percept.raw_landmarks, percept.blendshapes)

    def reset(self) -> None:
        """Forget the filter's memory (the face is about to jump, e.g. on reset)."""
        self.perception.reset()

    def close(self) -> None:
        self.perception.close()
