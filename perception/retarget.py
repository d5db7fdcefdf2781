"""Retargeting: a person's expression onto the robot face, as target landmarks it can reach.

Two spaces to retarget in (`RetargetConfig.space`). In **landmarks**, per frame: expression =
person's face - person's neutral (both in the face frame, mm); each region (brows, lids, eyes,
cheeks, nose, mouth, jaw) is scaled by robot size / person size of that region in the neutral;
the `static` region is pinned. In **perceptual**, the expression is what MediaPipe's blendshape
model reads on the person relative to the person's neutral, and the face's perceptual map
(perception/perceptual_map.py) turns it into the robot displacement that reads the same; the
upper lids move as in landmarks. "auto", the default, is perceptual on a face that ships a map.
In both spaces the irises move as far as the person's, whatever the gain. Either result is
clipped to the reach measured on the robot and added to the robot's neutral. Gaze
and head pose pass through as commands for the eye and neck actuators the face has. Without a
face the last target is held, then relaxes smoothly to neutral; when the face comes back the
target blends in, never jumps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from facetwin.config_model import ConfigModel
from facetwin.perception.errors import PerceptionError
from facetwin.perception.neutral import RunningNeutral, expression_score
from facetwin.perception.perceptual_map import PerceptualMap
from facetwin.perception.pipeline import Percept
from facetwin.perception.reachable import ReachableBounds
from facetwin.spec import N_LANDMARKS, FaceSpec
from facetwin.topology import LEFT_IRIS, RIGHT_IRIS, UPPER_LIDS, mirror_partners, reflect

EXPRESSIVE_REGIONS = ("brows", "lids", "eyes", "cheeks", "nose", "mouth", "jaw")
EYE_RADIUS_MM = 12.0
"""A human eyeball's radius: turns an iris shift into a gaze angle."""
HEAD_ACTUATORS = ("neck_yaw", "neck_pitch", "neck_roll")
GAZE_ACTUATORS = ("eye_yaw", "eye_pitch")


class RetargetConfig(ConfigModel):
    """`gain` scales every expression; region scales are clamped to `scale_limits` so a region
    that is tiny in one face cannot blow up. The default gain of 3 is measured: the twin's render
    reads weaker than a person moving their face as far, so with gain 1 MediaPipe's FaceLandmarker
    read the twin copying the sample clips at a fifth to a tenth of the person's strength (median
    gain), and the correlation itself was lower; 3 gave the best correlation of 1, 2, 3 and 4
    (docs/fidelity.md). `space` "auto" retargets perceptually on a face that ships a perceptual
    map and in landmarks on one that does not. Times are seconds: `hold_s` holds the last target
    after the face is lost, `relax_s` then eases it to neutral, `reacquire_s` eases back in.

    `depth_gain` scales the expression along the face's depth axis. MediaPipe regresses depth
    from a single image, and on the sample clips the depth part of a person's expression is
    what no motion of the face explains: the best reachable expression leaves as much depth
    error as there was depth displacement (docs/perception.md). The default keeps the
    expression in the image plane and the robot's own depth, so the servos do not chase it."""

    gain: float = Field(3.0, ge=0.0)
    depth_gain: float = Field(0.0, ge=0.0)
    scale_limits: tuple[float, float] = (0.5, 2.0)
    hold_s: float = Field(0.5, ge=0.0)
    relax_s: float = Field(1.0, ge=0.0)
    reacquire_s: float = Field(0.2, ge=0.0)
    gaze: bool = True
    head: bool = True
    space: Literal["auto", "landmarks", "perceptual"] = "auto"
    person_lids: bool = True
    """Perceptual space: the upper lids follow the person's own lid motion. Off where the neutral
    is the face's rather than the person's (stills): there the lid geometry that differs is the
    person's, not an expression, and the gain would close the twin's eyes on a smile."""

    @field_validator("scale_limits")
    @classmethod
    def _ordered(cls, limits: tuple[float, float]) -> tuple[float, float]:
        low, high = limits
        if not 0 < low <= high:
            raise ValueError("must satisfy 0 < low <= high")
        return limits


