"""SimFace: the twin behind the FaceBackend contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facetwin.backend import FaceBackend
from facetwin.command import validate_command
from facetwin.errors import BackendError, ConfigError
from facetwin.observation import FaceObservation
from facetwin.sim.bullet_skin import MODEL_VERSION as BULLET_SKIN_VERSION
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.kinematics import eye_rotation, head_pose
from facetwin.sim.rig import FaceModel, load_face
from facetwin.sim.twin_batch import TwinBatch
from facetwin.spec import FaceSpec

SKINS = ("fast", "bullet")
MAX_IMAGE_SIDE = 4096
"""The largest picture side the offscreen renderer is asked for; beyond it GL fails with a trace."""
"""The quasi-static linear skin (FastSkin) and the pybullet soft body (BulletSkin, with its own dynamics)."""


class SimFace(FaceBackend):
    """The simulated face: a command goes through the servo model, the servos pull the skin,
    and the observation comes one control period later, with an image when `render` is set.
    Its dynamics are a batch of one of the twin's batched core, `dynamics` (a `TwinBatch`).

    `actuator_positions` are the servo horns' positions in command units, like a hardware
    read-back after calibration; landmarks follow the linkages (after backlash).
    `skin="bullet"` replaces the quasi-static linear skin by a pybullet soft body with its own
    dynamics, driven by the same linkages (docs/physics.md); it cannot be pickled.
    `follow_positions=True` skips the servo model: each command is where the horns already are
    (e.g. measured on an emulated servo), so a twin driven by other servos adds no second lag.
    """

    def __init__(self, face: str | Path | FaceModel | None = None, *, skin: str = "fast", render: bool = False,
                 width: int = 256, height: int = 256, substeps: int = 8, follow_positions: bool = False):
        if skin not in SKINS:
            raise BackendError(f"unknown skin {skin!r}; choose one of {', '.join(SKINS)}")
        if not all(isinstance(n, int) and 1 <= n <= MAX_IMAGE_SIDE for n in (width, height)):
            raise ConfigError(f"image size {width}x{height}: width and height must be whole numbers of pixels "
                              f"from 1 to {MAX_IMAGE_SIDE}")
        self.model = face if isinstance(face, FaceModel) else load_face(face)
        self._physics = skin == "bullet"
        if self._physics:
            from facetwin.sim.bullet_skin import BulletSkin

            self.skin = BulletSkin(self.model)
            self.dynamics = TwinBatch(self.model, substeps=substeps)
        else:
            self.dynamics = TwinBatch(self.model, skin=FastSkin(self.model), substeps=substeps)
            self.skin = self.dynamics.skin
        self._follow_positions = follow_positions
        self._render = render
        self._size = (width, height)
        self._camera = None
        self._closed = False
        self._time = 0.0
        self._command = self.model.spec.neutral_command.copy()

    @property
    def spec(self) -> FaceSpec:
        return self.model.spec

    @property
    def model_key(self) -> str:
        """Which twin this is beyond its spec: the skin model (for the physics skin, with the version
        of the code that builds it) and the hash of the face's files (mesh, rig, skin fit). Caches of
        measured behaviour, such as the reach, key on it."""
        return f"bullet-{BULLET_SKIN_VERSION}-{self.model.digest}" if self._physics else f"fast-{self.model.digest}"

    @property
    def camera(self):
        """The headless camera, opened on first use (OpenGL is only loaded when images are wanted)."""
        if self._camera is None:
            from facetwin.sim.camera import FaceCamera

            self._camera = FaceCamera(self.model, *self._size)
        return self._camera

    def reset(self, seed: int | None = None) -> FaceObservation:
        self._check_open()
        self.dynamics.restart()
        if self._physics:
            self.skin.reset()
        self._time = 0.0
        self._command = self.spec.neutral_command.copy()
        return self._observe()

    def step(self, command) -> FaceObservation:
        self._check_open()
        self._command = validate_command(self.spec, command)
        start = self.dynamics.load[0].copy() if self._physics else None
        if self._follow_positions:
            self.dynamics.hold(self._command[None])
        else:
            self.dynamics.step(self._command[None])
        if self._physics:
            self.skin.advance(start, self.dynamics.load[0])
        self._time += self.spec.control_period
        return self._observe()

    def render(self) -> np.ndarray:
        """RGB image of the face as it is now."""
        self._check_open()
        load = self.dynamics.load[0]
        return self.camera.render(self.skin.vertices(load), eye_rotation(self.model, load), head_pose(self.model, load))

    def _observe(self) -> FaceObservation:
        load = self.dynamics.load[0]
        return FaceObservation(
            time=self._time,
            actuator_positions=self.dynamics.actuator_commands(0),
            landmarks=self.skin.landmarks(load),
            command=self._command.copy(),
            image=self.render() if self._render else None,
            head_pose=head_pose(self.model, load),
        )

    def _check_open(self) -> None:
        if self._closed:
            raise BackendError("this SimFace is closed")

    def close(self) -> None:
        if self._camera is not None:
            self._camera.close()
            self._camera = None
        if self._physics:
            self.skin.close()
        self._closed = True

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_camera"] = None
        return state
