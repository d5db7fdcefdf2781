"""A person's expression over time, as the predictor learns and is scored on it.

Each clip is run through perception and retargeting onto the face, and what is kept is the
target made from the unfiltered landmarks (the person's own timing, before the One Euro filter
delays it) over the face's movable landmarks, with the clip's frame times. A clip is cut into
segments where the face is lost: nothing is learned or forecast across a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from facetwin.agents.metrics import movable_landmarks
from facetwin.agents.mimic.human_targets import HumanTargets
from facetwin.errors import ConfigError
from facetwin.perception.reachable import reachable_bounds
from facetwin.sim.rig import FaceModel
from facetwin.sim.sim_face import SimFace

CLIP_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm")
MIN_SEGMENT = 8  # frames: shorter runs of a face hold too little motion to learn from


@dataclass
class ExpressionSegment:
    """`targets` (T, L, 3) mm over the movable landmarks, `times` (T,) seconds, from `clip`."""

    clip: str
    times: np.ndarray
    targets: np.ndarray


def find_clips(data: Path) -> list[Path]:
    """The clips in `data` (a folder, or one clip), sorted; ConfigError when there are none."""
    clips = [data] if data.is_file() else sorted(p for p in data.iterdir() if p.suffix.lower() in CLIP_SUFFIXES)
    if not clips:
        raise ConfigError(f"{data}: no clips ({', '.join(CLIP_SUFFIXES)}) to learn a person's timing from")
    return clips


def clip_segments(clip: Path, model: FaceModel, landmarker: str | Path | None = None,
                  progress: bool = True) -> list[ExpressionSegment]:
    """The runs of frames with a face in `clip`, retargeted onto `model`'s face."""
    with SimFace(model) as twin:
        bounds = reachable_bounds(twin)
    movable = movable_landmarks(model.spec)
    segments, times, targets = [], [], []

    def close_run() -> None:
        if len(times) >= MIN_SEGMENT:
            segments.append(ExpressionSegment(clip.name, np.array(times), np.stack(targets)))
        times.clear()
        targets.clear()

    with HumanTargets(clip, model.spec, bounds, landmarker=landmarker) as stream:
        for item in tqdm(stream, total=len(stream) or None, desc=f"expressions of {clip.name}", unit="frame",
                         disable=not progress):
            if item.unfiltered is None:
                close_run()
                continue
            times.append(item.target.time)
            targets.append(item.unfiltered[movable])
    close_run()
    return segments
