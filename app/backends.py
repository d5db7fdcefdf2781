"""One name for every face: `open_backend("sim")`, `open_backend("maestro:/dev/ttyACM0")`, ...

The CLI, the environments and the mimic loop open faces through this function, so changing the
face a policy drives is changing one string. The rooms are imported only when their backend is
asked for: the twin does not load serial drivers, the hardware does not load OpenGL.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from facetwin.backend import FaceBackend
from facetwin.errors import ConfigError

if TYPE_CHECKING:
    from facetwin.sim.rig import FaceModel

SIM = "sim"


def open_backend(backend: str = SIM, face: str | Path | FaceModel | None = None, *, skin: str = "fast",
                 render: bool = False, robot_id: str | None = None, reality: str | Path | None = None,
                 **options) -> FaceBackend:
    """Open the face named by `backend` for `face`: a bundled face name, a face folder or
    face.yaml, or a FaceModel a caller has already loaded (which is then not loaded again):

    - "sim": the twin (with `skin` and `render`; `options` go to SimFace);
    - "emulated:<bus>": hardware in the loop on the twin (`facetwin.app.hil.open_emulated_face`): the
      hardware code path down to the bytes, a device emulator, the twin as the face's body and,
      unless `camera=False`, perception on its rendered image;
    - a hardware string such as "maestro:/dev/ttyACM0", of a kind in
      `facetwin.hardware.bus_kinds.BUS_KINDS`: the physical face (`options` go to HardwareFace).

    `robot_id` names the saved calibration a hardware or emulated face loads (see
    `open_hardware_face`); the twin has none, so naming one for "sim" is refused rather than
    ignored. `reality` (a stand-in face folder, `facetwin reality make`) is what an emulated face's
    servos drive instead of the twin; only "emulated:<bus>" takes one. Raises ConfigError for an
    unknown name."""
    kind = backend.partition(":")[0]
    if reality is not None and kind != "emulated":
        raise ConfigError(f"reality {reality}: only an emulated:<kind> backend drives a stand-in face, "
                          f"not {backend!r}")
    if backend == SIM:
        if robot_id is not None:
            raise ConfigError(f"robot id {robot_id!r}: the {SIM} backend has no calibration; "
                              f"name a hardware or emulated:<kind> backend")
        from facetwin.sim.sim_face import SimFace

        return SimFace(face, skin=skin, render=render, **options)
    from facetwin.hardware.bus_kinds import BUS_KINDS

    if kind == "emulated":
        from facetwin.app.hil import open_emulated_face

        return open_emulated_face(backend, face, skin=skin, render=render, robot_id=robot_id, reality=reality,
                                  **options)
    if kind in BUS_KINDS:
        from facetwin.face_config import load_spec
        from facetwin.hardware.backend_url import open_hardware_face
        from facetwin.sim.rig import FaceModel

        spec = face.spec if isinstance(face, FaceModel) else load_spec(face)
        return open_hardware_face(backend, spec, robot_id=robot_id, **options)
    raise ConfigError(f"unknown backend {backend!r}: use {backend_help()}")


def backend_help(hardware_only: bool = False) -> str:
    """The names `open_backend` takes, for help texts and errors: sim (unless `hardware_only`),
    every bus kind's string (described, when only hardware will do) and emulated:<kind>."""
    from facetwin.hardware.bus_kinds import hardware_backends

    if hardware_only:
        return f"{hardware_backends(described=True)} or emulated:<kind>"
    return f"{SIM}, {hardware_backends()} or emulated:<kind>"
