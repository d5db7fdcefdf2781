"""Perceived agreement: would a viewer read the same expression on the twin as on the person?

MediaPipe's FaceLandmarker scores 52 blendshapes (browInnerUp, jawOpen, mouthSmileLeft, ...) on
any face. Scored on the person and on the rendered twin, frame by frame, their per-blendshape
correlation over the clip measures the mimicry independently of our own geometry and metric.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facetwin.agents.mimic.human_targets import HumanFrame
from facetwin.agents.mimic.loop import MimicTrace
from facetwin.observation import FaceObservation
from facetwin.perception.face_landmarker import TaskLandmarkerDetector

MIN_STD = 0.02
"""Blendshapes that barely move on either face over the clip have no meaningful correlation."""


class BlendshapeAgreement:
    """Collects both faces' blendshape scores as the loop runs (use as an `on_frame` callback)."""

    def __init__(self, landmarker: str | Path, twin_image) -> None:
        self._detector = TaskLandmarkerDetector(landmarker, video=True)
        self._twin_image = twin_image
        self.person: list[dict[str, float] | None] = []
        self.twin: list[dict[str, float] | None] = []

    def __call__(self, item: HumanFrame, observation: FaceObservation, trace: MimicTrace) -> None:
        self.person.append(item.percept.blendshapes)
        self.twin.append(self._detector.detect(self._twin_image(observation), item.target.time).blendshapes)

    def summary(self) -> dict:
        """Per-blendshape Pearson correlation over the frames where both faces were scored."""
        both = [(p, t) for p, t in zip(self.person, self.twin) if p and t]
        result: dict = {"frames_scored": len(both), "twin_frames_with_face": sum(t is not None for t in self.twin)}
        if len(both) < 3:
            result.update(mean_correlation=None, per_blendshape={})
            return result
        names = sorted(set(both[0][0]) & set(both[0][1]) - {"_neutral"})
        person = np.array([[p[n] for n in names] for p, _ in both])
        twin = np.array([[t[n] for n in names] for _, t in both])
        per = {}
        for j, name in enumerate(names):
            if person[:, j].std() < MIN_STD or twin[:, j].std() < MIN_STD:
                continue
            per[name] = round(float(np.corrcoef(person[:, j], twin[:, j])[0, 1]), 4)
        result["per_blendshape"] = per
        result["mean_correlation"] = float(np.mean(list(per.values()))) if per else None
        result["blendshapes_compared"] = len(per)
        return result

    def close(self) -> None:
        self._detector.close()
