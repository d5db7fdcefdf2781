"""The one gate every command passes before it may move anything.

Shared by the twin and the hardware so that a NaN or a wrong shape is rejected the same way
everywhere, with a message that says which actuator is at fault.
"""

from __future__ import annotations

import numpy as np

from facetwin.errors import CommandError
from facetwin.spec import FaceSpec


def validate_command(spec: FaceSpec, command) -> np.ndarray:
    """Return `command` as float32 clipped to [-1, 1], or raise CommandError.

    Accepts a sequence/array of `spec.n_actuators` numbers or a mapping of actuator name to
    command (unnamed actuators stay neutral).
    """
    if isinstance(command, dict):
        values = spec.neutral_command.astype(np.float64)
        for name, value in command.items():
            values[spec.index(name)] = value
        command = values
    try:
        array = np.asarray(command, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CommandError(f"command is not numeric: {exc}") from None
    if array.shape != (spec.n_actuators,):
        raise CommandError(
            f"command has shape {array.shape}, expected ({spec.n_actuators},) for face {spec.name!r}"
        )
    bad = ~np.isfinite(array)
    if bad.any():
        names = [spec.actuators[i].name for i in np.flatnonzero(bad)]
        raise CommandError(f"command has non-finite values for {', '.join(names)}")
    return np.clip(array, -1.0, 1.0).astype(np.float32)
