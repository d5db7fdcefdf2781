"""Action fidelity: does each action of the face read, to an independent reader of faces, as the
action it is meant to be?

Each expressive actuator (with its mirror partner) is driven from the neutral face to full travel
and back on the twin, the twin is rendered at each end, and MediaPipe's FaceLandmarker scores the
renders, each image on its own. An action passes when its FACS counterpart rises by at least its
bar and by more than any other blendshape; the face passes when every action does and its neutral
reads no expression (docs/fidelity.md).
"""

from __future__ import annotations

import os.path
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facetwin.agents.fidelity.counterparts import COUNTERPARTS, NEUTRAL_BAR, Counterpart, bar, is_gaze, sides
from facetwin.agents.mimic.video import PANEL_HEIGHT
from facetwin.perception.detector import blendshape_landmarker
from facetwin.perception.face_landmarker import TaskLandmarkerDetector
from facetwin.sim.rig import FaceModel
from facetwin.sim.sim_face import SimFace

Scores = dict[str, float]


@dataclass(frozen=True)
class ActionGroup:
    """Actuators driven together: one action and its mirror image (or a midline action alone)."""

    name: str
    actuators: tuple[str, ...]
    indices: tuple[int, ...]


def action_groups(model: FaceModel) -> list[ActionGroup]:
    """The face's expressive actions, in rig order: every actuator that moves the skin (not the eyes
    or the neck), paired with its mirror partner, named without the side suffix."""
    spec = model.spec
    groups, seen = [], set()
    for index in dict.fromkeys(int(a) for a in model.feature_actuator):
        if index in seen:
            continue
        members = tuple(sorted({index, int(spec.mirror_order[index])}))
        seen.update(members)
        names = tuple(spec.actuator_names[i] for i in members)
        name = os.path.commonprefix(names).rstrip("_") if len(names) > 1 else names[0]
        groups.append(ActionGroup(name, names, members))
    return groups


@dataclass
class ActionRow:
    """One action's reading. Scores are None when the landmarker found no face in the render."""

    group: ActionGroup
    counterpart: Counterpart
    bar: float
    image: np.ndarray
    rises: Scores | None
    rise: float | None = None
    largest_other: float | None = None
    largest_other_name: str | None = None
    residual: float | None = None

    @property
    def passed(self) -> bool:
        return self.rise is not None and self.rise >= self.bar and self.rise > self.largest_other

    def top(self, n: int = 3) -> list[tuple[str, float]]:
        """The n blendshapes that rose most: what a viewer reads the action as."""
        return sorted((self.rises or {}).items(), key=lambda kv: -kv[1])[:n]

    def to_dict(self) -> dict:
        return {
            "actuator": self.group.name,
            "actuators": list(self.group.actuators),
            "counterpart": self.counterpart.blendshape,
            "au": self.counterpart.au,
            "bar": self.bar,
            "rise": _round(self.rise),
            "largest_other": _round(self.largest_other),
            "largest_other_name": self.largest_other_name,
            "top": [[name, _round(value)] for name, value in self.top()],
            "residual": _round(self.residual),
            "passed": self.passed,
        }


@dataclass
class FidelityReport:
    """The whole table: the neutral face's reading and one row per action with a counterpart."""

    face: str
    landmarker: str
    neutral_image: np.ndarray
    neutral: Scores | None
    rows: list[ActionRow]
    unmapped: list[str] = field(default_factory=list)

    @property
    def neutral_largest(self) -> tuple[str | None, float | None]:
        """The neutral face's strongest blendshape outside gaze and `_neutral`."""
        if not self.neutral:
            return None, None
        name, value = max(((k, v) for k, v in self.neutral.items() if k != "_neutral" and not is_gaze(k)),
                          key=lambda kv: kv[1])
        return name, value

    @property
    def passed(self) -> bool:
        value = self.neutral_largest[1]
        return value is not None and value <= NEUTRAL_BAR and bool(self.rows) and all(r.passed for r in self.rows)

    def to_dict(self) -> dict:
        name, value = self.neutral_largest
        return {"face": self.face, "landmarker": self.landmarker, "passed": self.passed,
                "neutral_max": _round(value), "neutral_max_name": name,
                "rows": [row.to_dict() for row in self.rows], "unmapped": self.unmapped}


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def read_action(group: ActionGroup, counterpart: Counterpart, image: np.ndarray, neutral: Scores | None,
                full: Scores | None, back: Scores | None) -> ActionRow:
    """Score one action from the readings of the neutral before, the full travel and the neutral after."""
    if not neutral or not full:
        return ActionRow(group, counterpart, bar(counterpart), image, None)
    rises = {k: full[k] - neutral[k] for k in full if k != "_neutral"}
    own = sides(counterpart.blendshape, rises)
    others = {k: v for k, v in rises.items() if k not in own and not is_gaze(k)}
    other = max(others, key=others.get)
    residual = max(abs(back[k] - neutral[k]) for k in rises) if back else None
    return ActionRow(group, counterpart, bar(counterpart), image, rises, float(np.mean([rises[k] for k in own])),
                     others[other], other, residual)


def measure_fidelity(face: str | Path | FaceModel | None = None, *, skin: str = "fast", size: int = PANEL_HEIGHT,
                     settle_s: float = 1.0, landmarker: str | Path | None = None) -> FidelityReport:
    """Drive every action of `face` to full travel and back, each held `settle_s` seconds, and read
    the renders (`size` pixels square, as the mimic loop renders the twin) with `landmarker` (default:
    the model facetwin ships)."""
    model_path = blendshape_landmarker(landmarker)
    with SimFace(face, skin=skin, width=size, height=size) as twin, \
            TaskLandmarkerDetector(model_path, video=False) as reader:
        spec = twin.spec
        steps = max(1, round(settle_s * spec.control_hz))

        def hold(command: np.ndarray) -> tuple[np.ndarray, Scores | None]:
            for _ in range(steps):
                twin.step(command)
            image = twin.render()
            return image, reader.detect(image).blendshapes

        twin.reset()
        rest = spec.neutral_command
        neutral_image, neutral = hold(rest)
        rows, unmapped = [], []
        for group in action_groups(twin.model):
            counterpart = COUNTERPARTS.get(group.name)
            if counterpart is None:
                unmapped.append(group.name)
                continue
            command = rest.copy()
            command[list(group.indices)] = 1.0
            image, full = hold(command)
            _, back = hold(rest)
            rows.append(read_action(group, counterpart, image, neutral, full, back))
        return FidelityReport(spec.name, model_path.name, neutral_image, neutral, rows, unmapped)
