"""`facetwin view`: the face in a browser, with a slider per actuator."""

from __future__ import annotations

import typer

from facetwin.app.cli_options import BackendOption, FaceOption, RobotIdOption, SkinOption
from facetwin.errors import ConfigError


def view(
    face: str | None = FaceOption,
    skin: str = SkinOption,
    backend: str = BackendOption,
    robot_id: str | None = RobotIdOption,
    host: str = typer.Option("127.0.0.1", "--host", help="address to serve on; anything but loopback lets anyone "
                             "on the network move the face"),
    port: int = typer.Option(8080, "--port", min=1, max=65535, help="port to serve on (the next free one if taken)"),
    seconds: float | None = typer.Option(None, "--seconds", help="stop after this long (default: until Ctrl-C)"),
) -> None:
    """Serve the face in a browser: the skin moving at the control rate, one slider per actuator, the
    face's poses, neutral, random and stop; on any backend, through the same command gate and
    safety layer as `step`."""
    from facetwin.app.backends import open_backend
    from facetwin.app.viewer import serve
    from facetwin.sim.rig import load_face

    if seconds is not None and not seconds > 0:
        raise ConfigError(f"--seconds {seconds:g}: give a positive duration")
    model = load_face(face)
    options = {"camera": False} if backend.startswith("emulated:") else {}
    serve(open_backend(backend, model, skin=skin, robot_id=robot_id, **options), model, host, port, seconds)
