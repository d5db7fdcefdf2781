"""Errors a user can act on: each carries a one-line message naming the culprit.

The CLI turns any `FacetwinError` into that line and a non-zero exit instead of a traceback.
"""


class FacetwinError(Exception):
    """Base of every error facetwin raises on bad input."""


class ConfigError(FacetwinError):
    """A face.yaml (or another config file) is malformed; the message names file and field."""


class CommandError(FacetwinError, ValueError):
    """A command has the wrong shape or dtype, or non-finite values; it never reaches an actuator."""


class BackendError(FacetwinError):
    """A backend cannot do what was asked (closed, unknown, disconnected)."""


class Interrupted(Exception):
    """Ctrl-C ended a command; the message says what the command left behind (the face at rest,
    the work kept). Not a FacetwinError: nothing was wrong with the input. The CLI prints it as
    its one line and exits 130."""
