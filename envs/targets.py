"""Where target expressions come from: the twin itself (reachable) or a person (retargeted files).

Reachable targets are what the twin shows when driven by random commands: expressions that move
a random subset of the face's actuators, each held for a random number of steps. The environment
replays the same commands on a reference twin with the episode's own dynamics, so a policy that
sends them reproduces every target exactly and the optimum is zero error.

Human targets are `TargetSequence` files (what `facetwin retarget` writes), resampled once to the
face's control rate by linear interpolation and kept as one bank of flattened movable landmarks
and their codes. Environments only read such files: they never run perception.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facetwin.errors import ConfigError
from facetwin.faces import resolve_face
from facetwin.spec import FaceSpec
from facetwin.target_sequence import TargetSequence


def default_target_files(face: str | Path | None) -> tuple[Path, ...]:
    """The retargeted target files shipped in the face's folder (`targets/*.npz`)."""
    folder = resolve_face(face).parent / "targets"
    return tuple(sorted(folder.glob("*.npz"))) if folder.is_dir() else ()


def resample(sequence: TargetSequence, rate_hz: float) -> np.ndarray:
    """The sequence's landmarks (T', 478, 3) at `rate_hz`, linearly interpolated in time."""
    time = sequence.time - sequence.time[0]
    if len(time) == 1 or not np.all(np.diff(time) > 0):
        return sequence.landmarks.copy()
    steps = np.arange(0.0, time[-1] + 1e-9, 1.0 / rate_hz)
    upper = np.clip(np.searchsorted(time, steps, side="right"), 1, len(time) - 1)
    lower = upper - 1
    weight = ((steps - time[lower]) / (time[upper] - time[lower])).astype(np.float32)[:, None, None]
    return (1.0 - weight) * sequence.landmarks[lower] + weight * sequence.landmarks[upper]


class HumanBank:
    """Every frame of the human target files at the control rate: flattened movable landmarks as
    displacements from the neutral face (`displacement`), their codes (`codes`), and where each
    file's frames start."""

    def __init__(self, paths: tuple[Path, ...], spec: FaceSpec, space) -> None:
        if not paths:
            raise ConfigError(f"face {spec.name!r} has no human target files; make one with "
                              "`facetwin retarget --source CLIP --out FILE` and pass target_files=[FILE]")
        flats, self.names = [], []
        for path in paths:
            sequence = TargetSequence.load(path, spec)
            flats.append(space.flatten(resample(sequence, spec.control_hz)))
            self.names.append(Path(path).name)
        self.lengths = np.array([len(f) for f in flats], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]])
        flat = np.concatenate(flats)
        self.codes = space.encode(flat)
        self.displacement = flat - space.neutral

    def __len__(self) -> int:
        return int(self.lengths.sum())

    def sample(self, rng: np.random.Generator, n_frames: int) -> np.ndarray:
        """Bank indices of `n_frames` consecutive frames from a random file (weighted by length)
        and start; a file shorter than that loops."""
        index = int(rng.choice(len(self.lengths), p=self.lengths / self.lengths.sum())) if len(self.lengths) > 1 else 0
        length = int(self.lengths[index])
        start = int(rng.integers(0, max(length - n_frames, 0) + 1))
        return self.starts[index] + (start + np.arange(n_frames)) % length


def reachable_schedule(rng: np.random.Generator, n_steps: int, neutral: np.ndarray, expressive: np.ndarray,
                       hold: tuple[int, int], active_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Random expressions for `n_steps` steps: (commands (S, A) float32, segment of each step (n_steps,)).

    Each expression moves every expressive actuator with probability `active_fraction` to a
    uniform command in [-1, 1] and leaves the rest (and every actuator a face-frame landmark cannot
    see, like the neck) at neutral; it is held for a uniform number of steps in `hold`.
    """
    durations = []
    while sum(durations) < n_steps:
        durations.append(int(rng.integers(hold[0], hold[1] + 1)))
    count = len(durations)
    active = (rng.random((count, len(neutral))) < active_fraction) & expressive
    values = rng.uniform(-1.0, 1.0, (count, len(neutral)))
    commands = np.where(active, values, neutral).astype(np.float32)
    segment = np.repeat(np.arange(count, dtype=np.int32), durations)[:n_steps]
    return commands, segment
