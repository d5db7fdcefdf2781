"""The baselines a learned policy has to beat: the face at rest, random commands, and
nearest-neighbour retrieval over the babbling data (Emo's three reference points).

Each leaves the neck at neutral, as every policy does: face-frame targets cannot show it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facetwin.agents.metrics import face_actuators, movable_landmarks
from facetwin.agents.policies.policy import Policy
from facetwin.agents.policies.registry import check_target, check_targets
from facetwin.errors import ConfigError
from facetwin.observation import FaceObservation
from facetwin.spec import FaceSpec


class NeutralPolicy(Policy):
    """Always the neutral command: the error of doing nothing."""

    name = "neutral"

    def act(self, target: np.ndarray, observation: FaceObservation | None = None) -> np.ndarray:
        check_target(target)
        return self.spec.neutral_command.copy()

    def act_batch(self, targets: np.ndarray) -> np.ndarray:
        return np.repeat(self.spec.neutral_command[None], len(check_targets(targets)), axis=0)


class RandomPolicy(Policy):
    """Face actuators uniform over [-1, 1], ignoring the target: the error of chance."""

    name = "random"

    def __init__(self, spec: FaceSpec, seed: int | None = None):
        super().__init__(spec)
        self.seed = seed
        self.face = face_actuators(spec)
        self.rng = np.random.default_rng(seed)

    def reset(self) -> None:
        """Random policies restart their stream, so a seeded evaluation is repeatable."""
        self.rng = np.random.default_rng(self.seed)

    def act(self, target: np.ndarray, observation: FaceObservation | None = None) -> np.ndarray:
        return self.act_batch(check_target(target)[None])[0]

    def act_batch(self, targets: np.ndarray) -> np.ndarray:
        n = len(check_targets(targets))
        commands = np.repeat(self.spec.neutral_command[None], n, axis=0)
        commands[:, self.face] = self.rng.uniform(-1.0, 1.0, (n, len(self.face)))
        return commands.astype(np.float32)


class NearestNeighbourPolicy(Policy):
    """The command of the babbled face closest to the target (sum of squared landmark distances
    over the movable landmarks). Distances are computed on the babbled faces' principal
    components, which hold all but a negligible part of their variance; a target's part outside
    them adds the same amount to every candidate, so the neighbour found is the same."""

    name = "nn"
    COMPONENTS = 48
    CHUNK = 256

    def __init__(self, spec: FaceSpec, commands: np.ndarray, landmarks: np.ndarray):
        super().__init__(spec)
        if len(commands) != len(landmarks) or len(commands) == 0:
            raise ConfigError(f"nearest neighbour needs as many commands as faces, at least one "
                              f"(got {len(commands)} and {len(landmarks)})")
        self.commands = np.asarray(commands, dtype=np.float32)
        self.movable = movable_landmarks(spec)
        flat = np.asarray(landmarks, dtype=np.float32)[:, self.movable].reshape(len(landmarks), -1)
        self.mean = flat.mean(axis=0)
        _, _, vt = np.linalg.svd(flat[:: max(1, len(flat) // 5000)] - self.mean, full_matrices=False)
        self.basis = np.ascontiguousarray(vt[: self.COMPONENTS].T)
        self.codes = (flat - self.mean) @ self.basis
        self.norms = (self.codes**2).sum(axis=1)

    @classmethod
    def from_dataset(cls, spec: FaceSpec, data) -> NearestNeighbourPolicy:
        """From a dataset folder (or an opened BabbleDataset): its settled samples."""
        from facetwin.agents.selfmodel.dataset import BabbleDataset

        dataset = data if isinstance(data, BabbleDataset) else BabbleDataset.open(Path(data), spec)
        if dataset.manifest.spec_digest != spec.digest:
            raise ConfigError(f"{dataset.root}: babbled on face {dataset.manifest.face!r}, not {spec.name!r}")
        arrays = dataset.load(("command", "landmarks", "settled"))
        keep = arrays["settled"]
        return cls(spec, arrays["command"][keep], arrays["landmarks"][keep])

    def act(self, target: np.ndarray, observation: FaceObservation | None = None) -> np.ndarray:
        return self.act_batch(check_target(target)[None])[0]

    def act_batch(self, targets: np.ndarray) -> np.ndarray:
        targets = check_targets(targets)
        out = np.empty((len(targets), self.spec.n_actuators), dtype=np.float32)
        for start in range(0, len(targets), self.CHUNK):
            flat = targets[start:start + self.CHUNK][:, self.movable].reshape(-1, self.basis.shape[0])
            codes = (flat - self.mean) @ self.basis
            distance = self.norms[None] - 2.0 * codes @ self.codes.T
            out[start:start + len(codes)] = self.commands[np.argmin(distance, axis=1)]
        return out
