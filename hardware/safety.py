"""The one gate between a policy and a servo: every target any bus receives is made here.

In order: the contract's `validate_command` (NaN, infinity, wrong shape or dtype -> CommandError;
values clipped to [-1, 1]), the calibration maps commands to device units, targets are
clamped to the calibrated [min, max], and each target moves at most `max_step` of its
actuator's calibrated travel per control tick (LeRobot's `max_relative_target`). The bus is
then told exactly those integers, and the command they correspond to is reported back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import Field

from facetwin.command import validate_command
from facetwin.config_model import ConfigModel
from facetwin.deferred_interrupt import deferred_interrupt
from facetwin.hardware.bus import ServoBus
from facetwin.hardware.calibration import Calibration, CalibrationMap
from facetwin.spec import FaceSpec


class SafetyConfig(ConfigModel):
    """`max_step`: fraction of each actuator's calibrated travel a target may move per tick.
    `watchdog_timeout`: seconds without a command before the face ramps to neutral and its
    outputs are disabled (None: no watchdog)."""

    max_step: float = Field(0.1, gt=0.0, le=1.0)
    watchdog_timeout: float | None = Field(0.5, gt=0.0)


@dataclass(frozen=True)
class Applied:
    """What reached the device: integer `targets` (device units) and the `command` they mean."""

    command: np.ndarray
    targets: np.ndarray


class SafeDriver:
    """A bus behind calibration, clamping and the slew limit. Not thread-safe: the face locks."""

    def __init__(self, bus: ServoBus, spec: FaceSpec, calibration: Calibration, config: SafetyConfig) -> None:
        calibration.check(spec, bus.kind)
        calibration.check_device(bus.position_range, bus.unit)
        self.bus = bus
        self.spec = spec
        self.config = config
        self.map = CalibrationMap(spec, calibration)
        self.channels = self.map.channels
        travel = self.map.max - self.map.min
        self.step_limit = np.maximum(1, np.floor(config.max_step * travel)).astype(np.int64)
        self.neutral_targets = np.rint(self.map.neutral).astype(np.int64)
        self.last: np.ndarray | None = None
        self.enabled = False

    def arm(self) -> None:
        """Start from where the servos are (neutral where the device cannot tell) and enable them."""
        start = self.neutral_targets.astype(np.float64)
        if self.last is not None:
            start = self.last.astype(np.float64)
        elif self.bus.can_read:
            measured = self.bus.read_positions(self.channels)
            start = np.where(np.isfinite(measured), measured, start)
        self.last = np.clip(np.rint(start).astype(np.int64), self.map.min, self.map.max)
        with deferred_interrupt():  # outputs on and `enabled` saying so, never one without the other
            self.bus.enable(self.channels)
            self.enabled = True

    def apply(self, command) -> Applied:
        """Validate, map, clamp, slew-limit and write one command; re-arms after a disable."""
        checked = validate_command(self.spec, command)
        if not self.enabled:
            self.arm()
        wanted = np.clip(np.rint(self.map.to_device(checked)).astype(np.int64), self.map.min, self.map.max)
        targets = self.last + np.clip(wanted - self.last, -self.step_limit, self.step_limit)
        targets = np.clip(targets, self.map.min, self.map.max)
        self.bus.write_targets(self.channels, targets)
        self.last = targets
        return Applied(self.map.to_command(targets), targets)

    def at_neutral(self) -> bool:
        return self.last is not None and bool(np.array_equal(self.last, self.neutral_targets))

    def disable(self) -> None:
        with deferred_interrupt():  # every output off, not the first few
            self.bus.disable(self.channels)
            self.enabled = False
