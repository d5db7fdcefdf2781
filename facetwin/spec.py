"""What a face is, readable without connecting to anything.

A policy, an env or a calibration tool learns everything it needs about a face from its
`FaceSpec`: which actuators there are, how a normalised command in [-1, 1] maps onto each
actuator's travel, which command is neutral, and how fast the face is driven. The spec never
mentions servo units (pulse widths, ticks): those belong to a hardware calibration.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import cached_property

import numpy as np

N_LANDMARKS = 478
"""MediaPipe's face topology: 468 mesh points and 10 iris points."""


@dataclass(frozen=True)
class ActuatorSpec:
    """One actuator as a policy sees it.

    `kind` is "pull" (skin anchors translated, `unit` mm) or "rotation" (jaw, eyes, neck,
    `unit` deg). `low`/`high` are the travel that commands -1 and +1 reach; `neutral` is the
    rest position in the same unit.
    """

    name: str
    kind: str
    unit: str
    low: float
    high: float
    neutral: float
    mirror: str | None = None
    group: str = "face"

    @property
    def neutral_command(self) -> float:
        return float(2.0 * (self.neutral - self.low) / (self.high - self.low) - 1.0)

    @property
    def rest_end(self) -> int | None:
        """-1 or +1 when the actuator rests at that end of its travel, so a calibration's rest
        is that end and not a position of its own; None when it rests between the ends."""
        return -1 if self.neutral == self.low else 1 if self.neutral == self.high else None


@dataclass(frozen=True)
class FaceSpec:
    """The face's public description; its `digest` ties datasets and models to one face."""

    name: str
    actuators: tuple[ActuatorSpec, ...]
    control_hz: float
    n_landmarks: int = N_LANDMARKS
    landmark_units: str = "mm"
    landmark_frame: str = "face: x to the face's left, y up, z out of the face"
    regions: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def n_actuators(self) -> int:
        return len(self.actuators)

    @property
    def actuator_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.actuators)

    @property
    def low(self) -> np.ndarray:
        return np.array([a.low for a in self.actuators], dtype=np.float64)

    @property
    def high(self) -> np.ndarray:
        return np.array([a.high for a in self.actuators], dtype=np.float64)

    @property
    def neutral_command(self) -> np.ndarray:
        return np.array([a.neutral_command for a in self.actuators], dtype=np.float32)

    @property
    def control_period(self) -> float:
        return 1.0 / self.control_hz

    def index(self, name: str) -> int:
        try:
            return self.actuator_names.index(name)
        except ValueError:
            raise KeyError(
                f"unknown actuator {name!r}; the face {self.name!r} has {', '.join(self.actuator_names)}"
            ) from None

    @cached_property
    def mirror_order(self) -> np.ndarray:
        """For each actuator, the index of its mirror image (itself when it has none): indexing a
        command with it swaps left and right."""
        return np.array([self.index(a.mirror) if a.mirror else i for i, a in enumerate(self.actuators)])

    def command_to_position(self, command: np.ndarray) -> np.ndarray:
        """Map commands in [-1, 1] linearly onto each actuator's travel (works on batches)."""
        return self.low + (np.asarray(command, dtype=np.float64) + 1.0) * 0.5 * (self.high - self.low)

    def position_to_command(self, position: np.ndarray) -> np.ndarray:
        return (2.0 * (np.asarray(position, dtype=np.float64) - self.low) / (self.high - self.low) - 1.0).astype(
            np.float32
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        data["regions"] = {k: list(v) for k, v in self.regions.items()}
        for entry, actuator in zip(data["actuators"], self.actuators):
            entry["neutral_command"] = round(actuator.neutral_command, 6)
        return data

    @cached_property
    def digest(self) -> str:
        """A short hash of everything a policy depends on; equal digests mean interchangeable faces."""
        payload = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(payload).hexdigest()[:16]
