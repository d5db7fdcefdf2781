"""The sliders as words a person keeps: a `--command` string for the command line, or a named
pose written into the face's own face.yaml."""

from __future__ import annotations

import re

import numpy as np
import yaml

from facetwin.atomic import atomic_write
from facetwin.command import validate_command
from facetwin.errors import CommandError, ConfigError
from facetwin.sim.rig import FaceModel
from facetwin.spec import FaceSpec

POSE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DECIMALS = 3


def command_string(spec: FaceSpec, command: np.ndarray) -> str:
    """`name=value,...` for the actuators away from neutral, as `--command` reads it (empty at rest)."""
    return ",".join(f"{name}={value:.{DECIMALS}f}" for name, value in _away_from_neutral(spec, command).items())


def _away_from_neutral(spec: FaceSpec, command: np.ndarray) -> dict[str, float]:
    checked = validate_command(spec, command)
    rounded = np.round(checked.astype(np.float64), DECIMALS)
    neutral = np.round(spec.neutral_command.astype(np.float64), DECIMALS)
    return {spec.actuators[i].name: float(rounded[i]) for i in np.flatnonzero(rounded != neutral)}


def save_pose(model: FaceModel, name: str, command: np.ndarray) -> None:
    """Add (or replace) pose `name` in the face.yaml the face was loaded from. A face that extends
    another gets the pose in its own file; the poses merge with those it extends."""
    if not POSE_NAME.match(name):
        raise CommandError(f"pose name {name!r}: use lower-case letters, digits and _ (up to 40), a letter first")
    values = _away_from_neutral(model.spec, command)
    path = model.path
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the face to add pose {name!r} ({exc})") from None
    poses = raw.setdefault("poses", {}) or {}
    poses[name] = values
    raw["poses"] = poses
    with atomic_write(path, "w") as handle:
        yaml.safe_dump(raw, handle, sort_keys=False, default_flow_style=None, width=130)
