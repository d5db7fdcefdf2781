"""The one way a facetwin config is validated: a strict, frozen pydantic model.

Every config (face.yaml, env options, calibration, babbling, training, retargeting, filters,
safety) is a `ConfigModel`: unknown fields, NaN and infinity are refused, and a config never
changes after it was checked (`model_copy(update=...)` makes a changed one). Built in code
(`BabbleConfig(max_rate=0)`), a bad value raises a `ConfigError` naming the config, the field and
the value; a loader that reads a file validates with `model_validate` and passes the failure to
`config_error` with the file's path instead.
"""

from __future__ import annotations

import reprlib
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from facetwin.errors import ConfigError


class _ReportsConfigErrors(type(BaseModel)):
    """Calling a config class reports a bad value as a `ConfigError`. Only the call does: a config
    nested in another is validated without one, so the outer config names the full field path,
    and `model_validate` still raises the `ValidationError` a loader turns into a line naming its
    file."""

    def __call__(cls, *args: Any, **values: Any) -> Any:
        try:
            return super().__call__(*args, **values)
        except ValidationError as exc:
            raise config_error(exc, cls.__name__) from None


class ConfigModel(BaseModel, metaclass=_ReportsConfigErrors):
    """The base of every config: strict, frozen, and failing with one line a user can act on."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


def _field_path(loc: tuple) -> str:
    """A pydantic error location as a user writes it: `actuators[0].servo.tau_ms`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def config_error(exc: ValidationError, where: str) -> ConfigError:
    """The first problem of a failed validation as one line: where, the field, what is wrong and
    the value given (left out when it is the whole enclosing mapping, as for a missing field)."""
    error = exc.errors()[0]
    field = _field_path(error["loc"])
    if error["type"] == "extra_forbidden":
        message = "unknown field"
    else:
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] != "missing" and not isinstance(error["input"], (dict, BaseModel)):
            message += f" (got {reprlib.repr(error['input'])})"
    return ConfigError(f"{where}: {field}: {message}" if field else f"{where}: {message}")
