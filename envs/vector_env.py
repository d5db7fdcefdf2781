"""The batched FaceMimic: N twins stepped in one numpy batch, a native `gymnasium.vector.VectorEnv`.

    envs = gym.make_vec("facetwin/FaceMimic-v0", num_envs=1024)      # this class (vector_entry_point)
    envs = FaceMimicVectorEnv(1024, autoreset_mode="SameStep", targets="mix")

It runs the same `MimicBatch` as the single env with N rows instead of one, and each row draws
its episodes from its own generator, seeded like a `SyncVectorEnv` seeds its envs (seed + i). So
row i steps exactly like a single `FaceMimicEnv` reset with seed + i, and the batched env is
interchangeable with `gym.make_vec(..., vectorization_mode="sync")`, only much faster. Autoreset:
NEXT_STEP (Gymnasium's default), SAME_STEP (`final_obs`/`final_info` in the info, what SB3
expects) or DISABLED (reset rows with `options={"reset_mask": mask}`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from facetwin.command import validate_commands
from facetwin.envs.config import mimic_config
from facetwin.envs.episodes import CameraView
from facetwin.envs.mimic_batch import MimicBatch
from facetwin.envs.mimic_env import SIM, check_render_mode, is_fast_twin, observation_space
from facetwin.envs.rendering import FaceRenderer
from facetwin.envs.task import MimicTask
from facetwin.errors import BackendError, ConfigError


class FaceMimicVectorEnv(VectorEnv):
    """`num_envs` FaceMimic envs on the twin as one batch. Options as for `FaceMimicEnv`."""

    def __init__(self, num_envs: int = 1, render_mode: str | None = None, *, pixels: bool = False,
                 autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP, backend=SIM,
                 backend_options: dict | None = None, **options: Any):
        check_render_mode(render_mode)
        if not isinstance(num_envs, int) or num_envs < 1:
            raise ConfigError(f"num_envs must be a positive integer, got {num_envs!r}")
        if not is_fast_twin(backend, backend_options):
            raise ConfigError(f"the batched env steps the fast twin only; for backend {backend!r} use "
                              "gym.make_vec(..., vectorization_mode='sync') or 'async'")
        try:
            self.autoreset_mode = AutoresetMode(autoreset_mode)
        except ValueError:
            modes = ", ".join(m.value for m in AutoresetMode)
            raise ConfigError(f"autoreset_mode {autoreset_mode!r} is not one of {modes}") from None
        self.num_envs = num_envs
        self.render_mode = render_mode
        self.pixels = pixels
        self.config = mimic_config(options)
        self.task = MimicTask.build(self.config)
        spec = self.task.model.spec
        self.spec_face = spec
        self._batch = MimicBatch(self.task.model, self.task.space, self.task.planner, num_envs)
        self.metadata = {"render_modes": ["rgb_array"], "render_fps": spec.control_hz,
                         "autoreset_mode": self.autoreset_mode}
        self.single_action_space = spaces.Box(-1.0, 1.0, (spec.n_actuators,), dtype=np.float32)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.single_observation_space = observation_space((self._batch.obs_low, self._batch.obs_high), pixels,
                                                         self.config.image_size)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self._eye = FaceRenderer(self.task.model, self.task.skin, self.config.image_size) if pixels else None
        self._viewer = FaceRenderer(self.task.model, self.task.skin, self.config.render_size) if render_mode else None
        self._rngs: list[np.random.Generator | None] = [None] * num_envs
        self._done = np.zeros(num_envs, dtype=bool)
        self._started = False

    # -- the VectorEnv API ---------------------------------------------------------------------

    def reset(self, *, seed: int | list[int | None] | None = None, options: dict | None = None):
        """Reset every row, or the rows of `options["reset_mask"]`; `seed` as for SyncVectorEnv."""
        super().reset(seed=seed if isinstance(seed, int) else None)
        self._check_open()
        n = self.num_envs
        seeds = [None] * n if seed is None else [seed + i for i in range(n)] if isinstance(seed, int) else list(seed)
        if len(seeds) != n:
            raise ConfigError(f"{len(seeds)} seeds for {n} envs")
        mask = np.ones(n, dtype=bool)
        if options and "reset_mask" in options:
            mask = np.asarray(options["reset_mask"])
            if mask.shape != (n,) or mask.dtype != np.bool_ or not mask.any():
                raise ConfigError(f"options['reset_mask'] must be a bool array of shape ({n},) with a True value")
        rows = np.flatnonzero(mask)
        for row in rows:
            if seeds[row] is not None or self._rngs[row] is None:
                self._rngs[row] = seeding.np_random(seeds[row])[0]
        info = self._batch.info(self._start(rows), rows)
        self._done[rows] = False
        self._started = True
        return self._observations(), _vector_info(info, rows, n)

    def step(self, actions):
        self._check_open()
        if not self._started:
            raise BackendError("call reset() before step()")
        batch, n = self._batch, self.num_envs
        restart = self._done.copy() if self.autoreset_mode == AutoresetMode.NEXT_STEP else None
        if self.autoreset_mode == AutoresetMode.DISABLED and self._done.any():
            raise BackendError(f"envs {np.flatnonzero(self._done).tolist()} have ended; reset them with "
                               "options={'reset_mask': mask} (autoreset_mode is DISABLED)")
        # The gate every command passes; the rows about to restart ignore their actions.
        actions = validate_commands(self.spec_face, actions, n, skip=restart)
        reward, truncated, summary = batch.step(actions)
        terminated = np.zeros(n, dtype=bool)
        every = np.arange(n)
        step_info = batch.info(summary, every)
        info = _vector_info(step_info, every, n)
        if restart is not None and restart.any():
            rows = np.flatnonzero(restart)
            _merge(info, batch.info(self._start(rows), rows), rows)
            reward[rows] = 0.0
            truncated[rows] = False
        if self.autoreset_mode == AutoresetMode.SAME_STEP and truncated.any():
            rows = np.flatnonzero(truncated)
            final = self._observations()
            final_obs = np.full(n, None, dtype=object)
            for row in rows:
                final_obs[row] = {k: v[row] for k, v in final.items()} if self.pixels else final[row]
            info["final_obs"], info["_final_obs"] = final_obs, truncated.copy()
            info["final_info"], info["_final_info"] = _vector_info(step_info, rows, n, subset=True), truncated.copy()
            _merge(info, batch.info(self._start(rows), rows), rows)
        self._done = truncated | terminated
        return self._observations(), reward, terminated, truncated, info

    def render(self) -> tuple[np.ndarray, ...] | None:
        """`rgb_array`: for every row, its face beside its current target (as SyncVectorEnv, a tuple)."""
        if self.render_mode is None:
            return None
        self._check_open()
        load, gains = self._batch.twin.load, self._batch.gains
        frames = []
        for row in range(self.num_envs):
            face = self._viewer.twin(load[row], gains[row], CameraView())
            if self._batch.human[row]:
                target = self._viewer.landmarks(self._batch.target_landmarks(row), CameraView())
            else:
                reference = row + self.num_envs
                target = self._viewer.twin(load[reference], gains[reference], CameraView())
            frames.append(np.concatenate([face, target], axis=1))
        return tuple(frames)

    def close_extras(self, **kwargs: Any) -> None:
        for renderer in (self._eye, self._viewer):
            if renderer is not None:
                renderer.close()

    # -- pieces --------------------------------------------------------------------------------

    def _start(self, rows: np.ndarray) -> dict:
        plans = [self.task.planner.plan(self._rngs[row]) for row in rows]
        return self._batch.start(rows, plans)

    def _observations(self):
        state = self._batch.obs.copy()
        if not self.pixels:
            return state
        load, gains, size = self._batch.twin.load, self._batch.gains, self.config.image_size
        pixels = np.empty((self.num_envs, 3, size, size), dtype=np.uint8)
        for row in range(self.num_envs):
            image = self._eye.twin(load[row], gains[row], self._batch.views[row])
            pixels[row] = image.transpose(2, 0, 1)
        return {"state": state, "pixels": pixels}

    def _check_open(self) -> None:
        if self.closed:
            raise BackendError("this environment is closed")


def _vector_info(info: dict, rows: np.ndarray, n: int, subset: bool = False) -> dict:
    """A batch info of `rows` in Gymnasium's vector layout: an (n,) array and an `_key` mask per
    key, nested dicts alike. With `subset`, `info` holds all n rows but only `rows` are kept."""
    out = {}
    for key, value in info.items():
        if isinstance(value, dict):
            out[key] = _vector_info(value, rows, n, subset)
        else:
            array = np.zeros(n, dtype=value.dtype)
            array[rows] = value[rows] if subset else value
            out[key] = array
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        out[f"_{key}"] = mask
    return out


def _merge(info: dict, row_info: dict, rows: np.ndarray) -> None:
    """Overwrite `rows` of a vector info with those rows' own info (len(rows) values per key)."""
    for key, value in row_info.items():
        if isinstance(value, dict):
            _merge(info[key], value, rows)
        else:
            info[key][rows] = value
