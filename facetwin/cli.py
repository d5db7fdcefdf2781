"""The `facetwin` command line.

Each command imports its room lazily so that `facetwin info` answers without loading torch,
OpenGL or MediaPipe. Every FacetwinError ends as one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
import sys

import typer

from facetwin.errors import FacetwinError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="A digital twin of an animatronic robot face.")



@app.callback()
def _root() -> None:
    """A digital twin of an animatronic robot face: simulate, render, mimic, deploy."""


FaceOption = typer.Option(None, "--face", help="bundled face name, face folder or face.yaml (default: mira)")


@app.command()
def info(face: str | None = FaceOption, as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """The face's spec: actuators, their ranges and neutral commands, control rate."""
    from facetwin.face_config import load_face_config
    from facetwin.faces import resolve_face

    config = load_face_config(resolve_face(face))
    spec = config.to_spec()
    if as_json:
        data = spec.to_dict()
        data["digest"] = spec.digest
        data["poses"] = config.poses
        typer.echo(json.dumps(data, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{spec.name}: {spec.n_actuators} actuators at {spec.control_hz:g} Hz (digest {spec.digest})")
    for column in ("actuator", "kind", "range", "neutral", "neutral cmd", "mirror"):
        table.add_column(column)
    for a in spec.actuators:
        table.add_row(a.name, a.kind, f"[{a.low:g}, {a.high:g}] {a.unit}", f"{a.neutral:g}",
                      f"{a.neutral_command:+.3f}", a.mirror or "")
    Console().print(table)
    typer.echo(f"poses: {', '.join(config.poses)}")


@app.command()
def track(
    source: str = typer.Option(..., "--source", help="image, folder of images, video, landmarks .npz or webcam:N"),
    out: str = typer.Option(..., "--out", help="where to write the landmark track (.npz)"),
    video: str | None = typer.Option(None, "--video", help="also write an overlay video of the mesh (.mp4)"),
    landmarker: str | None = typer.Option(
        None, "--landmarker", help="a MediaPipe face_landmarker.task for blendshapes (or $FACETWIN_FACE_LANDMARKER)"
    ),
    max_frames: int | None = typer.Option(None, "--max-frames", min=1, help="stop after this many frames"),
) -> None:
    """Track a face: 478 landmarks per frame (image space and face frame), head pose, blendshapes."""
    from facetwin.perception.track import track as run_track

    result = run_track(source, out, video=video, landmarker=landmarker, max_frames=max_frames)
    seen = int(result.face_visible.sum())
    typer.echo(f"{out}: {len(result)} frames, face in {seen}, detector {result.detector}"
               + (f"; overlay {video}" if video else ""))


def main() -> None:
    try:
        app()
    except FacetwinError as exc:
        typer.echo(f"facetwin: error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
