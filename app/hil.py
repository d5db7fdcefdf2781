"""Hardware in the loop on the twin: the face behind `emulated:<bus>`.

    policy ──► HardwareFace.step(command)
                 │  SafeDriver (validate, calibrate, clamp, slew limit), the bus driver
                 ▼  real bytes on a pseudo-terminal (or register writes on a fake SMBus)
               device emulator: virtual servos moving at their top speed, on the wall clock
                 │  horn positions (device units) ──► calibration ──► commands
                 ▼
               SimFace(follow_positions=True): the twin's skin where the emulated horns are
                 │  rendered image = the HardwareFace's camera frame
                 ▼
               perception: MediaPipe, then alignment into the face frame ──► observation.landmarks

Everything from the command to the device is the code that drives a physical face; the twin
stands in for the physical world, the skin the servos pull and the picture the camera takes. The
emulator is the servo model here, so the twin follows the emulated horns directly instead of
running its own servo model behind them (which would lag twice). With `camera=False` the
observation carries the twin's own landmarks instead of perceived ones: faster, and exact.

sim/ and hardware/ never import each other; they meet here, imported only when a face is opened.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from facetwin.backend import FaceBackend
from facetwin.errors import BackendError, ConfigError
from facetwin.observation import FaceObservation
from facetwin.spec import FaceSpec

if TYPE_CHECKING:
    from facetwin.sim.rig import FaceModel

SETTLE_TOLERANCE = 0.5
"""Device units: how close every emulated horn must be to its target for the face to be at rest."""


class TwinCamera:
    """The HardwareFace's camera: each frame is the twin, moved to where the emulated horns are
    now, rendered. Frames are made when asked for, so a frame is never older than the call."""

    def __init__(self, face: EmulatedFace) -> None:
        self._face = face
        self._index = itertools.count()

    def start(self) -> TwinCamera:
        return self

    def latest(self):
        from facetwin.hardware.camera import Frame

        self._face.sync_twin()
        return Frame(self._face.twin.render(), time.monotonic(), next(self._index))

    def close(self) -> None:
        """The twin belongs to the EmulatedFace, which closes it."""


class EmulatedFace(FaceBackend):
    """A HardwareFace on an emulated device whose virtual servos move a twin.

    `hardware` (a HardwareFace opened on an `emulated:` backend) does everything a physical face
    does; `twin` (a SimFace that follows positions) is its body. With `perception` (a
    SelfPerception), the twin's rendered image is the hardware's camera frame and landmarks come
    from perception; without, they are the twin's own, plus its image when `render` is set.
    `twin_observation` is the twin's own latest observation either way: what the camera saw.
    With `reality` (a stand-in's record, sim/reality.py) the twin is a stand-in physical face with
    servos of its own; the record is for scoring only and never reaches the FaceBackend's users.
    """

    def __init__(self, hardware, twin, perception=None, render: bool = False, settle_timeout: float = 2.0,
                 reality: dict | None = None) -> None:
        if hardware.emulator is None:
            raise ConfigError("EmulatedFace needs a HardwareFace on an emulated: backend")
        self.hardware = hardware
        self.twin = twin
        self.reality = reality
        self.perception = perception
        self.settle_timeout = settle_timeout
        self.twin_observation: FaceObservation | None = None
        self._render = render
        self._channels = list(hardware.driver.channels)
        self._map = hardware.driver.map
        if perception is not None:
            hardware.camera = TwinCamera(self)
            hardware.detector = perception

    @property
    def spec(self) -> FaceSpec:
        return self.hardware.spec

    @property
    def emulator(self):
        return self.hardware.emulator

    def sync_twin(self) -> FaceObservation:
        """Move the twin to where the emulated horns are now; returns the twin's own observation.
        A stand-in face (`reality`) is no follower: it takes what the device outputs and moves by
        its own servos, one control period per call, as a physical face's servos would."""
        if self.reality is not None:
            targets = self.emulator.targets()
            command = self._map.to_command(np.array([targets[c] for c in self._channels], dtype=np.float64))
        else:
            positions = self.emulator.servo_positions()
            command = self._map.to_command(np.array([positions[c] for c in self._channels], dtype=np.float64))
        self.twin_observation = self.twin.step(np.clip(command, -1.0, 1.0))
        return self.twin_observation

    def reset(self, seed: int | None = None) -> FaceObservation:
        """Ramp to neutral through the hardware path, then wait (wall clock) until the emulated
        horns are there, so the first observation shows the face at rest, as `SimFace.reset` does."""
        self.twin.reset()
        if self.perception is not None:
            self.perception.reset()
        self.hardware.reset(seed)
        self.settle()
        return self._complete(self.hardware.observe())

    def step(self, command) -> FaceObservation:
        return self._complete(self.hardware.step(command))

    def render(self) -> np.ndarray:
        """The twin's picture as it is now."""
        return self.twin.render()

    def _complete(self, observation: FaceObservation) -> FaceObservation:
        """Without perception, the twin's landmarks and head pose: copies, since `twin_observation`
        keeps the originals and an observation is the caller's to keep or change."""
        if self.perception is None:
            twin = self.sync_twin()
            observation.landmarks = twin.landmarks.copy()
            observation.head_pose = twin.head_pose.copy()
            if self._render:
                observation.image = self.twin.render()
        return observation

    def settle(self) -> None:
        """Wait (wall clock, at most `settle_timeout`) until every emulated horn has reached its
        target: an unpaced loop outruns the servos, which move in real time. The wait is a hold,
        not silence, so the watchdog is kept fed; with the outputs disabled nothing moves."""
        deadline = time.monotonic() + self.settle_timeout
        while self.hardware.driver.enabled:
            self.hardware.keep_alive()
            positions, targets = self.emulator.servo_positions(), self.emulator.targets()
            if all(abs(positions[c] - targets[c]) <= SETTLE_TOLERANCE for c in self._channels):
                return
            if time.monotonic() > deadline:
                raise BackendError(f"the emulated servos did not reach their targets within {self.settle_timeout:g} s")
            time.sleep(0.005)

    def close(self) -> None:
        """Disable the outputs and stop the emulator (HardwareFace.close), then release the twin
        and perception; idempotent."""
        try:
            self.hardware.close()
        finally:
            if self.perception is not None:
                self.perception.close()
            self.twin.close()


def open_emulated_face(backend: str, face: str | Path | FaceModel | None = None, *, skin: str = "fast",
                       render: bool = False, camera: bool = True, width: int = 256, height: int = 256,
                       landmarker: str | Path | None = None, smooth: bool = False,
                       reality: str | Path | None = None, **hardware_options) -> EmulatedFace:
    """The twin in the loop behind `backend` ("emulated:maestro", "emulated:feetech-scs", ...)
    for `face` (a face name or path, or a loaded FaceModel).

    `camera`: the twin's rendered image (`width` x `height`) is the face's camera frame and
    landmarks come from perception (`landmarker`: a Tasks model file; `smooth`: One Euro filter);
    otherwise the twin's own landmarks are reported. `hardware_options` go to the HardwareFace
    (`pacing`, `safety`, `calibration`, `robot_id`); pacing is on by default, as on hardware.

    `reality` (a face folder, e.g. one `facetwin reality make` wrote) makes the emulator's outputs
    drive that face instead, by its own servos and seen by its own camera placement and light: a
    stand-in physical face that is not the twin `face` names. The device, its calibration and the
    perception's reference face stay `face`'s, as on a bench where only the face was built anew."""
    from facetwin.hardware.backend_url import open_hardware_face, parse_backend
    from facetwin.sim.reality import read_reality
    from facetwin.sim.rig import FaceModel, load_face
    from facetwin.sim.sim_face import SimFace

    if not parse_backend(backend).emulated:
        raise ConfigError(f"backend {backend!r}: the twin in the loop needs an emulated:<bus> backend")
    record = None
    if reality is None:
        twin = SimFace(face, skin=skin, width=width, height=height, follow_positions=True)
        nominal = twin.model
    else:
        record = read_reality(reality) or {}
        nominal = face if isinstance(face, FaceModel) else load_face(face)
        twin = SimFace(reality, skin=skin, width=width, height=height)
        if twin.spec.actuators != nominal.spec.actuators:
            twin.close()
            raise ConfigError(f"reality {reality}: its actuators differ from {nominal.spec.name}'s; a stand-in "
                              f"has the twin's actuators and ranges")
    hardware = None
    try:
        hardware = open_hardware_face(backend, nominal.spec, **hardware_options)
        perception = None
        if camera:
            from facetwin.hardware.self_perception import SelfPerception

            perception = SelfPerception(nominal.path, landmarker, smooth)
            view = (record or {}).get("camera")
            if view is not None:
                twin.camera.set_view(offset_mm=view["offset_mm"], target_offset_mm=view["target_offset_mm"],
                                     light_intensity=3.0 * view["light"])
        return EmulatedFace(hardware, twin, perception, render, reality=record)
    except BaseException:
        if hardware is not None:
            hardware.close()
        twin.close()
        raise
