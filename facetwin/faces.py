"""Where the bundled assets live: face models by name or by path, the sample clip, the landmarker."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from facetwin.errors import ConfigError

DEFAULT_FACE = "mira"


def faces_root() -> Path:
    return Path(str(resources.files("facetwin.assets"))) / "faces"


def sample_clip() -> Path:
    """The bundled 640x360 sample clip (see assets/samples/README.md)."""
    return Path(str(resources.files("facetwin.assets"))) / "samples" / "WolfgangLanger_Pexels.mp4"


def shipped_landmarker() -> Path:
    """The MediaPipe FaceLandmarker bundle shipped with facetwin (assets/models/README.md: its
    licence and provenance), so blendshape scoring needs no file from the user."""
    return Path(str(resources.files("facetwin.assets"))) / "models" / "face_landmarker.task"


def available_faces() -> list[str]:
    return sorted(p.name for p in faces_root().iterdir() if (p / "face.yaml").is_file())


def resolve_face(face: str | Path | None = None) -> Path:
    """Return the face.yaml of a bundled face name, a face folder, or a face.yaml path."""
    face = DEFAULT_FACE if face is None else face
    candidate = Path(face)
    if candidate.is_file():
        return candidate
    if (candidate / "face.yaml").is_file():
        return candidate / "face.yaml"
    bundled = faces_root() / str(face) / "face.yaml"
    if bundled.is_file():
        return bundled
    bundled_names = ", ".join(available_faces())
    raise ConfigError(f"unknown face {str(face)!r}: not a path, and the bundled faces are {bundled_names}")
