"""A scripted run through the face's named poses, rendered to a video: the twin at a glance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from facetwin.sim.poses import pose_command
from facetwin.sim.sim_face import SimFace
from facetwin.video import VideoWriter, label


def pose_script(face: SimFace, hold_s: float = 0.8, blend_s: float = 0.4) -> Iterator[tuple[str, np.ndarray]]:
    """(pose name, command) per control step: blend into each pose, hold it, then the next."""
    config = face.model.config
    rate = face.spec.control_hz
    previous = face.spec.neutral_command
    for name in [*config.poses, "neutral"]:
        target = pose_command(config, name)
        blend = max(1, int(blend_s * rate))
        for i in range(blend):
            yield name, previous + (target - previous) * (i + 1) / blend
        for _ in range(int(hold_s * rate)):
            yield name, target
        previous = target


def render_showreel(out: Path, face: str | None = None, size: int = 384, progress: bool = True) -> Path:
    """Write the showreel video and return its path."""
    from tqdm import tqdm

    with SimFace(face, width=size, height=size) as twin, VideoWriter(out, fps=twin.spec.control_hz) as video:
        twin.reset()
        script = list(pose_script(twin))
        for name, command in tqdm(script, desc="showreel", unit="frame", disable=not progress):
            twin.step(command)
            video.write(label(twin.render(), name))
    return out
