"""The clip's most expressive moments, person beside twin, as one picture a reader can judge.

Correlations say how well the twin follows on average; a viewer judges the peaks: the broad smile,
the open mouth. As the loop runs, the frames where the person's blendshapes are strongest are kept
(a few, apart in time, so one long smile does not fill the sheet), each with what the reader saw on
the person and on the twin.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facetwin.agents.captioned_tile import BAD, GOOD, TEXT, Caption, captioned_tile
from facetwin.agents.mimic.agreement import BlendshapeAgreement, strongest
from facetwin.agents.mimic.human_targets import HumanFrame
from facetwin.agents.mimic.loop import MimicTrace
from facetwin.figure import save_image
from facetwin.observation import FaceObservation
from facetwin.perception.pipeline import Percept

TILE = 260
CAPTION_LINES = 4
NOT_EXPRESSION = ("_neutral", "eyeLook", "eyeBlink")
"""Left out of a frame's expressiveness: gaze and blinks are not what a viewer calls an expression."""


def expressiveness(scores: dict[str, float]) -> float:
    """The sum of a face's expression blendshapes."""
    return float(sum(v for k, v in scores.items() if not k.startswith(NOT_EXPRESSION)))


@dataclass
class Moment:
    """One frame of a person and the twin copying it, with what the reader saw on each."""

    index: int
    score: float
    person: np.ndarray
    twin: np.ndarray
    person_scores: dict[str, float]
    twin_scores: dict[str, float] | None
    label: str = ""


def _captioned(image: np.ndarray, lines: Caption) -> np.ndarray:
    return captioned_tile(image, lines, TILE, CAPTION_LINES)


def face_crop(percept: Percept, margin: float = 0.35) -> np.ndarray:
    """The square of the person's frame around their detected face (grown by `margin` of its size):
    a wide video frame cropped at its centre can cut off a face that sits to one side."""
    image, landmarks = percept.image, percept.detection.landmarks
    if landmarks is None:
        return image
    h, w = image.shape[:2]
    xs, ys = landmarks[:, 0] * w, landmarks[:, 1] * h
    side = int(min(max(np.ptp(xs), np.ptp(ys)) * (1.0 + 2.0 * margin), h, w))
    left = int(np.clip(xs.mean() - side / 2, 0, w - side))
    top = int(np.clip(ys.mean() - side / 2, 0, h - side))
    return image[top:top + side, left:left + side].copy()


class ExpressiveFrames:
    """Keeps the `count` most expressive frames, at least `gap` frames apart (call it as the loop's
    `on_frame`, after `agreement`, whose scores of this frame it reads)."""

    def __init__(self, agreement: BlendshapeAgreement, twin_image, count: int = 4, gap: int = 15) -> None:
        self._agreement = agreement
        self._twin_image = twin_image
        self.count, self.gap = count, gap
        self.moments: list[Moment] = []

    def __call__(self, item: HumanFrame, observation: FaceObservation, trace: MimicTrace) -> None:
        person = self._agreement.person[-1] if self._agreement.person else None
        if not person or item.percept.image is None:
            return
        index, score = len(self._agreement.person) - 1, expressiveness(person)
        near = [m for m in self.moments if abs(m.index - index) < self.gap]
        if any(m.score >= score for m in near):
            return
        if len(self.moments) - len(near) >= self.count and min(m.score for m in self.moments if m not in near) >= score:
            return
        moment = Moment(index, score, face_crop(item.percept), self._twin_image(observation).copy(), dict(person),
                         self._agreement.twin[-1], f"frame {index}")
        kept = sorted([m for m in self.moments if m not in near] + [moment], key=lambda m: -m.score)
        self.moments = kept[:self.count]

    def save(self, path: str | Path) -> Path | None:
        """The kept moments as a contact sheet (`moment_sheet`), or None when no frame had a face."""
        return save_image(moment_sheet(self.moments), path) if self.moments else None


def moment_sheet(moments: list[Moment]) -> np.ndarray:
    """RGB image: one row per moment (in clip order), person | twin, each with the person's three
    strongest blendshapes (green on the twin where among its five strongest, red where not)."""
    rows = []
    for m in sorted(moments, key=lambda m: m.index):
        top3 = strongest(m.person_scores, 3)
        twin5 = strongest(m.twin_scores, 5) if m.twin_scores else []
        person = _captioned(m.person, [(f"person, {m.label}", TEXT),
                                       *[(f"  {k} {m.person_scores[k]:.2f}", TEXT) for k in top3]])
        twin_lines = [(f"twin, {m.label}", TEXT)]
        if m.twin_scores:
            twin_lines += [(f"  {k} {m.twin_scores.get(k, 0.0):.2f}", GOOD if k in twin5 else BAD) for k in top3]
        else:
            twin_lines.append(("  no face read", BAD))
        rows.append(np.concatenate([person, _captioned(m.twin, twin_lines)], axis=1))
    return np.concatenate(rows, axis=0)
