"""The face behind the viewer, whatever the backend: what moving, stopping and showing it mean.

The viewer shows a twin in every case. On the twin that is the backend itself; on
`emulated:<kind>` the twin that follows the emulated horns; on a physical face a twin of its own
that follows the positions the servos report, so the page shows what the face did, not what it
was told.
"""

from __future__ import annotations

import numpy as np

from facetwin.app.hil import EmulatedFace
from facetwin.backend import FaceBackend
from facetwin.hardware.hardware_face import HardwareFace
from facetwin.observation import FaceObservation
from facetwin.sim.rig import FaceModel
from facetwin.sim.sim_face import SimFace


class ViewedFace:
    """`backend` (already reset) with the twin that shows it, `display`; `model` is the face the
    backend was opened for."""

    def __init__(self, backend: FaceBackend, model: FaceModel):
        self.backend = backend
        self._own_display: SimFace | None = None
        if isinstance(backend, SimFace):
            self.display = backend
        elif isinstance(backend, EmulatedFace):
            self.display = backend.twin
        else:
            self._own_display = SimFace(model, follow_positions=True)
            self.display = self._own_display
            self.display.reset()

    @property
    def hardware(self) -> HardwareFace | None:
        """The servo-driving part, when there is one (outputs to disable)."""
        if isinstance(self.backend, HardwareFace):
            return self.backend
        if isinstance(self.backend, EmulatedFace):
            return self.backend.hardware
        return None

    def step(self, command: np.ndarray) -> FaceObservation:
        """One control period with `command`, through the backend's own gate and safety layer."""
        observation = self.backend.step(command)
        self._follow(observation)
        return observation

    def relax(self) -> None:
        """Neutral, then outputs off: a physical face ramps at its slew limit and lets go; the twin,
        which has no outputs, is commanded neutral."""
        hardware = self.hardware
        if hardware is None:
            return
        hardware.ramp_to_neutral_and_disable()

    def idle(self) -> FaceObservation:
        """A period with the outputs off: nothing commanded, the face as it is now. The twin,
        having no outputs, keeps settling towards neutral."""
        hardware = self.hardware
        if hardware is None:
            return self.backend.step(self.backend.spec.neutral_command)
        observation = hardware.observe()
        if isinstance(self.backend, EmulatedFace):
            self.backend.sync_twin()
        else:
            self._follow(observation)
        return observation

    def _follow(self, observation: FaceObservation) -> None:
        if self._own_display is not None:
            self._own_display.step(observation.actuator_positions)

    def close(self) -> None:
        try:
            self.backend.close()
        finally:
            if self._own_display is not None:
                self._own_display.close()
