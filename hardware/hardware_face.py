"""The physical face as a FaceBackend: a bus behind the safety gate, a watchdog, the control
clock, and optionally a camera with a landmark detector.

A policy trained on the twin runs here unchanged. `step` applies one command through
SafeDriver, waits for the next control tick and reports what the face really did: the command
actually applied (after clamping and slew limit) and positions read back from the servos (or,
for a PWM board that cannot read, the last target). Outputs are disabled on close, when the
`with` block exits on an exception or Ctrl-C, and at interpreter exit.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

from facetwin.backend import FaceBackend
from facetwin.deferred_interrupt import deferred_interrupt
from facetwin.errors import BackendError
from facetwin.hardware.bus import ServoBus
from facetwin.hardware.calibration import Calibration
from facetwin.hardware.camera import Camera, detect
from facetwin.hardware.pacer import Pacer
from facetwin.hardware.safety import SafeDriver, SafetyConfig
from facetwin.hardware.watchdog import Watchdog
from facetwin.observation import FaceObservation
from facetwin.spec import FaceSpec

log = logging.getLogger(__name__)


class HardwareFace(FaceBackend):
    """`owned` are things stopped with the face (e.g. the emulator behind `emulated:`)."""

    def __init__(
        self,
        spec: FaceSpec,
        bus: ServoBus,
        calibration: Calibration,
        *,
        safety: SafetyConfig | None = None,
        camera: Camera | None = None,
        detector=None,
        pacing: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        owned: Sequence = (),
    ) -> None:
        self._spec = spec
        self.bus = bus
        self.safety = safety or SafetyConfig()
        self.driver = SafeDriver(bus, spec, calibration, self.safety)
        self.camera = camera
        self.detector = detector
        self.pacer = Pacer(spec.control_period, pacing, clock, sleep)
        self._clock = clock
        self._sleep = sleep
        self._owned = list(owned)
        self._lock = threading.RLock()
        self._watchdog = (
            Watchdog(self.safety.watchdog_timeout, self._on_silence, clock) if self.safety.watchdog_timeout else None
        )
        self._opened = False
        self._closed = False
        self._t0 = clock()
        self.watchdog_trips = 0  # times the watchdog found the face silent and let it go

    @property
    def spec(self) -> FaceSpec:
        return self._spec

    def _open(self) -> None:
        self.bus.open()
        self.bus.write_limits(self.driver.channels, self.driver.map.min, self.driver.map.max)
        if self.camera is not None:
            self.camera.start()
        atexit.register(self.close)
        self._opened = True

    def reset(self, seed: int | None = None) -> FaceObservation:
        """Ramp to neutral (slew-limited, on the control clock). `seed` is accepted for the
        contract; a physical face has nothing to randomise."""
        self._check_open()
        with self._lock:
            if not self._opened:
                self._open()
            self.pacer.restart()
            applied = self.driver.apply(self.spec.neutral_command)
            while not self.driver.at_neutral():
                self.pacer.wait()
                applied = self.driver.apply(self.spec.neutral_command)
            self.pacer.wait()
            self._t0 = self._clock()
            observation = self._observe(applied.command)
        if self._watchdog is not None:
            self._watchdog.start()
        return observation

    def step(self, command) -> FaceObservation:
        self._check_open()
        if not self._opened:
            raise BackendError("HardwareFace: call reset() before step()")
        if self._watchdog is not None:
            self._watchdog.kick()
        with self._lock:
            applied = self.driver.apply(command)
            self.pacer.wait()
            return self._observe(applied.command)

    def keep_alive(self) -> None:
        """Feed the watchdog without commanding anything: the controller is alive and holding on
        purpose (e.g. waiting for the servos to arrive), not silent."""
        if self._watchdog is not None:
            self._watchdog.kick()

    def observe(self) -> FaceObservation:
        """The face as it is now, without commanding anything (reports the last command applied)."""
        self._check_open()
        if not self._opened:
            raise BackendError("HardwareFace: call reset() before observe()")
        with self._lock:
            return self._observe(self.driver.map.to_command(self.driver.last))

    def _observe(self, command: np.ndarray) -> FaceObservation:
        targets = self.driver.last.astype(np.float64)
        if self.bus.can_read:
            measured = self.bus.read_positions(self.driver.channels)
            targets = np.where(np.isfinite(measured), measured, targets)
        positions = self.driver.map.to_command(targets)  # command units, as the twin reports them
        landmarks = blendshapes = image = None
        if self.camera is not None:
            frame = self.camera.latest()
            if frame is not None:
                image = frame.image
                if self.detector is not None:
                    landmarks, blendshapes = detect(self.detector, image)
        return FaceObservation(time=self._clock() - self._t0, actuator_positions=positions, landmarks=landmarks,
                               command=command, image=image, blendshapes=blendshapes)

    def _on_silence(self) -> None:
        """Watchdog: ramp to neutral at the slew limit, one control period per tick, then let go."""
        with self._lock:
            if self._closed or not self.driver.enabled:
                return
            log.warning("no command for %.2f s: ramping the face to neutral and disabling it",
                        self.safety.watchdog_timeout)
            self.watchdog_trips += 1
            self.ramp_to_neutral_and_disable()

    def ramp_to_neutral_and_disable(self) -> None:
        with self._lock:
            if self.driver.enabled:
                self.driver.apply(self.spec.neutral_command)
                while not self.driver.at_neutral():
                    self._sleep(self.spec.control_period)
                    self.driver.apply(self.spec.neutral_command)
                self.driver.disable()

    def _check_open(self) -> None:
        if self._closed:
            raise BackendError("HardwareFace is closed")

    def close(self) -> None:
        """Disable every output, then release bus, camera and owned resources; idempotent. A
        Ctrl-C meanwhile (often a second one, pressed because the first seemed slow) waits until
        the outputs are off and everything is released."""
        with deferred_interrupt():
            if self._closed:
                return
            self._closed = True
            if self._watchdog is not None:
                self._watchdog.stop()
            with self._lock:
                try:
                    if self._opened and self.driver.enabled:
                        self.driver.disable()
                except Exception as exc:  # the device may be what failed; still release everything
                    log.error("could not disable the outputs: %s", exc)
                finally:
                    self.bus.close()
                    if self.camera is not None:
                        self.camera.close()
                    for resource in self._owned:
                        resource.stop()
                    atexit.unregister(self.close)