@dataclass
class RetargetTarget:
    """The robot's target: 478x3 float32 landmarks (mm, face frame) and pass-through actuator
    commands in [-1, 1] by name (accepted as-is by `facetwin.command.validate_command`).
    `state` is "tracking", "holding", "relaxing" or "neutral"."""

    time: float
    landmarks: np.ndarray
    passthrough: dict[str, float]
    state: str


def region_size(points: np.ndarray) -> float:
    """RMS distance of a region's points from their centroid (mm)."""
    points = np.asarray(points, dtype=np.float64)
    return float(np.sqrt(((points - points.mean(axis=0)) ** 2).sum(axis=1).mean()))


def region_scales(robot_neutral: np.ndarray, human_neutral: np.ndarray, regions: dict[str, tuple[int, ...]],
                  limits: tuple[float, float] = (0.5, 2.0)) -> np.ndarray:
    """Per-landmark expression scale (478,): robot size / person size of the landmark's region,
    0 for the `static` region and for landmarks in no expressive region."""
    scales = np.zeros(N_LANDMARKS)
    for name in EXPRESSIVE_REGIONS:
        indices = list(regions.get(name, ()))
        if len(indices) < 2:
            continue
        human = region_size(human_neutral[indices])
        ratio = region_size(robot_neutral[indices]) / human if human > 1e-9 else 1.0
        scales[indices] = np.clip(ratio, *limits)
    return scales


def gaze_deg(landmarks: np.ndarray, neutral: np.ndarray) -> tuple[float, float]:
    """(yaw, pitch) in degrees from the mean shift of both iris centres against the neutral,
    in the eye actuators' conventions (towards the face's own left and up are positive)."""
    centres = [RIGHT_IRIS[0], LEFT_IRIS[0]]
    shift = (np.asarray(landmarks, dtype=np.float64)[centres] - np.asarray(neutral, dtype=np.float64)[centres]).mean(0)
    yaw, pitch = np.degrees(np.arcsin(np.clip(shift[:2] / EYE_RADIUS_MM, -1.0, 1.0)))
    return float(yaw), float(pitch)


def _smoothstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


