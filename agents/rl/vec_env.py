"""Stable-Baselines3 on the batched env: SB3's own VecEnv API over `FaceMimicVectorEnv`.

SB3 speaks its own vector protocol (step_async/step_wait, `dones`, a list of info dicts, the
final observation in `terminal_observation`), not Gymnasium's. This adapter runs the native
batched env in SAME_STEP autoreset mode, which is exactly that protocol, so PPO and SAC train
on N twins stepped in one numpy batch instead of N Python envs. It also keeps the mean landmark
error of the steps since the last reset, which the training reports beside the return.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices

from facetwin.envs.vector_env import FaceMimicVectorEnv


class MimicVecEnv(VecEnv):
    """N FaceMimic envs for SB3. `env_options` are the env keyword options (targets, ...). With
    `reset_seed`, every reset without seeds of its own replays the same episodes (row i seeded
    reset_seed + i): an evaluation env then scores every checkpoint on the same targets."""

    def __init__(self, num_envs: int, reset_seed: int | None = None, **env_options: Any):
        self.reset_seed = reset_seed
        self.env = FaceMimicVectorEnv(num_envs, autoreset_mode=AutoresetMode.SAME_STEP, **env_options)
        super().__init__(num_envs, self.env.single_observation_space, self.env.single_action_space)
        self.metadata = self.env.metadata
        self.render_mode = self.env.render_mode
        self._actions: np.ndarray | None = None
        self._error_sum = 0.0
        self._error_count = 0

    @property
    def mean_landmark_error_mm(self) -> float:
        """Mean landmark error (mm) over every step since the last reset (NaN before any step)."""
        return self._error_sum / self._error_count if self._error_count else float("nan")

    def reset(self):
        seeds = self.reset_seed if all(s is None for s in self._seeds) else self._seeds
        options = self._options[0] or None
        obs, info = self.env.reset(seed=seeds, options=options)
        self.reset_infos = [{"landmark_error_mm": float(e)} for e in info["landmark_error_mm"]]
        self._reset_seeds()
        self._reset_options()
        self._error_sum, self._error_count = 0.0, 0
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self):
        obs, reward, terminated, truncated, info = self.env.step(self._actions)
        errors = info["final_info"]["landmark_error_mm"] if "final_info" in info else None
        step_errors = info["landmark_error_mm"].copy()
        if errors is not None:  # a restarted row reports its new episode; its step is in final_info
            step_errors[info["_final_info"]] = errors[info["_final_info"]]
        self._error_sum += float(step_errors.sum())
        self._error_count += len(step_errors)
        dones = terminated | truncated
        infos = [{"landmark_error_mm": float(e)} for e in step_errors]
        for row in np.flatnonzero(dones):
            infos[row]["terminal_observation"] = info["final_obs"][row]
            infos[row]["TimeLimit.truncated"] = bool(truncated[row] and not terminated[row])
        return obs, reward.astype(np.float32), dones, infos

    def close(self) -> None:
        self.env.close()

    def get_images(self) -> Sequence[np.ndarray | None]:
        frames = self.env.render()
        return list(frames) if frames is not None else [None] * self.num_envs

    # The batched env is one object: attributes and methods are the same for every index.

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [getattr(self.env, attr_name)] * len(list(self._get_indices(indices)))

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self.env, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices: VecEnvIndices = None, **method_kwargs) -> list[Any]:
        result = getattr(self.env, method_name)(*method_args, **method_kwargs)
        return [result] * len(list(self._get_indices(indices)))

    def env_is_wrapped(self, wrapper_class, indices: VecEnvIndices = None) -> list[bool]:
        return [False] * len(list(self._get_indices(indices)))
