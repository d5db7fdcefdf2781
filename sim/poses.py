"""Named poses and command parsing shared by the CLI, the showreel and tests."""

from __future__ import annotations

import numpy as np

from facetwin.errors import CommandError
from facetwin.face_config import FaceConfig


def pose_command(config: FaceConfig, pose: str) -> np.ndarray:
    """A named pose from face.yaml as a full command (actuators it does not name stay neutral)."""
    spec = config.to_spec()
    if pose not in config.poses:
        raise CommandError(f"unknown pose {pose!r}; the face {spec.name!r} has {', '.join(config.poses)}")
    command = spec.neutral_command.copy()
    for name, value in config.poses[pose].items():
        command[spec.index(name)] = value
    return command


def parse_command(config: FaceConfig, text: str) -> np.ndarray:
    """`0.1,0.2,...` (one value per actuator) or `name=value,name=value` (others neutral)."""
    spec = config.to_spec()
    items = [t.strip() for t in text.split(",") if t.strip()]
    if items and all("=" in t for t in items):
        command = spec.neutral_command.astype(np.float64)
        for item in items:
            name, _, value = item.partition("=")
            try:
                command[spec.index(name.strip())] = float(value)
            except KeyError as exc:
                raise CommandError(str(exc.args[0])) from None
            except ValueError:
                raise CommandError(f"command value {value!r} for {name.strip()} is not a number") from None
        return command
    try:
        return np.array([float(t) for t in items])
    except ValueError:
        raise CommandError(f"command {text!r} is neither {spec.n_actuators} numbers nor name=value pairs") from None
