"""The one gate every command passes before it may move anything.

Shared by the twin, the hardware and the batched env (`validate_commands`, N commands at once)
so that a NaN, a wrong shape or a wrong dtype is rejected the same way everywhere, with a
message that says which actuator is at fault.
"""

from __future__ import annotations

import numpy as np

from facetwin.errors import CommandError
from facetwin.spec import FaceSpec

REAL_KINDS = "iuf"
"""Integer and floating-point dtypes. NumPy would also cast booleans, complex numbers (dropping the
imaginary part), numeric strings and dates to floats; none of them is a command a policy meant."""


def validate_command(spec: FaceSpec, command) -> np.ndarray:
    """Return `command` as float32 clipped to [-1, 1], or raise CommandError.

    Accepts a sequence/array of `spec.n_actuators` real numbers or a mapping of actuator name to
    command (unnamed actuators stay neutral).
    """
    if isinstance(command, dict):
        values = spec.neutral_command.astype(np.float64)
        for name, value in command.items():
            try:
                index = spec.index(name)
            except KeyError as exc:
                raise CommandError(exc.args[0]) from None
            number = _real(value, f"command for {name!r}")
            if number.shape != ():
                raise CommandError(f"command for {name!r} has shape {number.shape}, expected one number")
            values[index] = number
        command = values
    array = _real(command, "command")
    if array.shape != (spec.n_actuators,):
        raise CommandError(
            f"command has shape {array.shape}, expected ({spec.n_actuators},) for face {spec.name!r}"
        )
    bad = ~np.isfinite(array)
    if bad.any():
        names = [spec.actuators[i].name for i in np.flatnonzero(bad)]
        raise CommandError(f"command has non-finite values for {', '.join(names)}")
    return np.clip(array, -1.0, 1.0).astype(np.float32)


def validate_commands(spec: FaceSpec, commands, n: int, skip: np.ndarray | None = None) -> np.ndarray:
    """`n` commands at once, an (n, n_actuators) array, checked as `validate_command` checks one:
    returned as float32 clipped to [-1, 1], or CommandError naming the first bad row. Rows where
    `skip` is True are not looked at and come back neutral (a vector env's rows about to restart,
    whose actions nothing uses)."""
    array = _real(commands, "batch of commands")
    if array.shape != (n, spec.n_actuators):
        raise CommandError(f"batch of commands has shape {array.shape}, expected ({n}, {spec.n_actuators}) for "
                           f"face {spec.name!r}")
    if skip is not None and skip.any():
        array = array.copy()  # the caller's array stays as it was
        array[skip] = spec.neutral_command
    bad = ~np.isfinite(array)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise CommandError(f"command {row} of {n} has a non-finite value for {spec.actuators[column].name}")
    return np.clip(array, -1.0, 1.0).astype(np.float32)


def _real(value, what: str) -> np.ndarray:
    """`value` as a float64 array, or CommandError naming `what` when it is not real numbers."""
    try:
        array = np.asarray(value)
    except ValueError as exc:  # a ragged sequence
        raise CommandError(f"{what} is not an array of numbers: {exc}") from None
    if array.dtype.kind not in REAL_KINDS:
        raise CommandError(f"{what} has dtype {array.dtype}, expected real numbers (integers or floats)")
    return array.astype(np.float64, copy=False)
