"""Errors perception raises on bad input; each is one line naming the file or value at fault."""

from __future__ import annotations

from facetwin.errors import FacetwinError


class PerceptionError(FacetwinError):
    """A model file or input perception cannot use (a missing landmarker, reach bounds of another face)."""


class SourceError(PerceptionError):
    """A frame source cannot be opened or read: a missing or undecodable file, an absent webcam."""
