"""Perceived agreement: would a viewer read the same expression on the twin as on the person?

MediaPipe's FaceLandmarker scores 52 blendshapes (browInnerUp, jawOpen, mouthSmileLeft, ...) on
any face. Scored on the person and on the rendered twin, frame by frame, their per-blendshape
correlation over the clip measures the mimicry independently of our own geometry and metric.

Beside the twin the policy drove, the retargeted target itself is drawn on the twin's mesh and
scored the same way: the ceiling. What the ceiling loses is lost to retargeting and rendering
(the target is not what the person showed, or the face does not look like it to the reader);
what the policy loses beyond it is the policy's and the servos'.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facetwin.agents.mimic.human_targets import HumanFrame, passthrough_row
from facetwin.agents.mimic.loop import MimicTrace
from facetwin.observation import FaceObservation
from facetwin.perception.face_landmarker import TaskLandmarkerDetector
from facetwin.sim.landmark_portrait import LandmarkPortrait
from facetwin.spec import FaceSpec

PERSON_MIN_STD = 0.05
"""Blendshapes the person moves less than this (std over the clip) carry no expression to copy."""

STILL_STD = 0.01
"""A blendshape whose std on the twin is below this (a fifth of the person's bar, 1% of the score's
range) does not move there: it counts as r = 0, since its correlation would rest on changes too
small for anyone to see."""

Scores = dict[str, float] | None


def correlations(person: list[Scores], face: list[Scores], names: list[str]) -> dict:
    """One face's agreement with the person over the frames where both were scored (None where a
    face was not), on the blendshapes `names`. Per blendshape: Pearson r, both stds and the gain
    (least-squares slope of the face on the person); `mean_correlation` is the mean r."""
    both = [i for i, (p, f) in enumerate(zip(person, face)) if p and f]
    result: dict = {"frames_scored": len(both)}
    if len(both) < 3 or not names:
        result.update(mean_correlation=None, blendshapes_compared=0, per_blendshape={})
        return result
    per = {}
    for name in names:
        p = np.array([person[i][name] for i in both])
        t = np.array([face[i][name] for i in both])
        dp, dt = p - p.mean(), t - t.mean()
        per[name] = {
            "r": round(float(np.corrcoef(p, t)[0, 1]), 4) if t.std() >= STILL_STD and p.std() > 0 else 0.0,
            "person_std": round(float(p.std()), 4),
            "twin_std": round(float(t.std()), 4),
            "gain": round(float(dp @ dt / (dp @ dp)), 4) if p.std() > 0 else 0.0,
        }
    result.update(mean_correlation=float(np.mean([v["r"] for v in per.values()])), blendshapes_compared=len(per),
                  per_blendshape=per)
    return result


def strongest(scores: dict[str, float], k: int) -> list[str]:
    """The names of a face's `k` strongest blendshapes (`_neutral` aside)."""
    return sorted((n for n in scores if n != "_neutral"), key=lambda n: -scores[n])[:k]


def top_agreement(person: list[Scores | None], face: list[Scores | None]) -> float | None:
    """The share of frames scored on both faces where the person's three strongest blendshapes are
    all among the face's five strongest: what a viewer reads first on a still or a single frame,
    where a correlation over time means nothing."""
    pairs = [(p, f) for p, f in zip(person, face) if p and f]
    if not pairs:
        return None
    return float(np.mean([set(strongest(p, 3)) <= set(strongest(f, 5)) for p, f in pairs]))


def gaze_and_head(spec: FaceSpec, passthrough: dict[str, float]) -> np.ndarray:
    """The neutral command with the person's gaze and head pose (the target's pass-through)."""
    command = spec.neutral_command.copy()
    row = passthrough_row(spec, passthrough)
    command[np.isfinite(row)] = row[np.isfinite(row)]
    return command


class BlendshapeAgreement:
    """Collects the person's, the twin's and the ceiling's blendshape scores as the loop runs (use
    as an `on_frame` callback). The person's come from their own detection when it scored
    blendshapes, else from `landmarker` on their frame (`video` when the frames are a stream);
    the twin's from `twin_image` (the twin's picture for an observation); the ceiling's from
    `portrait` drawing each target on the twin's mesh. Frames without the person's face are not scored."""

    def __init__(self, landmarker: str | Path, twin_image, portrait: LandmarkPortrait, video: bool = True) -> None:
        self.landmarker = Path(landmarker)
        self._person_reader = TaskLandmarkerDetector(landmarker, video=video)
        self._twin_reader = TaskLandmarkerDetector(landmarker, video=True)
        self._ceiling_reader = TaskLandmarkerDetector(landmarker, video=True)
        self._twin_image = twin_image
        self._portrait = portrait
        self.person: list[Scores] = []
        self.twin: list[Scores] = []
        self.ceiling: list[Scores] = []

    def __call__(self, item: HumanFrame, observation: FaceObservation, trace: MimicTrace) -> None:
        percept, target = item.percept, item.target
        person = twin = ceiling = None
        if percept.face_visible:
            person = percept.blendshapes
            if person is None and percept.image is not None:
                person = self._person_reader.detect(percept.image, percept.time).blendshapes
        if person is not None:
            twin = self._twin_reader.detect(self._twin_image(observation), target.time).blendshapes
            portrait = self._portrait.render(target.landmarks, gaze_and_head(trace.spec, target.passthrough))
            ceiling = self._ceiling_reader.detect(portrait, target.time).blendshapes
        self.person.append(person)
        self.twin.append(twin)
        self.ceiling.append(ceiling)

    def summary(self) -> dict:
        """The policy's agreement (top level) and the ceiling's, over the same blendshapes: those the
        person moves (std >= PERSON_MIN_STD over the frames they were scored), `_neutral` excluded."""
        scored = [p for p in self.person if p]
        names = sorted(set(scored[0]) - {"_neutral"}) if scored else []
        moving = [n for n in names if np.std([p[n] for p in scored]) >= PERSON_MIN_STD]
        return {"landmarker": self.landmarker.name, "frames": len(self.person), "person_frames_scored": len(scored),
                **correlations(self.person, self.twin, moving), "top3_in_top5": top_agreement(self.person, self.twin),
                "ceiling": {**correlations(self.person, self.ceiling, moving),
                            "top3_in_top5": top_agreement(self.person, self.ceiling)}}

    def close(self) -> None:
        for reader in (self._person_reader, self._twin_reader, self._ceiling_reader):
            reader.close()
