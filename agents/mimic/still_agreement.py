"""A still read by a viewer: are the person's strongest expressions the twin's strongest?

On one image a correlation over time means nothing; a viewer reads the strongest movements first.
The person's three strongest blendshapes are looked for among the five strongest of the twin (the
policy's command held until the servos settle, then rendered as the mimic loop renders it) and of
the ceiling (the retargeted target itself drawn on the twin's mesh).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from facetwin.agents.mimic.agreement import gaze_and_head, strongest
from facetwin.agents.mimic.expressive_frames import Moment, expressiveness, face_crop
from facetwin.agents.mimic.human_targets import HumanTargets, passthrough_row, with_head_pose
from facetwin.agents.policies.policy import Policy
from facetwin.perception.detector import blendshape_landmarker
from facetwin.perception.face_landmarker import TaskLandmarkerDetector
from facetwin.perception.reachable import ReachableBounds
from facetwin.sim.landmark_portrait import LandmarkPortrait
from facetwin.sim.rig import FaceModel
from facetwin.sim.sim_face import SimFace


@dataclass
class StillAgreement:
    """`twin_hit`/`ceiling_hit`: the person's three strongest blendshapes all among that face's five
    strongest (None where the reader found no face on it). `moment` is the picture pair."""

    file: str
    person_top3: list[str]
    twin_top5: list[str] | None
    ceiling_top5: list[str] | None
    twin_hit: bool | None
    ceiling_hit: bool | None
    moment: Moment

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("file", "person_top3", "twin_top5", "ceiling_top5", "twin_hit",
                                              "ceiling_hit")}


def _hit(top3: list[str], scores: dict[str, float] | None) -> tuple[list[str] | None, bool | None]:
    if not scores:
        return None, None
    top5 = strongest(scores, 5)
    return top5, set(top3) <= set(top5)


def still_agreement(path: Path, model: FaceModel, bounds: ReachableBounds, policy: Policy, size: int, *,
                    landmarker: Path | None = None, settle_s: float = 1.0) -> StillAgreement | None:
    """The still at `path` copied by `policy` on the twin (None without a face on the person).
    `landmarker` is the person's detector as `facetwin mimic` takes it; the blendshapes are read by
    `blendshape_landmarker(landmarker)`."""
    spec = model.spec
    with HumanTargets(path, spec, bounds, landmarker=landmarker) as stream, \
            TaskLandmarkerDetector(blendshape_landmarker(landmarker), video=False) as reader:
        item = next(iter(stream), None)
        if item is None or not item.percept.face_visible:
            return None
        person = item.percept.blendshapes or reader.detect(item.percept.image).blendshapes
        if not person:
            return None
        policy.reset()
        command = with_head_pose(spec, policy.act(item.target.landmarks, None),
                                 passthrough_row(spec, item.target.passthrough))
        with SimFace(model, width=size, height=size) as twin:
            twin.reset()
            for _ in range(max(1, round(settle_s * spec.control_hz))):
                twin.step(command)
            twin_image = twin.render()
        portrait = LandmarkPortrait(model, size, size)
        try:
            ceiling_image = portrait.render(item.target.landmarks, gaze_and_head(spec, item.target.passthrough))
        finally:
            portrait.close()
        twin_scores = reader.detect(twin_image).blendshapes
        ceiling_scores = reader.detect(ceiling_image).blendshapes
    top3 = strongest(person, 3)
    twin_top5, twin_hit = _hit(top3, twin_scores)
    ceiling_top5, ceiling_hit = _hit(top3, ceiling_scores)
    moment = Moment(0, expressiveness(person), face_crop(item.percept), twin_image, dict(person), twin_scores,
                    path.name)
    return StillAgreement(path.name, top3, twin_top5, ceiling_top5, twin_hit, ceiling_hit, moment)
