"""FaceMimic: make the face show a stream of target expressions, as a Gymnasium environment.

    env = gym.make("facetwin/FaceMimic-v0")                       # the twin, reachable targets
    env = gym.make("facetwin/FaceMimic-v0", targets="mix", randomization="default")
    env = gym.make("facetwin/FaceMimicPixels-v0")                  # observation adds the image
    env = gym.make("facetwin/FaceMimic-v0", backend=lambda: open_backend("emulated:maestro"))  # any FaceBackend

Action: float32 Box [-1, 1], one command per actuator of the face's spec. The observation
vector and the reward are described in `facetwin.envs.mimic_batch`; `info` carries the mean
and per-region landmark errors in millimetres. Episodes last `episode_steps` steps and end by
truncation (the task never terminates). On the twin (the default backend) the env steps the
twin's batched dynamics (`facetwin.sim.twin_batch.TwinBatch`, of which SimFace is a batch of one)
directly, as `MimicBatch` with one episode; any other backend is driven through the FaceBackend
contract.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from facetwin.backend import FaceBackend
from facetwin.command import validate_command
from facetwin.envs.backend_mimic import BackendMimic
from facetwin.envs.config import mimic_config
from facetwin.envs.episodes import CameraView
from facetwin.envs.mimic_batch import MimicBatch
from facetwin.envs.rendering import FaceRenderer
from facetwin.envs.task import MimicTask
from facetwin.errors import BackendError, ConfigError

SIM = "sim"
BackendArg = str | FaceBackend | Callable[[], FaceBackend]


def observation_space(bounds: tuple[np.ndarray, np.ndarray], pixels: bool, image_size: int) -> spaces.Space:
    state = spaces.Box(*bounds, dtype=np.float32)
    if not pixels:
        return state
    return spaces.Dict({"state": state, "pixels": spaces.Box(0, 255, (3, image_size, image_size), dtype=np.uint8)})


def check_render_mode(render_mode: str | None) -> None:
    if render_mode not in (None, "rgb_array"):
        raise ConfigError(f"render_mode {render_mode!r} is not supported; use 'rgb_array' or None")


def is_fast_twin(backend: BackendArg, backend_options: dict | None) -> bool:
    return isinstance(backend, str) and backend == SIM and (backend_options or {}).get("skin", "fast") == "fast"


class FaceMimicEnv(gym.Env):
    """Track target expressions with the face. Keyword options: see `facetwin.envs.config.MimicConfig`.

    `backend`: "sim" (the twin, default; `backend_options` go to SimFace, e.g. {"skin": "bullet"}),
    a FaceBackend, or a function that opens one (such as
    `functools.partial(facetwin.app.backends.open_backend, "emulated:maestro")`). The env closes
    the backends it opens.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}

    def __init__(self, render_mode: str | None = None, *, pixels: bool = False, backend: BackendArg = SIM,
                 backend_options: dict | None = None, **options: Any):
        check_render_mode(render_mode)
        self.render_mode = render_mode
        self.pixels = pixels
        self._eye = self._viewer = self._backend = None
        self._owns_backend = self._closed = False
        self.config = mimic_config(options)
        self.task = MimicTask.build(self.config)
        model = self.task.model
        self.spec_face = model.spec
        if is_fast_twin(backend, backend_options):
            self._twin = MimicBatch(model, self.task.space, self.task.planner, 1)
            self._driver = None
            bounds = self._twin.obs_low, self._twin.obs_high
        else:
            self._twin = None
            self._backend, self._owns_backend = self._open(backend, backend_options)
            try:
                self._driver = BackendMimic(self._backend, self.task)
            except ConfigError:
                self.close()
                raise
            bounds = self._driver.obs_low, self._driver.obs_high
        self.metadata = {**self.metadata, "render_fps": model.spec.control_hz}
        self.action_space = spaces.Box(-1.0, 1.0, (model.spec.n_actuators,), dtype=np.float32)
        self.observation_space = observation_space(bounds, pixels, self.config.image_size)
        self._eye = FaceRenderer(model, self.task.skin, self.config.image_size) if pixels else None
        self._viewer = FaceRenderer(model, self.task.skin, self.config.render_size) if render_mode else None
        self._started = False
        self._state: np.ndarray | None = None  # the generic path's latest observation vector

    def _open(self, backend: BackendArg, backend_options: dict | None) -> tuple[FaceBackend, bool]:
        if isinstance(backend, FaceBackend):
            return backend, False
        if backend == SIM:
            from facetwin.sim.sim_face import SimFace

            return SimFace(self.config.face, **(backend_options or {})), True
        if isinstance(backend, str):
            raise ConfigError(f"unknown backend {backend!r}: an env opens the twin by name ('sim'); pass any other "
                              "face as a FaceBackend or a function opening one "
                              "(e.g. lambda: facetwin.app.backends.open_backend(name))")
        if callable(backend):
            opened = backend()
            if not isinstance(opened, FaceBackend):
                raise ConfigError(f"backend factory returned {type(opened).__name__}, not a FaceBackend")
            return opened, True
        raise ConfigError(f"backend must be a name, a FaceBackend or a function opening one, not {backend!r}")

    # -- the Gymnasium API ---------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._check_open()
        plan = self.task.planner.plan(self.np_random)
        if self._twin is not None:
            info = self._twin.row_info(self._twin.start(np.array([0]), [plan])[0])
        else:
            self._state, info = self._driver.start(plan, seed)
        self._started = True
        return self._observation(), info

    def step(self, action):
        self._check_open()
        if not self._started:
            raise BackendError("call reset() before step()")
        command = validate_command(self.spec_face, action)
        if self._twin is not None:
            reward, truncated, summary = self._twin.step(command[None])
            reward, truncated, info = float(reward[0]), bool(truncated[0]), self._twin.row_info(summary[0])
        else:
            self._state, reward, truncated, info = self._driver.step(command)
        return self._observation(), reward, False, truncated, info

    def render(self) -> np.ndarray | None:
        """`rgb_array`: the face (left) beside its current target (right), each render_size square."""
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; make the env with render_mode='rgb_array'")
            return None
        self._check_open()
        if not self._started:
            raise BackendError("call reset() before render()")
        return np.concatenate([self._face_image(self._viewer, plain=True), self._target_image()], axis=1)

    def close(self) -> None:
        for renderer in (self._eye, self._viewer):
            if renderer is not None:
                renderer.close()
        if self._owns_backend and self._backend is not None:
            self._backend.close()
        self._closed = True

    # -- pieces --------------------------------------------------------------------------------

    def _observation(self):
        state = (self._twin.obs[0] if self._twin is not None else self._state).copy()
        if not self.pixels:
            return state
        return {"state": state, "pixels": np.ascontiguousarray(self._face_image(self._eye).transpose(2, 0, 1))}

    def _face_image(self, renderer: FaceRenderer, plain: bool = False) -> np.ndarray:
        if self._twin is not None:
            view = CameraView() if plain else self._twin.views[0]
            return renderer.twin(self._twin.twin.load[0], self._twin.gains[0], view)
        view = CameraView() if plain else self._driver.plan.view
        image = self._driver.observation.image
        if image is not None:
            return _resized(image, renderer.size)
        return renderer.landmarks(self._driver.face_landmarks(), view)

    def _target_image(self) -> np.ndarray:
        if self._twin is not None and not self._twin.human[0]:
            return self._viewer.twin(self._twin.twin.load[1], self._twin.gains[1], CameraView())
        source = self._twin if self._twin is not None else self._driver
        landmarks = source.target_landmarks(0) if self._twin is not None else source.target_landmarks()
        return self._viewer.landmarks(landmarks, CameraView())

    def _check_open(self) -> None:
        if self._closed:
            raise BackendError("this environment is closed")


def _resized(image: np.ndarray, size: int) -> np.ndarray:
    if image.shape[:2] == (size, size):
        return image
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize((size, size), Image.BILINEAR))
