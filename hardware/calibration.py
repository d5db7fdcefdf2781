"""Where each actuator's servo is and how far it may go, per physical robot.

A calibration maps the face's normalised commands onto device units: command -1 reaches the
end `min` or `max` chosen by `direction` (+1: -1 -> min, +1 -> max), the spec's neutral command
reaches `neutral`, and commands in between are linear on each side of neutral, so the skin
rests exactly where it was calibrated to rest. It is saved as JSON per robot id and kind of
device, atomically, and records the face spec digest so a calibration is never applied to a
different face. An emulator's calibration has a file of its own (`emulated-<kind>.json`), so
practising on `emulated:maestro` never overwrites the real Maestro's.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, ValidationError, field_validator, model_validator

from facetwin.atomic import atomic_write
from facetwin.config_model import ConfigModel, config_error
from facetwin.errors import ConfigError
from facetwin.hardware.bus import ServoBus
from facetwin.spec import FaceSpec

CALIBRATION_DIR_ENV = "FACETWIN_CALIBRATION_DIR"
ROBOT_ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
"""A robot id names a folder: no path separators, and no leading dot (so never `..`)."""


def calibration_dir() -> Path:
    override = os.environ.get(CALIBRATION_DIR_ENV)
    return Path(override) if override else Path.home() / ".cache" / "facetwin" / "calibration"


def calibration_path(robot_id: str, kind: str, emulated: bool = False) -> Path:
    """`<dir>/<robot_id>/<kind>.json`, or `emulated-<kind>.json` for that device's emulator."""
    if not re.match(ROBOT_ID_PATTERN, robot_id):
        raise ConfigError(f"robot id {robot_id!r}: use letters, digits, '_', '.' and '-', not starting with '.'")
    return calibration_dir() / robot_id / f"{'emulated-' if emulated else ''}{kind}.json"


def calibrate_command(backend: str, robot_id: str) -> str:
    """The command that (re)makes the calibration `backend` and `robot_id` load, for hints."""
    return f"`facetwin calibrate --backend {backend} --robot-id {robot_id}`"


class ActuatorCalibration(ConfigModel):
    """One actuator: `channel` is the controller channel (Maestro, PCA9685) or servo id."""

    name: str = Field(min_length=1)
    channel: int = Field(ge=0, le=253)
    min: int
    max: int
    neutral: int
    direction: Literal[1, -1] = 1

    @model_validator(mode="after")
    def _ordered(self) -> ActuatorCalibration:
        if not self.min < self.max:
            raise ValueError(f"min {self.min} must be below max {self.max}")
        if not self.min <= self.neutral <= self.max:
            raise ValueError(f"neutral {self.neutral} lies outside [{self.min}, {self.max}]")
        return self

    @property
    def end_minus(self) -> int:
        """The device value command -1 reaches."""
        return self.min if self.direction == 1 else self.max

    @property
    def end_plus(self) -> int:
        return self.max if self.direction == 1 else self.min


class Calibration(ConfigModel):
    robot_id: str = Field(min_length=1, pattern=ROBOT_ID_PATTERN)
    bus: str
    emulated: bool = False
    unit: str
    face: str
    spec_digest: str
    actuators: tuple[ActuatorCalibration, ...]

    @field_validator("actuators")
    @classmethod
    def _unique_channels(cls, actuators: tuple[ActuatorCalibration, ...]) -> tuple[ActuatorCalibration, ...]:
        seen: dict[int, str] = {}
        for a in actuators:
            if a.channel in seen:
                raise ValueError(f"channel {a.channel} is used by both {seen[a.channel]} and {a.name}")
            seen[a.channel] = a.name
        return actuators

    def check(self, spec: FaceSpec, bus_kind: str | None = None, emulated: bool | None = None) -> None:
        """Refuse a calibration made for another face, another controller (or its emulator, or
        the real one for an emulator), or missing actuators."""
        where = f"calibration {self.robot_id!r}"
        if self.spec_digest != spec.digest:
            raise ConfigError(
                f"{where} was made for face {self.face!r} (digest {self.spec_digest}), "
                f"not {spec.name!r} (digest {spec.digest})"
            )
        if bus_kind is not None and self.bus != bus_kind:
            raise ConfigError(f"{where} is for a {self.bus} controller, not {bus_kind}")
        if emulated is not None and self.emulated != emulated:
            made, used = ("an emulated", "a real") if self.emulated else ("a real", "an emulated")
            raise ConfigError(f"{where} was made on {made} {self.bus}, not {used} one")
        names = tuple(a.name for a in self.actuators)
        if names != spec.actuator_names:
            missing = [n for n in spec.actuator_names if n not in names]
            detail = f"missing {', '.join(missing)}" if missing else "actuators out of order or unknown"
            raise ConfigError(f"{where}: {detail}; uncalibrated actuators are never driven")
        for actuator, calibrated in zip(spec.actuators, self.actuators):
            if actuator.rest_end is not None:
                end = calibrated.end_minus if actuator.rest_end < 0 else calibrated.end_plus
                if calibrated.neutral != end:
                    raise ConfigError(f"{where}: {actuator.name} rests at its {actuator.rest_end:+d} end ({end}), "
                                      f"but its neutral is {calibrated.neutral}")

    def check_device(self, position_range: tuple[int, int], unit: str) -> None:
        """Refuse a calibration reaching outside what the device takes as a servo position."""
        low, high = position_range
        for a in self.actuators:
            for field in ("min", "max"):
                value = getattr(a, field)
                if not low <= value <= high:
                    raise ConfigError(f"calibration {self.robot_id!r}: {a.name} {field} {value} lies outside "
                                      f"the {self.bus}'s range [{low}, {high}] {unit}")


