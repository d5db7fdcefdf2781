"""The one interface every servo controller implements.

A face is a thin class over a bus (as in LeRobot's robot / motors-bus split): the bus knows
bytes and registers, nothing about faces, commands or calibration. Targets and positions are
integers in the device's own unit (`unit`), addressed by channel (Maestro, PCA9685) or servo id
(Dynamixel, Feetech). Everything above the bus speaks normalised commands.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np


class ServoBus(ABC):
    """A connection to one servo controller (or a chain of them on one port).

    `can_read` says whether the device reports positions; when it cannot (PCA9685), a face
    reports the last target it wrote instead. `default_center`/`default_half_span` describe a
    range every servo of this kind tolerates; calibration nudges start there.
    """

    kind: ClassVar[str]
    unit: ClassVar[str]
    can_read: ClassVar[bool]
    default_center: ClassVar[int]
    default_half_span: ClassVar[int]
    nudge: ClassVar[tuple[int, int]]
    """(small, large) calibration nudges in device units."""
    position_range: tuple[int, int]
    """The lowest and highest target the device takes as a servo position (device units); a
    calibration reaching outside it is refused on load, before anything moves."""

    @property
    @abstractmethod
    def address(self) -> str:
        """Where the device is (port, bus and address); used in every error message."""

    @abstractmethod
    def open(self) -> None:
        """Connect and check that the device answers; outputs stay disabled."""

    @abstractmethod
    def write_targets(self, channels: Sequence[int], targets: Sequence[int]) -> None:
        """Send one target per channel in one transaction where the protocol allows it."""

    @abstractmethod
    def read_positions(self, channels: Sequence[int]) -> np.ndarray:
        """Measured positions (device units, NaN where unknown); BackendError if the device cannot read."""

    @abstractmethod
    def enable(self, channels: Sequence[int]) -> None:
        """Let the servos on `channels` hold their targets (torque on, outputs awake)."""

    @abstractmethod
    def disable(self, channels: Sequence[int]) -> None:
        """Stop driving `channels`: no pulses, no torque; the skin relaxes."""

    @abstractmethod
    def close(self) -> None:
        """Release the port; idempotent."""

    @abstractmethod
    def write_limits(self, channels: Sequence[int], lows: Sequence[int], highs: Sequence[int]) -> None:
        """Put the calibrated range into the device's own position-limit registers, so the device
        refuses what the driver would; a device without them says why and keeps the driver's
        clamp as the only limit."""

    def __enter__(self) -> ServoBus:
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.address!r})"
