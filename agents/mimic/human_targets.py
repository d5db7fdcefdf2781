"""A person's expressions as robot targets: frame source -> perception -> retargeting.

Used by the mimic loop frame by frame, and by `facetwin retarget` to store a clip's targets as a
`TargetSequence` file the environments and the evaluation replay without MediaPipe.

The person's neutral face: a stream (video, webcam) estimates it as it goes (the least
expressive frames seen so far); unrelated stills have no neutral of their own, so the face
model's neutral, itself the average of several people's resting faces, stands in for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from facetwin.agents.selfmodel.perceptual import load_face_map, shipped_map_path
from facetwin.backend import FaceBackend
from facetwin.errors import ConfigError
from facetwin.perception.pipeline import Percept, Perception, PerceptionConfig
from facetwin.perception.reachable import ReachableBounds, reachable_bounds
from facetwin.perception.retarget import HEAD_ACTUATORS, RetargetConfig, Retargeter, RetargetTarget
from facetwin.perception.sources import FrameSource, open_source
from facetwin.spec import FaceSpec
from facetwin.target_sequence import TargetSequence


@dataclass
class HumanFrame:
    """One frame of the person and the robot target made from it. `unfiltered` is the same
    retargeting applied to the landmarks before the One Euro filter (None without a face): the
    person's timing, against which the face's lag is measured."""

    percept: Percept
    target: RetargetTarget
    unfiltered: np.ndarray | None = None


class HumanTargets:
    """Iterates (percept, target) over a source. `neutral` is "auto" (running estimate for
    streams, the face model's neutral for stills), "robot" (always the face model's neutral) or
    a 478x3 array (mm, face frame)."""

    def __init__(self, source: str | Path | FrameSource, spec: FaceSpec, bounds: ReachableBounds, *,
                 landmarker: str | Path | None = None, neutral: str | np.ndarray = "auto",
                 retarget: RetargetConfig | None = None) -> None:
        if isinstance(neutral, str) and neutral not in ("auto", "robot"):  # before a webcam or a model is opened
            raise ConfigError(f"--neutral {neutral!r}: expected auto or robot (or, from code, a 478x3 array)")
        self.source = source if isinstance(source, FrameSource) else open_source(source)
        self.spec = spec
        config = PerceptionConfig(landmarker=landmarker)
        self.perception = Perception(config, video=self.source.is_stream)
        retarget = retarget or RetargetConfig()
        if isinstance(neutral, str) and (neutral == "robot" or (neutral == "auto" and not self.source.is_stream)):
            neutral = bounds.neutral
            retarget = retarget.model_copy(update={"person_lids": False})
        if not self.source.is_stream:  # unrelated stills: each is its own target, nothing to hold or ease into
            retarget = retarget.model_copy(update={"hold_s": 0.0, "relax_s": 0.0, "reacquire_s": 0.0})
        wants_map = retarget.space == "perceptual" or (retarget.space == "auto" and shipped_map_path(spec).is_file())
        perceptual = load_face_map(spec) if wants_map else None
        self.retargeter = Retargeter(spec, bounds, None if isinstance(neutral, str) else neutral, retarget,
                                     perceptual=perceptual)

    def __len__(self) -> int:
        return len(self.source)

    def __iter__(self) -> Iterator[HumanFrame]:
        for frame in self.source:
            percept = self.perception.process(frame)
            target = self.retargeter.update(percept)
            unfiltered = (self.retargeter.target_landmarks(percept.raw_landmarks)
                          if percept.raw_landmarks is not None else None)
            yield HumanFrame(percept, target, unfiltered)

    def close(self) -> None:
        self.perception.close()
        self.source.close()

    def __enter__(self) -> HumanTargets:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def passthrough_row(spec: FaceSpec, passthrough: dict[str, float]) -> np.ndarray:
    """Pass-through commands as a row over the spec's actuators, NaN where none is given."""
    row = np.full(spec.n_actuators, np.nan, dtype=np.float32)
    for name, value in passthrough.items():
        row[spec.index(name)] = value
    return row


def with_head_pose(spec: FaceSpec, command: np.ndarray, passthrough: np.ndarray) -> np.ndarray:
    """`command` with the neck taken from the person's head pose (a `passthrough_row`): face-frame
    landmarks have head pose removed, so no policy can infer the neck from the target."""
    out = np.asarray(command, dtype=np.float32).copy()
    head = np.array([name in HEAD_ACTUATORS for name in spec.actuator_names]) & np.isfinite(passthrough)
    out[head] = passthrough[head]
    return out


def retarget_source(source: str | Path, backend: FaceBackend, *, landmarker: str | Path | None = None,
                    neutral: str | np.ndarray = "auto", retarget: RetargetConfig | None = None,
                    progress: bool = True) -> TargetSequence:
    """Every frame of `source` retargeted onto `backend`'s face (reach measured on it, cached)."""
    spec = backend.spec
    bounds = reachable_bounds(backend)
    landmarks, visible, times, passthrough = [], [], [], []
    with HumanTargets(source, spec, bounds, landmarker=landmarker, neutral=neutral, retarget=retarget) as stream:
        for item in tqdm(stream, total=len(stream) or None, desc=f"retarget {Path(str(source)).name}",
                         unit="frame", disable=not progress):
            landmarks.append(item.target.landmarks)
            visible.append(item.percept.face_visible)
            times.append(item.target.time)
            passthrough.append(passthrough_row(spec, item.target.passthrough))
    if not landmarks:
        raise ValueError(f"{source}: no frames")
    return TargetSequence(face=spec.name, spec_digest=spec.digest, source=Path(str(source)).name,
                          landmarks=np.stack(landmarks), visible=np.array(visible), time=np.array(times),
                          passthrough=np.stack(passthrough))
