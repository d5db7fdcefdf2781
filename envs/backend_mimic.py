"""One mimic episode on any FaceBackend: the physics skin, a hardware face, an emulated bus.

The face is driven through the contract, one `step` per control period, and scored on the
landmarks it reports, with the same observation and reward as on the twin (`MimicBatch`).
Reachable targets come from a reference twin with the face's nominal dynamics: what the twin
reaches, a faithful face reaches too. When the backend does not see the face (hardware camera),
the last landmarks it saw stand in and `info["face_visible"]` is False.
"""

from __future__ import annotations

import numpy as np

from facetwin.backend import FaceBackend
from facetwin.envs.episodes import EpisodePlan
from facetwin.envs.landmark_space import product
from facetwin.envs.mimic_batch import observation_bounds
from facetwin.envs.task import MimicTask
from facetwin.errors import ConfigError
from facetwin.observation import FaceObservation
from facetwin.sim.twin_batch import TwinBatch


class BackendMimic:
    def __init__(self, backend: FaceBackend, task: MimicTask):
        config, spec = task.config, task.model.spec
        if backend.spec.digest != spec.digest:
            raise ConfigError(f"backend drives face {backend.spec.name!r} (spec {backend.spec.digest}), but the "
                              f"environment was made for {spec.name!r} (spec {spec.digest}); pass face=...")
        r = config.randomization
        if r.servo or r.skin_gain > 0.0:
            raise ConfigError("randomization: servo and skin ranges apply to the fast twin only; this backend "
                              "has its own dynamics (landmark_noise_mm and the camera ranges still apply)")
        self.backend, self.task = backend, task
        self.space = task.space
        self.reference = TwinBatch(task.model)
        self._reference_state = task.space.state(self.reference.load)  # its state in the landmark space
        a, k = spec.n_actuators, task.space.n_code
        self.n_actuators, self.n_code = a, k
        self.obs_size = 2 * k + 2 * a
        self.obs_low, self.obs_high = observation_bounds(k, a)
        self.neutral = spec.neutral_command
        self.plan: EpisodePlan | None = None
        self.t = 0
        self.observation: FaceObservation | None = None
        self._flat = task.space.neutral.copy()
        self._visible = True

    def start(self, plan: EpisodePlan, seed: int | None) -> tuple[np.ndarray, dict]:
        self.plan, self.t = plan, 0
        self.reference.restart(np.array([0]))
        self.reference.advance(np.array([0]), plan.commands[plan.segment[:1]])
        self._reference_state = self.space.state(self.reference.load)
        self._take(self.backend.reset(seed=seed))
        self.prev_action = self.neutral.copy()
        return self._obs(), self._info(*self._errors(self._target_flat()))

    def step(self, command: np.ndarray) -> tuple[np.ndarray, float, bool, dict]:
        target = self._target_flat()
        self._take(self.backend.step(command))
        applied = self.observation.command
        plan, steps = self.plan, len(self.plan.segment) - 1
        self.reference.step(plan.commands[plan.segment[min(self.t + 1, steps)]][None])
        self._reference_state = self.space.state(self.reference.load)
        error, regions = self._errors(target)
        rate = float(np.mean((applied - self.prev_action) ** 2))
        reward = -error / self.space.inter_ocular_mm - self.task.config.action_rate_cost * rate
        self.prev_action = applied.astype(np.float32)
        self.t += 1
        return self._obs(), float(reward), self.t >= steps, self._info(error, regions)

    def _take(self, observation: FaceObservation) -> None:
        self.observation = observation
        self._visible = observation.landmarks is not None
        if self._visible:
            self._flat = self.space.flatten(observation.landmarks)

    def _target_flat(self) -> np.ndarray:
        if self.plan.human:
            return self.task.planner.human.displacement[self.plan.frames[self.t]] + self.space.neutral
        return product(self._reference_state, self.space.landmark_map)[0]

    def target_landmarks(self) -> np.ndarray:
        return self.space.unflatten(self._target_flat(), self.task.model.neutral_landmarks)

    def face_landmarks(self) -> np.ndarray:
        return self.space.unflatten(self._flat, self.task.model.neutral_landmarks)

    def _errors(self, target: np.ndarray) -> tuple[float, np.ndarray]:
        distances = self.space.distances((self._flat - target)[None])
        return float(distances.mean()), product(distances, self.space.region_weights)[0]

    def _obs(self) -> np.ndarray:
        k, a = self.n_code, self.n_actuators
        obs = np.empty(self.obs_size, dtype=np.float32)
        if self.plan.human:
            obs[:k] = self.task.planner.human.codes[self.plan.frames[self.t]]
        else:
            obs[:k] = product(self._reference_state, self.space.code_map)[0]
        obs[k : 2 * k] = self.space.encode(self._flat)
        if self.plan.noise is not None:
            obs[k : 2 * k] += self.plan.noise[self.t]
        obs[2 * k : 2 * k + a] = self.observation.actuator_positions
        obs[2 * k + a :] = self.prev_action
        return np.clip(obs, self.obs_low, self.obs_high, out=obs)

    def _info(self, error: float, regions: np.ndarray) -> dict:
        return {
            "landmark_error_mm": error,
            "region_error_mm": {name: float(regions[r]) for r, name in enumerate(self.space.regions)},
            "human_target": bool(self.plan.human),
            "face_visible": self._visible,
        }