class CalibrationMap:
    """The calibration as arrays in spec order: the fast path every command goes through."""

    def __init__(self, spec: FaceSpec, calibration: Calibration) -> None:
        calibration.check(spec)
        acts = calibration.actuators
        self.channels = [a.channel for a in acts]
        self.min = np.array([a.min for a in acts], dtype=np.int64)
        self.max = np.array([a.max for a in acts], dtype=np.int64)
        self.neutral = np.array([a.neutral for a in acts], dtype=np.float64)
        self.end_minus = np.array([a.end_minus for a in acts], dtype=np.float64)
        self.end_plus = np.array([a.end_plus for a in acts], dtype=np.float64)
        self.neutral_command = spec.neutral_command.astype(np.float64)

    def to_device(self, command: np.ndarray) -> np.ndarray:
        """Commands in [-1, 1] to device units (float), piecewise linear through neutral."""
        c, nc = np.asarray(command, dtype=np.float64), self.neutral_command
        below = self.neutral + (c - nc) / np.where(nc > -1.0, nc + 1.0, 1.0) * (self.neutral - self.end_minus)
        above = self.neutral + (c - nc) / np.where(nc < 1.0, 1.0 - nc, 1.0) * (self.end_plus - self.neutral)
        return np.where(c < nc, below, above)

    def to_command(self, device: np.ndarray) -> np.ndarray:
        """Device units back to commands (clipped to [-1, 1]): what the face is really doing."""
        d, nc = np.asarray(device, dtype=np.float64), self.neutral_command
        span_below = self.neutral - self.end_minus
        span_above = self.end_plus - self.neutral
        below = nc + (d - self.neutral) / np.where(span_below != 0, span_below, 1.0) * (nc + 1.0)
        above = nc + (d - self.neutral) / np.where(span_above != 0, span_above, 1.0) * (1.0 - nc)
        on_minus_side = (d - self.neutral) * (self.end_plus - self.end_minus) < 0
        return np.clip(np.where(on_minus_side, below, above), -1.0, 1.0).astype(np.float32)


def default_calibration(spec: FaceSpec, robot_id: str, bus_kind: str, unit: str, center: int, half_span: int,
                        channels: list[int] | None = None) -> Calibration:
    """A plausible calibration for an emulated device: every actuator spans center +- half_span,
    right-side actuators mirrored (direction -1), neutral where the spec's neutral command puts it."""
    channels = list(range(spec.n_actuators)) if channels is None else channels
    actuators = []
    for actuator, channel in zip(spec.actuators, channels):
        direction = -1 if actuator.name.endswith("_R") else 1
        low, high = center - half_span, center + half_span
        fraction = (actuator.neutral_command + 1.0) / 2.0
        neutral = round(low + fraction * (high - low)) if direction == 1 else round(high - fraction * (high - low))
        actuators.append(ActuatorCalibration(name=actuator.name, channel=channel, min=low, max=high,
                                             neutral=neutral, direction=direction))
    return Calibration(robot_id=robot_id, bus=bus_kind, emulated=True, unit=unit, face=spec.name,
                       spec_digest=spec.digest, actuators=tuple(actuators))


def load_calibration(path: str | Path, spec: FaceSpec | None = None) -> Calibration:
    """Read and validate; with `spec`, also refuse a calibration for another face."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no calibration; run `facetwin calibrate` first") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable JSON file ({exc})") from None
    try:
        calibration = Calibration.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, str(path)) from None
    if spec is not None:
        try:
            calibration.check(spec)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}; recalibrate with `facetwin calibrate`") from None
    return calibration


def load_robot_calibration(backend: str, robot_id: str, bus: type[ServoBus], emulated: bool,
                           spec: FaceSpec) -> Calibration:
    """The saved calibration of `robot_id` for the device `bus` drives, checked against `spec`
    and the device's range; any refusal ends with the command that redoes it. A file in the
    older naming (one per robot id, `<robot_id>.json` or `<robot_id>-<kind>.json`, with no word
    on emulator or hardware) is not read: it is named, and so is the command."""
    kind = bus.kind
    path = calibration_path(robot_id, kind, emulated)
    redo = calibrate_command(backend, robot_id)
    if not path.exists():
        for old in (calibration_dir() / f"{robot_id}.json", calibration_dir() / f"{robot_id}-{kind}.json"):
            if old.exists():
                raise ConfigError(f"{old}: a calibration in the older naming, which does not say whether it was "
                                  f"made on hardware or an emulator; redo it with {redo}")
        raise ConfigError(f"{path}: no calibration for robot {robot_id!r}; make it with {redo}")
    try:
        calibration = load_calibration(path)
        calibration.check(spec, kind, emulated)
        calibration.check_device(bus.position_range, bus.unit)
    except ConfigError as exc:
        message = str(exc) if str(exc).startswith(str(path)) else f"{path}: {exc}"
        raise ConfigError(f"{message}; redo it with {redo}") from None
    return calibration


def save_calibration(calibration: Calibration, path: str | Path | None = None) -> Path:
    """Write atomically: a robot never reads half a calibration."""
    path = Path(path) if path is not None else calibration_path(calibration.robot_id, calibration.bus,
                                                                calibration.emulated)
    with atomic_write(path, "w") as handle:
        handle.write(calibration.model_dump_json(indent=2))
    return path
