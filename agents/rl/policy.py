"""A policy trained with reinforcement learning on the mimic env, behind the `Policy` interface.

`facetwin train rl` saves an SB3 model (`policy.zip`, checkpoints) and beside it `policy.json`:
the algorithm, the face's spec digest and the env options it was trained with. `RLPolicy`
answers `act(target, observation)` by building exactly the env's observation vector from the
target, the face's latest observation and its own previous command, so the mimic loop (`--policy
rl`) and the hardware run the very policy the env trained.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from facetwin.agents.policies.policy import Policy
from facetwin.agents.policies.registry import check_target
from facetwin.envs.mimic_batch import observation_bounds
from facetwin.envs.task import face_of
from facetwin.errors import ConfigError
from facetwin.observation import FaceObservation
from facetwin.spec import FaceSpec

METADATA = "policy.json"
OBSERVATION_LAYOUT = "facemimic-v0: target code, face code, actuator positions, previous action"


def algorithm(name: str):
    """The SB3 class of an algorithm name ("ppo" or "sac")."""
    from stable_baselines3 import PPO, SAC

    algorithms = {"ppo": PPO, "sac": SAC}
    if name not in algorithms:
        raise ConfigError(f"unknown algorithm {name!r}; choose one of {', '.join(algorithms)}")
    return algorithms[name]


def read_metadata(model_path: Path) -> dict:
    """The `policy.json` of a saved model: beside it, or one folder up (for checkpoints)."""
    for folder in (model_path.parent, model_path.parent.parent):
        candidate = folder / METADATA
        if candidate.is_file():
            try:
                return json.loads(candidate.read_text())
            except json.JSONDecodeError as error:
                raise ConfigError(f"{candidate}: not valid JSON ({error})") from None
    raise ConfigError(f"{model_path}: no {METADATA} beside it; was it written by `facetwin train rl`?")


def load_model(path: str | Path, spec: FaceSpec | None = None):
    """(SB3 model, metadata) of a saved policy; with `spec`, refuse a policy of another face."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such policy file")
    metadata = read_metadata(path)
    if metadata.get("observation") != OBSERVATION_LAYOUT:
        raise ConfigError(f"{path}: trained on another observation layout ({metadata.get('observation')!r})")
    if spec is not None and metadata.get("spec_digest") != spec.digest:
        raise ConfigError(f"{path}: trained for face {metadata.get('face')!r} (spec {metadata.get('spec_digest')}), "
                          f"not for {spec.name!r} (spec {spec.digest})")
    try:
        model = algorithm(metadata.get("algo", "")).load(path, device="cpu")
    except (ValueError, KeyError, OSError) as error:
        raise ConfigError(f"{path}: cannot load the {metadata.get('algo')} policy ({error})") from None
    return model, metadata


class RLPolicy(Policy):
    """A saved SB3 policy (vector observation) driving the face from targets."""

    name = "rl"

    def __init__(self, spec: FaceSpec, path: str | Path):
        super().__init__(spec)
        self.model, self.metadata = load_model(path, spec)
        face = self.metadata.get("env_options", {}).get("face")
        model, _, self.space = face_of(face)
        self._neck = np.array([j.actuator for j in model.neck_joints], dtype=np.int64)
        self.low, self.high = observation_bounds(self.space.n_code, spec.n_actuators)
        if self.model.observation_space.shape != self.low.shape:
            raise ConfigError(f"{path}: the policy observes {self.model.observation_space}, not the "
                              f"{len(self.low)}-value vector this face gives (pixel policies need the env)")
        self._neutral_flat = self.space.neutral.copy()
        self.reset()

    def reset(self) -> None:
        self._previous = self.spec.neutral_command.copy()
        self._face = self._neutral_flat.copy()

    def observation(self, target: np.ndarray, observation: FaceObservation | None) -> np.ndarray:
        """The env's observation vector for `target` (478, 3) and the face's latest observation
        (None: the face at rest at neutral, as after a reset)."""
        if observation is not None and observation.landmarks is not None:
            self._face = self.space.flatten(observation.landmarks)
        positions = self.spec.neutral_command if observation is None else observation.actuator_positions
        codes = self.space.encode(np.stack([self.space.flatten(check_target(target)), self._face]))
        vector = np.concatenate([codes[0], codes[1], positions, self._previous]).astype(np.float32)
        return np.clip(vector, self.low, self.high)

    def act(self, target: np.ndarray, observation: FaceObservation | None = None) -> np.ndarray:
        """The policy's command; the neck (which face-frame targets cannot express) stays neutral,
        while the policy keeps seeing its own output as the previous action, as in training."""
        action, _ = self.model.predict(self.observation(target, observation), deterministic=True)
        self._previous = np.clip(np.asarray(action, dtype=np.float32), -1.0, 1.0)
        command = self._previous.copy()
        command[self._neck] = self.spec.neutral_command[self._neck]
        return command
