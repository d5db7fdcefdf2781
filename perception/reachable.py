"""What the robot face can actually show, measured by driving it.

Retargeting clips a human expression to what the robot can reach; rather than trusting a model of
the skin, the bounds are measured on the face itself (twin or hardware, through the FaceBackend
contract): each face actuator is driven to both extremes, then through random combinations, and
every observed landmark's displacement from the measured neutral widens a per-landmark, per-axis
box. Neck actuators are held neutral: they move the whole head, which the face frame removes.
The result is cached, keyed by the backend type and the spec digest, and written atomically.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import Field

from facetwin.atomic import atomic_write
from facetwin.backend import FaceBackend
from facetwin.cache import cache_dir
from facetwin.config_model import ConfigModel
from facetwin.errors import BackendError
from facetwin.perception.errors import PerceptionError
from facetwin.spec import N_LANDMARKS


class ReachProtocol(ConfigModel):
    """How the face is driven: `hold_steps` control periods per command (enough to settle),
    `n_random` random combinations of all face actuators, drawn with `seed`."""

    hold_steps: int = Field(20, ge=1)
    n_random: int = Field(64, ge=0)
    seed: int = Field(0, ge=0)

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(), sort_keys=True).encode()).hexdigest()[:8]


@dataclass(frozen=True)
class ReachableBounds:
    """Per-landmark, per-axis displacement bounds (mm, face frame) around the robot's `neutral`:
    `lower <= 0 <= upper`, 478x3 each."""

    digest: str
    neutral: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n_observations: int

    def clip(self, displacement: np.ndarray) -> np.ndarray:
        return np.clip(displacement, self.lower, self.upper)

    def contains(self, landmarks: np.ndarray, tolerance: float = 1e-4) -> bool:
        """Whether absolute landmarks lie inside the box around the neutral."""
        displacement = np.asarray(landmarks, dtype=np.float64) - self.neutral
        return bool(np.all(displacement >= self.lower - tolerance) and np.all(displacement <= self.upper + tolerance))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        with atomic_write(path) as handle:
            np.savez(handle, digest=np.array(self.digest), neutral=self.neutral, lower=self.lower,
                     upper=self.upper, n_observations=np.array(self.n_observations))
        return path

    @classmethod
    def load(cls, path: str | Path) -> ReachableBounds:
        try:
            with np.load(path, allow_pickle=False) as data:
                bounds = cls(str(data["digest"]), data["neutral"], data["lower"], data["upper"],
                             int(data["n_observations"]))
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise PerceptionError(f"{path}: not a readable reachable-bounds file ({exc})") from None
        if bounds.lower.shape != (N_LANDMARKS, 3):
            raise PerceptionError(f"{path}: bounds have shape {bounds.lower.shape}, expected ({N_LANDMARKS}, 3)")
        return bounds


def _drive(backend: FaceBackend, command: np.ndarray, steps: int) -> list[np.ndarray]:
    seen = []
    for _ in range(steps):
        observation = backend.step(command)
        if observation.landmarks is None:
            raise BackendError(f"{backend.spec.name}: the face's landmarks were not observed while measuring its reach")
        seen.append(observation.landmarks.astype(np.float64))
    return seen


def measure_reachable(backend: FaceBackend, protocol: ReachProtocol | None = None) -> ReachableBounds:
    """Drive `backend` through `protocol` and return the bounds of what its landmarks reached."""
    protocol = protocol or ReachProtocol()
    spec = backend.spec
    backend.reset(seed=protocol.seed)
    neutral_command = spec.neutral_command.astype(np.float32)
    neutral = _drive(backend, neutral_command, protocol.hold_steps)[-1]
    face = [i for i, actuator in enumerate(spec.actuators) if actuator.group != "neck"]
    commands = []
    for i in face:
        for extreme in (-1.0, 1.0):
            command = neutral_command.copy()
            command[i] = extreme
            commands.extend([command, neutral_command])
    rng = np.random.default_rng(protocol.seed)
    for _ in range(protocol.n_random):
        command = neutral_command.copy()
        command[face] = rng.uniform(-1.0, 1.0, len(face))
        commands.append(command)
    lower = np.zeros((N_LANDMARKS, 3))
    upper = np.zeros((N_LANDMARKS, 3))
    count = 0
    for command in commands:
        for landmarks in _drive(backend, command, protocol.hold_steps):
            displacement = landmarks - neutral
            np.minimum(lower, displacement, out=lower)
            np.maximum(upper, displacement, out=upper)
            count += 1
    _drive(backend, neutral_command, protocol.hold_steps)
    return ReachableBounds(spec.digest, neutral.astype(np.float32), lower.astype(np.float32),
                           upper.astype(np.float32), count)


def reachable_bounds(backend: FaceBackend, protocol: ReachProtocol | None = None, cache: Path | None = None,
                     refresh: bool = False) -> ReachableBounds:
    """The cached bounds of this backend type and face (spec digest), measured when missing."""
    protocol = protocol or ReachProtocol()
    # A backend may say which model of the face it is (a twin's skin and its fit): reach is measured per model.
    model = getattr(backend, "model_key", "")
    name = f"reachable-{type(backend).__name__}{'-' + model if model else ''}-{backend.spec.digest}-{protocol.key}.npz"
    path = (cache or cache_dir()) / "reachable" / name
    if path.is_file() and not refresh:
        try:
            bounds = ReachableBounds.load(path)
        except PerceptionError:  # a damaged cache is measured again, not fatal
            bounds = None
        if bounds is not None and bounds.digest == backend.spec.digest:
            return bounds
    bounds = measure_reachable(backend, protocol)
    bounds.save(path)
    return bounds
