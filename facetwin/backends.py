"""One name for every face: `open_backend("sim")`, `open_backend("maestro:/dev/ttyACM0")`, ...

The CLI, the environments and the mimic loop open faces through this function, so changing the
face a policy drives is changing one string. The rooms are imported only when their backend is
asked for: the twin does not load serial drivers, the hardware does not load OpenGL.
"""

from __future__ import annotations

from pathlib import Path

from facetwin.backend import FaceBackend
from facetwin.errors import ConfigError

SIM = "sim"


def open_backend(backend: str = SIM, face: str | Path | None = None, *, skin: str = "fast", render: bool = False,
                 **options) -> FaceBackend:
    """Open the face named by `backend`: "sim" for the twin (with `skin` and `render`), or a
    hardware string (see `facetwin.hardware.backend_url`). Raises ConfigError for an unknown name."""
    if backend == SIM:
        from facetwin.sim.sim_face import SimFace

        return SimFace(face, skin=skin, render=render, **options)
    kind = backend.partition(":")[0]
    if kind in ("maestro", "pca9685", "dynamixel", "feetech", "emulated"):
        from facetwin.face_config import load_face_config
        from facetwin.faces import resolve_face
        from facetwin.hardware.backend_url import open_hardware_face

        spec = load_face_config(resolve_face(face)).to_spec()
        return open_hardware_face(backend, spec, **options)
    raise ConfigError(f"unknown backend {backend!r}: use sim, maestro:PORT, pca9685:BUS:ADDR, dynamixel:PORT, "
                      f"feetech:PORT or emulated:<bus>")