class Retargeter:
    """Turns percepts of one person into robot targets for one face.

    `bounds` are the robot's measured reach (see `facetwin.perception.reachable`); its neutral
    is the robot's. `neutral` is the person's neutral face (478x3 mm); without it a running
    estimate from the faces seen so far is used (see `facetwin.perception.neutral`).
    """

    def __init__(self, spec: FaceSpec, bounds: ReachableBounds, neutral: np.ndarray | None = None,
                 config: RetargetConfig | None = None, neutral_head_deg=(0.0, 0.0, 0.0),
                 perceptual: PerceptualMap | None = None) -> None:
        if bounds.digest != spec.digest:
            raise PerceptionError(f"reachable bounds were measured on face digest {bounds.digest}, "
                                  f"not on {spec.name!r} ({spec.digest})")
        missing = [r for r in EXPRESSIVE_REGIONS if r not in spec.regions]
        if missing:
            raise PerceptionError(f"face {spec.name!r} defines no region(s) {', '.join(missing)} to retarget onto")
        self.spec = spec
        self.bounds = bounds
        self.config = config or RetargetConfig()
        self._reader = None
        if self.config.space == "perceptual" and perceptual is None:
            raise PerceptionError(f"perceptual retargeting onto {spec.name!r} needs the face's perceptual map")
        self.space = "perceptual" if perceptual is not None and self.config.space != "landmarks" else "landmarks"
        """The space in use: `config.space`, with "auto" resolved by whether a map was given."""
        if self.space == "perceptual":
            if perceptual.digest != spec.digest:
                raise PerceptionError(f"the perceptual map was learned on face digest {perceptual.digest}, "
                                      f"not on {spec.name!r} ({spec.digest})")
            from facetwin.faces import shipped_landmarker
            from facetwin.perception.blendshape_reader import BlendshapeReader

            self._reader = BlendshapeReader(shipped_landmarker())
        self._map = perceptual if self.space == "perceptual" else None
        self._irises = list(LEFT_IRIS + RIGHT_IRIS)
        self._lids = list(UPPER_LIDS)
        self._neutral_scores: np.ndarray | None = None
        self.robot_neutral = bounds.neutral.astype(np.float64)
        self._mirror = mirror_partners(self.robot_neutral) if self._map is not None else None
        self._running = RunningNeutral() if neutral is None else None
        self.neutral: np.ndarray | None = None
        self._scales: np.ndarray | None = None
        self.neutral_head_deg = np.asarray(neutral_head_deg, dtype=np.float64)
        if neutral is not None:
            self.set_neutral(neutral, neutral_head_deg)
        self._last: RetargetTarget | None = None
        self._held: RetargetTarget | None = None
        self._last_seen: float | None = None
        self._reacquired_at: float | None = None
        self._reacquired_from: RetargetTarget | None = None

    def set_neutral(self, neutral: np.ndarray, head_deg=(0.0, 0.0, 0.0)) -> None:
        """Fix the person's neutral face (and the head pose that counts as straight)."""
        neutral = np.asarray(neutral, dtype=np.float64)
        if neutral.shape != (N_LANDMARKS, 3) or not np.isfinite(neutral).all():
            raise PerceptionError(f"a neutral face must be finite {N_LANDMARKS}x3, got shape {neutral.shape}")
        self._adopt_neutral(neutral)
        self.neutral_head_deg = np.asarray(head_deg, dtype=np.float64)
        self._running = None

    def _adopt_neutral(self, neutral: np.ndarray) -> None:
        self.neutral = neutral
        self._scales = region_scales(self.robot_neutral, neutral, self.spec.regions, self.config.scale_limits)
        if self._reader is not None:
            self._neutral_scores = self._reader.read_face(np.stack([neutral, reflect(neutral, self._mirror)]))

    @property
    def scales(self) -> np.ndarray | None:
        """The per-landmark expression scales in use (None until a neutral is known)."""
        return self._scales

    def target_landmarks(self, landmarks: np.ndarray) -> np.ndarray:
        """Robot target landmarks for one face (478x3 mm): the stateless core of retargeting."""
        if self.neutral is None:
            raise PerceptionError("retargeting needs the person's neutral face first (set_neutral or a percept)")
        moved = self._scales[:, None] * (np.asarray(landmarks, dtype=np.float64) - self.neutral)
        moved[:, 2] *= self.config.depth_gain
        displacement = self.config.gain * moved
        if self._map is not None:
            # The upper lids keep the person's own motion (`person_lids`): the map's lids read a
            # person's closed eyes poorly (on WolfgangLanger_Pexels.mp4 the twin's eyeBlink went
            # against hers, r = -0.17, and rose to 0.5 with her own lids). Everything else but the
            # irises is the face's displacement that reads as the person does.
            lids = displacement[self._lids]
            displacement = self._perceived(np.asarray(landmarks, dtype=np.float64))
            if self.config.person_lids:
                displacement[self._lids] = lids
        # Gaze is an angle, not an expression's strength: the irises move as far as the person's
        # (the map reads no gaze either; its inputs leave out eyeLook*).
        displacement[self._irises] = moved[self._irises]
        return (self.robot_neutral + self.bounds.clip(displacement)).astype(np.float32)

    def _perceived(self, landmarks: np.ndarray) -> np.ndarray:
        """The map's displacement for the person's expression, averaged with the mirror image of its
        displacement for the person mirrored. Neither the blendshape model nor the learned map is
        symmetric, and the gain amplifies it: the twin's own even smile read mouthSmileLeft 0.48
        against Right 0.39, and single_face.mp4's even smile raised the twin's right lower lid
        5.9 mm and lowered the left 1.2 mm. The average keeps a person's own asymmetry (a wink
        mirrored and mirrored back is the same wink) and cancels the reader's and the map's."""
        faces = np.stack([landmarks, reflect(landmarks, self._mirror)])
        expression = PerceptualMap.expression(self._reader.read_face(faces), self._neutral_scores)
        direct, mirrored = self._map(self.config.gain * expression).astype(np.float64)
        return 0.5 * (direct + reflect(mirrored, self._mirror))

    def passthrough(self, landmarks: np.ndarray | None, head_deg: np.ndarray | None) -> dict[str, float]:
        """Commands for the eye and neck actuators this face has (neutral without a face)."""
        positions: dict[str, float] = {}
        if landmarks is not None and self.config.gaze:
            positions["eye_yaw"], positions["eye_pitch"] = gaze_deg(landmarks, self.neutral)
        if head_deg is not None and self.config.head:
            relative = np.asarray(head_deg, dtype=np.float64) - self.neutral_head_deg
            positions.update(zip(HEAD_ACTUATORS, relative.tolist()))
        wanted = (GAZE_ACTUATORS if self.config.gaze else ()) + (HEAD_ACTUATORS if self.config.head else ())
        out = {}
        for name in wanted:
            if name not in self.spec.actuator_names:
                continue
            actuator = self.spec.actuators[self.spec.index(name)]
            position = positions.get(name, actuator.neutral)
            command = 2.0 * (position - actuator.low) / (actuator.high - actuator.low) - 1.0
            out[name] = float(np.clip(command, -1.0, 1.0))
        return out

    def neutral_target(self, time: float) -> RetargetTarget:
        return RetargetTarget(time, self.robot_neutral.astype(np.float32), self.passthrough(None, None), "neutral")

    def update(self, percept: Percept) -> RetargetTarget:
        """The target for this percept, with hold/relax over gaps and a smooth return."""
        t = percept.time
        if percept.face_visible:
            target = self._live(percept)
            if self._last is None or self._last.state != "tracking":  # the robot starts at neutral
                self._reacquired_at, self._reacquired_from = t, self._last or self.neutral_target(t)
            if self._reacquired_at is not None:
                w = _smoothstep((t - self._reacquired_at) / self.config.reacquire_s) if self.config.reacquire_s else 1.0
                target = _blend(self._reacquired_from, target, w, t, "tracking")
                if w >= 1.0:
                    self._reacquired_at = self._reacquired_from = None
            self._last_seen = t
            self._held = target
        elif self._held is None or self._last_seen is None:
            target = self.neutral_target(t)
        else:
            gap = t - self._last_seen
            cfg = self.config
            if gap <= cfg.hold_s:
                target = RetargetTarget(t, self._held.landmarks, dict(self._held.passthrough), "holding")
            elif cfg.relax_s > 0 and gap < cfg.hold_s + cfg.relax_s:
                w = _smoothstep((gap - cfg.hold_s) / cfg.relax_s)
                target = _blend(self._held, self.neutral_target(t), w, t, "relaxing")
            else:
                target = self.neutral_target(t)
        self._last = target
        return target

    def _live(self, percept: Percept) -> RetargetTarget:
        if self._running is not None:
            score = expression_score(percept.blendshapes) if percept.blendshapes else None
            self._adopt_neutral(self._running.add(percept.landmarks, score).astype(np.float64))
        landmarks = self.target_landmarks(percept.landmarks)
        return RetargetTarget(percept.time, landmarks, self.passthrough(percept.landmarks, percept.head_euler_deg),
                              "tracking")


def _blend(start: RetargetTarget, end: RetargetTarget, w: float, time: float, state: str) -> RetargetTarget:
    """(1 - w) * start + w * end, landmarks and pass-through commands alike."""
    landmarks = ((1.0 - w) * start.landmarks.astype(np.float64) + w * end.landmarks).astype(np.float32)
    names = set(start.passthrough) | set(end.passthrough)
    passthrough = {n: (1.0 - w) * start.passthrough.get(n, end.passthrough.get(n, 0.0))
                   + w * end.passthrough.get(n, start.passthrough.get(n, 0.0)) for n in names}
    return RetargetTarget(time, landmarks, passthrough, state)
